/* test_probe.c - the probe engine alone, on a real loop: real TCP, unix and
 * HTTP servers in this process, exec probes reaped through a signalfd
 * reaper like tend's, and a port that never answers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/probe.h"

static struct loop *loop;
static char tmpdir[64];

/* ---- results ---- */
struct result {
    int calls;
    bool ok;
    char reason[256];
    uint64_t at;
    struct probe *free_me;      /* freed from inside the callback */
};

static void on_done(void *arg, bool ok, const char *reason)
{
    struct result *r = arg;
    r->calls++;
    r->ok = ok;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    r->at = loop_now();
    if (r->free_me) {
        probe_free(r->free_me);
        r->free_me = NULL;
    }
}

static struct timer guard;
static bool guard_fired;
static void on_guard(struct loop *l, struct timer *t)
{
    (void)l;
    (void)t;
    guard_fired = true;
}

/* Run the loop until R has N results or MAX_MS passed; the elapsed ms. */
static uint64_t wait_calls(struct result *r, int n, unsigned max_ms)
{
    uint64_t t0 = loop_now();
    guard_fired = false;
    timer_arm(loop, &guard, max_ms);
    while (r->calls < n && !guard_fired)
        ck_assert_int_eq(loop_run_once(loop), 0);
    timer_disarm(loop, &guard);
    return loop_now() - t0;
}

#define wait_result(r, max_ms) wait_calls(r, 1, max_ms)

#define reason_has(r, text) \
    ck_assert_msg(strstr((r)->reason, text), "reason [%s] lacks [%s]", (r)->reason, text)

static struct probe *mk(const char *text, struct result *r)
{
    struct probe_spec spec;
    char err[256];
    ck_assert_msg(conf_probe_parse(text, tmpdir, &spec, err, sizeof err) == 0, "%s: %s", text,
                  err);
    memset(r, 0, sizeof *r);
    struct probe *p = probe_new(loop, &spec, "t", on_done, r);
    conf_probe_free(&spec);        /* the probe has its own copy */
    ck_assert_ptr_nonnull(p);
    return p;
}

/* ---- a reaper like tend's: SIGCHLD through a signalfd ---- */
static struct watch sigw;
static int sfd = -1;
static pid_t other_pid;
static int other_status;

static void on_sigchld(struct loop *l, struct watch *w, uint32_t ev)
{
    (void)l;
    (void)ev;
    struct signalfd_siginfo si;
    while (read(w->fd, &si, sizeof si) == (ssize_t)sizeof si)
        ;
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        if (!probe_reaped(pid, st)) {
            other_pid = pid;
            other_status = st;
        }
}

/* ---- fixture ---- */
static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_probe.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    loop = loop_new();
    ck_assert_ptr_nonnull(loop);
    timer_init(&guard, on_guard, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    ck_assert_int_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);
    sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    ck_assert_int_ge(sfd, 0);
    ck_assert_int_eq(watch_add(loop, &sigw, sfd, EPOLLIN, on_sigchld, NULL), 0);
    other_pid = 0;
}

static void teardown(void)
{
    watch_del(loop, &sigw);
    close(sfd);
    loop_free(loop);
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- servers ---- */
static int tcp_listener(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, backlog), 0);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A port nobody listens on (bound, then closed). */
static int free_port(void)
{
    int port, fd = tcp_listener(1, &port);
    close(fd);
    return port;
}

static int unix_socket(const char *path, bool do_listen, int backlog)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    snprintf(su.sun_path, sizeof su.sun_path, "%s", path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&su, sizeof su), 0);
    if (do_listen)
        ck_assert_int_eq(listen(fd, backlog), 0);
    return fd;
}

/* A tiny HTTP server on the same loop: answers every request with
 * http_answer (NULL: close without a word; "": never answer). */
static const char *http_answer;
static char http_request[1024];
static int http_requests;
static struct watch http_lw;
static struct conn {
    int fd;
    struct watch w;
    char buf[1024];
    size_t len;
} conns[8];
static int nconns;

static void on_conn(struct loop *l, struct watch *w, uint32_t ev)
{
    (void)ev;
    struct conn *c = w->arg;
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
    if (n <= 0) {
        watch_del(l, w);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    if (!strstr(c->buf, "\r\n\r\n"))
        return;
    http_requests++;
    snprintf(http_request, sizeof http_request, "%s", c->buf);
    if (http_answer && !*http_answer)
        return;                     /* hold the connection, say nothing */
    watch_del(l, w);
    if (http_answer)
        ck_assert_int_eq(write(c->fd, http_answer, strlen(http_answer)),
                         (ssize_t)strlen(http_answer));
    close(c->fd);
    c->fd = -1;
}

static void on_accept(struct loop *l, struct watch *w, uint32_t ev)
{
    (void)ev;
    int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    ck_assert_int_lt(nconns, 8);
    struct conn *c = &conns[nconns++];
    c->fd = fd;
    c->len = 0;
    ck_assert_int_eq(watch_add(l, &c->w, fd, EPOLLIN, on_conn, c), 0);
}

static int http_server(int *port)
{
    int fd = tcp_listener(16, port);
    nconns = 0;
    http_requests = 0;
    http_request[0] = '\0';
    ck_assert_int_eq(watch_add(loop, &http_lw, fd, EPOLLIN, on_accept, NULL), 0);
    return fd;
}

/* ---- tcp ---- */
START_TEST(test_tcp_ok)
{
    int port, lfd = tcp_listener(16, &port);
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:%d", port);
    struct result r;
    struct probe *p = mk(spec, &r);
    ck_assert_int_eq(probe_run(p, 2000), 0);
    ck_assert_int_eq(r.calls, 0);           /* never from inside probe_run */
    ck_assert(probe_busy(p));
    wait_result(&r, 3000);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_msg(r.ok, "%s", r.reason);
    reason_has(&r, "connected");
    ck_assert(!probe_busy(p));
    /* and again, same probe */
    ck_assert_int_eq(probe_run(p, 2000), 0);
    wait_calls(&r, 2, 3000);
    ck_assert_int_eq(r.calls, 2);
    ck_assert(r.ok);
    probe_free(p);
    close(lfd);
}
END_TEST

START_TEST(test_tcp_refused)
{
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:127.0.0.1:%d", free_port());
    struct result r;
    struct probe *p = mk(spec, &r);
    probe_run(p, 2000);
    ck_assert_int_eq(r.calls, 0);
    uint64_t ms = wait_result(&r, 3000);
    ck_assert_int_eq(r.calls, 1);
    ck_assert(!r.ok);
    reason_has(&r, "Connection refused");
    ck_assert_uint_lt(ms, 1000);
    probe_free(p);
}
END_TEST

START_TEST(test_tcp_ipv6)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0) {
        fprintf(stderr, "test_tcp_ipv6: no IPv6 loopback here, skipped\n");
        return;
    }
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:[::1]:%d", ntohs(sa.sin6_port));
    struct result r;
    struct probe *p = mk(spec, &r);
    probe_run(p, 2000);
    wait_result(&r, 3000);
    ck_assert_msg(r.calls == 1 && r.ok, "%s", r.reason);
    probe_free(p);
    close(fd);
}
END_TEST

/* A listener whose accept queue is full drops new SYNs: the connect
 * stays pending. The loop must go on meanwhile, and the probe time out. */
START_TEST(test_tcp_never_answers)
{
    int port, lfd = tcp_listener(0, &port);
    int fill[8];
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)port)};
    for (int i = 0; i < 8; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ck_assert_int_ge(fill[i], 0);
        connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
    }
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:%d", port);
    struct result r;
    struct probe *p = mk(spec, &r);
    uint64_t t0 = loop_now();
    probe_run(p, 600);
    ck_assert_uint_lt(loop_now() - t0, 50);          /* probe_run does not wait */
    /* while it is pending, other work in the loop is served at once */
    for (int i = 0; i < 5; i++) {
        struct timer tick;
        bool fired = false;
        timer_init(&tick, on_guard, NULL);
        guard_fired = false;
        timer_arm(loop, &tick, 10);
        uint64_t t1 = loop_now();
        while (!guard_fired)
            ck_assert_int_eq(loop_run_once(loop), 0);
        fired = guard_fired;
        ck_assert(fired);
        ck_assert_uint_lt(loop_now() - t1, 100);
        ck_assert_int_eq(r.calls, 0);
        ck_assert(probe_busy(p));
    }
    wait_result(&r, 3000);
    uint64_t took = r.at - t0;
    ck_assert_int_eq(r.calls, 1);
    ck_assert(!r.ok);
    reason_has(&r, "timed out after 600 ms (connecting)");
    ck_assert_uint_ge(took, 590);
    ck_assert_uint_lt(took, 1500);
    probe_free(p);
    for (int i = 0; i < 8; i++)
        close(fill[i]);
    close(lfd);
}
END_TEST

/* ---- unix ---- */
START_TEST(test_unix)
{
    char path[100], spec[160];
    snprintf(path, sizeof path, "%s/ok.sock", tmpdir);
    int lfd = unix_socket(path, true, 16);
    struct result r;
    struct probe *p = mk("unix:ok.sock", &r);           /* relative to tmpdir */
    probe_run(p, 2000);
    ck_assert_int_eq(r.calls, 0);
    wait_result(&r, 3000);
    ck_assert_msg(r.calls == 1 && r.ok, "%s", r.reason);
    probe_free(p);

    /* no such socket */
    snprintf(spec, sizeof spec, "unix:%s/none.sock", tmpdir);
    p = mk(spec, &r);
    probe_run(p, 2000);
    ck_assert_int_eq(r.calls, 0);
    wait_result(&r, 3000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "No such file or directory");
    probe_free(p);

    /* bound, not listening */
    snprintf(path, sizeof path, "%s/deaf.sock", tmpdir);
    int dfd = unix_socket(path, false, 0);
    p = mk("unix:deaf.sock", &r);
    probe_run(p, 2000);
    wait_result(&r, 3000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "Connection refused");
    probe_free(p);

    /* listening, nobody accepting, backlog full */
    snprintf(path, sizeof path, "%s/full.sock", tmpdir);
    int ffd = unix_socket(path, true, 0);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    snprintf(su.sun_path, sizeof su.sun_path, "%s", path);
    int cl[16], ncl = 0;
    for (; ncl < 16; ncl++) {
        cl[ncl] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (connect(cl[ncl], (struct sockaddr *)&su, sizeof su) < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            close(cl[ncl]);
            break;
        }
    }
    ck_assert_int_lt(ncl, 16);
    p = mk("unix:full.sock", &r);
    probe_run(p, 2000);
    wait_result(&r, 3000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "not accepting connections");
    probe_free(p);
    for (int i = 0; i < ncl; i++)
        close(cl[i]);
    close(ffd);
    close(dfd);
    close(lfd);
}
END_TEST

/* ---- http ---- */
static void http_case(const char *answer, bool ok, const char *reason)
{
    int port, lfd = http_server(&port);
    http_answer = answer;
    char spec[96];
    snprintf(spec, sizeof spec, "http://127.0.0.1:%d/health?x=1", port);
    struct result r;
    struct probe *p = mk(spec, &r);
    probe_run(p, 2000);
    ck_assert_int_eq(r.calls, 0);
    wait_result(&r, 3000);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_msg(r.ok == ok, "[%s]: %s", answer ? answer : "(close)", r.reason);
    reason_has(&r, reason);
    ck_assert_int_eq(http_requests, 1);
    ck_assert_msg(!strncmp(http_request, "GET /health?x=1 HTTP/1.1\r\n", 26), "%s",
                  http_request);
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", port);
    ck_assert_msg(strstr(http_request, host), "%s", http_request);
    probe_free(p);
    watch_del(loop, &http_lw);
    for (int i = 0; i < nconns; i++)
        if (conns[i].fd >= 0) {
            watch_del(loop, &conns[i].w);
            close(conns[i].fd);
        }
    close(lfd);
}

START_TEST(test_http)
{
    http_case("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, "HTTP status 200");
    http_case("HTTP/1.0 204 No Content\r\n\r\n", true, "HTTP status 204");
    http_case("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", true, "HTTP status 302");
    http_case("HTTP/1.1 399 Odd\r\n\r\n", true, "HTTP status 399");
    http_case("HTTP/1.1 404 Not Found\r\n\r\n", false, "HTTP status 404");
    http_case("HTTP/1.1 503 Service Unavailable\r\n\r\n", false, "HTTP status 503");
    http_case("HTTP/1.1 199 Early\r\n\r\n", false, "HTTP status 199");
    http_case("hello there\n", false, "not an HTTP answer");
    http_case("HTTP/1.1 200", true, "HTTP status 200");   /* no line end, then EOF */
    http_case(NULL, false, "connection closed without an HTTP answer");
}
END_TEST

START_TEST(test_http_silent)
{
    int port, lfd = http_server(&port);
    http_answer = "";                   /* reads the request, never answers */
    char spec[96];
    snprintf(spec, sizeof spec, "http://localhost:%d", port);
    struct result r;
    struct probe *p = mk(spec, &r);
    probe_run(p, 300);
    uint64_t ms = wait_result(&r, 3000);
    ck_assert_int_eq(r.calls, 1);
    ck_assert(!r.ok);
    reason_has(&r, "timed out after 300 ms (waiting for the HTTP status)");
    ck_assert_uint_ge(ms, 290);
    ck_assert_int_eq(http_requests, 1);
    ck_assert_msg(!strncmp(http_request, "GET / HTTP/1.1\r\n", 16), "%s", http_request);
    probe_free(p);
    close(lfd);
}
END_TEST

START_TEST(test_http_refused)
{
    char spec[96];
    snprintf(spec, sizeof spec, "http://127.0.0.1:%d/", free_port());
    struct result r;
    struct probe *p = mk(spec, &r);
    probe_run(p, 2000);
    wait_result(&r, 3000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "Connection refused");
    probe_free(p);
}
END_TEST

/* ---- exec ---- */
START_TEST(test_exec_true_false)
{
    struct result r;
    struct probe *p = mk("exec:true", &r);
    probe_run(p, 5000);
    ck_assert_int_eq(r.calls, 0);
    wait_result(&r, 5000);
    ck_assert_msg(r.calls == 1 && r.ok, "%s", r.reason);
    reason_has(&r, "exit status 0");
    probe_free(p);

    p = mk("exec:sh -c 'exit 3'", &r);
    probe_run(p, 5000);
    wait_result(&r, 5000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "exit status 3");
    probe_free(p);

    p = mk("exec:false", &r);
    probe_run(p, 5000);
    wait_result(&r, 5000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "exit status 1");
    probe_free(p);

    p = mk("exec:sh -c 'kill -TERM $$'", &r);
    probe_run(p, 5000);
    wait_result(&r, 5000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "killed by SIGTERM");
    probe_free(p);
    ck_assert_int_eq(other_pid, 0);     /* every child was the engine's */
}
END_TEST

START_TEST(test_exec_not_found)
{
    struct result r;
    struct probe *p = mk("exec:/nonexistent/check-it", &r);
    probe_run(p, 5000);
    ck_assert_int_eq(r.calls, 0);        /* reported from the loop */
    wait_result(&r, 5000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "/nonexistent/check-it");
    probe_free(p);
    p = mk("exec:no-such-command-for-tend", &r);
    probe_run(p, 5000);
    wait_result(&r, 5000);
    ck_assert(r.calls == 1 && !r.ok);
    reason_has(&r, "command not found");
    probe_free(p);
}
END_TEST

/* Killed at its timeout with its whole group; reaped afterwards. */
START_TEST(test_exec_timeout)
{
    char mark[128], spec[512];
    snprintf(mark, sizeof mark, "%s/child.pid", tmpdir);
    /* the sleeper's child is in its group too and must die with it */
    snprintf(spec, sizeof spec, "exec:sh -c 'sleep 30 & echo $! > %s; wait'", mark);
    struct result r;
    struct probe *p = mk(spec, &r);
    uint64_t t0 = loop_now();
    probe_run(p, 300);
    wait_result(&r, 5000);
    ck_assert_int_eq(r.calls, 1);
    ck_assert(!r.ok);
    reason_has(&r, "timed out after 300 ms (command still running, killed)");
    ck_assert_uint_ge(r.at - t0, 290);
    ck_assert_uint_lt(r.at - t0, 2000);
    /* the group is gone: the grandchild's pid is dead soon */
    FILE *f = fopen(mark, "r");
    ck_assert_ptr_nonnull(f);
    int gpid = 0;
    ck_assert_int_eq(fscanf(f, "%d", &gpid), 1);
    fclose(f);
    struct result none = {0};
    for (int i = 0; i < 100 && kill(gpid, 0) == 0; i++)
        wait_calls(&none, 1, 20);       /* let the reaper run meanwhile */
    ck_assert_msg(kill(gpid, 0) < 0, "the probe's grandchild %d lives on", gpid);
    ck_assert_int_eq(r.calls, 1);       /* nothing more was reported */
    probe_free(p);
}
END_TEST

START_TEST(test_exec_context)
{
    struct result r;
    struct probe *p =
        mk("exec:sh -c 'test \"$FOO\" = \"b a r\" && test \"$(pwd)\" = /tmp && "
           "test $(umask) = 0027'", &r);
    char *envp[] = {"FOO=b a r", "PATH=/usr/bin:/bin", NULL};
    struct probe_exec x = {.envp = envp, .directory = "/tmp", .umask_set = true, .umask = 027};
    ck_assert_int_eq(probe_set_exec(p, &x), 0);
    envp[0] = "FOO=changed";            /* copied: later changes do not matter */
    probe_run(p, 5000);
    wait_result(&r, 5000);
    ck_assert_msg(r.calls == 1 && r.ok, "%s", r.reason);
    /* without the variable, it fails */
    char *envp2[] = {"PATH=/usr/bin:/bin", NULL};
    x.envp = envp2;
    ck_assert_int_eq(probe_set_exec(p, &x), 0);
    probe_run(p, 5000);
    wait_calls(&r, 2, 5000);
    ck_assert_int_eq(r.calls, 2);
    ck_assert(!r.ok);
    probe_free(p);
}
END_TEST

/* The command's stdout and stderr are tend's log lines at debug level. */
START_TEST(test_exec_output_logged)
{
    char logpath[128];
    snprintf(logpath, sizeof logpath, "%s/tend.log", tmpdir);
    ck_assert_int_eq(log_open(logpath), 0);
    log_set_level(LOG_DEBUG);
    struct result r;
    struct probe *p = mk("exec:sh -c 'echo to-stdout; echo to-stderr >&2; printf partial'", &r);
    probe_run(p, 5000);
    wait_result(&r, 5000);
    ck_assert_msg(r.calls == 1 && r.ok, "%s", r.reason);
    probe_free(p);
    log_open(NULL);
    char buf[4096] = "";
    FILE *f = fopen(logpath, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(buf, "DEBUG t: probe output: to-stdout\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "DEBUG t: probe output: to-stderr\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "DEBUG t: probe output: partial\n"), "%s", buf);
}
END_TEST

/* ---- repetition, cancel, re-entry ---- */
START_TEST(test_every_and_cancel)
{
    int port, lfd = tcp_listener(64, &port);
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:%d", port);
    struct result r;
    struct probe *p = mk(spec, &r);
    uint64_t t0 = loop_now();
    probe_every(p, 20, 50, 1000);
    ck_assert_int_eq(r.calls, 0);
    wait_calls(&r, 4, 3000);
    ck_assert_int_eq(r.calls, 4);
    ck_assert(r.ok);
    /* first at 20 ms, then every 50 ms after each end */
    ck_assert_uint_ge(r.at - t0, 20 + 3 * 50 - 5);
    probe_cancel(p);
    ck_assert(!probe_busy(p));
    /* nothing armed any more: the loop sleeps until our own timer */
    uint64_t t1 = loop_now();
    wait_calls(&r, 5, 200);
    ck_assert_int_eq(r.calls, 4);
    ck_assert_uint_ge(loop_now() - t1, 195);
    /* drain the connections the probe made, then free from the callback */
    r.free_me = p;
    probe_run(p, 1000);
    wait_calls(&r, 5, 3000);
    ck_assert_int_eq(r.calls, 5);
    ck_assert_ptr_null(r.free_me);
    close(lfd);
}
END_TEST

/* probe_run during an attempt drops it without a callback; cancel kills
 * an exec attempt, which is reaped later by the engine. */
START_TEST(test_restart_and_cancel_exec)
{
    struct result r;
    struct probe *p = mk("exec:sleep 30", &r);
    probe_run(p, 10000);
    ck_assert(probe_busy(p));
    probe_cancel(p);
    ck_assert(!probe_busy(p));
    probe_run(p, 10000);
    probe_free(p);                      /* a running attempt: killed, no callback */
    p = mk("exec:sleep 30", &r);
    probe_run(p, 10000);
    struct probe_spec spec;
    char err[64];
    ck_assert_int_eq(conf_probe_parse("exec:true", "/", &spec, err, sizeof err), 0);
    struct probe *q = probe_new(loop, &spec, "q", on_done, &r);
    conf_probe_free(&spec);
    probe_run(q, 5000);
    wait_result(&r, 5000);              /* only q reports */
    ck_assert_msg(r.calls == 1 && r.ok, "%s", r.reason);
    probe_cancel(p);
    /* the three killed sleepers are reaped as the engine's, not strays */
    struct result none = {0};
    wait_calls(&none, 1, 300);
    ck_assert_int_eq(other_pid, 0);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);   /* none left unreaped */
    ck_assert_int_eq(errno, ECHILD);
    probe_free(p);
    probe_free(q);
    ck_assert(!probe_reaped(12345678, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("probe");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_tcp_ok);
    tcase_add_test(tc, test_tcp_refused);
    tcase_add_test(tc, test_tcp_ipv6);
    tcase_add_test(tc, test_tcp_never_answers);
    tcase_add_test(tc, test_unix);
    tcase_add_test(tc, test_http);
    tcase_add_test(tc, test_http_silent);
    tcase_add_test(tc, test_http_refused);
    tcase_add_test(tc, test_exec_true_false);
    tcase_add_test(tc, test_exec_not_found);
    tcase_add_test(tc, test_exec_timeout);
    tcase_add_test(tc, test_exec_context);
    tcase_add_test(tc, test_exec_output_logged);
    tcase_add_test(tc, test_every_and_cancel);
    tcase_add_test(tc, test_restart_and_cancel_exec);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
