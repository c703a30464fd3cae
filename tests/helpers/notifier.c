/* notifier - a test program that speaks sd_notify like a systemd daemon.
 *
 *   notifier [-d MS] [-s TEXT] [-S TEXT] [-m] [-f] [-n] [-x] [-l FILE] [-t TAG]
 *
 *   -d MS    wait MS milliseconds, then send READY=1 (default 0)
 *   -s TEXT  send STATUS=TEXT in the READY=1 datagram
 *   -S TEXT  send STATUS=TEXT at once, before the delay, in its own datagram
 *   -m       put MAINPID=<pid of the sender> in the READY=1 datagram
 *   -f       fork: the child does the waiting and notifying and stays; the
 *            parent exits 0 once the child has sent (a daemon that forks)
 *   -n       never send READY=1 (only -S, if given)
 *   -x       exit 0 right after notifying instead of waiting for SIGTERM
 *   -l FILE  append one line per event: "TAG EVENT PID MONOTONIC_US [ARG]"
 *            with EVENT start (ARG: $NOTIFY_SOCKET), ready, term
 *   -t TAG   tag for -l (default $TEND_PROCESS_NAME, else "notifier")
 *
 * NOTIFY_SOCKET is a path or "@abstract", as systemd passes it. Without it
 * the program says so and exits 3. SIGTERM (at any time) logs "term" and
 * exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *logfile;
static const char *tag;

static void event(const char *what, const char *arg)
{
    if (!logfile)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s %ld %lld%s%s\n", tag, what, (long)getpid(),
                     (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, arg ? " " : "",
                     arg ? arg : "");
    if (n < 0 || (size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    int fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror(logfile);
        exit(4);
    }
    /* One write per line: lines of several processes never interleave. */
    if (write(fd, line, (size_t)n) != n) {
        perror(logfile);
        exit(4);
    }
    close(fd);
}

static void notify(const char *msg)
{
    const char *addr = getenv("NOTIFY_SOCKET");
    if (!addr || !*addr) {
        fprintf(stderr, "notifier: NOTIFY_SOCKET is not set\n");
        exit(3);
    }
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t len = strlen(addr);
    if (len > sizeof a.sun_path) {
        fprintf(stderr, "notifier: NOTIFY_SOCKET too long\n");
        exit(3);
    }
    memcpy(a.sun_path, addr, len);
    if (a.sun_path[0] == '@')
        a.sun_path[0] = '\0';
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        perror("notifier: socket");
        exit(3);
    }
    ssize_t r;
    do {
        r = sendto(s, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&a,
                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        fprintf(stderr, "notifier: send to %s: %s\n", addr, strerror(errno));
        exit(3);
    }
    close(s);
}

/* Wait up to MS milliseconds (forever when MS < 0) for SIGTERM, which is
 * blocked; on SIGTERM log it and exit. */
static void wait_term(long ms)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    struct timespec end, now;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (ms % 1000) * 1000000;
    if (end.tv_nsec >= 1000000000) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000;
    }
    for (;;) {
        int sig;
        if (ms < 0) {
            sig = sigwaitinfo(&set, NULL);
        } else {
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long left = (end.tv_sec - now.tv_sec) * 1000000000LL + (end.tv_nsec - now.tv_nsec);
            if (left <= 0)
                return;
            struct timespec to = { .tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL };
            sig = sigtimedwait(&set, NULL, &to);
        }
        if (sig == SIGTERM) {
            event("term", NULL);
            exit(0);
        }
        if (sig < 0 && errno == EAGAIN)
            return;
    }
}

int main(int argc, char **argv)
{
    long delay = 0;
    const char *status = NULL, *early_status = NULL;
    int mainpid = 0, do_fork = 0, never = 0, do_exit = 0;
    int c;
    while ((c = getopt(argc, argv, "d:s:S:mfnxl:t:")) != -1) {
        switch (c) {
        case 'd': {
            char *end;
            errno = 0;
            delay = strtol(optarg, &end, 10);
            if (errno || *end || delay < 0) {
                fprintf(stderr, "notifier: bad delay %s\n", optarg);
                return 2;
            }
            break;
        }
        case 's': status = optarg; break;
        case 'S': early_status = optarg; break;
        case 'm': mainpid = 1; break;
        case 'f': do_fork = 1; break;
        case 'n': never = 1; break;
        case 'x': do_exit = 1; break;
        case 'l': logfile = optarg; break;
        case 't': tag = optarg; break;
        default:
            fprintf(stderr, "usage: notifier [-d MS] [-s TEXT] [-S TEXT] [-m] [-f] [-n] [-x] "
                            "[-l FILE] [-t TAG]\n");
            return 2;
        }
    }
    if (!tag)
        tag = getenv("TEND_PROCESS_NAME");
    if (!tag)
        tag = "notifier";

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);

    const char *sockenv = getenv("NOTIFY_SOCKET");
    event("start", sockenv ? sockenv : "-");
    if (early_status) {
        char msg[600];
        snprintf(msg, sizeof msg, "STATUS=%s", early_status);
        notify(msg);
    }

    int sync[2] = { -1, -1 };
    if (do_fork) {
        if (pipe2(sync, O_CLOEXEC) < 0) {
            perror("notifier: pipe");
            return 3;
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("notifier: fork");
            return 3;
        }
        if (pid > 0) {
            /* The parent: wait until the child has sent (EOF), then leave. */
            close(sync[1]);
            char b;
            ssize_t r;
            do
                r = read(sync[0], &b, 1);
            while (r < 0 && errno == EINTR);
            event("parent-exit", NULL);
            return 0;
        }
        close(sync[0]);
    }

    if (!never) {
        wait_term(delay);
        char msg[600];
        int n = snprintf(msg, sizeof msg, "READY=1");
        if (status)
            n += snprintf(msg + n, sizeof msg - (size_t)n, "\nSTATUS=%s", status);
        if (mainpid)
            snprintf(msg + n, sizeof msg - (size_t)n, "\nMAINPID=%ld", (long)getpid());
        event("ready", NULL);
        notify(msg);
    }
    if (sync[1] >= 0)
        close(sync[1]);
    if (do_exit)
        return 0;
    wait_term(-1);
    return 0;
}
