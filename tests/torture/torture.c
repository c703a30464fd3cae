/* torture.c - a randomized, stateful torture test of tend (issue 12).
 *
 *   TORTURE_SEED=N     the seed (default: from the clock); printed first
 *   TORTURE_SECS=S     run for S seconds (default 600; 0: no time limit)
 *   TORTURE_STEPS=N    stop after N steps (default: no limit)
 *   TORTURE_SKIP=a,b   leave out kinds of action (reload, broken, request,
 *                      burst, kill, signal, restart, raw, rpc, main, deps)
 *                      or features (events, extras, cgroups), to get past
 *                      a known failure while it is being fixed
 *   TORTURE_VERBOSE=1  print every action as it is done
 *
 * It starts the real tend (TEND_BIN) with a random configuration, then takes
 * random steps: configuration edits applied by `tendctl reload` or SIGHUP
 * (add, remove, change, rename, depends_on edges, main, numprocs, a broken
 * file), requests (start, stop, restart, signal, wait, status, pid) alone,
 * fire-and-forget or from several clients at once (with reloads among
 * them), kills of tend's children, signals to tend, and shutdowns of tend
 * (SIGTERM, SIGINT, SIGQUIT, `shutdown`, with requests racing them) after
 * which it starts tend again. After every step it waits for tend to settle
 * (bounded) and checks, against a model of what it asked for:
 *
 *   (a) every child of tend is the pid of a process in the status file (a
 *       leftover of a removed program may live for its stopwaitsecs), no
 *       child stays a zombie, and nothing of tend's escapes from under it;
 *   (b) every RUNNING process is alive, tend's child, and its
 *       /proc/PID/exe and cmdline are those of its current configuration;
 *   (c) `tendctl status`, `tendctl status --json` and <rundir>/status agree
 *       on every process's name, state and pid;
 *   (d) tend's fd count and VmRSS stay bounded after a warm-up;
 *   (e) a shutdown ends within the sum of the stopwaitsecs (plus a margin),
 *       with the expected status, and no process of the test survives it;
 *       tend never exits unless told to (or its main program ended);
 *   (f) every request gets its final line (`ok` / `error:`) in time;
 *   (g) a program that should run (started, not stopped on request, its
 *       dependencies healthy) is not left STOPPED/FATAL, and one stopped on
 *       request is not running (unless a wanted program needs it);
 *   (h) a reload of an unchanged file, SIGUSR2 and SIGWINCH restart nothing;
 *       a broken file is refused and changes nothing;
 *   (q) tend settles: names in status match the configuration, and no
 *       healthy program stays STARTING/STOPPING;
 *   (x) every XML-RPC call gets a well-formed answer (params or a fault)
 *       within its deadline, unless tend exited;
 *   (l) event listeners (helpers/evlisten, which now and then FAIL, die or
 *       write garbage): an event answered OK is never delivered again, and
 *       each listener gets the events new to its pool in serial order;
 *   (o) after tend exits, no cgroup of a process is left, and every record
 *       of the JSON and timestamped file logs (small maxbytes, so rotated
 *       under the writer thread) is whole.
 *
 * The configurations also hold event listener pools (random events,
 * buffer_size, numprocs), a [unix_http_server] (XML-RPC calls mixed into
 * requests and bursts: start/stop/signal/getAllProcessInfo; supervisorctl's
 * update as reloadConfig + stop/remove/addProcessGroup; supervisor.restart),
 * stdin = pipe, rlimit_nofile, nice, memory_max, and cgroups = on in the
 * harness's own cgroup for half the runs of tend where cgroup2 is writable.
 *
 * On failure it prints the seed, the step, the last actions, the failed
 * invariant, the configuration and the end of tend's stderr, stops tend with
 * SIGTERM (so a sanitizer build reports leaks) and returns 1.
 *
 * Built two ways: tests/torture/torture (`make torture`, 600 s by default) and
 * included by tests/integration/test_torture.c for a bounded run (60 s by
 * default) inside `make check`. Both are check programs with one test.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "tests/integration/harness.h"

#define MAXPROG 6       /* programs in the configuration at most */
#define MAXDEPS 3
#define MAXNUM 3        /* numprocs at most */
#define MAXENT 64       /* status lines */
#define MAXCLI 12
#define HIST 32
#define NAMELEN 48

/* ---- random numbers (xorshift64*, seeded through splitmix64) ---- */

static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
    uint64_t z = s + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    rng_state = (z ^ (z >> 31)) | 1;
}

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static int rnd(int n)
{
    return n <= 1 ? 0 : (int)(rng_next() % (uint64_t)n);
}

static bool chance(int percent)
{
    return rnd(100) < percent;
}

/* ---- the model ---- */

/* K_LISTEN is an [eventlistener:x] (helpers/evlisten), never a dependency
 * nor a dependent nor main; programs take kinds below it. */
enum kind { K_SLEEP, K_TAIL, K_SH, K_ABS, K_IGN, K_SPAM, K_CRASH_FAST, K_CRASH_RUN, K_LISTEN,
            NKINDS };
static const char *const kind_name[NKINDS] = {
    "sleep", "tail", "sh-exec", "abs-sleep", "sig_ignore", "spam", "crash-fast", "crash-run",
    "listener"
};
/* a listener in mode 2 dies now and then, like a crashing program */
#define CRASHY(p) (((p)->kind >= K_CRASH_FAST && (p)->kind != K_LISTEN) || \
                   ((p)->kind == K_LISTEN && (p)->var == 2))
#define LISTENER(p) ((p)->kind == K_LISTEN)

struct prog {
    char name[24];
    int kind, var, numprocs, startsecs, stopwait, priority;
    bool main;
    int ndeps;
    char deps[MAXDEPS][24];
    int want; /* 1: should run; 0: stopped on request; -1: unknown (a race);
                 2: stopped by tend with a dependency: runs once they all should */
    /* the newer features: events (index) and buffer_size of a listener;
     * log 1: a json file log, 2: a timestamped text one (small maxbytes);
     * stdin = pipe; rlimit_nofile (0: unset); nice (-1: unset); memory_max */
    int ev, bufsz, log, nofile, nice;
    bool pipe_in, memmax;
};

struct model {
    int n;
    struct prog p[MAXPROG];
};

/* A status line, from any of the three sources. */
struct ent {
    char name[NAMELEN];
    char state[16];
    int pid;
};
struct snap {
    int n;
    struct ent e[MAXENT];
};

struct client {
    pid_t pid;
    bool done;
    bool rpc; /* helpers/xrpc: an XML-RPC call, not tendctl */
    int rc;
    uint64_t started;
    int limit_ms;
    char desc[256];
    char outpath[PATH_MAX];
    char out[65536];
};

static struct {
    struct th *t;
    struct model m;
    uint64_t seed;
    int step, epoch, serial;
    jmp_buf fail_jmp;
    char hist[HIST][320];
    int nhist;
    bool verbose;
    char skip[256];
    bool asan;
    bool have_base;
    bool cg_on, rpc; /* this tend: cgroups = on; a [unix_http_server] */
    long ev_off;     /* how far ev.rec has been checked */
    int nev;
    struct evrec { char pool[24]; long serial; bool ok; } ev[4096];
    struct { int pid; long max; } evpid[512];
    int nevpid;
    long n_rpc, n_ev, n_logrec, n_cgrun; /* for the summary */
    char sock[PATH_MAX];
    long fd_base, rss_base;
    int n_base, warm_step;
    long fd_max, rss_max;
    char asan_env[2048];
    const char *env[2];
    struct th_opts opts;
    bool may_end;  /* this step may end tend (it touched the main program) */
    bool must_end; /* this step must end tend (it killed the main program) */
    struct client cli[MAXCLI];
    int ncli;
    int shutdowns;
    long long shutdown_ms_max;
    int counts[16];
} tt;

enum act { A_RELOAD, A_BROKEN, A_REQUEST, A_BURST, A_KILL, A_SIGNAL, A_RESTART, A_RAW, A_RPC,
           NACT };
static const char *const act_name[NACT] = {
    "reload", "broken", "request", "burst", "kill", "signal", "restart", "raw", "rpc"
};

static bool skipped(const char *what)
{
    size_t l = strlen(what);
    for (const char *s = tt.skip; (s = strstr(s, what)); s += l)
        if ((s == tt.skip || s[-1] == ',') && (s[l] == '\0' || s[l] == ','))
            return true;
    return false;
}

/* ---- history and failure ---- */

static void hist(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hist(const char *fmt, ...)
{
    char line[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    snprintf(tt.hist[tt.nhist % HIST], sizeof tt.hist[0], "step %d.%d: %s", tt.step, tt.epoch,
             line);
    if (tt.verbose)
        printf("torture: %s\n", tt.hist[tt.nhist % HIST]);
    tt.nhist++;
}

static void print_file_tail(const char *label, const char *path, size_t max)
{
    static char buf[1 << 20];
    ssize_t n = th_read_file(path, buf, sizeof buf);
    if (n <= 0)
        return;
    const char *s = (size_t)n > max ? buf + n - max : buf;
    fprintf(stderr, "-- %s (%s):\n%s\n", label, path, s);
}

/* The last LINES lines of tend's log, without the chatter about replies. */
static void print_log_tail(const char *path, int lines)
{
    static char buf[4 << 20];
    ssize_t n = th_read_file(path, buf, sizeof buf);
    if (n <= 0)
        return;
    int seen = 0;
    char *start = buf;
    for (char *p = buf + n; p > buf; p--) {
        if (p[-1] != '\n' || p == buf + n)
            continue;
        /* a line starts at p */
        if (!strstr(p, "DEBUG control:") || strchr(p, '\n') < strstr(p, "DEBUG control:"))
            if (++seen > lines) {
                start = p;
                break;
            }
    }
    fprintf(stderr, "-- tend's log (%s), the last %d lines but replies:\n", path, lines);
    for (char *l = start; *l;) {
        char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char *dc = strstr(l, "DEBUG control:");
        if (!dc || (nl && dc > nl))
            fprintf(stderr, "%.*s\n", (int)len, l);
        if (!nl)
            break;
        l = nl + 1;
    }
}

/* ASAN_OPTIONS=log_path=PREFIX: reports land in PREFIX.PID. */
static void print_sanitizer_reports(void)
{
    const char *o = getenv("ASAN_OPTIONS");
    const char *lp = o ? strstr(o, "log_path=") : NULL;
    if (!lp)
        return;
    char prefix[PATH_MAX];
    snprintf(prefix, sizeof prefix, "%.*s", (int)strcspn(lp + 9, ":"), lp + 9);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", prefix);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        print_file_tail("sanitizer report", th_fmt("%s/%s", dir, e->d_name), 8000);
    }
    closedir(d);
}

static void stop_tend_for_good(void);

static void tfail(const char *inv, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void tfail(const char *inv, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "\ntorture: FAILED: seed %llu, step %d (tend run %d)\n",
            (unsigned long long)tt.seed, tt.step, tt.epoch);
    fprintf(stderr, "torture: invariant %s: %s\n", inv, msg);
    fprintf(stderr, "torture: the last actions:\n");
    int from = tt.nhist > HIST ? tt.nhist - HIST : 0;
    for (int i = from; i < tt.nhist; i++)
        fprintf(stderr, "  %s\n", tt.hist[i % HIST]);
    if (tt.t) {
        print_file_tail("configuration", tt.t->conf, 8000);
        print_file_tail("status file", tt.t->statusfile, 8000);
        print_log_tail(tt.t->errlog, 120);
    }
    fprintf(stderr, "torture: again: TORTURE_SEED=%llu TORTURE_STEPS=%d (timing makes it "
            "approximate)\n", (unsigned long long)tt.seed, tt.step);
    stop_tend_for_good();
    print_sanitizer_reports();
    fflush(stderr);
    longjmp(tt.fail_jmp, 1);
}

/* ---- small helpers ---- */

static void reap_all(void)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p == -1 && errno == EINTR)
            continue;
        if (p <= 0)
            return;
        if (tt.t && p == tt.t->pid && !tt.t->exited) {
            tt.t->exited = true;
            tt.t->wstatus = st;
            continue;
        }
        for (int i = 0; i < tt.ncli; i++) {
            if (tt.cli[i].pid == p && !tt.cli[i].done) {
                tt.cli[i].done = true;
                tt.cli[i].rc = WIFEXITED(st) ? WEXITSTATUS(st)
                                             : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
            }
        }
    }
}

static bool tend_exited(void)
{
    reap_all();
    return tt.t->exited;
}

static int tend_status(void)
{
    int st = tt.t->wstatus;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

static long proc_status_kb(pid_t pid, const char *key)
{
    char buf[4096];
    if (th_read_file(th_fmt("/proc/%d/status", (int)pid), buf, sizeof buf) <= 0)
        return -1;
    const char *s = strstr(buf, key);
    return s ? strtol(s + strlen(key) + 1, NULL, 10) : -1;
}

/* ppid and state of PID from /proc/PID/stat: 0, or -1 when gone. */
static int pstat(pid_t pid, pid_t *ppid, char *state)
{
    char buf[1024];
    if (th_read_file(th_fmt("/proc/%d/stat", (int)pid), buf, sizeof buf) <= 0)
        return -1;
    char *rp = strrchr(buf, ')');
    if (!rp || rp[1] != ' ')
        return -1;
    char st;
    int pp;
    if (sscanf(rp + 2, "%c %d", &st, &pp) != 2)
        return -1;
    if (ppid)
        *ppid = pp;
    if (state)
        *state = st;
    return 0;
}

static bool alive(pid_t pid)
{
    char st;
    return pid > 0 && pstat(pid, NULL, &st) == 0 && st != 'Z' && st != 'X';
}

/* argv of PID as one line, words separated by " | "; argc in *argc. */
static int read_cmdline(pid_t pid, char argv[][PATH_MAX], int max)
{
    char buf[8192];
    ssize_t n = th_read_file(th_fmt("/proc/%d/cmdline", (int)pid), buf, sizeof buf);
    if (n <= 0)
        return -1;
    int c = 0;
    for (ssize_t i = 0; i < n && c < max; i += (ssize_t)strlen(buf + i) + 1)
        snprintf(argv[c++], PATH_MAX, "%s", buf + i);
    return c;
}

static void read_exe(pid_t pid, char *out, size_t len)
{
    ssize_t n = readlink(th_fmt("/proc/%d/exe", (int)pid), out, len - 1);
    out[n > 0 ? n : 0] = '\0';
}

/* The file a command word runs: PATH lookup for a bare name, then realpath. */
static void resolve_exe(const char *word, char *out)
{
    char cand[PATH_MAX];
    out[0] = '\0';
    if (strchr(word, '/')) {
        if (!realpath(word, out))
            snprintf(out, PATH_MAX, "%s", word);
        return;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *s = path; *s;) {
        size_t l = strcspn(s, ":");
        snprintf(cand, sizeof cand, "%.*s/%s", (int)l, s, word);
        if (access(cand, X_OK) == 0 && realpath(cand, out))
            return;
        s += l;
        if (*s == ':')
            s++;
    }
    snprintf(out, PATH_MAX, "%s", word);
}

/* ---- model queries ---- */

static int find_prog(const struct model *m, const char *name)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->p[i].name, name))
            return i;
    return -1;
}

/* NAME of the status line -> program index and process number. */
static int proc_of(const struct model *m, const char *name, int *num)
{
    for (int i = 0; i < m->n; i++) {
        const struct prog *p = &m->p[i];
        if (p->numprocs == 1) {
            if (!strcmp(name, p->name)) {
                *num = 0;
                return i;
            }
            continue;
        }
        size_t l = strlen(p->name);
        if (!strncmp(name, p->name, l) && name[l] == ':' && !strncmp(name + l + 1, p->name, l) &&
            name[2 * l + 1] == '_' && isdigit((unsigned char)name[2 * l + 2])) {
            int n = atoi(name + 2 * l + 2);
            if (n >= 0 && n < p->numprocs) {
                *num = n;
                return i;
            }
        }
    }
    return -1;
}

static void proc_name(const struct prog *p, int n, char *out, size_t len)
{
    if (p->numprocs == 1)
        snprintf(out, len, "%s", p->name);
    else
        snprintf(out, len, "%s:%s_%d", p->name, p->name, n);
}

static int nprocs_of(const struct model *m)
{
    int n = 0;
    for (int i = 0; i < m->n; i++)
        n += m->p[i].numprocs;
    return n;
}

static bool depends(const struct prog *p, const char *name)
{
    for (int k = 0; k < p->ndeps; k++)
        if (!strcmp(p->deps[k], name))
            return true;
    return false;
}

/* Mark in SET every program that I (transitively) depends on (DOWN) or that
 * depends on I (UP), I included. */
static void closure(const struct model *m, int i, bool up, bool set[MAXPROG])
{
    if (i < 0 || set[i])
        return;
    set[i] = true;
    for (int k = 0; k < m->n; k++) {
        if (up ? depends(&m->p[k], m->p[i].name) : depends(&m->p[i], m->p[k].name))
            closure(m, k, up, set);
    }
}

static int main_of(const struct model *m)
{
    for (int i = 0; i < m->n; i++)
        if (m->p[i].main)
            return i;
    return -1;
}

/* Does touching program I (stop, restart, change) reach the main program? */
static bool main_related(const struct model *m, int i)
{
    int mi = main_of(m);
    if (mi < 0 || i < 0)
        return false;
    bool set[MAXPROG] = { 0 };
    closure(m, mi, false, set);
    return set[i];
}

/* Should every process of I run, as far as the model can tell? */
/* What tend should do with program I: 1 run it, 0 leave it stopped, -1
 * unknown. A program stopped with a dependency (want 2) comes back once
 * every dependency should run again (a restart, a later start). */
static int effective_want(const struct model *m, int i)
{
    if (m->p[i].want != 2)
        return m->p[i].want;
    bool set[MAXPROG] = { 0 };
    closure(m, i, false, set);
    int w = 1;
    for (int k = 0; k < m->n; k++) {
        if (!set[k] || k == i)
            continue;
        int dk = effective_want(m, k);
        if (dk == 0)
            return 0;
        if (dk < 0)
            w = -1;
    }
    return w;
}

static bool eligible(const struct model *m, int i)
{
    bool set[MAXPROG] = { 0 };
    closure(m, i, false, set);
    for (int k = 0; k < m->n; k++)
        if (set[k] && (effective_want(m, k) != 1 || CRASHY(&m->p[k])))
            return false;
    return true;
}

static bool crash_closure(const struct model *m, int i)
{
    bool set[MAXPROG] = { 0 };
    closure(m, i, false, set);
    for (int k = 0; k < m->n; k++)
        if (set[k] && CRASHY(&m->p[k]))
            return true;
    return false;
}

static bool same_prog(const struct prog *a, const struct prog *b)
{
    if (a->kind != b->kind || a->var != b->var || a->numprocs != b->numprocs ||
        a->startsecs != b->startsecs || a->stopwait != b->stopwait ||
        a->priority != b->priority || a->main != b->main || a->ndeps != b->ndeps ||
        a->ev != b->ev || a->bufsz != b->bufsz || a->log != b->log || a->nofile != b->nofile ||
        a->nice != b->nice || a->pipe_in != b->pipe_in || a->memmax != b->memmax)
        return false;
    for (int k = 0; k < a->ndeps; k++)
        if (!depends(b, a->deps[k]))
            return false;
    return true;
}

static int max_stopwait(const struct model *m)
{
    int w = 1;
    for (int i = 0; i < m->n; i++)
        if (m->p[i].stopwait > w)
            w = m->p[i].stopwait;
    return w;
}

/* How long an orderly stop of everything may take, in ms. */
static int shutdown_bound(const struct model *m)
{
    int s = 0;
    for (int i = 0; i < m->n; i++)
        s += m->p[i].stopwait * m->p[i].numprocs;
    return s * 1000 + 5000 + (tt.asan ? 5000 : 0);
}

/* ---- the configuration ---- */

static void prog_command(const struct prog *p, char *buf, size_t len)
{
    switch (p->kind) {
    case K_SLEEP:
        snprintf(buf, len, "sleep 10%%(process_num)d%d", p->var);
        break;
    case K_TAIL:
        snprintf(buf, len, "%s", p->var % 2 ? "tail -n %(process_num)d -f /dev/null"
                                            : "tail -f -n %(process_num)d /dev/null");
        break;
    case K_SH:
        snprintf(buf, len, "/bin/sh -c 'exec sleep 20%%(process_num)d%d'", p->var);
        break;
    case K_ABS:
        snprintf(buf, len, "/bin/sleep 30%%(process_num)d%d", p->var);
        break;
    case K_IGN:
        snprintf(buf, len, "%s %s/ign%d_%%(process_num)d", th_helper("sig_ignore"), tt.t->dir,
                 p->var);
        break;
    case K_CRASH_FAST:
        snprintf(buf, len, "%s %d", th_helper("exitwith"), 3 + p->var);
        break;
    case K_SPAM: /* lines for the file logs to rotate, then it idles */
        snprintf(buf, len, "%s -n 2%%(process_num)d%d -l 100 -s -1", th_helper("spam"), p->var);
        break;
    case K_LISTEN:
        snprintf(buf, len, "%s %s/ev.rec %d", th_helper("evlisten"), tt.t->dir, p->var);
        break;
    default:
        snprintf(buf, len, "%s %d", th_helper("exitwith"), 10 + p->var);
        break;
    }
}

/* What process N of P must look like once it runs its command. */
struct expect {
    char exe[PATH_MAX];
    char alt[PATH_MAX]; /* also fine for a moment: sh before its exec */
    int argc;
    char argv[8][PATH_MAX];
};

static void expect_of(const struct prog *p, int n, struct expect *x)
{
    memset(x, 0, sizeof *x);
    switch (p->kind) {
    case K_SLEEP:
    case K_SH:
    case K_ABS: {
        const char *w = p->kind == K_ABS ? "/bin/sleep" : "sleep";
        resolve_exe(w, x->exe);
        if (p->kind == K_SH)
            resolve_exe("/bin/sh", x->alt);
        x->argc = 2;
        snprintf(x->argv[0], PATH_MAX, "%s", w);
        snprintf(x->argv[1], PATH_MAX, "%d0%d%d", p->kind == K_SLEEP ? 1 : p->kind == K_SH ? 2 : 3,
                 n, p->var);
        break;
    }
    case K_TAIL:
        resolve_exe("tail", x->exe);
        x->argc = 5;
        snprintf(x->argv[0], PATH_MAX, "tail");
        if (p->var % 2) {
            snprintf(x->argv[1], PATH_MAX, "-n");
            snprintf(x->argv[2], PATH_MAX, "%d", n);
            snprintf(x->argv[3], PATH_MAX, "-f");
        } else {
            snprintf(x->argv[1], PATH_MAX, "-f");
            snprintf(x->argv[2], PATH_MAX, "-n");
            snprintf(x->argv[3], PATH_MAX, "%d", n);
        }
        snprintf(x->argv[4], PATH_MAX, "/dev/null");
        break;
    case K_IGN:
        resolve_exe(th_helper("sig_ignore"), x->exe);
        x->argc = 2;
        snprintf(x->argv[0], PATH_MAX, "%s", th_helper("sig_ignore"));
        snprintf(x->argv[1], PATH_MAX, "%s/ign%d_%d", tt.t->dir, p->var, n);
        break;
    case K_SPAM: {
        static const char *const w[] = { "", "-n", "", "-l", "100", "-s", "-1" };
        resolve_exe(th_helper("spam"), x->exe);
        x->argc = 7;
        for (int k = 1; k < 7; k++)
            snprintf(x->argv[k], PATH_MAX, "%s", w[k]);
        snprintf(x->argv[0], PATH_MAX, "%s", th_helper("spam"));
        snprintf(x->argv[2], PATH_MAX, "2%d%d", n, p->var);
        break;
    }
    case K_LISTEN:
        resolve_exe(th_helper("evlisten"), x->exe);
        x->argc = 3;
        snprintf(x->argv[0], PATH_MAX, "%s", th_helper("evlisten"));
        snprintf(x->argv[1], PATH_MAX, "%s/ev.rec", tt.t->dir);
        snprintf(x->argv[2], PATH_MAX, "%d", p->var);
        break;
    default:
        resolve_exe(th_helper("exitwith"), x->exe);
        x->argc = 2;
        snprintf(x->argv[0], PATH_MAX, "%s", th_helper("exitwith"));
        snprintf(x->argv[1], PATH_MAX, "%d", (p->kind == K_CRASH_FAST ? 3 : 10) + p->var);
        break;
    }
}

static void copy_str(char *dst, size_t len, const char *src)
{
    size_t l = strlen(src);
    if (l >= len)
        l = len - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static const char *base(const char *s)
{
    const char *sl = strrchr(s, '/');
    return sl ? sl + 1 : s;
}

/* Does PID match X? Fills WHY with what it runs. 1 match, 0 transitional
 * (the alt exe), -1 mismatch, -2 gone. */
static int matches(pid_t pid, const struct expect *x, char *why, size_t len)
{
    char exe[PATH_MAX];
    static char argv[8][PATH_MAX];
    read_exe(pid, exe, sizeof exe);
    int argc = read_cmdline(pid, argv, 8);
    if (!alive(pid) || argc < 0 || !exe[0])
        return -2;
    size_t o = (size_t)snprintf(why, len, "exe %s, argv", exe);
    for (int i = 0; i < argc && o < len; i++)
        o += (size_t)snprintf(why + o, len - o, " [%s]", argv[i]);
    if (x->alt[0] && !strcmp(exe, x->alt))
        return 0;
    if (strcmp(exe, x->exe) || argc != x->argc)
        return -1;
    if (strcmp(base(argv[0]), base(x->argv[0])))
        return -1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], x->argv[i]))
            return -1;
    return 1;
}

static void describe_expect(const struct expect *x, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "exe %s, argv", x->exe);
    for (int i = 0; i < x->argc && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, " [%s]", x->argv[i]);
}

static const char *const ev_types[] = {
    "PROCESS_STATE", "PROCESS_STATE_RUNNING,PROCESS_STATE_EXITED,PROCESS_STATE_FATAL",
    "TICK_5,PROCESS_STATE_STOPPED", "EVENT"
};

/* The keys of the newer features for P. */
static size_t extras_config(const struct prog *p, char *out, size_t len)
{
    size_t o = 0;
    if (LISTENER(p))
        o += (size_t)snprintf(out + o, len - o, "events = %s\nbuffer_size = %d\n",
                              ev_types[p->ev], p->bufsz);
    if (p->log) {
        /* a listener's stdout is the protocol: its stderr is logged */
        const char *s = LISTENER(p) ? "stderr" : "stdout";
        o += (size_t)snprintf(out + o, len - o,
                              "%s_logfile = %s/logs/%s_%%(process_num)d.%s\n"
                              "%s_logfile_maxbytes = 2KB\n%s_logfile_backups = 3\n%s\n",
                              s, tt.t->dir, p->name, p->log == 1 ? "json" : "txt", s, s,
                              p->log == 1 ? "log_format = json" : "log_timestamp = rfc3339ms");
    }
    if (p->pipe_in)
        o += (size_t)snprintf(out + o, len - o, "stdin = pipe\n");
    if (p->nofile)
        o += (size_t)snprintf(out + o, len - o, "rlimit_nofile = %d\n", p->nofile);
    if (p->nice >= 0)
        o += (size_t)snprintf(out + o, len - o, "nice = %d\n", p->nice);
    if (p->memmax)
        o += (size_t)snprintf(out + o, len - o, "memory_max = 256MB\n");
    return o < len ? o : len - 1;
}

/* Random values for the newer features (a listener is made by the caller). */
static void random_extras(struct prog *p)
{
    p->nice = -1;
    if (LISTENER(p)) {
        p->ev = rnd(4);
        p->bufsz = (const int[]){ 1, 3, 10, 100 }[rnd(4)];
    }
    if (skipped("extras"))
        return;
    p->log = (LISTENER(p) || p->kind == K_SPAM) && chance(70) ? 1 + rnd(2) : chance(10);
    p->pipe_in = !LISTENER(p) && chance(25);
    p->nofile = chance(20) ? 256 << rnd(3) : 0;
    p->nice = chance(20) ? rnd(10) : -1;
    p->memmax = chance(15);
}

/* BROKEN: 0 a valid file; 1..3 a file tend must refuse. */
static void write_config(const struct model *m, int broken)
{
    static char body[1 << 16];
    size_t o = 0;
    o += (size_t)snprintf(body + o, sizeof body - o, "loglevel = debug\n%s\n",
                          tt.cg_on ? "cgroups = on\n" : "");
    if (tt.rpc)
        o += (size_t)snprintf(body + o, sizeof body - o, "[unix_http_server]\nfile = %s\n\n",
                              tt.sock);
    for (int i = 0; i < m->n; i++) {
        const struct prog *p = &m->p[i];
        char cmd[PATH_MAX * 2];
        prog_command(p, cmd, sizeof cmd);
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "[%s:%s]\ncommand = %s\nautorestart = true\nstartsecs = %d\n"
                              "startretries = 1\nstopwaitsecs = %d\npriority = %d\n",
                              LISTENER(p) ? "eventlistener" : "program", p->name, cmd,
                              p->startsecs, p->stopwait, p->priority);
        o += extras_config(p, body + o, sizeof body - o);
        if (p->numprocs > 1)
            o += (size_t)snprintf(body + o, sizeof body - o,
                                  "numprocs = %d\nprocess_name = %%(program_name)s_%%(process_num)d\n",
                                  p->numprocs);
        if (p->ndeps) {
            o += (size_t)snprintf(body + o, sizeof body - o, "depends_on =");
            for (int k = 0; k < p->ndeps; k++)
                o += (size_t)snprintf(body + o, sizeof body - o, "%s %s", k ? "," : "",
                                      p->deps[k]);
            o += (size_t)snprintf(body + o, sizeof body - o, "\n");
        }
        if (p->main)
            o += (size_t)snprintf(body + o, sizeof body - o, "main = true\n");
        o += (size_t)snprintf(body + o, sizeof body - o, "\n");
    }
    if (broken == 1)
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "[program:zz]\ncommand = sleep 5\ndepends_on = no_such_program\n");
    else if (broken == 2)
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "[program:zz]\ncommand = sleep 5\nstartsecs = soon\n");
    else if (broken == 3 && m->n > 0)
        /* a duplicate section merges (supervisord's reading), but a cycle
         * through it does not load */
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "[program:%s]\ndepends_on = zz\n[program:zz]\ncommand = sleep 5\n"
                              "depends_on = %s\n", m->p[0].name, m->p[0].name);
    else if (broken)
        o += (size_t)snprintf(body + o, sizeof body - o,
                              "[program:zz]\ncommand = sleep 5\nnumprocs = 2\n"); /* no process_name */
    if (th_config(tt.t, NULL, "%s", body) != 0)
        tfail("setup", "cannot write %s", tt.t->conf);
}

/* ---- model edits ---- */

static void new_prog(struct model *m, bool allow_crash)
{
    struct prog *p = &m->p[m->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "p%d", tt.serial++);
    p->kind = !skipped("events") && chance(20) ? K_LISTEN
                                                : rnd(allow_crash ? K_LISTEN : K_CRASH_FAST);
    p->var = rnd(LISTENER(p) && !allow_crash ? 2 : 4);
    p->numprocs = chance(25) ? 2 + rnd(MAXNUM - 1) : 1;
    p->startsecs = p->kind == K_CRASH_FAST ? 1 : p->kind == K_CRASH_RUN ? 0 : rnd(2);
    p->stopwait = 1 + rnd(2);
    p->priority = (const int[]){ 100, 200, 999 }[rnd(3)];
    p->want = 1;
    random_extras(p);
}

static int count_crashy(const struct model *m)
{
    int n = 0;
    for (int i = 0; i < m->n; i++)
        n += CRASHY(&m->p[i]);
    return n;
}

static void drop_dep(struct prog *p, const char *name)
{
    for (int k = 0; k < p->ndeps; k++) {
        if (!strcmp(p->deps[k], name)) {
            memmove(p->deps[k], p->deps[k + 1], sizeof p->deps[0] * (size_t)(p->ndeps - k - 1));
            p->ndeps--;
            return;
        }
    }
}

/* One random edit; a description goes to DESC. false when none applied. */
static bool edit_once(struct model *m, char *desc, size_t len)
{
    int what = rnd(10);
    int i = rnd(m->n);
    struct prog *p = m->n ? &m->p[i] : NULL;
    switch (what) {
    case 0:
    case 1: /* add */
        if (m->n >= MAXPROG)
            return false;
        new_prog(m, count_crashy(m) < 2);
        p = &m->p[m->n - 1];
        if (!skipped("deps") && m->n > 1 && chance(40) && !LISTENER(p)) {
            int d = rnd(m->n - 1);
            if (LISTENER(&m->p[d]))
                return true;
            memcpy(p->deps[p->ndeps++], m->p[d].name, sizeof p->deps[0]);
        }
        snprintf(desc, len, "add %s (%s x%d%s%s)", p->name, kind_name[p->kind], p->numprocs,
                 p->ndeps ? " depends_on " : "", p->ndeps ? p->deps[0] : "");
        return true;
    case 2: /* remove */
        if (m->n <= 1)
            return false;
        snprintf(desc, len, "remove %s%s", p->name, p->main ? " (main)" : "");
        for (int k = 0; k < m->n; k++)
            drop_dep(&m->p[k], p->name);
        memmove(&m->p[i], &m->p[i + 1], sizeof m->p[0] * (size_t)(m->n - i - 1));
        m->n--;
        return true;
    case 3: /* change the command */
        if (chance(50) || (p->main && CRASHY(p)) || LISTENER(p)) {
            p->var = (p->var + 1 + rnd(3)) % 4;
        } else {
            int k = rnd(count_crashy(m) < 2 && !p->main ? K_LISTEN : K_CRASH_FAST);
            if (k == p->kind)
                return false;
            p->kind = k;
            p->startsecs = k == K_CRASH_FAST ? 1 : k == K_CRASH_RUN ? 0 : rnd(2);
        }
        snprintf(desc, len, "change %s command to %s var %d", p->name, kind_name[p->kind], p->var);
        return true;
    case 4: /* change settings */
        if (!CRASHY(p))
            p->startsecs = rnd(2);
        p->stopwait = 1 + rnd(2);
        p->priority = (const int[]){ 100, 200, 999 }[rnd(3)];
        if (chance(40))
            random_extras(p);
        snprintf(desc, len, "change %s startsecs %d stopwaitsecs %d priority %d ev %d buf %d "
                 "log %d pipe %d nofile %d nice %d memmax %d", p->name, p->startsecs,
                 p->stopwait, p->priority, p->ev, p->bufsz, p->log, p->pipe_in, p->nofile,
                 p->nice, p->memmax);
        return true;
    case 5: { /* rename */
        char old[24];
        snprintf(old, sizeof old, "%s", p->name);
        snprintf(p->name, sizeof p->name, "p%d", tt.serial++);
        for (int k = 0; k < m->n; k++)
            for (int d = 0; d < m->p[k].ndeps; d++)
                if (!strcmp(m->p[k].deps[d], old))
                    snprintf(m->p[k].deps[d], sizeof m->p[k].deps[d], "%s", p->name);
        snprintf(desc, len, "rename %s to %s", old, p->name);
        return true;
    }
    case 6: { /* a depends_on edge */
        if (skipped("deps") || m->n < 2 || p->ndeps >= MAXDEPS || LISTENER(p))
            return false;
        int d = rnd(m->n);
        if (LISTENER(&m->p[d]))
            return false;
        bool up[MAXPROG] = { 0 };
        closure(m, i, true, up); /* i and everything that depends on i */
        if (up[d] || depends(p, m->p[d].name))
            return false; /* a cycle, or there already */
        memcpy(p->deps[p->ndeps++], m->p[d].name, sizeof p->deps[0]);
        snprintf(desc, len, "%s depends_on += %s", p->name, m->p[d].name);
        return true;
    }
    case 7: /* drop an edge */
        if (!p->ndeps)
            return false;
        snprintf(desc, len, "%s depends_on -= %s", p->name, p->deps[p->ndeps - 1]);
        p->ndeps--;
        return true;
    case 8: { /* main */
        if (skipped("main"))
            return false;
        int mi = main_of(m);
        if (mi >= 0 && chance(50)) {
            m->p[mi].main = false;
            snprintf(desc, len, "%s main = false", m->p[mi].name);
            return true;
        }
        if (CRASHY(p) || p->numprocs > 1 || p->main || LISTENER(p))
            return false;
        if (mi >= 0)
            m->p[mi].main = false;
        p->main = true;
        snprintf(desc, len, "%s main = true", p->name);
        return true;
    }
    default: /* numprocs */
        if (p->main)
            return false;
        p->numprocs = p->numprocs == 1 ? 2 + rnd(MAXNUM - 1) : chance(50) ? 1 : 2 + rnd(MAXNUM - 1);
        snprintf(desc, len, "%s numprocs = %d", p->name, p->numprocs);
        return true;
    }
}

/* After NM replaces OM: wants of added/changed programs; may this end tend? */
static bool apply_reload_wants(const struct model *om, struct model *nm)
{
    bool ends = false;
    for (int i = 0; i < nm->n; i++) {
        int o = find_prog(om, nm->p[i].name);
        /* depends_on names processes: a dependency with another numprocs
         * changes the list tend compares, hence the program */
        bool deps_same = true;
        for (int k = 0; o >= 0 && k < nm->p[i].ndeps; k++) {
            int a = find_prog(om, nm->p[i].deps[k]), b = find_prog(nm, nm->p[i].deps[k]);
            deps_same = deps_same && a >= 0 && b >= 0 &&
                        om->p[a].numprocs == nm->p[b].numprocs;
        }
        if (o >= 0 && deps_same && same_prog(&om->p[o], &nm->p[i])) {
            nm->p[i].want = om->p[o].want;
            continue;
        }
        /* changed: it restarts if it ran; whether one stopped on request
         * starts again is tend's call */
        nm->p[i].want = o >= 0 && om->p[o].want != 1 ? -1 : 1;
        if (main_related(nm, i) || (o >= 0 && main_related(om, o)))
            ends = true;
    }
    for (int o = 0; o < om->n; o++)
        if (find_prog(nm, om->p[o].name) < 0 && main_related(om, o))
            ends = true;
    /* a start that failed while a dependency crashed left its dependent
     * FATAL (documented: nothing starts it again); that dependency healthy
     * now does not change it */
    for (int i = 0; i < nm->n; i++) {
        int o = find_prog(om, nm->p[i].name);
        if (o < 0 || !CRASHY(&om->p[o]) || CRASHY(&nm->p[i]))
            continue;
        bool up[MAXPROG] = { 0 };
        closure(nm, i, true, up);
        for (int k = 0; k < nm->n; k++)
            if (up[k] && k != i && nm->p[k].want == 1)
                nm->p[k].want = -1;
    }
    return ends;
}

/* Does NM add, remove, move or change the main program of OM? */
static bool main_touched(const struct model *om, const struct model *nm)
{
    int a = main_of(om), b = main_of(nm);
    if (a < 0 && b < 0)
        return false;
    if (a < 0 || b < 0 || strcmp(om->p[a].name, nm->p[b].name))
        return true;
    return !same_prog(&om->p[a], &nm->p[b]);
}

/* ---- status sources ---- */

static int read_statusfile(struct snap *s)
{
    static char buf[1 << 16];
    s->n = 0;
    if (th_read_file(tt.t->statusfile, buf, sizeof buf) < 0)
        return -1;
    for (char *l = buf; *l && s->n < MAXENT;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        struct ent *e = &s->e[s->n];
        if (sscanf(l, "%47s %15s pid=%d", e->name, e->state, &e->pid) == 3)
            s->n++;
        if (!nl)
            break;
        l = nl + 1;
    }
    return 0;
}

static bool is_state(const char *s)
{
    static const char *const st[] = { "STOPPED", "STARTING", "RUNNING", "BACKOFF",
                                      "STOPPING", "EXITED", "FATAL", "UNKNOWN" };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        if (!strcmp(s, st[i]))
            return true;
    return false;
}

static void parse_text(const char *out, struct snap *s)
{
    s->n = 0;
    for (const char *l = out; *l && s->n < MAXENT;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)len, l);
        struct ent *e = &s->e[s->n];
        char rest[400] = "";
        e->pid = 0;
        if (sscanf(line, "%47s %15s %399[^\n]", e->name, e->state, rest) >= 2 &&
            is_state(e->state)) {
            if (!strncmp(rest, "pid ", 4))
                e->pid = atoi(rest + 4);
            s->n++;
        }
        if (!nl)
            break;
        l = nl + 1;
    }
}

static void parse_json(const char *out, struct snap *s)
{
    s->n = 0;
    for (const char *p = out; (p = strstr(p, "{\"name\": \"")) && s->n < MAXENT;) {
        struct ent *e = &s->e[s->n];
        p += 10;
        size_t l = strcspn(p, "\"");
        snprintf(e->name, sizeof e->name, "%.*s", (int)l, p);
        const char *st = strstr(p, "\"state\": \"");
        const char *pd = strstr(p, "\"pid\": ");
        if (!st || !pd)
            break;
        st += 10;
        snprintf(e->state, sizeof e->state, "%.*s", (int)strcspn(st, "\""), st);
        e->pid = atoi(pd + 7);
        s->n++;
        p = pd;
    }
}

static const struct ent *snap_find(const struct snap *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].name, name))
            return &s->e[i];
    return NULL;
}

static void snap_str(const struct snap *s, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < s->n && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%s %s %d", i ? "; " : "", s->e[i].name,
                              s->e[i].state, s->e[i].pid);
}

/* Same names, states and pids? TEXT_PIDS: B comes from the text form, which
 * shows a pid only where it has one to show. */
static bool snap_same(const struct snap *a, const struct snap *b, bool text_pids)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++) {
        const struct ent *x = snap_find(b, a->e[i].name);
        if (!x || strcmp(x->state, a->e[i].state))
            return false;
        if (text_pids ? (x->pid && x->pid != a->e[i].pid) : x->pid != a->e[i].pid)
            return false;
        if (text_pids && !x->pid && a->e[i].pid && !strcmp(x->state, "RUNNING"))
            return false;
    }
    return true;
}

/* ---- tendctl clients ---- */

static void reset_child_signals(void)
{
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
}

/* Start `tendctl -s CONTROL WORDS...` (RPC: `xrpc SOCKET METHOD ARGS...`)
 * in the background. Returns its slot. */
static int cli_startv(bool rpc, int limit_ms, const char *fmt, va_list ap)
{
    if (tt.ncli >= MAXCLI)
        tfail("setup", "too many clients");
    int slot = tt.ncli++;
    struct client *c = &tt.cli[slot];
    memset(c, 0, sizeof *c);
    c->rpc = rpc;
    vsnprintf(c->desc, sizeof c->desc, fmt, ap);
    snprintf(c->outpath, sizeof c->outpath, "%s/client%d.out", tt.t->dir, slot);
    char line[256];
    snprintf(line, sizeof line, "%s", c->desc);
    const char *argv[40];
    int n = 0;
    if (rpc) {
        argv[n++] = th_helper("xrpc");
        argv[n++] = tt.sock;
    } else {
        argv[n++] = th_tendctl_bin();
        argv[n++] = "-s";
        argv[n++] = tt.t->control;
    }
    for (char *w = strtok(line, " "); w && n < 39; w = strtok(NULL, " "))
        argv[n++] = w;
    argv[n] = NULL;
    c->limit_ms = limit_ms;
    c->started = th_now_ms();
    pid_t pid = fork();
    if (pid < 0)
        tfail("setup", "fork: %s", strerror(errno));
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(c->outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        reset_child_signals();
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    c->pid = pid;
    return slot;
}

static int cli_start(int limit_ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cli_start(int limit_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int slot = cli_startv(false, limit_ms, fmt, ap);
    va_end(ap);
    return slot;
}

/* An XML-RPC call in the background: `METHOD s:ARG i:N b:B ...`. */
static int rpc_start(int limit_ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rpc_start(int limit_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int slot = cli_startv(true, limit_ms, fmt, ap);
    va_end(ap);
    return slot;
}

/* Wait for every client; read their output. Returns false if some had to be
 * killed at their deadline (they are then marked rc -1). */
static bool cli_wait_all(void)
{
    bool ok = true;
    for (;;) {
        reap_all();
        bool pending = false;
        uint64_t now = th_now_ms();
        for (int i = 0; i < tt.ncli; i++) {
            struct client *c = &tt.cli[i];
            if (c->done)
                continue;
            if (now > c->started + (uint64_t)c->limit_ms + 5000) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, NULL, 0);
                c->done = true;
                c->rc = -1;
                ok = false;
                continue;
            }
            pending = true;
        }
        if (!pending)
            break;
        th_nap(10);
    }
    for (int i = 0; i < tt.ncli; i++)
        th_read_file(tt.cli[i].outpath, tt.cli[i].out, sizeof tt.cli[i].out);
    return ok;
}

/* Invariant (f) for every finished client. TEND_MAY_GO: tend may have exited. */
static void cli_verdicts(bool tend_may_go)
{
    for (int i = 0; i < tt.ncli; i++) {
        struct client *c = &tt.cli[i];
        char *nl;
        while ((nl = strrchr(c->out, '\n')) && nl[1] == '\0')
            *nl = '\0';
        char flat[200];
        snprintf(flat, sizeof flat, "%s", c->out);
        for (char *f = flat; *f; f++)
            if (*f == '\n')
                *f = '|';
        tt.n_rpc += c->rpc;
        hist("  %s '%s' -> %d%s%s", c->rpc ? "xml-rpc" : "client", c->desc, c->rc,
             c->out[0] ? ": " : "", flat);
        if (c->rpc) {
            /* (x) a well-formed answer or a fault, in time */
            if (c->rc == 2 || c->rc == 127)
                tfail("setup", "xrpc %s: usage error %d: %s", c->desc, c->rc, c->out);
            if (c->rc == 1)
                tfail("(x) every XML-RPC call gets a well-formed answer",
                      "`%s` got a malformed answer: %s", c->desc, c->out);
            if ((c->rc < 0 || c->rc >= 4) && !(tend_may_go && tend_exited()))
                tfail("(x) every XML-RPC call gets a well-formed answer",
                      "`%s` got no answer within %d s (exit %d): %s", c->desc,
                      c->limit_ms / 1000 + 5, c->rc, c->out);
            continue;
        }
        if (c->rc == 2 || c->rc == 127)
            tfail("setup", "tendctl %s: usage error %d: %s", c->desc, c->rc, c->out);
        if ((c->rc == 4 || c->rc < 0) && !(tend_may_go && tend_exited()))
            tfail("(f) every request is answered",
                 "`tendctl %s` got no final line within %d s (exit %d): %s", c->desc,
                 c->limit_ms / 1000, c->rc, c->out);
    }
    tt.ncli = 0;
}

/* A synchronous tendctl: exit status; output in OUT. */
static int ctl(int limit_ms, char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int ctl(int limit_ms, char *out, size_t outlen, const char *fmt, ...)
{
    char words[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(words, sizeof words, fmt, ap);
    va_end(ap);
    if (tt.ncli)
        tfail("setup", "ctl with clients pending");
    cli_start(limit_ms, "%s", words);
    cli_wait_all();
    int rc = tt.cli[0].rc;
    if (out)
        copy_str(out, outlen, tt.cli[0].out);
    tt.ncli = 0;
    return rc;
}

/* ---- processes of the test ---- */

static bool environ_has_mark(pid_t pid, const char *needle)
{
    static char buf[1 << 16];
    ssize_t n = th_read_file(th_fmt("/proc/%d/environ", (int)pid), buf, sizeof buf);
    if (n <= 0)
        return false;
    size_t nl = strlen(needle);
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
        if (!strncmp(buf + i, needle, nl) && buf[i + nl] == '\0')
            return true;
    return false;
}

struct pinfo {
    pid_t pid;
    char state;
};

/* Children of tend (CH), and processes with the test's mark that are not
 * tend's children (ESC). Counts in *NCH, *NESC. */
static void scan_procs(struct pinfo *ch, int *nch, struct pinfo *esc, int *nesc, int max)
{
    char needle[96];
    snprintf(needle, sizeof needle, "TEND_TEST_MARK=%s", tt.t->mark);
    *nch = *nesc = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *e;
    pid_t self = getpid();
    pid_t tend = tt.t->exited ? -1 : tt.t->pid;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 1 || v == self || v == tend)
            continue;
        pid_t pp;
        char st;
        if (pstat((pid_t)v, &pp, &st) != 0)
            continue;
        if (pp == tend) {
            if (*nch < max)
                ch[(*nch)++] = (struct pinfo){ (pid_t)v, st };
        } else if (st != 'Z' && environ_has_mark((pid_t)v, needle)) {
            if (*nesc < max)
                esc[(*nesc)++] = (struct pinfo){ (pid_t)v, st };
        }
    }
    closedir(d);
}

static void describe_pid(pid_t pid, char *out, size_t len)
{
    char exe[PATH_MAX];
    static char argv[8][PATH_MAX];
    read_exe(pid, exe, sizeof exe);
    int argc = read_cmdline(pid, argv, 8);
    size_t o = (size_t)snprintf(out, len, "pid %d exe %s argv", (int)pid, exe[0] ? exe : "?");
    for (int i = 0; i < argc && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, " [%s]", argv[i]);
}

/* ---- starting and stopping tend ---- */

static void start_tend(void)
{
    unlink(tt.t->statusfile);
    for (int i = 0; i < tt.m.n; i++)
        tt.m.p[i].want = 1;
    /* cgroups is read at start-up only: chosen per run of tend */
    tt.cg_on = !skipped("cgroups") && !th_cgroup_unavailable() && chance(50);
    tt.n_cgrun += tt.cg_on;
    write_config(&tt.m, 0);
    truncate(th_path(tt.t, "ev.rec"), 0);
    tt.ev_off = 0;
    tt.nev = 0;
    tt.nevpid = 0;
    if (th_spawn(tt.t, &tt.opts) != 0)
        tfail("setup", "cannot start %s: %s", th_tend_bin(), strerror(errno));
    tt.epoch++;
    tt.have_base = false;
    tt.warm_step = tt.step + 4;
    hist("tend started, pid %d%s", (int)tt.t->pid, tt.cg_on ? ", cgroups = on" : "");
    /* A sanitizer build maps libasan; give it a small quarantine. */
    uint64_t deadline = th_now_ms() + 3000;
    char maps[1 << 16];
    while (th_now_ms() < deadline) {
        if (th_read_file(th_fmt("/proc/%d/maps", (int)tt.t->pid), maps, sizeof maps) > 0 &&
            strstr(maps, "/tend")) {
            tt.asan = tt.asan || strstr(maps, "libasan") != NULL;
            break;
        }
        th_nap(5);
    }
    /* the XML-RPC socket is there before tend reads its FIFO */
    struct stat st;
    for (deadline = th_now_ms() + 10000; tt.rpc && stat(tt.sock, &st) != 0; th_nap(5)) {
        if (tend_exited())
            break; /* (the step's checks say whether it might) */
        if (th_now_ms() > deadline)
            tfail("setup", "no socket %s after 10 s", tt.sock);
    }
}

/* (l) What the listeners recorded (helpers/evlisten) since the last look:
 * an event answered OK is never delivered again, and the events a listener
 * gets for the first time come in increasing serial order. */
static void check_events(void)
{
    size_t len;
    char *buf = th_slurp(th_path(tt.t, "ev.rec"), &len);
    if (!buf || tt.nev < 0 || (size_t)tt.ev_off > len) {
        free(buf);
        return;
    }
    char *p = buf + tt.ev_off, *nl;
    for (; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        char what, pool[64], res[8];
        int pid;
        long serial, ps;
        bool r = sscanf(p, "R %d %63s %ld %ld", &pid, pool, &serial, &ps) == 4;
        if (!r && sscanf(p, "A %d %63s %ld %7s", &pid, pool, &serial, res) != 4)
            tfail("(l) listeners", "bad record '%s'", p);
        what = r ? 'R' : 'A';
        tt.n_ev += r;
        struct evrec *e = NULL;
        for (int k = tt.nev - 1; k >= 0 && !e; k--)
            if (tt.ev[k].serial == serial && !strcmp(tt.ev[k].pool, pool))
                e = &tt.ev[k];
        int x = 0;
        while (x < tt.nevpid && tt.evpid[x].pid != pid)
            x++;
        if (what == 'R') {
            if (e && e->ok)
                tfail("(l) an event answered OK is not sent again",
                      "listener %d of pool %s got event %ld, already answered OK", pid, pool,
                      serial);
            if (!e) {
                if (x < tt.nevpid && serial <= tt.evpid[x].max)
                    tfail("(l) a listener gets new events in order",
                          "listener %d of pool %s got event %ld after event %ld", pid, pool,
                          serial, tt.evpid[x].max);
                if (tt.nev == (int)(sizeof tt.ev / sizeof tt.ev[0])) {
                    tt.nev = -1; /* enough for this run of tend */
                    break;
                }
                e = &tt.ev[tt.nev++];
                memset(e, 0, sizeof *e);
                copy_str(e->pool, sizeof e->pool, pool);
                e->serial = serial;
                if (x == tt.nevpid && x < (int)(sizeof tt.evpid / sizeof tt.evpid[0])) {
                    tt.evpid[x].pid = pid;
                    tt.nevpid++;
                }
                if (x < tt.nevpid)
                    tt.evpid[x].max = serial;
            }
        } else if (!strcmp(res, "OK")) {
            if (!e)
                tfail("(l) listeners", "answer without its event: '%s'", p);
            if (e->ok)
                tfail("(l) an event answered OK is not sent again",
                      "event %ld of pool %s answered OK twice", serial, pool);
            e->ok = true;
        }
    }
    tt.ev_off = p - buf;
    free(buf);
}

/* After tend exited: its cgroups are gone (only the leaf it moved itself
 * into may stay), and every record of a JSON or timestamped file log is
 * whole, rotated files included. The logs are removed for the next run. */
static void check_exit_leftovers(void)
{
    if (tt.t->cgroup[0]) {
        DIR *d = opendir(tt.t->cgroup);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (de->d_type == DT_DIR && l > 5 && !strcmp(de->d_name + l - 5, ".tend")) {
                closedir(d);
                tfail("(e) no cgroup left behind", "%s/%s is still there after tend exited",
                      tt.t->cgroup, de->d_name);
            }
        }
        if (d)
            closedir(d);
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/logs", tt.t->dir);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        bool json = strstr(de->d_name, ".json") != NULL;
        size_t len;
        char *s = th_slurp(path, &len);
        if (s && len && s[len - 1] != '\n') {
            closedir(d);
            tfail("(o) log records are whole", "%s does not end with a newline: ...%s", path,
                  s + (len > 200 ? len - 200 : 0));
        }
        int ln = 0;
        for (char *p = s, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
            *nl = '\0';
            ln++;
            tt.n_logrec++;
            size_t l = strlen(p);
            bool ok = json ? l > 40 && !strncmp(p, "{\"time\": \"", 10) && p[l - 1] == '}' &&
                                 strstr(p, "\"message\": \"") && strstr(p, "\"stream\": \"")
                           : l > 24 && isdigit((unsigned char)p[0]) && p[4] == '-' &&
                                 p[10] == 'T';
            if (!ok) {
                closedir(d);
                tfail("(o) log records are whole", "%s:%d: '%.300s'", path, ln, p);
            }
        }
        free(s);
        unlink(path);
    }
    if (d)
        closedir(d);
}

/* After tend exited: nothing with the mark may survive it (e). */
static void check_leftovers(const char *why)
{
    struct pinfo ch[64], esc[64];
    int nch, nesc;
    uint64_t deadline = th_now_ms() + 1500;
    for (;;) {
        reap_all();
        scan_procs(ch, &nch, esc, &nesc, 64);
        int live = 0;
        for (int i = 0; i < nesc; i++)
            live += esc[i].state != 'Z';
        if (!live) {
            check_exit_leftovers();
            return;
        }
        if (th_now_ms() > deadline) {
            char d[1024];
            describe_pid(esc[0].pid, d, sizeof d);
            for (int i = 0; i < nesc; i++)
                kill(esc[i].pid, SIGKILL);
            tfail("(e) nothing outlives tend", "%d process(es) of tend alive after %s: %s",
                 nesc, why, d);
        }
        th_nap(20);
    }
}

/* Tend exited without being told to: allowed only when ALLOWED. */
static void handle_exit(bool allowed, const char *why)
{
    int st = tend_status();
    hist("tend exited with %d (%s)", st, why);
    if (!allowed)
        tfail("(e) tend exits only when told to", "tend exited with status %d during %s", st,
             why);
    /* (a step that touched the main program may have removed it) */
    if (main_of(&tt.m) < 0 && !tt.may_end && !tt.must_end && st != 0)
        tfail("(e) exit status", "tend exited with %d after %s, without a main program", st, why);
    check_leftovers(why);
    start_tend();
}

/* Stop tend with SIG (0: `tendctl shutdown`) and check (e). RACE: send
 * start/restart requests while it shuts down. */
static void shutdown_tend(int sig, bool race)
{
    int bound = shutdown_bound(&tt.m);
    uint64_t t0 = th_now_ms();
    if (sig)
        kill(tt.t->pid, sig);
    else
        cli_start(bound + 2000, "-t %d shutdown", bound / 1000 + 2);
    if (race) {
        for (int k = 0, n = 1 + rnd(3); k < n && tt.m.n; k++) {
            const struct prog *p = &tt.m.p[rnd(tt.m.n)];
            cli_start(15000, "-t 10 %s %s", chance(50) ? "start" : "restart", p->name);
        }
    }
    while (!tend_exited()) {
        if (th_now_ms() > t0 + (uint64_t)bound)
            tfail("(e) shutdown completes within the stop times",
                 "tend still running %d ms after %s (sum of stopwaitsecs + margin)", bound,
                 sig ? strsignal(sig) : "shutdown");
        th_nap(10);
    }
    long long took = (long long)(th_now_ms() - t0);
    if (took > tt.shutdown_ms_max)
        tt.shutdown_ms_max = took;
    tt.shutdowns++;
    cli_wait_all();
    for (int i = 0; i < tt.ncli; i++)
        hist("  client '%s' -> %d", tt.cli[i].desc, tt.cli[i].rc);
    tt.ncli = 0;
    int st = tend_status();
    hist("tend stopped by %s in %lld ms, status %d", sig ? strsignal(sig) : "shutdown", took, st);
    if (main_of(&tt.m) < 0 && st != 0)
        tfail("(e) exit status", "tend exited with %d after %s", st,
             sig ? strsignal(sig) : "shutdown");
    check_leftovers("its shutdown");
}

static void stop_tend_for_good(void)
{
    if (!tt.t || !tt.t->pid)
        return;
    for (int i = 0; i < tt.ncli; i++)
        if (!tt.cli[i].done)
            kill(tt.cli[i].pid, SIGKILL);
    reap_all();
    tt.ncli = 0;
    if (!tt.t->exited) {
        kill(tt.t->pid, SIGTERM);
        uint64_t deadline = th_now_ms() + (uint64_t)shutdown_bound(&tt.m) + 5000;
        while (!tend_exited() && th_now_ms() < deadline)
            th_nap(10);
    }
}

/* ---- invariants ---- */

/* (q): wait until names match the model and healthy programs settled.
 * 0, or 1 when tend exited. */
static int quiesce(struct snap *s, int extra_ms)
{
    int limit = 15000 + max_stopwait(&tt.m) * 1000 + extra_ms;
    if (tt.may_end || tt.must_end)
        limit += shutdown_bound(&tt.m);
    uint64_t deadline = th_now_ms() + (uint64_t)limit;
    char why[512];
    for (;;) {
        if (tend_exited())
            return 1;
        why[0] = '\0';
        if (read_statusfile(s) != 0) {
            snprintf(why, sizeof why, "no status file");
        } else {
            for (int i = 0; i < tt.m.n && !why[0]; i++)
                for (int n = 0; n < tt.m.p[i].numprocs; n++) {
                    char nm[NAMELEN];
                    proc_name(&tt.m.p[i], n, nm, sizeof nm);
                    if (!snap_find(s, nm)) {
                        snprintf(why, sizeof why, "%s (in the configuration) missing from status",
                                 nm);
                        break;
                    }
                }
            for (int k = 0; k < s->n && !why[0]; k++) {
                int num, i = proc_of(&tt.m, s->e[k].name, &num);
                const char *st = s->e[k].state;
                if (i < 0) {
                    snprintf(why, sizeof why, "%s (%s, pid %d) in status but not in the "
                             "configuration", s->e[k].name, st, s->e[k].pid);
                    break;
                }
                bool settled = !strcmp(st, "RUNNING") || !strcmp(st, "STOPPED") ||
                               !strcmp(st, "EXITED") || !strcmp(st, "FATAL");
                if (!settled && !crash_closure(&tt.m, i))
                    snprintf(why, sizeof why, "%s still %s", s->e[k].name, st);
            }
        }
        if (!why[0])
            return 0;
        if (th_now_ms() > deadline) {
            char all[2048];
            snap_str(s, all, sizeof all);
            tfail("(q) tend settles", "not settled after %d ms: %s [status: %s]", limit, why,
                 all);
        }
        th_nap(50);
    }
}

/* (c) the three views agree. */
static void check_agree(void)
{
    static char text[16384], json[32768];
    struct snap f1, f2, tx, js;
    int disagree = 0;
    char a[2048], b[2048], c[2048];
    for (int attempt = 0; attempt < 12; attempt++) {
        read_statusfile(&f1);
        int r1 = ctl(15000, text, sizeof text, "-t 10 status");
        int r2 = ctl(15000, json, sizeof json, "-t 10 status --json");
        read_statusfile(&f2);
        if (tend_exited())
            return;
        if (r1 != 0 && r1 != 3)
            tfail("(c) status views agree", "`tendctl status` exited %d: %s", r1, text);
        if (r2 != 0 && r2 != 3)
            tfail("(c) status views agree", "`tendctl status --json` exited %d: %s", r2, json);
        parse_text(text, &tx);
        parse_json(json, &js);
        if (!snap_same(&f1, &f2, false))
            continue; /* a transition in between: look again */
        if (r1 != r2) {
            /* the exit codes too can only be compared with nothing changing */
            if (++disagree >= 3)
                tfail("(c) status views agree", "status exits %d, status --json exits %d", r1,
                      r2);
            th_nap(100);
            continue;
        }
        if (snap_same(&f1, &js, false) && snap_same(&f1, &tx, true))
            return;
        if (++disagree >= 3) {
            snap_str(&f1, a, sizeof a);
            snap_str(&tx, b, sizeof b);
            snap_str(&js, c, sizeof c);
            tfail("(c) status views agree",
                 "three times in a row:\n  file: %s\n  text: %s\n  json: %s", a, b, c);
        }
        th_nap(100);
    }
    /* never stable for long enough: crash loops. Not a failure by itself. */
}

/* (b) every RUNNING process runs its current configuration. */
static void check_running(const struct snap *s)
{
    for (int k = 0; k < s->n; k++) {
        const struct ent *e = &s->e[k];
        if (strcmp(e->state, "RUNNING") || e->pid <= 0)
            continue;
        for (int j = 0; j < k; j++)
            if (s->e[j].pid == e->pid)
                tfail("(b) RUNNING processes match their config", "%s and %s both have pid %d",
                     s->e[j].name, e->name, e->pid);
        int num, i = proc_of(&tt.m, e->name, &num);
        if (i < 0)
            continue;
        const struct prog *p = &tt.m.p[i];
        struct expect x;
        expect_of(p, num, &x);
        uint64_t deadline = th_now_ms() + 2000;
        char got[2048], want[2048];
        for (;;) {
            pid_t pp = 0;
            char st = '?';
            int r = matches(e->pid, &x, got, sizeof got);
            if (r == 1)
                break;
            struct snap now;
            read_statusfile(&now);
            const struct ent *ne = snap_find(&now, e->name);
            bool still = ne && ne->pid == e->pid && !strcmp(ne->state, "RUNNING");
            if (!still || tend_exited())
                break; /* it moved on meanwhile */
            if (th_now_ms() > deadline) {
                describe_expect(&x, want, sizeof want);
                if (r == -2 && !CRASHY(p))
                    tfail("(b) RUNNING processes match their config",
                         "%s is RUNNING with pid %d, which is gone (%s)", e->name, e->pid,
                         pstat(e->pid, &pp, &st) == 0 ? "a zombie" : "no such process");
                if (r == -2)
                    break;
                tfail("(b) RUNNING processes match their config",
                     "%s (pid %d) runs %s\n  but its configuration (%s) says %s", e->name,
                     e->pid, got, kind_name[p->kind], want);
            }
            th_nap(50);
        }
        pid_t pp;
        char st;
        if (pstat(e->pid, &pp, &st) == 0 && st != 'Z' && pp != tt.t->pid && !tend_exited())
            tfail("(b) RUNNING processes match their config",
                 "%s is RUNNING as pid %d, whose parent is %d, not tend (%d)", e->name, e->pid,
                 (int)pp, (int)tt.t->pid);
    }
}

/* (a) tend's children are its processes; nothing of the test escapes. */
static void check_children(void)
{
    int limit = (max_stopwait(&tt.m) + 4) * 1000;
    uint64_t deadline = th_now_ms() + (uint64_t)limit;
    struct pinfo ch[128], esc[128];
    int nch, nesc;
    for (;;) {
        if (tend_exited())
            return;
        struct snap s;
        read_statusfile(&s);
        scan_procs(ch, &nch, esc, &nesc, 128);
        char bad[1200] = "";
        for (int i = 0; i < nch && !bad[0]; i++) {
            if (ch[i].state == 'Z') {
                snprintf(bad, sizeof bad, "pid %d is a zombie child of tend", (int)ch[i].pid);
                break;
            }
            bool known = false;
            for (int k = 0; k < s.n; k++)
                known = known || s.e[k].pid == ch[i].pid;
            if (!known) {
                char d[1024];
                describe_pid(ch[i].pid, d, sizeof d);
                snprintf(bad, sizeof bad, "a child of tend that no process in status has: %s",
                         d);
            }
        }
        for (int i = 0; i < nesc && !bad[0]; i++) {
            char d[1024];
            describe_pid(esc[i].pid, d, sizeof d);
            snprintf(bad, sizeof bad, "a process of tend's that is not its child: %s", d);
        }
        if (!bad[0])
            return;
        if (th_now_ms() > deadline)
            tfail("(a) tend's children belong to its programs", "for %d ms: %s", limit, bad);
        th_nap(100);
    }
}

/* (g) what should run runs; what was stopped stays stopped. */
static void check_liveness(void)
{
    uint64_t deadline = th_now_ms() + 4000;
    for (;;) {
        struct snap s;
        if (tend_exited())
            return;
        read_statusfile(&s);
        char bad[512] = "";
        for (int k = 0; k < s.n && !bad[0]; k++) {
            int num, i = proc_of(&tt.m, s.e[k].name, &num);
            if (i < 0)
                continue;
            const char *st = s.e[k].state;
            int want = effective_want(&tt.m, i);
            if (want == 1 && eligible(&tt.m, i) &&
                (!strcmp(st, "STOPPED") || !strcmp(st, "FATAL") || !strcmp(st, "BACKOFF")))
                snprintf(bad, sizeof bad, "%s is %s, but it was started (or never stopped) "
                         "and everything it depends on is healthy", s.e[k].name, st);
            if (want == 0 && (!strcmp(st, "RUNNING") || !strcmp(st, "STARTING"))) {
                bool up[MAXPROG] = { 0 };
                closure(&tt.m, i, true, up);
                bool needed = false;
                for (int d = 0; d < tt.m.n; d++)
                    needed = needed || (d != i && up[d] && effective_want(&tt.m, d) != 0);
                if (!needed)
                    snprintf(bad, sizeof bad, "%s is %s, but it was stopped on request and "
                             "nothing started it since", s.e[k].name, st);
            }
        }
        if (!bad[0])
            return;
        if (th_now_ms() > deadline)
            tfail("(g) programs run as requested", "%s", bad);
        th_nap(100);
    }
}

/* (d) fds and RSS. */
static void check_resources(void)
{
    pid_t pid = tt.t->pid;
    long fds = 0;
    DIR *d = opendir(th_fmt("/proc/%d/fd", (int)pid));
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        fds += e->d_name[0] != '.';
    closedir(d);
    long rss = proc_status_kb(pid, "VmRSS:");
    if (rss < 0 || tend_exited())
        return;
    int n = nprocs_of(&tt.m);
    if (fds > tt.fd_max)
        tt.fd_max = fds;
    if (rss > tt.rss_max)
        tt.rss_max = rss;
    if (!tt.have_base) {
        if (tt.step >= tt.warm_step) {
            tt.have_base = true;
            tt.fd_base = fds;
            tt.rss_base = rss;
            tt.n_base = n;
        }
        return;
    }
    /* what each process may hold now (pipes, stdin pipe, log files, a cgroup
     * watch), whether it ran at the warm-up or not */
    long budget = 0;
    for (int i = 0; i < tt.m.n; i++) {
        const struct prog *p = &tt.m.p[i];
        budget += (long)p->numprocs * (4 + p->pipe_in + (p->log ? 2 : 0) + (tt.cg_on ? 2 : 0));
    }
    long fd_bound = tt.fd_base + budget + 16;
    long rss_bound = tt.rss_base + (tt.asan ? 96 : 16) * 1024L;
    if (fds > fd_bound)
        tfail("(d) fds stay bounded", "tend has %ld fds open (%ld after warm-up, with %d "
             "processes; now %d)", fds, tt.fd_base, tt.n_base, n);
    if (rss > rss_bound)
        tfail("(d) RSS stays bounded", "tend's VmRSS is %ld kB (%ld kB after warm-up)", rss,
             tt.rss_base);
}

static void resolve_unknown_wants(const struct snap *s)
{
    for (int i = 0; i < tt.m.n; i++) {
        struct prog *p = &tt.m.p[i];
        if (p->want != -1)
            continue;
        bool up = false;
        for (int n = 0; n < p->numprocs; n++) {
            char nm[NAMELEN];
            proc_name(p, n, nm, sizeof nm);
            const struct ent *e = snap_find(s, nm);
            up = up || (e && strcmp(e->state, "STOPPED") && strcmp(e->state, "FATAL"));
        }
        /* a mix of running and stopped copies stays unknown */
        bool all = true;
        for (int n = 0; n < p->numprocs; n++) {
            char nm[NAMELEN];
            proc_name(p, n, nm, sizeof nm);
            const struct ent *e = snap_find(s, nm);
            all = all && e && strcmp(e->state, "STOPPED") && strcmp(e->state, "FATAL");
        }
        /* all down may also be tend's own stop for a dependency (it comes
         * back with it): only a program without dependencies is known
         * stopped by looking */
        if (all)
            p->want = 1;
        else if (!up && p->ndeps == 0)
            p->want = 0;
    }
}

/* Is the main program down (EXITED, FATAL, STOPPED) in a fresh status?
 * Refreshes S. False without a main program or a status. */
static bool main_down(struct snap *s)
{
    int mi = main_of(&tt.m);
    if (mi < 0 || read_statusfile(s) != 0)
        return false;
    char nm[NAMELEN];
    proc_name(&tt.m.p[mi], 0, nm, sizeof nm);
    const struct ent *e = snap_find(s, nm);
    return e && (!strcmp(e->state, "EXITED") || !strcmp(e->state, "FATAL") ||
                 !strcmp(e->state, "STOPPED"));
}

/* Everything after a step. STABLE: pids of healthy RUNNING processes that
 * must not have changed (h), or NULL. */
static void check_all(const struct snap *stable)
{
    struct snap s;
    for (int round = 0; round < 3; round++) {
        bool must = tt.must_end;
        if (must) {
            uint64_t deadline = th_now_ms() + (uint64_t)shutdown_bound(&tt.m);
            while (!tend_exited() && th_now_ms() < deadline)
                th_nap(10);
            if (!tend_exited())
                tfail("(e) tend exits when its main program ends",
                     "the main program was killed, tend still runs %d ms later",
                     shutdown_bound(&tt.m));
        }
        if (quiesce(&s, 0) == 1) {
            handle_exit(tt.may_end || tt.must_end, "this step");
            tt.may_end = tt.must_end = false;
            continue;
        }
        if (tt.may_end && main_down(&s)) {
            /* this step ended the main program (a signal, a stop): tend is
             * shutting down, which may take its programs' stopwaitsecs; the
             * next step must not meet a tend that refuses everything. Unless
             * it comes back (a restart seen between its stop and start). */
            uint64_t deadline = th_now_ms() + (uint64_t)shutdown_bound(&tt.m);
            while (!tend_exited() && th_now_ms() < deadline && main_down(&s))
                th_nap(20);
            if (tend_exited()) {
                handle_exit(true, "this step");
                tt.may_end = tt.must_end = false;
                continue;
            }
            if (main_down(&s))
                tfail("(e) tend exits when its main program ends",
                      "the main program is down, tend still runs %d ms later",
                      shutdown_bound(&tt.m));
            continue;
        }
        break;
    }
    resolve_unknown_wants(&s);
    check_events();
    check_children();
    check_running(&s);
    check_agree();
    check_liveness();
    check_resources();
    if (stable && !tend_exited()) {
        struct snap now;
        read_statusfile(&now);
        for (int k = 0; k < stable->n; k++) {
            const struct ent *e = snap_find(&now, stable->e[k].name);
            if (!e || e->pid != stable->e[k].pid)
                tfail("(h) no-op steps change nothing",
                     "%s was RUNNING as pid %d; now %s pid %d", stable->e[k].name,
                     stable->e[k].pid, e ? e->state : "gone", e ? e->pid : 0);
        }
    }
    if (tend_exited())
        handle_exit(tt.may_end || tt.must_end, "the checks");
}

/* Healthy RUNNING processes (no crash kind around them). */
static void stable_set(struct snap *out)
{
    struct snap s;
    read_statusfile(&s);
    out->n = 0;
    for (int k = 0; k < s.n; k++) {
        int num, i = proc_of(&tt.m, s.e[k].name, &num);
        if (i < 0 || strcmp(s.e[k].state, "RUNNING") || crash_closure(&tt.m, i))
            continue;
        bool up[MAXPROG] = { 0 };
        closure(&tt.m, i, true, up);
        bool crashy_dependent = false;
        for (int d = 0; d < tt.m.n; d++)
            crashy_dependent = crashy_dependent || (up[d] && CRASHY(&tt.m.p[d]));
        if (!crashy_dependent)
            out->e[out->n++] = s.e[k];
    }
}

/* ---- actions ---- */

/* A target for a request: a program, a process, a group form, or all. */
static int pick_target(char *out, size_t len, bool allow_all)
{
    if (!tt.m.n || (allow_all && chance(4))) {
        snprintf(out, len, "all");
        return -2;
    }
    int i = rnd(tt.m.n);
    const struct prog *p = &tt.m.p[i];
    if (p->numprocs > 1) {
        int f = rnd(3);
        if (f == 0)
            snprintf(out, len, "%s:*", p->name);
        else if (f == 1)
            snprintf(out, len, "%s:%s_%d", p->name, p->name, rnd(p->numprocs));
        else
            snprintf(out, len, "%s", p->name);
        if (f == 1)
            return -1000 - i; /* one copy only */
    } else {
        snprintf(out, len, "%s", p->name);
    }
    return i;
}

/* A process name (for wait). */
static int pick_process(char *out, size_t len)
{
    int i = rnd(tt.m.n);
    proc_name(&tt.m.p[i], rnd(tt.m.p[i].numprocs), out, len);
    return i;
}

enum { W_START, W_STOP, W_RESTART, W_SIGNAL, W_WAIT, W_STATUS, W_PID, NW };
static const char *const verb_name[NW] = { "start", "stop", "restart", "signal", "wait",
                                           "status", "pid" };

struct effect {
    bool start[MAXPROG], stop[MAXPROG], part[MAXPROG];
    bool dep[MAXPROG];  /* stopped by tend because a dependency was stopped */
    bool main;
};

/* Record in EF what VERB on target T (pick_target's value) asks for. */
static void note_effect(struct effect *ef, int verb, int t, const char *sig)
{
    int lo = t == -2 ? 0 : t <= -1000 ? -1000 - t : t;
    int hi = t == -2 ? tt.m.n : lo + 1;
    for (int i = lo; i < hi && i >= 0 && i < tt.m.n; i++) {
        if (t <= -1000)
            ef->part[i] = true;
        bool set[MAXPROG] = { 0 };
        if (verb == W_START || verb == W_RESTART) {
            closure(&tt.m, i, false, set);
            for (int k = 0; k < tt.m.n; k++)
                ef->start[k] = ef->start[k] || set[k];
            if (verb == W_RESTART)
                ef->main = ef->main || main_related(&tt.m, i);
        } else if (verb == W_STOP) {
            closure(&tt.m, i, true, set);
            for (int k = 0; k < tt.m.n; k++) {
                if (k == i)
                    ef->stop[k] = true;
                else if (set[k])
                    ef->dep[k] = true;
            }
            ef->main = ef->main || main_related(&tt.m, i);
        } else if (verb == W_SIGNAL && strcmp(sig, "WINCH") != 0) {
            ef->main = ef->main || main_of(&tt.m) == i;
        }
    }
}

static void apply_effect(const struct effect *ef)
{
    for (int i = 0; i < tt.m.n; i++) {
        struct prog *p = &tt.m.p[i];
        if (ef->part[i] || (ef->start[i] && (ef->stop[i] || ef->dep[i])))
            p->want = -1;
        else if (ef->start[i])
            p->want = 1;
        else if (ef->stop[i])
            p->want = 0;
        else if (ef->dep[i] && p->want != 0)
            p->want = p->want == 1 || p->want == 2 ? 2 : -1;
    }
    if (ef->main)
        tt.may_end = true;
}

static const char *pick_signal(void)
{
    static const char *const s[] = { "HUP", "USR1", "TERM", "KILL", "WINCH", "USR2" };
    return s[rnd(6)];
}

/* The XML-RPC form of VERB on target T (TGT in tendctl's words) into WORDS
 * for helpers/xrpc; false when there is none. Programs it touches become
 * unknown in EF: tend's XML-RPC stop/start follow supervisord's (a group, a
 * process), not tendctl's dependency closure. */
static bool rpc_request(char *words, size_t len, int verb, int t, const char *tgt,
                        const char *sig, struct effect *ef)
{
    const char *w = chance(50) ? "b:1" : "b:0";
    int i = t == -2 ? -1 : t <= -1000 ? -1000 - t : t;
    const char *group = i >= 0 ? tt.m.p[i].name : "";
    bool one = t <= -1000;
    switch (verb) {
    case W_START:
        if (t == -2)
            snprintf(words, len, "supervisor.startAllProcesses %s", w);
        else if (one || chance(50))
            snprintf(words, len, "supervisor.startProcess s:%s %s", tgt, w);
        else
            snprintf(words, len, "supervisor.startProcessGroup s:%s %s", group, w);
        break;
    case W_STOP:
        if (t == -2)
            snprintf(words, len, "supervisor.stopAllProcesses %s", w);
        else if (one || chance(50))
            snprintf(words, len, "supervisor.stopProcess s:%s %s", tgt, w);
        else
            snprintf(words, len, "supervisor.stopProcessGroup s:%s %s", group, w);
        break;
    case W_SIGNAL:
        if (t == -2)
            snprintf(words, len, "supervisor.signalAllProcesses s:%s", sig);
        else
            snprintf(words, len, "supervisor.signalProcess s:%s s:%s", tgt, sig);
        break;
    case W_STATUS:
        if (t == -2 || chance(60))
            snprintf(words, len, "supervisor.getAllProcessInfo");
        else
            snprintf(words, len, "supervisor.getProcessInfo s:%s", tgt);
        return true;
    default:
        return false;
    }
    for (int k = 0; k < tt.m.n; k++)
        if (ef->start[k] || ef->stop[k] || ef->dep[k])
            ef->part[k] = true;
    return true;
}

/* Words for one random request; its effect noted in EF. *RPC: the words
 * are an XML-RPC call (for rpc_start), not tendctl's. */
static void random_request(char *words, size_t len, int *verbp, struct effect *ef, bool *rpc)
{
    int verb = (const int[]){ W_START, W_START, W_STOP, W_STOP, W_RESTART, W_RESTART, W_RESTART,
                              W_SIGNAL, W_WAIT, W_WAIT, W_STATUS, W_PID }[rnd(12)];
    char tgt[NAMELEN * 2];
    const char *sig = "";
    int t;
    if (verb == W_WAIT || verb == W_PID) {
        t = pick_process(tgt, sizeof tgt);
    } else {
        t = pick_target(tgt, sizeof tgt, verb != W_STATUS);
    }
    switch (verb) {
    case W_SIGNAL:
        sig = pick_signal();
        snprintf(words, len, "-t 30 signal %s %s", sig, tgt);
        break;
    case W_WAIT:
        snprintf(words, len, "-t %d wait %s %s", 1 + rnd(5), tgt,
                 chance(80) ? "RUNNING" : "STOPPED");
        break;
    default:
        snprintf(words, len, "-t 30 %s %s", verb_name[verb], tgt);
        break;
    }
    note_effect(ef, verb, t, sig);
    *verbp = verb;
    *rpc = tt.rpc && chance(35) && rpc_request(words, len, verb, t, tgt, sig, ef);
}

static void act_request(void)
{
    char words[256], out[2048];
    struct effect ef = { 0 };
    int verb;
    bool rpc;
    random_request(words, sizeof words, &verb, &ef, &rpc);
    hist("request: %s %s", rpc ? "xml-rpc" : "tendctl", words);
    apply_effect(&ef);
    if (rpc) {
        rpc_start(35000, "%s", words);
        cli_wait_all();
        cli_verdicts(tt.may_end);
        return;
    }
    cli_start(verb == W_WAIT ? 10000 : 35000, "%s", words);
    cli_wait_all();
    int rc = tt.cli[0].rc;
    copy_str(out, sizeof out, tt.cli[0].out);
    cli_verdicts(tt.may_end);
    /* A start of something healthy must succeed. */
    if ((verb == W_START || verb == W_RESTART) && rc == 1 && !tt.may_end &&
        !strstr(out, "already started")) {
        bool all_ok = true;
        for (int i = 0; i < tt.m.n; i++)
            if (ef.start[i] && !eligible(&tt.m, i))
                all_ok = false;
        if (all_ok)
            tfail("(f) requests succeed", "`tendctl %s` failed although everything it starts "
                 "is healthy: %s", words, out);
    }
}

static void act_burst(void)
{
    struct effect ef = { 0 };
    static struct model pending;
    int rslot = -1;
    bool touches = false;
    int pattern = rnd(4);
    char name[NAMELEN];
    if (pattern == 0 && tt.m.n) {
        /* issue 12's use-after-free: a waiter and a restart of one program */
        int i = pick_process(name, sizeof name);
        bool stop_first = chance(50);
        hist("burst: %swait %s RUNNING + restart %s", stop_first ? "stop, then " : "", name,
             name);
        if (stop_first) {
            ctl(35000, NULL, 0, "-t 30 stop %s", name);
            note_effect(&ef, W_STOP, -1000 - i, "");
        }
        cli_start(12000, "-t %d wait %s RUNNING", 2 + rnd(8), name);
        cli_start(35000, "-t 30 restart %s", name);
        if (chance(50))
            cli_start(12000, "-t 5 wait %s RUNNING", name);
        note_effect(&ef, W_RESTART, -1000 - i, "");
        ef.part[i] = true;
    } else {
        struct model nm = tt.m;
        bool reload = pattern == 1 && !skipped("reload");
        char desc[200] = "";
        if (reload) {
            bool ok = false;
            for (int tries = 0; tries < 10 && !ok; tries++)
                ok = edit_once(&nm, desc, sizeof desc);
            if (!ok)
                reload = false;
        }
        int n = 2 + rnd(4);
        hist("burst of %d clients%s%s", n + reload, reload ? " with a reload: " : "", desc);
        for (int k = 0; k < n; k++) {
            char words[256];
            int verb;
            bool rpc;
            random_request(words, sizeof words, &verb, &ef, &rpc);
            if (rpc)
                rpc_start(35000, "%s", words);
            else
                cli_start(verb == W_WAIT ? 10000 : 35000, "%s", words);
        }
        if (reload) {
            touches = main_touched(&tt.m, &nm);
            if (apply_reload_wants(&tt.m, &nm))
                tt.may_end = true;
            write_config(&nm, 0);
            rslot = cli_start(35000, "-t 30 reload");
            pending = nm;
        }
    }
    apply_effect(&ef);
    cli_wait_all();
    if (rslot >= 0) {
        const struct client *c = &tt.cli[rslot];
        if (c->rc == 0) {
            /* applied: requests that raced it leave their programs unknown */
            apply_reload_wants(&tt.m, &pending);
            for (int i = 0; i < tt.m.n; i++) {
                int j = find_prog(&pending, tt.m.p[i].name);
                if (j >= 0 && (ef.start[i] || ef.stop[i] || ef.part[i]))
                    pending.p[j].want = -1;
            }
            tt.m = pending;
        } else if (c->rc == 1 && touches && strstr(c->out, "main program")) {
            hist("  reload refused: it touches the main program");
            write_config(&tt.m, 0);
        } else if (c->rc == 1 && tt.may_end && strstr(c->out, "shutting down")) {
            /* a request of the burst ended the main program first */
            hist("  reload refused: tend is shutting down");
        } else if (c->rc != 4 && c->rc >= 0) {
            tfail("(r) a valid configuration reloads", "`tendctl reload` exited %d: %s", c->rc,
                  c->out);
        }
    }
    cli_verdicts(tt.may_end);
}

static void act_reload(void)
{
    struct model nm = tt.m;
    int edits = 1 + rnd(3), done = 0;
    char desc[200], all[700] = "";
    for (int tries = 0; tries < 20 && done < edits; tries++) {
        if (edit_once(&nm, desc, sizeof desc)) {
            done++;
            size_t l = strlen(all);
            snprintf(all + l, sizeof all - l, "%s%s", l ? "; " : "", desc);
        }
    }
    /* tend may refuse to add, change or remove its main program on reload
     * (it never restarts it); then the old configuration stays */
    bool touches = main_touched(&tt.m, &nm);
    bool by_hup = !touches && chance(25);
    hist("reload (%s): %s", by_hup ? "SIGHUP" : "tendctl", all);
    if (apply_reload_wants(&tt.m, &nm))
        tt.may_end = true;
    write_config(&nm, 0);
    if (by_hup) {
        tt.m = nm;
        kill(tt.t->pid, SIGHUP);
        th_nap(300);
        ctl(15000, NULL, 0, "-t 10 pid"); /* the loop has taken the signal by now */
        cli_verdicts(true);
    } else {
        char out[2048];
        int rc = ctl(35000, out, sizeof out, "-t 30 reload");
        hist("  reload -> %d %.200s", rc, out);
        if (rc == 4 && !(tt.may_end && tend_exited()))
            tfail("(f) every request is answered", "`tendctl reload` got no answer: %s", out);
        if (rc == 1 && touches && strstr(out, "main program")) {
            hist("  reload refused: it touches the main program");
            write_config(&tt.m, 0);
            return;
        }
        if (rc != 0 && rc != 4)
            tfail("(r) a valid configuration reloads", "`tendctl reload` exited %d: %s", rc,
                  out);
        tt.m = nm;
    }
}

static void act_broken(void)
{
    struct snap stable;
    stable_set(&stable);
    int kind = 1 + rnd(4);
    write_config(&tt.m, kind);
    char out[2048];
    int rc = ctl(35000, out, sizeof out, "-t 30 reload");
    hist("broken reload (kind %d) -> %d %.200s", kind, rc, out);
    write_config(&tt.m, 0);
    if (rc != 1)
        tfail("(h) a broken configuration is refused", "`tendctl reload` of a broken file "
             "(kind %d) exited %d: %s", kind, rc, out);
    check_all(&stable);
}

static void act_kill(void)
{
    struct snap s;
    read_statusfile(&s);
    int cand[MAXENT], n = 0;
    for (int k = 0; k < s.n; k++)
        if (s.e[k].pid > 0 && alive(s.e[k].pid))
            cand[n++] = k;
    if (!n) {
        hist("kill: nothing to kill");
        return;
    }
    const struct ent *e = &s.e[cand[rnd(n)]];
    int sig = chance(60) ? SIGKILL : SIGTERM;
    int num, i = proc_of(&tt.m, e->name, &num);
    hist("kill -%s %d (%s, %s)", sig == SIGKILL ? "KILL" : "TERM", e->pid, e->name, e->state);
    kill(e->pid, sig);
    if (i >= 0 && tt.m.p[i].main && (sig == SIGKILL || tt.m.p[i].kind != K_IGN))
        tt.must_end = true;
}

static void act_signal(void)
{
    static const int sigs[] = { SIGHUP, SIGHUP, SIGUSR2, SIGUSR2, SIGWINCH, SIGWINCH, SIGUSR1 };
    int sig = sigs[rnd(7)];
    struct snap stable;
    stable_set(&stable);
    hist("signal tend: %s", strsignal(sig));
    kill(tt.t->pid, sig);
    if (sig == SIGUSR1) {
        if (main_of(&tt.m) >= 0)
            tt.may_end = true;
        th_nap(300);
        ctl(15000, NULL, 0, "-t 10 pid");
        cli_verdicts(true);
        check_all(NULL);
        return;
    }
    th_nap(300);
    ctl(15000, NULL, 0, "-t 10 pid");
    cli_verdicts(false);
    check_all(&stable);
}

static void act_raw(void)
{
    char tgt[NAMELEN * 2];
    int verb = (const int[]){ W_START, W_STOP, W_RESTART }[rnd(3)];
    int t = pick_target(tgt, sizeof tgt, false);
    struct effect ef = { 0 };
    note_effect(&ef, verb, t, "");
    char line[256];
    int n = snprintf(line, sizeof line, "%s %s\n", verb_name[verb], tgt);
    hist("fire-and-forget: %s %s", verb_name[verb], tgt);
    int fd = open(tt.t->control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || write(fd, line, (size_t)n) != n)
        tfail("(f) every request is answered", "cannot write to %s: %s", tt.t->control,
             strerror(errno));
    close(fd);
    apply_effect(&ef);
    ctl(15000, NULL, 0, "-t 10 pid");
    cli_verdicts(tt.may_end);
    th_nap(100);
}

static void act_restart(void)
{
    static const int sigs[] = { SIGTERM, SIGTERM, SIGINT, SIGQUIT, 0 };
    int sig = sigs[rnd(5)];
    bool race = chance(50);
    hist("shut tend down by %s%s", sig ? strsignal(sig) : "`tendctl shutdown`",
         race ? ", with requests racing it" : "");
    shutdown_tend(sig, race);
    /* a new tend reads the file afresh: the place for main program changes */
    if (!skipped("reload") && chance(50)) {
        char desc[200];
        for (int tries = 0; tries < 10; tries++)
            if (edit_once(&tt.m, desc, sizeof desc)) {
                hist("edit while tend is down: %s", desc);
                write_config(&tt.m, 0);
                break;
            }
    }
    start_tend();
}

/* A synchronous XML-RPC call: its exit status (see helpers/xrpc), checked
 * by (x); output in OUT. */
static int rpc(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int rpc(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_startv(true, 35000, fmt, ap);
    va_end(ap);
    cli_wait_all();
    int rc = tt.cli[tt.ncli - 1].rc;
    if (out)
        copy_str(out, outlen, tt.cli[tt.ncli - 1].out);
    cli_verdicts(tt.may_end);
    return rc;
}

/* XML-RPC: supervisorctl's update (reloadConfig, then stop+remove, add
 * groups, with a request or two racing it) or supervisor.restart; a
 * `tendctl reload` after an update applies whatever the calls left. */
static void act_rpc(void)
{
    if (!tt.rpc || tt.m.n == 0)
        return;
    if (chance(20)) {
        hist("xml-rpc: supervisor.restart");
        for (int i = 0; i < tt.m.n; i++)
            tt.m.p[i].want = -1;
        if (main_of(&tt.m) >= 0)
            tt.may_end = true;
        rpc(NULL, 0, "supervisor.restart");
        return;
    }
    struct model nm = tt.m;
    char desc[200], all[700] = "";
    for (int tries = 0, done = 0; tries < 20 && done < 1 + rnd(2); tries++) {
        if (edit_once(&nm, desc, sizeof desc)) {
            done++;
            size_t l = strlen(all);
            snprintf(all + l, sizeof all - l, "%s%s", l ? "; " : "", desc);
        }
    }
    if (main_touched(&tt.m, &nm) || main_of(&nm) >= 0)
        return; /* tend refuses those; act_reload covers that */
    hist("xml-rpc update: %s", all);
    struct model probe = nm;
    apply_reload_wants(&tt.m, &probe);
    write_config(&nm, 0);
    struct effect ef = { 0 };
    for (int k = 0, n = rnd(3); k < n; k++) {
        char words[256];
        int verb;
        bool r;
        random_request(words, sizeof words, &verb, &ef, &r);
        if (r)
            rpc_start(35000, "%s", words);
        else
            cli_start(verb == W_WAIT ? 10000 : 35000, "%s", words);
    }
    char out[4096];
    int rc = rpc(out, sizeof out, "supervisor.reloadConfig");
    if (rc != 0 && !tend_exited())
        tfail("(x) reloadConfig of a valid file", "exit %d: %s", rc, out);
    for (int o = 0; o < tt.m.n; o++) {
        int j = find_prog(&nm, tt.m.p[o].name);
        bool changed = j >= 0 && probe.p[j].want != tt.m.p[o].want;
        if (j >= 0 && !changed && same_prog(&tt.m.p[o], &nm.p[j]))
            continue;
        rpc(NULL, 0, "supervisor.stopProcessGroup s:%s b:1", tt.m.p[o].name);
        rpc(NULL, 0, "supervisor.removeProcessGroup s:%s", tt.m.p[o].name);
    }
    for (int j = 0; j < nm.n; j++) {
        int o = find_prog(&tt.m, nm.p[j].name);
        if (o < 0 || !same_prog(&tt.m.p[o], &nm.p[j]) || probe.p[j].want != tt.m.p[o].want)
            rpc(NULL, 0, "supervisor.addProcessGroup s:%s", nm.p[j].name);
    }
    int crc = ctl(35000, out, sizeof out, "-t 30 reload");
    hist("  reload -> %d %.200s", crc, out);
    if (crc != 0 && !tend_exited())
        tfail("(r) a valid configuration reloads", "`tendctl reload` after the XML-RPC update "
              "exited %d: %s", crc, out);
    /* what the calls and the racing requests did is tend's call */
    for (int j = 0; j < nm.n; j++) {
        int o = find_prog(&tt.m, nm.p[j].name);
        if (o < 0 || !same_prog(&tt.m.p[o], &nm.p[j]) || probe.p[j].want != tt.m.p[o].want)
            nm.p[j].want = -1;
        if (o >= 0 && (ef.start[o] || ef.stop[o] || ef.part[o] || ef.dep[o]))
            nm.p[j].want = -1;
    }
    if (ef.main)
        tt.may_end = true;
    tt.m = nm;
}

static void initial_model(void)
{
    memset(&tt.m, 0, sizeof tt.m);
    int n = 2 + rnd(3);
    for (int i = 0; i < n; i++) {
        new_prog(&tt.m, i == n - 1 && chance(50));
        struct prog *p = &tt.m.p[i];
        int d = rnd(i);
        if (i > 0 && !skipped("deps") && chance(40) && !LISTENER(p) && !LISTENER(&tt.m.p[d]))
            memcpy(p->deps[p->ndeps++], tt.m.p[d].name, sizeof p->deps[0]);
    }
    if (!skipped("main") && chance(30) && !CRASHY(&tt.m.p[0]) && tt.m.p[0].numprocs == 1 &&
        !LISTENER(&tt.m.p[0]))
        tt.m.p[0].main = true;
}

/* ---- the run ---- */

static int pick_action(void)
{
    static const int weight[NACT] = { 22, 3, 20, 18, 12, 7, 4, 6, 8 };
    for (;;) {
        int total = 0;
        for (int a = 0; a < NACT; a++)
            total += weight[a];
        int r = rnd(total), a = 0;
        while (r >= weight[a])
            r -= weight[a++];
        if (!skipped(act_name[a]))
            return a;
    }
}

static unsigned long long env_num(const char *name, unsigned long long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/* Run the torture for SECS seconds (0: no limit) and STEPS steps (0: no
 * limit). 0 when every invariant held, 1 otherwise. */
static int torture_run(unsigned long long secs, unsigned long long steps)
{
    memset(&tt, 0, sizeof tt);
#ifdef TORTURE_DEFAULT_SEED
    tt.seed = env_num("TORTURE_SEED", TORTURE_DEFAULT_SEED);
#else
    tt.seed = env_num("TORTURE_SEED", (unsigned long long)time(NULL) ^
                                          ((unsigned long long)getpid() << 16));
#endif
    tt.verbose = env_num("TORTURE_VERBOSE", 0) != 0;
    snprintf(tt.skip, sizeof tt.skip, "%s", getenv("TORTURE_SKIP") ? getenv("TORTURE_SKIP") : "");
    printf("torture: seed %llu\n", (unsigned long long)tt.seed);
    if (tt.skip[0])
        printf("torture: skipping %s\n", tt.skip);
    fflush(stdout);
    rng_seed(tt.seed);
    const char *ao = getenv("ASAN_OPTIONS");
    snprintf(tt.asan_env, sizeof tt.asan_env, "ASAN_OPTIONS=%s%squarantine_size_mb=16",
             ao ? ao : "", ao && *ao ? ":" : "");
    tt.env[0] = tt.asan_env;
    tt.env[1] = NULL;
    tt.opts.env = tt.env;
    tt.t = th_new(NULL, NULL);
    tt.rpc = !skipped("rpc");
    snprintf(tt.sock, sizeof tt.sock, "%s/x.sock", tt.t->dir);
    mkdir(th_path(tt.t, "logs"), 0755);
    if (setjmp(tt.fail_jmp)) {
        th_free(tt.t);
        tt.t = NULL;
        return 1;
    }
    initial_model();
    write_config(&tt.m, 0);
    hist("initial configuration: %d programs%s", tt.m.n, tt.rpc ? ", an XML-RPC socket" : "");
    start_tend();
    check_all(NULL);
    uint64_t t0 = th_now_ms();
    while ((!secs || th_now_ms() - t0 < secs * 1000) && (!steps || (unsigned long long)tt.step < steps)) {
        tt.step++;
        tt.may_end = tt.must_end = false;
        int a = pick_action();
        tt.counts[a]++;
        switch (a) {
        case A_RELOAD: act_reload(); break;
        case A_BROKEN: act_broken(); continue;
        case A_REQUEST: act_request(); break;
        case A_BURST: act_burst(); break;
        case A_KILL: act_kill(); break;
        case A_SIGNAL: act_signal(); continue;
        case A_RESTART: act_restart(); break;
        case A_RPC: act_rpc(); break;
        default: act_raw(); break;
        }
        check_all(NULL);
        if (tt.step % 25 == 0) {
            printf("torture: step %d, %llu s, tend run %d, %d programs, fds %ld, rss %ld kB\n",
                   tt.step, (unsigned long long)(th_now_ms() - t0) / 1000, tt.epoch, tt.m.n,
                   tt.fd_max, tt.rss_max);
            fflush(stdout);
        }
    }
    tt.step++;
    hist("final shutdown");
    shutdown_tend(SIGTERM, false);
    printf("torture: passed: seed %llu, %d steps in %llu s, tend started %d times, %d "
           "shutdowns (longest %lld ms), max fds %ld, max rss %ld kB\n",
           (unsigned long long)tt.seed, tt.step, (unsigned long long)(th_now_ms() - t0) / 1000,
           tt.epoch, tt.shutdowns, tt.shutdown_ms_max, tt.fd_max, tt.rss_max);
    printf("torture: %ld XML-RPC calls, %ld events to listeners, %ld log records checked, "
           "%ld runs of tend with cgroups = on\n", tt.n_rpc, tt.n_ev, tt.n_logrec, tt.n_cgrun);
    printf("torture: actions:");
    for (int a = 0; a < NACT; a++)
        printf(" %s %d", act_name[a], tt.counts[a]);
    printf("\n");
    fflush(stdout);
    th_free(tt.t);
    tt.t = NULL;
    return 0;
}

/* The harness reports through check, so the run is a check test in both
 * builds; test_torture.c sets a shorter default. */
#ifndef TORTURE_DEFAULT_SECS
#define TORTURE_DEFAULT_SECS 600
#endif

static unsigned long long torture_secs(void)
{
    return env_num("TORTURE_SECS", TORTURE_DEFAULT_SECS);
}

START_TEST(torture)
{
    ck_assert_msg(torture_run(torture_secs(), env_num("TORTURE_STEPS", 0)) == 0,
                  "torture failed (seed, step and invariant printed above)");
}
END_TEST

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    Suite *s = suite_create("torture");
    TCase *tc = tcase_create("torture");
    /* every step is bounded on its own; this only catches a hung test */
    unsigned long long secs = torture_secs(), steps = env_num("TORTURE_STEPS", 0);
    tcase_set_timeout(tc, secs ? (double)secs + 300 : steps ? (double)steps * 120 + 300 : 0);
    tcase_add_test(tc, torture);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
