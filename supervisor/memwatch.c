/* memwatch.c - memory_limit's timers. */
#include "memwatch.h"

#include <stdlib.h>

#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "proc.h"
#include "usage.h"

struct watched {
    struct timer timer;
    struct process *p;
    struct memwatch *mw;
    struct watched *next;
};

struct memwatch {
    struct supervisor *sv;
    struct watched *list;
};

static struct watched *find(struct memwatch *mw, const struct process *p)
{
    for (struct watched *w = mw->list; w; w = w->next)
        if (w->p == p)
            return w;
    return NULL;
}

static void drop(struct memwatch *mw, struct watched *w)
{
    timer_disarm(mw->sv->loop, &w->timer);
    for (struct watched **pp = &mw->list; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    free(w);
}

static bool wanted(const struct process *p)
{
    return p->cfg->memory_limit > 0 && p->pid > 0 &&
           (p->state == PS_STARTING || p->state == PS_RUNNING);
}

static double mb(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

static void tick(struct loop *l, struct timer *t)
{
    struct watched *w = t->arg;
    struct process *p = w->p;
    struct memwatch *mw = w->mw;
    if (!wanted(p)) {           /* cannot happen: the observer drops it first */
        drop(mw, w);
        return;
    }
    struct usage_snap *snap = usage_scan();
    if (!snap) {
        log_warn("%s: cannot read /proc for memory_limit", p->cfg->fullname);
        timer_arm(l, &w->timer, (uint64_t)p->cfg->memory_check_interval_ms);
        return;
    }
    struct usage u;
    metrics_usage(snap, p, &u);
    usage_free(snap);
    /* armed before the restart, whose STOPPING drops (and disarms) W */
    timer_arm(l, &w->timer, (uint64_t)p->cfg->memory_check_interval_ms);
    if (u.rss_bytes <= p->cfg->memory_limit || p->stop_pending)
        return;                 /* (a stop waits for its dependents: said already) */
    log_warn("%s: resident memory %.1f MB (%llu bytes in %u process%s) is over memory_limit "
             "%.1f MB", p->cfg->fullname, mb(u.rss_bytes), (unsigned long long)u.rss_bytes,
             u.procs, u.procs == 1 ? "" : "es", mb(p->cfg->memory_limit));
    char what[160];
    snprintf(what, sizeof what, "resident memory %.1f MB over memory_limit %.1f MB",
             mb(u.rss_bytes), mb(p->cfg->memory_limit));
    /* an automatic restart: counted, and limited by restart_limit_count */
    int rc = proc_restart_auto(p, what);
    if (rc == 0)
        log_warn("%s: restarting for memory_limit (restart %u)", p->cfg->fullname, p->restarts);
    else if (rc > 0)
        log_warn("%s: restart_limit_count reached: stopping it for good (FATAL)",
                 p->cfg->fullname);
}

static void observer(void *arg, struct process *p, enum proc_event ev, enum pstate old)
{
    struct memwatch *mw = arg;
    struct watched *w = find(mw, p);
    if (ev == PROC_EV_REMOVED || !wanted(p)) {
        if (w)
            drop(mw, w);
        return;
    }
    if (w)
        return;                 /* already ticking for this run */
    w = calloc(1, sizeof *w);
    if (!w) {
        log_error("%s: out of memory: memory_limit not checked", p->cfg->fullname);
        return;
    }
    w->p = p;
    w->mw = mw;
    w->next = mw->list;
    mw->list = w;
    timer_init(&w->timer, tick, w);
    timer_arm(mw->sv->loop, &w->timer, (uint64_t)p->cfg->memory_check_interval_ms);
}

struct memwatch *memwatch_attach(struct supervisor *sv)
{
    struct memwatch *mw = calloc(1, sizeof *mw);
    if (!mw) {
        log_error("out of memory: memory_limit not checked");
        return NULL;
    }
    mw->sv = sv;
    proc_observe(&sv->host, observer, mw);
    return mw;
}

void memwatch_free(struct memwatch *mw)
{
    if (!mw)
        return;
    while (mw->list)
        drop(mw, mw->list);
    proc_unobserve(&mw->sv->host, observer, mw);
    free(mw);
}
