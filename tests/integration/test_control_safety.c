/* test_control_safety.c - the control channel under hostile or careless use
 * (issue 12: defects 1, 6, 7 and the minor control items).
 *
 *   restart_while_waited     a restart whose start finishes another client
 *                            (use-after-free in kick(); run under ASan)
 *   restart_all_with_dependency  `restart all` with a depends_on pair answers
 *                            (issue 12, defect 13: a start heard while the
 *                            client was disarmed in kick())
 *   reply_path_swap          a folder on the reply path swapped for a
 *                            symlink: tend never opens a non-FIFO for writing
 *   deputy_others            control_mode = 0622: nobody naming root's FIFO
 *                            gets nothing written into it; its own, an answer
 *   deputy_group             control_mode = 0620: a FIFO of a user outside the
 *                            control group is refused, a member's answered
 *   partial_line             a request without its newline is taken after a
 *                            short wait and does not poison the next one
 *   unknown_name_logged      a fire-and-forget request naming nobody is logged
 *   client_cap               more than 256 pending replies: `error: too many
 *                            clients`, and tend keeps serving
 *
 * The tests that change users need root; they say so and pass otherwise.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define SLEEPER "command = sleep 1000\nstartsecs = 0\n"
#define NOBODY 65534
#define WAIT 10000

static struct th *T;

static void teardown(void)
{
    th_free(T);
    T = NULL;
}

static bool need_root(const char *test)
{
    if (geteuid() == 0)
        return true;
    fprintf(stderr, "%s: skipped, needs root\n", test);
    return false;
}

static void wait_fifo(struct th *t)
{
    uint64_t deadline = th_now_ms() + WAIT;
    struct stat st;
    while (lstat(t->control, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        ck_assert_msg(th_now_ms() < deadline, "no control FIFO at %s", t->control);
        th_nap(5);
    }
}

static void up_running(struct th *t, const char *name)
{
    if (th_wait_state(t, name, "RUNNING", WAIT) < 0) {
        th_dump(t, "not up");
        ck_abort_msg("%s never RUNNING", name);
    }
    wait_fifo(t);
}

/* Write LINE to the control FIFO in one write(), as user UID when UID is
 * not -1 (from a child that drops to it first). */
static void send_as(struct th *t, long uid, const char *line)
{
    size_t len = strlen(line);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (uid >= 0 && (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0
                         || setuid((uid_t)uid) < 0))
            _exit(3);
        int fd = open(t->control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            _exit(4);
        for (int tries = 0; tries < 5000; tries++) {
            ssize_t n = write(fd, line, len);
            if (n == (ssize_t)len)
                _exit(0);
            if (n >= 0 || errno != EAGAIN)
                _exit(5);
            usleep(1000);
        }
        _exit(6);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer as uid %ld failed: %#x", uid,
                  st);
}

#define SEND(t, line) send_as(t, -1, line)

/* A reply FIFO held open for reading (non-blocking). */
struct rfifo {
    char path[PATH_MAX];
    int fd;
};

static void rfifo_make(struct rfifo *r, const char *path, mode_t mode, uid_t owner)
{
    snprintf(r->path, sizeof r->path, "%s", path);
    ck_assert_msg(mkfifo(path, mode) == 0, "mkfifo %s: %s", path, strerror(errno));
    ck_assert_int_eq(chmod(path, mode), 0);
    if (owner != (uid_t)-1)
        ck_assert_int_eq(chown(path, owner, (gid_t)owner), 0);
    r->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(r->fd, 0);
}

/* Read R until its final line (`ok` / `error: ...`); the text or NULL. */
static const char *rfifo_reply(struct rfifo *r, int timeout_ms)
{
    static char buf[65536];
    size_t n = 0;
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    buf[0] = '\0';
    while (th_now_ms() < deadline) {
        struct pollfd pf = { .fd = r->fd, .events = POLLIN };
        if (poll(&pf, 1, 20) <= 0)
            continue;
        ssize_t k = read(r->fd, buf + n, sizeof buf - 1 - n);
        if (k > 0) {
            n += (size_t)k;
            buf[n] = '\0';
            /* the final line is the last complete one */
            if (n > 0 && buf[n - 1] == '\n') {
                char *last = buf + n - 1;
                while (last > buf && last[-1] != '\n')
                    last--;
                if (strncmp(last, "ok\n", 3) == 0 || strncmp(last, "error: ", 7) == 0)
                    return buf;
            }
        } else if (k == 0) {
            th_nap(5);      /* no writer (yet, or any more) */
        }
    }
    return NULL;
}

/* Nothing readable in R right now (and no writer left data). */
static bool rfifo_empty(struct rfifo *r)
{
    char c;
    ssize_t k = read(r->fd, &c, 1);
    return k <= 0;
}

/* A round trip through tend after everything sent so far: tend reads
 * requests in order, so once this is answered every earlier one was handled.
 * The reply FIFO belongs to OWNER (-1: us). */
static void barrier(struct th *t, const char *name, uid_t owner)
{
    struct rfifo b;
    rfifo_make(&b, th_path(t, name), 0600, owner);
    SEND(t, th_fmt("@%s version\n", b.path));
    const char *r = rfifo_reply(&b, WAIT);
    ck_assert_msg(r && strstr(r, "ok\n"), "barrier: no answer");
    close(b.fd);
    unlink(b.path);
}

/* ---- defect 1: a start inside kick() finishes the next client ---- */

START_TEST(restart_while_waited)
{
    T = th_start("[program:web]\n" SLEEPER);
    up_running(T, "web");
    char out[4096];
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "stop web"), 0);
    /* Clients list newest first: A (restart), then the waiters. kick() walks
     * from A; A's start makes web RUNNING at once (startsecs = 0), which
     * answers and closes every waiter behind A while kick() stands on A. */
    struct rfifo a, w[3];
    rfifo_make(&a, th_path(T, "rA"), 0600, (uid_t)-1);
    char batch[4096] = "";
    for (int i = 0; i < 3; i++) {
        rfifo_make(&w[i], th_path(T, th_fmt("rB%d", i)), 0600, (uid_t)-1);
        strcat(batch, th_fmt("@%s wait web RUNNING 30\n", w[i].path));
    }
    strcat(batch, th_fmt("@%s restart web\n", a.path));
    SEND(T, batch);
    for (int i = 0; i < 3; i++) {
        const char *r = rfifo_reply(&w[i], WAIT);
        ck_assert_msg(r != NULL, "waiter %d: no answer", i);
        ck_assert_str_eq(r, "ok\n");
    }
    const char *r = rfifo_reply(&a, WAIT);
    ck_assert_msg(r != NULL, "restart: no answer");
    ck_assert_str_eq(r, "web: started\nok\n");
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 100), 0);
    /* tend is intact and leaves through its normal exit (leak checks) */
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "status web"), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

/* ---- defect 13: b came up inside a's start, unheard ---- */

START_TEST(restart_all_with_dependency)
{
    T = th_start("[program:a]\n" SLEEPER "[program:b]\n" SLEEPER "depends_on = a\n");
    up_running(T, "b");
    char out[4096];
    const char *argv[] = { "-t", "5", "restart", "all", NULL };
    int rc = th_ctlv(T, out, sizeof out, argv);
    ck_assert_msg(rc == 0, "restart all: %d: %s", rc, out);
    ck_assert_msg(strstr(out, "a: started") && strstr(out, "b: started"), "%s", out);
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 100), 0);
    ck_assert_int_eq(th_wait_state(T, "b", "RUNNING", 100), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

/* ---- defect 6: a folder on the reply path swapped for a symlink ---- */

START_TEST(reply_path_swap)
{
    T = th_start("[program:web]\n" SLEEPER);
    up_running(T, "web");
    const char *d = T->dir;
    ck_assert_int_eq(mkdir(th_path(T, "a"), 0700), 0);
    ck_assert_int_eq(mkdir(th_path(T, "b"), 0700), 0);
    struct rfifo a;
    rfifo_make(&a, th_path(T, "a/reply"), 0600, (uid_t)-1);
    /* the decoy: a regular file tend must never open for writing */
    char decoy[PATH_MAX];
    snprintf(decoy, sizeof decoy, "%s", th_path(T, "b/reply"));
    ck_assert_int_eq(th_write_file(decoy, false, "decoy\n"), 0);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(inotify_add_watch(in, decoy, IN_CLOSE_WRITE | IN_MODIFY), 0);
    ck_assert_int_eq(symlink("a", th_path(T, "l")), 0);

    char link[PATH_MAX], tmp[PATH_MAX];
    snprintf(link, sizeof link, "%s/l", d);
    snprintf(tmp, sizeof tmp, "%s/l.tmp", d);
    pid_t swapper = fork();
    ck_assert_int_ge(swapper, 0);
    if (swapper == 0) {
        /* l -> a, l -> b, ... each swap atomic (rename over the link) */
        for (unsigned i = 0;; i++) {
            if (symlink(i & 1 ? "b" : "a", tmp) == 0)
                rename(tmp, link);
            else
                unlink(tmp);
        }
    }
    char req[PATH_MAX + 32];
    snprintf(req, sizeof req, "@%s/l/reply version\n", d);
    size_t reqlen = strlen(req);
    int ctl = open(T->control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(ctl, 0);
    int answered = 0, sent = 0;
    bool opened_decoy = false;
    char junk[4096];
    /* the old lstat-then-open code fell for it within a few thousand tries */
    uint64_t deadline = th_now_ms() + 5000;
    while (th_now_ms() < deadline && !opened_decoy) {
        ssize_t n = write(ctl, req, reqlen);
        if (n == (ssize_t)reqlen)
            sent++;
        else
            th_nap(1);
        ssize_t k;
        while ((k = read(a.fd, junk, sizeof junk)) > 0)
            for (ssize_t i = 0; i + 2 < k; i++)
                answered += junk[i] == 'o' && junk[i + 1] == 'k' && junk[i + 2] == '\n';
        char ev[4096];
        opened_decoy = read(in, ev, sizeof ev) > 0;
    }
    kill(swapper, SIGKILL);
    waitpid(swapper, NULL, 0);
    close(ctl);
    /* let tend finish the backlog, then look once more */
    barrier(T, "barrier", (uid_t)-1);
    char ev[4096];
    if (read(in, ev, sizeof ev) > 0)
        opened_decoy = true;
    close(in);
    char buf[64];
    ck_assert_int_eq(th_read_file(decoy, buf, sizeof buf), 6);
    ck_assert_msg(!opened_decoy, "tend opened the regular file %s for writing (%d requests)",
                  decoy, sent);
    ck_assert_msg(sent > 100, "only %d requests sent", sent);
    /* the path through l -> a still works when it points there */
    ck_assert_msg(answered > 0 || th_count_in_file(T->errlog, "not a FIFO") > 0,
                  "no request was handled (%d sent)", sent);
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

/* ---- defect 7: tend as the requester's deputy ---- */

START_TEST(deputy_others)
{
    if (!need_root("deputy_others"))
        return;
    T = th_new(NULL, "control_mode = 0622\n[program:web]\n" SLEEPER);
    ck_assert_int_eq(chmod(T->dir, 0711), 0);   /* others may reach the rundir */
    ck_assert_int_eq(th_spawn(T, NULL), 0);
    up_running(T, "web");
    /* root's FIFO, which nobody may not write: a privileged program's */
    struct rfifo priv, own;
    rfifo_make(&priv, th_path(T, "root.fifo"), 0600, (uid_t)-1);
    rfifo_make(&own, th_path(T, "nobody.fifo"), 0600, NOBODY);
    send_as(T, NOBODY, th_fmt("@%s status\n", priv.path));
    barrier(T, "b1", NOBODY);
    ck_assert_msg(rfifo_empty(&priv), "tend wrote into root's FIFO for nobody");
    ck_assert_int_ge(th_wait_file(T->errlog, th_fmt("refusing reply FIFO %s: owned by uid 0",
                                                    priv.path), WAIT), 0);
    /* nobody's own FIFO is answered */
    send_as(T, NOBODY, th_fmt("@%s status web\n", own.path));
    const char *r = rfifo_reply(&own, WAIT);
    ck_assert_msg(r && strstr(r, "RUNNING") && strstr(r, "\nok\n"), "nobody's reply: %s",
                  r ? r : "(none)");
    /* root's FIFO that anyone may write anyway is fair game */
    struct rfifo open_to_all;
    rfifo_make(&open_to_all, th_path(T, "all.fifo"), 0622, (uid_t)-1);
    send_as(T, NOBODY, th_fmt("@%s version\n", open_to_all.path));
    r = rfifo_reply(&open_to_all, WAIT);
    ck_assert_msg(r && strstr(r, "\nok\n"), "reply into a 0622 FIFO: %s", r ? r : "(none)");
    /* and nobody's fire-and-forget requests still act */
    send_as(T, NOBODY, "stop web\n");
    ck_assert_int_eq(th_wait_state(T, "web", "STOPPED", WAIT), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

START_TEST(deputy_group)
{
    if (!need_root("deputy_group"))
        return;
    struct group *gr = getgrgid(NOBODY);
    ck_assert_msg(gr != NULL, "no group %d", NOBODY);
    T = th_start("control_mode = 0620\ncontrol_group = %s\n[program:web]\n" SLEEPER,
                 gr->gr_name);
    up_running(T, "web");
    /* uid 1 (daemon) is not in group 65534; nobody's primary group is it */
    struct rfifo outsider, member;
    rfifo_make(&outsider, th_path(T, "daemon.fifo"), 0600, 1);
    rfifo_make(&member, th_path(T, "nobody.fifo"), 0600, NOBODY);
    SEND(T, th_fmt("@%s version\n", outsider.path));
    barrier(T, "b1", (uid_t)-1);
    ck_assert_msg(rfifo_empty(&outsider), "tend answered into a FIFO of a non-member");
    ck_assert_int_ge(th_wait_file(T->errlog, th_fmt("refusing reply FIFO %s: owned by uid 1",
                                                    outsider.path), WAIT), 0);
    SEND(T, th_fmt("@%s version\n", member.path));
    const char *r = rfifo_reply(&member, WAIT);
    ck_assert_msg(r && strstr(r, "\nok\n"), "member's reply: %s", r ? r : "(none)");
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

/* ---- minor items ---- */

START_TEST(partial_line)
{
    T = th_start("[program:a]\n" SLEEPER "[program:b]\n" SLEEPER);
    up_running(T, "a");
    ck_assert_int_eq(th_wait_state(T, "b", "RUNNING", WAIT), 0);
    SEND(T, "stop a");                   /* printf 'stop a' > control */
    ck_assert_int_eq(th_wait_state(T, "a", "STOPPED", WAIT), 0);
    ck_assert_int_ge(th_wait_file(T->errlog, "without a newline", WAIT), 0);
    struct rfifo r;
    rfifo_make(&r, th_path(T, "reply"), 0600, (uid_t)-1);
    SEND(T, th_fmt("@%s status b\n", r.path));
    const char *out = rfifo_reply(&r, WAIT);
    ck_assert_msg(out && strncmp(out, "b ", 2) == 0 && strstr(out, "RUNNING")
                  && strstr(out, "\nok\n"), "reply: %s", out ? out : "(none)");
    /* a line written in two pieces is still one request */
    int fd = open(T->control, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "sto", 3), 3);
    ck_assert_int_eq(write(fd, "p b\n", 4), 4);
    close(fd);
    ck_assert_int_eq(th_wait_state(T, "b", "STOPPED", WAIT), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

START_TEST(unknown_name_logged)
{
    T = th_start("[program:a]\n" SLEEPER);
    up_running(T, "a");
    SEND(T, "stop nope\n");
    ck_assert_int_ge(th_wait_file(T->errlog, "control: no such process: nope", WAIT), 0);
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 100), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

START_TEST(client_cap)
{
    enum { CAP = 256 };
    T = th_start("[program:a]\n" SLEEPER);
    up_running(T, "a");
    static struct rfifo w[CAP + 1];
    /* CAP waits that stay pending, then one more */
    for (int i = 0; i <= CAP; i++) {
        rfifo_make(&w[i], th_path(T, th_fmt("w%d", i)), 0600, (uid_t)-1);
        SEND(T, th_fmt("@%s wait a FATAL 60\n", w[i].path));
    }
    const char *r = rfifo_reply(&w[CAP], WAIT);
    ck_assert_msg(r != NULL, "no answer over the cap");
    ck_assert_str_eq(r, "error: too many clients\n");
    ck_assert_int_ge(th_wait_file(T->errlog, "too many clients", WAIT), 0);
    ck_assert_msg(rfifo_empty(&w[0]), "a waiter under the cap was answered");
    /* one done, one more fits */
    for (int i = 0; i < CAP; i++)
        close(w[i].fd);         /* readers gone: tend drops those clients */
    struct rfifo x;
    rfifo_make(&x, th_path(T, "x"), 0600, (uid_t)-1);
    uint64_t deadline = th_now_ms() + WAIT;
    const char *ans = NULL;
    while (!ans && th_now_ms() < deadline) {
        SEND(T, th_fmt("@%s version\n", x.path));
        ans = rfifo_reply(&x, 500);
    }
    ck_assert_msg(ans && strstr(ans, "\nok\n"), "after the cap: %s", ans ? ans : "(none)");
    ck_assert_int_eq(th_stop(T, SIGTERM, WAIT), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("control_safety");
    TCase *tc = tcase_create("control_safety");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, restart_while_waited);
    tcase_add_test(tc, restart_all_with_dependency);
    tcase_add_test(tc, reply_path_swap);
    tcase_add_test(tc, deputy_others);
    tcase_add_test(tc, deputy_group);
    tcase_add_test(tc, partial_line);
    tcase_add_test(tc, unknown_name_logged);
    tcase_add_test(tc, client_cap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
