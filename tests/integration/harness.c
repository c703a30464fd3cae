/* harness.c - see harness.h. */
#include "harness.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ftw.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK_VAR "TEND_TEST_MARK"
#define MAX_TH 32
#define RING 16
#define RING_LEN 8192

static pid_t inited_pid;        /* th_init ran in this process */
static int watchdog_fd = -1;    /* write end; the watchdog waits for its EOF */
static pid_t watchdog_pid;
static unsigned th_seq;
static struct th *live[MAX_TH]; /* harnesses not yet freed, for reaping/cleanup */
static char ring[RING][RING_LEN];
static unsigned ring_next;

static char *ring_buf(void)
{
    return ring[ring_next++ % RING];
}

uint64_t th_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void th_nap(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* ---- marks: find every process a tend of ours started ---- */

/* Does /proc/PID/environ contain NEEDLE (a "K=V" prefix, compared up to
 * its length; EXACT: the whole entry)? */
static bool environ_has(pid_t pid, const char *needle, bool exact)
{
    char path[64], buf[65536];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == sizeof buf - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    size_t nl = strlen(needle);
    for (size_t i = 0; i < got; i += strlen(buf + i) + 1) {
        if (strncmp(buf + i, needle, nl) == 0 && (!exact || buf[i + nl] == '\0'))
            return true;
    }
    return false;
}

/* SIGKILL every live process (not us, not the watchdog) carrying NEEDLE.
 * Returns how many were signalled. */
static int kill_marked(const char *needle, bool exact)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    pid_t self = getpid();
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 1 || v == self || v == watchdog_pid)
            continue;
        if (th_pid_alive((pid_t)v) && environ_has((pid_t)v, needle, exact)) {
            kill((pid_t)v, SIGKILL);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Kill until a scan finds nothing (a forking program may race us). */
static void kill_all_marked(const char *needle, bool exact)
{
    uint64_t deadline = th_now_ms() + 5000;
    while (kill_marked(needle, exact) > 0 && th_now_ms() < deadline) {
        th_reap();
        th_nap(5);
    }
    th_reap();
}

static void remove_tree(const char *dir);

/* The watchdog also learns the folders ("+DIR\n", "-DIR\n" when freed) so
 * that it removes those a killed test left behind. */
static void watchdog(int rfd, pid_t owner)
{
    /* Own session: check SIGKILLs the test's process group when the test
     * ends, and this must outlive it. */
    setsid();
    for (int fd = 3; fd < 1024; fd++)
        if (fd != rfd)
            close(fd);
    static char dirs[MAX_TH * 4][256];
    char buf[8192];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(rfd, buf + have, sizeof buf - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        char *nl;
        while ((nl = memchr(buf, '\n', have))) {
            *nl = '\0';
            for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                if (buf[0] == '+' && !dirs[i][0]) {
                    snprintf(dirs[i], sizeof dirs[i], "%.255s", buf + 1);
                    break;
                }
                if (buf[0] == '-' && !strcmp(dirs[i], buf + 1)) {
                    dirs[i][0] = '\0';
                    break;
                }
            }
            size_t used = (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, have - used);
            have -= used;
        }
        if (have == sizeof buf - 1)
            have = 0;
    }
    char needle[64];
    snprintf(needle, sizeof needle, MARK_VAR "=th-%d-", (int)owner);
    for (int round = 0; round < 200 && kill_marked(needle, false) > 0; round++)
        th_nap(5);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (dirs[i][0])
            remove_tree(dirs[i]);
    _exit(0);
}

static void tell_watchdog(char op, const char *dir)
{
    if (watchdog_fd < 0)
        return;
    char line[300];
    int n = snprintf(line, sizeof line, "%c%s\n", op, dir);
    if (write(watchdog_fd, line, (size_t)n) != n)
        perror("harness: watchdog");
}

static void at_exit(void)
{
    if (inited_pid != getpid())
        return;
    for (int i = 0; i < MAX_TH; i++) {
        if (live[i]) {
            /* The test did not free it: it failed. Show why, clean up. */
            th_dump(live[i], "test ended with tend still set up");
            th_free(live[i]);
        }
    }
    if (watchdog_fd >= 0) {
        close(watchdog_fd);
        watchdog_fd = -1;
        int st;
        while (waitpid(watchdog_pid, &st, 0) == -1 && errno == EINTR)
            ;
    }
}

void th_init(void)
{
    if (inited_pid == getpid())
        return;
    /* A fresh process (check forks one per test): nothing inherited counts. */
    inited_pid = getpid();
    memset(live, 0, sizeof live);
    th_seq = 0;
    watchdog_fd = -1;
    watchdog_pid = 0;
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    if (pipe2(p, O_CLOEXEC) == 0) {
        pid_t pid = fork();
        if (pid == 0)
            watchdog(p[0], inited_pid);
        close(p[0]);
        if (pid > 0) {
            watchdog_fd = p[1];
            watchdog_pid = pid;
        } else {
            close(p[1]);
        }
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        perror("harness: PR_SET_CHILD_SUBREAPER");
    atexit(at_exit);
}

/* ---- paths ---- */

static const char *env_or(const char *var, const char *dflt)
{
    const char *v = getenv(var);
    return v && *v ? v : dflt;
}

const char *th_tend_bin(void)
{
    return env_or("TEND_BIN", "build/tend");
}

const char *th_tendctl_bin(void)
{
    return env_or("TENDCTL_BIN", "build/tendctl");
}

const char *th_srcdir(void)
{
    return env_or("TEND_SRCDIR", ".");
}

const char *th_helper(const char *name)
{
    const char *dir = getenv("TEND_HELPERS");
    char *b = ring_buf();
    if (dir && *dir) {
        snprintf(b, RING_LEN, "%s/%s", dir, name);
    } else {
        /* Next to TEND_BIN: BUILD/tend -> BUILD/helpers/NAME. */
        char bin[PATH_MAX];
        if (!realpath(th_tend_bin(), bin))
            snprintf(bin, sizeof bin, "%s", th_tend_bin());
        char *slash = strrchr(bin, '/');
        if (slash)
            *slash = '\0';
        else
            strcpy(bin, ".");
        snprintf(b, RING_LEN, "%s/helpers/%s", bin, name);
    }
    return b;
}

const char *th_fmt(const char *fmt, ...)
{
    char *b = ring_buf();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, RING_LEN, fmt, ap);
    va_end(ap);
    return b;
}

const char *th_path(const struct th *t, const char *name)
{
    return th_fmt("%s/%s", t->dir, name);
}

const char *th_q(const char *s)
{
    char *b = ring_buf();
    size_t o = 0;
    b[o++] = '\'';
    for (; *s && o < RING_LEN - 6; s++) {
        if (*s == '\'') {
            memcpy(b + o, "'\\''", 4);
            o += 4;
        } else {
            b[o++] = *s;
        }
    }
    b[o++] = '\'';
    b[o] = '\0';
    return b;
}

/* ---- files ---- */

ssize_t th_read_file(const char *path, char *buf, size_t len)
{
    if (len == 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        buf[0] = '\0';
        return -1;
    }
    size_t got = 0;
    while (got < len - 1) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

int th_write_file(const char *path, bool exec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int len = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, exec ? 0755 : 0644);
    if (fd < 0) {
        free(text);
        return -1;
    }
    int rc = 0;
    size_t off = 0;
    while (off < (size_t)len) {
        ssize_t n = write(fd, text + off, (size_t)len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = -1;
            break;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0)
        rc = -1;
    if (exec && rc == 0)
        chmod(path, 0755);
    free(text);
    return rc;
}

int th_wait_file(const char *path, const char *substring, int timeout_ms)
{
    th_init();
    static char buf[1 << 20];
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        ssize_t n = th_read_file(path, buf, sizeof buf);
        if (n >= 0 && (!substring || strstr(buf, substring)))
            return 0;
        if (th_now_ms() >= deadline)
            break;
        th_reap();
        th_nap(10);
    }
    fprintf(stderr, "harness: timed out waiting for %s to contain \"%s\"\n", path,
            substring ? substring : "(exist)");
    return -1;
}

int th_count_in_file(const char *path, const char *needle)
{
    static char buf[1 << 20];
    if (th_read_file(path, buf, sizeof buf) < 0 || !*needle)
        return 0;
    int n = 0;
    for (const char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

int th_kv(const char *text, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && (l[kl] == ' ' || l[kl] == '\t')) {
            const char *v = l + kl + 1;
            size_t n = strcspn(v, "\n");
            if (outlen) {
                if (n >= outlen)
                    n = outlen - 1;
                memcpy(out, v, n);
                out[n] = '\0';
            }
            return 0;
        }
    }
    return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    if (getenv("TH_KEEP")) {
        fprintf(stderr, "harness: kept %s\n", dir);
        return;
    }
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- cgroups (issue 18) ---- */

static char cg_base[512];       /* the test's own cgroup directory */
static const char *cg_why;      /* why there is none, once looked up */

const char *th_cgroup_unavailable(void)
{
    if (cg_base[0] || cg_why)
        return cg_base[0] ? NULL : cg_why;
    cg_why = "no cgroup2 mount";
    char line[4096], mnt[256] = "", own[256] = "";
    FILE *f = fopen("/proc/self/mountinfo", "re");
    while (f && fgets(line, sizeof line, f)) {
        char *sep = strstr(line, " - ");
        char root[256], m[256], opts[256];
        if (sep && !strncmp(sep + 3, "cgroup2 ", 8) &&
            sscanf(line, "%*s %*s %*s %255s %255s %255s", root, m, opts) == 3 &&
            !strcmp(root, "/") && strncmp(opts, "ro", 2))
            snprintf(mnt, sizeof mnt, "%s", m);
    }
    if (f)
        fclose(f);
    f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = 0;
            if (snprintf(own, sizeof own, "%s", strcmp(line + 3, "/") ? line + 3 : "") >=
                (int)sizeof own)
                own[0] = 0;
        }
    if (f)
        fclose(f);
    if (!mnt[0])
        return cg_why;
    char path[1024];
    snprintf(path, sizeof path, "%s%s/cgroup.procs", mnt, own);
    if (access(path, W_OK) < 0) {
        cg_why = "cgroup2 is not writable here";
        return cg_why;
    }
    snprintf(cg_base, sizeof cg_base, "%.200s%.200s", mnt, own);
    return NULL;
}

static int rm_cgroup_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)f;
    if (flag == FTW_DP)
        rmdir(path);            /* a cgroup's files go with its directory */
    return 0;
}

/* Kill what is left in T's cgroup and remove it, its children first. */
static void remove_cgroup(struct th *t)
{
    if (!t->cgroup[0])
        return;
    char path[512], buf[256];
    snprintf(path, sizeof path, "%s/cgroup.kill", t->cgroup);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "1", 1) < 0) {
            /* nothing to kill, or an older kernel */
        }
        close(fd);
    }
    snprintf(path, sizeof path, "%s/cgroup.events", t->cgroup);
    for (uint64_t end = th_now_ms() + 5000; th_now_ms() < end; th_nap(5)) {
        th_reap();
        if (th_read_file(path, buf, sizeof buf) < 0 || strstr(buf, "populated 0"))
            break;
    }
    nftw(t->cgroup, rm_cgroup_one, 16, FTW_DEPTH | FTW_PHYS);
    tell_watchdog('-', t->cgroup);
    t->cgroup[0] = 0;
}

/* ---- processes ---- */

bool th_pid_alive(pid_t pid)
{
    if (pid <= 0)
        return false;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (th_read_file(path, buf, sizeof buf) <= 0)
        return false;
    /* The state follows the last ')' (the command may hold parentheses). */
    char *rp = strrchr(buf, ')');
    if (!rp || rp[1] != ' ')
        return false;
    return rp[2] != 'Z' && rp[2] != 'X' && rp[2] != 'x';
}

static void record_exit(pid_t pid, int st)
{
    for (int i = 0; i < MAX_TH; i++) {
        if (live[i] && live[i]->pid == pid && !live[i]->exited) {
            live[i]->exited = true;
            live[i]->wstatus = st;
        }
    }
}

void th_reap(void)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p == -1 && errno == EINTR)
            continue;
        if (p <= 0)
            return;
        if (p == watchdog_pid)
            watchdog_pid = 0;
        record_exit(p, st);
    }
}

int th_count_procs_with(const char *needle)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    pid_t self = getpid();
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 0 || v == self || !th_pid_alive((pid_t)v))
            continue;
        char path[64], cmd[8192];
        snprintf(path, sizeof path, "/proc/%ld/cmdline", v);
        ssize_t len = th_read_file(path, cmd, sizeof cmd);
        for (ssize_t i = 0; i < len - 1; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        if (len > 0 && strstr(cmd, needle))
            n++;
    }
    closedir(d);
    return n;
}

int th_wait_gone(pid_t pid, int timeout_ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    while (th_pid_alive(pid)) {
        if (th_now_ms() >= deadline)
            return -1;
        th_reap();
        th_nap(5);
    }
    th_reap();
    return 0;
}

static int shell_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

bool th_exited(struct th *t)
{
    if (!t->pid)
        return true;
    if (t->exited)
        return true;
    int st;
    pid_t p;
    while ((p = waitpid(t->pid, &st, WNOHANG)) == -1 && errno == EINTR)
        ;
    if (p == t->pid) {
        t->exited = true;
        t->wstatus = st;
    }
    return t->exited;
}

int th_wait_exit(struct th *t, int timeout_ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    while (!th_exited(t)) {
        if (th_now_ms() >= deadline)
            return -1;
        th_nap(5);
    }
    return shell_status(t->wstatus);
}

int th_stop(struct th *t, int sig, int timeout_ms)
{
    if (th_exited(t))
        return shell_status(t->wstatus);
    kill(t->pid, sig);
    int rc = th_wait_exit(t, timeout_ms);
    if (rc == -1) {
        th_dump(t, "tend did not exit in time; killing it");
        kill(-t->pid, SIGKILL);
        kill(t->pid, SIGKILL);
        th_wait_exit(t, 5000);
        return -1;
    }
    return rc;
}

/* Reset what a child must not inherit from the test process. */
static void child_signals(const sigset_t *mask, const int *ignore)
{
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    }
    for (const int *s = ignore; s && *s; s++)
        signal(*s, SIG_IGN);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, mask ? mask : &empty, NULL);
}

static void register_th(struct th *t)
{
    for (int i = 0; i < MAX_TH; i++) {
        if (live[i] == t)
            return;
    }
    for (int i = 0; i < MAX_TH; i++) {
        if (!live[i]) {
            live[i] = t;
            return;
        }
    }
}

static void unregister_th(struct th *t)
{
    for (int i = 0; i < MAX_TH; i++) {
        if (live[i] == t)
            live[i] = NULL;
    }
}

int th_spawn(struct th *t, const struct th_opts *o)
{
    static const struct th_opts none;
    if (!o)
        o = &none;
    th_init();
    const char *argv[64];
    int n = 0;
    argv[n++] = th_tend_bin();
    if (!o->no_conf) {
        argv[n++] = "-c";
        argv[n++] = t->conf;
    }
    for (const char *const *a = o->args; a && *a && n < 62; a++)
        argv[n++] = *a;
    argv[n] = NULL;

    if (!t->cgroup[0] && !th_cgroup_unavailable()) {
        snprintf(t->cgroup, sizeof t->cgroup, "%.180s/tend-test-%.60s", cg_base, t->mark);
        if (mkdir(t->cgroup, 0755) < 0 && errno != EEXIST)
            return -1;
        tell_watchdog('+', t->cgroup);
    }
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (t->cgroup[0]) {
            /* tend in a cgroup of its own, so nothing it does there
             * touches the test's */
            char procs[300];
            snprintf(procs, sizeof procs, "%s/cgroup.procs", t->cgroup);
            int cfd = open(procs, O_WRONLY | O_CLOEXEC);
            if (cfd < 0 || write(cfd, "0", 1) != 1)
                _exit(121);
            close(cfd);
        }
        if (!o->same_pgrp)
            setpgid(0, 0);
        setenv(MARK_VAR, t->mark, 1);
        unsetenv("TEND_CONFIG");
        unsetenv("TEND_CONTROL");
        unsetenv("NOTIFY_SOCKET");
        for (const char *const *e = o->env; e && *e; e++) {
            const char *eq = strchr(*e, '=');
            if (eq) {
                char key[256];
                snprintf(key, sizeof key, "%.*s", (int)(eq - *e), *e);
                setenv(key, eq + 1, 1);
            } else {
                unsetenv(*e);
            }
        }
        int in = open(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY);
        int out = open(t->outlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int err = open(t->errlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in < 0 || out < 0 || err < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        for (int i = 0; i < o->inherit_fds; i++) {
            int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: on purpose */
            if (fd >= 0 && fd != 3 + i) {
                dup2(fd, 3 + i);
                close(fd);
            }
        }
        child_signals(o->sigmask, o->ignore);
        if (o->as_nobody && geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
            _exit(122);
        execv(argv[0], (char *const *)argv);
        dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (!o->same_pgrp)
        setpgid(pid, pid); /* both sides, so kill(-pid) works at once */
    t->pid = pid;
    t->exited = false;
    t->wstatus = 0;
    register_th(t);
    return 0;
}

/* Write T's config: the rundir preamble, then BODY with @DIR@ replaced. */
static int write_conf(struct th *t, const struct th_opts *o, const char *body)
{
    size_t dl = strlen(t->dir), n = 0;
    for (const char *p = body; (p = strstr(p, "@DIR@")); p += 5)
        n++;
    char *out = malloc(strlen(body) + n * dl + 1);
    if (!out)
        return -1;
    char *w = out;
    for (const char *p = body; *p;) {
        if (strncmp(p, "@DIR@", 5) == 0) {
            memcpy(w, t->dir, dl);
            w += dl;
            p += 5;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    int rc;
    if (o && o->no_rundir)
        rc = th_write_file(t->conf, false, "%s", out);
    else
        rc = th_write_file(t->conf, false, "[supervisor]\nrundir = %s\n%s", t->rundir, out);
    free(out);
    return rc;
}

int th_config(struct th *t, const struct th_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = NULL;
    int rc = vasprintf(&body, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    rc = write_conf(t, o, body);
    free(body);
    return rc;
}

static struct th *th_vnew(const struct th_opts *o, const char *fmt, va_list ap)
{
    th_init();
    struct th *t = calloc(1, sizeof *t);
    ck_assert_msg(t != NULL, "harness: out of memory");
    snprintf(t->dir, sizeof t->dir, "/tmp/tend-test-XXXXXX");
    ck_assert_msg(mkdtemp(t->dir) != NULL, "harness: mkdtemp: %s", strerror(errno));
    snprintf(t->rundir, sizeof t->rundir, "%.255s/run", t->dir);
    snprintf(t->control, sizeof t->control, "%.255s/run/control", t->dir);
    snprintf(t->statusfile, sizeof t->statusfile, "%.255s/run/status", t->dir);
    snprintf(t->conf, sizeof t->conf, "%s/tend.ini", t->dir);
    snprintf(t->outlog, sizeof t->outlog, "%s/tend.out", t->dir);
    snprintf(t->errlog, sizeof t->errlog, "%s/tend.err", t->dir);
    snprintf(t->mark, sizeof t->mark, "th-%d-%u", (int)getpid(), ++th_seq);
    tell_watchdog('+', t->dir);
    register_th(t); /* so at_exit cleans the folder even if tend never starts */
    if (fmt) {
        char *body = NULL;
        ck_assert_msg(vasprintf(&body, fmt, ap) >= 0, "harness: out of memory");
        ck_assert_msg(write_conf(t, o, body) == 0, "harness: cannot write %s", t->conf);
        free(body);
    }
    return t;
}

struct th *th_new(const struct th_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct th *t = th_vnew(o, fmt, ap);
    va_end(ap);
    return t;
}

static struct th *th_vstart(const struct th_opts *o, const char *fmt, va_list ap)
{
    struct th *t = th_vnew(o, fmt, ap);
    ck_assert_msg(th_spawn(t, o) == 0, "harness: cannot start %s: %s", th_tend_bin(),
                  strerror(errno));
    return t;
}

struct th *th_start(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct th *t = th_vstart(NULL, fmt, ap);
    va_end(ap);
    return t;
}

struct th *th_start_args(const char *const extra_argv[], const char *fmt, ...)
{
    struct th_opts o = { .args = extra_argv };
    va_list ap;
    va_start(ap, fmt);
    struct th *t = th_vstart(&o, fmt, ap);
    va_end(ap);
    return t;
}

struct th *th_start_opts(const struct th_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct th *t = th_vstart(o, fmt, ap);
    va_end(ap);
    return t;
}

void th_free(struct th *t)
{
    if (!t)
        return;
    if (t->pid && !th_exited(t)) {
        kill(-t->pid, SIGKILL);
        kill(t->pid, SIGKILL);
        th_wait_exit(t, 5000);
    }
    char needle[96];
    snprintf(needle, sizeof needle, MARK_VAR "=%s", t->mark);
    kill_all_marked(needle, true);
    remove_cgroup(t);
    unregister_th(t);
    remove_tree(t->dir);
    tell_watchdog('-', t->dir);
    free(t);
}

void th_dump(struct th *t, const char *why)
{
    static char buf[1 << 16];
    fprintf(stderr, "---- harness: %s (dir %s, tend pid %d%s)\n", why, t->dir, (int)t->pid,
            th_exited(t) ? ", exited" : "");
    if (th_read_file(t->statusfile, buf, sizeof buf) >= 0)
        fprintf(stderr, "-- %s:\n%s", t->statusfile, buf);
    else
        fprintf(stderr, "-- no status file\n");
    ssize_t n = th_read_file(t->errlog, buf, sizeof buf);
    if (n > 0) {
        const char *s = n > 3000 ? buf + n - 3000 : buf;
        fprintf(stderr, "-- end of %s:\n%s\n", t->errlog, s);
    }
    fprintf(stderr, "----\n");
}

/* ---- the status file ---- */

static int parse_line(const char *line, struct th_proc *p)
{
    memset(p, 0, sizeof *p);
    int pid = 0;
    if (sscanf(line, "%127s %31s pid=%d exit=%31s restarts=%d since=%lld", p->name, p->state,
               &pid, p->exit, &p->restarts, &p->since) != 6)
        return -1;
    p->pid = pid;
    return 0;
}

int th_proc(struct th *t, const char *name, struct th_proc *out)
{
    static char buf[1 << 16];
    if (th_read_file(t->statusfile, buf, sizeof buf) < 0)
        return -1;
    size_t nl = strlen(name);
    for (char *l = buf; *l;) {
        char *end = strchr(l, '\n');
        if (end)
            *end = '\0';
        if (strncmp(l, name, nl) == 0 && l[nl] == ' ')
            return parse_line(l, out);
        if (!end)
            break;
        l = end + 1;
    }
    return -1;
}

int th_status(struct th *t, const char *name, char *state, size_t statelen, pid_t *pid,
              char *exit, size_t exitlen, int *restarts)
{
    struct th_proc p;
    if (th_proc(t, name, &p) != 0)
        return -1;
    if (state && statelen)
        snprintf(state, statelen, "%s", p.state);
    if (pid)
        *pid = p.pid;
    if (exit && exitlen)
        snprintf(exit, exitlen, "%s", p.exit);
    if (restarts)
        *restarts = p.restarts;
    return 0;
}

/* Poll NAME's line until PRED holds. */
static int wait_until(struct th *t, const char *name, int timeout_ms,
                      bool (*pred)(const struct th_proc *, const void *), const void *arg,
                      const char *what)
{
    th_init();
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        /* Judge exit before reading, so a final rewrite is still seen. */
        bool gone = th_exited(t);
        struct th_proc p;
        if (th_proc(t, name, &p) == 0 && pred(&p, arg))
            return 0;
        if (gone || th_now_ms() >= deadline)
            break;
        th_nap(10);
    }
    char why[256];
    snprintf(why, sizeof why, "waiting for %s %s failed", name, what);
    th_dump(t, why);
    return -1;
}

static bool state_is(const struct th_proc *p, const void *arg)
{
    return strcmp(p->state, (const char *)arg) == 0;
}

static bool restarts_at_least(const struct th_proc *p, const void *arg)
{
    return p->restarts >= *(const int *)arg;
}

int th_wait_state(struct th *t, const char *name, const char *state, int timeout_ms)
{
    return wait_until(t, name, timeout_ms, state_is, state, state);
}

int th_wait_restarts(struct th *t, const char *name, int min, int timeout_ms)
{
    return wait_until(t, name, timeout_ms, restarts_at_least, &min, "restarts");
}

int th_stays_state(struct th *t, const char *name, const char *state, int ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)ms;
    do {
        struct th_proc p;
        if (th_proc(t, name, &p) != 0 || strcmp(p.state, state) != 0) {
            char why[256];
            snprintf(why, sizeof why, "%s left %s", name, state);
            th_dump(t, why);
            return -1;
        }
        th_nap(20);
    } while (th_now_ms() < deadline);
    return 0;
}

/* ---- running tendctl and other short programs ---- */

int th_run(const char *const argv[], char *out, size_t outlen, int timeout_ms)
{
    th_init();
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in < 0)
            _exit(127);
        dup2(in, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        child_signals(NULL, NULL);
        execv(argv[0], (char *const *)argv);
        dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    size_t got = 0;
    bool timed_out = false;
    char sink[4096];
    for (;;) {
        int64_t left = (int64_t)deadline - (int64_t)th_now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = { p[0], POLLIN, 0 };
        int r = poll(&pfd, 1, (int)(left > 100 ? 100 : left));
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        char *dst = out && got + 1 < outlen ? out + got : sink;
        size_t room = out && got + 1 < outlen ? outlen - 1 - got : sizeof sink;
        ssize_t n = read(p[0], dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != sink)
            got += (size_t)n;
    }
    close(p[0]);
    if (out && outlen)
        out[got] = '\0';
    int st = 0;
    for (;;) {
        if (timed_out)
            kill(pid, SIGKILL);
        pid_t w = waitpid(pid, &st, timed_out ? 0 : WNOHANG);
        if (w == pid)
            break;
        if (w == -1 && errno != EINTR)
            return -1;
        if (w == 0) {
            if (th_now_ms() >= deadline)
                timed_out = true;
            else
                th_nap(5);
        }
    }
    if (timed_out) {
        fprintf(stderr, "harness: %s timed out\n", argv[0]);
        return -1;
    }
    return shell_status(st);
}

int th_ctlv(struct th *t, char *out, size_t outlen, const char *const argv[])
{
    const char *full[64];
    int n = 0;
    full[n++] = th_tendctl_bin();
    full[n++] = "-s";
    full[n++] = t->control;
    for (const char *const *a = argv; *a && n < 63; a++)
        full[n++] = *a;
    full[n] = NULL;
    return th_run(full, out, outlen, 30000);
}

int th_ctl(struct th *t, char *out, size_t outlen, const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    const char *words[60];
    int n = 0;
    for (char *s = strtok(line, " \t\n"); s && n < 59; s = strtok(NULL, " \t\n"))
        words[n++] = s;
    words[n] = NULL;
    return th_ctlv(t, out, outlen, words);
}

char *th_slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    ck_assert_ptr_nonnull(b);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            ck_assert_ptr_nonnull(b);
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

pid_t th_pid(struct th *t, const char *name)
{
    pid_t pid = 0;
    return th_status(t, name, NULL, 0, &pid, NULL, 0, NULL) < 0 ? -1 : pid;
}
