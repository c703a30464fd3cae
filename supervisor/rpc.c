/* rpc.c - supervisord's XML-RPC methods on top of proc (see rpc.h).
 *
 * A request becomes a call (struct rcall). A method either answers at once
 * (a value or a fault) or leaves targets: processes to watch until a start
 * or stop is over. The proc observer records each target's outcome as its
 * state changes; calls whose targets are all done are answered after the
 * outermost rpc activity returns (rpc_leave), never from inside a proc call,
 * so that answering (which may start the next call of a system.multicall)
 * cannot re-enter proc. system.multicall runs its calls one after the other;
 * one that waits holds the rest back, as supervisord does.
 */
#include "rpc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "capture.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "proc.h"
#include "supervisor.h"
#include "xmlrpc.h"

#define API_VERSION "3.0"
#define MAX_LOG_READ (1024 * 1024)

struct target {
    struct process *p;           /* NULL once it is removed */
    char *name, *group;          /* process and group names (for group results) */
    char *spec;                  /* "group:name" or "name", for fault texts */
    char *msg;                   /* a group result's fault text, when not CODE: spec */
    bool stop;                   /* waiting for a stop (else a start) */
    bool done;
    int code;                    /* RPC_SUCCESS or the fault */
    unsigned seq;                /* order of completion */
};

struct rcall {
    struct rpc *rpc;
    struct rcall *next, *prev;   /* rpc->waiting, while targets are pending */
    bool waiting;
    struct http_conn *conn;      /* the top call's connection */
    struct rcall *parent;        /* the multicall this call is part of */
    struct rcall *sub;           /* a multicall's call being waited for */
    struct xcall xc;             /* the decoded request (top call) */
    bool fault;
    int fcode;
    char fmsg[600];
    struct xbuf val;             /* the result value when not a fault */
    bool group_result;           /* answer: array of {name, group, status, description} */
    struct target *t;
    size_t nt, npending;
    unsigned seq;
    /* system.multicall */
    const struct xv *mc;         /* the array of calls */
    size_t mc_next;
};

/* GET /logtail/NAME[/CHANNEL] and /mainlogtail: follow a log file, as
 * supervisord's tail_f_producer does (the last 1 KiB first, then what is
 * appended; a rotated file is reopened, a truncated one said so). The file
 * is looked at every TAIL_POLL_MS while a client follows it (supervisord:
 * every 0.1 s); no client, no timer. */
#define TAIL_POLL_MS 200
#define TAIL_HEAD 1024
#define TAIL_CHUNK 65536
struct tailer {
    struct rpc *rpc;
    struct tailer *next, *prev;
    struct http_conn *conn;
    char *path;
    int fd;
    ino_t ino;
    dev_t dev;
    off_t pos;
    struct timer t;
};

struct rpc {
    struct supervisor *sv;
    struct http_server *http;
    struct tailer *tailers;
    struct rcall *waiting;
    int depth;                   /* inside rpc code (re-entry from proc) */
    bool dirty;                  /* some target finished: look at the waiting calls */
};

typedef void (*method_fn)(struct rcall *c, const struct xv *a, size_t n);
struct method {
    const char *name;
    method_fn fn;
    unsigned min, max;
    const char *sig;             /* system.methodSignature: return type, then params */
    const char *help;            /* system.methodHelp */
};

static const struct method *find_method(const char *name);
static void run_call(struct rcall *c, const char *method, const struct xv *a, size_t n);
static void complete(struct rcall *c);

const char *rpc_fault_name(int code)
{
    static const struct { int code; const char *name; } names[] = {
        {1, "UNKNOWN_METHOD"}, {2, "INCORRECT_PARAMETERS"}, {3, "BAD_ARGUMENTS"},
        {4, "SIGNATURE_UNSUPPORTED"}, {6, "SHUTDOWN_STATE"}, {10, "BAD_NAME"},
        {11, "BAD_SIGNAL"}, {20, "NO_FILE"}, {21, "NOT_EXECUTABLE"}, {30, "FAILED"},
        {40, "ABNORMAL_TERMINATION"}, {50, "SPAWN_ERROR"}, {60, "ALREADY_STARTED"},
        {70, "NOT_RUNNING"}, {80, "SUCCESS"}, {90, "ALREADY_ADDED"}, {91, "STILL_RUNNING"},
        {92, "CANT_REREAD"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == code)
            return names[i].name;
    return "UNKNOWN";
}

/* A fault as supervisord words it: "NAME" or "NAME: extra". */
static void fault(struct rcall *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fault(struct rcall *c, int code, const char *fmt, ...)
{
    c->fault = true;
    c->fcode = code;
    int n = snprintf(c->fmsg, sizeof c->fmsg, "%s", rpc_fault_name(code));
    if (fmt && n > 0 && (size_t)n < sizeof c->fmsg - 2) {
        char extra[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(extra, sizeof extra, fmt, ap);
        va_end(ap);
        if (extra[0])
            snprintf(c->fmsg + n, sizeof c->fmsg - (size_t)n, ": %s", extra);
    }
}

static void target_text(const struct target *t, char *buf, size_t len)
{
    if (t->code == RPC_SUCCESS)
        snprintf(buf, len, "OK");
    else if (t->msg)
        snprintf(buf, len, "%s", t->msg);
    else
        snprintf(buf, len, "%s: %s", rpc_fault_name(t->code), t->spec);
}

static void rpc_scan(struct rpc *r);

static void rpc_enter(struct rpc *r)
{
    r->depth++;
}

static void rpc_leave(struct rpc *r)
{
    if (r->depth == 1) {
        while (r->dirty) {
            r->dirty = false;
            rpc_scan(r);
        }
    }
    r->depth--;
}

/* ---- names: supervisord's namespecs ---- */

static bool proc_in_group(const struct process *p, const char *group)
{
    return !p->removed && !strcmp(p->cfg->group, group);
}

static bool group_exists(struct supervisor *sv, const char *group)
{
    for (size_t i = 0; i < sv->nprocs; i++)
        if (proc_in_group(sv->procs[i], group))
            return true;
    return false;
}

/* Resolve NAME like supervisord's _getGroupAndProcess: "g:p", "g:*" (the
 * group: *proc NULL), or "p" (meaning group p, process p). Returns 0 with
 * *group set (pointing into NAME's copy in GBUF), or -1 after a BAD_NAME. */
static int lookup(struct rcall *c, const char *name, char *gbuf, size_t glen,
                  struct process **proc)
{
    struct supervisor *sv = c->rpc->sv;
    const char *colon = strchr(name, ':');
    const char *pname;
    if (colon) {
        size_t gl = (size_t)(colon - name);
        if (gl >= glen)
            gl = glen - 1;
        memcpy(gbuf, name, gl);
        gbuf[gl] = '\0';
        pname = colon + 1;
        if (!strcmp(pname, "*") || !*pname)
            pname = NULL;
    } else {
        snprintf(gbuf, glen, "%s", name);
        pname = name;
    }
    *proc = NULL;
    if (!group_exists(sv, gbuf)) {
        fault(c, RPC_BAD_NAME, "%s", name);
        return -1;
    }
    if (!pname)
        return 0;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (proc_in_group(p, gbuf) && !strcmp(p->cfg->name, pname)) {
            *proc = p;
            return 0;
        }
    }
    fault(c, RPC_BAD_NAME, "%s", name);
    return -1;
}

/* supervisord's make_namespec is conf's fullname ("g:name", or "x" when
 * group and name agree): the one name tendctl, the FIFO and XML-RPC share. */
static void namespec(const struct process *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s", p->cfg->fullname);
}

/* ---- parameters ---- */

static bool want_string(struct rcall *c, const struct xv *v, const char **out)
{
    if (v->type != XV_STRING) {
        fault(c, RPC_INCORRECT_PARAMETERS, NULL);
        return false;
    }
    *out = v->s;
    return true;
}

static bool want_bool(struct rcall *c, const struct xv *a, size_t n, size_t i, bool dflt,
                      bool *out)
{
    *out = dflt;
    if (i >= n)
        return true;
    if (a[i].type != XV_BOOL && a[i].type != XV_INT) {
        fault(c, RPC_INCORRECT_PARAMETERS, NULL);
        return false;
    }
    *out = a[i].i != 0;
    return true;
}

/* An int, or a string of one (supervisord calls int() on them). */
static bool want_int(struct rcall *c, const struct xv *v, long long *out)
{
    if (v->type == XV_INT) {
        *out = v->i;
        return true;
    }
    if (v->type == XV_STRING && v->s[0]) {
        char *end;
        errno = 0;
        long long x = strtoll(v->s, &end, 10);
        if (!*end && !errno) {
            *out = x;
            return true;
        }
    }
    fault(c, RPC_INCORRECT_PARAMETERS, NULL);
    return false;
}

/* ---- results ---- */

static void add_target(struct rcall *c, struct process *p, bool stop)
{
    struct target *nt = realloc(c->t, (c->nt + 1) * sizeof *c->t);
    if (!nt) {
        c->val.oom = true;
        return;
    }
    c->t = nt;
    char spec[512];
    namespec(p, spec, sizeof spec);
    struct target *t = &c->t[c->nt];
    *t = (struct target){.p = p, .stop = stop, .name = strdup(p->cfg->name),
                         .group = strdup(p->cfg->group), .spec = strdup(spec)};
    if (!t->name || !t->group || !t->spec) {
        free(t->name);
        free(t->group);
        free(t->spec);
        c->val.oom = true;
        return;
    }
    c->nt++;
    c->npending++;
}

static void target_done(struct rcall *c, struct target *t, int code)
{
    if (t->done)
        return;
    t->done = true;
    t->code = code;
    t->seq = ++c->seq;
    c->npending--;
    c->rpc->dirty = true;
}

/* Judge T from its process's state now. */
static void target_eval(struct rcall *c, struct target *t)
{
    if (t->done)
        return;
    struct process *p = t->p;
    if (!p) {
        target_done(c, t, t->stop ? RPC_SUCCESS : RPC_ABNORMAL_TERMINATION);
        return;
    }
    if (t->stop) {
        if (p->state == PS_STOPPED || p->state == PS_EXITED || p->state == PS_FATAL)
            target_done(c, t, RPC_SUCCESS);
        return;
    }
    switch (p->state) {
    case PS_RUNNING:
        target_done(c, t, RPC_SUCCESS);
        break;
    case PS_STARTING:
        break;
    case PS_BACKOFF:
    case PS_FATAL:
        target_done(c, t, RPC_SPAWN_ERROR);
        break;
    case PS_STOPPED:
        if (p->pending_start && !p->host->shutting_down)
            break;              /* waiting for its dependencies */
        /* fall through */
    default:
        target_done(c, t, RPC_ABNORMAL_TERMINATION);
        break;
    }
}

static int target_cmp(const void *a, const void *b)
{
    const struct target *x = *(struct target *const *)a, *y = *(struct target *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* All targets are done: encode the answer. */
static void finish_targets(struct rcall *c)
{
    if (!c->group_result) {
        struct target *t = &c->t[0];
        if (t->code == RPC_SUCCESS)
            xe_bool(&c->val, true);
        else
            fault(c, t->code, "%s", t->spec);
        return;
    }
    /* in the order they finished, as supervisord's make_allfunc lists them */
    struct target **order = malloc((c->nt ? c->nt : 1) * sizeof *order);
    if (!order) {
        c->val.oom = true;
        return;
    }
    for (size_t i = 0; i < c->nt; i++)
        order[i] = &c->t[i];
    qsort(order, c->nt, sizeof *order, target_cmp);
    xe_array_begin(&c->val);
    for (size_t i = 0; i < c->nt; i++) {
        struct target *t = order[i];
        char text[600];
        target_text(t, text, sizeof text);
        xe_struct_begin(&c->val);
        xe_member(&c->val, "name");
        xe_string(&c->val, t->name);
        xe_member_end(&c->val);
        xe_member(&c->val, "group");
        xe_string(&c->val, t->group);
        xe_member_end(&c->val);
        xe_member(&c->val, "status");
        xe_int(&c->val, t->code);
        xe_member_end(&c->val);
        xe_member(&c->val, "description");
        xe_string(&c->val, text);
        xe_member_end(&c->val);
        xe_struct_end(&c->val);
    }
    xe_array_end(&c->val);
    free(order);
}

static void call_free(struct rcall *c)
{
    if (!c)
        return;
    if (c->waiting) {
        if (c->prev)
            c->prev->next = c->next;
        else
            c->rpc->waiting = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->waiting = false;
    }
    call_free(c->sub);
    for (size_t i = 0; i < c->nt; i++) {
        free(c->t[i].name);
        free(c->t[i].group);
        free(c->t[i].spec);
        free(c->t[i].msg);
    }
    free(c->t);
    xb_free(&c->val);
    xcall_free(&c->xc);
    free(c);
}

static void wait_for(struct rcall *c)
{
    struct rpc *r = c->rpc;
    c->waiting = true;
    c->prev = NULL;
    c->next = r->waiting;
    if (r->waiting)
        r->waiting->prev = c;
    r->waiting = c;
}

/* The conn went away: drop the call and whatever it waits for. */
static void cancel_call(void *arg)
{
    struct rcall *c = arg;
    c->conn = NULL;
    call_free(c);
}

/* Answer the calls whose targets are all done. */
static void rpc_scan(struct rpc *r)
{
    bool again = true;
    while (again) {
        again = false;
        for (struct rcall *c = r->waiting; c; c = c->next) {
            for (size_t i = 0; i < c->nt; i++)
                target_eval(c, &c->t[i]);
            if (c->npending == 0) {
                /* unlink, then answer (which may add calls: start over) */
                if (c->prev)
                    c->prev->next = c->next;
                else
                    r->waiting = c->next;
                if (c->next)
                    c->next->prev = c->prev;
                c->waiting = false;
                finish_targets(c);
                complete(c);
                again = true;
                break;
            }
        }
    }
}

static void observer(void *arg, struct process *p, enum proc_event ev, enum pstate old)
{
    struct rpc *r = arg;
    for (struct rcall *c = r->waiting; c; c = c->next)
        for (size_t i = 0; i < c->nt; i++) {
            struct target *t = &c->t[i];
            if (t->p != p || t->done)
                continue;
            if (ev == PROC_EV_REMOVED)
                t->p = NULL;
            target_eval(c, t);
        }
    if (r->dirty && r->depth == 0) {
        rpc_enter(r);
        rpc_leave(r);
    }
}

/* ---- multicall ---- */

static void mc_step(struct rcall *c);

/* A call is answered: to its client, or into its multicall. */
static void complete(struct rcall *c)
{
    if (c->parent) {
        struct rcall *m = c->parent;
        m->sub = NULL;
        if (c->val.oom)
            fault(c, RPC_FAILED, "out of memory");
        if (c->fault)
            xe_fault_value(&m->val, c->fcode, c->fmsg);
        else
            xb_add(&m->val, c->val.p ? c->val.p : "", c->val.len);
        c->parent = NULL;
        call_free(c);
        mc_step(m);
        return;
    }
    struct xbuf doc = {0};
    if (c->val.oom) {
        c->fault = false;
        fault(c, RPC_FAILED, "out of memory");
    }
    if (!c->fault && c->conn) {
        /* the value goes into the answer in one copy */
        static const char head[] = XMLRPC_RESPONSE_HEAD, tail[] = XMLRPC_RESPONSE_TAIL;
        struct http_conn *conn = c->conn;
        struct xbuf val = c->val;
        c->conn = NULL;
        c->val = (struct xbuf){0};
        call_free(c);
        struct iovec v[3] = {{(void *)head, sizeof head - 1},
                             {val.p ? val.p : (char *)"", val.len},
                             {(void *)tail, sizeof tail - 1}};
        http_reply_parts(conn, 200, "text/xml", v, 3);
        xb_free(&val);
        return;
    }
    xb_reserve(&doc, c->val.len + 256);
    if (c->fault)
        xmlrpc_fault(&doc, c->fcode, c->fmsg);
    else
        xmlrpc_response(&doc, c->val.p ? c->val.p : "", c->val.len);
    struct http_conn *conn = c->conn;
    c->conn = NULL;
    call_free(c);
    if (!conn) {
        xb_free(&doc);
        return;
    }
    if (doc.oom) {
        xb_free(&doc);
        http_reply(conn, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    http_reply(conn, 200, "text/xml", doc.p, doc.len); /* copied: doc's room is kept */
    xb_free(&doc);
}

/* Run the next calls of multicall M until one waits or all are done. */
static void mc_step(struct rcall *m)
{
    while (m->mc_next < m->mc->n) {
        const struct xv *item = &m->mc->items[m->mc_next++];
        struct rcall *c = calloc(1, sizeof *c);
        if (!c) {
            xe_fault_value(&m->val, RPC_FAILED, "FAILED: out of memory");
            continue;
        }
        c->rpc = m->rpc;
        const struct xv *name = xv_member(item, "methodName");
        const struct xv *params = xv_member(item, "params");
        if (!name || name->type != XV_STRING || (params && params->type != XV_ARRAY)) {
            fault(c, RPC_INCORRECT_PARAMETERS, NULL);
        } else if (!strcmp(name->s, "system.multicall")) {
            fault(c, RPC_INCORRECT_PARAMETERS, "Recursive system.multicall forbidden");
        } else {
            c->parent = m;
            m->sub = c;
            run_call(c, name->s, params ? params->items : NULL, params ? params->n : 0);
            if (c->npending > 0) {
                wait_for(c);
                return;         /* complete() continues us */
            }
            m->sub = NULL;
            c->parent = NULL;
        }
        if (c->fault)
            xe_fault_value(&m->val, c->fcode, c->fmsg);
        else
            xb_add(&m->val, c->val.p ? c->val.p : "", c->val.len);
        call_free(c);
    }
    xe_array_end(&m->val);
    complete(m);
}

static void m_multicall(struct rcall *c, const struct xv *a, size_t n)
{
    if (a[0].type != XV_ARRAY) {
        fault(c, RPC_INCORRECT_PARAMETERS, NULL);
        return;
    }
    c->mc = &a[0];
    c->mc_next = 0;
    xe_array_begin(&c->val);
    c->npending = 1;            /* answered by mc_step through complete() */
}

/* ---- supervisor.* ---- */

static void m_api_version(struct rcall *c, const struct xv *a, size_t n)
{
    xe_string(&c->val, API_VERSION);
}

static void m_supervisor_version(struct rcall *c, const struct xv *a, size_t n)
{
    xe_string(&c->val, TEND_VERSION);
}

static void m_identification(struct rcall *c, const struct xv *a, size_t n)
{
    const char *id = c->rpc->sv->cfg->identifier;   /* [supervisor] identifier */
    xe_string(&c->val, id && *id ? id : "supervisor");
}

static void m_state(struct rcall *c, const struct xv *a, size_t n)
{
    xe_struct_begin(&c->val);
    xe_member(&c->val, "statecode");
    xe_int(&c->val, 1);
    xe_member_end(&c->val);
    xe_member(&c->val, "statename");
    xe_string(&c->val, "RUNNING");
    xe_member_end(&c->val);
    xe_struct_end(&c->val);
}

static void m_pid(struct rcall *c, const struct xv *a, size_t n)
{
    xe_int(&c->val, getpid());
}

static void m_shutdown(struct rcall *c, const struct xv *a, size_t n)
{
    log_info("shutdown requested over XML-RPC");
    supervisor_shutdown(c->rpc->sv, 0, "shutdown requested over XML-RPC");
    xe_bool(&c->val, true);
}

static int state_code(enum pstate s)
{
    static const int codes[PS_COUNT] = {
        [PS_STOPPED] = 0, [PS_STARTING] = 10, [PS_RUNNING] = 20, [PS_BACKOFF] = 30,
        [PS_STOPPING] = 40, [PS_EXITED] = 100, [PS_FATAL] = 200,
    };
    return (unsigned)s < PS_COUNT ? codes[s] : 1000;
}

static const char *log_path(const struct log_target *t)
{
    switch (t->kind) {
    case LOG_FILE: return t->path ? t->path : "";
    case LOG_STDOUT: return "/dev/stdout";
    case LOG_STDERR: return "/dev/stderr";
    default: return "";
    }
}

static const char *stderr_path(const struct process *p)
{
    return p->cfg->redirect_stderr ? "" : log_path(&p->cfg->stderr_log);
}

static long long wall_of(uint64_t mono_ms, time_t now, uint64_t mono_now)
{
    if (!mono_ms)
        return 0;
    return (long long)now - (long long)((mono_now - mono_ms) / 1000);
}

static void put_str_member(struct xbuf *b, const char *k, const char *v)
{
    xe_member(b, k);
    xe_string(b, v);
    xe_member_end(b);
}

static void put_int_member(struct xbuf *b, const char *k, long long v)
{
    xe_member(b, k);
    xe_int(b, v);
    xe_member_end(b);
}

static void process_info(struct xbuf *b, const struct process *p)
{
    time_t now = time(NULL);
    uint64_t mnow = loop_now();
    long long start = wall_of(p->started_at, now, mnow);
    bool down = p->state == PS_STOPPED || p->state == PS_EXITED || p->state == PS_FATAL ||
                p->state == PS_BACKOFF;
    long long stop = down && p->started_at ? (long long)p->since : 0;
    char spawnerr[256] = "", desc[320] = "";
    if (p->state == PS_BACKOFF || p->state == PS_FATAL)
        proc_describe(p, spawnerr, sizeof spawnerr);
    int exitstatus = 0;
    if (p->exit_status >= 0)
        exitstatus = WIFEXITED(p->exit_status) ? WEXITSTATUS(p->exit_status) : -1;
    proc_describe_supervisord(p, desc, sizeof desc);
    xe_struct_begin(b);
    put_str_member(b, "name", p->cfg->name);
    put_str_member(b, "group", p->cfg->group);
    put_str_member(b, "description", desc);
    put_int_member(b, "start", start);
    put_int_member(b, "stop", stop);
    put_int_member(b, "now", (long long)now);
    put_int_member(b, "state", state_code(p->state));
    put_str_member(b, "statename", pstate_name(p->state));
    put_str_member(b, "spawnerr", spawnerr);
    put_int_member(b, "exitstatus", exitstatus);
    put_str_member(b, "logfile", log_path(&p->cfg->stdout_log));
    put_str_member(b, "stdout_logfile", log_path(&p->cfg->stdout_log));
    put_str_member(b, "stderr_logfile", stderr_path(p));
    put_int_member(b, "pid", p->pid);
    xe_struct_end(b);
}

static void m_process_info(struct rcall *c, const struct xv *a, size_t n)
{
    const char *name;
    char g[256];
    struct process *p;
    if (!want_string(c, &a[0], &name) || lookup(c, name, g, sizeof g, &p) < 0)
        return;
    if (!p) {
        fault(c, RPC_BAD_NAME, "%s", name);
        return;
    }
    process_info(&c->val, p);
}

static int lexical_cmp(const void *a, const void *b)
{
    const struct process *p = *(struct process *const *)a, *q = *(struct process *const *)b;
    int r = strcmp(p->cfg->group, q->cfg->group);
    return r ? r : strcmp(p->cfg->name, q->cfg->name);
}

static void m_all_process_info(struct rcall *c, const struct xv *a, size_t n)
{
    struct supervisor *sv = c->rpc->sv;
    struct process **v = malloc((sv->nprocs ? sv->nprocs : 1) * sizeof *v);
    if (!v) {
        c->val.oom = true;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < sv->nprocs; i++)
        if (!sv->procs[i]->removed)
            v[k++] = sv->procs[i];
    qsort(v, k, sizeof *v, lexical_cmp);
    xb_reserve(&c->val, 64 + k * 1200); /* about what one process takes */
    xe_array_begin(&c->val);
    for (size_t i = 0; i < k; i++)
        process_info(&c->val, v[i]);
    xe_array_end(&c->val);
    free(v);
}

static void put_bool_member(struct xbuf *b, const char *k, bool v)
{
    xe_member(b, k);
    xe_bool(b, v);
    xe_member_end(b);
}

static int config_name_cmp(const void *a, const void *b)
{
    const struct process_config *p = *(struct process_config *const *)a;
    const struct process_config *q = *(struct process_config *const *)b;
    return strcmp(p->name, q->name);
}

/* supervisord's getAllConfigInfo: every process of the configuration last
 * read (reloadConfig's, else the one in use); inuse when its group runs. */
static void m_all_config_info(struct rcall *c, const struct xv *a, size_t n)
{
    const struct tend_config *cfg = supervisor_group_configs(c->rpc->sv);
    const struct process_config **v = malloc((cfg->nprocs ? cfg->nprocs : 1) * sizeof *v);
    if (!v) {
        c->val.oom = true;
        return;
    }
    for (size_t i = 0; i < cfg->nprocs; i++)
        v[i] = &cfg->procs[i];
    qsort(v, cfg->nprocs, sizeof *v, config_name_cmp);
    struct xbuf *b = &c->val;
    xe_array_begin(b);
    for (size_t i = 0; i < cfg->nprocs; i++) {
        const struct process_config *p = v[i];
        xe_struct_begin(b);
        put_bool_member(b, "autostart", p->autostart);
        put_str_member(b, "directory", p->directory ? p->directory : "none");
        xe_member(b, "uid");
        if (p->user && p->uid != (uid_t)-1)
            xe_int(b, (long long)p->uid);
        else
            xe_string(b, "none");
        xe_member_end(b);
        put_str_member(b, "command", p->command);
        xe_member(b, "exitcodes");
        xe_array_begin(b);
        for (int code = 0; code < 256; code++)
            if (conf_exitcode_expected(p, code))
                xe_int(b, code);
        xe_array_end(b);
        xe_member_end(b);
        put_str_member(b, "group", p->group);
        put_int_member(b, "group_prio", p->order);
        put_bool_member(b, "inuse", supervisor_group_active(c->rpc->sv, p->group));
        put_bool_member(b, "killasgroup", p->killasgroup);
        put_str_member(b, "name", p->name);
        put_int_member(b, "process_prio", p->priority);
        put_bool_member(b, "redirect_stderr", p->redirect_stderr);
        put_int_member(b, "startretries", p->startretries);
        put_int_member(b, "startsecs", p->startsecs);
        static const char *const ch[2] = {"stdout", "stderr"};
        for (int k = 0; k < 2; k++) {
            const struct log_target *t = k ? &p->stderr_log : &p->stdout_log;
            char key[64];
            snprintf(key, sizeof key, "%s_capture_maxbytes", ch[k]);
            put_int_member(b, key, (long long)t->capture_maxbytes);
            snprintf(key, sizeof key, "%s_events_enabled", ch[k]);
            put_bool_member(b, key, t->events);
            snprintf(key, sizeof key, "%s_logfile", ch[k]);
            const char *path = k && p->redirect_stderr ? "" : log_path(t);
            put_str_member(b, key, *path ? path : "none");
            snprintf(key, sizeof key, "%s_logfile_backups", ch[k]);
            put_int_member(b, key, t->backups);
            snprintf(key, sizeof key, "%s_logfile_maxbytes", ch[k]);
            put_int_member(b, key, (long long)t->maxbytes);
            snprintf(key, sizeof key, "%s_syslog", ch[k]);
            put_bool_member(b, key, t->syslog);
        }
        put_int_member(b, "stopsignal", p->stopsignal);
        put_int_member(b, "stopwaitsecs", p->stopwaitsecs);
        put_str_member(b, "serverurl", "auto");
        xe_struct_end(b);
    }
    xe_array_end(b);
    free(v);
}

/* ---- reread, add, remove ---- */

/* D's errors on one line, "file:line: msg; ..." (CANT_REREAD's text); its
 * warnings go to tend's log. */
static void diag_text(const struct conf_diags *d, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n; i++) {
        const struct conf_diag *g = &d->v[i];
        char where[300] = "";
        if (g->file && g->line)
            snprintf(where, sizeof where, "%s:%d: ", g->file, g->line);
        else if (g->file)
            snprintf(where, sizeof where, "%s: ", g->file);
        if (g->severity == CONF_WARNING) {
            log_warn("reread: %s%s", where, g->msg);
            continue;
        }
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%s%s", used ? "; " : "",
                                     where, g->msg);
    }
}

/* reloadConfig: read the file again, apply nothing; [[added, changed,
 * removed]] by group name, as supervisord's diff_to_active. */
static void m_reload_config(struct rcall *c, const struct xv *a, size_t n)
{
    struct supervisor *sv = c->rpc->sv;
    struct conf_diags d = {0};
    char text[480];
    int rc = supervisor_reread(sv, &d);
    diag_text(&d, text, sizeof text);
    conf_diags_free(&d);
    if (rc < 0) {
        log_error("reread failed: %s", text);
        fault(c, RPC_CANT_REREAD, "%s", text);
        return;
    }
    const struct tend_config *nc = supervisor_group_configs(sv);
    struct xbuf *b = &c->val;
    xe_array_begin(b);
    xe_array_begin(b);
    for (int kind = GROUP_ADDED; kind <= GROUP_REMOVED; kind++) {
        xe_array_begin(b);
        /* each group once, in config order (the running table's for removed) */
        size_t m = kind == GROUP_REMOVED ? sv->nprocs : nc->nprocs;
        for (size_t i = 0; i < m; i++) {
            const char *g = kind == GROUP_REMOVED ? sv->procs[i]->cfg->group : nc->procs[i].group;
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(g, kind == GROUP_REMOVED ? sv->procs[j]->cfg->group
                                                        : nc->procs[j].group);
            if (!seen && supervisor_group_diff(sv, g) == (enum group_diff)kind)
                xe_string(b, g);
        }
        xe_array_end(b);
    }
    xe_array_end(b);
    xe_array_end(b);
    log_info("reread %s over XML-RPC", sv->config_path);
}

/* restart: supervisord restarts itself and so every program, with the
 * config read again; tend does the same to every program but the main one
 * (supervisor_restart) and answers at once, as supervisord does. A config
 * error is CANT_REREAD and changes nothing. */
static void m_restart(struct rcall *c, const struct xv *a, size_t n)
{
    struct supervisor *sv = c->rpc->sv;
    struct conf_diags d = {0};
    char text[480];
    log_info("restart requested over XML-RPC");
    rpc_enter(c->rpc);
    int rc = supervisor_restart(sv, &d);
    rpc_leave(c->rpc);
    diag_text(&d, text, sizeof text);
    conf_diags_free(&d);
    if (rc < 0) {
        log_error("restart: %s", text);
        fault(c, RPC_CANT_REREAD, "%s", text);
        return;
    }
    xe_bool(&c->val, true);
}

/* addProcessGroup / removeProcessGroup: OP answers 0, 1 (BUSY: already
 * added, still running), -1 (no such group) or < -1 (out of memory). */
static void group_op(struct rcall *c, const struct xv *a,
                     int (*op)(struct supervisor *, const char *), int busy)
{
    const char *name;
    if (!want_string(c, &a[0], &name))
        return;
    rpc_enter(c->rpc);
    int rc = op(c->rpc->sv, name);
    rpc_leave(c->rpc);
    if (rc == 1)
        fault(c, busy, "%s", name);
    else if (rc == -1)
        fault(c, RPC_BAD_NAME, "%s", name);
    else if (rc < 0)
        fault(c, RPC_FAILED, "out of memory");
    else
        xe_bool(&c->val, true);
}

static void m_add_group(struct rcall *c, const struct xv *a, size_t n)
{
    group_op(c, a, supervisor_add_group, RPC_ALREADY_ADDED);
}

static void m_remove_group(struct rcall *c, const struct xv *a, size_t n)
{
    group_op(c, a, supervisor_remove_group, RPC_STILL_RUNNING);
}

/* supervisord checks the command before it spawns: NO_FILE, NOT_EXECUTABLE. */
static bool check_command(struct rcall *c, const struct process *p)
{
    const char *prog = p->cfg->argv && p->cfg->argv[0] ? p->cfg->argv[0] : "";
    struct stat st;
    if (strchr(prog, '/')) {
        if (stat(prog, &st) < 0) {
            fault(c, RPC_NO_FILE, "can't find command '%s'", prog);
            return false;
        }
    } else {
        const char *path = NULL;
        const struct env_list *e = &p->cfg->environment;
        for (size_t i = 0; i < e->n; i++)
            if (!strcmp(e->v[i].key, "PATH"))
                path = e->v[i].value;
        if (!path)
            path = getenv("PATH");
        if (!path)
            path = "/usr/local/bin:/usr/bin:/bin";
        bool found = false;
        char full[PATH_MAX];
        for (const char *s = path; !found;) {
            const char *colon = strchr(s, ':');
            size_t len = colon ? (size_t)(colon - s) : strlen(s);
            int w = snprintf(full, sizeof full, "%.*s%s%s", (int)len, s, len ? "/" : "", prog);
            if (w > 0 && (size_t)w < sizeof full && stat(full, &st) == 0)
                found = true;
            if (!colon)
                break;
            s = colon + 1;
        }
        if (!found) {
            fault(c, RPC_NO_FILE, "can't find command '%s'", prog);
            return false;
        }
        prog = full;
        if (S_ISDIR(st.st_mode)) {
            fault(c, RPC_NOT_EXECUTABLE, "command at '%s' is a directory", prog);
            return false;
        }
        if (access(prog, X_OK) < 0) {
            fault(c, RPC_NOT_EXECUTABLE, "command at '%s' is not executable", prog);
            return false;
        }
        return true;
    }
    if (S_ISDIR(st.st_mode)) {
        fault(c, RPC_NOT_EXECUTABLE, "command at '%s' is a directory", prog);
        return false;
    }
    if (access(prog, X_OK) < 0) {
        fault(c, RPC_NOT_EXECUTABLE, "command at '%s' is not executable", prog);
        return false;
    }
    return true;
}

static bool running_state(const struct process *p)
{
    return p->state == PS_RUNNING || p->state == PS_STARTING || p->state == PS_BACKOFF;
}

/* What a stop applies to: also a process that is down but about to start
 * (an automatic restart waiting out tend's crash delay, a start waiting for
 * its dependencies), which supervisord would have STARTING. */
static bool stoppable(const struct process *p)
{
    return running_state(p) || (!proc_alive(p) && proc_busy(p));
}

/* Start P for call C (one target). Faults for what fails at once. */
static void start_one(struct rcall *c, struct process *p, const char *spec, bool wait)
{
    if (!check_command(c, p))
        return;
    if (running_state(p)) {
        fault(c, RPC_ALREADY_STARTED, "%s", spec);
        return;
    }
    bool already = false;
    char err[256] = "";
    rpc_enter(c->rpc);
    int r = proc_start(p, &already, err, sizeof err);
    rpc_leave(c->rpc);
    if (r < 0) {
        fault(c, RPC_FAILED, "%s", err);
        return;
    }
    add_target(c, p, false);
    if (c->nt == 0)
        return;
    struct target *t = &c->t[c->nt - 1];
    free(t->spec);
    t->spec = strdup(spec);
    if (!t->spec)
        c->val.oom = true;
    target_eval(c, t);
    if (!wait && !t->done)
        target_done(c, t, RPC_SUCCESS);
}

static void stop_one(struct rcall *c, struct process *p, const char *spec, bool wait)
{
    if (!stoppable(p)) {
        fault(c, RPC_NOT_RUNNING, "%s", spec);
        return;
    }
    bool already = false;
    rpc_enter(c->rpc);
    proc_stop(p, &already);
    rpc_leave(c->rpc);
    add_target(c, p, true);
    if (c->nt == 0)
        return;
    struct target *t = &c->t[c->nt - 1];
    target_eval(c, t);
    if (!wait && !t->done)
        target_done(c, t, RPC_SUCCESS);
}

/* The group and "all" forms: every process of the group (GROUP NULL: all,
 * in start order) that PREDICATE accepts, each as its own start or stop. */
static void many(struct rcall *c, const char *group, bool stop, bool wait)
{
    struct supervisor *sv = c->rpc->sv;
    c->group_result = true;
    size_t np = sv->nprocs;
    struct process **v = malloc((np ? np : 1) * sizeof *v);
    if (!v) {
        c->val.oom = true;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        struct process *p = sv->procs[i];
        if (p->removed || (group && strcmp(p->cfg->group, group)))
            continue;
        if (stop ? stoppable(p) : !running_state(p))
            v[k++] = p;
    }
    for (size_t i = 0; i < k; i++) {
        struct process *p = v[i];
        struct rcall one = {.rpc = c->rpc};
        char spec[512];
        namespec(p, spec, sizeof spec);
        if (stop)
            stop_one(&one, p, spec, wait);
        else
            start_one(&one, p, spec, wait);
        if (one.fault || one.nt == 0) {
            add_target(c, p, stop);
            if (c->nt && c->t[c->nt - 1].p == p) {
                c->t[c->nt - 1].msg = strdup(one.fault ? one.fmsg : "FAILED");
                target_done(c, &c->t[c->nt - 1], one.fault ? one.fcode : RPC_FAILED);
            }
        } else {
            struct target *src = &one.t[0];
            struct target *nt = realloc(c->t, (c->nt + 1) * sizeof *c->t);
            if (!nt) {
                c->val.oom = true;
            } else {
                c->t = nt;
                c->t[c->nt] = *src;
                memset(src, 0, sizeof *src);
                c->npending += !c->t[c->nt].done;
                if (c->t[c->nt].done)
                    c->t[c->nt].seq = ++c->seq;
                c->nt++;
            }
        }
        for (size_t j = 0; j < one.nt; j++) {
            free(one.t[j].name);
            free(one.t[j].group);
            free(one.t[j].spec);
            free(one.t[j].msg);
        }
        free(one.t);
        xb_free(&one.val);
    }
    free(v);
    /* the dependencies may have finished some already; a p a call above
     * made us re-evaluate is judged now */
    for (size_t i = 0; i < c->nt; i++)
        target_eval(c, &c->t[i]);
}

/* startProcess / stopProcess (NAME, WAIT = true): one process, or
 * "group:*" as the group's calls. */
static void m_one(struct rcall *c, const struct xv *a, size_t n, bool stop)
{
    const char *name;
    bool wait;
    char g[256];
    struct process *p;
    if (!want_string(c, &a[0], &name) || !want_bool(c, a, n, 1, true, &wait) ||
        lookup(c, name, g, sizeof g, &p) < 0)
        return;
    if (!p)
        many(c, g, stop, wait);
    else if (stop)
        stop_one(c, p, name, wait);
    else
        start_one(c, p, name, wait);
}

static void m_start(struct rcall *c, const struct xv *a, size_t n)
{
    m_one(c, a, n, false);
}

static void m_stop(struct rcall *c, const struct xv *a, size_t n)
{
    m_one(c, a, n, true);
}

static void m_group(struct rcall *c, const struct xv *a, size_t n, bool stop)
{
    const char *name;
    bool wait;
    if (!want_string(c, &a[0], &name) || !want_bool(c, a, n, 1, true, &wait))
        return;
    if (!group_exists(c->rpc->sv, name)) {
        fault(c, RPC_BAD_NAME, "%s", name);
        return;
    }
    many(c, name, stop, wait);
}

static void m_start_group(struct rcall *c, const struct xv *a, size_t n) { m_group(c, a, n, false); }
static void m_stop_group(struct rcall *c, const struct xv *a, size_t n) { m_group(c, a, n, true); }

static void m_start_all(struct rcall *c, const struct xv *a, size_t n)
{
    bool wait;
    if (want_bool(c, a, n, 0, true, &wait))
        many(c, NULL, false, wait);
}

static void m_stop_all(struct rcall *c, const struct xv *a, size_t n)
{
    bool wait;
    if (want_bool(c, a, n, 0, true, &wait))
        many(c, NULL, true, wait);
}

/* supervisord's signal_number: a number, or a name with or without SIG. */
static int signal_of(struct rcall *c, const struct xv *v)
{
    /* the numbers Python's signal module names on Linux, 0 included */
#define SUPD_SIGNUM(n) (((n) >= 0 && (n) <= 31) || (n) == 34 || (n) == 64)
    int sig = -1;
    if (v->type == XV_INT) {
        sig = SUPD_SIGNUM(v->i) ? (int)v->i : -1;
    } else if (v->type == XV_STRING && v->s[0] >= '0' && v->s[0] <= '9') {
        char *end;
        errno = 0;
        long long k = strtoll(v->s, &end, 10);
        sig = !errno && !*end && SUPD_SIGNUM(k) ? (int)k : -1;
    } else if (v->type == XV_STRING) {
        sig = conf_signal_parse(v->s);
    }
#undef SUPD_SIGNUM
    if (sig < 0 || sig >= 65) {
        if (v->type == XV_INT)
            fault(c, RPC_BAD_SIGNAL, "%lld", v->i);
        else
            fault(c, RPC_BAD_SIGNAL, "%s", v->type == XV_STRING ? v->s : "");
        return -1;
    }
    return sig;
}

static void signal_one(struct rcall *c, struct process *p, const char *spec, int sig)
{
    if (!running_state(p)) {
        fault(c, RPC_NOT_RUNNING, "%s", spec);
        return;
    }
    if (proc_signal(p, sig) < 0)
        fault(c, RPC_FAILED, "%s", strerror(errno));
}

static void signal_many(struct rcall *c, const char *group, int sig)
{
    struct supervisor *sv = c->rpc->sv;
    c->group_result = true;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (p->removed || (group && strcmp(p->cfg->group, group)) || !running_state(p))
            continue;
        struct rcall one = {.rpc = c->rpc};
        char spec[512];
        namespec(p, spec, sizeof spec);
        signal_one(&one, p, spec, sig);
        add_target(c, p, false);
        if (c->nt && c->t[c->nt - 1].p == p) {
            if (one.fault)
                c->t[c->nt - 1].msg = strdup(one.fmsg);
            target_done(c, &c->t[c->nt - 1], one.fault ? one.fcode : RPC_SUCCESS);
        }
    }
}

static void m_signal(struct rcall *c, const struct xv *a, size_t n)
{
    const char *name;
    char g[256];
    struct process *p;
    if (!want_string(c, &a[0], &name) || lookup(c, name, g, sizeof g, &p) < 0)
        return;
    static const struct xv hup = {.type = XV_STRING, .s = (char *)"HUP", .slen = 3};
    int sig = signal_of(c, n > 1 ? &a[1] : &hup);
    if (sig < 0)
        return;
    if (!p)
        signal_many(c, g, sig);
    else
        signal_one(c, p, name, sig);
    if (!c->fault && !p)
        return;
    if (!c->fault)
        xe_bool(&c->val, true);
}

static void m_signal_group(struct rcall *c, const struct xv *a, size_t n)
{
    const char *name;
    if (!want_string(c, &a[0], &name))
        return;
    if (!group_exists(c->rpc->sv, name)) {
        fault(c, RPC_BAD_NAME, "%s", name);
        return;
    }
    static const struct xv hup = {.type = XV_STRING, .s = (char *)"HUP", .slen = 3};
    int sig = signal_of(c, n > 1 ? &a[1] : &hup);
    if (sig >= 0)
        signal_many(c, name, sig);
}

static void m_signal_all(struct rcall *c, const struct xv *a, size_t n)
{
    static const struct xv hup = {.type = XV_STRING, .s = (char *)"HUP", .slen = 3};
    int sig = signal_of(c, n > 0 ? &a[0] : &hup);
    if (sig >= 0)
        signal_many(c, NULL, sig);
}

/* ---- logs ---- */

/* supervisord's readFile: OFFSET < 0 reads the last -OFFSET bytes (LENGTH
 * must be 0); else LENGTH bytes from OFFSET (0: to the end). */
static void read_file(struct rcall *c, const char *path, long long offset, long long length)
{
    if (offset < 0 && length) {
        fault(c, RPC_BAD_ARGUMENTS, NULL);
        return;
    }
    if (length < 0) {
        fault(c, RPC_BAD_ARGUMENTS, NULL);
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        fault(c, RPC_FAILED, NULL);
        return;
    }
    long long size = (long long)st.st_size, pos, want;
    if (offset < 0) {
        pos = size + offset < 0 ? 0 : size + offset;
        want = size - pos;
    } else {
        pos = offset;
        want = length ? length : size - pos;
    }
    if (want > MAX_LOG_READ)
        want = MAX_LOG_READ;
    if (want < 0)
        want = 0;
    char *buf = malloc((size_t)want + 1);
    if (!buf) {
        close(fd);
        c->val.oom = true;
        return;
    }
    ssize_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, buf + got, (size_t)(want - got), (off_t)(pos + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += r;
    }
    close(fd);
    xe_string_n(&c->val, buf, (size_t)got);
    free(buf);
}

static bool proc_log_path(struct rcall *c, const struct xv *a, bool err, const char **path)
{
    const char *name;
    char g[256];
    struct process *p;
    if (!want_string(c, &a[0], &name) || lookup(c, name, g, sizeof g, &p) < 0)
        return false;
    if (!p) {
        fault(c, RPC_BAD_NAME, "%s", name);
        return false;
    }
    *path = err ? stderr_path(p) : log_path(&p->cfg->stdout_log);
    return true;
}

static void m_read_log(struct rcall *c, const struct xv *a, size_t n, bool err)
{
    const char *path;
    long long off, len;
    if (!proc_log_path(c, a, err, &path) || !want_int(c, &a[1], &off) || !want_int(c, &a[2], &len))
        return;
    struct stat st;
    if (!*path || stat(path, &st) < 0) {
        fault(c, RPC_NO_FILE, "%s", *path ? path : "None");
        return;
    }
    read_file(c, path, off, len);
}

static void m_read_stdout(struct rcall *c, const struct xv *a, size_t n) { m_read_log(c, a, n, false); }
static void m_read_stderr(struct rcall *c, const struct xv *a, size_t n) { m_read_log(c, a, n, true); }

static void m_read_main_log(struct rcall *c, const struct xv *a, size_t n)
{
    long long off, len;
    if (!want_int(c, &a[0], &off) || !want_int(c, &a[1], &len))
        return;
    const char *path = c->rpc->sv->cfg->logfile;
    struct stat st;
    if (!path || stat(path, &st) < 0) {
        fault(c, RPC_NO_FILE, "%s", path ? path : "None");
        return;
    }
    read_file(c, path, off, len);
}

/* supervisord's tailFile: [bytes, offset, overflow]. */
static void m_tail_log(struct rcall *c, const struct xv *a, size_t n, bool err)
{
    const char *path;
    long long off, len;
    if (!proc_log_path(c, a, err, &path) || !want_int(c, &a[1], &off) || !want_int(c, &a[2], &len))
        return;
    char *buf = NULL;
    ssize_t got = 0;
    bool overflow = false;
    int fd = *path ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) : -1;
    struct stat st;
    if (fd < 0) {
        off = 0;                /* no file: ['', 0, False] */
    } else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);              /* supervisord: ['', offset, False] */
    } else {
        /* supervisord 4.2's tailFile, step by step */
        long long sz = (long long)st.st_size;
        if (sz > off + len) {
            overflow = true;
            off = sz - 1;
        }
        if (off + len > sz) {
            if (off > sz - 1)
                len = 0;
            off = sz - len;
        }
        if (off < 0)
            off = 0;
        if (len < 0)
            len = 0;
        if (len > MAX_LOG_READ) {
            off += len - MAX_LOG_READ;
            len = MAX_LOG_READ;
        }
        buf = malloc((size_t)len + 1);
        if (!buf) {
            close(fd);
            c->val.oom = true;
            return;
        }
        while (got < len) {
            ssize_t r = pread(fd, buf + got, (size_t)(len - got), (off_t)(off + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += r;
        }
        close(fd);
        off = sz;
    }
    xe_array_begin(&c->val);
    xe_string_n(&c->val, buf ? buf : "", (size_t)got);
    xe_int(&c->val, off);
    xe_bool(&c->val, overflow);
    xe_array_end(&c->val);
    free(buf);
}

static void m_tail_stdout(struct rcall *c, const struct xv *a, size_t n) { m_tail_log(c, a, n, false); }
static void m_tail_stderr(struct rcall *c, const struct xv *a, size_t n) { m_tail_log(c, a, n, true); }

/* ---- clear ---- */

/* supervisord's clearLog: NO_FILE without a logfile (or when it is gone). */
static void m_clear_log(struct rcall *c, const struct xv *a, size_t n)
{
    const char *path = c->rpc->sv->cfg->logfile;
    struct stat st;
    if (!path || stat(path, &st) < 0) {
        fault(c, RPC_NO_FILE, NULL);
        return;
    }
    if (log_clear() < 0) {
        fault(c, RPC_FAILED, NULL);
        return;
    }
    log_info("reopening log file");     /* supervisord's words, after its clear */
    xe_bool(&c->val, true);
}

/* Empty P's stdout and stderr log files: RPC_SUCCESS or RPC_FAILED. */
static int clear_process(const struct process *p)
{
    const struct log_target *t[2] = {&p->cfg->stdout_log, &p->cfg->stderr_log};
    int code = RPC_SUCCESS;
    for (int k = 0; k < 2; k++) {
        char why[256];
        if (t[k]->kind != LOG_FILE || !t[k]->path || (k && p->cfg->redirect_stderr))
            continue;
        if (capture_clear(t[k]->path, why, sizeof why) < 0) {
            log_warn("%s: cannot clear %s: %s", p->cfg->fullname, t[k]->path, why);
            code = RPC_FAILED;
        }
    }
    return code;
}

static void m_clear_process(struct rcall *c, const struct xv *a, size_t n)
{
    const char *name;
    char g[256];
    struct process *p;
    if (!want_string(c, &a[0], &name) || lookup(c, name, g, sizeof g, &p) < 0)
        return;
    if (!p) {
        fault(c, RPC_BAD_NAME, "%s", name);
        return;
    }
    if (clear_process(p) != RPC_SUCCESS)
        fault(c, RPC_FAILED, "%s", name);
    else
        xe_bool(&c->val, true);
}

/* Every process in start order, as supervisord's clearAllProcessLogs. */
static void m_clear_all(struct rcall *c, const struct xv *a, size_t n)
{
    struct supervisor *sv = c->rpc->sv;
    struct xbuf *b = &c->val;
    xe_array_begin(b);
    for (size_t i = 0; i < sv->nprocs; i++) {
        const struct process *p = sv->procs[i];
        if (p->removed)
            continue;
        char spec[512];
        namespec(p, spec, sizeof spec);
        int code = clear_process(p);
        xe_struct_begin(b);
        put_str_member(b, "name", p->cfg->name);
        put_str_member(b, "group", p->cfg->group);
        put_int_member(b, "status", code);
        char text[600];
        snprintf(text, sizeof text, "FAILED: %s", spec);
        put_str_member(b, "description", code == RPC_SUCCESS ? "OK" : text);
        xe_struct_end(b);
    }
    xe_array_end(b);
}

/* ---- system.* ---- */

static void m_list_methods(struct rcall *c, const struct xv *a, size_t n);

static void m_method_help(struct rcall *c, const struct xv *a, size_t n);
static void m_method_signature(struct rcall *c, const struct xv *a, size_t n);

/* sendProcessStdin(name, chars): to a program with stdin = pipe (issue 17).
 * Faults as supervisord: BAD_NAME, NOT_RUNNING (no pid, or stopping),
 * NO_FILE (no stdin pipe: another stdin =, or the child closed it). */
static void m_send_stdin(struct rcall *c, const struct xv *a, size_t n)
{
    (void)n;
    const char *name, *chars;
    char g[256];
    struct process *p;
    if (!want_string(c, &a[0], &name) || lookup(c, name, g, sizeof g, &p) < 0)
        return;
    if (a[1].type != XV_BASE64 && !want_string(c, &a[1], &chars))
        return;
    if (!p) {
        fault(c, RPC_BAD_NAME, "%s", name);
        return;
    }
    if (p->pid <= 0 || p->state == PS_STOPPING) {
        fault(c, RPC_NOT_RUNNING, "%s", name);
        return;
    }
    size_t len = a[1].slen;
    char *bytes = NULL;
    if (a[1].type == XV_BASE64) {
        /* bytes (Python's xmlrpc.client sends them so): the text without
         * its blanks, decoded */
        char *text = malloc(a[1].slen + 1);
        bytes = malloc(a[1].slen + 1);
        size_t k = 0;
        for (size_t i = 0; text && i < a[1].slen; i++)
            if (!strchr(" \t\r\n", a[1].s[i]))
                text[k++] = a[1].s[i];
        long dl = text && bytes ? http_base64_decode(text, k, (unsigned char *)bytes, a[1].slen)
                                : -2;
        free(text);
        if (dl < 0) {
            free(bytes);
            if (dl == -2)
                fault(c, RPC_FAILED, "out of memory");
            else
                fault(c, RPC_INCORRECT_PARAMETERS, NULL);
            return;
        }
        chars = bytes;
        len = (size_t)dl;
    }
    int rc = p->cfg->stdin_pipe ? proc_write_stdin(p, chars, len) : -1;
    free(bytes);
    if (rc < 0) {
        fault(c, RPC_NO_FILE, "%s", name);
        return;
    }
    xe_bool(&c->val, true);
}

/* sendRemoteCommEvent(type, data): a REMOTE_COMMUNICATION event. */
static void m_send_comm_event(struct rcall *c, const struct xv *a, size_t n)
{
    (void)n;
    const char *type, *data;
    if (!want_string(c, &a[0], &type) || !want_string(c, &a[1], &data))
        return;
    events_remote(c->rpc->sv->events, type, data);
    xe_bool(&c->val, true);
}

static const struct method methods[] = {
    {"supervisor.getAPIVersion", m_api_version, 0, 0, "string",
     "Return the version of the RPC API used by supervisord"},
    {"supervisor.getVersion", m_api_version, 0, 0, "string",
     "Return the version of the RPC API (an alias of getAPIVersion)"},
    {"supervisor.getSupervisorVersion", m_supervisor_version, 0, 0, "string",
     "Return the version of tend"},
    {"supervisor.getIdentification", m_identification, 0, 0, "string",
     "Return the identifying string of the server"},
    {"supervisor.getState", m_state, 0, 0, "struct",
     "Return the state of the server as a struct {statecode, statename}"},
    {"supervisor.getPID", m_pid, 0, 0, "int", "Return the PID of tend"},
    {"supervisor.readLog", m_read_main_log, 2, 2, "string int int",
     "Read length bytes from the main log starting at offset"},
    {"supervisor.readMainLog", m_read_main_log, 2, 2, "string int int",
     "Read length bytes from the main log starting at offset (an alias of readLog)"},
    {"supervisor.shutdown", m_shutdown, 0, 0, "boolean", "Shut tend down"},
    {"supervisor.clearLog", m_clear_log, 0, 0, "boolean", "Empty tend's log file"},
    {"supervisor.clearProcessLogs", m_clear_process, 1, 1, "boolean string",
     "Empty a process's stdout and stderr log files"},
    {"supervisor.clearProcessLog", m_clear_process, 1, 1, "boolean string",
     "Empty a process's log files (an alias of clearProcessLogs)"},
    {"supervisor.clearAllProcessLogs", m_clear_all, 0, 0, "array",
     "Empty every process's log files"},
    {"supervisor.restart", m_restart, 0, 0, "boolean",
     "Restart every program with the config file read again (tend stays the same process)"},
    {"supervisor.reloadConfig", m_reload_config, 0, 0, "array",
     "Read the config file again; [[added, changed, removed]] groups (nothing applied)"},
    {"supervisor.addProcessGroup", m_add_group, 1, 1, "boolean string",
     "Add a group of the config last read and start its autostart programs"},
    {"supervisor.removeProcessGroup", m_remove_group, 1, 1, "boolean string",
     "Remove a stopped group from the programs in use"},
    {"supervisor.startProcess", m_start, 1, 2, "boolean string boolean",
     "Start a process (name, group:name or group:*); wait for it to be RUNNING"},
    {"supervisor.startProcessGroup", m_start_group, 1, 2, "array string boolean",
     "Start every process of a group"},
    {"supervisor.startAllProcesses", m_start_all, 0, 1, "array boolean",
     "Start every process"},
    {"supervisor.stopProcess", m_stop, 1, 2, "boolean string boolean",
     "Stop a process; wait for it to be stopped"},
    {"supervisor.stopProcessGroup", m_stop_group, 1, 2, "array string boolean",
     "Stop every process of a group"},
    {"supervisor.stopAllProcesses", m_stop_all, 0, 1, "array boolean", "Stop every process"},
    {"supervisor.signalProcess", m_signal, 1, 2, "boolean string string",
     "Send a signal (name or number) to a process"},
    {"supervisor.signalProcessGroup", m_signal_group, 1, 2, "array string string",
     "Send a signal to every process of a group"},
    {"supervisor.signalAllProcesses", m_signal_all, 0, 1, "array string",
     "Send a signal to every process"},
    {"supervisor.getProcessInfo", m_process_info, 1, 1, "struct string",
     "Get information about a process"},
    {"supervisor.getAllProcessInfo", m_all_process_info, 0, 0, "array",
     "Get information about every process"},
    {"supervisor.getAllConfigInfo", m_all_config_info, 0, 0, "array",
     "Get the configuration of every process"},
    {"supervisor.readProcessStdoutLog", m_read_stdout, 3, 3, "string string int int",
     "Read length bytes from a process's stdout log starting at offset"},
    {"supervisor.readProcessLog", m_read_stdout, 3, 3, "string string int int",
     "Read from a process's stdout log (an alias of readProcessStdoutLog)"},
    {"supervisor.readProcessStderrLog", m_read_stderr, 3, 3, "string string int int",
     "Read length bytes from a process's stderr log starting at offset"},
    {"supervisor.tailProcessStdoutLog", m_tail_stdout, 3, 3, "array string int int",
     "Tail a process's stdout log: [bytes, offset, overflow]"},
    {"supervisor.tailProcessLog", m_tail_stdout, 3, 3, "array string int int",
     "Tail a process's stdout log (an alias of tailProcessStdoutLog)"},
    {"supervisor.tailProcessStderrLog", m_tail_stderr, 3, 3, "array string int int",
     "Tail a process's stderr log: [bytes, offset, overflow]"},
    {"supervisor.sendProcessStdin", m_send_stdin, 2, 2, "boolean string string",
     "Send a string to the stdin of a process with stdin = pipe"},
    {"supervisor.sendRemoteCommEvent", m_send_comm_event, 2, 2, "boolean string string",
     "Send a REMOTE_COMMUNICATION event to the listeners subscribed to it"},
    {"system.listMethods", m_list_methods, 0, 0, "array", "Return the names of the methods"},
    {"system.methodHelp", m_method_help, 1, 1, "string string",
     "Return the documentation of a method"},
    {"system.methodSignature", m_method_signature, 1, 1, "array string",
     "Return the signature of a method: [return type, parameter types...]"},
    {"system.multicall", m_multicall, 1, 1, "array array",
     "Run an array of calls {methodName, params}; an array of their results"},
};

static void m_list_methods(struct rcall *c, const struct xv *a, size_t n)
{
    xe_array_begin(&c->val);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        xe_string(&c->val, methods[i].name);
    xe_array_end(&c->val);
}

static const struct method *find_method(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (!strcmp(methods[i].name, name))
            return &methods[i];
    return NULL;
}

static void m_method_help(struct rcall *c, const struct xv *a, size_t n)
{
    const char *name;
    if (!want_string(c, &a[0], &name))
        return;
    const struct method *m = find_method(name);
    if (!m)
        fault(c, RPC_SIGNATURE_UNSUPPORTED, NULL);
    else
        xe_string(&c->val, m->help);
}

static void m_method_signature(struct rcall *c, const struct xv *a, size_t n)
{
    const char *name;
    if (!want_string(c, &a[0], &name))
        return;
    const struct method *m = find_method(name);
    if (!m) {
        fault(c, RPC_SIGNATURE_UNSUPPORTED, NULL);
        return;
    }
    xe_array_begin(&c->val);
    for (const char *s = m->sig; *s;) {
        size_t len = strcspn(s, " ");
        xe_string_n(&c->val, s, len);
        s += len;
        s += *s == ' ';
    }
    xe_array_end(&c->val);
}

static void run_call(struct rcall *c, const char *name, const struct xv *a, size_t n)
{
    const struct method *m = find_method(name);
    if (!m) {
        fault(c, RPC_UNKNOWN_METHOD, NULL);
        return;
    }
    if (n < m->min || n > m->max) {
        fault(c, RPC_INCORRECT_PARAMETERS, NULL);
        return;
    }
    /* supervisord answers so in its SHUTDOWN and RESTARTING moods */
    if (!strncmp(name, "supervisor.", 11) &&
        (c->rpc->sv->shutting_down || c->rpc->sv->restarting)) {
        fault(c, RPC_SHUTDOWN_STATE, NULL);
        return;
    }
    m->fn(c, a, n);
    if (!c->fault && c->group_result && c->npending == 0)
        finish_targets(c);
    else if (!c->fault && c->nt && c->npending == 0 && !c->group_result)
        finish_targets(c);
}

/* ---- /logtail ---- */

static void tailer_free(struct tailer *t)
{
    struct rpc *r = t->rpc;
    timer_disarm(r->sv->loop, &t->t);
    if (t->fd >= 0)
        close(t->fd);
    if (t->prev)
        t->prev->next = t->next;
    else
        r->tailers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    free(t->path);
    free(t);
}

static void tailer_cancel(void *arg)
{
    tailer_free(arg);
}

static int tailer_open(struct tailer *t)
{
    int fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    if (t->fd >= 0)
        close(t->fd);
    t->fd = fd;
    t->ino = st.st_ino;
    t->dev = st.st_dev;
    return 0;
}

/* Send what was appended since last time. -1 when T is gone. */
static int tailer_pump(struct tailer *t)
{
    struct stat st;
    /* rotated: follow the new file from its start */
    if (stat(t->path, &st) == 0 && (st.st_ino != t->ino || st.st_dev != t->dev) &&
        tailer_open(t) == 0)
        t->pos = 0;
    if (fstat(t->fd, &st) < 0)
        return 0;
    if (st.st_size < t->pos) {
        t->pos = 0;
        static const char msg[] = "==> File truncated <==\n";
        if (http_stream_write(t->conn, msg, sizeof msg - 1) < 0)
            return -1;
    }
    char buf[8192];
    size_t sent = 0;
    while (t->pos < st.st_size && sent < TAIL_CHUNK &&
           http_stream_pending(t->conn) < HTTP_MAX_STREAM_QUEUE / 2) {
        ssize_t n = pread(t->fd, buf, sizeof buf, t->pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        t->pos += n;
        sent += (size_t)n;
        if (http_stream_write(t->conn, buf, (size_t)n) < 0)
            return -1;
    }
    return 0;
}

static void tailer_tick(struct loop *l, struct timer *tm)
{
    struct tailer *t = tm->arg;
    if (tailer_pump(t) < 0)
        return;
    timer_arm(l, tm, TAIL_POLL_MS);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* %XX decoding in place (supervisorctl quotes the name). */
static void unquote(char *s)
{
    char *o = s;
    for (; *s; s++) {
        int hi, lo;
        if (*s == '%' && (hi = hexval(s[1])) >= 0 && (lo = hexval(s[2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

static void logtail(struct rpc *r, struct http_conn *conn, const char *reqpath)
{
    char spec[1024];
    const char *path = NULL;
    if (!strcmp(reqpath, "/mainlogtail")) {
        path = r->sv->cfg->logfile;
    } else {
        snprintf(spec, sizeof spec, "%s", reqpath + strlen("/logtail/"));
        char *q = strchr(spec, '?');
        if (q)
            *q = '\0';
        unquote(spec);
        char *slash = strchr(spec, '/');
        const char *channel = "stdout";
        if (slash) {
            *slash = '\0';
            channel = slash + 1;
        }
        struct rcall probe = {.rpc = r};
        char g[256];
        struct process *p = NULL;
        if (lookup(&probe, spec, g, sizeof g, &p) == 0 && p) {
            if (!strcmp(channel, "stdout"))
                path = log_path(&p->cfg->stdout_log);
            else if (!strcmp(channel, "stderr"))
                path = stderr_path(p);
        }
    }
    struct tailer *t = path && *path ? calloc(1, sizeof *t) : NULL;
    if (t) {
        t->rpc = r;
        t->fd = -1;
        t->path = strdup(path);
    }
    if (!t || !t->path || tailer_open(t) < 0) {
        if (t) {
            free(t->path);
            free(t);
        }
        http_reply(conn, 404, "text/plain", "not found\n", 10);
        return;
    }
    struct stat st;
    t->pos = fstat(t->fd, &st) == 0 && st.st_size > TAIL_HEAD ? st.st_size - TAIL_HEAD : 0;
    t->conn = conn;
    timer_init(&t->t, tailer_tick, t);
    t->next = r->tailers;
    if (r->tailers)
        r->tailers->prev = t;
    r->tailers = t;
    http_set_cancel(conn, tailer_cancel, t);
    if (http_stream_begin(conn, "text/plain;charset=utf-8") < 0 || tailer_pump(t) < 0)
        return;                 /* the cancel hook freed T */
    timer_arm(r->sv->loop, &t->t, TAIL_POLL_MS);
}

/* ---- HTTP ---- */

/* No client left: what the encoder and decoder keep for the next call goes. */
static void release(void *arg)
{
    (void)arg;
    xmlrpc_release();
}

static void handle(void *arg, struct http_conn *conn, const struct http_request *req)
{
    struct rpc *r = arg;
    if (!strncmp(req->path, "/logtail/", 9) || !strcmp(req->path, "/mainlogtail")) {
        if (strcmp(req->method, "GET"))
            http_reply(conn, 400, "text/plain", "use GET\n", 8);
        else
            logtail(r, conn, req->path);
        return;
    }
    if (strcmp(req->path, "/RPC2") && strncmp(req->path, "/RPC2?", 6)) {
        http_reply(conn, 404, "text/plain", "not found\n", 10);
        return;
    }
    if (strcmp(req->method, "POST")) {
        http_reply(conn, 405, "text/plain", "use POST for XML-RPC\n", 21);
        return;
    }
    struct rcall *c = calloc(1, sizeof *c);
    if (!c) {
        http_reply(conn, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    c->rpc = r;
    c->conn = conn;
    char err[256];
    if (xmlrpc_decode_call(req->body, req->body_len, &c->xc, err, sizeof err) < 0) {
        log_info("XML-RPC: malformed request: %s", err);
        call_free(c);
        char msg[300];
        int n = snprintf(msg, sizeof msg, "malformed XML-RPC request: %s\n", err);
        http_reply(conn, 400, "text/plain", msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        return;
    }
    log_debug("XML-RPC: %s", c->xc.method);
    rpc_enter(r);
    run_call(c, c->xc.method, c->xc.params, c->xc.nparams);
    if (c->mc && !c->fault) {
        /* system.multicall: its calls run now, one after another */
        c->npending = 0;
        http_set_cancel(conn, cancel_call, c);
        mc_step(c);
    } else if (c->npending > 0 && !c->fault) {
        http_set_cancel(conn, cancel_call, c);
        wait_for(c);
    } else {
        complete(c);
    }
    rpc_leave(r);
}

struct rpc *rpc_open(struct supervisor *sv, char *err, size_t errlen)
{
    err[0] = '\0';
    if (!sv->cfg->unix_http.enabled && !sv->cfg->inet_http.enabled)
        return NULL;
    struct rpc *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->sv = sv;
    r->http = http_open(sv->loop, sv->cfg, handle, r, err, errlen);
    if (!r->http) {
        free(r);
        return NULL;
    }
    http_on_idle(r->http, release, NULL);
    proc_observe(&sv->host, observer, r);
    const char *url = http_server_url(r->http);
    log_info("serving supervisord's XML-RPC interface at %s", url ? url : "?");
    return r;
}

void rpc_close(struct rpc *r)
{
    if (!r)
        return;
    proc_unobserve(&r->sv->host, observer, r);
    http_close(r->http);        /* cancels every waiting call and tailer */
    while (r->tailers)
        tailer_free(r->tailers);
    while (r->waiting)
        call_free(r->waiting);
    free(r);
}

const char *rpc_server_url(const struct rpc *r)
{
    return r ? http_server_url(r->http) : NULL;
}
