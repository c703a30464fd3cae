/* proc.c - the process table's state machine: the only place a state changes. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "commcap.h"
#include "cgroup.h"
#include "log.h"
#include "notify.h"
#include "probe.h"
#include "spawn.h"

extern char **environ;

/* A crash loop after RUNNING waits conf_backoff_delay_ms (at once, then
 * 1 s, 2 s, 4 s ... backoff_max); a run this long forgets the crashes. */
#define STABLE_RUN_MS 60000

static const char *const state_names[PS_COUNT] = {
    "STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL",
};

const char *pstate_name(enum pstate s)
{
    return (unsigned)s < PS_COUNT ? state_names[s] : "UNKNOWN";
}

int pstate_parse(const char *s)
{
    for (int i = 0; i < PS_COUNT; i++)
        if (!strcasecmp(s, state_names[i]))
            return i;
    return -1;
}

static void on_timer(struct loop *l, struct timer *t);
static void do_spawn(struct process *p);
static void close_pipes(struct process *p);

struct process *proc_new(struct proc_host *h, struct process_config *cfg, bool is_main)
{
    struct process *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = cfg;
    p->host = h;
    p->is_main = is_main;
    p->state = PS_STOPPED;
    p->exit_status = -1;
    p->since = time(NULL);
    p->stdin_fd = p->out_fd = p->out_log_fd = -1;
    timer_init(&p->timer, on_timer, p);
    return p;
}

void proc_free(struct process *p)
{
    if (!p)
        return;
    timer_disarm(p->host->loop, &p->timer);
    if (p->out)
        capture_release(p->out);
    if (p->err)
        capture_release(p->err);
    if (p->notify)
        notify_close(p->notify);
    close_pipes(p);
    probe_free(p->ready_probe);
    probe_free(p->health_probe);
    free(p->restart_times);
    free(p->exe);
    free(p->deps);
    free(p->dependents);
    free(p);
}

void proc_observe(struct proc_host *h, proc_observer cb, void *arg)
{
    if (h->nobservers < PROC_MAX_OBSERVERS) {
        h->observers[h->nobservers].cb = cb;
        h->observers[h->nobservers++].arg = arg;
    } else {
        log_error("internal: too many process observers");
    }
}

void proc_unobserve(struct proc_host *h, proc_observer cb, void *arg)
{
    for (size_t i = 0; i < h->nobservers; i++) {
        if (h->observers[i].cb == cb && h->observers[i].arg == arg) {
            memmove(&h->observers[i], &h->observers[i + 1],
                    (h->nobservers - i - 1) * sizeof h->observers[0]);
            h->nobservers--;
            return;
        }
    }
}

/* Tell the observers, then the owner's policy, that P changed. */
static void notify_change(struct process *p, enum pstate old)
{
    struct proc_host *h = p->host;
    for (size_t i = 0; i < h->nobservers; i++)
        h->observers[i].cb(h->observers[i].arg, p, PROC_EV_STATE, old);
    if (h->on_change)
        h->on_change(h->arg, p, old);
}

void proc_set_config(struct process *p, struct process_config *cfg)
{
    if (p->cfg != cfg) {
        free(p->exe); /* found for the old command: a new config may name another */
        p->exe = NULL;
        if (!proc_alive(p)) {
            /* made for the old probe specs; a running one keeps them (a
             * config swapped in while up is the same in all of that) */
            probe_free(p->ready_probe);
            probe_free(p->health_probe);
            p->ready_probe = p->health_probe = NULL;
        }
    }
    p->cfg = cfg;
}

void proc_set_main(struct process *p, bool is_main)
{
    p->is_main = is_main;
}

void proc_set_deps(struct process *p, struct process **deps, size_t n)
{
    free(p->deps);
    p->deps = deps;
    p->ndeps = deps ? n : 0;
}

int proc_link_dependents(struct process **v, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        free(v[i]->dependents);
        v[i]->dependents = NULL;
        v[i]->ndependents = 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct process *q = v[i];
        for (size_t k = 0; k < q->ndeps; k++) {
            struct process *d = q->deps[k];
            struct process **nd = realloc(d->dependents, (d->ndependents + 1) * sizeof *nd);
            if (!nd) {
                rc = -1;
                continue;
            }
            nd[d->ndependents++] = q;
            d->dependents = nd;
        }
    }
    return rc;
}

static void set_state(struct process *p, enum pstate s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void on_health(void *arg, bool ok, const char *reason);

/* Readiness is probed while STARTING (do_spawn starts it), health while
 * RUNNING: any other state stops them, so a program without probes, or not
 * up, costs no timer and no descriptor. */
static void probes_follow(struct process *p, enum pstate old)
{
    const struct process_config *c = p->cfg;
    if (p->ready_probe && p->state != PS_STARTING)
        probe_cancel(p->ready_probe);
    if (p->state != PS_RUNNING) {
        if (p->health_probe)
            probe_cancel(p->health_probe);
        p->health_failures = 0;
        p->unhealthy = p->health_known = false;
        return;
    }
    if (old == PS_RUNNING || c->healthcheck.kind == PROBE_NONE)
        return;
    if (!p->health_probe)
        p->health_probe = probe_new(p->host->loop, &c->healthcheck, c->fullname, on_health, p);
    if (!p->health_probe) {
        log_error("%s: out of memory for its healthcheck; not checked", c->fullname);
        return;
    }
    probe_every(p->health_probe, (unsigned)c->healthcheck_interval_ms,
                (unsigned)c->healthcheck_interval_ms, (unsigned)c->healthcheck_timeout_ms);
}

static void set_state(struct process *p, enum pstate s, const char *fmt, ...)
{
    enum pstate old = p->state;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->reason, sizeof p->reason, fmt, ap);
        va_end(ap);
    } else {
        p->reason[0] = 0;
    }
    p->state = s;
    p->since = time(NULL);
    if (s == PS_RUNNING)
        p->running_at = loop_now();
    probes_follow(p, old);
    if (p->reason[0])
        log_info("%s: %s -> %s (%s)", p->cfg->fullname, pstate_name(old), pstate_name(s),
                 p->reason);
    else
        log_info("%s: %s -> %s", p->cfg->fullname, pstate_name(old), pstate_name(s));
    notify_change(p, old);
}

bool proc_alive(const struct process *p)
{
    return p->pid > 0 || p->group_wait;
}

const char *proc_health(const struct process *p)
{
    if (p->state != PS_RUNNING || !p->health_known)
        return "";
    return p->unhealthy ? "unhealthy" : "healthy";
}

bool proc_busy(const struct process *p)
{
    return proc_alive(p) || timer_armed(&p->timer) || p->pending_start || p->stop_pending;
}

bool proc_finished_ok(const struct process *p)
{
    return p->state == PS_EXITED && !timer_armed(&p->timer) && p->exit_status >= 0 &&
           WIFEXITED(p->exit_status) &&
           conf_exitcode_expected(p->cfg, WEXITSTATUS(p->exit_status));
}

void proc_exit_string(const struct process *p, char *buf, size_t len)
{
    if (p->exit_status < 0)
        snprintf(buf, len, "-");
    else if (WIFEXITED(p->exit_status))
        snprintf(buf, len, "%d", WEXITSTATUS(p->exit_status));
    else if (WIFSIGNALED(p->exit_status))
        snprintf(buf, len, "SIG%s", conf_signal_name(WTERMSIG(p->exit_status)));
    else
        snprintf(buf, len, "?");
}

static void describe_exit(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by SIG%s%s", conf_signal_name(WTERMSIG(status)),
                 WCOREDUMP(status) ? " (core dumped)" : "");
    else
        snprintf(buf, len, "wait status %d", status);
}

/* Name the OOM killer in an exit's description WHAT when it killed in P's
 * cgroup during this run (memory.events), so status says why. */
static void oom_note(struct process *p, char *what, size_t len)
{
    unsigned long long n = p->host->cgroups ? cgroup_oom_kills(p->host->cgroups, p) : 0;
    size_t l = strlen(what);
    p->oom_killed = n > 0;
    if (n > 0 && l < len)
        snprintf(what + l, len - l, ", OOM killed");
}

void proc_describe(const struct process *p, char *buf, size_t len)
{
    switch (p->state) {
    case PS_STARTING:
    case PS_RUNNING:
    case PS_STOPPING: {
        uint64_t up = (loop_now() - p->started_at) / 1000;
        int n = snprintf(buf, len, "pid %d, uptime %u:%02u:%02u", (int)p->pid,
                         (unsigned)(up / 3600), (unsigned)(up / 60 % 60), (unsigned)(up % 60));
        if (p->state == PS_RUNNING && p->unhealthy && n > 0 && (size_t)n < len)
            snprintf(buf + n, len - (size_t)n, ", unhealthy (%u failures: %s)",
                     p->health_failures, p->probe_reason);
        break;
    }
    case PS_BACKOFF:
    case PS_FATAL:
        if (p->reason[0] && ((strncmp(p->reason, "exit", 4) && strncmp(p->reason, "killed", 6)) ||
                             p->oom_killed))
            snprintf(buf, len, "%s", p->reason);
        else
            snprintf(buf, len, "Exited too quickly (process log may have details)");
        break;
    case PS_EXITED:
        if (p->exit_status >= 0) {
            describe_exit(p->exit_status, buf, len);
            size_t l = strlen(buf);
            if (p->oom_killed && l < len)
                snprintf(buf + l, len - l, ", OOM killed");
        } else
            snprintf(buf, len, "%s", p->reason);
        break;
    case PS_STOPPED:
        snprintf(buf, len, "%s", p->exit_status < 0 && !p->started_at ? "Not started" : "Stopped");
        break;
    }
}

/* A start that failed before exec as supervisord words it (its spawnerr):
 * true when P's reason is such a failure and BUF now holds its words. */
static bool spawnerr_supervisord(const struct process *p, char *buf, size_t len)
{
    const char *r = p->reason, *a0 = p->cfg->argv && p->cfg->argv[0] ? p->cfg->argv[0] : "";
    static const char ce[] = "cannot execute ";
    if (strstr(r, ": command not found in PATH")) {
        snprintf(buf, len, "can't find command '%s'", a0);
        return true;
    }
    if (strstr(r, ": found in PATH but not executable")) {
        snprintf(buf, len, "command at '%s' is not executable", a0);
        return true;
    }
    const char *enoent = strstr(r, ": No such file or directory");
    const char *eacces = strstr(r, ": Permission denied");
    const char *end = enoent ? enoent : eacces;
    if (strncmp(r, ce, sizeof ce - 1) || !end)
        return false;
    char file[512];
    snprintf(file, sizeof file, "%.*s", (int)(end - r - (sizeof ce - 1)), r + sizeof ce - 1);
    struct stat st;
    if (stat(file, &st) < 0)
        snprintf(buf, len, "can't find command '%s'", strchr(a0, '/') ? file : a0);
    else if (S_ISDIR(st.st_mode))
        snprintf(buf, len, "command at '%s' is a directory", file);
    else if (!(st.st_mode & 0111))
        snprintf(buf, len, "command at '%s' is not executable", file);
    else if (eacces)
        snprintf(buf, len, "no permission to run command '%s'", file);
    else
        return false; /* its interpreter is missing: supervisord's child exits 127 */
    return true;
}

void proc_describe_supervisord(const struct process *p, char *buf, size_t len)
{
    buf[0] = '\0';
    switch (p->state) {
    case PS_RUNNING:
    case PS_BACKOFF:
    case PS_FATAL:
        if (p->state == PS_RUNNING || !spawnerr_supervisord(p, buf, len))
            proc_describe(p, buf, len); /* the same words as tendctl's */
        break;
    case PS_STOPPED:
    case PS_EXITED: {
        /* supervisord: when it stopped, local time, once it ever started */
        time_t st = p->since;
        struct tm tm;
        if (!p->started_at)
            snprintf(buf, len, "Not started");
        else if (localtime_r(&st, &tm))
            strftime(buf, len, "%b %d %I:%M %p", &tm);
        break;
    }
    default:
        break;
    }
}

/* ---- signals to a process ---- */

static int send_signal(struct process *p, int sig, bool group)
{
    if (p->pid <= 0) {
        errno = ESRCH;
        return -1;
    }
    if (group && p->pgid > 0 && kill(-p->pgid, sig) == 0)
        return 0;
    return kill(p->pid, sig);
}

int proc_signal(struct process *p, int sig)
{
    return send_signal(p, sig, p->cfg->stopasgroup);
}

/* Something of P's run is left: its process group, or what its cgroup
 * holds (a daemon that called setsid cannot leave that). */
static bool group_alive(const struct process *p)
{
    return (p->pgid > 0 && kill(-p->pgid, 0) == 0) ||
           (p->host->cgroups && cgroup_populated(p->host->cgroups, p));
}

static void kill_cgroup(struct process *p)
{
    if (p->host->cgroups)
        cgroup_kill(p->host->cgroups, p);
}

void proc_kill_now(struct process *p)
{
    if (proc_alive(p))
        kill_cgroup(p);
    if (p->pgid > 0 && proc_alive(p))
        kill(-p->pgid, SIGKILL);
    if (p->pid > 0)
        kill(p->pid, SIGKILL);
    if (proc_alive(p))
        p->kill_sent = true;
}

/* ---- spawning ---- */

/* A child's environment: tend's own (borrowed, never freed: tend does not
 * change its environment) with overrides (owned). Built per spawn from a
 * fixed base, so a spawn costs a copy of pointers, not a string per
 * variable. */
struct envbuf {
    char **v;
    bool *owned;
    size_t n, cap;
};

/* Out of memory fails the spawn (retried as a failed start), never tend. */
static int env_reserve(struct envbuf *e, size_t n)
{
    if (n + 1 <= e->cap)
        return 0;
    size_t cap = e->cap ? e->cap : 64;
    while (cap < n + 1)
        cap *= 2;
    char **v = realloc(e->v, cap * sizeof *v);
    if (v)
        e->v = v;
    bool *owned = realloc(e->owned, cap * sizeof *owned);
    if (owned)
        e->owned = owned;
    if (!v || !owned)
        return -1;
    e->cap = cap;
    return 0;
}

static int env_set(struct envbuf *e, char *entry, bool owned)
{
    size_t k = strcspn(entry, "=");
    for (size_t i = 0; i < e->n; i++)
        if (!strncmp(e->v[i], entry, k) && e->v[i][k] == '=') {
            if (e->owned[i])
                free(e->v[i]);
            e->v[i] = entry;
            e->owned[i] = owned;
            return 0;
        }
    if (env_reserve(e, e->n + 1) < 0) {
        if (owned)
            free(entry);
        return -1;
    }
    e->owned[e->n] = owned;
    e->v[e->n++] = entry;
    e->v[e->n] = NULL;
    return 0;
}

static int env_put(struct envbuf *e, const char *key, const char *value)
{
    char *s;
    if (asprintf(&s, "%s=%s", key, value) < 0)
        return -1;
    return env_set(e, s, true);
}

static void env_free(struct envbuf *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->owned[i])
            free(e->v[i]);
    free(e->v);
    free(e->owned);
}

/* 0, or -1 with ERR (an environment file that cannot be read, or out of
 * memory): a failed start. */
static int build_env(struct process *p, struct envbuf *e, const char *notify_addr, char *err,
                     size_t errlen)
{
    const struct process_config *c = p->cfg;
    size_t n = 0;
    int rc = 0;
    snprintf(err, errlen, "out of memory building the environment");
    for (char **ev = environ; ev && *ev; ev++)
        n++;
    if (env_reserve(e, n + c->environment.n + 8) < 0)
        return -1;
    if (p->is_main && p->host->bare_main) {
        /* tini's rule: the command gets exactly tend's environment */
        for (char **ev = environ; ev && *ev; ev++) {
            e->owned[e->n] = false;
            e->v[e->n++] = *ev;
        }
        e->v[e->n] = NULL;
        return 0;
    }
    for (char **ev = environ; ev && *ev; ev++) {
        if (!strchr(*ev, '=') || !strncmp(*ev, "NOTIFY_SOCKET=", 14))
            continue;
        e->owned[e->n] = false;
        e->v[e->n++] = *ev; /* tend's environment has no duplicate keys */
    }
    e->v[e->n] = NULL;
    /* environment files are read at every start, so an edit counts at the
     * next one; the order of precedence is conf's */
    struct env_list vars = { 0 };
    if (conf_env_resolve(c, &vars, err, errlen) < 0) {
        conf_env_free(&vars);
        return -1;
    }
    for (size_t i = 0; i < vars.n; i++)
        rc |= env_put(e, vars.v[i].key, vars.v[i].value);
    conf_env_free(&vars);
    if (c->user) {
        struct passwd *pw = getpwnam(c->user);
        if (pw) {
            rc |= env_put(e, "HOME", pw->pw_dir);
            rc |= env_put(e, "USER", pw->pw_name);
            rc |= env_put(e, "LOGNAME", pw->pw_name);
        }
    }
    rc |= env_set(e, "SUPERVISOR_ENABLED=1", false);
    rc |= env_put(e, "SUPERVISOR_PROCESS_NAME", c->name);
    rc |= env_put(e, "SUPERVISOR_GROUP_NAME", c->group);
    if (p->host->server_url) /* supervisor.childutils finds tend's XML-RPC here */
        rc |= env_put(e, "SUPERVISOR_SERVER_URL", p->host->server_url);
    rc |= env_put(e, "TEND_PROCESS_NAME", c->fullname);
    if (notify_addr)
        rc |= env_put(e, "NOTIFY_SOCKET", notify_addr);
    return rc;
}

static void on_notify(void *arg, pid_t sender, const struct notify_msg *m);

static void start_failed(struct process *p, const char *why);

#define STDIN_QUEUE_MAX (1024 * 1024)

static void close_stdin(struct process *p)
{
    if (p->stdin_fd >= 0) {
        watch_del(p->host->loop, &p->stdin_watch);
        close(p->stdin_fd);
    }
    p->stdin_fd = -1;
    free(p->stdin_buf);
    p->stdin_buf = NULL;
    p->stdin_len = p->stdin_cap = 0;
}

static void on_stdin_writable(struct loop *l, struct watch *w, uint32_t events);

/* Write what waits; the rest waits for EPOLLOUT. A broken pipe closes it. */
static void flush_stdin(struct process *p)
{
    size_t off = 0;
    while (off < p->stdin_len) {
        ssize_t n = write(p->stdin_fd, p->stdin_buf + off, p->stdin_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            log_warn("%s: cannot write to its stdin: %s", p->cfg->fullname, strerror(errno));
            close_stdin(p);
            return;
        }
        off += (size_t)n;
    }
    memmove(p->stdin_buf, p->stdin_buf + off, p->stdin_len - off);
    p->stdin_len -= off;
    uint32_t want = p->stdin_len ? EPOLLOUT : 0;
    if (want && !p->stdin_watch.active) {
        if (watch_add(p->host->loop, &p->stdin_watch, p->stdin_fd, EPOLLOUT, on_stdin_writable,
                      p) < 0)
            log_warn("%s: cannot watch its stdin: %s", p->cfg->fullname, strerror(errno));
    } else if (!want && p->stdin_watch.active) {
        watch_del(p->host->loop, &p->stdin_watch);
    }
}

static void on_stdin_writable(struct loop *l, struct watch *w, uint32_t events)
{
    (void)l;
    (void)events;
    flush_stdin(w->arg);
}

int proc_write_stdin(struct process *p, const char *buf, size_t len)
{
    if (p->stdin_fd < 0) {
        errno = EPIPE;
        return -1;
    }
    if (p->stdin_len + len > STDIN_QUEUE_MAX) {
        errno = ENOBUFS;
        return -1;
    }
    if (p->stdin_len + len > p->stdin_cap) {
        size_t cap = p->stdin_cap ? p->stdin_cap : 4096;
        while (cap < p->stdin_len + len)
            cap *= 2;
        char *nb = realloc(p->stdin_buf, cap);
        if (!nb) {
            errno = ENOBUFS;
            return -1;
        }
        p->stdin_buf = nb;
        p->stdin_cap = cap;
    }
    memcpy(p->stdin_buf + p->stdin_len, buf, len);
    p->stdin_len += len;
    flush_stdin(p);
    return 0;
}

/* A listener's stdout goes to its stdout_logfile too, as supervisord's
 * PEventListenerDispatcher writes it to the childlog: through a capture
 * stream (rotation, reopen, clear as for any log) fed by a pipe tend holds.
 * That pipe never blocks tend: what does not fit is dropped, logged. */
static void log_listener_output(struct process *p, const char *buf, size_t n)
{
    while (p->out_log_fd >= 0 && n) {
        ssize_t w = write(p->out_log_fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            log_warn("%s: %zu bytes of its stdout not logged: %s", p->cfg->fullname, n,
                     strerror(errno));
            return;
        }
        buf += w;
        n -= (size_t)w;
    }
}

/* A listener's stdout: everything readable now goes to host->on_output. */
static void read_output(struct process *p)
{
    char buf[4096];
    while (p->out_fd >= 0) {
        ssize_t n = read(p->out_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            if (n < 0)
                log_warn("%s: cannot read its stdout: %s", p->cfg->fullname, strerror(errno));
            watch_del(p->host->loop, &p->out_watch);
            close(p->out_fd);
            p->out_fd = -1;
            return;
        }
        if (p->host->on_output)
            p->host->on_output(p->host->output_arg, p, buf, (size_t)n);
        log_listener_output(p, buf, (size_t)n);
    }
}

static void on_output_readable(struct loop *l, struct watch *w, uint32_t events)
{
    (void)l;
    (void)events;
    read_output(w->arg);
}

static void close_pipes(struct process *p)
{
    close_stdin(p);
    if (p->out_log_fd >= 0) {
        close(p->out_log_fd);
        p->out_log_fd = -1;
    }
    if (p->out_fd >= 0) {
        watch_del(p->host->loop, &p->out_watch);
        close(p->out_fd);
        p->out_fd = -1;
    }
}

static void drop_run_resources(struct process *p)
{
    read_output(p); /* a listener's last words come before its exit is judged */
    close_pipes(p);
    if (p->out)
        capture_release(p->out);
    if (p->err)
        capture_release(p->err);
    p->out = p->err = NULL;
    if (p->notify)
        notify_close(p->notify);
    p->notify = NULL;
    p->notify_mainpid = 0;
}

/* A pipe between tend and the child: *MINE is tend's end, non-blocking;
 * *CHILDS blocking as a program expects. Both O_CLOEXEC. */
static int open_pipe(struct process *p, int *rd, int *wr, char *err, size_t errlen)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    int mine = rd == &p->out_fd ? pfd[0] : pfd[1];
    int fl = fcntl(mine, F_GETFL);
    if (fl < 0 || fcntl(mine, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "cannot make a pipe non-blocking: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    *rd = pfd[0];
    *wr = pfd[1];
    return 0;
}

/* Open what the child's stdin, stdout and stderr will be. */
static int prepare_stdio(struct process *p, int fd[3], char *err, size_t errlen)
{
    const struct process_config *c = p->cfg;
    fd[0] = fd[1] = fd[2] = -1;
    if (p->is_main && p->host->main_cmd) {
        fd[0] = 0; /* tend -- CMD: the command reads tend's stdin, like tini */
    } else if (c->stdin_pipe) {
        if (open_pipe(p, &fd[0], &p->stdin_fd, err, errlen) < 0)
            return -1;
    } else {
        if (!c->stdin_path && p->host->devnull >= 0) {
            fd[0] = p->host->devnull; /* shared; close_stdio leaves it open */
            goto out;
        }
        const char *in = c->stdin_path ? c->stdin_path : "/dev/null";
        /* O_NONBLOCK: opening a FIFO for reading would wait for a writer,
         * and tend with it. The child gets a blocking descriptor. */
        int in_fd;
        do
            in_fd = open(in, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        while (in_fd < 0 && errno == EINTR);
        int fl = in_fd >= 0 ? fcntl(in_fd, F_GETFL) : -1;
        if (in_fd < 0 || fl < 0 || fcntl(in_fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
            snprintf(err, errlen, "cannot open stdin %s: %s", in, strerror(errno));
            if (in_fd >= 0)
                close(in_fd);
            return -1;
        }
        fd[0] = in_fd;
    }
out:
    if (c->listener) {
        /* the protocol: read for the events room, never logged */
        if (open_pipe(p, &p->out_fd, &fd[1], err, errlen) < 0)
            return -1;
        if (watch_add(p->host->loop, &p->out_watch, p->out_fd, EPOLLIN, on_output_readable,
                      p) < 0) {
            snprintf(err, errlen, "cannot watch its stdout: %s", strerror(errno));
            return -1;
        }
        if (c->stdout_log.kind == LOG_FILE) {
            if (capture_prepare(&c->stdout_log, c->fullname, c->log_prefix, 1, &p->out,
                                &p->out_log_fd, err, errlen) < 0)
                return -1;
            int fl = fcntl(p->out_log_fd, F_GETFL);
            if (fl < 0 || fcntl(p->out_log_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                snprintf(err, errlen, "cannot make a pipe non-blocking: %s", strerror(errno));
                return -1;
            }
        }
    } else if (capture_prepare(&c->stdout_log, c->fullname, c->log_prefix, 1, &p->out, &fd[1],
                               err, errlen) < 0) {
        return -1;
    }
    if (c->redirect_stderr) {
        fd[2] = fd[1];
    } else if (capture_prepare(&c->stderr_log, c->fullname, c->log_prefix, 2, &p->err, &fd[2],
                               err, errlen) < 0) {
        return -1;
    }
    return 0;
}

static void close_stdio(int fd[3], int keep)
{
    for (int i = 0; i < 3; i++) {
        if (fd[i] > 2 && fd[i] != keep && (i == 0 || fd[i] != fd[i - 1]))
            close(fd[i]);
        fd[i] = -1;
    }
}

/* The sd_notify socket of a `ready = notify` program: in the rundir (0700)
 * when the program runs as tend's user; an abstract socket named after
 * tend's pid when it runs as another user (who cannot enter the rundir) or
 * there is no rundir. An abstract socket is not private (any local process
 * can send to it): on_notify accepts only the program's own processes. The
 * name is the fullname as is (`web:app`), so no two programs share one. */
static int open_notify(struct process *p, char *err, size_t errlen)
{
    const struct process_config *c = p->cfg;
    struct proc_host *h = p->host;
    char path[4096];
    bool in_rundir = h->rundir && !(c->user && geteuid() == 0 && c->uid != geteuid());
    if (in_rundir) {
        char dir[512];
        snprintf(dir, sizeof dir, "%.500s/notify", h->rundir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %.500s: %s", dir, strerror(errno));
            return -1;
        }
        snprintf(path, sizeof path, "%s/%s.sock", dir, c->fullname);
    } else {
        snprintf(path, sizeof path, "@tend/%d/%s", (int)getpid(), c->fullname);
    }
    p->notify = notify_open(h->loop, path, on_notify, p, err, errlen);
    return p->notify ? 0 : -1;
}

/* Only root can switch users; anyone else can run programs as itself. */
static bool user_possible(const struct process_config *c, char *err, size_t errlen)
{
    if (!c->user || geteuid() == 0)
        return true;
    struct passwd *pw = getpwuid(geteuid());
    if (pw && !strcmp(pw->pw_name, c->user))
        return true;
    snprintf(err, errlen, "cannot run as user %s: tend is not running as root", c->user);
    return false;
}

static void spawn_request(const struct process *p, const int fd[3], char **envp,
                          struct spawn_req *req)
{
    const struct process_config *c = p->cfg;
    const struct proc_host *h = p->host;
    bool main_cmd = p->is_main && h->main_cmd;
    *req = (struct spawn_req){
        .argv = c->argv,
        .path = p->exe,
        .envp = envp,
        .directory = c->directory,
        .umask_set = c->umask_set,
        .umask = c->umask,
        .set_user = c->user != NULL && geteuid() == 0,
        .user = c->user,
        .uid = c->uid,
        .gid = c->gid,
        .fd = { fd[0], fd[1], fd[2] },
        .keep_signals = main_cmd,
        .orig_mask = h->orig_mask,
        .orig_ignored = h->orig_ignored,
        .tty_fd = main_cmd ? h->tty_fd : -1,
        .keep_fds = p->is_main && h->bare_main ? h->passed_fds : NULL,
        .nkeep_fds = p->is_main && h->bare_main ? h->npassed_fds : 0,
        .nice_set = c->nice_set,
        .nice = c->nice,
        .oom_score_adj_set = c->oom_score_adj_set,
        .oom_score_adj = c->oom_score_adj,
    };
    for (int i = 0; i < CONF_NRLIMITS && req->nrlimits < SPAWN_MAX_RLIMITS; i++)
        if (c->rlimits[i].set)
            req->rlimits[req->nrlimits++] = (struct spawn_rlimit){
                conf_rlimit_key(i), conf_rlimit_resource(i),
                c->rlimits[i].soft == CONF_RLIM_INFINITY ? (unsigned long long)RLIM_INFINITY
                                                         : c->rlimits[i].soft,
                c->rlimits[i].hard == CONF_RLIM_INFINITY ? (unsigned long long)RLIM_INFINITY
                                                         : c->rlimits[i].hard};
}

/* The origin of captured output for PROCESS_LOG and PROCESS_COMMUNICATION
 * events, owned by the capture stream (which may outlive the process). */
struct log_origin {
    struct proc_host *host;
    pid_t pid;
    int which;
    bool events;              /* PROCESS_LOG wanted (*_events_enabled) */
    struct commcap *cc;       /* capture mode (*_capture_maxbytes), else NULL */
    char *group;              /* points into name's allocation */
    char name[];
};

static void origin_piece(void *arg, const char *buf, size_t n)
{
    struct log_origin *o = arg;
    if (o->events && o->host->on_log)
        o->host->on_log(o->host->output_arg, o->name, o->group, o->pid, o->which, buf, n);
}

static void origin_comm(void *arg, const char *buf, size_t n)
{
    struct log_origin *o = arg;
    log_debug("'%s' %s emitted a comm event", o->name, o->which == 1 ? "stdout" : "stderr");
    if (o->host->on_comm)
        o->host->on_comm(o->host->output_arg, o->name, o->group, o->pid, o->which, buf, n);
}

static size_t log_tap(void *arg, char *buf, size_t n, size_t room)
{
    static const struct commcap_ops ops = {origin_piece, origin_comm};
    struct log_origin *o = arg;
    if (o->cc)
        return commcap_feed(o->cc, buf, n, room, &ops, o);
    origin_piece(o, buf, n);
    return n;
}

static void origin_free(void *arg)
{
    struct log_origin *o = arg;
    commcap_free(o->cc);
    free(o);
}

static void tap_events(struct process *p, struct capture *cap, int which)
{
    const struct process_config *c = p->cfg;
    const struct log_target *t = which == 1 ? &c->stdout_log : &c->stderr_log;
    size_t nl = strlen(c->name) + 1, gl = strlen(c->group) + 1;
    struct log_origin *o = cap ? malloc(sizeof *o + nl + gl) : NULL;
    struct commcap *cc = o && t->capture_maxbytes ? commcap_new(t->capture_maxbytes) : NULL;
    if (!o || (t->capture_maxbytes && !cc)) {
        if (cap)
            log_error("%s: out of memory: no PROCESS_LOG/COMMUNICATION events this run",
                      c->fullname);
        free(o);
        return;
    }
    o->host = p->host;
    o->pid = p->pid;
    o->which = which;
    o->events = t->events;
    o->cc = cc;
    memcpy(o->name, c->name, nl);
    o->group = o->name + nl;
    memcpy(o->group, c->group, gl);
    capture_tap(cap, log_tap, o, origin_free);
}

static void on_ready(void *arg, bool ok, const char *reason);

/* The probe objects of this run, with the program's user, environment and
 * directory for exec: probes. Out of memory: logged, and the program runs
 * unprobed (readiness then falls back to the startsecs timer's verdict). */
static void prepare_probes(struct process *p, const struct spawn_req *req)
{
    const struct process_config *c = p->cfg;
    struct probe_exec x = {
        .envp = req->envp, .directory = req->directory, .umask_set = req->umask_set,
        .umask = req->umask, .set_user = req->set_user, .user = req->user, .uid = req->uid,
        .gid = req->gid,
    };
    if (c->ready == READY_PROBE) {
        if (!p->ready_probe)
            p->ready_probe = probe_new(p->host->loop, &c->ready_probe, c->fullname, on_ready, p);
        if (!p->ready_probe || probe_set_exec(p->ready_probe, &x) < 0)
            log_error("%s: out of memory for its readiness probe", c->fullname);
    }
    if (c->healthcheck.kind != PROBE_NONE) {
        if (!p->health_probe)
            p->health_probe = probe_new(p->host->loop, &c->healthcheck, c->fullname, on_health,
                                        p);
        if (!p->health_probe || probe_set_exec(p->health_probe, &x) < 0)
            log_error("%s: out of memory for its healthcheck", c->fullname);
    }
}

/* Spawn P with its current config: STARTING (or RUNNING at once with
 * startsecs = 0), or a failed start. */
static void do_spawn(struct process *p)
{
    struct proc_host *h = p->host;
    const struct process_config *c = p->cfg;
    char err[1024] = "";
    int fd[3] = { -1, -1, -1 };
    int code = 1;
    struct envbuf env = { 0 };

    p->kill_sent = false;
    p->ready_timed_out = false;
    p->oom_killed = false;
    p->pending_start = false;
    p->dep_stopped = false;
    p->status_text[0] = 0;
    timer_disarm(h->loop, &p->timer);
    if (h->shutting_down || p->removed) {
        /* a start that was under way when tend began to stop */
        if (p->state != PS_STOPPED)
            set_state(p, PS_STOPPED, "%s", p->removed ? "removed from the configuration"
                                                       : "tend is shutting down");
        return;
    }

    if (!user_possible(c, err, sizeof err))
        goto fail;
    if (prepare_stdio(p, fd, err, sizeof err) < 0)
        goto fail;
    if (c->ready == READY_NOTIFY && open_notify(p, err, sizeof err) < 0)
        goto fail;
    if (build_env(p, &env, p->notify ? notify_address(p->notify) : NULL, err, sizeof err) < 0)
        goto fail;
    /* The PATH search is done once per config (proc_set_config forgets it),
     * not at every restart. */
    if (!p->exe)
        p->exe = spawn_find_program(c->argv[0], env.v);
    int cg_fd = -1;
    if (h->cgroups && (cg_fd = cgroup_prepare(h->cgroups, p, err, sizeof err)) < 0)
        goto fail;
    struct spawn_req req;
    spawn_request(p, fd, env.v, &req);
    req.cgroup_set = cg_fd >= 0;
    req.cgroup_fd = cg_fd;
    req.cgroup_path = cgroup_path_of(h->cgroups, p);
    pid_t pid = spawn_process(&req, err, sizeof err, &code);
    if (cg_fd >= 0)
        close(cg_fd);
    close_stdio(fd, h->devnull);
    if (pid > 0)
        prepare_probes(p, &req);
    env_free(&env);
    if (pid < 0) {
        free(p->exe); /* the file may have moved: search again next time */
        p->exe = NULL;
        goto fail_spawned;
    }

    p->pid = pid;
    p->pgid = pid;
    p->last_pid = pid;
    p->started_at = loop_now();
    if ((c->stdout_log.events || c->stdout_log.capture_maxbytes) && !c->listener)
        tap_events(p, p->out, 1);
    if ((c->stderr_log.events || c->stderr_log.capture_maxbytes) && !c->redirect_stderr)
        tap_events(p, p->err, 2);
    log_debug("%s: spawned pid %d: %s", c->fullname, (int)pid, c->command);
    if (c->ready == READY_STARTSECS && c->startsecs == 0) {
        set_state(p, PS_STARTING, NULL);
        if (p->state == PS_STARTING && p->pid == pid) {
            p->failed_starts = 0;
            set_state(p, PS_RUNNING, "started, startsecs = 0");
        }
        return;
    }
    timer_arm(h->loop, &p->timer, (uint64_t)c->startsecs * 1000);
    set_state(p, PS_STARTING, NULL);
    if (p->state == PS_STARTING && p->pid == pid && c->ready == READY_PROBE && p->ready_probe) {
        /* each try lasts at most the healthcheck timeout, never past startsecs */
        unsigned tmo = (unsigned)c->healthcheck_timeout_ms;
        if ((uint64_t)tmo > (uint64_t)c->startsecs * 1000)
            tmo = (unsigned)c->startsecs * 1000;
        p->probe_reason[0] = 0;
        probe_every(p->ready_probe, 0, (unsigned)c->ready_interval_ms, tmo ? tmo : 1);
    }
    return;

fail:
    close_stdio(fd, h->devnull);
    env_free(&env);
    code = 1;
fail_spawned:
    drop_run_resources(p);
    log_error("%s: cannot start: %s", c->fullname, err);
    p->spawn_failed_code = code;
    start_failed(p, err);
}

/* ---- transitions ---- */

static void begin_restart(struct process *p)
{
    p->restarts++;
    do_spawn(p);
}

/* The wait before retry number N of a failed start: 1 s, 2 s, 3 s... as
 * supervisord, at most backoff_max (startretries = forever must not wait
 * for ever longer), never less than restart_delay. */
static uint64_t backoff_retry_ms(const struct process_config *c, unsigned n)
{
    uint64_t d = (uint64_t)n * 1000;
    if (c->backoff_max_ms > 0 && d > (uint64_t)c->backoff_max_ms)
        d = (uint64_t)c->backoff_max_ms;
    if (d < (uint64_t)c->restart_delay_ms)
        d = (uint64_t)c->restart_delay_ms;
    return d;
}

/* restart_limit_count automatic restarts within restart_limit_interval
 * already: FATAL instead of one more (so on_fatal = shutdown can end a
 * container whose helper keeps crashing). True when it went FATAL. */
static bool restart_limit_hit(struct process *p);

static bool restart_limited(struct process *p, const char *what)
{
    if (!restart_limit_hit(p))
        return false;
    set_state(p, PS_FATAL, "%s; restarted %d times in %d s (restart_limit_count)", what,
              p->cfg->restart_limit_count, p->cfg->restart_limit_interval_ms / 1000);
    return true;
}

/* Count one more automatic restart: true (and no count) when it would be
 * one too many within restart_limit_interval. */
static bool restart_limit_hit(struct process *p)
{
    const struct process_config *c = p->cfg;
    if (c->restart_limit_count <= 0)
        return false;
    size_t cap = (size_t)c->restart_limit_count;
    if (p->restart_times_cap != cap) {
        uint64_t *v = calloc(cap, sizeof *v);
        if (!v)
            return false; /* out of memory: no limit, rather than no restart */
        free(p->restart_times);
        p->restart_times = v;
        p->restart_times_cap = cap;
        p->nrestart_times = p->restart_times_head = 0;
    }
    uint64_t now = loop_now();
    size_t oldest = (p->restart_times_head + cap - p->nrestart_times) % cap;
    if (p->nrestart_times == cap &&
        now - p->restart_times[oldest] <= (uint64_t)c->restart_limit_interval_ms) {
        p->nrestart_times = 0;
        return true;
    }
    p->restart_times[p->restart_times_head] = now;
    p->restart_times_head = (p->restart_times_head + 1) % cap;
    if (p->nrestart_times < cap)
        p->nrestart_times++;
    return false;
}

/* An attempt to start did not reach RUNNING (spawn error, early exit,
 * readiness timeout). */
static void start_failed(struct process *p, const char *why)
{
    struct proc_host *h = p->host;
    if (p->is_main) {
        /* The main program is never restarted: tend ends with its status. */
        if (p->exit_status < 0 || p->pid == 0) {
            if (p->spawn_failed_code)
                p->exit_status = (p->spawn_failed_code & 0xff) << 8;
        }
        set_state(p, PS_EXITED, "%s", why);
        return;
    }
    if (h->shutting_down || p->removed) {
        set_state(p, PS_STOPPED, "%s", why);
        return;
    }
    p->failed_starts++;
    if (p->failed_starts > (unsigned)p->cfg->startretries) {
        /* through BACKOFF, as supervisord (its events say from_state:BACKOFF) */
        set_state(p, PS_BACKOFF, "%s", why);
        if (p->state == PS_BACKOFF)
            set_state(p, PS_FATAL, "%s; gave up after %u tries", why, p->failed_starts);
        return;
    }
    uint64_t delay = backoff_retry_ms(p->cfg, p->failed_starts);
    timer_arm(h->loop, &p->timer, delay);
    if (p->cfg->startretries == CONF_RETRIES_FOREVER)
        set_state(p, PS_BACKOFF, "%s; retry %u in %llu s", why, p->failed_starts,
                  (unsigned long long)(delay / 1000));
    else
        set_state(p, PS_BACKOFF, "%s; retry %u of %d in %llu s", why, p->failed_starts,
                  p->cfg->startretries, (unsigned long long)(delay / 1000));
}

static void exited_running(struct process *p, int status, const char *what)
{
    const struct process_config *c = p->cfg;
    struct proc_host *h = p->host;
    bool expected = WIFEXITED(status) && conf_exitcode_expected(c, WEXITSTATUS(status));
    bool restart = !p->is_main && !h->shutting_down && !p->removed &&
                   (c->autorestart == RESTART_TRUE ||
                    (c->autorestart == RESTART_UNEXPECTED && !expected));
    if (!restart) {
        set_state(p, PS_EXITED, "%s%s", what, expected ? "" : ", not expected");
        return;
    }
    uint64_t now = loop_now();
    if (now - p->started_at >= STABLE_RUN_MS)
        p->crashes = 0;
    p->crashes++;
    if (restart_limited(p, what))
        return;
    uint64_t delay = conf_backoff_delay_ms(c, p->crashes);
    if (delay == 0) {
        set_state(p, PS_EXITED, "%s%s; restarting", what, expected ? "" : ", not expected");
        if (p->state == PS_EXITED && !timer_armed(&p->timer) && !proc_busy(p))
            begin_restart(p);
        return;
    }
    timer_arm(h->loop, &p->timer, delay);
    set_state(p, PS_EXITED, "%s%s; restarting in %llu.%llu s", what,
              expected ? "" : ", not expected", (unsigned long long)(delay / 1000),
              (unsigned long long)(delay % 1000 / 100));
}

static void start_or_wait(struct process *p, bool asked);

/* STOPPING is over: the program and its process group are gone. It takes
 * the settings a reload gave it, and starts again when a restart or that
 * reload asked for it. */
static void stopped(struct process *p, const char *what)
{
    struct proc_host *h = p->host;
    p->group_wait = false;
    bool again = p->restart_after_stop && !h->shutting_down && !p->removed;
    p->restart_after_stop = false;
    if (p->next_cfg && !p->removed) {
        proc_set_config(p, p->next_cfg);
        p->next_cfg = NULL;
    }
    /* observers of STOPPED see that it is coming back */
    p->pending_start = again;
    p->pending_at = loop_now();
    if (p->fatal_after_stop[0] && !again) {
        char why[sizeof p->fatal_after_stop];
        snprintf(why, sizeof why, "%s", p->fatal_after_stop);
        p->fatal_after_stop[0] = '\0';
        set_state(p, PS_FATAL, "%s", why);
        return;
    }
    p->fatal_after_stop[0] = '\0';
    set_state(p, PS_STOPPED, "%s", what);
    if (again && p->state == PS_STOPPED && p->pending_start) {
        /* (unless a check nested in the notification started it already) */
        p->failed_starts = 0;
        p->crashes = 0;
        start_or_wait(p, false);
    }
}

/* The leader exited while stopping, but its process group lives on (the
 * workers of a shell wrapper, say, still finishing their requests). They
 * get the stop signal too, unless stopasgroup already sent it, and the
 * rest of stopwaitsecs before SIGKILL; the program stays STOPPING until
 * the group is empty, so a restart never overlaps the old run. Orphaned
 * members come back to tend (PID 1 or subreaper) and each reap re-checks
 * (proc_check_group). True when waiting. */
static bool group_lingers(struct process *p)
{
    if (!group_alive(p))
        return false;
    p->group_wait = true;
    if (p->kill_sent) {
        kill(-p->pgid, SIGKILL); /* past stopwaitsecs already */
        kill_cgroup(p);
    } else if (!p->cfg->stopasgroup) {
        kill(-p->pgid, p->stop_sig);
    }
    log_debug("%s: leader exited; waiting for process group %d", p->cfg->fullname, (int)p->pgid);
    notify_change(p, p->state); /* pid 0 in status */
    return true;
}

void proc_check_group(struct process *p)
{
    if (!p->group_wait || group_alive(p))
        return;
    timer_disarm(p->host->loop, &p->timer);
    char what[96];
    describe_exit(p->exit_status, what, sizeof what);
    stopped(p, what);
}

/* MAINPID= may be followed only to a child of tend (one tend will reap) in
 * the program's process group: never tend, PID 1, or a stranger. */
static bool mainpid_adoptable(const struct process *p, pid_t pid)
{
    if (pid <= 0 || pid == getpid() || pid == 1 || getpgid(pid) != p->pgid)
        return false;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    char *rp = strrchr(buf, ')'); /* the command name may hold anything */
    char st;
    int ppid;
    if (!rp || sscanf(rp + 1, " %c %d", &st, &ppid) != 2)
        return false;
    return st != 'Z' && ppid == (int)getpid();
}

void proc_exited(struct process *p, int status)
{
    struct proc_host *h = p->host;
    pid_t pid = p->pid;
    /* A MAINPID= sent just before the exit must be seen before judging it. */
    if (p->notify)
        notify_drain(p->notify);
    /* MAINPID= named another process of this program: follow it instead. */
    if (p->notify_mainpid > 0 && p->notify_mainpid != pid) {
        if (mainpid_adoptable(p, p->notify_mainpid)) {
            log_info("%s: pid %d exited, following MAINPID %d", p->cfg->fullname, (int)pid,
                     (int)p->notify_mainpid);
            p->pid = p->notify_mainpid;
            p->notify_mainpid = 0;
            notify_change(p, p->state);
            return;
        }
        log_warn("%s: MAINPID %d is not a child of tend in the program's process group; "
                 "not following it", p->cfg->fullname, (int)p->notify_mainpid);
        p->notify_mainpid = 0;
    }
    p->pid = 0;
    p->exit_status = status;
    drop_run_resources(p); /* capture keeps reading until the pipes' last writer is gone */
    if (p->state == PS_STOPPING && group_lingers(p))
        return;
    timer_disarm(h->loop, &p->timer);
    char what[96];
    describe_exit(status, what, sizeof what);
    oom_note(p, what, sizeof what);
    switch (p->state) {
    case PS_STARTING:
        if (p->ready_timed_out && p->cfg->ready == READY_PROBE) {
            char why[160];
            snprintf(why, sizeof why, "not ready within startsecs (%s)",
                     p->probe_reason[0] ? p->probe_reason : "no probe answered");
            start_failed(p, why);
        } else if (p->ready_timed_out) {
            start_failed(p, "no READY=1 within startsecs");
        } else if (p->is_main) {
            set_state(p, PS_EXITED, "%s", what);
        } else {
            start_failed(p, what);
        }
        break;
    case PS_RUNNING:
        p->stop_pending = false; /* nothing left to stop */
        exited_running(p, status, what);
        break;
    case PS_STOPPING:
        stopped(p, what);
        break;
    default:
        set_state(p, PS_EXITED, "%s", what);
        break;
    }
}

static bool deps_up(const struct process *p);

static void on_timer(struct loop *l, struct timer *t)
{
    struct process *p = t->arg;
    struct proc_host *h = p->host;
    (void)l;
    switch (p->state) {
    case PS_STARTING:
        /* Judge startsecs only after every exit that already happened was
         * seen: a program that died at once must not count as RUNNING
         * because the loop woke late. */
        if (h->reap)
            h->reap(h->arg);
        if (p->state != PS_STARTING)
            return;
        if (p->cfg->ready == READY_STARTSECS) {
            p->failed_starts = 0;
            set_state(p, PS_RUNNING, "up for %d s", p->cfg->startsecs);
        } else {
            if (p->cfg->ready == READY_PROBE)
                log_warn("%s: not ready within %d s (%s), killing it", p->cfg->fullname,
                         p->cfg->startsecs,
                         p->probe_reason[0] ? p->probe_reason : "no probe answered");
            else
                log_warn("%s: no READY=1 within %d s, killing it", p->cfg->fullname,
                         p->cfg->startsecs);
            p->ready_timed_out = true;
            send_signal(p, SIGKILL, true);
        }
        break;
    case PS_BACKOFF:
    case PS_EXITED:
        /* A retry against a dependency that went down meanwhile would
         * only fail: wait for it instead. */
        if (!deps_up(p)) {
            p->pending_start = true;
            p->pending_at = loop_now();
            log_info("%s: waiting for its dependencies before it starts again",
                     p->cfg->fullname);
            break;
        }
        begin_restart(p);
        break;
    case PS_STOPPING:
        if (p->pid > 0) {
            log_warn("%s: still alive %d s after SIG%s, sending SIGKILL", p->cfg->fullname,
                     p->cfg->stopwaitsecs, conf_signal_name(p->stop_sig));
            p->kill_sent = true;
            send_signal(p, SIGKILL, p->cfg->killasgroup);
            kill_cgroup(p);     /* and whatever left its process group */
        } else if (p->group_wait) {
            log_warn("%s: process group %d still alive %d s after SIG%s, sending SIGKILL",
                     p->cfg->fullname, (int)p->pgid, p->cfg->stopwaitsecs,
                     conf_signal_name(p->stop_sig));
            p->kill_sent = true;
            kill(-p->pgid, SIGKILL);
            if (p->host->cgroups && cgroup_populated(p->host->cgroups, p)) {
                /* the cgroup says when they are gone (cgroup.events) */
                cgroup_kill(p->host->cgroups, p);
                break;
            }
            /* SIGKILL cannot be refused: done, even where tend never
             * hears of their deaths (not a subreaper). */
            char what[96];
            describe_exit(p->exit_status, what, sizeof what);
            stopped(p, what);
        }
        break;
    default:
        break;
    }
}

void proc_ready(struct process *p)
{
    if (p->state != PS_STARTING)
        return;
    timer_disarm(p->host->loop, &p->timer);
    p->failed_starts = 0;
    set_state(p, PS_RUNNING, "READY=1");
}

/* ready = PROBE: one try ended. */
static void on_ready(void *arg, bool ok, const char *reason)
{
    struct process *p = arg;
    if (p->state != PS_STARTING)
        return;
    if (!ok) {
        snprintf(p->probe_reason, sizeof p->probe_reason, "%s", reason);
        log_debug("%s: not ready yet: %s", p->cfg->fullname, reason);
        return;
    }
    probe_cancel(p->ready_probe);
    timer_disarm(p->host->loop, &p->timer);
    p->failed_starts = 0;
    set_state(p, PS_RUNNING, "ready: its probe answered");
}

static bool restart_limited(struct process *p, const char *what);
static int stop_request(struct process *p, int sig, bool *already);

/* healthcheck: one check ended. Failures within the start period do not
 * count; healthcheck_retries in a row make the program unhealthy (logged
 * with the reason, shown by status), which the action then answers. */
static void on_health(void *arg, bool ok, const char *reason)
{
    struct process *p = arg;
    const struct process_config *c = p->cfg;
    if (p->state != PS_RUNNING)
        return;
    if (ok) {
        bool news = !p->health_known || p->unhealthy;
        if (p->unhealthy)
            log_info("%s: healthy again", c->fullname);
        p->health_failures = 0;
        p->unhealthy = false;
        p->health_known = true;
        if (news)
            notify_change(p, p->state);
        return;
    }
    if (loop_now() - p->running_at < (uint64_t)c->healthcheck_start_period_ms) {
        log_debug("%s: health check failed in the start period: %s", c->fullname, reason);
        return;
    }
    p->health_failures++;
    snprintf(p->probe_reason, sizeof p->probe_reason, "%s", reason);
    if (p->unhealthy || p->health_failures < (unsigned)c->healthcheck_retries) {
        log_debug("%s: health check failed (%u in a row): %s", c->fullname,
                  p->health_failures, reason);
        return;
    }
    p->unhealthy = true;
    p->health_known = true;
    log_warn("%s: unhealthy (%u failures: %s)%s", c->fullname, p->health_failures, reason,
             c->healthcheck_action == HEALTH_RESTART ? ", restarting it"
             : c->healthcheck_action == HEALTH_STOP  ? ", stopping it"
                                                     : "");
    notify_change(p, p->state);
    if (p->state != PS_RUNNING)
        return;
    bool already;
    switch (c->healthcheck_action) {
    case HEALTH_RESTART:
        /* past restart_limit_count: stopped first, then FATAL (never FATAL
         * with the process still running) */
        if (!p->is_main)
            proc_restart_auto(p, "unhealthy");
        break;
    case HEALTH_STOP:
        proc_stop(p, &already);
        break;
    case HEALTH_NONE:
        break;
    }
}

static void on_notify(void *arg, pid_t sender, const struct notify_msg *m)
{
    struct process *p = arg;
    if (p->pid <= 0)
        return;
    /* Only the program itself, its MAINPID, or its process group speak.
     * Debug level: any local user can send to the socket, and must not be
     * able to flood tend's log. */
    if (sender != p->pid && sender != p->notify_mainpid && getpgid(sender) != p->pgid) {
        log_debug("%s: ignored sd_notify message from pid %d (not the program's)",
                  p->cfg->fullname, (int)sender);
        return;
    }
    /* MAINPID must be in the program's process group: never tend itself,
     * PID 1 or a stranger that tend would later signal. */
    if (m->mainpid > 0) {
        if (m->mainpid != getpid() && m->mainpid != 1 && getpgid(m->mainpid) == p->pgid)
            p->notify_mainpid = m->mainpid;
        else
            log_warn("%s: ignored MAINPID=%d (not in the program's process group)",
                     p->cfg->fullname, (int)m->mainpid);
    }
    if (m->has_status) {
        snprintf(p->status_text, sizeof p->status_text, "%s", m->status);
        notify_change(p, p->state);
    }
    if (m->ready)
        proc_ready(p);
}

/* ---- dependencies ---- */

/* Q counts as up for its dependents: RUNNING (or finished as expected) and
 * not about to go down or to change. */
static bool dep_up(const struct process *q)
{
    if (q->stop_pending || q->next_cfg || q->restart_after_stop || q->removed)
        return false;
    return q->state == PS_RUNNING || proc_finished_ok(q);
}

static bool deps_up(const struct process *p)
{
    for (size_t i = 0; i < p->ndeps; i++)
        if (p->deps[i] != p && !dep_up(p->deps[i]))
            return false;
    return true;
}

static int start_common(struct process *p, bool *already, char *err, size_t errlen, bool asked);

/* Start the dependencies of P that are down and not on their way up. A
 * start someone ASKED for starts them all; an automatic one (a reload, a
 * restart) leaves alone those stopped on request, and waits for them. */
static void start_deps(struct process *p, bool asked)
{
    for (size_t i = 0; i < p->ndeps; i++) {
        struct process *q = p->deps[i];
        if (q == p || dep_up(q) || proc_busy(q) || (q->held && !asked))
            continue;
        bool already;
        char err[256];
        if (start_common(q, &already, err, sizeof err, asked) < 0)
            log_warn("%s: cannot start its dependency %s: %s", p->cfg->fullname,
                     q->cfg->fullname, err);
    }
}

/* Start P now when its dependencies are up, else once they are (the
 * owner's on_change calls proc_check_pending after every change). */
static void start_or_wait(struct process *p, bool asked)
{
    /* pending only once every dependency was started: a check nested in
     * the start of the first must not judge P by those not started yet
     * (but a dependency that fails from now on counts: pending_at) */
    p->pending_at = loop_now();
    start_deps(p, asked);
    p->pending_start = true;
    if (deps_up(p)) {
        do_spawn(p);
    } else {
        log_info("%s: waiting for its dependencies before it starts", p->cfg->fullname);
        proc_check_pending(p); /* one that could not start fails it now */
    }
}

static bool dependents_alive(const struct process *p)
{
    for (size_t i = 0; i < p->ndependents; i++)
        if (proc_alive(p->dependents[i]))
            return true;
    return false;
}

static int stop_request(struct process *p, int sig, bool *already);

/* Stop the dependents of P that are up; they start again once P is back
 * (dep_stopped). True when any is still alive. */
static bool stop_dependents(struct process *p)
{
    bool any = false;
    for (size_t i = 0; i < p->ndependents; i++) {
        struct process *q = p->dependents[i];
        if (!proc_alive(q))
            continue;
        any = true;
        if (q->state == PS_STOPPING || q->stop_pending)
            continue;
        bool already;
        stop_request(q, q->cfg->stopsignal, &already);
        q->dep_stopped = true;
        q->restart_after_stop = false;
    }
    return any;
}

/* ---- requests ---- */

int proc_start(struct process *p, bool *already, char *err, size_t errlen)
{
    return start_common(p, already, err, errlen, true);
}

int proc_autostart(struct process *p, bool *already, char *err, size_t errlen)
{
    return start_common(p, already, err, errlen, false);
}

static int start_common(struct process *p, bool *already, char *err, size_t errlen, bool asked)
{
    *already = false;
    if (p->removed) {
        snprintf(err, errlen, "removed from the configuration");
        return -1;
    }
    if (p->host->shutting_down) {
        snprintf(err, errlen, "tend is shutting down");
        return -1;
    }
    switch (p->state) {
    case PS_STARTING:
    case PS_RUNNING:
        if (p->stop_pending) {
            p->restart_after_stop = true; /* down first, as asked before */
            return 0;
        }
        *already = true;
        return 0;
    case PS_STOPPING:
        p->restart_after_stop = true;
        return 0;
    default:
        break;
    }
    if (p->pending_start)
        return 0;
    timer_disarm(p->host->loop, &p->timer);
    p->failed_starts = 0;
    p->crashes = 0;
    p->stop_pending = false;
    p->dep_stopped = false;
    p->held = false;
    start_or_wait(p, asked);
    return 0;
}

/* Send the stop signal now: STOPPING, SIGKILL after stopwaitsecs. */
static void stop_now(struct process *p, int sig)
{
    p->stop_pending = false;
    p->stop_sig = sig;
    p->kill_sent = false;
    timer_arm(p->host->loop, &p->timer, (uint64_t)p->cfg->stopwaitsecs * 1000);
    if (send_signal(p, sig, p->cfg->stopasgroup) < 0 && errno != ESRCH)
        log_error("%s: kill(%d, SIG%s): %s", p->cfg->fullname, (int)p->pid,
                  conf_signal_name(sig), strerror(errno));
    /* what left its process group (a setsid daemon) hears it too: its
     * cgroup knows it, and nothing else would tell it before cgroup.kill */
    unsigned esc = p->host->cgroups && p->pgid > 0
                       ? cgroup_signal_escaped(p->host->cgroups, p, p->pgid, sig) : 0;
    if (esc)
        log_info("%s: SIG%s also to %u process%s of its cgroup outside its process group",
                 p->cfg->fullname, conf_signal_name(sig), esc, esc == 1 ? "" : "es");
    set_state(p, PS_STOPPING, "sent SIG%s", conf_signal_name(sig));
}

/* Stop P with SIG, its dependents first (during shutdown the owner orders
 * the stops itself). Leaves the restart/pending flags alone. */
static int stop_request(struct process *p, int sig, bool *already)
{
    *already = false;
    /* What depends on P goes down with it, even when P itself is only
     * between two runs (a crash loop's delay): it was started against P. */
    if (p->state != PS_STARTING && p->state != PS_RUNNING && !p->host->shutting_down)
        stop_dependents(p);
    switch (p->state) {
    case PS_STARTING:
    case PS_RUNNING:
        if (!p->host->shutting_down && stop_dependents(p)) {
            /* Dependents go first; we follow when they are down. */
            p->stop_pending = true;
            p->pending_sig = sig;
            return 0;
        }
        stop_now(p, sig);
        return 0;
    case PS_STOPPING:
        return 0;
    case PS_BACKOFF:
        timer_disarm(p->host->loop, &p->timer);
        set_state(p, PS_STOPPED, "stopped while waiting to retry");
        return 0;
    case PS_EXITED:
        if (timer_armed(&p->timer)) {
            timer_disarm(p->host->loop, &p->timer);
            set_state(p, PS_STOPPED, "stopped while waiting to restart");
            return 0;
        }
        *already = true;
        return 0;
    default:
        *already = true;
        return 0;
    }
}

int proc_stop_with(struct process *p, int sig, bool *already)
{
    bool was_pending = p->pending_start || p->dep_stopped;
    p->held = true;
    p->restart_after_stop = false;
    p->pending_start = false;
    p->dep_stopped = false;
    stop_request(p, sig, already);
    if (*already && was_pending) {
        *already = false;
        set_state(p, p->state, "start cancelled");
    }
    return 0;
}

int proc_stop(struct process *p, bool *already)
{
    return proc_stop_with(p, p->cfg->stopsignal, already);
}

int proc_restart(struct process *p, char *err, size_t errlen)
{
    bool already;
    if (p->removed || p->host->shutting_down) {
        snprintf(err, errlen, "%s", p->removed ? "removed from the configuration"
                                               : "tend is shutting down");
        return -1;
    }
    if (proc_alive(p) || p->stop_pending) {
        proc_stop(p, &already);
        p->restart_after_stop = true; /* stopped() starts it again */
        return 0;
    }
    proc_stop(p, &already); /* a retry or restart timer, a pending start */
    return proc_start(p, &already, err, errlen);
}

int proc_restart_auto(struct process *p, const char *why)
{
    const struct process_config *c = p->cfg;
    bool already;
    if (p->removed || p->host->shutting_down || p->stop_pending ||
        (p->state != PS_STARTING && p->state != PS_RUNNING))
        return -1;
    p->pending_start = false;
    p->dep_stopped = false;
    if (!p->is_main && restart_limit_hit(p)) {
        snprintf(p->fatal_after_stop, sizeof p->fatal_after_stop,
                 "%s; restarted %d times in %d s (restart_limit_count)", why,
                 c->restart_limit_count, c->restart_limit_interval_ms / 1000);
        stop_request(p, c->stopsignal, &already);
        p->restart_after_stop = false;
        return 1;
    }
    p->restarts++;
    stop_request(p, c->stopsignal, &already);
    p->restart_after_stop = true; /* stopped() starts it again */
    return 0;
}

bool proc_reconfigure(struct process *p, struct process_config *cfg)
{
    if (proc_alive(p) || p->stop_pending) {
        /* it comes back when it was up, or going down only to come back
         * (a restart, a dependency's restart) */
        bool already,
            again = p->state != PS_STOPPING || p->restart_after_stop || p->dep_stopped;
        p->next_cfg = cfg;
        p->pending_start = false;
        p->dep_stopped = false;
        stop_request(p, p->cfg->stopsignal, &already);
        p->restart_after_stop = again && cfg->autostart;
        return false;
    }
    bool waiting = timer_armed(&p->timer);
    timer_disarm(p->host->loop, &p->timer);
    p->pending_start = false;
    p->dep_stopped = false;
    p->next_cfg = NULL;
    p->failed_starts = 0;
    p->crashes = 0;
    proc_set_config(p, cfg);
    if (waiting && !cfg->autostart)
        set_state(p, PS_STOPPED, "configuration changed");
    return cfg->autostart;
}

void proc_remove(struct process *p)
{
    p->removed = true;
    p->pending_start = false;
    p->stop_pending = false;
    p->restart_after_stop = false;
    p->dep_stopped = false;
    p->next_cfg = NULL;
    proc_set_deps(p, NULL, 0);
    free(p->dependents);
    p->dependents = NULL;
    p->ndependents = 0;
    if (p->state == PS_STARTING || p->state == PS_RUNNING) {
        stop_now(p, p->cfg->stopsignal);
    } else if (!proc_alive(p) && timer_armed(&p->timer)) {
        timer_disarm(p->host->loop, &p->timer);
        set_state(p, PS_STOPPED, "removed from the configuration");
    }
}

/* Q is up, or on its way: starting, retrying, going down to come back, or
 * stopped by tend for a dependency that is itself on its way. Not: stopped
 * on request, or waiting on something that was (depends_on has no cycles). */
static bool coming_up(const struct process *q)
{
    if (dep_up(q) || proc_busy(q))
        return true;
    if (!q->dep_stopped)
        return false;
    for (size_t i = 0; i < q->ndeps; i++)
        if (q->deps[i] != q && !coming_up(q->deps[i]))
            return false;
    return true;
}

/* Q failed since SINCE (monotonic ms): it was spawned since and exited
 * unexpectedly (a crash loop would otherwise keep a waiting start waiting
 * for ever), or its own pending start gave up for such a failure. */
static bool failed_since(const struct process *q, uint64_t since)
{
    if (q->gave_up_at && q->gave_up_at >= since)
        return true;
    return q->state == PS_EXITED && q->started_at >= since && !proc_finished_ok(q);
}

/* Called by the owner after any change: pending starts whose dependencies
 * are now up (or FATAL, or failed while they waited), pending stops whose
 * dependents are now down, and programs stopped for a dependency that is
 * back. */
void proc_check_pending(struct process *p)
{
    struct proc_host *h = p->host;
    if ((p->pending_start || p->dep_stopped) && (h->shutting_down || p->removed)) {
        p->pending_start = false;
        p->dep_stopped = false;
    }
    if (p->pending_start) {
        const struct process *fatal = NULL, *down = NULL, *failed = NULL;
        for (size_t i = 0; i < p->ndeps && !fatal && !failed; i++) {
            const struct process *q = p->deps[i];
            if (q != p && failed_since(q, p->pending_at))
                failed = q;
            if (q == p || failed || coming_up(q))
                continue;
            if (q->state == PS_FATAL)
                fatal = q;
            else
                down = q;
        }
        if (fatal) {
            p->pending_start = false;
            set_state(p, PS_FATAL, "its dependency %s is FATAL", fatal->cfg->fullname);
        } else if (failed) {
            /* it was up or on its way and went down again: answer whoever
             * waits now, and come back with it (dep_stopped) */
            timer_disarm(h->loop, &p->timer);
            p->pending_start = false;
            p->dep_stopped = true;
            p->gave_up_at = loop_now();
            if (!p->gave_up_at)
                p->gave_up_at = 1;
            set_state(p, PS_STOPPED, "its dependency %s failed while it waited",
                      failed->cfg->fullname);
        } else if (down) {
            /* stopped on request and nothing brings it back: do not wait
             * forever, and do not fight the stop; come back with it */
            timer_disarm(h->loop, &p->timer);
            p->pending_start = false;
            p->dep_stopped = true;
            set_state(p, PS_STOPPED, "its dependency %s is stopped", down->cfg->fullname);
        } else if (deps_up(p)) {
            if (p->state == PS_BACKOFF || p->state == PS_EXITED)
                begin_restart(p); /* an automatic retry that waited */
            else
                do_spawn(p);
        }
    } else if (p->dep_stopped && !proc_busy(p) && deps_up(p)) {
        log_info("%s: its dependencies are up again, starting it", p->cfg->fullname);
        p->failed_starts = 0;
        p->crashes = 0;
        do_spawn(p);
    }
    if (p->stop_pending && !dependents_alive(p)) {
        if (p->state == PS_STARTING || p->state == PS_RUNNING)
            stop_now(p, p->pending_sig);
        else
            p->stop_pending = false;
    }
}
