/* test_notify.c - `ready = notify` (sd_notify) and depends_on ordering,
 * driven through the real tend with the notifier helper.
 *
 * The notifier logs its events (start, ready, term, parent-exit) with the
 * monotonic clock to %(here)s/events, one line each:
 * "TAG EVENT PID MICROSECONDS [ARG]"; the tests compare those times.
 */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

struct ev {
    pid_t pid;
    long long us;
    char arg[256];
};

/* The notifier's command line, logging as TAG to %(here)s/events. */
static const char *notifier(const char *tag, const char *opts)
{
    return th_fmt("%s -l %%(here)s/events -t %s %s", th_q(th_helper("notifier")), tag, opts);
}

static const char *events_path(struct th *t)
{
    return th_path(t, "events");
}

/* The first event EVENT of TAG: true if found. */
static bool find_event(struct th *t, const char *tag, const char *event, struct ev *out)
{
    FILE *f = fopen(events_path(t), "re");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char tg[64], evn[64], arg[256] = "";
        long pid;
        long long us;
        int n = sscanf(line, "%63s %63s %ld %lld %255s", tg, evn, &pid, &us, arg);
        if (n >= 4 && strcmp(tg, tag) == 0 && strcmp(evn, event) == 0) {
            if (out) {
                out->pid = (pid_t)pid;
                out->us = us;
                snprintf(out->arg, sizeof out->arg, "%s", arg);
            }
            found = true;
        }
    }
    fclose(f);
    return found;
}

static void wait_event(struct th *t, const char *tag, const char *event, struct ev *out,
                       int timeout_ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    while (!find_event(t, tag, event, out)) {
        if (th_now_ms() >= deadline) {
            th_dump(t, th_fmt("no '%s %s' event", tag, event));
            ck_abort_msg("%s never logged %s", tag, event);
        }
        th_nap(10);
    }
}

/* Send one datagram to an sd_notify address (path or @abstract). */
static void send_notify(const char *address, const char *msg)
{
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t len = strlen(address);
    ck_assert_uint_le(len, sizeof a.sun_path);
    memcpy(a.sun_path, address, len);
    if (a.sun_path[0] == '@')
        a.sun_path[0] = '\0';
    ssize_t r = sendto(s, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&a,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    ck_assert_msg(r == (ssize_t)strlen(msg), "sendto %s: %s", address, strerror(errno));
    close(s);
}

static void assert_state(struct th *t, const char *name, const char *state, int timeout_ms)
{
    ck_assert_msg(th_wait_state(t, name, state, timeout_ms) == 0, "%s never %s", name, state);
}

/* Poll `tendctl status NAME` until its output contains TEXT. */
static bool status_shows(struct th *t, const char *name, const char *text, int timeout_ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    char out[4096];
    do {
        out[0] = '\0';
        th_ctl(t, out, sizeof out, "status %s", name);
        if (strstr(out, text))
            return true;
        th_nap(50);
    } while (th_now_ms() < deadline);
    fprintf(stderr, "tendctl status %s said: %s\n", name, out);
    return false;
}

START_TEST(starting_until_ready)
{
    /* startsecs is not given: for notify it is the readiness timeout (90 s),
     * so neither "1 s up" nor a 1 s timeout may decide anything here. */
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\n",
                            notifier("a", "-d 1500"));
    struct ev start, ready;
    wait_event(t, "a", "start", &start, 5000);
    ck_assert_str_eq(start.arg, th_fmt("%s/notify/a.sock", t->rundir));
    struct stat st;
    ck_assert_int_eq(stat(start.arg, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));

    /* Up for more than startsecs' default of 1 s, but not ready: STARTING. */
    assert_state(t, "a", "STARTING", 2000);
    long long left = 1200 - ((long long)th_now_ms() - start.us / 1000);
    if (left > 0)   /* not on a badly loaded machine */
        ck_assert_int_eq(th_stays_state(t, "a", "STARTING", (int)left), 0);
    ck_assert(!find_event(t, "a", "ready", NULL));

    assert_state(t, "a", "RUNNING", 5000);
    ck_assert(find_event(t, "a", "ready", &ready));
    ck_assert_int_eq(ready.pid, start.pid);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "a", &p), 0);
    ck_assert_int_eq(p.pid, start.pid);
    ck_assert_int_eq(p.restarts, 0);

    ck_assert_int_eq(th_ctl(t, NULL, 0, "stop a"), 0);
    assert_state(t, "a", "STOPPED", 5000);
    ck_assert_int_eq(th_stop(t, SIGTERM, 10000), 0);
    /* The socket file goes with the program (or at the latest with tend). */
    ck_assert_int_eq(stat(start.arg, &st), -1);
    th_free(t);
}
END_TEST

START_TEST(status_text_shown)
{
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\n",
                            notifier("a", "-S warming-up -d 1500 -s serving-42-clients"));
    assert_state(t, "a", "STARTING", 5000);
    ck_assert_msg(status_shows(t, "a", "warming-up", 1000), "early STATUS= not shown");
    assert_state(t, "a", "RUNNING", 5000);
    ck_assert_msg(status_shows(t, "a", "serving-42-clients", 2000), "STATUS= not shown");
    th_free(t);
}
END_TEST

START_TEST(never_ready_fails)
{
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\nstartsecs = 1\n"
                            "startretries = 1\n",
                            notifier("a", "-n"));
    struct ev start;
    wait_event(t, "a", "start", &start, 5000);
    assert_state(t, "a", "BACKOFF", 4000);
    /* The first try was not left running. */
    ck_assert_int_eq(th_wait_gone(start.pid, 5000), 0);
    assert_state(t, "a", "FATAL", 10000);
    /* startretries = 1: two tries in all, each one ended by tend. */
    ck_assert_int_eq(th_count_in_file(events_path(t), "a start "), 2);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "a", &p), 0);
    ck_assert_int_eq(p.pid, 0);
    th_free(t);
}
END_TEST

START_TEST(unrelated_sender_ignored)
{
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\n",
                            notifier("a", "-d 2500"));
    struct ev start;
    wait_event(t, "a", "start", &start, 5000);
    assert_state(t, "a", "STARTING", 2000);

    /* From this test process, and from a child of it in another group,
     * even claiming the program's own pid as MAINPID. */
    send_notify(start.arg, "READY=1");
    send_notify(start.arg, th_fmt("MAINPID=%ld\nREADY=1", (long)getpid()));
    send_notify(start.arg, th_fmt("MAINPID=%ld\nREADY=1", (long)start.pid));
    pid_t c = fork();
    ck_assert_int_ge(c, 0);
    if (c == 0) {
        setpgid(0, 0);
        send_notify(start.arg, "READY=1\nSTATUS=forged");
        _exit(0);
    }
    int ws;
    ck_assert_int_eq(waitpid(c, &ws, 0), c);
    ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);

    /* Held until shortly before the real READY=1 (2.5 s after start). */
    long long left = 2200 - ((long long)th_now_ms() - start.us / 1000);
    ck_assert_msg(left > 200, "machine too slow for this test");
    ck_assert_int_eq(th_stays_state(t, "a", "STARTING", (int)(left < 1000 ? left : 1000)), 0);
    ck_assert(!find_event(t, "a", "ready", NULL));
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "a", &p), 0);
    ck_assert_int_eq(p.pid, start.pid);
    char out[4096] = "";
    th_ctl(t, out, sizeof out, "status a");
    ck_assert_msg(!strstr(out, "forged"), "forged STATUS shown: %s", out);
    /* The real one still counts. */
    assert_state(t, "a", "RUNNING", 5000);
    th_free(t);
}
END_TEST

START_TEST(mainpid_honoured)
{
    /* A daemon that forks: the child sends MAINPID=<child> and READY=1, the
     * parent (the pid tend spawned) then exits 0. tend follows the child. */
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\nstartsecs = 10\n",
                            notifier("a", "-f -m -d 300"));
    struct ev start, ready, pexit;
    wait_event(t, "a", "start", &start, 5000);
    wait_event(t, "a", "ready", &ready, 5000);
    ck_assert_int_ne(ready.pid, start.pid);
    wait_event(t, "a", "parent-exit", &pexit, 5000);
    assert_state(t, "a", "RUNNING", 5000);
    ck_assert_int_eq(th_wait_gone(start.pid, 5000), 0);
    /* The parent's exit is not the program's exit. */
    ck_assert_int_eq(th_stays_state(t, "a", "RUNNING", 1000), 0);
    char out[256] = "";
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "pid a"), 0);
    ck_assert_int_eq(atol(out), ready.pid);
    /* The status file shows the pid being followed. */
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "a", &p), 0);
    ck_assert_int_eq(p.restarts, 0);
    ck_assert_int_eq(p.pid, ready.pid);

    /* Stopping signals the main pid, and its exit ends the stop. */
    ck_assert_int_eq(th_ctl(t, NULL, 0, "stop a"), 0);
    assert_state(t, "a", "STOPPED", 5000);
    ck_assert(find_event(t, "a", "term", NULL));
    ck_assert_int_eq(th_wait_gone(ready.pid, 5000), 0);
    th_free(t);
}
END_TEST

START_TEST(mainpid_exit_is_program_exit)
{
    /* After MAINPID, the death of the main pid is what counts. */
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\nstartsecs = 10\n"
                            "autorestart = false\n",
                            notifier("a", "-f -m"));
    struct ev ready;
    wait_event(t, "a", "ready", &ready, 5000);
    assert_state(t, "a", "RUNNING", 5000);
    wait_event(t, "a", "parent-exit", NULL, 5000);
    ck_assert_int_eq(kill(ready.pid, SIGKILL), 0);
    assert_state(t, "a", "EXITED", 5000);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "a", &p), 0);
    ck_assert_str_eq(p.exit, "SIGKILL");
    th_free(t);
}
END_TEST

START_TEST(depends_on_waits_for_ready)
{
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\n"
                            "[program:b]\ncommand = %s\ndepends_on = a\nstartsecs = 0\n",
                            notifier("a", "-d 1000"), notifier("b", "-n"));
    assert_state(t, "b", "RUNNING", 10000);
    struct ev aready, bstart;
    ck_assert(find_event(t, "a", "ready", &aready));
    wait_event(t, "b", "start", &bstart, 5000); /* RUNNING at once: startsecs = 0 */
    ck_assert_msg(bstart.us >= aready.us, "b started %lld us before a was ready",
                  aready.us - bstart.us);
    assert_state(t, "a", "RUNNING", 1000);
    th_free(t);
}
END_TEST

START_TEST(start_starts_dependencies_first)
{
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\nautostart = false\n"
                            "[program:b]\ncommand = %s\ndepends_on = a\nautostart = false\n"
                            "startsecs = 0\n",
                            notifier("a", "-d 500"), notifier("b", "-n"));
    assert_state(t, "a", "STOPPED", 5000);
    assert_state(t, "b", "STOPPED", 5000);
    char out[1024] = "";
    int rc = th_ctl(t, out, sizeof out, "start b");
    ck_assert_msg(rc == 0, "tendctl start b: %d: %s", rc, out);
    assert_state(t, "b", "RUNNING", 5000);
    assert_state(t, "a", "RUNNING", 1000);
    struct ev aready, bstart;
    ck_assert(find_event(t, "a", "ready", &aready));
    wait_event(t, "b", "start", &bstart, 5000); /* RUNNING at once: startsecs = 0 */
    ck_assert_msg(bstart.us >= aready.us, "b started %lld us before a was ready",
                  aready.us - bstart.us);
    th_free(t);
}
END_TEST

START_TEST(stop_stops_dependents_first)
{
    struct th *t = th_start("[program:a]\ncommand = %s\nready = notify\n"
                            "[program:b]\ncommand = %s\ndepends_on = a\nstartsecs = 0\n",
                            notifier("a", "-d 100"), notifier("b", "-n"));
    assert_state(t, "b", "RUNNING", 10000);
    assert_state(t, "a", "RUNNING", 1000);
    char out[1024] = "";
    int rc = th_ctl(t, out, sizeof out, "stop a");
    ck_assert_msg(rc == 0, "tendctl stop a: %d: %s", rc, out);
    assert_state(t, "a", "STOPPED", 5000);
    assert_state(t, "b", "STOPPED", 5000);
    struct ev aterm, bterm;
    ck_assert(find_event(t, "a", "term", &aterm));
    ck_assert(find_event(t, "b", "term", &bterm));
    ck_assert_msg(bterm.us <= aterm.us, "a was stopped %lld us before b",
                  bterm.us - aterm.us);
    ck_assert_int_eq(th_wait_gone(bterm.pid, 1000), 0);
    th_free(t);
}
END_TEST

static Suite *notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("readiness");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, starting_until_ready);
    tcase_add_test(tc, status_text_shown);
    tcase_add_test(tc, never_ready_fails);
    tcase_add_test(tc, unrelated_sender_ignored);
    tcase_add_test(tc, mainpid_honoured);
    tcase_add_test(tc, mainpid_exit_is_program_exit);
    suite_add_tcase(s, tc);

    tc = tcase_create("ordering");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, depends_on_waits_for_ready);
    tcase_add_test(tc, start_starts_dependencies_first);
    tcase_add_test(tc, stop_stops_dependents_first);
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
