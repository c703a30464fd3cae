/* xrpc - one raw XML-RPC call over a unix socket, for the torture test.
 *
 *   xrpc SOCKET METHOD [s:STRING | i:INT | b:0|1]...
 *
 * Sends one HTTP/1.1 POST /RPC2 and reads the answer (Content-Length). The
 * answer body goes to stdout. Exit status:
 *   0  a methodResponse with params      3  a methodResponse with a fault
 *   1  an answer that is not well-formed (status, headers or body)
 *   4  cannot connect                    5  the connection ended early
 * The caller enforces a deadline (this blocks).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char req[65536], ans[1 << 20];

static void esc(char *out, size_t len, const char *s)
{
    size_t o = strlen(out);
    for (; *s && o + 7 < len; s++) {
        const char *e = *s == '<' ? "&lt;" : *s == '&' ? "&amp;" : *s == '>' ? "&gt;" : NULL;
        if (e) {
            memcpy(out + o, e, strlen(e));
            o += strlen(e);
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: xrpc SOCKET METHOD [s:S|i:N|b:B]...\n");
        return 2;
    }
    static char body[32768];
    snprintf(body, sizeof body, "<?xml version='1.0'?>\n<methodCall><methodName>%s</methodName>"
             "<params>", argv[2]);
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *type = a[0] == 'i' ? "int" : a[0] == 'b' ? "boolean" : "string";
        size_t o = strlen(body);
        snprintf(body + o, sizeof body - o, "<param><value><%s>", type);
        esc(body, sizeof body, a + 2);
        o = strlen(body);
        snprintf(body + o, sizeof body - o, "</%s></value></param>", type);
    }
    size_t o = strlen(body);
    snprintf(body + o, sizeof body - o, "</params></methodCall>\n");
    int rl = snprintf(req, sizeof req, "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\n"
                      "Content-Type: text/xml\r\nContent-Length: %zu\r\n\r\n%s",
                      strlen(body), body);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        printf("connect: %s\n", strerror(errno));
        return 4;
    }
    for (int w = 0; w < rl;) {
        ssize_t n = write(fd, req + w, (size_t)(rl - w));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            printf("write: %s\n", strerror(errno));
            return 5;
        }
        w += (int)n;
    }
    size_t got = 0;
    long clen = -1;
    char *bodyp = NULL;
    for (;;) {
        if (bodyp && clen >= 0 && got - (size_t)(bodyp - ans) >= (size_t)clen)
            break;
        if (got + 1 >= sizeof ans) {
            printf("answer too long\n");
            return 1;
        }
        ssize_t n = read(fd, ans + got, sizeof ans - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ans[got] = '\0';
            printf("connection ended after %zu bytes: %.300s\n", got, ans);
            return 5;
        }
        got += (size_t)n;
        ans[got] = '\0';
        if (!bodyp && (bodyp = strstr(ans, "\r\n\r\n"))) {
            bodyp += 4;
            if (strncmp(ans, "HTTP/1.1 200 ", 13) && strncmp(ans, "HTTP/1.0 200 ", 13)) {
                printf("not 200: %.300s\n", ans);
                return 1;
            }
            for (char *h = strstr(ans, "\r\n"); h && h < bodyp; h = strstr(h + 2, "\r\n"))
                if (!strncasecmp(h + 2, "Content-Length:", 15))
                    clen = strtol(h + 17, NULL, 10);
            if (clen < 0) {
                printf("no Content-Length: %.300s\n", ans);
                return 1;
            }
        }
    }
    close(fd);
    const char *b = bodyp;
    fwrite(b, 1, (size_t)clen < 2000 ? (size_t)clen : 2000, stdout);
    const char *mr = strstr(b, "<methodResponse>"), *end = strstr(b, "</methodResponse>");
    if (!mr || !end || strncmp(b, "<?xml", 5)) {
        printf("\nmalformed answer\n");
        return 1;
    }
    if (strstr(mr, "<fault>") && strstr(mr, "faultCode") && strstr(mr, "</fault>"))
        return 3;
    if (strstr(mr, "<params>") && strstr(mr, "</params>"))
        return 0;
    printf("\nneither params nor fault\n");
    return 1;
}
