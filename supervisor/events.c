/* events.c - see events.h. */
#include "events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"

/* Indexes into conf_event_types, in its order. */
enum {
    EV_EVENT, EV_PROCESS_STATE, EV_PS_STOPPED, EV_PS_EXITED, EV_PS_STARTING, EV_PS_STOPPING,
    EV_PS_BACKOFF, EV_PS_FATAL, EV_PS_RUNNING, EV_PS_UNKNOWN, EV_PCOMM, EV_PCOMM_OUT,
    EV_PCOMM_ERR, EV_PLOG, EV_PLOG_OUT, EV_PLOG_ERR, EV_REMOTE, EV_SUP, EV_SUP_RUNNING,
    EV_SUP_STOPPING, EV_TICK, EV_TICK_5, EV_TICK_60, EV_TICK_3600, EV_GROUP, EV_GROUP_ADDED,
    EV_GROUP_REMOVED, EV_NTYPES,
};
/* supervisord's class hierarchy: a subscription to a type takes its subtypes */
static const signed char parent[EV_NTYPES] = {
    -1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 10, 10, 0, 13, 13, 0, 0, 17, 17, 0, 20, 20, 20, 0, 24, 24,
};
static const int tick_period[3] = {5, 60, 3600};

enum lstate { L_ACKNOWLEDGED, L_READY, L_BUSY, L_UNKNOWN };
static const char *const lstate_names[] = {"ACKNOWLEDGED", "READY", "BUSY", "UNKNOWN"};

struct event {                  /* one event as one pool holds it */
    int type;
    uint64_t serial, poolserial;
    char *payload;              /* NUL-terminated */
    size_t len;
};

struct pool {
    char *name;
    uint32_t mask;              /* subscribed types (bit per conf_event_types index) */
    int buffer_size;
    struct event *buf;          /* oldest first */
    size_t n;
    uint64_t serial;            /* next pool serial */
    bool used;                  /* mark for events_sync */
};

#define RBUF_MAX 8192

struct listener {
    struct process *p;
    enum lstate state;
    bool has_event;
    struct event event;         /* the one it is busy with */
    char rbuf[RBUF_MAX];
    size_t rlen;
    long resultlen;             /* -1: waiting for the RESULT line */
};

struct events {
    struct proc_host *host;
    char *identifier;
    struct pool *pools;
    size_t npools;
    struct listener **ls;
    size_t nls;
    char **groups;              /* the groups the last sync saw */
    size_t ngroups;
    bool started;
    uint64_t serial;            /* next global serial */
    struct timer ticks[3];
    time_t tick_when[3];
};

static bool subscribed(uint32_t mask, int type)
{
    for (int t = type; t >= 0; t = parent[t])
        if (mask & (1u << t))
            return true;
    return false;
}

/* supervisord counts characters of the payload (Python str) */
static size_t char_len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static struct pool *find_pool(struct events *ev, const char *name)
{
    for (size_t i = 0; i < ev->npools; i++)
        if (!strcmp(ev->pools[i].name, name))
            return &ev->pools[i];
    return NULL;
}

static struct pool *pool_of(struct events *ev, const struct process *p)
{
    return p->cfg->listener ? find_pool(ev, p->cfg->program) : NULL;
}

/* Buffer E in POOL (a re-delivery before the newer events); E's payload is owned. */
static void pool_accept(struct pool *pool, struct event *e, bool head)
{
    if (pool->n >= (size_t)pool->buffer_size && pool->n) {
        log_error("pool %s event buffer overflowed, discarding event %" PRIu64, pool->name,
                  pool->buf[0].serial);
        free(pool->buf[0].payload);
        memmove(pool->buf, pool->buf + 1, (pool->n - 1) * sizeof *pool->buf);
        pool->n--;
    }
    if (head) {
        /* before the newer ones only: the events of several listeners
         * stopped together come back in serial order, not reversed */
        size_t k = 0;
        while (k < pool->n && pool->buf[k].serial < e->serial)
            k++;
        memmove(pool->buf + k + 1, pool->buf + k, (pool->n - k) * sizeof *pool->buf);
        pool->buf[k] = *e;
    } else {
        pool->buf[pool->n] = *e;
    }
    pool->n++;
}

static bool send_event(struct events *ev, struct pool *pool, struct listener *l,
                       const struct event *e)
{
#define ENVELOPE "ver:3.0 server:%s serial:%" PRIu64 " pool:%s poolserial:%" PRIu64 \
                 " eventname:%s len:%zu\n"
    size_t clen = char_len(e->payload, e->len);
    const char *tname = conf_event_types[e->type];
    int hn = snprintf(NULL, 0, ENVELOPE, ev->identifier, e->serial, pool->name, e->poolserial,
                      tname, clen);
    char *msg = hn < 0 ? NULL : malloc((size_t)hn + 1 + e->len);
    if (!msg) {
        log_error("out of memory: event %" PRIu64 " not sent to %s", e->serial,
                  l->p->cfg->fullname);
        return false;
    }
    snprintf(msg, (size_t)hn + 1, ENVELOPE, ev->identifier, e->serial, pool->name,
             e->poolserial, tname, clen);
#undef ENVELOPE
    memcpy(msg + hn, e->payload, e->len);
    int rc = proc_write_stdin(l->p, msg, (size_t)hn + e->len);
    free(msg);
    if (rc < 0) {
        log_debug("%s: cannot send event %" PRIu64 ": %s", l->p->cfg->fullname, e->serial,
                  strerror(errno));
        return false;
    }
    log_debug("event %" PRIu64 " sent to listener %s", e->serial, l->p->cfg->fullname);
    return true;
}

/* Hand the oldest events of POOL to its READY listeners, one each. */
static void dispatch(struct events *ev, struct pool *pool)
{
    for (size_t i = 0; i < ev->nls && pool->n; i++) {
        struct listener *l = ev->ls[i];
        if (l->state != L_READY || l->p->state != PS_RUNNING || l->p->removed ||
            pool_of(ev, l->p) != pool)
            continue;
        if (!send_event(ev, pool, l, &pool->buf[0]))
            continue;
        l->event = pool->buf[0];
        l->has_event = true;
        l->state = L_BUSY;
        l->resultlen = -1;
        memmove(pool->buf, pool->buf + 1, (pool->n - 1) * sizeof *pool->buf);
        pool->n--;
    }
}

/* Give an event of TYPE with PAYLOAD to every pool that subscribes. */
static void emit(struct events *ev, int type, const char *payload, size_t len)
{
    bool serial_used = false;
    for (size_t i = 0; i < ev->npools; i++) {
        struct pool *pool = &ev->pools[i];
        if (!subscribed(pool->mask, type))
            continue;
        struct event e = {.type = type, .serial = ev->serial, .poolserial = pool->serial,
                          .payload = malloc(len + 1), .len = len};
        if (!e.payload) {
            log_error("out of memory: event %s not buffered for pool %s",
                      conf_event_types[type], pool->name);
            continue;
        }
        memcpy(e.payload, payload, len);
        e.payload[len] = 0;
        serial_used = true;
        pool->serial++;
        pool_accept(pool, &e, false);
        dispatch(ev, pool);
    }
    if (serial_used)
        ev->serial++;
}

static void emitf(struct events *ev, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emitf(struct events *ev, int type, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= 0)
        emit(ev, type, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* ---- listeners ---- */

static struct listener *find_listener(struct events *ev, const struct process *p)
{
    for (size_t i = 0; i < ev->nls; i++)
        if (ev->ls[i]->p == p)
            return ev->ls[i];
    return NULL;
}

static void set_lstate(struct listener *l, enum lstate s)
{
    log_debug("%s: %s -> %s", l->p->cfg->fullname, lstate_names[l->state], lstate_names[s]);
    l->state = s;
}

/* Its event back to the head of its pool (rejected, or the listener died). */
static void requeue(struct events *ev, struct listener *l)
{
    if (!l->has_event)
        return;
    l->has_event = false;
    struct pool *pool = pool_of(ev, l->p);
    if (!pool) {
        free(l->event.payload);
        return;
    }
    log_debug("rebuffering event %" PRIu64 " for pool %s", l->event.serial, pool->name);
    pool_accept(pool, &l->event, true);
}

static void drop_event(struct listener *l)
{
    if (l->has_event)
        free(l->event.payload);
    l->has_event = false;
}

static void protocol_error(struct events *ev, struct listener *l, const char *what,
                           const char *data, size_t n)
{
    char shown[200];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < sizeof shown; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\n') {
            shown[k++] = '\\';
            shown[k++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", c);
        } else {
            shown[k++] = (char)c;
        }
    }
    shown[k] = 0;
    log_warn("%s: %s: '%s'; it has entered the UNKNOWN state and will no longer receive "
             "events (until it restarts): it violated the eventlistener protocol",
             l->p->cfg->fullname, what, shown);
    set_lstate(l, L_UNKNOWN);
    requeue(ev, l);
    l->rlen = 0;
}

static void consume(struct listener *l, size_t n)
{
    memmove(l->rbuf, l->rbuf + n, l->rlen - n);
    l->rlen -= n;
}

/* Read the protocol in RBUF as far as it goes. */
static void parse(struct events *ev, struct listener *l)
{
    struct pool *pool = pool_of(ev, l->p);
    while (l->rlen) {
        switch (l->state) {
        case L_UNKNOWN:
            l->rlen = 0;
            return;
        case L_ACKNOWLEDGED:
            if (l->rlen < 6 && !memcmp(l->rbuf, "READY\n", l->rlen))
                return;
            if (memcmp(l->rbuf, "READY\n", 6)) {
                protocol_error(ev, l, "unexpected output", l->rbuf, l->rlen);
                return;
            }
            consume(l, 6);
            set_lstate(l, L_READY);
            if (pool)
                dispatch(ev, pool);
            break;
        case L_READY:
            protocol_error(ev, l, "output while waiting for an event", l->rbuf, l->rlen);
            return;
        case L_BUSY:
            if (l->resultlen < 0) {
                char *nl = memchr(l->rbuf, '\n', l->rlen);
                if (!nl) {
                    if (l->rlen == sizeof l->rbuf)
                        protocol_error(ev, l, "bad result line", l->rbuf, 64);
                    return;
                }
                size_t ll = (size_t)(nl - l->rbuf);
                char *end = NULL;
                long n = -1;
                if (ll > 7 && !memcmp(l->rbuf, "RESULT ", 7)) {
                    errno = 0;
                    n = strtol(l->rbuf + 7, &end, 10);
                    if (errno || end != nl || n < 0 || n > RBUF_MAX / 2)
                        n = -1;
                }
                if (n < 0) {
                    protocol_error(ev, l, "bad result line", l->rbuf, ll);
                    return;
                }
                l->resultlen = n;
                consume(l, ll + 1);
            }
            if (l->rlen < (size_t)l->resultlen)
                return;
            if (l->resultlen == 2 && !memcmp(l->rbuf, "OK", 2)) {
                log_debug("%s: event was processed", l->p->cfg->fullname);
                drop_event(l);
            } else {
                log_warn("%s: event was rejected", l->p->cfg->fullname);
                requeue(ev, l);
            }
            consume(l, (size_t)l->resultlen);
            l->resultlen = -1;
            set_lstate(l, L_ACKNOWLEDGED);
            break;
        }
    }
}

static void on_output(void *arg, struct process *p, const char *buf, size_t n)
{
    struct events *ev = arg;
    /* supervisord logs a listener's output at debug level */
    log_debug("'%s' stdout output:\n%.*s", p->cfg->name, (int)(n < 65536 ? n : 65536), buf);
    struct listener *l = find_listener(ev, p);
    if (!l)
        return;
    while (n) {
        size_t k = sizeof l->rbuf - l->rlen;
        if (k > n)
            k = n;
        memcpy(l->rbuf + l->rlen, buf, k);
        l->rlen += k;
        buf += k;
        n -= k;
        parse(ev, l);
        if (l->rlen == sizeof l->rbuf) /* cannot happen: parse consumes or fails */
            l->rlen = 0;
    }
}

/* Strict UTF-8, as Python's bytes.decode('utf-8') takes it (no overlongs,
 * surrogates or code points past U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false;
        }
        if (i + k >= n)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

/* HEAD then the data as supervisord's payload() shows it: the text, or,
 * when it is not UTF-8, "Undecodable: " and Python's repr() of the bytes
 * (so len counts what is sent). Malloc'ed, its length in *LEN. */
static char *with_data(const char *head, size_t hn, const char *buf, size_t n, size_t *len)
{
    if (utf8_valid((const unsigned char *)buf, n)) {
        char *msg = malloc(hn + n + 1);
        if (msg) {
            memcpy(msg, head, hn);
            memcpy(msg + hn, buf, n);
            *len = hn + n;
        }
        return msg;
    }
    char *msg = malloc(hn + 20 + 4 * n);
    if (!msg)
        return NULL;
    bool sq = memchr(buf, '\'', n) && !memchr(buf, '"', n);
    char q = sq ? '"' : '\'';
    size_t k = hn;
    memcpy(msg, head, hn);
    k += (size_t)sprintf(msg + k, "Undecodable: b%c", q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == (unsigned char)q || c == '\\') {
            msg[k++] = '\\';
            msg[k++] = (char)c;
        } else if (c == '\t' || c == '\n' || c == '\r') {
            msg[k++] = '\\';
            msg[k++] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        } else if (c < 0x20 || c >= 0x7f) {
            k += (size_t)sprintf(msg + k, "\\x%02x", c);
        } else {
            msg[k++] = (char)c;
        }
    }
    msg[k++] = q;
    *len = k;
    return msg;
}

/* PROCESS_LOG_* (WHICH > 0: a chunk as captured) and PROCESS_COMMUNICATION_*
 * (COMM: a capture between the tokens). */
static void data_event(struct events *ev, bool comm, const char *name, const char *group,
                       pid_t pid, int which, const char *buf, size_t n)
{
    int type = comm ? (which == 1 ? EV_PCOMM_OUT : EV_PCOMM_ERR)
                    : (which == 1 ? EV_PLOG_OUT : EV_PLOG_ERR);
    bool wanted = false;
    for (size_t i = 0; i < ev->npools && !wanted; i++)
        wanted = subscribed(ev->pools[i].mask, type);
    if (!wanted)
        return;
    char head[600];
    int hn = comm ? snprintf(head, sizeof head, "processname:%s groupname:%s pid:%d\n", name,
                             group, (int)pid)
                  : snprintf(head, sizeof head, "processname:%s groupname:%s pid:%d channel:%s\n",
                             name, group, (int)pid, which == 1 ? "stdout" : "stderr");
    if (hn < 0 || (size_t)hn >= sizeof head)
        return;
    size_t len = 0;
    char *msg = with_data(head, (size_t)hn, buf, n, &len);
    if (!msg) {
        log_error("out of memory: %s event dropped", conf_event_types[type]);
        return;
    }
    emit(ev, type, msg, len);
    free(msg);
}

static void on_log(void *arg, const char *name, const char *group, pid_t pid, int which,
                   const char *buf, size_t n)
{
    data_event(arg, false, name, group, pid, which, buf, n);
}

static void on_comm(void *arg, const char *name, const char *group, pid_t pid, int which,
                    const char *buf, size_t n)
{
    data_event(arg, true, name, group, pid, which, buf, n);
}

static int add_listener(struct events *ev, struct process *p)
{
    struct listener *l = calloc(1, sizeof *l);
    struct listener **nv = realloc(ev->ls, (ev->nls + 1) * sizeof *nv);
    if (!l || !nv) {
        free(l);
        if (nv)
            ev->ls = nv;
        return -1;
    }
    ev->ls = nv;
    l->p = p;
    l->resultlen = -1;
    ev->ls[ev->nls++] = l;
    return 0;
}

static void remove_listener(struct events *ev, struct process *p)
{
    for (size_t i = 0; i < ev->nls; i++) {
        if (ev->ls[i]->p != p)
            continue;
        struct listener *l = ev->ls[i];
        requeue(ev, l);
        free(l);
        memmove(ev->ls + i, ev->ls + i + 1, (ev->nls - i - 1) * sizeof *ev->ls);
        ev->nls--;
        return;
    }
}

/* ---- process state events ---- */

static const int state_type[PS_COUNT] = {
    [PS_STOPPED] = EV_PS_STOPPED, [PS_STARTING] = EV_PS_STARTING,
    [PS_RUNNING] = EV_PS_RUNNING, [PS_BACKOFF] = EV_PS_BACKOFF,
    [PS_STOPPING] = EV_PS_STOPPING, [PS_EXITED] = EV_PS_EXITED, [PS_FATAL] = EV_PS_FATAL,
};

static void state_event(struct events *ev, struct process *p, enum pstate old)
{
    const struct process_config *c = p->cfg;
    char head[600];
    snprintf(head, sizeof head, "processname:%s groupname:%s from_state:%s", c->name, c->group,
             pstate_name(old));
    int type = state_type[p->state];
    /* supervisord's pid: the exited one for EXITED and for STOPPED after
     * STOPPING (it clears its pid after the event); else the current one */
    int pid = p->state == PS_EXITED || (p->state == PS_STOPPED && old == PS_STOPPING)
                  ? (int)p->last_pid : (int)p->pid;
    switch (p->state) {
    case PS_STARTING:
    case PS_BACKOFF:
        emitf(ev, type, "%s tries:%u", head, p->failed_starts);
        break;
    case PS_EXITED: {
        int st = p->exit_status;
        bool expected = st >= 0 && WIFEXITED(st) && conf_exitcode_expected(c, WEXITSTATUS(st));
        emitf(ev, type, "%s expected:%d pid:%d", head, expected, pid);
        break;
    }
    case PS_FATAL:
        emitf(ev, type, "%s", head);
        break;
    default:
        emitf(ev, type, "%s pid:%d", head, pid);
        break;
    }
}

static void on_proc(void *arg, struct process *p, enum proc_event what, enum pstate old)
{
    struct events *ev = arg;
    if (what == PROC_EV_REMOVED) {
        remove_listener(ev, p);
        return;
    }
    if (p->state == old)
        return;             /* a new pid or STATUS= text: no event in supervisord */
    struct listener *l = p->cfg->listener ? find_listener(ev, p) : NULL;
    if (l && (p->state == PS_STARTING || !proc_alive(p))) {
        /* a new run speaks the protocol from its start; the event a dead
         * one was busy with goes to another (or to it, once back) */
        requeue(ev, l);
        l->state = L_ACKNOWLEDGED;
        l->rlen = 0;
        l->resultlen = -1;
    }
    state_event(ev, p, old);
    if (l && p->state == PS_RUNNING && pool_of(ev, p))
        dispatch(ev, pool_of(ev, p));
    else if (l && !proc_alive(p) && pool_of(ev, p))
        dispatch(ev, pool_of(ev, p)); /* its requeued event, to a sibling */
}

/* ---- ticks ---- */

static void arm_tick(struct events *ev, int k)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int per = tick_period[k];
    time_t next = (ts.tv_sec / per + 1) * per;
    ev->tick_when[k] = next;
    uint64_t ms = (uint64_t)(next - ts.tv_sec) * 1000 - (uint64_t)(ts.tv_nsec / 1000000);
    timer_arm(ev->host->loop, &ev->ticks[k], ms);
}

static void on_tick(struct loop *lp, struct timer *t)
{
    struct events *ev = t->arg;
    (void)lp;
    int k = (int)(t - ev->ticks);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec < ev->tick_when[k]) {     /* woke a little early: not yet */
        uint64_t ms = (uint64_t)(ev->tick_when[k] - ts.tv_sec) * 1000 -
                      (uint64_t)(ts.tv_nsec / 1000000);
        timer_arm(ev->host->loop, t, ms ? ms : 1);
        return;
    }
    time_t when = ts.tv_sec / tick_period[k] * tick_period[k];
    emitf(ev, EV_TICK_5 + k, "when:%lld", (long long)when);
    arm_tick(ev, k);
}

/* Tick timers only while some pool wants them. */
static void update_ticks(struct events *ev)
{
    for (int k = 0; k < 3; k++) {
        bool want = false;
        for (size_t i = 0; i < ev->npools && !want; i++)
            want = subscribed(ev->pools[i].mask, EV_TICK_5 + k);
        if (want && !timer_armed(&ev->ticks[k]))
            arm_tick(ev, k);
        else if (!want)
            timer_disarm(ev->host->loop, &ev->ticks[k]);
    }
}

/* ---- the table ---- */

struct events *events_new(struct proc_host *h, const char *identifier)
{
    struct events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->host = h;
    ev->identifier = strdup(identifier ? identifier : "supervisor");
    if (!ev->identifier) {
        free(ev);
        return NULL;
    }
    for (int k = 0; k < 3; k++)
        timer_init(&ev->ticks[k], on_tick, ev);
    proc_observe(h, on_proc, ev);
    h->on_output = on_output;
    h->on_log = on_log;
    h->on_comm = on_comm;
    h->output_arg = ev;
    return ev;
}

static void pool_free(struct pool *pool)
{
    for (size_t i = 0; i < pool->n; i++)
        free(pool->buf[i].payload);
    free(pool->buf);
    free(pool->name);
}

void events_free(struct events *ev)
{
    if (!ev)
        return;
    for (int k = 0; k < 3; k++)
        timer_disarm(ev->host->loop, &ev->ticks[k]);
    proc_unobserve(ev->host, on_proc, ev);
    ev->host->on_output = NULL;
    ev->host->on_log = NULL;
    ev->host->on_comm = NULL;
    for (size_t i = 0; i < ev->nls; i++) {
        drop_event(ev->ls[i]);
        free(ev->ls[i]);
    }
    free(ev->ls);
    for (size_t i = 0; i < ev->npools; i++)
        pool_free(&ev->pools[i]);
    free(ev->pools);
    for (size_t i = 0; i < ev->ngroups; i++)
        free(ev->groups[i]);
    free(ev->groups);
    free(ev->identifier);
    free(ev);
}

static uint32_t mask_of(const struct process_config *c)
{
    uint32_t m = 0;
    for (char **e = c->events; e && *e; e++)
        for (int t = 0; t < EV_NTYPES; t++)
            if (!strcmp(*e, conf_event_types[t]))
                m |= 1u << t;
    return m;
}

/* Pools for the listeners of V: kept (settings updated), made, dropped. */
static void sync_pools(struct events *ev, struct process **v, size_t n)
{
    for (size_t i = 0; i < ev->npools; i++)
        ev->pools[i].used = false;
    for (size_t i = 0; i < n; i++) {
        /* a listener a reload changed runs with next_cfg once restarted */
        const struct process_config *c = v[i]->next_cfg ? v[i]->next_cfg : v[i]->cfg;
        if (!c->listener)
            continue;
        struct pool *pool = find_pool(ev, c->program);
        if (!pool) {
            struct pool *np = realloc(ev->pools, (ev->npools + 1) * sizeof *np);
            char *name = strdup(c->program);
            struct event *buf = calloc((size_t)c->buffer_size, sizeof *buf);
            if (!np || !name || !buf) {
                if (np)
                    ev->pools = np;
                free(name);
                free(buf);
                log_error("out of memory: no event pool for %s", c->program);
                continue;
            }
            ev->pools = np;
            pool = &ev->pools[ev->npools++];
            *pool = (struct pool){.name = name, .buf = buf, .buffer_size = c->buffer_size};
        } else if (c->buffer_size != pool->buffer_size) {
            while (pool->n > (size_t)c->buffer_size) {
                log_error("pool %s event buffer overflowed, discarding event %" PRIu64,
                          pool->name, pool->buf[0].serial);
                free(pool->buf[0].payload);
                memmove(pool->buf, pool->buf + 1, (pool->n - 1) * sizeof *pool->buf);
                pool->n--;
            }
            struct event *nb = realloc(pool->buf, (size_t)c->buffer_size * sizeof *nb);
            if (nb) {
                pool->buf = nb;
                pool->buffer_size = c->buffer_size;
            }
        }
        pool->mask = mask_of(c);
        pool->used = true;
        if (!find_listener(ev, v[i]) && add_listener(ev, v[i]) < 0)
            log_error("out of memory: %s gets no events", c->fullname);
    }
    for (size_t i = ev->npools; i-- > 0;) {
        if (ev->pools[i].used)
            continue;
        pool_free(&ev->pools[i]);
        memmove(ev->pools + i, ev->pools + i + 1, (ev->npools - i - 1) * sizeof *ev->pools);
        ev->npools--;
    }
    update_ticks(ev);
}

static bool in_groups(char **g, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(g[i], name))
            return true;
    return false;
}

void events_sync(struct events *ev, struct process **v, size_t n, const char *identifier)
{
    if (identifier && strcmp(identifier, ev->identifier)) {
        char *id = strdup(identifier);
        if (id) {
            free(ev->identifier);
            ev->identifier = id;
        }
    }
    sync_pools(ev, v, n);
    /* the groups of the new table, in its (start) order */
    char **ng = calloc(n ? n : 1, sizeof *ng);
    size_t nng = 0;
    if (!ng) {
        log_error("out of memory: no group events");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *g = v[i]->cfg->group;
        if (in_groups(ng, nng, g))
            continue;
        if (!(ng[nng] = strdup(g)))
            break;
        nng++;
    }
    for (size_t i = 0; i < ev->ngroups; i++)
        if (!in_groups(ng, nng, ev->groups[i]))
            emitf(ev, EV_GROUP_REMOVED, "groupname:%s\n", ev->groups[i]);
    for (size_t i = 0; i < nng; i++)
        if (!in_groups(ev->groups, ev->ngroups, ng[i]))
            emitf(ev, EV_GROUP_ADDED, "groupname:%s\n", ng[i]);
    for (size_t i = 0; i < ev->ngroups; i++)
        free(ev->groups[i]);
    free(ev->groups);
    ev->groups = ng;
    ev->ngroups = nng;
    if (!ev->started) {     /* after the groups, as supervisord's code does */
        ev->started = true;
        emit(ev, EV_SUP_RUNNING, "", 0);
    }
}

void events_stopping(struct events *ev)
{
    if (ev)
        emit(ev, EV_SUP_STOPPING, "", 0);
}

void events_remote(struct events *ev, const char *type, const char *data)
{
    if (!ev)
        return;
    size_t tl = strlen(type), dl = strlen(data);
    char *buf = malloc(tl + dl + 7);
    if (!buf) {
        log_error("out of memory: REMOTE_COMMUNICATION event dropped");
        return;
    }
    memcpy(buf, "type:", 5);
    memcpy(buf + 5, type, tl);
    buf[5 + tl] = '\n';
    memcpy(buf + 6 + tl, data, dl);
    emit(ev, EV_REMOTE, buf, tl + dl + 6);
    free(buf);
}
