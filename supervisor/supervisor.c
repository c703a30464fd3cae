/* supervisor.c - whole-supervisor actions: reaping, ordering, reload,
 * shutdown, and the bookkeeping that follows every state change. */
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
#include "log.h"
#include "statusfile.h"

#define LEFTOVER_GRACE_MS 3000

/* Processes dropped by a reload that are still stopping, and configs that
 * some process still points into. Both are freed once nothing uses them. */
static struct process **dying;
static size_t ndying, capdying;
static struct tend_config **retired;
static size_t nretired, capretired;
static struct timer finish_timer;
static bool finish_killing;

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

static struct process *find_pid(struct supervisor *sv, pid_t pid)
{
    for (size_t i = 0; i < sv->nprocs; i++)
        if (sv->procs[i]->pid == pid)
            return sv->procs[i];
    for (size_t i = 0; i < ndying; i++)
        if (dying[i]->pid == pid)
            return dying[i];
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
    timer_disarm(sv->loop, &finish_timer);
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
        else
            log_debug("reaped pid %d (not a program of ours)", (int)pid);
    }
    /* Orphaned group members just reaped may have been a stopping
     * program's last. (A check may restart a program; neither list
     * changes under it: only reload and the idle hook edit them.) */
    for (size_t i = 0; i < sv->nprocs; i++)
        if (sv->procs[i]->group_wait)
            proc_check_group(sv->procs[i]);
    for (size_t i = 0; i < ndying; i++)
        if (dying[i]->group_wait)
            proc_check_group(dying[i]);
    if (sv->finishing && no_children)
        finish_done(sv);
    else if (sv->finishing && finish_killing)
        signal_children(SIGKILL); /* orphans of the ones just killed */
}

static void on_finish_timer(struct loop *l, struct timer *t)
{
    struct supervisor *sv = t->arg;
    (void)l;
    int n = sv->is_pid1 ? (kill(-1, SIGKILL) == 0) : signal_children(SIGKILL);
    finish_killing = true;
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
    timer_init(&finish_timer, on_finish_timer, sv);
    int n, status;
    pid_t pid;
    /* Collect what already died (group members killed with their leader),
     * so only the living count as leftovers; with no child left at all,
     * there is nothing to look for. */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0 || (pid < 0 && errno == EINTR))
        if (pid > 0)
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
    timer_arm(sv->loop, &finish_timer, LEFTOVER_GRACE_MS);
    supervisor_reap(sv);
}

static bool has_alive_dependents(struct supervisor *sv, struct process *p)
{
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *q = sv->procs[i];
        if (q == p || !proc_alive(q))
            continue;
        for (char **d = q->cfg->depends_on; d && *d; d++)
            if (!strcmp(*d, p->cfg->fullname))
                return true;
    }
    return false;
}

/* One step of the orderly stop: the highest priority level still alive is
 * signalled; the next level waits until it is down. Dependents first. */
static void shutdown_step(struct supervisor *sv)
{
    if (!sv->shutting_down || sv->finishing)
        return;
    if (sv->main && proc_alive(sv->main) && sv->shutdown_signal)
        return; /* the main program got the signal; the rest follows its exit */
    bool already;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (!proc_alive(p) && (timer_armed(&p->timer) || p->pending_start))
            proc_stop(p, &already);
    }
    bool any_alive = false;
    int level = -2147483647, cand_level = -2147483647;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (!proc_alive(p))
            continue;
        any_alive = true;
        if (p->cfg->priority > level)
            level = p->cfg->priority;
        if (!has_alive_dependents(sv, p) && p->cfg->priority > cand_level)
            cand_level = p->cfg->priority;
    }
    for (size_t i = 0; i < ndying; i++)
        if (proc_alive(dying[i]))
            any_alive = true;
    if (!any_alive) {
        finish(sv);
        return;
    }
    /* Dependencies can force a lower level first; never deadlock on it. */
    bool level_has_candidate = false;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (proc_alive(p) && p->cfg->priority == level && !has_alive_dependents(sv, p))
            level_has_candidate = true;
    }
    if (!level_has_candidate)
        level = cand_level;
    for (size_t i = sv->nprocs; i-- > 0;) {
        struct process *p = sv->procs[i];
        if (proc_alive(p) && p->state != PS_STOPPING && p->cfg->priority == level &&
            !has_alive_dependents(sv, p))
            proc_stop(p, &already);
    }
}

void supervisor_shutdown(struct supervisor *sv, int code, const char *why)
{
    if (sv->shutting_down)
        return;
    log_info("shutting down: %s", why);
    sv->shutting_down = true;
    if (!sv->main || sv->main->exit_status < 0)
        sv->exit_code = code;
    shutdown_step(sv);
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

void supervisor_state_changed(struct supervisor *sv, struct process *p, enum pstate old)
{
    statusfile_mark(sv);
    for (size_t i = 0; i < sv->nobservers; i++)
        sv->observers[i].cb(sv->observers[i].arg, p, PROC_EV_STATE, old);
    if (p->state == old)
        return; /* STATUS= text only */

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
    if (!proc_alive(p) && p->next_cfg && !p->removed) {
        /* reload changed its settings: it stopped with the old ones */
        p->cfg = p->next_cfg;
        p->next_cfg = NULL;
        if (p->cfg->autostart && !sv->shutting_down) {
            bool already;
            char err[256];
            if (proc_start(p, &already, err, sizeof err) < 0)
                log_error("%s: %s", p->cfg->fullname, err);
        }
    }
    for (size_t i = 0; i < sv->nprocs; i++)
        if (sv->procs[i]->pending_start || sv->procs[i]->stop_pending)
            proc_check_pending(sv->procs[i]);
    if (sv->shutting_down && !proc_alive(p))
        shutdown_step(sv);
}

void supervisor_start_all(struct supervisor *sv)
{
    for (size_t i = 0; i < sv->nprocs && !sv->shutting_down; i++) {
        struct process *p = sv->procs[i];
        if (p->state != PS_STOPPED || p->started_at || !(p->cfg->autostart || p->is_main))
            continue;
        bool already;
        char err[256];
        if (proc_start(p, &already, err, sizeof err) < 0)
            log_error("%s: %s", p->cfg->fullname, err);
    }
}

/* ---- reload ---- */

static bool config_in_use(struct supervisor *sv, const struct tend_config *c)
{
    for (size_t pass = 0; pass < 2; pass++) {
        struct process **v = pass ? dying : sv->procs;
        size_t n = pass ? ndying : sv->nprocs;
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
    for (size_t i = 0; i < ndying;) {
        struct process *p = dying[i];
        if (proc_alive(p) || timer_armed(&p->timer)) {
            i++;
            continue;
        }
        for (size_t k = 0; k < sv->nobservers; k++)
            sv->observers[k].cb(sv->observers[k].arg, p, PROC_EV_REMOVED, p->state);
        dying[i] = dying[--ndying];
        proc_free(p);
    }
    for (size_t i = 0; i < nretired;) {
        if (config_in_use(sv, retired[i])) {
            i++;
            continue;
        }
        conf_free(retired[i]);
        retired[i] = retired[--nretired];
    }
    statusfile_flush(sv);
}

static void push(void ***v, size_t *n, size_t *cap, void *x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = realloc(*v, *cap * sizeof **v);
        if (!*v)
            log_fatal("out of memory");
    }
    (*v)[(*n)++] = x;
}

int supervisor_reload(struct supervisor *sv, struct conf_diags *d)
{
    if (!sv->config_path) {
        conf_diag_add(d, CONF_ERROR, NULL, 0, "no configuration file to reload (tend -- COMMAND)");
        return -1;
    }
    if (sv->shutting_down) {
        conf_diag_add(d, CONF_ERROR, NULL, 0, "tend is shutting down");
        return -1;
    }
    struct tend_config *nc = conf_load(sv->config_path, d);
    if (!nc)
        return -1;
    if (sv->main_argv && conf_add_main_command(nc, sv->main_argv, d) < 0) {
        conf_free(nc);
        return -1;
    }
    struct process **np = calloc(nc->nprocs ? nc->nprocs : 1, sizeof *np);
    bool *taken = calloc(sv->nprocs ? sv->nprocs : 1, sizeof *taken);
    struct process **fresh = calloc(nc->nprocs ? nc->nprocs : 1, sizeof *fresh);
    if (!np || !taken || !fresh)
        log_fatal("out of memory");
    size_t nfresh = 0;
    int added = 0, changed = 0, removed = 0, kept = 0;

    for (size_t i = 0; i < nc->nprocs; i++) {
        struct process_config *c = &nc->procs[i];
        struct process *old = NULL;
        for (size_t k = 0; k < sv->nprocs; k++)
            if (!taken[k] && !strcmp(sv->procs[k]->cfg->fullname, c->fullname)) {
                old = sv->procs[k];
                taken[k] = true;
                break;
            }
        if (!old) {
            np[i] = proc_new(sv, c);
            np[i]->is_main = c->main;
            fresh[nfresh++] = np[i];
            added++;
            log_info("reload: %s added", c->fullname);
            continue;
        }
        np[i] = old;
        if (conf_process_same(old->cfg, c)) {
            old->cfg = c;
            if (old->next_cfg)
                old->next_cfg = NULL;
            kept++;
            continue;
        }
        changed++;
        log_info("reload: %s changed, restarting it", c->fullname);
        if (proc_alive(old) || timer_armed(&old->timer)) {
            old->next_cfg = c;
            bool already;
            proc_stop(old, &already);
            if (!proc_alive(old) && old->next_cfg) {
                old->cfg = c;
                old->next_cfg = NULL;
                fresh[nfresh++] = old;
            }
        } else {
            old->cfg = c;
            fresh[nfresh++] = old;
        }
    }
    for (size_t k = 0; k < sv->nprocs; k++) {
        if (taken[k])
            continue;
        struct process *p = sv->procs[k];
        removed++;
        log_info("reload: %s removed", p->cfg->fullname);
        p->removed = true;
        p->pending_start = false;
        bool already;
        proc_stop(p, &already);
        push((void ***)&dying, &ndying, &capdying, p);
    }
    free(taken);
    free(sv->procs);
    sv->procs = np;
    sv->nprocs = nc->nprocs;
    sv->main = NULL;
    for (size_t i = 0; i < sv->nprocs; i++)
        if (sv->procs[i]->is_main || sv->procs[i]->cfg->main) {
            sv->procs[i]->is_main = true;
            sv->main = sv->procs[i];
        }
    /* [supervisor] settings: most are read live from sv->cfg; these two
     * name things tend made at start-up and cannot move under its users. */
    struct tend_config *oc = sv->cfg;
    if (strcmp(oc->rundir, nc->rundir) || strcmp(oc->control, nc->control)) {
        log_warn("reload: rundir/control changed; the new paths apply after a restart of tend");
        char *t = nc->rundir;
        nc->rundir = oc->rundir;
        oc->rundir = t;
        t = nc->control;
        nc->control = oc->control;
        oc->control = t;
    }
    if ((oc->logfile == NULL) != (nc->logfile == NULL) ||
        (oc->logfile && strcmp(oc->logfile, nc->logfile))) {
        if (log_open(nc->logfile) < 0)
            log_error("reload: cannot open logfile %s: %s", nc->logfile, strerror(errno));
    }
    push((void ***)&retired, &nretired, &capretired, sv->cfg);
    sv->cfg = nc;
    log_set_level(nc->loglevel);
    for (size_t i = 0; i < nfresh; i++) {
        struct process *p = fresh[i];
        if ((p->cfg->autostart || p->is_main) && !proc_alive(p)) {
            bool already;
            char err[256];
            if (proc_start(p, &already, err, sizeof err) < 0)
                log_error("%s: %s", p->cfg->fullname, err);
        }
    }
    free(fresh);
    statusfile_mark(sv);
    log_info("reloaded %s: %d added, %d changed, %d removed, %d unchanged", sv->config_path,
             added, changed, removed, kept);
    return 0;
}

void supervisor_teardown(struct supervisor *sv)
{
    for (size_t i = 0; i < ndying; i++)
        proc_free(dying[i]);
    free(dying);
    dying = NULL;
    ndying = capdying = 0;
    for (size_t i = 0; i < sv->nprocs; i++)
        proc_free(sv->procs[i]);
    free(sv->procs);
    sv->procs = NULL;
    sv->nprocs = 0;
    for (size_t i = 0; i < nretired; i++)
        conf_free(retired[i]);
    free(retired);
    retired = NULL;
    nretired = capretired = 0;
}
