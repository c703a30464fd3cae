/* probe.c - tcp, unix, http and exec probes on the event loop. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "spawn.h"

extern char **environ;

#define OUT_LINE_MAX 400            /* a longer output line is logged in pieces */
#define OUT_TOTAL_MAX (16 * 1024)   /* output logged per attempt; the rest is dropped */

enum phase {
    PH_IDLE,
    PH_CONNECT,     /* waiting for a non-blocking connect */
    PH_SEND,        /* http: writing the request */
    PH_RECV,        /* http: reading the status line */
    PH_EXEC,        /* exec: waiting for the child to be reaped */
    PH_REPORT,      /* a result known in probe_run, delivered from the loop */
};

/* An exec probe's child. It outlives its attempt when the attempt timed
 * out or was cancelled (killed, then unreaped for a moment): it stays in
 * the list until the reaper hands its status over. */
struct probe_child {
    pid_t pid;
    struct probe *owner;            /* NULL once the attempt is over */
    struct probe_child *next;
};

struct probe {
    struct loop *loop;
    struct probe_spec spec;
    char *label;
    probe_done_cb cb;
    void *arg;

    /* exec: what probe_set_exec gave (owned copies) */
    char **envp;
    char *directory, *user;
    bool umask_set, set_user;
    mode_t umask;
    uid_t uid;
    gid_t gid;

    enum phase phase;
    unsigned timeout_ms;
    uint64_t started;
    struct timer deadline;          /* the attempt's timeout (or an early result) */
    bool periodic;
    unsigned interval_ms, every_timeout_ms;
    struct timer again;             /* probe_every's next attempt */

    int fd;                         /* socket, or the exec output pipe */
    struct watch w;
    char buf[256];                  /* http request being sent / status line received */
    size_t len, off;
    struct probe_child *child;      /* exec: the running attempt's child */
    size_t out_total;               /* exec: output bytes logged this attempt */
    bool out_dropped;

    bool report_ok;                 /* PH_REPORT */
    char report[200];
};

static struct probe_child *children;    /* every exec child not yet reaped */

/* ---- ending an attempt ---- */

static void close_fd(struct probe *p)
{
    if (p->fd < 0)
        return;
    watch_del(p->loop, &p->w);
    close(p->fd);
    p->fd = -1;
}

static void kill_child(struct probe *p)
{
    if (!p->child)
        return;
    /* not reaped yet, so the group id cannot have been reused */
    if (kill(-p->child->pid, SIGKILL) < 0 && errno == ESRCH)
        kill(p->child->pid, SIGKILL);
    p->child->owner = NULL;
    p->child = NULL;
}

/* Drop what the attempt holds, without a callback. */
static void abort_attempt(struct probe *p)
{
    close_fd(p);
    kill_child(p);
    timer_disarm(p->loop, &p->deadline);
    p->phase = PH_IDLE;
}

/* The attempt is over: release it, arm the next one, then tell the owner
 * (last, since the callback may free P). */
static void finish(struct probe *p, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(struct probe *p, bool ok, const char *fmt, ...)
{
    char reason[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    abort_attempt(p);
    if (p->periodic)
        timer_arm(p->loop, &p->again, p->interval_ms);
    p->cb(p->arg, ok, reason);
}

/* A result known before the loop ran: delivered from the loop, so the
 * callback never runs inside probe_run. */
static void report_later(struct probe *p, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report_later(struct probe *p, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->report, sizeof p->report, fmt, ap);
    va_end(ap);
    close_fd(p);
    kill_child(p);
    p->report_ok = ok;
    p->phase = PH_REPORT;
    timer_arm(p->loop, &p->deadline, 0);
}

static void fmt_secs(char *b, size_t n, unsigned ms)
{
    if (ms % 1000 == 0)
        snprintf(b, n, "%u s", ms / 1000);
    else
        snprintf(b, n, "%u ms", ms);
}

static void on_deadline(struct loop *l, struct timer *t)
{
    struct probe *p = t->arg;
    (void)l;
    if (p->phase == PH_REPORT) {
        finish(p, p->report_ok, "%s", p->report);
        return;
    }
    static const char *const what[] = {
        [PH_CONNECT] = "connecting", [PH_SEND] = "sending the request",
        [PH_RECV] = "waiting for the HTTP status", [PH_EXEC] = "command still running, killed",
    };
    char d[32];
    fmt_secs(d, sizeof d, p->timeout_ms);
    const char *w = p->phase < sizeof what / sizeof what[0] && what[p->phase] ? what[p->phase]
                                                                              : "?";
    finish(p, false, "timed out after %s (%s)", d, w);
}

/* ---- network probes ---- */

static void http_parse(struct probe *p, bool eof)
{
    char *nl = memchr(p->buf, '\n', p->len);
    if (!nl && !eof && p->len < sizeof p->buf - 1)
        return;                     /* wait for the whole status line */
    p->buf[p->len] = '\0';
    if (nl)
        *nl = '\0';
    int major, minor, status;
    char sp;
    if (sscanf(p->buf, "HTTP/%d.%d %3d%c", &major, &minor, &status, &sp) < 3 ||
        status < 100 || status > 999) {
        if (p->len == 0)
            finish(p, false, "connection closed without an HTTP answer");
        else
            finish(p, false, "not an HTTP answer");
        return;
    }
    if (status >= 200 && status < 400)
        finish(p, true, "HTTP status %d", status);
    else
        finish(p, false, "HTTP status %d", status);
}

static void on_socket(struct loop *l, struct watch *w, uint32_t events)
{
    struct probe *p = w->arg;
    if (p->phase == PH_CONNECT) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
            err = errno;
        if (err == 0 && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        if (err) {
            finish(p, false, "%s", strerror(err));
            return;
        }
        if (p->spec.kind != PROBE_HTTP) {
            finish(p, true, "connected");
            return;
        }
        p->phase = PH_SEND;
        p->len = (size_t)snprintf(p->buf, sizeof p->buf,
                                  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tend\r\n"
                                  "Accept: */*\r\nConnection: close\r\n\r\n",
                                  p->spec.path, p->spec.host);
        if (p->len >= sizeof p->buf) {
            finish(p, false, "URL too long for a probe");
            return;
        }
        p->off = 0;
    }
    if (p->phase == PH_SEND) {
        while (p->off < p->len) {
            ssize_t n = send(p->fd, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;             /* EPOLLOUT again */
            if (n < 0) {
                finish(p, false, "sending the request: %s", strerror(errno));
                return;
            }
            p->off += (size_t)n;
        }
        p->phase = PH_RECV;
        p->len = 0;
        if (watch_mod(l, &p->w, EPOLLIN) < 0) {
            finish(p, false, "epoll: %s", strerror(errno));
            return;
        }
        return;
    }
    if (p->phase == PH_RECV) {
        for (;;) {
            ssize_t n = recv(p->fd, p->buf + p->len, sizeof p->buf - 1 - p->len, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            if (n < 0) {
                if (p->len)
                    http_parse(p, true);
                else
                    finish(p, false, "reading the answer: %s", strerror(errno));
                return;
            }
            p->len += (size_t)n;
            if (n == 0 || p->len == sizeof p->buf - 1 || memchr(p->buf, '\n', p->len)) {
                http_parse(p, n == 0);
                return;
            }
        }
    }
}

static void start_connect(struct probe *p)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    int family = p->spec.kind == PROBE_UNIX ? AF_UNIX : p->spec.family;
    if (family == AF_UNIX) {
        struct sockaddr_un *su = (struct sockaddr_un *)&ss;
        su->sun_family = AF_UNIX;
        snprintf(su->sun_path, sizeof su->sun_path, "%s", p->spec.path);
        sl = sizeof *su;
    } else if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, p->spec.addr, 16);
        s6->sin6_port = htons(p->spec.port);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, p->spec.addr, 4);
        s4->sin_port = htons(p->spec.port);
        sl = sizeof *s4;
    }
    p->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        report_later(p, false, "socket: %s", strerror(errno));
        return;
    }
    int rc;
    do
        rc = connect(p->fd, (struct sockaddr *)&ss, sl);
    while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno != EINPROGRESS) {
        /* a unix socket with a full backlog says EAGAIN: not accepting */
        int e = errno;
        report_later(p, false, "%s", e == EAGAIN ? "not accepting connections (backlog full)"
                                                 : strerror(e));
        return;
    }
    p->phase = PH_CONNECT;
    if (watch_add(p->loop, &p->w, p->fd, EPOLLOUT, on_socket, p) < 0) {
        report_later(p, false, "epoll: %s", strerror(errno));
        return;
    }
    /* connected already (unix sockets): the watch fires at once */
}

/* ---- exec probes ---- */

static void log_output(struct probe *p, const char *s, size_t n)
{
    if (p->out_dropped)
        return;
    if (p->out_total + n > OUT_TOTAL_MAX) {
        log_debug("%s: probe output: (more than %d bytes, the rest not logged)", p->label,
                  OUT_TOTAL_MAX);
        p->out_dropped = true;
        return;
    }
    p->out_total += n;
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) : n;
        size_t piece = k > OUT_LINE_MAX ? OUT_LINE_MAX : k;
        if (piece || nl)
            log_debug("%s: probe output: %.*s", p->label, (int)piece, s);
        if (piece < k) {
            s += piece, n -= piece;
            continue;
        }
        s += k + (nl ? 1 : 0);
        n -= k + (nl ? 1 : 0);
    }
}

/* Read what the pipe holds now. Lines are logged as they come; a line
 * split between two reads is logged as two (the log is for debugging). */
static void drain_output(struct probe *p)
{
    char b[4096];
    while (p->fd >= 0) {
        ssize_t n = read(p->fd, b, sizeof b);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                close_fd(p);        /* EOF: the command's writers are gone */
            return;
        }
        log_output(p, b, (size_t)n);
    }
}

static void on_output(struct loop *l, struct watch *w, uint32_t events)
{
    (void)l;
    (void)events;
    drain_output(w->arg);
}

static void start_exec(struct probe *p)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0) {
        report_later(p, false, "pipe: %s", strerror(errno));
        return;
    }
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        report_later(p, false, "/dev/null: %s", strerror(e));
        return;
    }
    struct probe_child *c = calloc(1, sizeof *c);
    if (!c) {
        close(out[0]);
        close(out[1]);
        close(null);
        report_later(p, false, "out of memory");
        return;
    }
    /* the write end is blocking for the child: its writes wait for us,
     * never fail with EAGAIN */
    int fl = fcntl(out[1], F_GETFL);
    if (fl >= 0)
        fcntl(out[1], F_SETFL, fl & ~O_NONBLOCK);
    struct spawn_req r = {
        .argv = p->spec.argv,
        .envp = p->envp ? p->envp : environ,
        .directory = p->directory,
        .umask_set = p->umask_set,
        .umask = p->umask,
        .set_user = p->set_user,
        .user = p->user,
        .uid = p->uid,
        .gid = p->gid,
        .fd = {null, out[1], out[1]},
        .tty_fd = -1,
    };
    char err[300];
    int code;
    pid_t pid = spawn_process(&r, err, sizeof err, &code);
    close(null);
    close(out[1]);
    p->fd = out[0];
    if (pid < 0) {
        free(c);
        report_later(p, false, "%s", err);
        return;
    }
    c->pid = pid;
    c->owner = p;
    c->next = children;
    children = c;
    p->child = c;
    p->phase = PH_EXEC;
    p->out_total = 0;
    p->out_dropped = false;
    if (watch_add(p->loop, &p->w, p->fd, EPOLLIN, on_output, p) < 0) {
        log_warn("%s: probe output not logged: epoll: %s", p->label, strerror(errno));
        close(p->fd);
        p->fd = -1;
    }
}

bool probe_reaped(pid_t pid, int status)
{
    struct probe_child **pp = &children;
    while (*pp && (*pp)->pid != pid)
        pp = &(*pp)->next;
    struct probe_child *c = *pp;
    if (!c)
        return false;
    *pp = c->next;
    /* what the command left running in its group goes with it */
    kill(-pid, SIGKILL);
    struct probe *p = c->owner;
    free(c);
    if (!p)
        return true;                /* its attempt ended already */
    p->child = NULL;
    drain_output(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        finish(p, true, "exit status 0");
    else if (WIFEXITED(status))
        finish(p, false, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        finish(p, false, "killed by SIG%s", conf_signal_name(WTERMSIG(status)));
    else
        finish(p, false, "wait status 0x%x", (unsigned)status);
    return true;
}

/* ---- the API ---- */

static void on_again(struct loop *l, struct timer *t)
{
    struct probe *p = t->arg;
    (void)l;
    probe_run(p, p->every_timeout_ms);
}

struct probe *probe_new(struct loop *l, const struct probe_spec *spec, const char *label,
                        probe_done_cb cb, void *arg)
{
    if (spec->kind == PROBE_NONE)
        return NULL;
    struct probe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    /* conf_probe_copy aborts on out of memory, as conf/ does; a probe is
     * made when a program is set up, not in the steady state */
    conf_probe_copy(&p->spec, spec);
    p->label = strdup(label ? label : "probe");
    if (!p->label) {
        conf_probe_free(&p->spec);
        free(p);
        return NULL;
    }
    p->loop = l;
    p->cb = cb;
    p->arg = arg;
    p->fd = -1;
    timer_init(&p->deadline, on_deadline, p);
    timer_init(&p->again, on_again, p);
    return p;
}

static void free_envp(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

int probe_set_exec(struct probe *p, const struct probe_exec *x)
{
    char **envp = NULL, *dir = NULL, *user = NULL;
    if (x->envp) {
        size_t n = 0;
        while (x->envp[n])
            n++;
        envp = calloc(n + 1, sizeof *envp);
        for (size_t i = 0; envp && i < n; i++)
            if (!(envp[i] = strdup(x->envp[i])))
                goto oom;
        if (!envp)
            goto oom;
    }
    if (x->directory && !(dir = strdup(x->directory)))
        goto oom;
    if (x->user && !(user = strdup(x->user)))
        goto oom;
    free_envp(p->envp);
    free(p->directory);
    free(p->user);
    p->envp = envp;
    p->directory = dir;
    p->user = user;
    p->umask_set = x->umask_set;
    p->umask = x->umask;
    p->set_user = x->set_user && user;
    p->uid = x->uid;
    p->gid = x->gid;
    return 0;
oom:
    free_envp(envp);
    free(dir);
    free(user);
    errno = ENOMEM;
    return -1;
}

int probe_run(struct probe *p, unsigned timeout_ms)
{
    abort_attempt(p);
    timer_disarm(p->loop, &p->again);
    p->timeout_ms = timeout_ms ? timeout_ms : 1;
    p->started = loop_now();
    p->len = p->off = 0;
    if (p->spec.kind == PROBE_EXEC)
        start_exec(p);
    else
        start_connect(p);
    if (p->phase != PH_REPORT)
        timer_arm(p->loop, &p->deadline, p->timeout_ms);
    return 0;
}

void probe_every(struct probe *p, unsigned first_ms, unsigned interval_ms, unsigned timeout_ms)
{
    abort_attempt(p);
    p->periodic = true;
    p->interval_ms = interval_ms;
    p->every_timeout_ms = timeout_ms;
    timer_arm(p->loop, &p->again, first_ms);
}

void probe_cancel(struct probe *p)
{
    abort_attempt(p);
    p->periodic = false;
    timer_disarm(p->loop, &p->again);
}

void probe_free(struct probe *p)
{
    if (!p)
        return;
    probe_cancel(p);
    conf_probe_free(&p->spec);
    free_envp(p->envp);
    free(p->directory);
    free(p->user);
    free(p->label);
    free(p);
}

bool probe_busy(const struct probe *p)
{
    return p->phase != PH_IDLE;
}
