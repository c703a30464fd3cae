/* test_notify.c - the sd_notify socket module with a real loop and socket. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/loop.h"
#include "supervisor/notify.h"

#define MAX_GOT 64

static struct loop *loop;
static char tmpdir[64];
static char sockpath[128];
static struct {
    pid_t sender;
    struct notify_msg m;
} got[MAX_GOT];
static int ngot;
static bool close_in_cb;

static void on_msg(void *arg, pid_t sender, const struct notify_msg *m)
{
    if (ngot < MAX_GOT) {
        got[ngot].sender = sender;
        got[ngot].m = *m;
    }
    ngot++;
    if (close_in_cb)
        notify_close(arg ? *(struct notify **)arg : NULL);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_notify.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(sockpath, sizeof sockpath, "%s/p.sock", tmpdir);
    loop = loop_new();
    ck_assert_ptr_nonnull(loop);
    ngot = 0;
    close_in_cb = false;
}

static void teardown(void)
{
    unlink(sockpath);
    rmdir(tmpdir);
    loop_free(loop);
}

/* Send one datagram to ADDRESS (a path, or "@name" abstract) the way
 * sd_notify does, optionally passing descriptors. */
static int send_dgram(const char *address, const void *buf, size_t len, const int *fds,
                      int nfds)
{
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t alen = strlen(address);
    ck_assert_uint_lt(alen, sizeof a.sun_path + 1);
    memcpy(a.sun_path, address, alen);
    if (a.sun_path[0] == '@')
        a.sun_path[0] = '\0';
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    union {
        struct cmsghdr align;
        char b[CMSG_SPACE(sizeof(int) * 8)];
    } ctl;
    struct msghdr mh = {
        .msg_name = &a,
        .msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + alen),
        .msg_iov = &iov, .msg_iovlen = 1,
    };
    if (nfds > 0) {
        memset(&ctl, 0, sizeof ctl);
        mh.msg_control = ctl.b;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t r = sendmsg(s, &mh, MSG_NOSIGNAL);
    int e = errno;
    close(s);
    errno = e;
    return r < 0 ? -1 : 0;
}

static void send_str(const char *address, const char *s)
{
    ck_assert_int_eq(send_dgram(address, s, strlen(s), NULL, 0), 0);
}

static bool timed_out;
static void on_timeout(struct loop *l, struct timer *t)
{
    (void)l;
    (void)t;
    timed_out = true;
}

/* Run the loop until N messages arrived, or 2 s passed. */
static void run_until(int n)
{
    struct timer t;
    timer_init(&t, on_timeout, NULL);
    timed_out = false;
    timer_arm(loop, &t, 2000);
    while (ngot < n && !timed_out)
        ck_assert_int_eq(loop_run_once(loop), 0);
    timer_disarm(loop, &t);
}

static struct notify *open_at(const char *path)
{
    char err[256] = "";
    struct notify *n = notify_open(loop, path, on_msg, NULL, err, sizeof err);
    ck_assert_msg(n != NULL, "notify_open: %s", err);
    return n;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

START_TEST(ready_with_sender_pid)
{
    struct notify *n = open_at(sockpath);
    ck_assert_str_eq(notify_address(n), sockpath);
    struct stat st;
    ck_assert_int_eq(stat(sockpath, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));

    /* From a child: the pid is the kernel's, not ours. */
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        const char *msg = "READY=1";
        _exit(send_dgram(sockpath, msg, strlen(msg), NULL, 0) == 0 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(c, &status, 0), c);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    ck_assert_int_eq(got[0].sender, c);
    ck_assert(got[0].m.ready);
    ck_assert(!got[0].m.stopping);
    ck_assert(!got[0].m.has_status);
    ck_assert_int_eq(got[0].m.mainpid, 0);

    send_str(sockpath, "STOPPING=1\n");
    run_until(2);
    ck_assert_int_eq(got[1].sender, getpid());
    ck_assert(got[1].m.stopping && !got[1].m.ready);

    notify_close(n);
    ck_assert_int_eq(stat(sockpath, &st), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(status_truncated)
{
    struct notify *n = open_at(sockpath);
    char msg[400] = "STATUS=";
    memset(msg + 7, 'x', 300);
    msg[307] = '\0';
    send_str(sockpath, msg);
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    ck_assert(got[0].m.has_status);
    ck_assert_uint_eq(strlen(got[0].m.status), 127);
    ck_assert_int_eq(got[0].m.status[0], 'x');

    /* A two-byte UTF-8 character straddling the limit is left out whole. */
    char u[200] = "STATUS=";
    memset(u + 7, 'a', 126);
    strcpy(u + 7 + 126, "\xc3\xa9zz");
    send_str(sockpath, u);
    run_until(2);
    ck_assert_uint_eq(strlen(got[1].m.status), 126);

    /* Control characters never reach a status line; empty STATUS clears. */
    send_str(sockpath, "STATUS=a\rb\tc");
    send_str(sockpath, "STATUS=");
    run_until(4);
    ck_assert_str_eq(got[2].m.status, "a?b?c");
    ck_assert(got[3].m.has_status);
    ck_assert_str_eq(got[3].m.status, "");
    notify_close(n);
}
END_TEST

START_TEST(mainpid_parsed_and_checked)
{
    struct notify_msg m;
    ck_assert(notify_parse("MAINPID=4242", 12, &m));
    ck_assert_int_eq(m.mainpid, 4242);
    static const char *bad[] = {
        "MAINPID=", "MAINPID=0", "MAINPID=-5", "MAINPID=12x", "MAINPID= 12",
        "MAINPID=+12", "MAINPID=99999999999", "MAINPID=4194305", "MAINPID=0x10",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!notify_parse(bad[i], strlen(bad[i]), &m), "%s accepted", bad[i]);
        ck_assert_int_eq(m.mainpid, 0);
    }
    /* A bad MAINPID does not spoil the rest of the message. */
    ck_assert(notify_parse("MAINPID=x\nREADY=1", 17, &m));
    ck_assert(m.ready);
    ck_assert_int_eq(m.mainpid, 0);
    /* READY must be exactly 1. */
    ck_assert(!notify_parse("READY=0", 7, &m));
    ck_assert(!notify_parse("READY=11", 8, &m));
    ck_assert(!notify_parse("READY", 5, &m));

    struct notify *n = open_at(sockpath);
    send_str(sockpath, "MAINPID=77");
    send_str(sockpath, "MAINPID=7x\nREADY=1");
    run_until(2);
    ck_assert_int_eq(got[0].m.mainpid, 77);
    ck_assert(!got[0].m.ready);
    ck_assert_int_eq(got[1].m.mainpid, 0);
    ck_assert(got[1].m.ready);
    notify_close(n);
}
END_TEST

START_TEST(multi_key_and_unknown)
{
    struct notify *n = open_at(sockpath);
    send_str(sockpath, "WATCHDOG=1\nFDSTORE=1");        /* nothing for us: no call */
    send_str(sockpath, "STATUS=serving\nMAINPID=42\nX-FOO=bar\nREADY=1\n");
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    ck_assert(got[0].m.ready);
    ck_assert(got[0].m.has_status);
    ck_assert_str_eq(got[0].m.status, "serving");
    ck_assert_int_eq(got[0].m.mainpid, 42);
    notify_close(n);
}
END_TEST

START_TEST(drains_every_datagram)
{
    struct notify *n = open_at(sockpath);
    for (int i = 0; i < 8; i++)  /* max_dgram_qlen may be 10 */
        send_str(sockpath, "READY=1");
    /* One wakeup takes everything queued. */
    ck_assert_int_eq(loop_run_once(loop), 0);
    ck_assert_int_eq(ngot, 8);
    notify_close(n);
}
END_TEST

START_TEST(oversized_dropped)
{
    struct notify *n = open_at(sockpath);
    size_t big = NOTIFY_MAX_DATAGRAM + 100;
    char *buf = malloc(big);
    ck_assert_ptr_nonnull(buf);
    memset(buf, 'a', big);
    memcpy(buf, "READY=1\nSTATUS=", 15);
    ck_assert_int_eq(send_dgram(sockpath, buf, big, NULL, 0), 0);
    free(buf);
    send_str(sockpath, "STATUS=after");
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    ck_assert(!got[0].m.ready);
    ck_assert_str_eq(got[0].m.status, "after");

    /* Exactly the limit is still fine. */
    buf = malloc(NOTIFY_MAX_DATAGRAM);
    ck_assert_ptr_nonnull(buf);
    memset(buf, 'b', NOTIFY_MAX_DATAGRAM);
    memcpy(buf, "READY=1\nSTATUS=", 15);
    ck_assert_int_eq(send_dgram(sockpath, buf, NOTIFY_MAX_DATAGRAM, NULL, 0), 0);
    free(buf);
    run_until(2);
    ck_assert_int_eq(ngot, 2);
    ck_assert(got[1].m.ready);
    ck_assert_uint_eq(strlen(got[1].m.status), 127);
    notify_close(n);
}
END_TEST

START_TEST(passed_fds_closed)
{
    struct notify *n = open_at(sockpath);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    int fds[4] = { p[0], p[1], p[0], p[1] };
    int before = count_fds() - 2;               /* without the pipe */
    ck_assert_int_eq(send_dgram(sockpath, "FDSTORE=1", 9, fds, 4), 0);
    ck_assert_int_eq(send_dgram(sockpath, "READY=1", 7, fds, 4), 0);
    close(p[0]);
    close(p[1]);
    ck_assert_int_eq(count_fds(), before);
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    ck_assert(got[0].m.ready);
    ck_assert_int_eq(count_fds(), before);
    notify_close(n);
    ck_assert_int_eq(count_fds(), before - 1);  /* the socket itself is gone too */
}
END_TEST

START_TEST(long_path_falls_back_to_abstract)
{
    char path[300];
    int len = snprintf(path, sizeof path, "%s/", tmpdir);
    while (len < 200)
        len += snprintf(path + len, sizeof path - (size_t)len, "deep/");
    snprintf(path + len, sizeof path - (size_t)len, "web.sock");
    struct notify *n = open_at(path);
    char want[64];
    snprintf(want, sizeof want, "@tend/%ld/web.sock", (long)getpid());
    ck_assert_str_eq(notify_address(n), want);
    send_str(notify_address(n), "READY=1");
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    ck_assert_int_eq(got[0].sender, getpid());

    /* A basename too long for any address still gets a unique name. */
    char path2[400];
    snprintf(path2, sizeof path2, "%s/%0200d.sock", tmpdir, 7);
    struct notify *n2 = open_at(path2);
    ck_assert(notify_address(n2)[0] == '@');
    ck_assert_uint_le(strlen(notify_address(n2)), 108);
    send_str(notify_address(n2), "STATUS=two");
    run_until(2);
    ck_assert_str_eq(got[1].m.status, "two");
    notify_close(n2);
    notify_close(n);
}
END_TEST

START_TEST(abstract_on_request)
{
    char name[64];
    snprintf(name, sizeof name, "@tend-test/%ld/x", (long)getpid());
    struct notify *n = open_at(name);
    ck_assert_str_eq(notify_address(n), name);
    send_str(name, "READY=1");
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    /* The name is taken while open, free again after close. */
    char err[256] = "";
    ck_assert_ptr_null(notify_open(loop, name, on_msg, NULL, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "in use"));
    notify_close(n);
    n = open_at(name);
    notify_close(n);
}
END_TEST

START_TEST(stale_socket_replaced_other_file_refused)
{
    struct notify *n = open_at(sockpath);
    struct notify *n2;
    char err[256] = "";
    /* The file of an earlier socket (as after a crash) is replaced. */
    n2 = notify_open(loop, sockpath, on_msg, NULL, err, sizeof err);
    ck_assert_msg(n2 != NULL, "%s", err);
    send_str(sockpath, "READY=1");
    run_until(1);
    ck_assert_int_eq(ngot, 1);
    notify_close(n2);
    notify_close(n);

    int rf = open(sockpath, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ck_assert_int_ge(rf, 0);
    close(rf);
    err[0] = '\0';
    ck_assert_ptr_null(notify_open(loop, sockpath, on_msg, NULL, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "not a socket"));
    struct stat st;
    ck_assert_int_eq(stat(sockpath, &st), 0);               /* left alone */

    snprintf(err, sizeof err, "x");
    char missing[200];
    snprintf(missing, sizeof missing, "%s/nodir/x.sock", tmpdir);
    ck_assert_ptr_null(notify_open(loop, missing, on_msg, NULL, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "nodir"));
}
END_TEST

START_TEST(close_from_callback)
{
    static struct notify *n;
    char err[256];
    n = notify_open(loop, sockpath, on_msg, &n, err, sizeof err);
    ck_assert_ptr_nonnull(n);
    close_in_cb = true;
    send_str(sockpath, "READY=1");
    send_str(sockpath, "READY=1");
    ck_assert_int_eq(loop_run_once(loop), 0);
    /* Closed by the first message: the second is never delivered. */
    ck_assert_int_eq(ngot, 1);
    struct stat st;
    ck_assert_int_eq(stat(sockpath, &st), -1);
}
END_TEST

static Suite *notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("socket");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, ready_with_sender_pid);
    tcase_add_test(tc, status_truncated);
    tcase_add_test(tc, mainpid_parsed_and_checked);
    tcase_add_test(tc, multi_key_and_unknown);
    tcase_add_test(tc, drains_every_datagram);
    tcase_add_test(tc, oversized_dropped);
    tcase_add_test(tc, passed_fds_closed);
    tcase_add_test(tc, long_path_falls_back_to_abstract);
    tcase_add_test(tc, abstract_on_request);
    tcase_add_test(tc, stale_socket_replaced_other_file_refused);
    tcase_add_test(tc, close_from_callback);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(notify_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
