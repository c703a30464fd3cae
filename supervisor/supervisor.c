/* supervisor.c - whole-supervisor actions: the process table, reaping,
 * ordering, reload, shutdown, and the policy that follows every change. */
#include "supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "cgroup.h"
#include "events.h"
#include "log.h"
#include "probe.h"
#include "rundir.h"
#include "statusfile.h"

#define LEFTOVER_GRACE_MS 3000

static void on_change(void *arg, struct process *p, enum pstate old);
static void reap_hook(void *arg);
static void restart_step(struct supervisor *sv);

void supervisor_init_host(struct supervisor *sv)
{
    struct proc_host *h = &sv->host;
    h->loop = sv->loop;
    h->rundir = sv->has_rundir ? sv->cfg->rundir : NULL;
    h->devnull = sv->devnull;
    h->main_cmd = sv->main_argv != NULL;
    h->bare_main = sv->bare_main;
    h->passed_fds = sv->passed_fds;
    h->npassed_fds = sv->npassed_fds;
    h->tty_fd = sv->tty_fd;
    h->orig_mask = sv->orig_mask;
    h->orig_ignored = sv->orig_ignored;
    h->shutting_down = sv->shutting_down;
    h->on_change = on_change;
    h->reap = reap_hook;
    h->arg = sv;
}

static struct process *find_full(struct process **v, size_t n, const char *fullname)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i]->cfg->fullname, fullname))
            return v[i];
    return NULL;
}

struct process *supervisor_find(struct supervisor *sv, const char *name)
{
    struct process *bare = NULL;
    int nbare = 0;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (!strcmp(p->cfg->fullname, name))
            return p;
        if (!strcmp(p->cfg->name, name)) {
            bare = p;
            nbare++;
        }
    }
    return nbare == 1 ? bare : NULL;
}

/* depends_on of CFG resolved in table V: a malloc'd array (NULL when there
 * are none) in *OUT, with its length. -1 when out of memory. */
static int resolve_deps(const struct process_config *cfg, struct process **v, size_t n,
                        struct process ***out, size_t *nout)
{
    size_t k = 0;
    for (char **d = cfg->depends_on; d && *d; d++)
        k++;
    *out = NULL;
    *nout = 0;
    if (k == 0)
        return 0;
    struct process **deps = calloc(k, sizeof *deps);
    if (!deps)
        return -1;
    size_t m = 0;
    for (char **d = cfg->depends_on; d && *d; d++) {
        struct process *q = find_full(v, n, *d);
        if (q) /* conf checked every name; a miss cannot happen */
            deps[m++] = q;
    }
    *out = deps;
    *nout = m;
    return 0;
}

/* Give every process of the table its resolved dependencies. -1 when out
 * of memory (ordering by depends_on is then lost, and logged). */
static int link_table(struct supervisor *sv)
{
    int rc = 0;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process **deps;
        size_t n;
        /* a process stopping to take a reload's settings starts again with
         * those: its next run depends on what they name */
        const struct process *p = sv->procs[i];
        if (resolve_deps(p->next_cfg ? p->next_cfg : p->cfg, sv->procs, sv->nprocs, &deps,
                         &n) < 0)
            rc = -1;
        proc_set_deps(sv->procs[i], deps, n);
    }
    if (proc_link_dependents(sv->procs, sv->nprocs) < 0)
        rc = -1;
    if (rc < 0)
        log_error("out of memory linking depends_on; start and stop order may be wrong");
    return rc;
}

int supervisor_build(struct supervisor *sv)
{
    struct tend_config *cfg = sv->cfg;
    sv->procs = calloc(cfg->nprocs ? cfg->nprocs : 1, sizeof *sv->procs);
    if (!sv->procs)
        return -1;
    for (size_t i = 0; i < cfg->nprocs; i++) {
        struct process *p = proc_new(&sv->host, &cfg->procs[i], cfg->procs[i].main);
        if (!p)
            return -1;
        if (p->is_main)
            sv->main = p;
        sv->procs[sv->nprocs++] = p;
    }
    if (link_table(sv) < 0)
        return -1;
    if (!sv->events && !(sv->events = events_new(&sv->host, cfg->identifier)))
        return -1;
    events_sync(sv->events, sv->procs, sv->nprocs, cfg->identifier);
    return 0;
}

static struct process *find_pid(struct supervisor *sv, pid_t pid)
{
    for (size_t i = 0; i < sv->nprocs; i++)
        if (sv->procs[i]->pid == pid)
            return sv->procs[i];
    for (size_t i = 0; i < sv->ndying; i++)
        if (sv->dying[i]->pid == pid)
            return sv->dying[i];
    return NULL;
}

/* Send SIG to every child of ours (orphans re-parented to us included). */
static int signal_children(int sig)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[320];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        long pid;
        while (fscanf(f, "%ld", &pid) == 1) {
            if (pid > 0 && kill((pid_t)pid, sig) == 0)
                n++;
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

static void finish_done(struct supervisor *sv)
{
    timer_disarm(sv->loop, &sv->finish_timer);
    sv->done = true;
}

void supervisor_reap(struct supervisor *sv)
{
    bool no_children = false;
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0) {
            no_children = pid < 0 && errno == ECHILD;
            break;
        }
        struct process *p = find_pid(sv, pid);
        if (p)
            proc_exited(p, status);
        else if (!probe_reaped(pid, status))
            log_debug("reaped pid %d (not a program of ours)", (int)pid);
    }
    /* Orphaned group members just reaped may have been a stopping
     * program's last. (A check may restart a program; neither list
     * changes under it: only reload and the idle hook edit them.) */
    for (size_t i = 0; i < sv->nprocs; i++)
        if (sv->procs[i]->group_wait)
            proc_check_group(sv->procs[i]);
    for (size_t i = 0; i < sv->ndying; i++)
        if (sv->dying[i]->group_wait)
            proc_check_group(sv->dying[i]);
    if (sv->finishing && no_children)
        finish_done(sv);
    else if (sv->finishing && sv->finish_killing)
        signal_children(SIGKILL); /* orphans of the ones just killed */
}

static void reap_hook(void *arg)
{
    supervisor_reap(arg);
}

static void on_finish_timer(struct loop *l, struct timer *t)
{
    struct supervisor *sv = t->arg;
    (void)l;
    int n = sv->is_pid1 ? (kill(-1, SIGKILL) == 0) : signal_children(SIGKILL);
    sv->finish_killing = true;
    log_info("sent SIGKILL to what was left (%s)", n ? "some processes" : "none");
    supervisor_reap(sv);
}

/* Every program is down: what is left in the namespace (PID 1) or below
 * us (subreaper) gets SIGTERM, then SIGKILL after a grace period. */
static void finish(struct supervisor *sv)
{
    if (sv->finishing)
        return;
    sv->finishing = true;
    timer_init(&sv->finish_timer, on_finish_timer, sv);
    int n, status;
    pid_t pid;
    /* Collect what already died (group members killed with their leader),
     * so only the living count as leftovers; with no child left at all,
     * there is nothing to look for. */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0 || (pid < 0 && errno == EINTR))
        if (pid > 0 && !probe_reaped(pid, status))
            log_debug("reaped pid %d (not a program of ours)", (int)pid);
    if (pid < 0 && errno == ECHILD) {
        sv->done = true;
        return;
    }
    if (sv->is_pid1)
        n = kill(-1, SIGTERM) == 0;
    else
        n = signal_children(SIGTERM);
    if (n)
        log_info("programs stopped; sent SIGTERM to leftover processes");
    timer_arm(sv->loop, &sv->finish_timer, LEFTOVER_GRACE_MS);
    supervisor_reap(sv);
}

static bool has_alive_dependents(const struct process *p)
{
    for (size_t i = 0; i < p->ndependents; i++)
        if (proc_alive(p->dependents[i]))
            return true;
    return false;
}

/* One step of the orderly stop: the highest priority level still alive is
 * signalled; the next level waits until it is down. Dependents first.
 * Programs a reload dropped are stopped already; they are waited for. */
static void shutdown_step(struct supervisor *sv)
{
    if (!sv->shutting_down || sv->finishing)
        return;
    if (sv->main && proc_alive(sv->main) && sv->shutdown_signal)
        return; /* the main program got the signal; the rest follows its exit */
    bool already;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (!proc_alive(p) && proc_busy(p))
            proc_stop(p, &already); /* a retry or restart timer, a pending start */
    }
    bool any_alive = false;
    int level = -2147483647, cand_level = -2147483647;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (!proc_alive(p))
            continue;
        any_alive = true;
        if (p->cfg->order > level)
            level = p->cfg->order;
        if (!has_alive_dependents(p) && p->cfg->order > cand_level)
            cand_level = p->cfg->order;
    }
    for (size_t i = 0; i < sv->ndying; i++) {
        struct process *p = sv->dying[i];
        if (!proc_alive(p))
            continue;
        any_alive = true;
        if (p->state != PS_STOPPING)
            proc_stop(p, &already);
    }
    if (!any_alive) {
        finish(sv);
        return;
    }
    /* Dependencies can force a lower level first; never deadlock on it. */
    bool level_has_candidate = false;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (proc_alive(p) && p->cfg->order == level && !has_alive_dependents(p))
            level_has_candidate = true;
    }
    if (!level_has_candidate)
        level = cand_level;
    for (size_t i = sv->nprocs; i-- > 0;) {
        struct process *p = sv->procs[i];
        if (proc_alive(p) && p->state != PS_STOPPING && p->cfg->order == level &&
            !has_alive_dependents(p))
            proc_stop(p, &already);
    }
}

static void begin_shutdown(struct supervisor *sv)
{
    sv->shutting_down = true;
    sv->host.shutting_down = true; /* from now on nothing starts */
    if (sv->restarting) {
        /* what is left of supervisorctl's reload: the stopping goes on as a shutdown */
        log_info("restart abandoned: shutting down");
        conf_free(sv->restart_cfg);
        sv->restart_cfg = NULL;
        sv->restarting = false;
    }
    events_stopping(sv->events);
}

void supervisor_shutdown(struct supervisor *sv, int code, const char *why)
{
    if (sv->shutting_down)
        return;
    log_info("shutting down: %s", why);
    begin_shutdown(sv);
    if (!sv->main || sv->main->exit_status < 0)
        sv->exit_code = code;
    shutdown_step(sv);
}

void supervisor_shutdown_signal(struct supervisor *sv, int sig)
{
    if (sv->shutting_down) {
        if (sig == SIGINT) {
            log_warn("second SIGINT: killing every program now");
            for (size_t i = 0; i < sv->nprocs; i++)
                proc_kill_now(sv->procs[i]);
            for (size_t i = 0; i < sv->ndying; i++)
                proc_kill_now(sv->dying[i]);
        } else if (sv->main && sv->main->pid > 0) {
            /* as tini and dumb-init: each one reaches the main program */
            if (kill(sv->main->pid, sig) < 0 && errno != ESRCH)
                log_warn("cannot forward SIG%s to %s: %s", conf_signal_name(sig),
                         sv->main->cfg->fullname, strerror(errno));
        } else {
            log_info("SIG%s: already shutting down", conf_signal_name(sig));
        }
        return;
    }
    if (sv->main && proc_alive(sv->main)) {
        bool already;
        log_info("SIG%s: forwarding to the main program %s", conf_signal_name(sig),
                 sv->main->cfg->fullname);
        sv->shutdown_signal = sig;
        /* shutting down first: the main program gets SIG now, not after its
         * dependents, and not its stopsignal */
        begin_shutdown(sv);
        proc_stop_with(sv->main, sig, &already);
        return;
    }
    char why[32];
    snprintf(why, sizeof why, "SIG%s", conf_signal_name(sig));
    supervisor_shutdown(sv, 0, why);
}

void supervisor_reopen(struct supervisor *sv)
{
    (void)sv;
    log_reopen();
    capture_reopen_all();
    log_info("log files reopened");
}

static int main_exit_code(const struct process *p)
{
    int st = p->exit_status;
    if (st < 0)
        return 1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 1;
}

/* A dependency whose group supervisorctl's `remove` took away is not up:
 * its dependents wait for `add` rather than start without it. */
static bool deps_missing(const struct supervisor *sv, const struct process *q)
{
    const struct process_config *c = q->next_cfg ? q->next_cfg : q->cfg;
    size_t k = 0;
    for (char **d = c->depends_on; d && *d; d++)
        k++;
    return q->ndeps < k && !sv->shutting_down;
}

static void check_all_pending(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *q = sv->procs[i];
        if ((q->pending_start || q->stop_pending || q->dep_stopped) && !deps_missing(sv, q))
            proc_check_pending(q);
    }
}

/* The host's on_change: what tend does when a process changed. */
static void on_change(void *arg, struct process *p, enum pstate old)
{
    struct supervisor *sv = arg;
    if (p->state == old)
        return; /* a pid or STATUS= text only */
    if (p == sv->main && !proc_alive(p) && (p->state == PS_EXITED || p->state == PS_FATAL ||
                                           p->state == PS_STOPPED)) {
        sv->exit_code = main_exit_code(p);
        if (!sv->shutting_down) {
            log_info("main program %s ended (tend exits with %d)", p->cfg->fullname,
                     sv->exit_code);
            supervisor_shutdown(sv, sv->exit_code, "the main program ended");
        }
    }
    if (p->state == PS_FATAL && sv->cfg->on_fatal == ON_FATAL_SHUTDOWN && !sv->shutting_down) {
        log_error("%s is FATAL and on_fatal = shutdown", p->cfg->fullname);
        supervisor_shutdown(sv, 1, "a program is FATAL (on_fatal = shutdown)");
    }
    if (!sv->reloading)
        check_all_pending(sv);
    if (sv->shutting_down && !proc_alive(p))
        shutdown_step(sv);
    if (sv->restarting)
        restart_step(sv);
}

void supervisor_start_all(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->nprocs && !sv->shutting_down; i++) {
        struct process *p = sv->procs[i];
        if (p->state != PS_STOPPED || p->started_at || proc_busy(p) ||
            !(p->cfg->autostart || p->is_main))
            continue;
        bool already;
        char err[256];
        if (proc_autostart(p, &already, err, sizeof err) < 0)
            log_error("%s: %s", p->cfg->fullname, err);
    }
}

/* ---- reload ---- */

static bool config_in_use(struct supervisor *sv, const struct tend_config *c)
{
    for (size_t pass = 0; pass < 2; pass++) {
        struct process **v = pass ? sv->dying : sv->procs;
        size_t n = pass ? sv->ndying : sv->nprocs;
        for (size_t i = 0; i < n; i++) {
            const struct process_config *pc[2] = { v[i]->cfg, v[i]->next_cfg };
            for (int k = 0; k < 2; k++)
                if (pc[k] && pc[k] >= c->procs && pc[k] < c->procs + c->nprocs)
                    return true;
        }
    }
    return false;
}

/* The loop's idle hook: batch work that many events in one round share. */
void supervisor_idle(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->ndying;) {
        struct process *p = sv->dying[i];
        if (proc_busy(p)) {
            i++;
            continue;
        }
        for (size_t k = 0; k < sv->host.nobservers; k++)
            sv->host.observers[k].cb(sv->host.observers[k].arg, p, PROC_EV_REMOVED, p->state);
        sv->dying[i] = sv->dying[--sv->ndying];
        proc_free(p);
    }
    for (size_t i = 0; i < sv->nretired;) {
        if (config_in_use(sv, sv->retired[i])) {
            i++;
            continue;
        }
        conf_free(sv->retired[i]);
        sv->retired[i] = sv->retired[--sv->nretired];
    }
    statusfile_flush(sv);
}

/* Room for N more in a growing array. -1 when out of memory. */
static int reserve(void ***v, size_t n, size_t *cap, size_t more)
{
    if (n + more <= *cap)
        return 0;
    size_t c = *cap ? *cap : 8;
    while (c < n + more)
        c *= 2;
    void **nv = realloc(*v, c * sizeof **v);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

/* The main program is the same for a reload when only what matters before
 * or after its run differs: the order it starts and stops in (priority,
 * group order, depends_on, whose names follow other programs' numprocs). */
static bool main_same(const struct process_config *a, const struct process_config *b)
{
    struct process_config x = *b; /* a shallow copy, only compared */
    x.priority = a->priority;
    x.order = a->order;
    x.depends_on = a->depends_on;
    return conf_process_same(a, &x);
}

/* The main program is never restarted, so a reload may not change, add or
 * remove it: that takes a restart of tend. NULL when fine, else the reason. */
static const char *main_change(struct supervisor *sv, const struct tend_config *nc,
                               char *buf, size_t len, const struct process_config **at)
{
    const struct process_config *nm = NULL;
    for (size_t i = 0; i < nc->nprocs; i++)
        if (nc->procs[i].main)
            nm = &nc->procs[i];
    *at = nm && !nm->file ? NULL : nm; /* tend -- CMD has no file */
    if (!sv->main && !nm)
        return NULL;
    if (!sv->main)
        snprintf(buf, len, "%s would become the main program", nm->fullname);
    else if (!nm)
        snprintf(buf, len, "the main program %s would be removed", sv->main->cfg->fullname);
    else if (strcmp(sv->main->cfg->fullname, nm->fullname))
        snprintf(buf, len, "the main program would change from %s to %s",
                 sv->main->cfg->fullname, nm->fullname);
    else if (!main_same(sv->main->cfg, nm))
        snprintf(buf, len, "the main program %s changed", nm->fullname);
    else
        return NULL;
    return buf;
}

/* [supervisor] settings on reload: what can follow at once does. */
static void reload_globals(struct supervisor *sv, struct tend_config *nc)
{
    struct tend_config *oc = sv->cfg;
    /* These name things tend made at start-up and cannot move under its users. */
    if (strcmp(oc->rundir, nc->rundir) || strcmp(oc->control, nc->control)) {
        log_warn("reload: rundir/control changed; the new paths apply after a restart of tend");
        char *t = nc->rundir;
        nc->rundir = oc->rundir;
        oc->rundir = t;
        t = nc->control;
        nc->control = oc->control;
        oc->control = t;
    }
    if (oc->control_mode != nc->control_mode || oc->control_group_set != nc->control_group_set ||
        (nc->control_group_set && oc->control_group != nc->control_group))
        log_warn("reload: control_mode/control_group changed; they apply after a restart of "
                 "tend (the FIFO and the rundir are made at start-up)");
    log_configure(nc->logfile_maxbytes, nc->logfile_backups, nc->logformat == LOG_FORMAT_JSON);
    if ((oc->logfile == NULL) != (nc->logfile == NULL) ||
        (oc->logfile && strcmp(oc->logfile, nc->logfile))) {
        if (log_open(nc->logfile) < 0)
            log_error("reload: cannot open logfile %s: %s", nc->logfile, strerror(errno));
    }
    if ((sv->pidfile == NULL) != (nc->pidfile == NULL) ||
        (nc->pidfile && strcmp(sv->pidfile, nc->pidfile)))
        supervisor_set_pidfile(sv, nc->pidfile);
    log_set_level(nc->loglevel);
}

/* What a reload will do, worked out before anything changes. */
struct reload_plan {
    struct tend_config *nc;
    size_t n;                   /* nc->nprocs */
    struct process **np;        /* the new table: kept processes and new ones */
    struct process **old;       /* np[i] when it is a kept one, else NULL */
    bool *taken;                /* sv->procs[k] is kept */
    struct process **starts;    /* to start once the table is whole */
    size_t nstarts;
    int added, changed, removed, kept;
    bool all;                   /* restart every program but the main one */
};

static void plan_free(struct reload_plan *pl, bool with_new)
{
    for (size_t i = 0; with_new && pl->np && pl->old && i < pl->n; i++)
        if (pl->np[i] && !pl->old[i])
            proc_free(pl->np[i]);
    free(pl->np);
    free(pl->old);
    free(pl->taken);
    free(pl->starts);
}

/* Everything that can fail for memory, first: nothing has changed yet.
 * Matches new configs with the running processes by fullname. 0 or -1. */
static int plan_reload(struct supervisor *sv, struct reload_plan *pl)
{
    size_t n = pl->n = pl->nc->nprocs;
    pl->np = calloc(n ? n : 1, sizeof *pl->np);
    pl->old = calloc(n ? n : 1, sizeof *pl->old);
    pl->taken = calloc(sv->nprocs ? sv->nprocs : 1, sizeof *pl->taken);
    pl->starts = calloc(n ? n : 1, sizeof *pl->starts);
    bool ok = pl->np && pl->old && pl->taken && pl->starts &&
              reserve((void ***)&sv->dying, sv->ndying, &sv->capdying, sv->nprocs) == 0 &&
              reserve((void ***)&sv->retired, sv->nretired, &sv->capretired, 1) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        struct process_config *c = &pl->nc->procs[i];
        for (size_t k = 0; k < sv->nprocs && !pl->old[i]; k++)
            if (!pl->taken[k] && !strcmp(sv->procs[k]->cfg->fullname, c->fullname) &&
                (!pl->all || sv->procs[k]->is_main)) { /* a restart makes all anew */
                pl->old[i] = sv->procs[k];
                pl->taken[k] = true;
            }
        pl->np[i] = pl->old[i] ? pl->old[i] : proc_new(&sv->host, c, c->main);
        ok = pl->np[i] != NULL;
    }
    if (!ok)
        plan_free(pl, true);
    return ok ? 0 : -1;
}

/* Give each kept process its new config (a changed one is stopped and
 * restarts with it), drop the removed ones, and swap in the new table. */
static void apply_reload(struct supervisor *sv, struct reload_plan *pl)
{
    unsigned warned = 0;        /* controller keys warned about (cgroup.h) */
    for (size_t i = 0; i < pl->n; i++) {
        struct process_config *c = &pl->nc->procs[i];
        struct process *p = pl->np[i];
        if (!pl->old[i]) {
            pl->added++;
            if (!pl->all)
                log_info("reload: %s added", c->fullname);
            cgroup_warn_program(sv->host.cgroups, c, &warned);
            if (c->autostart || c->main)
                pl->starts[pl->nstarts++] = p;
            continue;
        }
        /* A process that is stopping to take an earlier reload's settings
         * is compared with those. */
        const struct process_config *cur = p->next_cfg ? p->next_cfg : p->cfg;
        if ((!pl->all || p->is_main) &&
            (conf_process_same(cur, c) || (p->is_main && main_same(cur, c)))) {
            pl->kept++;
            if (p->next_cfg)
                proc_reconfigure(p, c);
            else
                proc_set_config(p, c);
            continue;
        }
        pl->changed++;
        cgroup_warn_program(sv->host.cgroups, c, &warned);
        if (pl->all)
            log_info("restart: restarting %s", c->fullname);
        else
            log_info("reload: %s changed, restarting it", c->fullname);
        if (proc_reconfigure(p, c))
            pl->starts[pl->nstarts++] = p;
    }
    for (size_t k = 0; k < sv->nprocs; k++) {
        if (pl->taken[k])
            continue;
        struct process *p = sv->procs[k];
        pl->removed++;
        if (!pl->all)
            log_info("reload: %s removed", p->cfg->fullname);
        proc_remove(p);
        sv->dying[sv->ndying++] = p; /* room reserved by plan_reload */
    }
    free(sv->procs);
    sv->procs = pl->np;
    pl->np = NULL;
    sv->nprocs = pl->n;
    sv->main = NULL;
    for (size_t i = 0; i < sv->nprocs; i++)
        if (sv->procs[i]->is_main)
            sv->main = sv->procs[i];
}

/* The config file read again, checked against what a reload may not
 * change (the main program); NULL with D saying why. */
static struct tend_config *read_config(struct supervisor *sv, struct conf_diags *d)
{
    if (!sv->config_path) {
        conf_diag_add(d, CONF_ERROR, NULL, 0, "no configuration file to reload (tend -- COMMAND)");
        return NULL;
    }
    if (sv->shutting_down) {
        conf_diag_add(d, CONF_ERROR, NULL, 0, "tend is shutting down");
        return NULL;
    }
    if (sv->restarting) {
        conf_diag_add(d, CONF_ERROR, NULL, 0,
                      "tend is restarting every program (supervisorctl reload); try again "
                      "once it is done");
        return NULL;
    }
    struct tend_config *nc = conf_load(sv->config_path, d);
    if (!nc)
        return NULL;
    if (sv->main_argv && conf_add_main_command(nc, sv->main_argv, d) < 0) {
        conf_free(nc);
        return NULL;
    }
    char why[512];
    const struct process_config *at = NULL;
    if (main_change(sv, nc, why, sizeof why, &at)) {
        conf_diag_add(d, CONF_ERROR, at ? at->file : sv->config_path, at ? at->line : 0,
                      "%s; tend never restarts its main program: restart tend to apply this",
                      why);
        conf_free(nc);
        return NULL;
    }
    return nc;
}

/* Apply NC (read_config's, owned from here on). */
static int apply_config(struct supervisor *sv, struct tend_config *nc, struct conf_diags *d,
                        bool all)
{
    struct reload_plan pl = { .nc = nc, .all = all };
    if (reserve((void ***)&sv->retired, sv->nretired, &sv->capretired, 2) < 0 ||
        plan_reload(sv, &pl) < 0) {
        conf_free(nc);
        conf_diag_add(d, CONF_ERROR, NULL, 0, "out of memory; nothing changed");
        return -1;
    }
    /* Changes made while applying notify as usual, but pending starts wait
     * until the new table is whole and linked (reloading). */
    sv->reloading = true;
    apply_reload(sv, &pl);
    reload_globals(sv, nc);
    sv->retired[sv->nretired++] = sv->cfg; /* room reserved above */
    if (sv->pending) /* the whole file applies now: nothing is left pending */
        sv->retired[sv->nretired++] = sv->pending;
    sv->pending = NULL;
    sv->cfg = nc;
    sv->host.rundir = sv->has_rundir ? nc->rundir : NULL;
    link_table(sv);
    sv->reloading = false;
    if (sv->events)
        events_sync(sv->events, sv->procs, sv->nprocs, nc->identifier);

    for (size_t i = 0; i < pl.nstarts; i++) {
        bool already;
        char err[256];
        struct process *p = pl.starts[i];
        if (!proc_alive(p) && proc_autostart(p, &already, err, sizeof err) < 0)
            log_error("%s: %s", p->cfg->fullname, err);
    }
    check_all_pending(sv);
    statusfile_mark(sv);
    if (all)
        log_info("restarted with %s: %zu programs made anew, %zu started", sv->config_path,
                 (size_t)pl.added, pl.nstarts);
    else
        log_info("reloaded %s: %d added, %d changed, %d removed, %d unchanged", sv->config_path,
                 pl.added, pl.changed, pl.removed, pl.kept);
    plan_free(&pl, false);
    return 0;
}


int supervisor_reload(struct supervisor *sv, struct conf_diags *d)
{
    struct tend_config *nc = read_config(sv, d);
    return nc ? apply_config(sv, nc, d, false) : -1;
}

int supervisor_restart(struct supervisor *sv, struct conf_diags *d)
{
    struct tend_config *nc = read_config(sv, d);
    if (!nc)
        return -1;
    log_info("restart: stopping every program%s, then starting them with %s read again",
             sv->main ? " but the main one" : "", sv->config_path);
    sv->restart_cfg = nc;
    sv->restarting = true;
    sv->host.shutting_down = true; /* nothing starts until the new table is in place */
    restart_step(sv);
    return 0;
}

static bool has_alive_dependents_but_main(const struct process *p)
{
    for (size_t i = 0; i < p->ndependents; i++)
        if (!p->dependents[i]->is_main && proc_alive(p->dependents[i]))
            return true;
    return false;
}

/* One step of a restart's stopping, as shutdown_step without the main
 * program: the highest priority level with a program whose dependents are
 * down is stopped; the next waits for it. True once all are down. */
static bool restart_stop_level(struct supervisor *sv)
{
    bool already, any = false;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (!p->is_main && !proc_alive(p) && proc_busy(p))
            proc_stop(p, &already); /* a retry or restart timer, a pending start */
    }
    int level = -2147483647;
    bool have = false;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (p->is_main || !proc_alive(p))
            continue;
        any = true;
        if (!has_alive_dependents_but_main(p) && (!have || p->cfg->order > level)) {
            level = p->cfg->order;
            have = true;
        }
    }
    for (size_t i = 0; i < sv->ndying; i++)
        any = any || proc_alive(sv->dying[i]); /* dropped by a reload, stopping */
    if (!any)
        return true;
    for (size_t i = sv->nprocs; have && i-- > 0;) {
        struct process *p = sv->procs[i];
        if (!p->is_main && proc_alive(p) && p->state != PS_STOPPING &&
            p->cfg->order == level && !has_alive_dependents_but_main(p))
            proc_stop(p, &already);
    }
    return false;
}

/* Called on every change while restarting: stop the next level, or, with
 * everything down, put the new table in place and start it. */
static void restart_step(struct supervisor *sv)
{
    if (!sv->restarting || sv->shutting_down)
        return;
    if (sv->restart_in_step) {
        sv->restart_again = true; /* a change made by the step itself */
        return;
    }
    sv->restart_in_step = true;
    bool down;
    do {
        sv->restart_again = false;
        down = restart_stop_level(sv);
    } while (sv->restart_again && !down);
    sv->restart_in_step = false;
    if (!down || !sv->restarting || sv->shutting_down)
        return;
    struct tend_config *nc = sv->restart_cfg;
    sv->restart_cfg = NULL;
    sv->restarting = false;
    sv->host.shutting_down = false;
    struct conf_diags d = {0};
    if (apply_config(sv, nc, &d, true) < 0) {
        /* out of memory: run the old table again rather than nothing */
        log_error("restart: out of memory; starting the programs with the configuration in use");
        supervisor_start_all(sv);
    }
    conf_diags_free(&d);
}

/* ---- supervisord's reread / add / remove: a group at a time ---- */

int supervisor_reread(struct supervisor *sv, struct conf_diags *d)
{
    if (reserve((void ***)&sv->retired, sv->nretired, &sv->capretired, 1) < 0) {
        conf_diag_add(d, CONF_ERROR, NULL, 0, "out of memory; nothing changed");
        return -1;
    }
    struct tend_config *nc = read_config(sv, d);
    if (!nc)
        return -1;
    if (sv->pending) /* programs added from it may still point into it */
        sv->retired[sv->nretired++] = sv->pending;
    sv->pending = nc;
    return 0;
}

const struct tend_config *supervisor_group_configs(const struct supervisor *sv)
{
    return sv->pending ? sv->pending : sv->cfg;
}

bool supervisor_group_active(const struct supervisor *sv, const char *group)
{
    for (size_t i = 0; i < sv->nprocs; i++)
        if (!sv->procs[i]->removed && !strcmp(sv->procs[i]->cfg->group, group))
            return true;
    return false;
}

enum group_diff supervisor_group_diff(const struct supervisor *sv, const char *group)
{
    const struct tend_config *nc = supervisor_group_configs(sv);
    size_t nnew = 0, nold = 0;
    bool same = true;
    for (size_t i = 0; i < nc->nprocs; i++) {
        const struct process_config *c = &nc->procs[i];
        if (strcmp(c->group, group))
            continue;
        nnew++;
        const struct process *p = find_full(sv->procs, sv->nprocs, c->fullname);
        if (!p || p->removed || strcmp(p->cfg->group, group)) {
            same = false;
            continue;
        }
        /* one stopping to take an earlier reload's settings has those */
        const struct process_config *cur = p->next_cfg ? p->next_cfg : p->cfg;
        if (!conf_process_same(cur, c) && !(p->is_main && main_same(cur, c)))
            same = false;
    }
    for (size_t i = 0; i < sv->nprocs; i++)
        if (!sv->procs[i]->removed && !strcmp(sv->procs[i]->cfg->group, group))
            nold++;
    if (!nold)
        return nnew ? GROUP_ADDED : GROUP_SAME;
    if (!nnew)
        return GROUP_REMOVED;
    return same && nnew == nold ? GROUP_SAME : GROUP_CHANGED;
}

/* The table's order, as conf sorts a config's programs (start order). */
static int table_cmp(const void *a, const void *b)
{
    return conf_process_cmp((*(struct process *const *)a)->cfg, (*(struct process *const *)b)->cfg);
}

int supervisor_add_group(struct supervisor *sv, const char *group)
{
    struct tend_config *from = sv->pending ? sv->pending : sv->cfg;
    size_t k = 0;
    for (size_t i = 0; i < from->nprocs; i++)
        k += !strcmp(from->procs[i].group, group);
    if (!k) /* supervisord looks in the config first: BAD_NAME before ALREADY_ADDED */
        return -1;
    if (supervisor_group_active(sv, group))
        return 1;
    struct process **np = calloc(sv->nprocs + k, sizeof *np);
    struct process **added = calloc(k, sizeof *added);
    size_t n = 0;
    for (size_t i = 0; np && added && i < from->nprocs; i++) {
        struct process_config *c = &from->procs[i];
        if (strcmp(c->group, group))
            continue;
        if (!(added[n] = proc_new(&sv->host, c, c->main)))
            break;
        n++;
    }
    if (n < k) {
        for (size_t i = 0; i < n; i++)
            proc_free(added[i]);
        free(np);
        free(added);
        return -2;
    }
    memcpy(np, sv->procs, sv->nprocs * sizeof *np);
    memcpy(np + sv->nprocs, added, k * sizeof *np);
    free(sv->procs);
    sv->procs = np;
    sv->nprocs += k;
    qsort(sv->procs, sv->nprocs, sizeof *sv->procs, table_cmp);
    link_table(sv);
    log_info("%s: added process group", group);
    unsigned warned = 0;
    for (size_t i = 0; i < k; i++) {
        struct process *p = added[i];
        bool already;
        char err[256];
        cgroup_warn_program(sv->host.cgroups, p->cfg, &warned);
        if ((p->cfg->autostart || p->is_main) && !proc_alive(p) &&
            proc_autostart(p, &already, err, sizeof err) < 0)
            log_error("%s: %s", p->cfg->fullname, err);
    }
    free(added);
    check_all_pending(sv);
    statusfile_mark(sv);
    return 0;
}

int supervisor_remove_group(struct supervisor *sv, const char *group)
{
    size_t k = 0;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (p->removed || strcmp(p->cfg->group, group))
            continue;
        /* supervisord's get_unstopped_processes: all but STOPPED, EXITED,
         * FATAL; a start waiting for its dependencies is not stopped */
        if (p->is_main || p->pending_start ||
            (p->state != PS_STOPPED && p->state != PS_EXITED && p->state != PS_FATAL))
            return 1;
        k++;
    }
    if (!k)
        return -1;
    if (reserve((void ***)&sv->dying, sv->ndying, &sv->capdying, k) < 0)
        return -2;
    size_t n = 0;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (p->removed || strcmp(p->cfg->group, group)) {
            sv->procs[n++] = p;
            continue;
        }
        proc_remove(p);
        sv->dying[sv->ndying++] = p;
    }
    sv->nprocs = n;
    link_table(sv);
    log_info("%s: removed process group", group);
    check_all_pending(sv);
    statusfile_mark(sv);
    return 0;
}

void supervisor_set_pidfile(struct supervisor *sv, const char *path)
{
    if (sv->pidfile) {
        if (unlink(sv->pidfile) < 0 && errno != ENOENT)
            log_warn("cannot remove pidfile %s: %s", sv->pidfile, strerror(errno));
        free(sv->pidfile);
        sv->pidfile = NULL;
    }
    if (!path)
        return;
    if (pidfile_write(path) < 0) {
        log_warn("cannot write pidfile %s: %s", path, strerror(errno));
        return;
    }
    sv->pidfile = strdup(path);
    if (!sv->pidfile) {
        log_error("out of memory: pidfile %s will not be removed at exit", path);
    }
}

void supervisor_teardown(struct supervisor *sv)
{
    events_free(sv->events);
    sv->events = NULL;
    for (size_t i = 0; i < sv->ndying; i++)
        proc_free(sv->dying[i]);
    free(sv->dying);
    sv->dying = NULL;
    sv->ndying = sv->capdying = 0;
    for (size_t i = 0; i < sv->nprocs; i++)
        proc_free(sv->procs[i]);
    free(sv->procs);
    sv->procs = NULL;
    sv->nprocs = 0;
    for (size_t i = 0; i < sv->nretired; i++)
        conf_free(sv->retired[i]);
    conf_free(sv->pending);
    sv->pending = NULL;
    conf_free(sv->restart_cfg);
    sv->restart_cfg = NULL;
    free(sv->retired);
    sv->retired = NULL;
    sv->nretired = sv->capretired = 0;
    free(sv->pidfile);
    sv->pidfile = NULL;
}
