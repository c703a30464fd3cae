/* sigprobe: record the signals a program receives, and how it was started.
 *
 *   sigprobe [-e CODE] [-d MS] [-i] [-T SECS] FILE
 *
 * Appends to FILE, first a report of what it inherited:
 *   pid N / ppid N / pgid N / sid N
 *   mask N...      signals blocked at start (from /proc/self/status SigBlk)
 *   ignored N...   signals set to SIG_IGN at start (SigIgn)
 *   fds N...       descriptors open at start
 *   ready          from here on every signal is caught
 * then one line per signal received, real-time ones included, 32 and 33 too
 * (glibc keeps those for itself, so they are caught with raw calls; each queued
 * instance is a line; standard signals sent twice before delivery coalesce):
 *   sig N T        N the number, T CLOCK_MONOTONIC in nanoseconds
 * SIGTERM, SIGINT and SIGQUIT end it: after -d MS (default 0) it writes
 * `exit CODE` and exits with -e CODE, or writes `die N` and kills itself with
 * that same signal (the default). With -i, SIGTERM is recorded and ignored.
 * It exits 99 on its own after -T SECS (default 120) so a lost probe does
 * not live forever, and gets SIGKILL when its parent dies (PDEATHSIG).
 * Nothing is written to stdout or stderr except usage errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int out_fd = -1;

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    /* One write per line: with O_APPEND a reader never sees half a line
     * unless the disk is full. */
    ssize_t w;
    do
        w = write(out_fd, buf, (size_t)n);
    while (w < 0 && errno == EINTR);
}

/* "SigBlk:\t0000000000010002" from /proc/self/status -> "2 17" */
static void mask_line(const char *status, const char *key, char *out, size_t len)
{
    out[0] = 0;
    const char *p = strstr(status, key);
    if (!p)
        return;
    p += strlen(key);
    unsigned long long m = strtoull(p, NULL, 16);
    size_t used = 0;
    for (int s = 1; s <= 64; s++)
        if (m & (1ULL << (s - 1))) {
            int n = snprintf(out + used, len - used, " %d", s);
            if (n < 0 || (size_t)n >= len - used)
                return;
            used += (size_t)n;
        }
}

static void report_start(const char *fds)
{
    char status[8192] = "";
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, status, sizeof status - 1);
        if (n > 0)
            status[n] = 0;
        close(fd);
    }
    char blk[512], ign[512];
    mask_line(status, "SigBlk:", blk, sizeof blk);
    mask_line(status, "SigIgn:", ign, sizeof ign);
    put("pid %d\nppid %d\npgid %d\nsid %d\n", (int)getpid(), (int)getppid(),
        (int)getpgrp(), (int)getsid(0));
    put("mask%s\nignored%s\nfds%s\n", blk, ign, fds);
}

/* The descriptors open now, " 0 1 2", without the one used to list them. */
static void list_fds(char *out, size_t len)
{
    out[0] = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int self = dirfd(d);
    int fds[1024], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd != self)
            fds[n++] = fd;
    }
    closedir(d);
    for (int i = 1; i < n; i++) /* insertion sort: readdir order is not numeric */
        for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
            int t = fds[j];
            fds[j] = fds[j - 1];
            fds[j - 1] = t;
        }
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + used, len - used, " %d", fds[i]);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}

static long number(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "sigprobe: bad number '%s'\n", s);
        exit(98);
    }
    return v;
}

int main(int argc, char **argv)
{
    /* Observe the inheritance before anything can change it. */
    char fds[4096];
    list_fds(fds, sizeof fds);

    int code = -1, opt;
    long delay_ms = 0, life = 120;
    bool ignore_term = false;
    while ((opt = getopt(argc, argv, "+e:d:iT:")) != -1) {
        switch (opt) {
        case 'e': code = (int)number(optarg, 0, 255); break;
        case 'd': delay_ms = number(optarg, 0, 600000); break;
        case 'i': ignore_term = true; break;
        case 'T': life = number(optarg, 1, 100000); break;
        default:
            fprintf(stderr, "usage: sigprobe [-e CODE] [-d MS] [-i] [-T SECS] FILE\n");
            return 98;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: sigprobe [-e CODE] [-d MS] [-i] [-T SECS] FILE\n");
        return 98;
    }
    out_fd = open(argv[optind], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) {
        fprintf(stderr, "sigprobe: %s: %s\n", argv[optind], strerror(errno));
        return 98;
    }
    report_start(fds);

    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        return 97; /* the parent died before PDEATHSIG was armed */

    /* Catch everything by waiting for it: block all, default dispositions
     * (an ignored signal would be dropped before it could be recorded).
     * Kernel masks through raw calls: glibc's refuse 32 and 33. */
    unsigned long long all = ~0ULL & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof all);
    for (int s = 1; s <= SIGRTMAX; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigemptyset(&sa.sa_mask);
        sigaction(s, &sa, NULL); /* fails harmlessly for libc's own signals */
    }
    put("ready\n");

    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += life;
    for (;;) {
        struct timespec now, left;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left.tv_sec = end.tv_sec - now.tv_sec;
        left.tv_nsec = end.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_sec--;
            left.tv_nsec += 1000000000L;
        }
        if (left.tv_sec < 0) {
            put("timeout\n");
            return 99;
        }
        siginfo_t si;
        int sig = (int)syscall(SYS_rt_sigtimedwait, &all, &si, &left, sizeof all);
        if (sig < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            put("error %s\n", strerror(errno));
            return 96;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        put("sig %d %lld\n", sig, (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
        if (sig != SIGTERM && sig != SIGINT && sig != SIGQUIT)
            continue;
        if (sig == SIGTERM && ignore_term)
            continue;
        if (delay_ms > 0) {
            struct timespec d = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
            while (nanosleep(&d, &d) < 0 && errno == EINTR)
                ;
        }
        if (code >= 0) {
            put("exit %d\n", code);
            return code;
        }
        put("die %d\n", sig);
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl); /* SIGQUIT: no core file */
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, NULL);
        kill(getpid(), sig); /* pending until unblocked just below */
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        return 95;
    }
}
