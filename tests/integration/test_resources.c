/* test_resources.c - issue 18 through the real binary: rlimit_*, nice and
 * oom_score_adj read back from /proc by the child; refused values as failed
 * starts naming the key; minfds / minprocs raising tend's own limits; a
 * changed limit applied by reload. */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 10000

static char out[1 << 14];

/* The soft and hard figures of the line of /proc/PID/limits text TEXT that
 * starts with WHAT ("Max open files"); "unlimited" as -1. 0 or -1. */
static int limit_of(const char *text, const char *what, long long *soft, long long *hard)
{
    const char *l = strstr(text, what);
    if (!l)
        return -1;
    l += strlen(what);
    char s[32], h[32];
    if (sscanf(l, " %31s %31s", s, h) != 2)
        return -1;
    *soft = strcmp(s, "unlimited") ? atoll(s) : -1;
    *hard = strcmp(h, "unlimited") ? atoll(h) : -1;
    return 0;
}

static void assert_limit(const char *text, const char *what, long long soft, long long hard)
{
    long long s, h;
    ck_assert_msg(limit_of(text, what, &s, &h) == 0, "no '%s' in:\n%s", what, text);
    ck_assert_msg(s == soft && h == hard, "%s: %lld:%lld, expected %lld:%lld", what, s, h, soft,
                  hard);
}

/* The program writes what it got: its limits, oom_score_adj and nice
 * (field 19 of /proc/PID/stat), then stays. */
#define REPORT_CMD \
    "sh -c 'cat /proc/$$/limits > @DIR@/%s.limits; cat /proc/$$/oom_score_adj > @DIR@/%s.oom; " \
    "cut -d\" \" -f19 /proc/$$/stat > @DIR@/%s.nice; echo done >> @DIR@/%s.oom; exec sleep 100'"

static char *report(struct th *t, const char *name, const char *ext)
{
    static char buf[4][8192];
    static int n;
    char *b = buf[n++ % 4];
    const char *p = th_path(t, th_fmt("%s.%s", name, ext));
    if (!strcmp(ext, "limits"))
        ck_assert_int_eq(th_wait_file(th_path(t, th_fmt("%s.oom", name)), "done", WAIT), 0);
    ck_assert_int_ge(th_read_file(p, b, 8192), 0);
    return b;
}

START_TEST(limits_read_back)
{
    struct th *t = th_start(
        "[program:a]\ncommand = " REPORT_CMD "\nstartsecs = 0\n"
        "rlimit_nofile = 1000:2000\nrlimit_nproc = 3000\nrlimit_core = unlimited\n"
        "rlimit_as = 2GB:unlimited\nrlimit_data = 1GB\nrlimit_stack = 4MB:16MB\n"
        "rlimit_memlock = 64KB\nrlimit_fsize = 100MB\nrlimit_cpu = 3600:7200\n"
        "nice = 7\noom_score_adj = 321\n"
        "[program:plain]\ncommand = " REPORT_CMD "\nstartsecs = 0\n",
        "a", "a", "a", "a", "plain", "plain", "plain", "plain");
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    const char *l = report(t, "a", "limits");
    assert_limit(l, "Max open files", 1000, 2000);
    assert_limit(l, "Max processes", 3000, 3000);
    assert_limit(l, "Max core file size", -1, -1);
    assert_limit(l, "Max address space", 2LL << 30, -1);
    assert_limit(l, "Max data size", 1LL << 30, 1LL << 30);
    assert_limit(l, "Max stack size", 4LL << 20, 16LL << 20);
    assert_limit(l, "Max locked memory", 64LL << 10, 64LL << 10);
    assert_limit(l, "Max file size", 100LL << 20, 100LL << 20);
    assert_limit(l, "Max cpu time", 3600, 7200);
    ck_assert_int_eq(atoi(report(t, "a", "oom")), 321);
    ck_assert_int_eq(atoi(report(t, "a", "nice")), 7);

    /* a program without the keys gets tend's own */
    struct rlimit mine;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &mine), 0);
    l = report(t, "plain", "limits");
    assert_limit(l, "Max open files", (long long)mine.rlim_cur,
                 mine.rlim_max == RLIM_INFINITY ? -1 : (long long)mine.rlim_max);
    ck_assert_int_eq(atoi(report(t, "plain", "nice")), getpriority(PRIO_PROCESS, 0));
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A hard limit above fs.nr_open is refused even to root: a failed start
 * that names the key, the value and the errno, in the log and in status. */
START_TEST(refused_rlimit_is_failed_start)
{
    struct th *t = th_start("[program:x]\ncommand = sleep 100\nstartretries = 0\n"
                            "rlimit_nofile = 10:2000000000\n"
                            "[program:ok]\ncommand = sleep 100\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "x", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "ok", "RUNNING", WAIT), 0);
    const char *want = "cannot set rlimit_nofile = 10:2000000000 for /usr/bin/sleep: "
                       "Operation not permitted";
    ck_assert_int_eq(th_wait_file(t->errlog, want, WAIT), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status x"), 3);
    ck_assert_msg(strstr(out, "rlimit_nofile"), "status: %s", out);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* As an unprivileged tend, a lower nice or oom_score_adj is refused: each a
 * failed start naming the key and the errno. */
START_TEST(refused_nice_and_oom_unprivileged)
{
    if (geteuid() != 0)
        return; /* needs root to become nobody; as nobody already: same test */
    struct th_opts o = { .as_nobody = true, .no_rundir = true };
    struct th *t = th_new(&o, "[supervisor]\nrundir = @DIR@/nrun\n"
                          "[program:n]\ncommand = sleep 100\nstartretries = 0\nnice = -5\n"
                          "[program:o]\ncommand = sleep 100\nstartretries = 0\n"
                          "oom_score_adj = -500\n"
                          "[program:fine]\ncommand = sleep 100\nstartsecs = 0\nnice = 3\n"
                          "oom_score_adj = 200\n");
    ck_assert_int_eq(chmod(t->dir, 0755), 0);
    ck_assert_int_eq(mkdir(th_path(t, "nrun"), 0700), 0);
    ck_assert_int_eq(chown(th_path(t, "nrun"), 65534, 65534), 0);
    snprintf(t->rundir, sizeof t->rundir, "%s/nrun", t->dir);
    snprintf(t->control, sizeof t->control, "%s/nrun/control", t->dir);
    snprintf(t->statusfile, sizeof t->statusfile, "%s/nrun/status", t->dir);
    ck_assert_int_eq(th_spawn(t, &o), 0);
    ck_assert_int_eq(th_wait_state(t, "n", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "o", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "fine", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "cannot set nice = -5 for /usr/bin/sleep: "
                                  "Permission denied", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "cannot set oom_score_adj = -500 for "
                                  "/usr/bin/sleep: Permission denied", WAIT), 0);
    pid_t pid = th_pid(t, "fine");
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(getpriority(PRIO_PROCESS, (id_t)pid), 3);
    char buf[32];
    ck_assert_int_gt(th_read_file(th_fmt("/proc/%d/oom_score_adj", (int)pid), buf, sizeof buf), 0);
    ck_assert_int_eq(atoi(buf), 200);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* minfds and minprocs raise tend's limits (children inherit them); the
 * test process lowers its own soft limits first, so each is a real raise. */
START_TEST(minfds_raises_tends_limit)
{
    struct rlimit low = { 256, 0 }, lowp = { 500, 0 };
    struct rlimit cur;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &cur), 0);
    low.rlim_max = cur.rlim_max;
    ck_assert_int_eq(getrlimit(RLIMIT_NPROC, &cur), 0);
    lowp.rlim_max = cur.rlim_max;
    if (lowp.rlim_max != RLIM_INFINITY && lowp.rlim_max < 1000)
        lowp.rlim_max = 1000;  /* as root we may; else the test below fails loudly */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    ck_assert_int_eq(setrlimit(RLIMIT_NPROC, &lowp), 0);
    struct th *t = th_start("minfds = 3000\nminprocs = 900\n"
                            "[program:a]\ncommand = " REPORT_CMD "\nstartsecs = 0\n",
                            "a", "a", "a", "a");
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    char tl[8192];
    ck_assert_int_gt(th_read_file(th_fmt("/proc/%d/limits", (int)t->pid), tl, sizeof tl), 0);
    long long s, h;
    ck_assert_int_eq(limit_of(tl, "Max open files", &s, &h), 0);
    ck_assert_int_eq(s, 3000);
    ck_assert_int_eq(limit_of(tl, "Max processes", &s, &h), 0);
    ck_assert_int_eq(s, 900);
    ck_assert_int_eq(limit_of(report(t, "a", "limits"), "Max open files", &s, &h), 0);
    ck_assert_int_eq(s, 3000);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A minfds beyond what the kernel allows: tend exits 1 with the reason
 * before it starts anything. */
START_TEST(minfds_impossible_exits_1)
{
    struct th *t = th_start("minfds = 2000000000\n"
                            "[program:a]\ncommand = sh -c 'touch @DIR@/ran; exec sleep 100'\n");
    ck_assert_int_eq(th_wait_exit(t, WAIT), 1);
    ck_assert_int_eq(th_wait_file(t->errlog, "minfds = 2000000000: cannot raise RLIMIT_NOFILE",
                                  WAIT), 0);
    ck_assert(access(th_path(t, "ran"), F_OK) < 0);
    th_free(t);
}
END_TEST

/* reload restarts a program whose limit changed, and only that one. */
START_TEST(reload_applies_changed_limit)
{
    const char *fmt = "[program:a]\ncommand = " REPORT_CMD "\nstartsecs = 0\nrlimit_nofile = %d\n"
                      "nice = %d\n"
                      "[program:same]\ncommand = sleep 100\nstartsecs = 0\nrlimit_nofile = 500\n";
    struct th *t = th_start(fmt, "a", "a", "a", "a", 600, 1);
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "same", "RUNNING", WAIT), 0);
    assert_limit(report(t, "a", "limits"), "Max open files", 600, 600);
    pid_t same = th_pid(t, "same"), a = th_pid(t, "a");
    unlink(th_path(t, "a.oom"));
    ck_assert_int_eq(th_config(t, NULL, fmt, "a", "a", "a", "a", 700, 2), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    assert_limit(report(t, "a", "limits"), "Max open files", 700, 700);
    ck_assert_int_eq(atoi(report(t, "a", "nice")), 2);
    ck_assert_int_ne(th_pid(t, "a"), a);
    ck_assert_int_eq(th_pid(t, "same"), same);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("resources");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, limits_read_back);
    tcase_add_test(tc, refused_rlimit_is_failed_start);
    tcase_add_test(tc, refused_nice_and_oom_unprivileged);
    tcase_add_test(tc, minfds_raises_tends_limit);
    tcase_add_test(tc, minfds_impossible_exits_1);
    tcase_add_test(tc, reload_applies_changed_limit);
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
