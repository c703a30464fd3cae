/* control.c - the control FIFO: request lines in, replies out, never blocking.
 *
 * Each request that names a reply FIFO becomes a client: the reply's
 * descriptor, a buffer of what the pipe has not taken yet, and, for verbs
 * that finish later (start, stop, restart, wait), the processes it waits on.
 * Those complete from the proc observer; the client is closed (so the
 * reader sees EOF) once its final line has been written.
 *
 * Any call into proc can come back through the observer and finish other
 * clients, even inside a walk of the client list. So a finished client is
 * only marked dead (descriptor closed, timers off) while any control code is
 * on the stack (ctl->busy); it leaves the list and is freed when the
 * outermost entry point returns (ctl_leave). Walks skip dead clients.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "statusfile.h"
#include "metrics.h"
#include "proc.h"
#include "replyfifo.h"
#include "request.h"
#include "supervisor.h"

#define OUT_MAX (1u << 20)        /* buffered reply bytes per client */
#define DRAIN_TIMEOUT_MS 10000    /* a reader that takes nothing this long is dropped */
#define FLUSH_MS 500              /* control_flush's last chance */
#define CLIENTS_MAX 256           /* requests still being answered, at once */
#define PARTIAL_MS 200            /* a line without newline is a request after this */

enum phase {
    PH_DONE,        /* answered */
    PH_START,       /* waiting for RUNNING (or a failure) */
    PH_STOP,        /* waiting for the process to be down */
    PH_RESTART_DOWN,/* restart: waiting for the stop (proc starts it again) */
    PH_WAIT,        /* wait verb: waiting for want_state */
};

struct target {
    struct process *p;
    enum phase phase;
    bool was_alive;
};

struct client {
    struct control *ctl;
    struct client *prev, *next;
    int fd;
    struct watch w;
    struct timer drain;           /* armed while the reader is not keeping up */
    struct timer op;              /* wait verb's timeout */
    char *out;
    size_t len, off, cap;
    bool final;                   /* the last line is queued */
    bool armed;                   /* targets may be completed by events */
    enum req_verb verb;
    struct target *t;
    size_t nt, pending;
    int nfail;
    char firsterr[256];
    int want;                     /* wait: the state */
    char *path;                   /* reply FIFO, for messages */
    bool dead;                    /* finished: freed by ctl_leave */
};

struct control {
    struct supervisor *sv;
    int fd;
    char *path;
    dev_t dev;
    ino_t ino;
    struct watch w;
    struct timer partial;         /* a line that lacks its newline */
    char in[REQ_MAX];
    size_t inlen;
    bool discarding;              /* inside an over-long line */
    struct client *clients;
    size_t nclients;              /* live (not dead) clients */
    size_t ndead;                 /* dead, still in the list */
    int busy;                     /* depth of control code on the stack */
};

/* ---- clients: buffered non-blocking replies ---- */

static void client_unlink_free(struct client *c)
{
    struct control *ctl = c->ctl;
    if (c->prev)
        c->prev->next = c->next;
    else if (ctl->clients == c)
        ctl->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->out);
    free(c->t);
    free(c->path);
    free(c);
}

static void reap_dead(struct control *ctl)
{
    struct client *next;
    for (struct client *c = ctl->clients; c && ctl->ndead > 0; c = next) {
        next = c->next;
        if (c->dead) {
            ctl->ndead--;
            client_unlink_free(c);
        }
    }
}

/* Every entry point from the loop or from proc brackets its work with these. */
static void ctl_enter(struct control *ctl)
{
    ctl->busy++;
}

static void ctl_leave(struct control *ctl)
{
    if (--ctl->busy == 0 && ctl->ndead > 0)
        reap_dead(ctl);
}

/* Finish with C: the reader sees EOF now; the memory goes at ctl_leave. */
static void client_free(struct client *c)
{
    struct control *ctl = c->ctl;
    struct loop *l = ctl->sv->loop;
    if (c->dead)
        return;
    if (c->fd >= 0) {
        watch_del(l, &c->w);
        close(c->fd);
        c->fd = -1;
    }
    timer_disarm(l, &c->drain);
    timer_disarm(l, &c->op);
    c->dead = true;
    ctl->nclients--;
    ctl->ndead++;
    if (ctl->busy == 0)
        reap_dead(ctl);
}

static void client_drop(struct client *c, const char *why)
{
    log_warn("control: dropping reply to %s: %s", c->path ? c->path : "?", why);
    client_free(c);
}

/* Write what the pipe takes. Returns -1 when C was freed (finished or dropped). */
static int client_flush(struct client *c)
{
    struct loop *l = c->ctl->sv->loop;
    if (c->dead)
        return -1;
    if (c->fd < 0) {
        if (c->final) {
            client_free(c);
            return -1;
        }
        return 0;
    }
    bool progress = false;
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->out + c->off, c->len - c->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (watch_mod(l, &c->w, EPOLLOUT) < 0) {
                client_drop(c, strerror(errno));
                return -1;
            }
            /* the timeout counts from the last time the reader took something */
            if (progress || !timer_armed(&c->drain))
                timer_arm(l, &c->drain, DRAIN_TIMEOUT_MS);
            return 0;
        }
        if (n < 0) {
            if (errno == EPIPE)
                log_debug("control: reader of %s went away", c->path);
            else
                log_warn("control: writing reply to %s: %s", c->path, strerror(errno));
            client_free(c);
            return -1;
        }
        c->off += (size_t)n;
        progress = true;
    }
    c->off = c->len = 0;
    timer_disarm(l, &c->drain);
    if (c->final) {
        client_free(c);
        return -1;
    }
    watch_mod(l, &c->w, 0);
    return 0;
}

static void client_put(struct client *c, const char *s, size_t n)
{
    if (c->dead || c->fd < 0 || c->final)
        return;
    if (c->off > 0 && c->off == c->len)
        c->off = c->len = 0;
    if (c->len + n > c->cap) {
        if (c->len - c->off + n > OUT_MAX) {
            /* Too much unread: mark the reply broken; it is dropped at flush. */
            log_warn("control: reply to %s exceeds %u bytes, truncated", c->path, OUT_MAX);
            c->final = true;
            return;
        }
        if (c->off > 0) {
            memmove(c->out, c->out + c->off, c->len - c->off);
            c->len -= c->off;
            c->off = 0;
        }
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n)
            cap *= 2;
        char *o = realloc(c->out, cap);
        if (!o) {
            log_error("control: out of memory for a reply");
            c->final = true;
            return;
        }
        c->out = o;
        c->cap = cap;
    }
    memcpy(c->out + c->len, s, n);
    c->len += n;
}

static void client_line(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void client_line(struct client *c, const char *fmt, ...)
{
    char buf[REQ_MAX + 512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = (int)sizeof buf - 2;
    /* a reply line never spans lines: a newline inside would fake a final line */
    for (int i = 0; i < n; i++)
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    buf[n++] = '\n';
    client_put(c, buf, (size_t)n);
}

/* Queue the final line and write. Returns -1 when C is gone. */
static int client_finish(struct client *c, const char *errfmt, ...)
    __attribute__((format(printf, 2, 3)));
static int client_finish(struct client *c, const char *errfmt, ...)
{
    if (c->dead)
        return -1;
    if (!c->final) {
        if (errfmt) {
            char msg[512];
            va_list ap;
            va_start(ap, errfmt);
            vsnprintf(msg, sizeof msg, errfmt, ap);
            va_end(ap);
            if (c->fd < 0)      /* fire-and-forget: the log is the only trace */
                log_error("control: %s", msg);
            client_line(c, "error: %s", msg);
        } else {
            client_line(c, "ok");
        }
        c->final = true;
        /* A client that got its answer may read the status file next: it
         * must already say what the answer says. */
        statusfile_flush(c->ctl->sv);
    }
    return client_flush(c);
}

static void client_fail(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void client_fail(struct client *c, const char *fmt, ...)
{
    if (c->nfail++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->firsterr, sizeof c->firsterr, fmt, ap);
        va_end(ap);
    }
}

/* Final line from the collected failures. */
static int client_conclude(struct client *c)
{
    if (c->nfail == 0)
        return client_finish(c, NULL);
    if (c->nfail == 1)
        return client_finish(c, "%s", c->firsterr);
    return client_finish(c, "%s (and %d more failures)", c->firsterr, c->nfail - 1);
}

static void client_io(struct loop *l, struct watch *w, uint32_t events)
{
    struct client *c = w->arg;
    struct control *ctl = c->ctl;
    ctl_enter(ctl);
    if ((events & EPOLLOUT) && client_flush(c) < 0)
        goto out;
    if (events & (EPOLLERR | EPOLLHUP))
        /* the reader closed its end: nobody to answer any more */
        client_free(c);
out:
    ctl_leave(ctl);
}

static void client_drain_timeout(struct loop *l, struct timer *t)
{
    struct client *c = t->arg;
    struct control *ctl = c->ctl;
    ctl_enter(ctl);
    client_drop(c, "the reader took nothing for 10 s");
    ctl_leave(ctl);
}

/* Over the cap: say so with one write the pipe takes whole, or not at all. */
static void refuse_busy(const char *path, const struct stat *ctlst)
{
    char why[256];
    int fd = replyfifo_open(path, ctlst, why, sizeof why);
    if (fd < 0)
        return;
    static const char msg[] = "error: too many clients\n";
    ssize_t n;
    do
        n = write(fd, msg, sizeof msg - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
}

/* Open the reply FIFO at once, while the requester waits in its open().
 * Returns NULL, after logging why, when the request must not be executed. */
static struct client *client_new(struct control *ctl, const char *path)
{
    struct stat ctlst;
    /* who may write the control FIFO now (mode and group as they are) */
    if (path && fstat(ctl->fd, &ctlst) < 0) {
        log_error("control: fstat %s: %s", ctl->path, strerror(errno));
        return NULL;
    }
    if (ctl->nclients >= CLIENTS_MAX) {
        log_error("control: too many clients (%d at once); request %s%s refused", CLIENTS_MAX,
                  path ? "replying to " : "without reply FIFO", path ? path : "");
        if (path)
            refuse_busy(path, &ctlst);
        return NULL;
    }
    struct client *c = calloc(1, sizeof *c);
    if (!c || (path && !(c->path = strdup(path)))) {
        log_error("control: out of memory; request refused");
        free(c);
        return NULL;
    }
    c->ctl = ctl;
    c->fd = -1;
    timer_init(&c->drain, client_drain_timeout, c);
    timer_init(&c->op, NULL, c);
    if (path) {
        char why[256];
        int fd = replyfifo_open(path, &ctlst, why, sizeof why);
        if (fd < 0) {
            if (errno == ENOENT)
                log_debug("control: reply FIFO %s does not exist", path);
            else if (errno == ENXIO)
                log_debug("control: nobody reads %s; not answering", path);
            else if (errno == EPERM || errno == EINVAL)
                log_warn("control: refusing reply FIFO %s: %s; not answering", path, why);
            else
                log_error("control: cannot open reply FIFO %s: %s", path, why);
            goto fail;
        }
        c->fd = fd;
        /* no events yet: EPOLLERR still tells us when the reader goes away */
        if (watch_add(ctl->sv->loop, &c->w, fd, 0, client_io, c) < 0) {
            log_error("control: epoll: %s", strerror(errno));
            close(fd);
            goto fail;
        }
    }
    c->next = ctl->clients;
    if (c->next)
        c->next->prev = c;
    ctl->clients = c;
    ctl->nclients++;
    return c;
fail:
    free(c->path);
    free(c);
    return NULL;
}

/* ---- names ---- */

static bool has_target(struct client *c, struct process *p)
{
    for (size_t i = 0; i < c->nt; i++)
        if (c->t[i].p == p)
            return true;
    return false;
}

static int add_target(struct client *c, struct process *p)
{
    if (has_target(c, p))
        return 0;
    struct target *t = realloc(c->t, (c->nt + 1) * sizeof *t);
    if (!t)
        return -1;
    c->t = t;
    c->t[c->nt++] = (struct target){ .p = p, .phase = PH_DONE };
    return 0;
}

static bool is_group_glob(const char *name, size_t len)
{
    return len > 2 && strcmp(name + len - 2, ":*") == 0;
}

/* Resolve NAMES into C's targets (each process once). Returns 0, or -1
 * after answering the error: one unknown name and nothing is done. */
static int resolve(struct client *c, char *const names[], int n)
{
    struct supervisor *sv = c->ctl->sv;
    for (int i = 0; i < n; i++) {
        const char *name = names[i];
        size_t len = strlen(name);
        bool matched = false;
        struct process *p = NULL;
        if (strcmp(name, "all") != 0 && !is_group_glob(name, len))
            p = supervisor_find(sv, name);
        if (p) {
            matched = true;
            if (add_target(c, p) < 0)
                goto oom;
        } else {
            /* all, group:*, or a bare group name: every process of it */
            size_t glen = is_group_glob(name, len) ? len - 2 : len;
            bool every = strcmp(name, "all") == 0;
            for (size_t k = 0; k < sv->nprocs; k++) {
                struct process *q = sv->procs[k];
                if (q->removed)
                    continue;
                if (!every && (strlen(q->cfg->group) != glen
                               || strncmp(q->cfg->group, name, glen) != 0))
                    continue;
                matched = true;
                if (add_target(c, q) < 0)
                    goto oom;
            }
            if (every)
                matched = true;
        }
        if (!matched) {
            client_finish(c, "no such process: %s", name);
            return -1;
        }
    }
    return 0;
oom:
    client_finish(c, "out of memory");
    return -1;
}

static const char *pname(const struct process *p) { return p->cfg->fullname; }

/* ---- completion of waiting targets ---- */

/* Judge target T against its process's current state. */
static void target_eval(struct client *c, struct target *t)
{
    struct process *p = t->p;
    enum pstate s = p->state;
    switch (t->phase) {
    case PH_RESTART_DOWN:
        if (s == PS_RUNNING || s == PS_STARTING || s == PS_STOPPING)
            return;
        client_line(c, "%s: stopped", pname(p));
        t->phase = PH_START;
        __attribute__((fallthrough)); /* judged as a start from here on */
    case PH_START:
        if (s == PS_RUNNING) {
            client_line(c, "%s: started", pname(p));
        } else if (s == PS_FATAL) {
            client_line(c, "%s: ERROR (spawn error)", pname(p));
            client_fail(c, "%s: spawn error%s%s", pname(p), p->reason[0] ? ": " : "", p->reason);
        } else if (s == PS_STOPPED && p->pending_start) {
            return;     /* waiting for its depends_on to be RUNNING */
        } else if (s == PS_STOPPED || s == PS_STOPPING || s == PS_EXITED) {
            client_line(c, "%s: ERROR (abnormal termination)", pname(p));
            client_fail(c, "%s: abnormal termination%s%s", pname(p), p->reason[0] ? ": " : "",
                        p->reason);
        } else {
            return;     /* STARTING, BACKOFF: still trying */
        }
        break;
    case PH_STOP:
        if (s == PS_RUNNING || s == PS_STARTING || s == PS_STOPPING)
            return;
        client_line(c, "%s: stopped", pname(p));
        break;
    case PH_WAIT:
        if ((int)s != c->want)
            return;
        break;
    case PH_DONE:
        return;
    }
    t->phase = PH_DONE;
    c->pending--;
}

/* Conclude C when nothing is pending. Returns -1 when C is gone. */
static int client_check_done(struct client *c)
{
    if (c->pending > 0 || c->final)
        return 0;
    return client_conclude(c);
}

static void observer(void *arg, struct process *p, enum proc_event ev, enum pstate old)
{
    struct control *ctl = arg;
    ctl_enter(ctl);
    for (struct client *c = ctl->clients; c; c = c->next) {
        if (ev == PROC_EV_REMOVED) {
            /* every client, armed or not: P is about to be freed */
            bool ended = false;
            for (size_t i = 0; i < c->nt; i++) {
                struct target *t = &c->t[i];
                if (t->p != p)
                    continue;
                if (!c->dead && t->phase != PH_DONE) {
                    client_line(c, "%s: ERROR (removed by reload)", pname(p));
                    client_fail(c, "%s: removed by reload", pname(p));
                    t->phase = PH_DONE;
                    c->pending--;
                    ended = true;
                }
                t->p = NULL;
            }
            /* that may have been what it waited for last */
            if (ended && c->armed && !c->dead)
                client_check_done(c);
            continue;
        }
        if (c->dead || !c->armed || c->pending == 0)
            continue;
        bool hit = false;
        for (size_t i = 0; i < c->nt; i++) {
            struct target *t = &c->t[i];
            if (t->p != p || t->phase == PH_DONE)
                continue;
            hit = true;
            target_eval(c, t);
        }
        if (hit)
            client_check_done(c);
    }
    ctl_leave(ctl);
}

static void wait_timeout(struct loop *l, struct timer *tm)
{
    struct client *c = tm->arg;
    struct control *ctl = c->ctl;
    ctl_enter(ctl);
    for (size_t i = 0; i < c->nt; i++) {
        struct target *t = &c->t[i];
        if (t->phase == PH_WAIT) {
            client_fail(c, "timed out waiting for %s to be %s (it is %s)", pname(t->p),
                        pstate_name((enum pstate)c->want), pstate_name(t->p->state));
            t->phase = PH_DONE;
        }
    }
    c->pending = 0;
    client_conclude(c);
    ctl_leave(ctl);
}

/* ---- verbs ---- */

static void fill_rec(const struct process *p, struct status_rec *r, char *exitbuf, size_t exitlen,
                     char *desc, size_t desclen)
{
    proc_exit_string(p, exitbuf, exitlen);
    proc_describe(p, desc, desclen);
    *r = (struct status_rec){
        .name = p->cfg->fullname, .state = (char *)pstate_name(p->state), .pid = p->pid,
        .exit = exitbuf, .restarts = p->restarts, .since = (long long)p->since,
        .fine = (p->state == PS_RUNNING && !p->unhealthy) || proc_finished_ok(p),
        .desc = desc, .text = (char *)p->status_text, .health = (char *)proc_health(p),
    };
}

static void do_status(struct client *c, struct request *r)
{
    struct supervisor *sv = c->ctl->sv;
    int argi = 0;
    bool machine = false, usage = false;
    if (r->argc > 0 && (strcmp(r->argv[0], "-j") == 0 || strcmp(r->argv[0], "-jl") == 0)) {
        machine = true;
        usage = r->argv[0][2] == 'l';
        argi = 1;
    }
    if (r->argc - argi == 0) {
        for (size_t k = 0; k < sv->nprocs; k++)
            if (add_target(c, sv->procs[k]) < 0) {
                client_finish(c, "out of memory");
                return;
            }
    } else if (resolve(c, r->argv + argi, r->argc - argi) < 0) {
        return;
    }
    size_t longest = 0;
    for (size_t i = 0; i < c->nt; i++) {
        size_t l = strlen(pname(c->t[i].p));
        if (l > longest)
            longest = l;
    }
    int width = status_name_width(longest);
    char line[2048], exitbuf[32], desc[256];
    struct usage_snap *snap = usage ? usage_scan() : NULL;
    for (size_t i = 0; i < c->nt; i++) {
        struct status_rec rec;
        fill_rec(c->t[i].p, &rec, exitbuf, sizeof exitbuf, desc, sizeof desc);
        if (usage) {
            struct usage u;
            metrics_usage(snap, c->t[i].p, &u);
            rec.has_usage = true;
            rec.cpu_seconds = u.cpu_seconds;
            rec.rss_bytes = u.rss_bytes;
            rec.procs = u.procs;
            rec.has_memory_current = u.has_memory_current;
            rec.memory_current = u.memory_current;
        }
        int n = machine ? status_rec_format(line, sizeof line, &rec)
                        : status_rec_text(line, sizeof line, &rec, width);
        if (n >= 0)
            client_line(c, "%s", line);
    }
    usage_free(snap);
    client_finish(c, NULL);
}

static void metrics_line(void *arg, const char *text)
{
    client_line(arg, "%s", text);
}

/* Returns -1 when C may be gone. */
static int do_action(struct client *c, struct request *r)
{
    char *const *names = r->argv;
    int nnames = r->argc;
    int sig = 0;
    if (r->verb == VERB_SIGNAL) {
        sig = conf_signal_parse(r->argv[0]);
        if (sig <= 0 || sig >= 65) {
            client_finish(c, "unknown signal: %s", r->argv[0]);
            return -1;
        }
        names++;
        nnames--;
    }
    if (resolve(c, names, nnames) < 0)
        return -1;
    c->armed = false;       /* our own calls below notify the observer */
    for (size_t i = 0; i < c->nt; i++) {
        struct target *t = &c->t[i];
        struct process *p = t->p;
        bool already = false;
        char err[256] = "";
        switch (r->verb) {
        case VERB_START:
            if (proc_start(p, &already, err, sizeof err) < 0) {
                client_line(c, "%s: ERROR (%s)", pname(p), err);
                client_fail(c, "%s: %s", pname(p), err);
            } else if (already) {
                client_line(c, "%s: ERROR (already started)", pname(p));
                client_fail(c, "%s: already started", pname(p));
            } else {
                t->phase = PH_START;
            }
            break;
        case VERB_STOP:
            proc_stop(p, &already);
            if (already) {
                client_line(c, "%s: ERROR (not running)", pname(p));
                client_fail(c, "%s: not running", pname(p));
            } else {
                t->phase = PH_STOP;
            }
            break;
        case VERB_RESTART:
            t->was_alive = p->state == PS_RUNNING || p->state == PS_STARTING
                || p->state == PS_STOPPING;
            if (proc_restart(p, err, sizeof err) < 0) {
                client_line(c, "%s: ERROR (%s)", pname(p), err);
                client_fail(c, "%s: %s", pname(p), err);
            } else {
                t->phase = t->was_alive ? PH_RESTART_DOWN : PH_START;
            }
            break;
        case VERB_SIGNAL:
            if (p->pid <= 0) {
                client_line(c, "%s: ERROR (not running)", pname(p));
                client_fail(c, "%s: not running", pname(p));
            } else if (proc_signal(p, sig) < 0) {
                client_line(c, "%s: ERROR (%s)", pname(p), strerror(errno));
                client_fail(c, "%s: %s", pname(p), strerror(errno));
            } else {
                client_line(c, "%s: signalled", pname(p));
            }
            break;
        default:
            break;
        }
        if (t->phase != PH_DONE)
            c->pending++;
    }
    c->armed = true;
    /* catch what happened synchronously (startsecs = 0, already down) */
    for (size_t i = 0; i < c->nt; i++)
        if (c->t[i].phase != PH_DONE)
            target_eval(c, &c->t[i]);
    return client_check_done(c);
}

static void do_wait(struct client *c, struct request *r)
{
    int st = pstate_parse(r->argv[1]);
    if (st < 0) {
        client_finish(c, "unknown state: %s (one of STOPPED, STARTING, RUNNING, BACKOFF, "
                      "STOPPING, EXITED, FATAL)", r->argv[1]);
        return;
    }
    double secs = 10;
    if (r->argc > 2) {
        char *end;
        errno = 0;
        secs = strtod(r->argv[2], &end);
        if (errno || end == r->argv[2] || *end || !(secs >= 0 && secs <= 31536000)) {
            client_finish(c, "invalid timeout: %s (seconds, 0 to 31536000)", r->argv[2]);
            return;
        }
    }
    if (resolve(c, r->argv, 1) < 0)
        return;
    c->want = st;
    for (size_t i = 0; i < c->nt; i++) {
        c->t[i].phase = PH_WAIT;
        c->pending++;
        target_eval(c, &c->t[i]);
    }
    c->armed = true;
    if (client_check_done(c) < 0 || c->final)
        return;
    if (c->fd < 0) {            /* nobody to tell: do not keep it */
        c->final = true;
        client_flush(c);
        return;
    }
    c->op.cb = wait_timeout;
    timer_arm(c->ctl->sv->loop, &c->op, (uint64_t)(secs * 1000 + 0.5));
}

static void do_pid(struct client *c, struct request *r)
{
    if (r->argc == 0) {
        client_line(c, "%ld", (long)getpid());
        client_finish(c, NULL);
        return;
    }
    if (resolve(c, r->argv, r->argc) < 0)
        return;
    for (size_t i = 0; i < c->nt; i++)
        client_line(c, "%ld", (long)c->t[i].p->pid);
    client_finish(c, NULL);
}

static void do_logfile(struct client *c, struct request *r)
{
    bool err_stream = false;
    if (r->argc > 1) {
        if (strcmp(r->argv[1], "stderr") == 0)
            err_stream = true;
        else if (strcmp(r->argv[1], "stdout") != 0) {
            client_finish(c, "unknown stream: %s (stdout or stderr)", r->argv[1]);
            return;
        }
    }
    struct process *p = supervisor_find(c->ctl->sv, r->argv[0]);
    if (!p) {
        client_finish(c, "no such process: %s", r->argv[0]);
        return;
    }
    const char *sn = err_stream ? "stderr" : "stdout";
    if (err_stream && p->cfg->redirect_stderr) {
        client_finish(c, "%s: stderr is redirected to stdout (redirect_stderr = true)", pname(p));
        return;
    }
    const struct log_target *lt = err_stream ? &p->cfg->stderr_log : &p->cfg->stdout_log;
    const char *kind = NULL;
    switch (lt->kind) {
    case LOG_FILE:
        client_line(c, "%s", lt->path);
        client_finish(c, NULL);
        return;
    case LOG_INHERIT: kind = "inherit"; break;
    case LOG_NONE: kind = "NONE"; break;
    case LOG_STDOUT: kind = "/dev/stdout"; break;
    case LOG_STDERR: kind = "/dev/stderr"; break;
    }
    client_finish(c, "%s: %s is not captured to a file (%s_logfile = %s)", pname(p), sn, sn,
                  kind ? kind : "?");
}

static void do_reload(struct client *c)
{
    struct conf_diags d = { 0 };
    int rc = supervisor_reload(c->ctl->sv, &d);
    char *text = NULL;
    size_t textlen = 0;
    FILE *m = open_memstream(&text, &textlen);
    if (m) {
        conf_diags_print(&d, m);
        fclose(m);
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (*line)
                client_line(c, "%s", line);
        }
        free(text);
    }
    int nerr = d.nerrors;
    conf_diags_free(&d);
    if (rc < 0)
        client_finish(c, "configuration has errors (%d), nothing changed", nerr);
    else
        client_finish(c, NULL);
}

static void execute(struct control *ctl, struct request *r)
{
    struct client *c = client_new(ctl, r->reply);
    if (!c)
        return;     /* refused (logged): a request that cannot be answered does nothing */
    c->verb = r->verb;
    switch (r->verb) {
    case VERB_STATUS: do_status(c, r); return;
    case VERB_START: case VERB_STOP: case VERB_RESTART: case VERB_SIGNAL:
        if (do_action(c, r) < 0)
            return;
        break;
    case VERB_PID: do_pid(c, r); return;
    case VERB_RELOAD: do_reload(c); return;
    case VERB_REOPEN:
        supervisor_reopen(ctl->sv);
        client_finish(c, NULL);
        return;
    case VERB_SHUTDOWN: {
        struct supervisor *sv = ctl->sv;
        client_finish(c, NULL);   /* answered before anything stops */
        supervisor_shutdown(sv, 0, "shutdown requested");
        return;
    }
    case VERB_VERSION:
        client_line(c, "%s", TEND_VERSION);
        client_finish(c, NULL);
        return;
    case VERB_WAIT: do_wait(c, r); return;
    case VERB_LOGFILE: do_logfile(c, r); return;
    case VERB_METRICS:
        metrics_emit(ctl->sv, metrics_line, c);
        client_finish(c, NULL);
        return;
    }
    /* fire-and-forget: the action is under way and nobody waits for the
     * answer; only a restart's second half (the start) still needs C.
     * What already failed is logged (client_finish). */
    if (c->fd < 0 && !c->final && r->verb != VERB_RESTART) {
        if (c->nfail > 0) {
            client_conclude(c);
        } else {
            c->final = true;
            client_flush(c);
        }
    }
}

/* A request that names a reply FIFO but cannot be executed: answer the error. */
static void answer_error(struct control *ctl, const char *reply, const char *msg)
{
    struct client *c = client_new(ctl, reply);
    if (c)
        client_finish(c, "%s", msg);
}

static void handle_line(struct control *ctl, const char *line, size_t len)
{
    static struct request r;   /* 20 KiB: not on the stack; tend is single-threaded */
    char err[512];
    int rc = request_parse(line, len, &r, err, sizeof err);
    if (rc == 1)
        return;
    if (rc < 0) {
        log_error("control: bad request: %s", err);
        if (r.reply)
            answer_error(ctl, r.reply, err);
        return;
    }
    log_debug("control: %s%s%s", r.verb_name, r.reply ? " reply to " : "",
              r.reply ? r.reply : "");
    execute(ctl, &r);
}

/* A line that has waited PARTIAL_MS for its newline: a writer that left it
 * out (printf without \n). Take it as it is, so it cannot poison the next. */
static void partial_timeout(struct loop *l, struct timer *tm)
{
    struct control *ctl = tm->arg;
    if (ctl->inlen == 0 && !ctl->discarding)
        return;
    ctl_enter(ctl);
    size_t len = ctl->inlen;
    ctl->inlen = 0;
    if (ctl->discarding) {
        ctl->discarding = false;
        log_error("control: request longer than %d bytes discarded", REQ_MAX);
    } else {
        log_warn("control: request without a newline (taken after %d ms)", PARTIAL_MS);
        handle_line(ctl, ctl->in, len);
    }
    ctl_leave(ctl);
}

static void control_read(struct loop *l, struct watch *w, uint32_t events)
{
    struct control *ctl = w->arg;
    ctl_enter(ctl);
    for (;;) {
        ssize_t n = read(ctl->fd, ctl->in + ctl->inlen, sizeof ctl->in - ctl->inlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno != EAGAIN)
                log_error("control: read %s: %s", ctl->path, strerror(errno));
            break;
        }
        if (n == 0)     /* cannot happen while we hold a write end; be safe */
            break;
        size_t start = 0, end = ctl->inlen + (size_t)n;
        for (size_t i = ctl->inlen; i < end; i++) {
            if (ctl->in[i] != '\n')
                continue;
            if (ctl->discarding) {
                ctl->discarding = false;
                log_error("control: request longer than %d bytes discarded", REQ_MAX);
            } else {
                handle_line(ctl, ctl->in + start, i - start);
            }
            start = i + 1;
        }
        memmove(ctl->in, ctl->in + start, end - start);
        ctl->inlen = end - start;
        if (ctl->inlen == sizeof ctl->in) {
            /* REQ_MAX bytes without a newline: too long; skip to its end */
            ctl->discarding = true;
            ctl->inlen = 0;
        }
    }
    /* The pipe is drained. A line still open waits a little for the rest
     * (one timer, re-armed by each read that adds to it), no longer. */
    if (ctl->inlen > 0 || ctl->discarding)
        timer_arm(l, &ctl->partial, PARTIAL_MS);
    else
        timer_disarm(l, &ctl->partial);
    ctl_leave(ctl);
}

/* ---- the FIFO ---- */

struct control *control_open(struct supervisor *sv, char *err, size_t errlen)
{
    const struct tend_config *cfg = sv->cfg;
    const char *path = cfg->control;
    struct stat st;
    struct control *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    c->sv = sv;
    c->fd = -1;
    for (int tries = 0;; tries++) {
        if (lstat(path, &st) == 0) {
            if (S_ISLNK(st.st_mode)) {
                snprintf(err, errlen, "control FIFO %s is a symlink; refusing to use it", path);
                goto fail;
            }
            if (!S_ISFIFO(st.st_mode)) {
                snprintf(err, errlen, "control path %s exists and is not a FIFO; refusing to "
                         "use it", path);
                goto fail;
            }
            if (st.st_uid != geteuid()) {
                snprintf(err, errlen, "control FIFO %s is owned by uid %ld, not us; refusing "
                         "to use it", path, (long)st.st_uid);
                goto fail;
            }
            break;
        }
        if (errno != ENOENT) {
            snprintf(err, errlen, "control FIFO %s: %s", path, strerror(errno));
            goto fail;
        }
        if (mkfifo(path, cfg->control_mode & 07777) == 0)
            break;
        if (errno != EEXIST || tries > 2) {
            snprintf(err, errlen, "cannot create control FIFO %s: %s", path, strerror(errno));
            goto fail;
        }
    }
    /* O_RDWR: we are a writer too, so reads never see EOF when clients leave */
    c->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (c->fd < 0) {
        snprintf(err, errlen, "cannot open control FIFO %s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(c->fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen, "control FIFO %s changed under us; refusing to use it", path);
        goto fail;
    }
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    /* exact mode (mkfifo is subject to the umask; a reused FIFO may differ) */
    if (fchmod(c->fd, cfg->control_mode & 07777) < 0) {
        snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
        goto fail;
    }
    if (cfg->control_group_set && fchown(c->fd, (uid_t)-1, cfg->control_group) < 0) {
        snprintf(err, errlen, "chgrp %s to gid %ld: %s", path, (long)cfg->control_group,
                 strerror(errno));
        goto fail;
    }
    timer_init(&c->partial, partial_timeout, c);
    if (watch_add(sv->loop, &c->w, c->fd, EPOLLIN, control_read, c) < 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        goto fail;
    }
    proc_observe(&sv->host, observer, c);
    log_debug("control: listening on %s", path);
    return c;
fail:
    if (c->fd >= 0)
        close(c->fd);
    free(c->path);
    free(c);
    return NULL;
}

void control_flush(struct control *c)
{
    if (!c)
        return;
    ctl_enter(c);
    timer_disarm(c->sv->loop, &c->partial);
    for (struct client *cl = c->clients; cl; cl = cl->next) {
        if (!cl->dead && !cl->final) {
            cl->pending = 0;
            client_finish(cl, "tend is shutting down");
        }
    }
    ctl_leave(c);
    uint64_t deadline = loop_now() + FLUSH_MS;
    while (c->nclients > 0) {
        uint64_t now = loop_now();
        if (now >= deadline)
            break;
        size_t n = c->nclients;
        struct pollfd *pf = calloc(n, sizeof *pf);
        struct client **who = calloc(n, sizeof *who);
        if (!pf || !who) {
            free(pf);
            free(who);
            break;
        }
        size_t i = 0;
        for (struct client *cl = c->clients; cl && i < n; cl = cl->next) {
            if (cl->dead)
                continue;
            pf[i] = (struct pollfd){ .fd = cl->fd, .events = POLLOUT };
            who[i++] = cl;
        }
        int r = poll(pf, i, (int)(deadline - now));
        ctl_enter(c);           /* WHO stays valid until ctl_leave */
        for (size_t k = 0; r > 0 && k < i; k++)
            if (pf[k].revents)
                client_flush(who[k]);   /* closes it when done or broken */
        ctl_leave(c);
        free(pf);
        free(who);
        if (r < 0 && errno != EINTR)
            break;
    }
}

void control_close(struct control *c)
{
    if (!c)
        return;
    struct supervisor *sv = c->sv;
    ctl_enter(c);               /* close them all, then free them */
    for (struct client *cl = c->clients; cl; cl = cl->next)
        client_free(cl);
    ctl_leave(c);
    proc_unobserve(&sv->host, observer, c);
    timer_disarm(sv->loop, &c->partial);
    watch_del(sv->loop, &c->w);
    close(c->fd);
    struct stat st;
    /* unlink only the FIFO we made, not whatever may have replaced it */
    if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino
        && unlink(c->path) < 0)
        log_warn("control: cannot remove %s: %s", c->path, strerror(errno));
    free(c->path);
    free(c);
}
