/* test_health.c - issue 14 through the real binary: readiness probes gating
 * depends_on, health checks and their actions, the restart policy knobs,
 * environment files. Servers are the netserve helper on 127.0.0.1. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 15000

static char out[1 << 14];

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Line number (0-based) of the first line of FILE holding NEEDLE, or -1. */
static int line_of(const char *file, const char *needle)
{
    static char text[1 << 18];
    if (th_read_file(file, text, sizeof text) < 0)
        return -1;
    int n = 0;
    for (char *l = text; *l; n++) {
        char *end = strchr(l, '\n');
        if (end)
            *end = 0;
        if (strstr(l, needle))
            return n;
        if (!end)
            break;
        l = end + 1;
    }
    return -1;
}

/* ready = tcp: keeps srv STARTING until it listens; web, which depends on
 * it, starts only then. */
START_TEST(ready_tcp_gates_dependents)
{
    int port = free_port();
    struct th *t = th_start("[program:srv]\ncommand = %s -d 1500 %d\nready = tcp:%d\n"
                            "ready_interval = 0.1\nstartsecs = 20\n"
                            "[program:web]\ncommand = sleep 3101\nstartsecs = 0\n"
                            "depends_on = srv\n",
                            th_helper("netserve"), port, port);
    ck_assert_int_eq(th_wait_state(t, "srv", "STARTING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    int ready = line_of(t->errlog, "srv: STARTING -> RUNNING (ready: its probe answered)");
    int web = line_of(t->errlog, "web: STOPPED -> STARTING");
    ck_assert_msg(ready >= 0 && web > ready, "web started at line %d, srv ready at line %d", web,
                  ready);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* ready = exec: the command's exit status decides. */
START_TEST(ready_exec)
{
    struct th *t = th_new(NULL, "%s", "");
    char flag[PATH_MAX];
    snprintf(flag, sizeof flag, "%s", th_path(t, "flag"));
    ck_assert_int_eq(th_config(t, NULL, "[program:w]\ncommand = sleep 3102\n"
                                        "ready = exec:test -e %s\nready_interval = 0.1\n"
                                        "startsecs = 20\n", flag), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "w", "STARTING", WAIT), 0);
    ck_assert_int_eq(th_stays_state(t, "w", "STARTING", 500), 0);
    ck_assert_int_eq(th_write_file(flag, false, "x"), 0);
    ck_assert_int_eq(th_wait_state(t, "w", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A readiness probe that never succeeds is a failed start, with the
 * probe's reason. */
START_TEST(ready_timeout_is_failed_start)
{
    int port = free_port();
    struct th *t = th_start("[program:w]\ncommand = sleep 3103\nready = tcp:%d\n"
                            "ready_interval = 0.1\nstartsecs = 1\nstartretries = 0\n", port);
    ck_assert_int_eq(th_wait_state(t, "w", "FATAL", WAIT), 0);
    ck_assert_int_gt(th_count_in_file(t->errlog, "not ready within 1 s (Connection refused)"),
                     0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static struct th *health_server(const char *action, char *statusfile, size_t len)
{
    int port = free_port();
    struct th *t = th_new(NULL, "%s", "");
    snprintf(statusfile, len, "%s", th_path(t, "code"));
    ck_assert_int_eq(th_write_file(statusfile, false, "200\n"), 0);
    ck_assert_int_eq(th_config(t, NULL, "[program:srv]\ncommand = %s -s %s %d\n"
                                        "ready = tcp:%d\nready_interval = 0.1\nstartsecs = 20\n"
                                        "healthcheck = http://127.0.0.1:%d/health\n"
                                        "healthcheck_interval = 0.2\nhealthcheck_retries = 2\n"
                                        "healthcheck_action = %s\n",
                               th_helper("netserve"), statusfile, port, port, port, action), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "srv", "RUNNING", WAIT), 0);
    return t;
}

/* Unhealthy with action none: reported (status exit 3, --json), never
 * restarted, and healthy again once the check passes. */
START_TEST(health_none_reports)
{
    char code[PATH_MAX];
    struct th *t = health_server("none", code, sizeof code);
    pid_t pid = th_pid(t, "srv");
    uint64_t end = th_now_ms() + WAIT;
    while (!strstr(out, "\"health\": \"healthy\"")) {
        ck_assert_msg(th_now_ms() < end, "never healthy: %s", out);
        th_ctl(t, out, sizeof out, "status --json srv");
        th_nap(50);
    }
    ck_assert_int_eq(th_write_file(code, false, "503\n"), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "srv: unhealthy (2 failures: HTTP status 503)",
                                  WAIT), 0);
    int rc = th_ctl(t, out, sizeof out, "status srv");
    ck_assert_msg(rc == 3 && strstr(out, "unhealthy (") && strstr(out, "HTTP status 503"),
                  "status: %d: %s", rc, out);
    rc = th_ctl(t, out, sizeof out, "status --json srv");
    ck_assert_msg(rc == 3 && strstr(out, "\"health\": \"unhealthy\""), "json: %d: %s", rc, out);
    ck_assert_int_eq(th_write_file(code, false, "200\n"), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "srv: healthy again", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status srv"), 0);
    ck_assert_int_eq(th_pid(t, "srv"), pid);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Unhealthy with action restart: restarted (a new pid), counted. */
START_TEST(health_restart)
{
    char code[PATH_MAX];
    struct th *t = health_server("restart", code, sizeof code);
    pid_t pid = th_pid(t, "srv");
    ck_assert_int_eq(th_write_file(code, false, "500\n"), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "srv: unhealthy (2 failures: HTTP status 500), "
                                             "restarting it", WAIT), 0);
    uint64_t end = th_now_ms() + WAIT;
    for (;;) {
        char st[32];
        pid_t now = 0;
        int restarts = 0;
        if (th_status(t, "srv", st, sizeof st, &now, NULL, 0, &restarts) == 0 && now > 0 &&
            now != pid && restarts >= 1)
            break;
        ck_assert_msg(th_now_ms() < end, "srv was not restarted");
        th_nap(20);
    }
    ck_assert_int_eq(th_wait_gone(pid, WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A health probe at a port that never answers (a full backlog) must not
 * slow tend down: `status` is answered at once meanwhile. */
START_TEST(stuck_probe_does_not_delay_status)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    int fill[4];
    for (int i = 0; i < 4; i++) { /* fill the backlog: the next SYN is dropped */
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    struct th *t = th_start("[program:w]\ncommand = sleep 3104\nstartsecs = 0\n"
                            "healthcheck = tcp:%d\nhealthcheck_interval = 0.05\n"
                            "healthcheck_timeout = 30\n"
                            "[program:crash]\ncommand = sh -c 'exit 1'\nstartsecs = 0\n"
                            "autorestart = true\nbackoff_max = 0.2\n",
                            ntohs(a.sin_port));
    ck_assert_int_eq(th_wait_state(t, "w", "RUNNING", WAIT), 0);
    th_nap(300); /* let the first check be under way; it hangs for 30 s */
    uint64_t worst = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = th_now_ms();
        ck_assert_int_eq(th_ctl(t, out, sizeof out, "status w"), 0);
        uint64_t took = th_now_ms() - t0;
        if (took > worst)
            worst = took;
    }
    printf("stuck_probe_does_not_delay_status: slowest status %llu ms\n",
           (unsigned long long)worst);
    ck_assert_msg(worst < 100, "status took %llu ms while a probe hung",
                  (unsigned long long)worst);
    /* and restarts of other programs go on */
    int restarts = 0;
    uint64_t end = th_now_ms() + WAIT;
    while (th_status(t, "crash", NULL, 0, NULL, NULL, 0, &restarts) != 0 || restarts < 3) {
        ck_assert_msg(th_now_ms() < end, "crash restarted only %d times", restarts);
        th_nap(20);
    }
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
}
END_TEST

/* restart_limit_count: more restarts within the interval is FATAL. */
START_TEST(restart_limit_is_fatal)
{
    struct th *t = th_start("on_fatal = shutdown\n"
                            "[program:c]\ncommand = sh -c 'exit 1'\nstartsecs = 0\n"
                            "autorestart = true\nbackoff_max = 0.1\nrestart_limit_count = 3\n"
                            "restart_limit_interval = 60\n");
    ck_assert_int_eq(th_wait_exit(t, WAIT), 1);
    ck_assert_int_gt(th_count_in_file(t->errlog, "c: RUNNING -> FATAL"), 0);
    ck_assert_int_gt(th_count_in_file(t->errlog, "restarted 3 times in 60 s"), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "c: EXITED -> STARTING"), 3);
    th_free(t);
}
END_TEST

/* An unhealthy program restarted past restart_limit_count is stopped first
 * and only then FATAL: never FATAL with its process still running. */
START_TEST(health_restart_limit_stops_then_fatal)
{
    struct th *t = th_start("[program:h]\ncommand = sleep 3039\nstartsecs = 0\n"
                            "healthcheck = exec:/bin/false\nhealthcheck_interval = 0.05\n"
                            "healthcheck_retries = 1\nhealthcheck_action = restart\n"
                            "restart_limit_count = 2\nrestart_limit_interval = 60\n");
    ck_assert_int_eq(th_wait_state(t, "h", "FATAL", WAIT), 0);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "h", &p), 0);
    ck_assert_int_eq(p.pid, 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "h: RUNNING -> FATAL"), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "h: STOPPING -> FATAL (unhealthy; restarted 2 "
                                                 "times in 60 s"), 1);
    /* no sleep of h's left behind */
    char pg[4096];
    const char *argv[] = {"pgrep", "-f", "sleep 3039", NULL};
    ck_assert_int_ne(th_run(argv, pg, sizeof pg, 5000), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* startretries = forever never gives up; backoff_max caps the wait. */
START_TEST(startretries_forever)
{
    struct th *t = th_start("[program:c]\ncommand = sh -c 'exit 1'\nstartsecs = 1\n"
                            "startretries = forever\nbackoff_max = 0.2\n");
    ck_assert_int_eq(th_wait_file(t->errlog, "c: STARTING -> BACKOFF (exit status 1; retry 6 in",
                                  WAIT), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "FATAL"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* environment_file: read at every start, after [supervisor]'s, under the
 * program's own environment. */
START_TEST(environment_file_each_start)
{
    struct th *t = th_new(NULL, "%s", "");
    char envf[PATH_MAX], got[PATH_MAX];
    snprintf(envf, sizeof envf, "%s", th_path(t, "app.env"));
    snprintf(got, sizeof got, "%s", th_path(t, "got"));
    ck_assert_int_eq(th_write_file(envf, false, "# settings\nexport FOO='one two'\n"
                                                "BAR=file\n"), 0);
    ck_assert_int_eq(th_config(t, NULL, "[program:w]\ncommand = sh -c 'echo \"$FOO/$BAR\" > %s;"
                                        " exec sleep 3105'\nstartsecs = 0\n"
                                        "environment_file = %s\nenvironment = BAR=own\n",
                               got, envf), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_file(got, "one two/own\n", WAIT), 0);
    ck_assert_int_eq(th_write_file(envf, false, "FOO=three\n"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "restart w"), 0);
    ck_assert_int_eq(th_wait_file(got, "three/own\n", WAIT), 0);
    /* a file that became unreadable is a failed start, with its name */
    ck_assert_int_eq(unlink(envf), 0);
    int rc = th_ctl(t, out, sizeof out, "restart w");
    ck_assert_int_eq(rc, 1);
    ck_assert_int_gt(th_count_in_file(t->errlog, "app.env"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("health");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ready_tcp_gates_dependents);
    tcase_add_test(tc, ready_exec);
    tcase_add_test(tc, ready_timeout_is_failed_start);
    tcase_add_test(tc, health_none_reports);
    tcase_add_test(tc, health_restart);
    tcase_add_test(tc, stuck_probe_does_not_delay_status);
    tcase_add_test(tc, restart_limit_is_fatal);
    tcase_add_test(tc, health_restart_limit_stops_then_fatal);
    tcase_add_test(tc, startretries_forever);
    tcase_add_test(tc, environment_file_each_start);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
