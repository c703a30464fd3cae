/* http.c - HTTP/1.x server for supervisord's XML-RPC interface (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

/* An idle connection keeps the room of its last answer up to this size. */
#define HTTP_KEEP_OUT (64 * 1024)

/* ---- the server ---- */

enum cstate { C_READ, C_BUSY, C_WRITE, C_STREAM };

struct http_conn {
    struct http_server *srv;
    struct http_conn *next, *prev;
    int fd;
    struct watch w;
    struct timer t;
    enum cstate st;
    bool keep_alive;             /* of the request being answered */
    bool close_after;            /* close once the answer is out */
    bool in_handler;
    bool is_unix;
    bool chunked_out;            /* C_STREAM: chunked transfer coding (HTTP/1.1) */
    int minor;                   /* HTTP/1.MINOR of the request being answered */
    char *in;                    /* what was read, not yet used */
    size_t inlen, incap;
    long headlen;                /* > 0 once the head of the request is parsed */
    size_t bodylen;
    char *out;
    size_t outlen, outoff;
    size_t outcap;               /* out is kept between answers (musl's malloc would
                                  * hand a freed one back to the kernel each time) */
    void (*cancel)(void *arg);
    void *cancel_arg;
    char peer[64];
};

struct listener {
    struct http_server *srv;
    int fd;
    struct watch w;
    bool is_unix;
};

struct http_server {
    struct loop *loop;
    struct listener ls[2];
    size_t nls;
    bool paused;
    struct http_conn *conns;
    size_t nconns;
    http_handler handler;
    void *arg;
    char *unix_path;             /* to remove at close */
    dev_t unix_dev;
    ino_t unix_ino;
    char *user[2], *pass[2];     /* per listener kind: [0] unix, [1] inet */
    char url[300];
    void (*on_idle)(void *arg);
    void *idle_arg;
};

static void conn_cb(struct loop *l, struct watch *w, uint32_t ev);
static void listen_cb(struct loop *l, struct watch *w, uint32_t ev);

static void conn_free(struct http_conn *c)
{
    struct http_server *s = c->srv;
    if (c->cancel) {
        void (*cb)(void *) = c->cancel;
        c->cancel = NULL;
        cb(c->cancel_arg);
    }
    watch_del(s->loop, &c->w);
    timer_disarm(s->loop, &c->t);
    if (c->fd >= 0)
        close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    free(c->in);
    free(c->out);
    free(c);
    if (s->nconns == 0 && s->on_idle)
        s->on_idle(s->idle_arg);
    if (s->paused && s->nconns < HTTP_MAX_CONNS) {
        s->paused = false;
        for (size_t i = 0; i < s->nls; i++)
            watch_mod(s->loop, &s->ls[i].w, EPOLLIN);
    }
}

static void conn_timeout(struct loop *l, struct timer *t)
{
    struct http_conn *c = t->arg;
    log_debug("http: %s: dropped (timed out)", c->peer);
    conn_free(c);
}

static void set_events(struct http_conn *c, uint32_t ev)
{
    if (c->w.events != ev && watch_mod(c->srv->loop, &c->w, ev) < 0)
        log_warn("http: epoll_ctl: %s", strerror(errno));
}

/* Queue a whole response whose body is the N parts of V (copied); it is
 * written by conn_flush. */
static void queue_parts(struct http_conn *c, int status, const char *ctype,
                        const struct iovec *v, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += v[i].iov_len;
    static const struct { int code; const char *text; } reasons[] = {
        {200, "OK"}, {400, "Bad Request"}, {401, "Unauthorized"}, {404, "Not Found"},
        {405, "Method Not Allowed"}, {411, "Length Required"},
        {413, "Payload Too Large"}, {500, "Internal Server Error"},
        {505, "HTTP Version Not Supported"},
    };
    const char *reason = "Error";
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].code == status)
            reason = reasons[i].text;
    if (status != 200)
        c->close_after = c->close_after || status == 400 || status == 413 || status == 411;
    if (!c->keep_alive)
        c->close_after = true;
    char head[512];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nServer: tend/" TEND_VERSION "\r\n"
                      "Content-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
                      status, reason, ctype ? ctype : "text/plain", len,
                      status == 401 ? "WWW-Authenticate: Basic realm=\"default\"\r\n" : "",
                      c->close_after ? "Connection: close\r\n" : "");
    if (c->outcap < (size_t)hn + len) {
        free(c->out);
        c->out = malloc((size_t)hn + len);
        c->outcap = c->out ? (size_t)hn + len : 0;
    }
    c->outoff = 0;
    if (!c->out) {
        log_warn("http: %s: out of memory for a response of %zu bytes", c->peer, len);
        c->outlen = 0;
        c->close_after = true;
    } else {
        memcpy(c->out, head, (size_t)hn);
        size_t at = (size_t)hn;
        for (int i = 0; i < n; i++) {
            if (v[i].iov_len)
                memcpy(c->out + at, v[i].iov_base, v[i].iov_len);
            at += v[i].iov_len;
        }
        c->outlen = at;
    }
    c->st = C_WRITE;
}

static void queue_response(struct http_conn *c, int status, const char *ctype, char *body,
                           size_t len, bool owned)
{
    struct iovec v = {body, len};
    queue_parts(c, status, ctype, &v, 1);
    if (owned)
        free(body);
}

static void simple_response(struct http_conn *c, int status, const char *text)
{
    queue_response(c, status, "text/plain", (char *)text, strlen(text), false);
}

static void conn_process(struct http_conn *c);

/* C_STREAM: write what is queued. -1 when C was freed. */
static int stream_flush(struct http_conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_events(c, EPOLLIN | EPOLLOUT);
            if (!timer_armed(&c->t))
                timer_arm(c->srv->loop, &c->t, HTTP_IDLE_MS);
            return 0;
        }
        if (n < 0) {
            conn_free(c);
            return -1;
        }
        c->outoff += (size_t)n;
        timer_arm(c->srv->loop, &c->t, HTTP_IDLE_MS);
    }
    c->outoff = c->outlen = 0;
    timer_disarm(c->srv->loop, &c->t);     /* a quiet stream may last forever */
    set_events(c, EPOLLIN);
    return 0;
}

/* Queue N more bytes; -1 beyond HTTP_MAX_STREAM_QUEUE or out of memory. */
static int out_append(struct http_conn *c, const char *p, size_t n)
{
    if (c->outoff) {
        memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
        c->outlen -= c->outoff;
        c->outoff = 0;
    }
    if (c->outlen + n > HTTP_MAX_STREAM_QUEUE)
        return -1;
    char *nb = realloc(c->out, c->outlen + n + 1);
    if (!nb)
        return -1;
    c->out = nb;
    c->outcap = c->outlen + n + 1;
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
    return 0;
}

/* Write what is queued, then go on with the requests already read
 * (pipelined). Returns -1 when C was freed. */
static int conn_flush(struct http_conn *c)
{
    for (;;) {
        while (c->outoff < c->outlen) {
            ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                set_events(c, EPOLLOUT);
                if (!timer_armed(&c->t))
                    timer_arm(c->srv->loop, &c->t, HTTP_IDLE_MS);
                return 0;
            }
            if (n < 0) {
                log_debug("http: %s: %s", c->peer, strerror(errno));
                conn_free(c);
                return -1;
            }
            c->outoff += (size_t)n;
            timer_arm(c->srv->loop, &c->t, HTTP_IDLE_MS);
        }
        if (c->outcap > HTTP_KEEP_OUT) {
            free(c->out); /* a large answer's room is not kept by an idle connection */
            c->out = NULL;
            c->outcap = 0;
        }
        c->outlen = c->outoff = 0;
        if (c->close_after) {
            conn_free(c);
            return -1;
        }
        c->st = C_READ;
        set_events(c, EPOLLIN);
        timer_arm(c->srv->loop, &c->t, c->inlen ? HTTP_REQUEST_MS : HTTP_IDLE_MS);
        if (!c->inlen)
            return 0;
        conn_process(c);
        if (c->st == C_STREAM)
            return stream_flush(c);
        if (c->st != C_WRITE)
            return 0;
    }
}

static bool authorized(struct http_conn *c, const struct http_head *h)
{
    struct http_server *s = c->srv;
    int k = c->is_unix ? 0 : 1;
    if (!s->user[k])
        return true;
    if (h->auth && h->auth_len > 6 && !strncasecmp(h->auth, "Basic ", 6)) {
        const char *b = h->auth + 6;
        size_t bl = h->auth_len - 6;
        while (bl && *b == ' ') {
            b++;
            bl--;
        }
        unsigned char cred[768];
        long n = http_base64_decode(b, bl, cred, sizeof cred);
        if (n >= 0 && http_check_password((const char *)cred, (size_t)n, s->user[k], s->pass[k]))
            return true;
        if (n >= 0) {
            const char *colon = memchr(cred, ':', (size_t)n);
            int ul = colon ? (int)((const unsigned char *)colon - cred) : 0;
            if (ul > 64)
                ul = 64;
            for (int i = 0; i < ul; i++)
                if (cred[i] < ' ' || cred[i] == 0x7f)
                    cred[i] = '?';
            log_warn("http: %s: authentication failed for user '%.*s'", c->peer, ul,
                     (const char *)cred);
            return false;
        }
    }
    log_warn("http: %s: request without valid credentials refused", c->peer);
    return false;
}

/* Handle what is in c->in: a whole request, an error, or wait for more. */
static void conn_process(struct http_conn *c)
{
    struct http_head h;
    long hl = http_parse_head(c->in, c->inlen, &h);
    if (hl < 0) {
        log_info("http: %s: malformed request", c->peer);
        c->keep_alive = false;
        simple_response(c, 400, "bad request\n");
        return;
    }
    if (hl == 0) {
        if (c->inlen >= HTTP_MAX_HEAD) {
            c->keep_alive = false;
            simple_response(c, 400, "request head too large\n");
        }
        return;
    }
    c->keep_alive = h.minor >= 1 ? !h.conn_close : h.conn_keep_alive && !h.conn_close;
    c->minor = h.minor;
    if (h.chunked) {
        c->keep_alive = false;
        simple_response(c, 411, "a Content-Length body is required\n");
        return;
    }
    if (h.content_length > HTTP_MAX_BODY) {
        log_info("http: %s: request body of %zu bytes refused", c->peer, h.content_length);
        c->keep_alive = false;
        simple_response(c, 413, "request body too large\n");
        return;
    }
    if (c->inlen - (size_t)hl < h.content_length)
        return;                 /* the rest of the body is still coming */
    size_t total = (size_t)hl + h.content_length;
    bool ok = authorized(c, &h);
    char method[32], path[1024];
    snprintf(method, sizeof method, "%.*s", (int)(h.method_len < 31 ? h.method_len : 31),
             h.method);
    bool path_ok = h.path_len < sizeof path;
    snprintf(path, sizeof path, "%.*s", (int)(path_ok ? h.path_len : 0), h.path);
    /* the body is NUL-terminated in place (the byte after it is kept aside) */
    char *body = c->in + hl;
    size_t blen = h.content_length;
    char saved = 0;
    bool extra = total < c->inlen;
    if (extra)
        saved = c->in[total];
    if (!ok) {
        simple_response(c, 401, "unauthorized\n");
    } else if (!path_ok) {
        simple_response(c, 404, "not found\n");
    } else {
        if (c->inlen + 1 > c->incap) {
            char *n = realloc(c->in, c->inlen + 1);
            if (!n) {
                c->keep_alive = false;
                simple_response(c, 500, "out of memory\n");
                return;
            }
            c->in = n;
            c->incap = c->inlen + 1;
            body = c->in + hl;
        }
        c->in[total] = '\0';
        struct http_request r = {method, path, body, blen};
        c->st = C_BUSY;
        timer_disarm(c->srv->loop, &c->t);
        c->in_handler = true;
        c->srv->handler(c->srv->arg, c, &r);
        c->in_handler = false;
        /* no reading while the answer waits; one given at once (the usual
         * case) costs no epoll_ctl pair */
        if (c->st == C_BUSY)
            set_events(c, 0);
    }
    if (extra)
        c->in[total] = saved;
    /* drop the request from the input */
    memmove(c->in, c->in + total, c->inlen - total);
    c->inlen -= total;
}

static void conn_read(struct http_conn *c)
{
    for (;;) {
        size_t want = 16384;
        size_t limit = HTTP_MAX_HEAD + HTTP_MAX_BODY + 1;
        if (c->incap - c->inlen < want && c->incap < limit) {
            size_t ncap = c->incap ? c->incap * 2 : 16384;
            if (ncap > limit)
                ncap = limit;
            char *n = realloc(c->in, ncap);
            if (!n) {
                log_warn("http: %s: out of memory", c->peer);
                conn_free(c);
                return;
            }
            c->in = n;
            c->incap = ncap;
        }
        if (c->inlen == c->incap) {
            /* full with a request that did not complete: cannot happen within the limits */
            conn_free(c);
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            conn_free(c);       /* closed (or reset) by the client */
            return;
        }
        bool was_empty = c->inlen == 0;
        c->inlen += (size_t)n;
        if (was_empty)
            timer_arm(c->srv->loop, &c->t, HTTP_REQUEST_MS);
        conn_process(c);
        if (c->st == C_WRITE) {
            conn_flush(c);
            return;             /* c may be gone; the loop calls again */
        }
        if (c->st == C_STREAM) {
            stream_flush(c);
            return;
        }
        if (c->st == C_BUSY)
            return;
    }
}

static void conn_cb(struct loop *l, struct watch *w, uint32_t ev)
{
    struct http_conn *c = w->arg;
    if (c->st == C_STREAM) {
        if ((ev & EPOLLOUT) && stream_flush(c) < 0)
            return;
        if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            /* a streaming client says nothing more: anything is discarded,
             * end of file or an error ends the stream */
            char junk[512];
            for (;;) {
                ssize_t n = recv(c->fd, junk, sizeof junk, 0);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    return;
                if (n <= 0) {
                    conn_free(c);
                    return;
                }
            }
        }
        return;
    }
    if (c->st == C_WRITE && (ev & EPOLLOUT)) {
        conn_flush(c);
        return;
    }
    if (c->st == C_READ && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        conn_read(c);
        return;
    }
    if (ev & (EPOLLHUP | EPOLLERR))
        conn_free(c);           /* gone while its answer was pending */
}

static void listen_cb(struct loop *l, struct watch *w, uint32_t ev)
{
    struct listener *li = w->arg;
    struct http_server *s = li->srv;
    for (int round = 0; round < 16; round++) {
        if (s->nconns >= HTTP_MAX_CONNS) {
            if (!s->paused) {
                log_warn("http: %d connections open; new ones wait", HTTP_MAX_CONNS);
                s->paused = true;
                for (size_t i = 0; i < s->nls; i++)
                    watch_mod(s->loop, &s->ls[i].w, 0);
            }
            return;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(li->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warn("http: accept: %s", strerror(errno));
            return;
        }
        struct http_conn *c = calloc(1, sizeof *c);
        if (!c) {
            log_warn("http: out of memory for a connection");
            close(fd);
            return;
        }
        c->srv = s;
        c->fd = fd;
        c->is_unix = li->is_unix;
        c->st = C_READ;
        if (li->is_unix) {
            snprintf(c->peer, sizeof c->peer, "unix:%d", fd);
        } else {
            char host[INET6_ADDRSTRLEN] = "?";
            int port = 0;
            if (ss.ss_family == AF_INET) {
                struct sockaddr_in *a = (struct sockaddr_in *)&ss;
                inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
                port = ntohs(a->sin_port);
            } else if (ss.ss_family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
                inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
                port = ntohs(a->sin6_port);
            }
            snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
        }
        timer_init(&c->t, conn_timeout, c);
        if (watch_add(s->loop, &c->w, fd, EPOLLIN, conn_cb, c) < 0) {
            log_warn("http: epoll_ctl: %s", strerror(errno));
            close(fd);
            free(c);
            return;
        }
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        timer_arm(s->loop, &c->t, HTTP_IDLE_MS);
    }
}

void http_reply_take(struct http_conn *c, int status, const char *ctype, char *body, size_t len)
{
    c->cancel = NULL;
    queue_response(c, status, ctype, body, len, true);
    if (!c->in_handler)
        conn_flush(c);
}

void http_reply_parts(struct http_conn *c, int status, const char *ctype,
                      const struct iovec *parts, int n)
{
    c->cancel = NULL;
    queue_parts(c, status, ctype, parts, n);
    if (!c->in_handler)
        conn_flush(c);
}

void http_reply(struct http_conn *c, int status, const char *ctype, const char *body, size_t len)
{
    c->cancel = NULL;
    queue_response(c, status, ctype, (char *)body, len, false);
    if (!c->in_handler)
        conn_flush(c);
}

/* A stream cannot go on: the cancel hook is told at once, C closes (now,
 * or once the handler has returned). Returns -1. */
static int stream_fail(struct http_conn *c)
{
    if (c->cancel) {
        void (*cb)(void *) = c->cancel;
        c->cancel = NULL;
        cb(c->cancel_arg);
    }
    if (!c->in_handler) {
        conn_free(c);
        return -1;
    }
    c->outlen = c->outoff = 0;
    c->st = C_WRITE;            /* closes once the (empty) rest is out */
    return -1;
}

int http_stream_begin(struct http_conn *c, const char *ctype)
{
    c->chunked_out = c->minor >= 1;
    c->close_after = true;
    char head[512];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nServer: tend/" TEND_VERSION "\r\n"
                      "Content-Type: %s\r\nX-Accel-Buffering: no\r\n%s\r\n",
                      ctype, c->chunked_out ? "Transfer-Encoding: chunked\r\n"
                                            : "Connection: close\r\n");
    free(c->out);
    c->out = NULL;
    c->outcap = 0;
    c->outlen = c->outoff = 0;
    c->st = C_STREAM;
    if (out_append(c, head, (size_t)hn) < 0)
        return stream_fail(c);
    if (!c->in_handler)
        return stream_flush(c);
    return 0;
}

int http_stream_write(struct http_conn *c, const char *data, size_t len)
{
    if (len == 0)
        return 0;
    char size[24];
    int sn = snprintf(size, sizeof size, "%zx\r\n", len);
    if ((c->chunked_out && out_append(c, size, (size_t)sn) < 0) || out_append(c, data, len) < 0 ||
        (c->chunked_out && out_append(c, "\r\n", 2) < 0)) {
        log_info("http: %s: a log stream fell %d bytes behind; dropped", c->peer,
                 HTTP_MAX_STREAM_QUEUE);
        return stream_fail(c);
    }
    if (!c->in_handler)
        return stream_flush(c);
    return 0;
}

size_t http_stream_pending(const struct http_conn *c)
{
    return c->outlen - c->outoff;
}

void http_set_cancel(struct http_conn *c, void (*cancel)(void *arg), void *arg)
{
    c->cancel = cancel;
    c->cancel_arg = arg;
}

const char *http_server_url(const struct http_server *s)
{
    return s && s->url[0] ? s->url : NULL;
}

static int add_listener(struct http_server *s, int fd, bool is_unix, char *err, size_t errlen)
{
    struct listener *li = &s->ls[s->nls];
    li->srv = s;
    li->fd = fd;
    li->is_unix = is_unix;
    if (watch_add(s->loop, &li->w, fd, EPOLLIN, listen_cb, li) < 0) {
        snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
        close(fd);
        return -1;
    }
    s->nls++;
    return 0;
}

static int open_unix(struct http_server *s, const struct http_server_config *h, char *err,
                     size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(h->file) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "[unix_http_server] file %s: path too long", h->file);
        return -1;
    }
    strcpy(sa.sun_path, h->file);
    struct stat st;
    if (lstat(h->file, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "[unix_http_server] file %s exists and is not a socket",
                     h->file);
            return -1;
        }
        /* a live server answers a connect; a stale socket refuses it */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (probe < 0) {
            snprintf(err, errlen, "socket: %s", strerror(errno));
            return -1;
        }
        int r;
        do
            r = connect(probe, (struct sockaddr *)&sa, sizeof sa);
        while (r < 0 && errno == EINTR);
        int e = errno;
        close(probe);
        if (r == 0 || e == EAGAIN || e == EINPROGRESS) {
            snprintf(err, errlen, "another server is already listening on %s", h->file);
            return -1;
        }
        if (unlink(h->file) < 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove stale socket %s: %s", h->file, strerror(errno));
            return -1;
        }
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* bind with a private mode, then chmod/chown: never briefly open to all */
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    umask(old);
    if (r < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", h->file, strerror(e));
        close(fd);
        return -1;
    }
    if (stat(h->file, &st) == 0) {
        s->unix_dev = st.st_dev;
        s->unix_ino = st.st_ino;
    }
    s->unix_path = strdup(h->file);
    if (!s->unix_path) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        unlink(h->file);
        return -1;
    }
    if (chmod(h->file, h->chmod) < 0) {
        snprintf(err, errlen, "chmod %s: %s", h->file, strerror(errno));
        close(fd);
        return -1;
    }
    if (h->chown_set && chown(h->file, h->chown_uid, h->chown_gid) < 0) {
        snprintf(err, errlen, "chown %s: %s", h->file, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, 128) < 0) {
        snprintf(err, errlen, "listen %s: %s", h->file, strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(s->url, sizeof s->url, "unix://%s", h->file);
    return add_listener(s, fd, true, err, errlen);
}

static int open_inet(struct http_server *s, const struct http_server_config *h, char *err,
                     size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char port[16];
    snprintf(port, sizeof port, "%d", h->port);
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(*h->host ? h->host : NULL, port, &hints, &ai);
    if (g != 0) {
        snprintf(err, errlen, "[inet_http_server] port %s:%d: %s", h->host, h->port,
                 gai_strerror(g));
        return -1;
    }
    /* with no host, prefer IPv4's any-address (as supervisord) */
    struct addrinfo *pick = ai;
    for (struct addrinfo *a = ai; a && !*h->host; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    int fd = socket(pick->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        log_debug("http: SO_REUSEADDR: %s", strerror(errno));
    if (bind(fd, pick->ai_addr, pick->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", *h->host ? h->host : "*", h->port,
                 strerror(errno));
        close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    if (!s->url[0])
        snprintf(s->url, sizeof s->url, strchr(h->host, ':') ? "http://[%s]:%d" : "http://%s:%d",
                 *h->host && strcmp(h->host, "0.0.0.0") ? h->host : "127.0.0.1", h->port);
    return add_listener(s, fd, false, err, errlen);
}

struct http_server *http_open(struct loop *l, const struct tend_config *cfg, http_handler h,
                              void *arg, char *err, size_t errlen)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->loop = l;
    s->handler = h;
    s->arg = arg;
    const struct http_server_config *hc[2] = {&cfg->unix_http, &cfg->inet_http};
    for (int k = 0; k < 2; k++) {
        if (!hc[k]->enabled || !hc[k]->username)
            continue;
        s->user[k] = strdup(hc[k]->username);
        s->pass[k] = strdup(hc[k]->password ? hc[k]->password : "");
        if (!s->user[k] || !s->pass[k]) {
            snprintf(err, errlen, "out of memory");
            http_close(s);
            return NULL;
        }
    }
    if ((cfg->unix_http.enabled && open_unix(s, &cfg->unix_http, err, errlen) < 0) ||
        (cfg->inet_http.enabled && open_inet(s, &cfg->inet_http, err, errlen) < 0)) {
        http_close(s);
        return NULL;
    }
    return s;
}

void http_on_idle(struct http_server *s, void (*cb)(void *arg), void *arg)
{
    s->on_idle = cb;
    s->idle_arg = arg;
}

void http_close(struct http_server *s)
{
    if (!s)
        return;
    while (s->conns) {
        struct http_conn *c = s->conns;
        if (c->outoff < c->outlen) {
            ssize_t n;
            do
                n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
            while (n < 0 && errno == EINTR);
        }
        conn_free(c);
    }
    for (size_t i = 0; i < s->nls; i++) {
        watch_del(s->loop, &s->ls[i].w);
        close(s->ls[i].fd);
    }
    if (s->unix_path) {
        /* only the socket we made (not one a successor put there) */
        struct stat st;
        if (lstat(s->unix_path, &st) == 0 && st.st_dev == s->unix_dev && st.st_ino == s->unix_ino)
            unlink(s->unix_path);
        free(s->unix_path);
    }
    for (int k = 0; k < 2; k++) {
        free(s->user[k]);
        free(s->pass[k]);
    }
    free(s);
}
