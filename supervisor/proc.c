/* proc.c - the process table's state machine: the only place a state changes. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "log.h"
#include "notify.h"
#include "spawn.h"
#include "supervisor.h"

extern char **environ;

/* A crash loop after RUNNING: restart at once, then 1 s, 2 s, 4 s ... 60 s;
 * a run this long without exit forgets the earlier crashes. */
#define CRASH_DELAY_CAP_MS 60000
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

struct process *proc_new(struct supervisor *sv, struct process_config *cfg)
{
    struct process *p = calloc(1, sizeof *p);
    if (!p)
        log_fatal("out of memory");
    p->cfg = cfg;
    p->sv = sv;
    p->state = PS_STOPPED;
    p->exit_status = -1;
    p->since = time(NULL);
    timer_init(&p->timer, on_timer, p);
    return p;
}

void proc_free(struct process *p)
{
    if (!p)
        return;
    timer_disarm(p->sv->loop, &p->timer);
    if (p->out)
        capture_release(p->out);
    if (p->err)
        capture_release(p->err);
    if (p->notify)
        notify_close(p->notify);
    free(p->exe);
    free(p);
}

void proc_observe(struct supervisor *sv, proc_observer cb, void *arg)
{
    if (sv->nobservers < sizeof sv->observers / sizeof sv->observers[0])
        sv->observers[sv->nobservers++] = (struct observer){ cb, arg };
}

static void set_state(struct process *p, enum pstate s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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
    if (p->reason[0])
        log_info("%s: %s -> %s (%s)", p->cfg->fullname, pstate_name(old), pstate_name(s),
                 p->reason);
    else
        log_info("%s: %s -> %s", p->cfg->fullname, pstate_name(old), pstate_name(s));
    supervisor_state_changed(p->sv, p, old);
}

bool proc_alive(const struct process *p)
{
    return p->pid > 0 || p->group_wait;
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

void proc_describe(const struct process *p, char *buf, size_t len)
{
    switch (p->state) {
    case PS_STARTING:
    case PS_RUNNING:
    case PS_STOPPING: {
        uint64_t up = (loop_now() - p->started_at) / 1000;
        snprintf(buf, len, "pid %d, uptime %u:%02u:%02u", (int)p->pid, (unsigned)(up / 3600),
                 (unsigned)(up / 60 % 60), (unsigned)(up % 60));
        break;
    }
    case PS_BACKOFF:
    case PS_FATAL:
        if (p->reason[0] && strncmp(p->reason, "exit", 4) && strncmp(p->reason, "killed", 6))
            snprintf(buf, len, "%s", p->reason);
        else
            snprintf(buf, len, "Exited too quickly (process log may have details)");
        break;
    case PS_EXITED:
        if (p->exit_status >= 0)
            describe_exit(p->exit_status, buf, len);
        else
            snprintf(buf, len, "%s", p->reason);
        break;
    case PS_STOPPED:
        snprintf(buf, len, "%s", p->exit_status < 0 && !p->started_at ? "Not started" : "Stopped");
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

static void env_reserve(struct envbuf *e, size_t n)
{
    if (n + 1 <= e->cap)
        return;
    size_t cap = e->cap ? e->cap : 64;
    while (cap < n + 1)
        cap *= 2;
    e->v = realloc(e->v, cap * sizeof *e->v);
    e->owned = realloc(e->owned, cap * sizeof *e->owned);
    if (!e->v || !e->owned)
        log_fatal("out of memory");
    e->cap = cap;
}

static void env_set(struct envbuf *e, char *entry, bool owned)
{
    size_t k = strcspn(entry, "=");
    for (size_t i = 0; i < e->n; i++)
        if (!strncmp(e->v[i], entry, k) && e->v[i][k] == '=') {
            if (e->owned[i])
                free(e->v[i]);
            e->v[i] = entry;
            e->owned[i] = owned;
            return;
        }
    env_reserve(e, e->n + 1);
    e->owned[e->n] = owned;
    e->v[e->n++] = entry;
    e->v[e->n] = NULL;
}

static void env_put(struct envbuf *e, const char *key, const char *value)
{
    char *s;
    if (asprintf(&s, "%s=%s", key, value) < 0)
        log_fatal("out of memory");
    env_set(e, s, true);
}

static void env_free(struct envbuf *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->owned[i])
            free(e->v[i]);
    free(e->v);
    free(e->owned);
}

static void build_env(struct process *p, struct envbuf *e, const char *notify_addr)
{
    const struct process_config *c = p->cfg;
    size_t n = 0;
    for (char **ev = environ; ev && *ev; ev++)
        n++;
    env_reserve(e, n + c->environment.n + 8);
    for (char **ev = environ; ev && *ev; ev++) {
        if (!strchr(*ev, '=') || !strncmp(*ev, "NOTIFY_SOCKET=", 14))
            continue;
        e->owned[e->n] = false;
        e->v[e->n++] = *ev; /* tend's environment has no duplicate keys */
    }
    e->v[e->n] = NULL;
    for (size_t i = 0; i < c->environment.n; i++)
        env_put(e, c->environment.v[i].key, c->environment.v[i].value);
    if (c->user) {
        struct passwd *pw = getpwnam(c->user);
        if (pw) {
            env_put(e, "HOME", pw->pw_dir);
            env_put(e, "USER", pw->pw_name);
            env_put(e, "LOGNAME", pw->pw_name);
        }
    }
    env_set(e, "SUPERVISOR_ENABLED=1", false);
    env_put(e, "SUPERVISOR_PROCESS_NAME", c->name);
    env_put(e, "SUPERVISOR_GROUP_NAME", c->group);
    env_put(e, "TEND_PROCESS_NAME", c->fullname);
    if (notify_addr)
        env_put(e, "NOTIFY_SOCKET", notify_addr);
}

static void on_notify(void *arg, pid_t sender, const struct notify_msg *m);

static void start_failed(struct process *p, const char *why);

static void drop_run_resources(struct process *p)
{
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

/* Open what the child's stdin, stdout and stderr will be. */
static int prepare_stdio(struct process *p, int fd[3], char *err, size_t errlen)
{
    const struct process_config *c = p->cfg;
    fd[0] = fd[1] = fd[2] = -1;
    if (p->is_main && p->sv->main_argv) {
        fd[0] = 0; /* tend -- CMD: the command reads tend's stdin, like tini */
    } else {
        if (!c->stdin_path && p->sv->devnull >= 0) {
            fd[0] = p->sv->devnull; /* shared; close_stdio leaves it open */
            goto out;
        }
        const char *in = c->stdin_path ? c->stdin_path : "/dev/null";
        fd[0] = open(in, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd[0] < 0) {
            snprintf(err, errlen, "cannot open stdin %s: %s", in, strerror(errno));
            return -1;
        }
    }
out:
    if (capture_prepare(&c->stdout_log, c->fullname, c->log_prefix, 1, &p->out, &fd[1], err,
                        errlen) < 0)
        return -1;
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

static void do_spawn(struct process *p)
{
    struct supervisor *sv = p->sv;
    const struct process_config *c = p->cfg;
    char err[1024] = "";
    int fd[3] = { -1, -1, -1 };
    int code = 1;
    struct envbuf env = { 0 };

    p->kill_sent = false;
    p->ready_timed_out = false;
    p->status_text[0] = 0;
    timer_disarm(sv->loop, &p->timer);

    if (c->user && geteuid() != 0) {
        struct passwd *pw = getpwuid(geteuid());
        if (!pw || strcmp(pw->pw_name, c->user)) {
            snprintf(err, sizeof err, "cannot run as user %s: tend is not running as root",
                     c->user);
            goto fail;
        }
    }
    if (prepare_stdio(p, fd, err, sizeof err) < 0)
        goto fail;
    const char *notify_addr = NULL;
    if (c->ready == READY_NOTIFY) {
        /* In the rundir (0700) when the program runs as tend's user; an
         * abstract socket, private to tend's pid, when it runs as another
         * user (who cannot enter the rundir) or there is no rundir. */
        char path[4096];
        bool in_rundir = sv->has_rundir && !(c->user && geteuid() == 0 && c->uid != geteuid());
        if (in_rundir) {
            char dir[512];
            snprintf(dir, sizeof dir, "%.500s/notify", sv->cfg->rundir);
            if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                snprintf(err, sizeof err, "cannot create %s: %s", dir, strerror(errno));
                goto fail;
            }
            snprintf(path, sizeof path, "%s/%s.sock", dir, c->fullname);
        } else {
            snprintf(path, sizeof path, "@tend/%d/%s", (int)getpid(), c->fullname);
        }
        for (char *s = strrchr(path, '/') + 1; *s; s++)
            if (*s == ':')
                *s = '_';
        p->notify = notify_open(sv->loop, path, on_notify, p, err, sizeof err);
        if (!p->notify)
            goto fail;
        notify_addr = notify_address(p->notify);
    }
    build_env(p, &env, notify_addr);

    /* The PATH search is done once per config, not at every restart. */
    if (p->exe_cfg != c) {
        free(p->exe);
        p->exe = spawn_find_program(c->argv[0], env.v);
        p->exe_cfg = p->exe ? c : NULL;
    }
    struct spawn_req req = {
        .argv = c->argv,
        .path = p->exe,
        .envp = env.v,
        .directory = c->directory,
        .umask_set = c->umask_set,
        .umask = c->umask,
        .set_user = c->user != NULL && geteuid() == 0,
        .user = c->user,
        .uid = c->uid,
        .gid = c->gid,
        .fd = { fd[0], fd[1], fd[2] },
        .keep_signals = p->is_main && sv->main_argv,
        .orig_mask = sv->orig_mask,
        .orig_ignored = sv->orig_ignored,
        .tty_fd = p->is_main && sv->main_argv ? sv->tty_fd : -1,
    };
    pid_t pid = spawn_process(&req, err, sizeof err, &code);
    close_stdio(fd, sv->devnull);
    env_free(&env);
    if (pid < 0) {
        free(p->exe); /* the file may have moved: search again next time */
        p->exe = NULL;
        p->exe_cfg = NULL;
        goto fail_spawned;
    }

    p->pid = pid;
    p->pgid = pid;
    p->started_at = loop_now();
    log_debug("%s: spawned pid %d: %s", c->fullname, (int)pid, c->command);
    if (c->ready == READY_STARTSECS && c->startsecs == 0) {
        set_state(p, PS_STARTING, NULL);
        if (p->state == PS_STARTING && p->pid == pid) {
            p->failed_starts = 0;
            set_state(p, PS_RUNNING, "started, startsecs = 0");
        }
        return;
    }
    timer_arm(sv->loop, &p->timer, (uint64_t)c->startsecs * 1000);
    set_state(p, PS_STARTING, NULL);
    return;

fail:
    close_stdio(fd, sv->devnull);
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

/* An attempt to start did not reach RUNNING (spawn error, early exit,
 * readiness timeout). */
static void start_failed(struct process *p, const char *why)
{
    struct supervisor *sv = p->sv;
    if (p->is_main) {
        /* The main program is never restarted: tend ends with its status. */
        if (p->exit_status < 0 || p->pid == 0) {
            if (p->spawn_failed_code)
                p->exit_status = (p->spawn_failed_code & 0xff) << 8;
        }
        set_state(p, PS_EXITED, "%s", why);
        return;
    }
    if (sv->shutting_down) {
        set_state(p, PS_STOPPED, "%s", why);
        return;
    }
    p->failed_starts++;
    if (p->failed_starts > (unsigned)p->cfg->startretries) {
        set_state(p, PS_FATAL, "%s; gave up after %u tries", why, p->failed_starts);
        return;
    }
    timer_arm(sv->loop, &p->timer, (uint64_t)p->failed_starts * 1000);
    set_state(p, PS_BACKOFF, "%s; retry %u of %d in %u s", why, p->failed_starts,
              p->cfg->startretries, p->failed_starts);
}

static void exited_running(struct process *p, int status, const char *what)
{
    const struct process_config *c = p->cfg;
    struct supervisor *sv = p->sv;
    bool expected = WIFEXITED(status) && conf_exitcode_expected(c, WEXITSTATUS(status));
    bool restart = !p->is_main && !sv->shutting_down &&
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
    uint64_t delay = 0;
    if (p->crashes > 1) {
        delay = 1000ULL << (p->crashes - 2 < 6 ? p->crashes - 2 : 6);
        if (delay > CRASH_DELAY_CAP_MS)
            delay = CRASH_DELAY_CAP_MS;
    }
    if (delay == 0) {
        set_state(p, PS_EXITED, "%s%s; restarting", what, expected ? "" : ", not expected");
        if (p->state == PS_EXITED && !timer_armed(&p->timer))
            begin_restart(p);
        return;
    }
    timer_arm(sv->loop, &p->timer, delay);
    set_state(p, PS_EXITED, "%s%s; restarting in %llu s", what, expected ? "" : ", not expected",
              (unsigned long long)(delay / 1000));
}

/* STOPPING is over: the program and its process group are gone. */
static void stopped(struct process *p, const char *what)
{
    struct supervisor *sv = p->sv;
    p->group_wait = false;
    set_state(p, PS_STOPPED, "%s", what);
    if (p->state == PS_STOPPED && p->restart_after_stop && !sv->shutting_down && !p->removed) {
        p->restart_after_stop = false;
        bool already;
        char err[256];
        if (proc_start(p, &already, err, sizeof err) < 0)
            log_error("%s: cannot restart: %s", p->cfg->fullname, err);
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
    if (p->pgid <= 0 || kill(-p->pgid, 0) < 0)
        return false;
    p->group_wait = true;
    if (p->kill_sent) {
        kill(-p->pgid, SIGKILL); /* past stopwaitsecs already */
    } else if (!p->cfg->stopasgroup) {
        kill(-p->pgid, p->stop_sig);
    }
    log_debug("%s: leader exited; waiting for process group %d", p->cfg->fullname, (int)p->pgid);
    supervisor_state_changed(p->sv, p, p->state); /* pid 0 in status */
    return true;
}

void proc_check_group(struct process *p)
{
    if (!p->group_wait || (p->pgid > 0 && kill(-p->pgid, 0) == 0))
        return;
    timer_disarm(p->sv->loop, &p->timer);
    char what[96];
    describe_exit(p->exit_status, what, sizeof what);
    stopped(p, what);
}

void proc_exited(struct process *p, int status)
{
    struct supervisor *sv = p->sv;
    pid_t pid = p->pid;
    /* A MAINPID= sent just before the exit must be seen before judging it. */
    if (p->notify)
        notify_drain(p->notify);
    /* MAINPID= named another process of this program: follow it instead. */
    if (p->notify_mainpid > 0 && p->notify_mainpid != pid && kill(p->notify_mainpid, 0) == 0) {
        log_info("%s: pid %d exited, following MAINPID %d", p->cfg->fullname, (int)pid,
                 (int)p->notify_mainpid);
        p->pid = p->notify_mainpid;
        p->notify_mainpid = 0;
        supervisor_state_changed(sv, p, p->state);
        return;
    }
    p->pid = 0;
    p->exit_status = status;
    drop_run_resources(p); /* capture keeps reading until the pipes' last writer is gone */
    if (p->state == PS_STOPPING && group_lingers(p))
        return;
    timer_disarm(sv->loop, &p->timer);
    char what[96];
    describe_exit(status, what, sizeof what);
    switch (p->state) {
    case PS_STARTING:
        if (p->ready_timed_out)
            start_failed(p, "no READY=1 within startsecs");
        else if (p->is_main)
            set_state(p, PS_EXITED, "%s", what);
        else
            start_failed(p, what);
        break;
    case PS_RUNNING:
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

static void on_timer(struct loop *l, struct timer *t)
{
    struct process *p = t->arg;
    (void)l;
    switch (p->state) {
    case PS_STARTING:
        /* Judge startsecs only after every exit that already happened was
         * seen: a program that died at once must not count as RUNNING
         * because the loop woke late. */
        supervisor_reap(p->sv);
        if (p->state != PS_STARTING)
            return;
        if (p->cfg->ready == READY_STARTSECS) {
            p->failed_starts = 0;
            set_state(p, PS_RUNNING, "up for %d s", p->cfg->startsecs);
        } else {
            log_warn("%s: no READY=1 within %d s, killing it", p->cfg->fullname,
                     p->cfg->startsecs);
            p->ready_timed_out = true;
            send_signal(p, SIGKILL, true);
        }
        break;
    case PS_BACKOFF:
    case PS_EXITED:
        begin_restart(p);
        break;
    case PS_STOPPING:
        if (p->pid > 0) {
            log_warn("%s: still alive %d s after SIG%s, sending SIGKILL", p->cfg->fullname,
                     p->cfg->stopwaitsecs, conf_signal_name(p->stop_sig));
            p->kill_sent = true;
            send_signal(p, SIGKILL, p->cfg->killasgroup);
        } else if (p->group_wait) {
            log_warn("%s: process group %d still alive %d s after SIG%s, sending SIGKILL",
                     p->cfg->fullname, (int)p->pgid, p->cfg->stopwaitsecs,
                     conf_signal_name(p->stop_sig));
            p->kill_sent = true;
            kill(-p->pgid, SIGKILL);
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
    timer_disarm(p->sv->loop, &p->timer);
    p->failed_starts = 0;
    set_state(p, PS_RUNNING, "READY=1");
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
        supervisor_state_changed(p->sv, p, p->state);
    }
    if (m->ready)
        proc_ready(p);
}

/* ---- requests ---- */

static bool deps_running(struct process *p, bool start_them)
{
    bool ok = true;
    for (char **d = p->cfg->depends_on; d && *d; d++) {
        struct process *q = supervisor_find(p->sv, *d);
        if (!q || q == p)
            continue;
        if (q->state != PS_RUNNING && !proc_finished_ok(q)) {
            ok = false;
            if (start_them && !proc_alive(q) && q->state != PS_BACKOFF && !q->pending_start) {
                bool already;
                char err[256];
                proc_start(q, &already, err, sizeof err);
            }
        }
    }
    return ok;
}

int proc_start(struct process *p, bool *already, char *err, size_t errlen)
{
    *already = false;
    if (p->removed) {
        snprintf(err, errlen, "removed from the configuration");
        return -1;
    }
    switch (p->state) {
    case PS_STARTING:
    case PS_RUNNING:
        *already = true;
        return 0;
    case PS_STOPPING:
        p->restart_after_stop = true;
        return 0;
    default:
        break;
    }
    timer_disarm(p->sv->loop, &p->timer);
    p->failed_starts = 0;
    p->crashes = 0;
    p->stop_pending = false;
    if (!deps_running(p, true)) {
        p->pending_start = true;
        log_info("%s: waiting for its dependencies before it starts", p->cfg->fullname);
        return 0;
    }
    p->pending_start = false;
    do_spawn(p);
    return 0;
}

/* Programs that depend on P and are alive (or about to be). */
static bool dependents_alive(struct process *p, bool stop_them)
{
    struct supervisor *sv = p->sv;
    bool any = false;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *q = sv->procs[i];
        if (q == p)
            continue;
        for (char **d = q->cfg->depends_on; d && *d; d++) {
            if (strcmp(*d, p->cfg->fullname))
                continue;
            if (proc_alive(q) || q->pending_start) {
                any = true;
                if (stop_them && q->state != PS_STOPPING) {
                    bool already;
                    proc_stop(q, &already);
                }
            }
        }
    }
    return any;
}

int proc_stop_with(struct process *p, int sig, bool *already)
{
    *already = false;
    p->restart_after_stop = false;
    p->pending_start = false;
    switch (p->state) {
    case PS_STARTING:
    case PS_RUNNING:
        if (!p->sv->shutting_down && dependents_alive(p, true)) {
            /* Dependents go first; we follow when they are down. */
            p->stop_pending = true;
            return 0;
        }
        p->stop_pending = false;
        p->stop_sig = sig;
        p->kill_sent = false;
        timer_arm(p->sv->loop, &p->timer, (uint64_t)p->cfg->stopwaitsecs * 1000);
        if (send_signal(p, sig, p->cfg->stopasgroup) < 0 && errno != ESRCH)
            log_error("%s: kill(%d, SIG%s): %s", p->cfg->fullname, (int)p->pid,
                      conf_signal_name(sig), strerror(errno));
        set_state(p, PS_STOPPING, "sent SIG%s", conf_signal_name(sig));
        return 0;
    case PS_STOPPING:
        return 0;
    case PS_BACKOFF:
        timer_disarm(p->sv->loop, &p->timer);
        set_state(p, PS_STOPPED, "stopped while waiting to retry");
        return 0;
    case PS_EXITED:
        if (timer_armed(&p->timer)) {
            timer_disarm(p->sv->loop, &p->timer);
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

int proc_stop(struct process *p, bool *already)
{
    return proc_stop_with(p, p->cfg->stopsignal, already);
}

void proc_restart(struct process *p)
{
    bool already;
    char err[256];
    if (proc_alive(p)) {
        proc_stop(p, &already);
        p->restart_after_stop = true;
    } else {
        proc_stop(p, &already);
        if (proc_start(p, &already, err, sizeof err) < 0)
            log_error("%s: cannot restart: %s", p->cfg->fullname, err);
    }
}

/* Called by the supervisor after any change: pending starts whose
 * dependencies are now up, pending stops whose dependents are now down. */
void proc_check_pending(struct process *p)
{
    if (p->pending_start && !p->sv->shutting_down) {
        bool failed = false;
        for (char **d = p->cfg->depends_on; d && *d; d++) {
            struct process *q = supervisor_find(p->sv, *d);
            if (q && q->state == PS_FATAL)
                failed = true;
        }
        if (failed) {
            p->pending_start = false;
            set_state(p, PS_FATAL, "a dependency is FATAL");
        } else if (deps_running(p, false)) {
            p->pending_start = false;
            do_spawn(p);
        }
    }
    if (p->stop_pending && !dependents_alive(p, false)) {
        bool already;
        p->stop_pending = false;
        proc_stop(p, &already);
    }
}
