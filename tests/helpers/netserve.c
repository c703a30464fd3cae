/* netserve - a program that starts listening late, for readiness and
 * health probe tests.
 *
 *   netserve [-d MS] [-s STATUSFILE] PORT
 *
 * Waits MS milliseconds (default 0), then listens on 127.0.0.1:PORT and
 * writes "listening" to stdout. Every connection is answered as HTTP: it
 * reads the request (up to a blank line or 4 KiB) and writes
 * "HTTP/1.0 CODE x\r\n\r\n", CODE read from STATUSFILE at that moment
 * (default 200 when there is none), then closes. SIGTERM ends it (exit 0).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int code_from(const char *file)
{
    if (!file)
        return 200;
    FILE *f = fopen(file, "re");
    if (!f)
        return 200;
    int code = 200;
    if (fscanf(f, "%d", &code) != 1)
        code = 200;
    fclose(f);
    return code;
}

int main(int argc, char **argv)
{
    long delay = 0;
    const char *status = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "d:s:")) != -1) {
        if (opt == 'd')
            delay = atol(optarg);
        else if (opt == 's')
            status = optarg;
        else
            return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: netserve [-d MS] [-s STATUSFILE] PORT\n");
        return 2;
    }
    int port = atoi(argv[optind]);
    signal(SIGPIPE, SIG_IGN); /* a tcp: probe hangs up without reading */
    if (delay > 0) {
        struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0)
            ;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0) {
        perror("netserve");
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        char buf[4096];
        size_t n = 0;
        while (n < sizeof buf - 1) {
            ssize_t r = read(c, buf + n, sizeof buf - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            buf[n] = 0;
            if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
                break;
        }
        char out[64];
        int len = snprintf(out, sizeof out, "HTTP/1.0 %d x\r\n\r\n", code_from(status));
        if (write(c, out, (size_t)len) < 0)
            perror("netserve: write");
        close(c);
    }
}
