/* orphaner: leave grandchildren behind, for reaping and cleanup tests.
 *
 *   orphaner [-n N] [-l MS] [-S] [-i] [-t FILE] [-p FILE] [-w] [-D]
 *
 *   -n N     make N grandchildren (default 1, at most 1000)
 *   -l MS    each lives MS milliseconds then exits 0 (0: exits at once, so
 *            it becomes a zombie for whoever inherits it); -1 (default):
 *            until a signal ends it (it exits 99 on its own after 120 s)
 *   -S       each calls setsid(): it escapes orphaner's process group and
 *            session, so only a namespace-wide kill reaches it
 *   -i       each ignores SIGTERM (only SIGKILL ends it)
 *   -t FILE  each appends "term PID" to FILE when it gets SIGTERM
 *   -p FILE  once all exist, write their pids (one a line) then "done"
 *   -w       orphaner itself stays until SIGTERM/SIGINT/SIGQUIT (default:
 *            it exits 0 right after spawning)
 *   -D       direct: the grandchildren are orphaner's own children, orphaned
 *            only when orphaner exits (default: double fork, the middle
 *            process exits at once, so they are orphaned immediately)
 *
 * Grandchildren have stdin/stdout/stderr on /dev/null, so they never hold a
 * pipe of the test open. Each reports its pid to orphaner through a pipe
 * before its lifetime starts, so the pid file is complete when "done" shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long number(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "orphaner: bad number '%s'\n", s);
        exit(98);
    }
    return v;
}

static void append(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w;
    do
        w = write(fd, text, strlen(text));
    while (w < 0 && errno == EINTR);
    close(fd);
}

/* The grandchild's life: report the pid, then wait for its end. */
static void grandchild(int report, long life_ms, bool do_setsid, bool ignore_term,
                       const char *termfile)
{
    if (do_setsid)
        setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    pid_t me = getpid();
    ssize_t w;
    do
        w = write(report, &me, sizeof me);
    while (w < 0 && errno == EINTR);
    close(report);

    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    long ms = life_ms < 0 ? 120000 : life_ms;
    end.tv_sec += ms / 1000;
    end.tv_nsec += (ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    for (;;) {
        struct timespec now, left;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = end.tv_sec - now.tv_sec;
        left.tv_nsec = end.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_sec--;
            left.tv_nsec += 1000000000L;
        }
        if (left.tv_sec < 0)
            _exit(life_ms < 0 ? 99 : 0);
        int sig = sigtimedwait(&all, NULL, &left);
        if (sig < 0)
            continue; /* EAGAIN: the deadline check above ends it */
        if (sig == SIGTERM) {
            if (termfile) {
                char line[64];
                snprintf(line, sizeof line, "term %d\n", (int)me);
                append(termfile, line);
            }
            if (!ignore_term)
                _exit(0);
        } else if (sig == SIGINT || sig == SIGQUIT || sig == SIGHUP) {
            _exit(0);
        }
    }
}

int main(int argc, char **argv)
{
    long n = 1, life_ms = -1;
    bool do_setsid = false, ignore_term = false, stay = false, direct = false;
    const char *termfile = NULL, *pidfile = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+n:l:Sit:p:wD")) != -1) {
        switch (opt) {
        case 'n': n = number(optarg, 1, 1000); break;
        case 'l': life_ms = number(optarg, -1, 600000); break;
        case 'S': do_setsid = true; break;
        case 'i': ignore_term = true; break;
        case 't': termfile = optarg; break;
        case 'p': pidfile = optarg; break;
        case 'w': stay = true; break;
        case 'D': direct = true; break;
        default:
            fprintf(stderr, "usage: orphaner [-n N] [-l MS] [-S] [-i] [-t FILE] "
                            "[-p FILE] [-w] [-D]\n");
            return 98;
        }
    }
    /* Block the signals orphaner waits for with -w before any child exists,
     * so one arriving early is not lost. */
    sigset_t ends;
    sigemptyset(&ends);
    sigaddset(&ends, SIGTERM);
    sigaddset(&ends, SIGINT);
    sigaddset(&ends, SIGQUIT);
    if (stay)
        sigprocmask(SIG_BLOCK, &ends, NULL);

    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        perror("orphaner: pipe");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        pid_t mid = fork();
        if (mid < 0) {
            perror("orphaner: fork");
            return 1;
        }
        if (mid == 0) {
            close(p[0]);
            sigprocmask(SIG_UNBLOCK, &ends, NULL);
            if (direct)
                grandchild(p[1], life_ms, do_setsid, ignore_term, termfile);
            pid_t g = fork();
            if (g < 0)
                _exit(1);
            if (g == 0)
                grandchild(p[1], life_ms, do_setsid, ignore_term, termfile);
            _exit(0); /* the grandchild is orphaned right now */
        }
        if (!direct) {
            int st;
            while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
                ;
        }
    }
    close(p[1]);

    char *list = malloc((size_t)n * 16 + 8);
    size_t used = 0;
    long got = 0;
    pid_t pid;
    for (;;) {
        ssize_t r = read(p[0], &pid, sizeof pid);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != (ssize_t)sizeof pid)
            break; /* EOF: every grandchild has reported (or died) */
        if (list)
            used += (size_t)sprintf(list + used, "%d\n", (int)pid);
        got++;
    }
    close(p[0]);
    if (pidfile && list) {
        sprintf(list + used, "done\n");
        append(pidfile, list);
    }
    free(list);
    if (got != n)
        fprintf(stderr, "orphaner: only %ld of %ld grandchildren reported\n", got, n);
    if (!stay)
        return got == n ? 0 : 1;
    int sig;
    while (sigwait(&ends, &sig) != 0)
        ;
    return 0;
}
