/* test_control.c - the control FIFO of the real tend, through tendctl and raw.
 *
 * Every verb, the fire-and-forget form, garbage and over-long lines,
 * concurrent clients, replies larger than a pipe, a reader that never reads,
 * reply paths that are not FIFOs, the refusal cases at start-up, event-driven
 * wait, and reload (add, remove, change, broken).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static struct th *T;

static void teardown(void)
{
    th_free(T);
    T = NULL;
}

#define SLEEPER "command = sleep 1000\nstartsecs = 0\n"

/* Start tend with BODY and wait until NAME is in STATE. */
static struct th *up(const char *name, const char *state, const char *body)
{
    T = th_start("%s", body);
    if (th_wait_state(T, name, state, 10000) < 0) {
        th_dump(T, "not up");
        ck_abort_msg("%s never %s", name, state);
    }
    /* (not th_wait_file: reading a FIFO would block) */
    uint64_t deadline = th_now_ms() + 5000;
    struct stat st;
    while (lstat(T->control, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        ck_assert_msg(th_now_ms() < deadline, "no control FIFO at %s", T->control);
        th_nap(5);
    }
    return T;
}

/* Write LINE to the control FIFO with one write() (fire-and-forget). */
static void raw(struct th *t, const char *line, size_t len)
{
    int fd = open(t->control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s: %s", t->control, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, line + off, len - off);
        if (n < 0 && errno == EAGAIN) {
            th_nap(1);
            continue;
        }
        ck_assert_int_gt(n, 0);
        off += (size_t)n;
    }
    close(fd);
}

#define RAW(t, s) raw(t, s, strlen(s))

/* A reply FIFO of our own, opened for reading (non-blocking). */
struct rfifo {
    char path[PATH_MAX];
    int fd;
};

static void rfifo_open(struct th *t, struct rfifo *r, const char *name, int pipesize)
{
    snprintf(r->path, sizeof r->path, "%s", th_path(t, name));
    ck_assert_int_eq(mkfifo(r->path, 0600), 0);
    r->fd = open(r->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(r->fd, 0);
    if (pipesize)
        ck_assert_int_ge(fcntl(r->fd, F_SETPIPE_SZ, pipesize), 0);
}

/* Read R until the final line or EOF; returns the text (static) or NULL at the deadline. */
static char *rfifo_read_all(struct rfifo *r, int timeout_ms)
{
    static char buf[1 << 20];
    size_t n = 0;
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    bool writer_seen = false;
    for (;;) {
        int left = (int)(deadline - th_now_ms());
        if (th_now_ms() >= deadline)
            return NULL;
        struct pollfd pf = { .fd = r->fd, .events = POLLIN };
        if (poll(&pf, 1, left) <= 0)
            continue;
        ssize_t k = read(r->fd, buf + n, sizeof buf - 1 - n);
        if (k > 0) {
            n += (size_t)k;
            writer_seen = true;
            buf[n] = '\0';
            continue;
        }
        if (k == 0 && (writer_seen || (pf.revents & POLLHUP))) {
            buf[n] = '\0';
            return buf;
        }
        if (k < 0 && errno != EAGAIN)
            return NULL;
    }
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- verbs ---- */

START_TEST(test_status_pid_version)
{
    up("web", "RUNNING", "[program:web]\n" SLEEPER "[program:off]\n" SLEEPER "autostart = false\n");
    char out[8192];
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status web"), 0);
    pid_t pid;
    th_status(T, "web", NULL, 0, &pid, NULL, 0, NULL);
    const char *head = "web                              RUNNING   pid ";
    ck_assert_msg(strncmp(out, head, strlen(head)) == 0,
                  "status: %s", out);
    ck_assert_ptr_nonnull(strstr(out, th_fmt("pid %d, uptime 0:00:0", (int)pid)));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status"), 3);   /* off is STOPPED */
    ck_assert_ptr_nonnull(strstr(out, "off                              STOPPED   Not started"));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status nope"), 1);
    ck_assert_ptr_nonnull(strstr(out, "no such process: nope"));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status --json web"), 0);
    ck_assert_ptr_nonnull(strstr(out, th_fmt("\"pid\": %d", (int)pid)));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "pid"), 0);
    ck_assert_int_eq(atoi(out), T->pid);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "pid web"), 0);
    ck_assert_int_eq(atoi(out), pid);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "pid off"), 0);
    ck_assert_str_eq(out, "0\n");
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "version"), 0);
    ck_assert_str_eq(out, "0.1.0\n");
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "reopen"), 0);
}
END_TEST

START_TEST(test_start_stop_restart)
{
    up("web", "RUNNING", "[program:web]\n" SLEEPER "[program:slow]\ncommand = sleep 1000\n"
       "startsecs = 1\nautostart = false\n"
       "[program:bad]\ncommand = /bin/false\nautostart = false\nstartsecs = 1\nstartretries = 0\n");
    char out[8192];
    pid_t pid1, pid2;
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "start web"), 1);
    ck_assert_ptr_nonnull(strstr(out, "web: ERROR (already started)"));
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "start slow"), 0);
    ck_assert_uint_ge(th_now_ms() - t0, 900);   /* answered after startsecs */
    ck_assert_str_eq(out, "slow: started\n");
    ck_assert_int_eq(th_wait_state(T, "slow", "RUNNING", 100), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "start bad"), 1);
    ck_assert_ptr_nonnull(strstr(out, "bad: ERROR (spawn error)"));
    th_status(T, "web", NULL, 0, &pid1, NULL, 0, NULL);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "restart web"), 0);
    ck_assert_str_eq(out, "web: stopped\nweb: started\n");
    th_status(T, "web", NULL, 0, &pid2, NULL, 0, NULL);
    ck_assert_int_ne(pid1, pid2);
    ck_assert(!th_pid_alive(pid1));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop web slow"), 0);
    /* one line each, as each finishes */
    ck_assert_int_eq(count_lines(out), 2);
    ck_assert_ptr_nonnull(strstr(out, "web: stopped\n"));
    ck_assert_ptr_nonnull(strstr(out, "slow: stopped\n"));
    ck_assert_int_eq(th_wait_state(T, "web", "STOPPED", 100), 0);
    ck_assert(!th_pid_alive(pid2));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop web"), 1);
    ck_assert_ptr_nonnull(strstr(out, "web: ERROR (not running)"));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "restart web"), 0);   /* not running: starts */
    ck_assert_str_eq(out, "web: started\n");
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop nope web"), 1);
    ck_assert_ptr_nonnull(strstr(out, "no such process: nope"));
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 100), 0);   /* nothing was done */
}
END_TEST

START_TEST(test_groups_and_all)
{
    up("g:a", "RUNNING", "[group:g]\nprograms = a,b\n[program:a]\n" SLEEPER "[program:b]\n" SLEEPER
       "[program:x]\n" SLEEPER "numprocs = 2\nprocess_name = %(program_name)s_%(process_num)02d\n");
    char out[8192];
    ck_assert_int_eq(th_wait_state(T, "x:x_01", "RUNNING", 5000), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop g:*"), 0);
    ck_assert_ptr_nonnull(strstr(out, "g:a: stopped"));
    ck_assert_ptr_nonnull(strstr(out, "g:b: stopped"));
    ck_assert_int_eq(th_wait_state(T, "x:x_00", "RUNNING", 100), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "start g:b a"), 0);   /* bare unique name */
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop x"), 0);        /* a group's name */
    ck_assert_int_eq(count_lines(out), 2);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status x:*"), 3);
    ck_assert_int_eq(count_lines(out), 2);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "start all"), 1);     /* g:a, g:b already */
    ck_assert_ptr_nonnull(strstr(out, "x:x_00: started"));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status"), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "signal HUP x:x_00"), 0);
    ck_assert_str_eq(out, "x:x_00: signalled\n");
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "signal BOGUS x:x_00"), 1);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop all"), 0);
    ck_assert_int_eq(count_lines(out), 4);
}
END_TEST

START_TEST(test_logfile_and_tail)
{
    up("web", "RUNNING", "[program:web]\ncommand = sh -c 'echo hello; echo there; exec sleep 1000'\n"
       "startsecs = 0\nstdout_logfile = @DIR@/web.log\n[program:plain]\n" SLEEPER);
    char out[8192];
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "pid web"), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "web.log"), "there\n", 5000), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "tail web"), 0);
    ck_assert_str_eq(out, "hello\nthere\n");
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "tail -n 1 web"), 0);
    ck_assert_str_eq(out, "there\n");
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "tail plain"), 1);
    ck_assert_ptr_nonnull(strstr(out, "stdout is not captured to a file (stdout_logfile = inherit)"));
}
END_TEST

START_TEST(test_wait_event_driven)
{
    /* debug: tend logs each request as it takes it ("control: VERB ...") */
    up("web", "RUNNING", "loglevel = debug\n[program:web]\n" SLEEPER);
    char out[4096];
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "wait web RUNNING"), 0);   /* already */
    ck_assert_uint_lt(th_now_ms() - t0, 1000);
    t0 = th_now_ms();
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "-t 0.5 wait web FATAL"), 1);
    ck_assert_uint_ge(th_now_ms() - t0, 450);
    ck_assert_ptr_nonnull(strstr(out, "timed out"));
    /* a waiter in the background hears of the stop as it happens */
    int before = th_count_in_file(T->errlog, "control: wait ");
    ck_assert_int_eq(before, 2);
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        const char *argv[] = { th_tendctl_bin(), "-s", T->control, "-t", "20", "wait", "web",
                               "STOPPED", NULL };
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    /* Proof that tend holds the waiter before the change: it logged taking
     * the request, which it executes in the same step, before it reads the
     * next request from the FIFO (ours, below). */
    uint64_t deadline = th_now_ms() + 10000;
    while (th_count_in_file(T->errlog, "control: wait ") < before + 1) {
        ck_assert_msg(th_now_ms() < deadline, "tend never took the wait request");
        th_nap(5);
    }
    /* and it is still waiting: not answered yet */
    ck_assert_int_eq(waitpid(w, NULL, WNOHANG), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status web"), 0);   /* web still RUNNING */
    ck_assert_int_eq(waitpid(w, NULL, WNOHANG), 0);
    t0 = th_now_ms();
    RAW(T, "stop web\n");
    int st;
    ck_assert_int_eq(waitpid(w, &st, 0), w);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_uint_lt(th_now_ms() - t0, 2000);
    /* told, not polling: it sent tend exactly one request */
    ck_assert_int_eq(th_count_in_file(T->errlog, "control: wait "), before + 1);
    ck_assert_int_eq(th_count_in_file(T->errlog, "control: status "), 1);   /* ours */
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_shutdown)
{
    up("web", "RUNNING", "[program:web]\n" SLEEPER);
    char out[4096];
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "shutdown"), 0);
    ck_assert_int_eq(th_wait_exit(T, 10000), 0);
    ck_assert_int_ne(access(T->control, F_OK), 0);     /* FIFO removed */
}
END_TEST

/* ---- raw form and bad input ---- */

START_TEST(test_fire_and_forget)
{
    up("web", "RUNNING", "[program:web]\n" SLEEPER "[program:db]\n" SLEEPER);
    RAW(T, "stop web\n");
    ck_assert_int_eq(th_wait_state(T, "web", "STOPPED", 5000), 0);
    pid_t db1, db2 = 0;
    th_status(T, "db", NULL, 0, &db1, NULL, 0, NULL);
    RAW(T, "restart db\n");
    /* no answer to wait for: db comes back RUNNING with a new pid */
    uint64_t deadline = th_now_ms() + 10000;
    char st[32] = "";
    while (th_now_ms() < deadline) {
        th_status(T, "db", st, sizeof st, &db2, NULL, 0, NULL);
        if (db2 != db1 && db2 > 0 && !strcmp(st, "RUNNING"))
            break;
        th_nap(10);
    }
    ck_assert_msg(db2 != db1 && !strcmp(st, "RUNNING"), "db not restarted: %s pid %d", st,
                  (int)db2);
    RAW(T, "start web\n\n   \nstatus\n");
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 5000), 0);
    char out[4096];
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status"), 0);
}
END_TEST

START_TEST(test_garbage_and_long_lines)
{
    up("web", "RUNNING", "[program:web]\n" SLEEPER);
    pid_t pid;
    th_status(T, "web", NULL, 0, &pid, NULL, 0, NULL);
    RAW(T, "garbage here\n\x01\x02\xff\n@relative stop web\n");
    /* an over-long line whose tail is a valid request: none of it may run */
    size_t n = 10000;
    char *big = malloc(n + 32);
    memset(big, 'x', n);
    strcpy(big + n, "stop web\n");
    raw(T, big, strlen(big));
    memset(big, 'y', 4096);
    strcpy(big + 4096, "\n");     /* exactly one byte over: discarded too */
    raw(T, big, strlen(big));
    free(big);
    char out[4096];
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status web"), 0);
    ck_assert_ptr_nonnull(strstr(out, th_fmt("pid %d,", (int)pid)));
    ck_assert_int_eq(th_wait_file(T->errlog, "longer than 4096", 2000), 0);
    ck_assert_int_ge(th_count_in_file(T->errlog, "longer than 4096"), 2);
    ck_assert_int_ge(th_count_in_file(T->errlog, "unknown verb"), 1);
    /* a bad request with a reply FIFO gets its error there */
    struct rfifo r;
    rfifo_open(T, &r, "r1", 0);
    RAW(T, th_fmt("@%s frobnicate\n", r.path));
    char *rep = rfifo_read_all(&r, 5000);
    ck_assert_ptr_nonnull(rep);
    ck_assert_msg(strncmp(rep, "error: unknown verb 'frobnicate'", 32) == 0, "reply: %s", rep);
    /* a line of exactly 4096 bytes (with its newline) is accepted */
    char line[4097];
    struct rfifo r2;
    rfifo_open(T, &r2, "r2", 0);
    int k = snprintf(line, sizeof line, "@%s status", r2.path);
    memset(line + k, ' ', 4095 - (size_t)k);
    line[4095] = '\n';
    line[4096] = '\0';
    raw(T, line, 4096);
    rep = rfifo_read_all(&r2, 5000);
    ck_assert_ptr_nonnull(rep);
    ck_assert_ptr_nonnull(strstr(rep, "web "));
    ck_assert(th_pid_alive(T->pid));
}
END_TEST

START_TEST(test_reply_not_a_fifo)
{
    up("web", "RUNNING", "[program:web]\n" SLEEPER);
    const char *file = th_path(T, "regular");
    th_write_file(file, false, "precious\n");
    struct rfifo r;
    rfifo_open(T, &r, "real", 0);
    const char *link = th_path(T, "link");
    ck_assert_int_eq(symlink(r.path, link), 0);
    RAW(T, th_fmt("@%s status\n@%s status\n", file, link));
    char out[4096];
    /* requests are handled in order: once this is answered, those were seen */
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "version"), 0);
    char buf[64];
    ck_assert_int_eq(th_read_file(file, buf, sizeof buf), 9);
    ck_assert_str_eq(buf, "precious\n");
    ck_assert_int_le(read(r.fd, buf, sizeof buf), 0);     /* nothing through the symlink */
    ck_assert(th_pid_alive(T->pid));
}
END_TEST

/* ---- many clients, big replies, slow readers ---- */

START_TEST(test_concurrent_clients)
{
    char body[8192] = "";
    size_t n = 0;
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "[program:p%02d]\n" SLEEPER, i);
    up("p19", "RUNNING", body);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(th_wait_state(T, th_fmt("p%02d", i), "RUNNING", 5000), 0);
    pid_t kids[20];
    for (int i = 0; i < 20; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0) {
            int o = open(th_path(T, th_fmt("out%02d", i)), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(o, 1);
            dup2(o, 2);
            const char *argv[] = { th_tendctl_bin(), "-s", T->control, "pid",
                                   th_fmt("p%02d", i), NULL };
            execv(argv[0], (char *const *)argv);
            _exit(127);
        }
    }
    for (int i = 0; i < 20; i++) {
        int st;
        ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client %d failed", i);
        char buf[64];
        pid_t pid;
        th_read_file(th_path(T, th_fmt("out%02d", i)), buf, sizeof buf);
        th_status(T, th_fmt("p%02d", i), NULL, 0, &pid, NULL, 0, NULL);
        ck_assert_int_eq(atoi(buf), pid);
    }
}
END_TEST

#define MANY "[program:m]\ncommand = sleep 1000\nautostart = false\nnumprocs = 300\n" \
    "process_name = %(program_name)s_with_a_longish_name_%(process_num)03d\n" \
    "[program:web]\n" SLEEPER

START_TEST(test_big_reply)
{
    up("web", "RUNNING", MANY);
    /* a 4 KiB pipe: the ~25 KiB reply must be written as it drains */
    struct rfifo r;
    rfifo_open(T, &r, "big", 4096);
    RAW(T, th_fmt("@%s status\n", r.path));
    char *rep = rfifo_read_all(&r, 10000);
    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(count_lines(rep), 302);
    ck_assert_ptr_nonnull(strstr(rep, "m:m_with_a_longish_name_299 "));
    ck_assert_str_eq(rep + strlen(rep) - 3, "ok\n");
    char *out = malloc(1 << 16);
    ck_assert_int_eq(th_ctl(T, out, 1 << 16, "status"), 3);
    ck_assert_int_eq(count_lines(out), 301);
    free(out);
}
END_TEST

START_TEST(test_stuck_reader_does_not_stall)
{
    up("web", "RUNNING", MANY);
    struct rfifo r;
    rfifo_open(T, &r, "stuck", 4096);
    RAW(T, th_fmt("@%s status\n", r.path));       /* never read */
    char out[4096];
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "version"), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop web"), 0);
    ck_assert_uint_lt(th_now_ms() - t0, 3000);
    /* the stuck reply is still pending, not lost: read it now */
    char *rep = rfifo_read_all(&r, 5000);
    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(count_lines(rep), 302);
}
END_TEST

/* ---- refusal at start-up ---- */

static void refuse(bool symlink_it)
{
    T = th_new(NULL, "control = @DIR@/run/ctl\n[program:web]\n" SLEEPER);
    ck_assert_ptr_nonnull(T);
    mkdir(T->rundir, 0700);
    const char *ctl = th_fmt("%s/ctl", T->rundir);
    if (symlink_it) {
        const char *target = th_path(T, "target");
        ck_assert_int_eq(mkfifo(target, 0600), 0);
        ck_assert_int_eq(symlink(target, ctl), 0);
    } else {
        th_write_file(ctl, false, "keep me\n");
    }
    ck_assert_int_eq(th_spawn(T, NULL), 0);
    ck_assert_int_eq(th_wait_exit(T, 10000), 1);
    char buf[256];
    th_read_file(T->errlog, buf, sizeof buf);
    ck_assert_msg(strstr(buf, symlink_it ? "symlink" : "not a FIFO"), "stderr: %s", buf);
    struct stat st;
    ck_assert_int_eq(lstat(ctl, &st), 0);
    if (symlink_it) {
        ck_assert(S_ISLNK(st.st_mode));
    } else {
        ck_assert_int_eq(th_read_file(ctl, buf, sizeof buf), 8);
        ck_assert_str_eq(buf, "keep me\n");
    }
}

START_TEST(test_refuse_regular_file) { refuse(false); }
END_TEST

START_TEST(test_refuse_symlink) { refuse(true); }
END_TEST

START_TEST(test_fifo_mode)
{
    up("web", "RUNNING", "control_mode = 0620\n[program:web]\n" SLEEPER);
    struct stat st;
    ck_assert_int_eq(lstat(T->control, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0620);
}
END_TEST

/* ---- reload ---- */

START_TEST(test_reload)
{
    up("c", "RUNNING", "[program:a]\n" SLEEPER "[program:b]\n" SLEEPER "[program:c]\n" SLEEPER);
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 5000), 0);
    ck_assert_int_eq(th_wait_state(T, "b", "RUNNING", 5000), 0);
    pid_t a1, c1, a2, c2;
    th_status(T, "a", NULL, 0, &a1, NULL, 0, NULL);
    th_status(T, "c", NULL, 0, &c1, NULL, 0, NULL);
    char out[8192];
    /* broken: nothing changes, every error is reported */
    ck_assert_int_eq(th_config(T, NULL, "[program:a]\n" SLEEPER "[program:b]\nstartsecs = x\n"
                               "[program:c]\n" SLEEPER "[program:d]\n" SLEEPER), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "reload"), 1);
    ck_assert_ptr_nonnull(strstr(out, "tend.ini:"));
    ck_assert_ptr_nonnull(strstr(out, "error: configuration has errors"));
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status d"), 1);
    ck_assert_int_eq(th_wait_state(T, "b", "RUNNING", 100), 0);
    pid_t b1;
    th_status(T, "b", NULL, 0, &b1, NULL, 0, NULL);
    ck_assert_int_gt(b1, 0);
    /* valid: b removed, c changed, d added, a untouched */
    ck_assert_int_eq(th_config(T, NULL, "[program:a]\n" SLEEPER
                               "[program:c]\ncommand = sleep 999\nstartsecs = 0\n"
                               "[program:d]\n" SLEEPER), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_wait_state(T, "d", "RUNNING", 5000), 0);
    uint64_t deadline = th_now_ms() + 5000;
    while (th_ctl(T, out, sizeof out, "status b") != 1 && th_now_ms() < deadline)
        th_nap(20);
    ck_assert_ptr_nonnull(strstr(out, "no such process: b"));
    ck_assert_int_eq(th_wait_state(T, "c", "RUNNING", 5000), 0);
    th_status(T, "a", NULL, 0, &a2, NULL, 0, NULL);
    th_status(T, "c", NULL, 0, &c2, NULL, 0, NULL);
    ck_assert_int_eq(a1, a2);
    ck_assert_int_ne(c1, c2);
    ck_assert(!th_pid_alive(c1));
    /* the removed program's process is stopped, not left unsupervised */
    ck_assert_msg(th_wait_gone(b1, 5000) == 0, "removed b (pid %d) still runs", (int)b1);
    ck_assert(th_pid_alive(a2));
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

static Suite *control_suite(void)
{
    Suite *s = suite_create("control");
    TCase *tc = tcase_create("verbs");
    tcase_set_timeout(tc, 40);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_status_pid_version);
    tcase_add_test(tc, test_start_stop_restart);
    tcase_add_test(tc, test_groups_and_all);
    tcase_add_test(tc, test_logfile_and_tail);
    tcase_add_test(tc, test_wait_event_driven);
    tcase_add_test(tc, test_shutdown);
    suite_add_tcase(s, tc);
    tc = tcase_create("input");
    tcase_set_timeout(tc, 40);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_fire_and_forget);
    tcase_add_test(tc, test_garbage_and_long_lines);
    tcase_add_test(tc, test_reply_not_a_fifo);
    suite_add_tcase(s, tc);
    tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_concurrent_clients);
    tcase_add_test(tc, test_big_reply);
    tcase_add_test(tc, test_stuck_reader_does_not_stall);
    suite_add_tcase(s, tc);
    tc = tcase_create("fifo");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_refuse_regular_file);
    tcase_add_test(tc, test_refuse_symlink);
    tcase_add_test(tc, test_fifo_mode);
    suite_add_tcase(s, tc);
    tc = tcase_create("reload");
    tcase_set_timeout(tc, 40);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_reload);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(control_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
