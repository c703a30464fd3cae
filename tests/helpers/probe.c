/* probe - a test program that reports what it was given, then lives, exits
 * or dies as told. Used by the integration tests through tend.
 *
 *   probe [-o REPORT] [-l EVENTS] [-n NAME] [-d MS] [-x CODE] [-k SIG] [-E CODE] [-K]
 *
 * -o REPORT  (or $PROBE_OUT) write "KEY value" lines: pid ppid pgid sid uid
 *            gid cwd umask fds sigblk sigign argv, one "env K=V" line per
 *            variable, then "end". Written to REPORT.tmp and renamed, so a
 *            reader never sees half of it. Once it exists the probe catches
 *            signals (they are logged, see below).
 * -l EVENTS  (or $PROBE_LOG) append one line per event, in a single write:
 *            "NAME start pid=P t=MS", "NAME signal SIGTERM t=MS",
 *            "NAME exit CODE t=MS" (MS: CLOCK_MONOTONIC milliseconds).
 * -n NAME    name in event lines (default $TEND_PROCESS_NAME, else "probe").
 * -d MS      leave after MS milliseconds (default: run until signalled).
 * -x CODE    exit status when leaving (default 0).
 * -k SIG     when leaving, die by signal SIG (name or number) instead.
 * -E CODE    on a terminating signal, exit with CODE instead of dying by it.
 * -K         keep running on HUP, USR1, USR2 (only log them).
 * TERM, INT, QUIT (and HUP, USR1, USR2 without -K) are logged, then the
 * probe dies by that signal; WINCH, CONT, TTIN, TTOU, TSTP, ALRM are only
 * logged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const struct { int sig; const char *name; } sigs[] = {
    { SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
    { SIGHUP, "SIGHUP" }, { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" },
    { SIGWINCH, "SIGWINCH" }, { SIGCONT, "SIGCONT" }, { SIGTTIN, "SIGTTIN" },
    { SIGTTOU, "SIGTTOU" }, { SIGTSTP, "SIGTSTP" }, { SIGALRM, "SIGALRM" },
    { SIGKILL, "SIGKILL" }, { SIGSEGV, "SIGSEGV" }, { SIGABRT, "SIGABRT" },
};

static const char *sig_name(int s)
{
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigs[i].sig == s)
            return sigs[i].name;
    static char buf[16];
    snprintf(buf, sizeof buf, "SIG%d", s);
    return buf;
}

static int sig_parse(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end)
        return (int)v;
    if (strncmp(s, "SIG", 3) != 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "SIG%s", s);
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            if (!strcmp(sigs[i].name, buf))
                return sigs[i].sig;
    }
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (!strcmp(sigs[i].name, s))
            return sigs[i].sig;
    return -1;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *logpath, *name = "probe";

static void event(const char *fmt, const char *a)
{
    if (!logpath)
        return;
    char line[512], what[256];
    snprintf(what, sizeof what, fmt, a);
    int n = snprintf(line, sizeof line, "%s %s t=%lld\n", name, what, mono_ms());
    int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) < 0)
        perror("probe: write");
    close(fd);
}

/* "SigBlk:\t0000..." from /proc/self/status. */
static void status_field(const char *status, const char *key, char *out, size_t len)
{
    const char *p = strstr(status, key);
    snprintf(out, len, "?");
    if (!p)
        return;
    p += strlen(key);
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, "\n");
    snprintf(out, len, "%.*s", (int)n, p);
}

static void report(const char *path, int argc, char **argv)
{
    char status[8192] = "";
    int sfd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (sfd >= 0) {
        ssize_t n = read(sfd, status, sizeof status - 1);
        status[n > 0 ? n : 0] = '\0';
        close(sfd);
    }
    char fds[4096] = "";
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        int skip = dirfd(d);
        size_t o = 0;
        /* numeric order is what a test expects to read: collect, then sort */
        int list[1024], k = 0;
        while ((e = readdir(d)) && k < 1024) {
            if (e->d_name[0] == '.')
                continue;
            int fd = atoi(e->d_name);
            if (fd != skip)
                list[k++] = fd;
        }
        closedir(d);
        for (int i = 1; i < k; i++)
            for (int j = i; j > 0 && list[j - 1] > list[j]; j--) {
                int t = list[j]; list[j] = list[j - 1]; list[j - 1] = t;
            }
        for (int i = 0; i < k && o < sizeof fds - 16; i++)
            o += (size_t)snprintf(fds + o, sizeof fds - o, "%s%d", i ? " " : "", list[i]);
    }
    mode_t um = umask(0);
    umask(um);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "?");
    char blk[64], ign[64];
    status_field(status, "SigBlk:", blk, sizeof blk);
    status_field(status, "SigIgn:", ign, sizeof ign);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        perror(tmp);
        return;
    }
    fprintf(f, "pid %d\nppid %d\npgid %d\nsid %d\nuid %d\ngid %d\ncwd %s\numask %04o\n",
            (int)getpid(), (int)getppid(), (int)getpgrp(), (int)getsid(0), (int)getuid(),
            (int)getgid(), cwd, (unsigned)um);
    fprintf(f, "fds %s\nsigblk %s\nsigign %s\nargv", fds, blk, ign);
    for (int i = 0; i < argc; i++)
        fprintf(f, " %s", argv[i]);
    fprintf(f, "\n");
    for (char **e = environ; *e; e++)
        fprintf(f, "env %s\n", *e);
    fprintf(f, "end\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        perror(path);
}

int main(int argc, char **argv)
{
    const char *out = getenv("PROBE_OUT");
    logpath = getenv("PROBE_LOG");
    if (getenv("TEND_PROCESS_NAME"))
        name = getenv("TEND_PROCESS_NAME");
    long delay = -1;
    int code = 0, killsig = 0, sigcode = -1, keep = 0, c;
    while ((c = getopt(argc, argv, "o:l:n:d:x:k:E:K")) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'l': logpath = optarg; break;
        case 'n': name = optarg; break;
        case 'd': delay = atol(optarg); break;
        case 'x': code = atoi(optarg); break;
        case 'k': killsig = sig_parse(optarg); break;
        case 'E': sigcode = atoi(optarg); break;
        case 'K': keep = 1; break;
        default:
            fprintf(stderr, "usage: probe [-o REPORT] [-l EVENTS] [-n NAME] [-d MS] [-x CODE] "
                            "[-k SIG] [-E CODE] [-K]\n");
            return 64;
        }
    }
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "pid=%d", (int)getpid());
    event("start %s", pidbuf);

    /* Read what we were given before changing anything. */
    sigset_t caught;
    sigemptyset(&caught);
    for (size_t i = 0; i < 12; i++)
        sigaddset(&caught, sigs[i].sig);
    if (out) {
        /* The report reads the mask first; block right after it. */
        report(out, argc, argv);
    }
    sigprocmask(SIG_BLOCK, &caught, NULL);
    /* A signal that came between the report and the block killed us; fine. */

    long long deadline = delay >= 0 ? mono_ms() + delay : -1;
    for (;;) {
        struct timespec ts = { 3600, 0 };
        if (deadline >= 0) {
            long long left = deadline - mono_ms();
            if (left <= 0)
                break;
            ts.tv_sec = left / 1000;
            ts.tv_nsec = (left % 1000) * 1000000L;
        }
        int s = sigtimedwait(&caught, NULL, &ts);
        if (s < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            perror("probe: sigtimedwait");
            return 70;
        }
        event("signal %s", sig_name(s));
        int fatal = s == SIGTERM || s == SIGINT || s == SIGQUIT ||
                    (!keep && (s == SIGHUP || s == SIGUSR1 || s == SIGUSR2));
        if (!fatal)
            continue;
        if (sigcode >= 0) {
            snprintf(pidbuf, sizeof pidbuf, "%d", sigcode);
            event("exit %s", pidbuf);
            return sigcode;
        }
        signal(s, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, &caught, NULL);
        raise(s);
        return 1;
    }
    if (killsig > 0) {
        event("kill %s", sig_name(killsig));
        signal(killsig, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, &caught, NULL);
        raise(killsig);
    }
    snprintf(pidbuf, sizeof pidbuf, "%d", code);
    event("exit %s", pidbuf);
    return code;
}
