/* forker - a program that leaves descendants behind, for group-kill and
 * orphan-reaping tests.
 *
 *   forker [-o FILE] [-n N] [-O] [-S] [-i] [-w] [-g MS] [-x CODE]
 *
 * Starts N (default 2) grandchildren that wait for signals, then waits
 * itself (or exits with CODE with -x). Lines appended to FILE, one write each:
 *   "gc PID"                 a grandchild started (it is alive and catching)
 *   "ready PID"              all started; PID is forker's own
 *   "gc PID signal SIGTERM"  a grandchild got a signal
 *   "parent signal SIGTERM"  forker got a signal
 *   "gc PID done"            with -g, a grandchild finished its shutdown
 * -O  orphans: each grandchild is forked by an intermediate child that exits
 *     at once, so it is re-parented (to tend, the subreaper).
 * -S  grandchildren call setsid(): they leave forker's process group.
 * -i  everyone logs SIGTERM and keeps running (only SIGKILL ends them);
 *     without it, a logged TERM/INT/QUIT/HUP/USR1/USR2 ends the process by
 *     that same signal.
 * -w  forker, ended by a signal, first waits for its own children (not the
 *     orphans) to exit, as a careful parent does.
 * -g MS  grandchildren shut down gracefully: after the signal they take MS
 *     milliseconds, log "done" and exit 0 (a worker finishing its requests).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *outpath;
static int ignore_term, wait_children, graceful_ms = -1;

static void logline(const char *fmt, int a, const char *b)
{
    if (!outpath)
        return;
    char line[256];
    int n = snprintf(line, sizeof line, fmt, a, b);
    int fd = open(outpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) < 0)
        perror("forker: write");
    close(fd);
}

static const char *sname(int s)
{
    switch (s) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGHUP: return "SIGHUP";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: return "SIG?";
    }
}

/* Wait for signals with them blocked; log each; die by it unless ignored. */
static void wait_signals(const sigset_t *set, int is_gc)
{
    for (;;) {
        int s = sigwaitinfo(set, NULL);
        if (s < 0) {
            if (errno == EINTR)
                continue;
            _exit(70);
        }
        if (is_gc)
            logline("gc %d signal %s\n", (int)getpid(), sname(s));
        else
            logline("parent%.0d signal %s\n", 0, sname(s));
        if (ignore_term && s == SIGTERM)
            continue;
        if (is_gc && graceful_ms >= 0) {
            struct timespec d = { graceful_ms / 1000, (graceful_ms % 1000) * 1000000L };
            while (nanosleep(&d, &d) < 0 && errno == EINTR)
                ;
            logline("gc %d done%s\n", (int)getpid(), "");
            _exit(0);
        }
        if (!is_gc && wait_children) {
            int st;
            while (wait(&st) > 0 || errno == EINTR)
                ;
        }
        signal(s, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, set, NULL);
        raise(s);
        _exit(1);
    }
}

int main(int argc, char **argv)
{
    int n = 2, orphan = 0, newsid = 0, exitcode = -1, c;
    while ((c = getopt(argc, argv, "o:n:OSiwg:x:")) != -1) {
        switch (c) {
        case 'o': outpath = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 'O': orphan = 1; break;
        case 'S': newsid = 1; break;
        case 'i': ignore_term = 1; break;
        case 'w': wait_children = 1; break;
        case 'g': graceful_ms = atoi(optarg); break;
        case 'x': exitcode = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: forker [-o FILE] [-n N] [-O] [-S] [-i] [-w] [-g MS] [-x CODE]\n");
            return 64;
        }
    }
    sigset_t set;
    sigemptyset(&set);
    const int caught[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2 };
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaddset(&set, caught[i]);
    /* Blocked before any fork: no signal is lost or acts by default. */
    sigprocmask(SIG_BLOCK, &set, NULL);

    for (int i = 0; i < n; i++) {
        int sync[2];
        if (pipe2(sync, O_CLOEXEC) != 0) {
            perror("forker: pipe");
            return 70;
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("forker: fork");
            return 70;
        }
        if (pid == 0) {
            close(sync[0]);
            if (orphan) {
                pid_t gc = fork();
                if (gc < 0)
                    _exit(70);
                if (gc > 0)
                    _exit(0);
            }
            if (newsid)
                setsid();
            logline("gc %d%s\n", (int)getpid(), "");
            close(sync[1]); /* tells forker this one is logged */
            wait_signals(&set, 1);
        }
        close(sync[1]);
        char b;
        while (read(sync[0], &b, 1) < 0 && errno == EINTR)
            ;
        close(sync[0]);
        if (orphan) {
            int st;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        }
    }
    logline("ready %d%s\n", (int)getpid(), "");
    if (exitcode >= 0)
        return exitcode;
    wait_signals(&set, 0);
}
