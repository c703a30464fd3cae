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
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
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


/* ---- accounting: status -l, --json, metrics ---- */

/* FIELD's number in `tendctl status --json NAME`, or -1. */
static double json_field(struct th *t, const char *name, const char *field)
{
    char buf[4096];
    if (th_ctl(t, buf, sizeof buf, "status --json %s", name) < 0)
        return -1;
    const char *f = strstr(buf, th_fmt("\"%s\": ", field));
    return f ? atof(f + strlen(field) + 4) : -1;
}

/* Wait until FIELD of NAME is at least MIN: its value, or -1. */
static double wait_field(struct th *t, const char *name, const char *field, double min)
{
    uint64_t end = th_now_ms() + WAIT;
    double v = -1;
    while (th_now_ms() < end) {
        v = json_field(t, name, field);
        if (v >= min)
            return v;
        th_nap(20);
    }
    fprintf(stderr, "%s %s stayed at %f (want >= %f)\n", name, field, v, min);
    return -1;
}

/* Every line of a metrics answer is a comment or NAME{LABELS} VALUE, and
 * the samples of a family follow its TYPE line. */
static void assert_exposition(const char *text)
{
    char family[128] = "";
    int samples = 0;
    for (const char *l = text; *l;) {
        const char *end = strchr(l, '\n');
        size_t n = end ? (size_t)(end - l) : strlen(l);
        char line[1024];
        ck_assert_uint_lt(n, sizeof line);
        memcpy(line, l, n);
        line[n] = 0;
        l += n + (end ? 1 : 0);
        if (!strcmp(line, "ok") || !n)
            continue;
        if (!strncmp(line, "# TYPE ", 7)) {
            ck_assert_int_eq(sscanf(line + 7, "%127s", family), 1);
            continue;
        }
        if (line[0] == '#') {
            ck_assert_msg(!strncmp(line, "# HELP ", 7), "bad comment: %s", line);
            continue;
        }
        size_t fl = strlen(family);
        ck_assert_msg(fl && !strncmp(line, family, fl) && (line[fl] == '{' || line[fl] == ' '),
                      "sample outside its family %s: %s", family, line);
        const char *sp = strrchr(line, ' ');
        ck_assert_ptr_nonnull(sp);
        char *e;
        strtod(sp + 1, &e);
        ck_assert_msg(*e == 0 && e != sp + 1, "bad value: %s", line);
        if (line[fl] == '{')
            ck_assert_msg(sp[-1] == '}', "bad labels: %s", line);
        samples++;
    }
    ck_assert_int_gt(samples, 10);
}

/* The value of the metrics sample starting with PREFIX ("name{labels}"), or -1. */
static double metric(const char *text, const char *prefix)
{
    const char *l = strstr(text, th_fmt("\n%s ", prefix));
    return l ? atof(l + strlen(prefix) + 2) : -1;
}

START_TEST(usage_figures_move)
{
    struct th *t = th_start(
        "[program:busy]\ncommand = sh -c 'while :; do :; done'\nstartsecs = 0\n"
        "[program:fork]\ncommand = sh -c 'sleep 1000 & sleep 1000 & wait'\nstartsecs = 0\n"
        "[program:mem]\ncommand = %s -o @DIR@/mem.out 40\nstartsecs = 0\n"
        "[program:off]\ncommand = sleep 1000\nautostart = false\n", th_helper("memhog"));
    ck_assert_int_eq(th_wait_state(t, "busy", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "mem.out"), "ready", WAIT), 0);

    /* cpu moves with a busy program, and only up */
    double c1 = wait_field(t, "busy", "cpu_seconds", 0.1);
    ck_assert(c1 >= 0.1);
    ck_assert(wait_field(t, "busy", "cpu_seconds", c1 + 0.1) > c1);
    ck_assert_int_eq(json_field(t, "busy", "procs"), 1);
    /* processes: the shell and its two children */
    ck_assert_int_eq(wait_field(t, "fork", "procs", 3), 3);
    ck_assert(json_field(t, "fork", "cpu_seconds") < 1);
    /* memory: what memhog touched */
    ck_assert(json_field(t, "mem", "rss_bytes") >= 40.0 * 1024 * 1024);
    ck_assert(json_field(t, "mem", "rss_bytes") < 200.0 * 1024 * 1024);
    ck_assert_int_eq(json_field(t, "off", "procs"), 0);
    ck_assert_int_eq(json_field(t, "off", "rss_bytes"), 0);

    /* status -l adds the figures; plain status stays as it was */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status -l fork mem"), 0);
    ck_assert_msg(strstr(out, " procs=3") && strstr(out, "  cpu="), "%s", out);
    ck_assert_msg(strstr(out, "rss=4") && strstr(out, "MB procs=1"), "%s", out);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status fork"), 0);
    ck_assert_msg(!strstr(out, "cpu=") && !strstr(out, "rss") && !strstr(out, "procs"), "%s",
                  out);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status"), 3);   /* off is not running */
    ck_assert_msg(!strstr(out, "cpu="), "%s", out);

    /* metrics: the same figures in the exposition format */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "metrics"), 0);
    assert_exposition(out);
    ck_assert_int_eq(metric(out, "tend_up"), 1);
    ck_assert_int_eq(metric(out, "tend_processes"), 4);
    ck_assert_int_eq(metric(out, "tend_process_processes{name=\"fork\",group=\"fork\"}"), 3);
    ck_assert_int_eq(metric(out, "tend_process_state{name=\"off\",group=\"off\",state=\"STOPPED\"}"), 1);
    ck_assert_int_eq(metric(out, "tend_process_state{name=\"off\",group=\"off\",state=\"RUNNING\"}"), 0);
    ck_assert_int_eq(metric(out, "tend_process_up{name=\"busy\",group=\"busy\"}"), 1);
    ck_assert_int_eq(metric(out, "tend_process_pid{name=\"busy\",group=\"busy\"}"), th_pid(t, "busy"));
    ck_assert_int_eq(metric(out, "tend_process_restarts_total{name=\"busy\",group=\"busy\"}"), 0);
    double m1 = metric(out, "tend_process_cpu_seconds_total{name=\"busy\",group=\"busy\"}");
    ck_assert(m1 > c1);
    ck_assert(metric(out, "tend_process_resident_memory_bytes{name=\"mem\",group=\"mem\"}") >=
              40.0 * 1024 * 1024);
    uint64_t end = th_now_ms() + WAIT;
    double m2 = m1;
    while (m2 <= m1 && th_now_ms() < end) {
        th_nap(50);
        ck_assert_int_eq(th_ctl(t, out, sizeof out, "metrics"), 0);
        m2 = metric(out, "tend_process_cpu_seconds_total{name=\"busy\",group=\"busy\"}");
    }
    ck_assert(m2 > m1);

    /* stopped: nothing left to count */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop busy fork"), 0);
    ck_assert_int_eq(json_field(t, "busy", "procs"), 0);
    ck_assert_int_eq(json_field(t, "fork", "procs"), 0);
    ck_assert_int_eq(json_field(t, "busy", "cpu_seconds"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* ---- memory_limit ---- */

/* Voluntary context switches of PID: each wakeup of a sleeping tend is one. */
static long wakeups(pid_t pid)
{
    char buf[4096];
    if (th_read_file(th_fmt("/proc/%d/status", (int)pid), buf, sizeof buf) < 0)
        return -1;
    const char *l = strstr(buf, "voluntary_ctxt_switches:");
    return l ? atol(l + 24) : -1;
}

/* Wait until PID has been asleep for 300 ms in a row (start-up over). */
static void settle(pid_t pid)
{
    uint64_t end = th_now_ms() + WAIT;
    long w = wakeups(pid);
    for (;;) {
        th_nap(300);
        long w2 = wakeups(pid);
        if (w2 == w || th_now_ms() > end)
            return;
        w = w2;
    }
}

/* A growing program is restarted with the figure in the log; a steady one
 * under the same limit is left alone. */
START_TEST(memory_limit_restarts_growing_only)
{
    struct th *t = th_start(
        "[program:grow]\ncommand = %s 10 10 100\nmemory_limit = 50MB\n"
        "memory_check_interval = 0.1\nstartsecs = 0\n"
        "[program:steady]\ncommand = %s -o @DIR@/steady.out 30\nmemory_limit = 50MB\n"
        "memory_check_interval = 0.1\nstartsecs = 0\n",
        th_helper("memhog"), th_helper("memhog"));
    ck_assert_int_eq(th_wait_file(th_path(t, "steady.out"), "ready", WAIT), 0);
    pid_t steady = th_pid(t, "steady");
    ck_assert_int_gt(steady, 0);
    const char *msg = "grow: resident memory ";
    uint64_t end = th_now_ms() + WAIT;
    while (th_count_in_file(t->errlog, msg) < 2 && th_now_ms() < end)
        th_nap(20);
    ck_assert_int_ge(th_count_in_file(t->errlog, msg), 2);
    ck_assert_int_ge(th_count_in_file(t->errlog, "is over memory_limit 50.0 MB"), 2);
    ck_assert_int_ge(th_count_in_file(t->errlog, "grow: restarting for memory_limit (restart "), 2);
    /* counted as automatic restarts */
    ck_assert_int_ge(json_field(t, "grow", "restarts"), 2);
    /* the figure is the sum that was over the limit */
    char text[1 << 16];
    ck_assert_int_gt(th_read_file(t->errlog, text, sizeof text), 0);
    const char *l = strstr(text, msg);
    ck_assert_ptr_nonnull(l);
    double figure = atof(l + strlen(msg));
    ck_assert_msg(figure > 50.0 && figure < 1000.0, "figure %f", figure);
    ck_assert_int_eq(th_wait_state(t, "grow", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "steady: resident memory"), 0);
    ck_assert_int_eq(th_pid(t, "steady"), steady);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Without cgroups: an orphan of the program re-parented to tend still in
 * its process group counts, and so does what it started, setsid or not;
 * an orphan that left the group itself cannot be told from another
 * program's (the documented limit). */
START_TEST(orphans_counted_without_cgroups)
{
    struct th *t = th_start(
        "cgroups = off\n[program:o]\nstartsecs = 0\ncommand = sh -c '"
        "(sh -c \"setsid sleep 1001 & exec sleep 1002\" &); (setsid sleep 1003 &); "
        "echo go > @DIR@/o.out; exec sleep 1004'\n");
    ck_assert_int_eq(th_wait_file(th_path(t, "o.out"), "go", WAIT), 0);
    /* main sleep, the orphan's sleep 1002 in its group, its setsid child */
    ck_assert_int_eq(wait_field(t, "o", "procs", 3), 3);
    th_nap(100);                /* (no more to come: the shells exec'd or exited) */
    ck_assert_int_eq(json_field(t, "o", "procs"), 3);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);                 /* kills the setsid ones */
}
END_TEST

/* memory_limit restarts are automatic restarts: counted in restarts and
 * in restart_limit_count, so a program that keeps growing ends FATAL
 * (stopped, not left running) with the reason; a start asked for after
 * that runs it again. */
START_TEST(memory_limit_restarts_hit_restart_limit)
{
    struct th *t = th_start("[program:grow]\ncommand = %s 60\nmemory_limit = 20MB\n"
                            "memory_check_interval = 0.1\nstartsecs = 0\n"
                            "restart_limit_count = 2\nrestart_limit_interval = 600\n",
                            th_helper("memhog"));
    ck_assert_int_eq(th_wait_state(t, "grow", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "grow: restarting for memory_limit (restart 1)"),
                     1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "grow: restarting for memory_limit (restart 2)"),
                     1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "grow: restart_limit_count reached"), 1);
    ck_assert_int_eq(json_field(t, "grow", "restarts"), 2);
    ck_assert_int_eq(json_field(t, "grow", "pid"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status grow"), 3);  /* not all fine */
    ck_assert_msg(strstr(out, "over memory_limit 20.0 MB; restarted 2 times in 600 s "
                              "(restart_limit_count)"), "status: %s", out);
    ck_assert_int_eq(th_wait_file(t->errlog, "grow: STOPPING -> FATAL", WAIT), 0);
    /* asked for, it starts again (and is over its limit again) */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "start grow"), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "grow: restarting for memory_limit (restart 3)",
                                  WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A memory_limit restart of a program others depend on: its dependent
 * (slow to stop) goes down first and comes back after it; the figure is
 * logged once per restart, not at every tick while the dependent stops. */
START_TEST(memory_limit_restart_with_dependent)
{
    struct th *t = th_start(
        "[program:grow]\ncommand = %s 60\nmemory_limit = 20MB\nmemory_check_interval = 0.1\n"
        "startsecs = 0\nautorestart = false\n"
        "[program:dep]\ndepends_on = grow\nstartsecs = 0\ncommand = sh -c 'trap \"sleep 0.5; "
        "exit 0\" TERM; while :; do sleep 0.1; done'\n", th_helper("memhog"));
    ck_assert_int_eq(th_wait_file(t->errlog, "grow: restarting for memory_limit (restart 2)",
                                  WAIT), 0);
    ck_assert_int_ge(th_count_in_file(t->errlog, "dep: RUNNING -> STOPPING"), 2);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop grow"), 0);
    int figures = th_count_in_file(t->errlog, "grow: resident memory ");
    int restarts = th_count_in_file(t->errlog, "grow: restarting for memory_limit");
    ck_assert_int_eq(figures, restarts);
    ck_assert_int_ge(json_field(t, "grow", "restarts"), 2);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* No timer while no such program runs: tend sleeps without wakeups; a
 * reload that sets memory_limit on a running program applies it. */
START_TEST(memory_limit_timer_only_while_running)
{
    const char *fmt = "[program:m]\ncommand = %s -o @DIR@/m.out 30\nstartsecs = 0\n%s\n";
    struct th *t = th_start(fmt, th_helper("memhog"),
                            "memory_limit = 10MB\nmemory_check_interval = 0.1\nautostart = false");
    ck_assert_int_eq(th_wait_file(t->statusfile, "m STOPPED", WAIT), 0);
    settle(t->pid);
    long w1 = wakeups(t->pid);
    th_nap(600);                /* six intervals: a timer would have woken tend */
    long w2 = wakeups(t->pid);
    ck_assert_int_ge(w1, 0);
    ck_assert_msg(w2 == w1, "tend woke %ld times while idle", w2 - w1);

    /* reload: now running (autostart) without a limit, then with one */
    ck_assert_int_eq(th_config(t, NULL, fmt, th_helper("memhog"), ""), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "m.out"), "ready", WAIT), 0);
    pid_t pid = th_pid(t, "m");
    /* the check itself: a limit it keeps under wakes tend every interval */
    ck_assert_int_eq(th_config(t, NULL, fmt, th_helper("memhog"),
                               "memory_limit = 1GB\nmemory_check_interval = 0.1"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_wait_state(t, "m", "RUNNING", WAIT), 0);
    w1 = wakeups(t->pid);
    uint64_t end = th_now_ms() + WAIT;
    while (wakeups(t->pid) < w1 + 5 && th_now_ms() < end)
        th_nap(50);
    ck_assert_int_ge(wakeups(t->pid), w1 + 5);
    ck_assert_int_eq(th_count_in_file(t->errlog, "m: resident memory "), 0);
    pid = th_pid(t, "m");
    ck_assert_int_eq(th_config(t, NULL, fmt, th_helper("memhog"),
                               "memory_limit = 20MB\nmemory_check_interval = 0.1"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "m: resident memory ", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "is over memory_limit 20.0 MB", WAIT), 0);
    ck_assert_int_ne(th_pid(t, "m"), pid);

    /* stopped again: no more ticks */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop m"), 0);
    int lines = th_count_in_file(t->errlog, "m: resident memory ");
    settle(t->pid);
    w1 = wakeups(t->pid);
    th_nap(600);
    w2 = wakeups(t->pid);
    ck_assert_msg(w2 == w1, "tend woke %ld times while idle", w2 - w1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "m: resident memory "), lines);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* ---- cgroups ---- */

#define NEED_CGROUPS()                                                             \
    do {                                                                           \
        const char *why_ = th_cgroup_unavailable();                                \
        if (why_) {                                                                \
            fprintf(stderr, "%s: skipped: %s\n", __func__, why_);                  \
            return;                                                                \
        }                                                                          \
    } while (0)

/* The pids of the "gc PID" lines of forker's report FILE (up to MAX). */
static int gc_pids(const char *file, pid_t *pids, int max)
{
    char buf[4096];
    int n = 0;
    if (th_read_file(file, buf, sizeof buf) < 0)
        return 0;
    for (char *l = strstr(buf, "gc "); l && n < max; l = strstr(l + 1, "\ngc "))
        pids[n++] = (pid_t)atoi(l[0] == '\n' ? l + 4 : l + 3);
    return n;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Wait until PATH exists (WANT) or not: 0 or -1. */
static int wait_dir(const char *path, bool want)
{
    for (uint64_t end = th_now_ms() + WAIT; th_now_ms() < end; th_nap(10))
        if (is_dir(path) == want)
            return 0;
    return -1;
}

#define DAEMON_CONF "cgroups = %s\n[program:d]\ncommand = %s -o @DIR@/d.out -n 2 -O -S -i\n" \
                    "stopwaitsecs = 1\nstartsecs = 0\n"

/* A daemon that double-forked and called setsid is killed by stop, and the
 * program is STOPPED only once it is gone; with cgroups off it escapes
 * (which is what this feature is for). */
START_TEST(setsid_daemon_killed_by_stop)
{
    NEED_CGROUPS();
    struct th *t = th_start(DAEMON_CONF, "on", th_helper("forker"));
    ck_assert_int_eq(th_wait_file(th_path(t, "d.out"), "ready", WAIT), 0);
    pid_t gc[2], d = th_pid(t, "d");
    ck_assert_int_eq(gc_pids(th_path(t, "d.out"), gc, 2), 2);
    for (int i = 0; i < 2; i++) {
        ck_assert(th_pid_alive(gc[i]));
        ck_assert_int_ne(getpgid(gc[i]), d);        /* out of its process group */
        ck_assert_int_ne(getsid(gc[i]), getsid(d)); /* and session */
    }
    /* tend in its leaf, the program in its own cgroup, every process in it */
    const char *cg = th_fmt("%s/d.tend", t->cgroup);
    ck_assert(is_dir(cg));
    char buf[1024];
    ck_assert_int_gt(th_read_file(th_fmt("%s/tend/cgroup.procs", t->cgroup), buf, sizeof buf), 0);
    ck_assert_int_eq(atoi(buf), t->pid);
    ck_assert_int_gt(th_read_file(th_fmt("%s/cgroup.procs", cg), buf, sizeof buf), 0);
    ck_assert_ptr_nonnull(strstr(buf, th_fmt("%d\n", (int)gc[0])));
    ck_assert_ptr_nonnull(strstr(buf, th_fmt("%d\n", (int)gc[1])));
    /* accounting counts them too: they are in its cgroup */
    ck_assert_int_eq(json_field(t, "d", "procs"), 3);
    /* memory.current only where the cgroup has it (the memory controller) */
    bool mem = access(th_fmt("%s/memory.current", cg), F_OK) == 0;
    ck_assert_int_eq(json_field(t, "d", "memory_current_bytes") >= 0, mem);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status -l d"), 0);
    ck_assert_int_eq(strstr(out, " mem=") != NULL, mem);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "metrics"), 0);
    ck_assert_int_eq(strstr(out, "tend_process_memory_current_bytes") != NULL, mem);

    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop d"), 0);
    ck_assert_int_eq(th_wait_state(t, "d", "STOPPED", WAIT), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(!th_pid_alive(gc[i]), "daemon %d survived the stop", (int)gc[i]);
        /* SIGTERM first, though outside the process group, SIGKILL after */
        ck_assert_int_eq(th_count_in_file(th_path(t, "d.out"),
                                          th_fmt("gc %d signal SIGTERM", (int)gc[i])), 1);
    }
    ck_assert_int_eq(th_count_in_file(t->errlog, "d: SIGTERM also to 2 processes of its cgroup "
                                                 "outside its process group"), 1);
    ck_assert_int_eq(wait_dir(cg, false), 0);   /* removed once empty */
    ck_assert_int_eq(th_count_in_file(t->errlog, "d: still alive 1 s after SIGTERM"), 1);

    /* started again: a cgroup again */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "start d"), 0);
    ck_assert_int_eq(wait_dir(cg, true), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    /* nothing left behind: tend's leaf and the program's cgroups are gone */
    ck_assert(!is_dir(cg));
    ck_assert(!is_dir(th_fmt("%s/tend", t->cgroup)));
    th_free(t);

    t = th_start(DAEMON_CONF, "off", th_helper("forker"));
    ck_assert_int_eq(th_wait_file(th_path(t, "d.out"), "ready", WAIT), 0);
    ck_assert_int_eq(gc_pids(th_path(t, "d.out"), gc, 2), 2);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop d"), 0);
    ck_assert(th_pid_alive(gc[0]) && th_pid_alive(gc[1]));  /* escaped */
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);                 /* kills them */
}
END_TEST

/* KillMode=control-group: a setsid daemon that shuts down gracefully on
 * SIGTERM gets it with the program (stopasgroup or not) and its
 * stopwaitsecs to finish; no SIGKILL, STOPPED once it is done. The same
 * at shutdown (stopasgroup = true round). */
START_TEST(setsid_daemon_gets_stop_signal)
{
    NEED_CGROUPS();
    const char *fmt = "cgroups = on\n[program:d]\ncommand = %s -o @DIR@/d.out -n 2 -O -S "
                      "-g 300\nstopwaitsecs = %d\nstartsecs = 0\nstopasgroup = %s\n";
    /* round 0: tendctl stop; 1: shutdown (stopasgroup); 2: a reload that
     * changes the program */
    for (int round = 0; round < 3; round++) {
        const char *asgroup = round == 1 ? "true" : "false";
        struct th *t = th_start(fmt, th_helper("forker"), 30, asgroup);
        ck_assert_int_eq(th_wait_file(th_path(t, "d.out"), "ready", WAIT), 0);
        pid_t gc[2];
        ck_assert_int_eq(gc_pids(th_path(t, "d.out"), gc, 2), 2);
        ck_assert_int_ne(getsid(gc[0]), getsid(th_pid(t, "d")));
        if (round == 0) {
            ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop d"), 0);
            ck_assert_int_eq(th_wait_state(t, "d", "STOPPED", WAIT), 0);
        } else if (round == 1) {
            ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
        } else {
            ck_assert_int_eq(th_config(t, NULL, fmt, th_helper("forker"), 29, asgroup), 0);
            ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
            for (uint64_t end = th_now_ms() + WAIT;
                 th_count_in_file(th_path(t, "d.out"), "ready") < 2 && th_now_ms() < end;)
                th_nap(20);
            ck_assert_int_eq(th_count_in_file(th_path(t, "d.out"), "ready"), 2);
        }
        for (int i = 0; i < 2; i++) {
            ck_assert(!th_pid_alive(gc[i]));
            ck_assert_int_eq(th_count_in_file(th_path(t, "d.out"),
                                              th_fmt("gc %d signal SIGTERM", (int)gc[i])), 1);
            ck_assert_int_eq(th_count_in_file(th_path(t, "d.out"),
                                              th_fmt("gc %d done", (int)gc[i])), 1);
        }
        ck_assert_int_eq(th_count_in_file(t->errlog, "sending SIGKILL"), 0);
        ck_assert_int_eq(th_count_in_file(t->errlog, "killing them"), 0);
        if (round != 1)
            ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
        th_free(t);
    }
}
END_TEST

/* The line number of the first line of T's config that holds NEEDLE. */
static int conf_line(struct th *t, const char *needle)
{
    char buf[8192];
    ck_assert_int_gt(th_read_file(t->conf, buf, sizeof buf), 0);
    const char *at = strstr(buf, needle);
    ck_assert_ptr_nonnull(at);
    int line = 1;
    for (const char *c = buf; c < at; c++)
        line += *c == '\n';
    return line;
}

/* Controller keys: written when the controller is there, else one warning
 * per key at start-up. */
START_TEST(controller_keys_warn_when_missing)
{
    const char *keys = "[program:a]\ncommand = sleep 100\nmemory_max = 100MB\n"
                       "memory_high = 80MB\npids_max = 50\ncpu_max = 50%%\ncpu_weight = 10\n"
                       "[program:b]\ncommand = sleep 100\nmemory_max = 1GB\n";
    struct th *t = th_start("cgroups = off\n%s", keys);
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "memory_max is ignored: cgroups are not used"), 1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "cpu_weight is ignored: cgroups are not used"), 1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "is ignored: cgroups are not used"), 5);
    /* reload: an added program (c) and a changed one (b) warn again, once
     * per key, naming their file:line; the unchanged one (a) does not */
    ck_assert_int_eq(th_config(t, NULL, "cgroups = off\n%s[program:c]\ncommand = sleep 100\n"
                               "memory_max = 3GB\npids_max = 5\n", th_fmt("%s%s", keys,
                               "startsecs = 2\n")), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_wait_state(t, "c", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "is ignored: cgroups are not used"), 7);
    ck_assert_int_eq(th_count_in_file(t->errlog, th_fmt("%s:%d: [program:b] memory_max is ignored",
                                                        t->conf, conf_line(t, "[program:b]"))), 1);
    ck_assert_int_eq(th_count_in_file(t->errlog, th_fmt("%s:%d: [program:c] pids_max is ignored",
                                                        t->conf, conf_line(t, "[program:c]"))), 1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "[program:c] memory_max"), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "[program:a]"), 5);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);

    NEED_CGROUPS();
    t = th_start("cgroups = on\n%s", keys);
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    char ctl[512] = "";
    th_read_file(th_fmt("%s/cgroup.controllers", t->cgroup), ctl, sizeof ctl);
    if (!strstr(ctl, "memory"))
        ck_assert_int_eq(th_count_in_file(t->errlog, "memory_max is ignored: the memory "
                                          "controller is not available"), 1);
    else
        ck_assert_int_eq(th_count_in_file(t->errlog, "memory_max is ignored"), 0);
    if (!strstr(ctl, "pids"))
        ck_assert_int_eq(th_count_in_file(t->errlog, "pids_max is ignored: the pids "
                                          "controller is not available"), 1);
    if (!strstr(ctl, "cpu"))
        ck_assert_int_eq(th_count_in_file(t->errlog, "cpu_max is ignored: the cpu "
                                          "controller is not available"), 1);
    if (strstr(ctl, "memory")) {
        char v[64];
        ck_assert_int_gt(th_read_file(th_fmt("%s/a.tend/memory.max", t->cgroup), v, sizeof v), 0);
        ck_assert_str_eq(v, "104857600\n");
    }
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* reload: an added program gets a cgroup, a removed one's goes; a tend
 * killed with SIGKILL leaves cgroups that the next one removes. */
START_TEST(cgroups_follow_reload_and_stale_ones_go)
{
    NEED_CGROUPS();
    const char *fmt = "cgroups = on\n[program:a]\ncommand = sleep 100\nstartsecs = 0\n%s";
    struct th *t = th_start(fmt, "");
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    ck_assert_int_eq(wait_dir(th_fmt("%s/a.tend", t->cgroup), true), 0);
    ck_assert_int_eq(th_config(t, NULL, "cgroups = on\n[program:b]\ncommand = sleep 100\n"
                               "startsecs = 0\n"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_wait_state(t, "b", "RUNNING", WAIT), 0);
    ck_assert_int_eq(wait_dir(th_fmt("%s/b.tend", t->cgroup), true), 0);
    ck_assert_int_eq(wait_dir(th_fmt("%s/a.tend", t->cgroup), false), 0);

    /* SIGKILL: tend's cgroups stay; its program lives on in b.tend */
    pid_t b = th_pid(t, "b");
    kill(t->pid, SIGKILL);
    ck_assert_int_eq(th_wait_exit(t, WAIT), 128 + SIGKILL);
    ck_assert(is_dir(th_fmt("%s/b.tend", t->cgroup)));
    ck_assert(is_dir(th_fmt("%s/tend", t->cgroup)));
    kill(b, SIGKILL);
    ck_assert_int_eq(th_wait_gone(b, WAIT), 0);
    /* the next tend removes what the dead one left */
    ck_assert_int_eq(th_config(t, NULL, fmt, ""), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "b.tend, left by a tend that is gone", WAIT), 0);
    ck_assert(!is_dir(th_fmt("%s/b.tend", t->cgroup)));
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    ck_assert(!is_dir(th_fmt("%s/a.tend", t->cgroup)));
    th_free(t);
}
END_TEST

/* cgroups = PATH outside the cgroup2 mount: exit 1 with the reason. */
START_TEST(cgroups_path_outside_mount_exits_1)
{
    struct th *t = th_start("cgroups = @DIR@/nope\n[program:a]\ncommand = sleep 100\n");
    ck_assert_int_eq(th_wait_exit(t, WAIT), 1);
    ck_assert_int_eq(th_wait_file(t->errlog, "cgroups: ", WAIT), 0);
    th_free(t);
}
END_TEST

/* auto divides a cgroup delegated to tend (the xattr systemd sets with
 * Delegate=yes); two clients waiting on the same stop are both answered
 * once the daemon is gone. */
START_TEST(auto_delegated_and_two_waiting_clients)
{
    NEED_CGROUPS();
    struct th *t = th_start("cgroups = auto\n[program:x]\ncommand = sleep 100\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "x", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "cgroups: not used: ", WAIT), 0);
    ck_assert(!is_dir(th_fmt("%s/x.tend", t->cgroup)));     /* not delegated: not divided */
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    if (setxattr(t->cgroup, "trusted.delegate", "1", 1, 0) < 0) {
        fprintf(stderr, "%s: skipped the rest: setxattr: %s\n", __func__, strerror(errno));
        th_free(t);
        return;
    }
    ck_assert_int_eq(th_config(t, NULL, DAEMON_CONF, "auto", th_helper("forker")), 0);
    unlink(t->errlog);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "d.out"), "ready", WAIT), 0);
    ck_assert(is_dir(th_fmt("%s/d.tend", t->cgroup)));
    ck_assert_int_eq(th_count_in_file(t->errlog, "cgroups: each process in a cgroup of its own"), 1);
    pid_t gc[2];
    ck_assert_int_eq(gc_pids(th_path(t, "d.out"), gc, 2), 2);

    pid_t waiter = fork();
    ck_assert_int_ge(waiter, 0);
    if (waiter == 0) {
        char o[256];
        int rc = th_ctl(t, o, sizeof o, "-t 20 wait d STOPPED");
        _exit(rc == 0 && !th_pid_alive(gc[0]) && !th_pid_alive(gc[1]) ? 0 : 1);
    }
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop d"), 0);
    ck_assert(!th_pid_alive(gc[0]) && !th_pid_alive(gc[1]));
    int st;
    while (waitpid(waiter, &st, 0) < 0 && errno == EINTR)
        ;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the waiting client: %d", st);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    ck_assert(!is_dir(th_fmt("%s/tend", t->cgroup)));
    th_free(t);
}
END_TEST

/* The main program of `tend -c CONF -- CMD` runs in its cgroup too; tend
 * exits with its status and leaves no cgroup behind. */
START_TEST(main_program_in_its_cgroup)
{
    NEED_CGROUPS();
    struct th *t = th_new(NULL, "cgroups = on\n[program:side]\ncommand = sleep 100\n");
    const char *cmd = th_fmt("cat /proc/self/cgroup > %s; sleep 0.2; exit 7",
                             th_path(t, "main.cg"));
    const char *args[] = { "--", "sh", "-c", cmd, NULL };
    struct th_opts o = { .args = args };
    ck_assert_int_eq(th_spawn(t, &o), 0);
    ck_assert_int_eq(th_wait_exit(t, WAIT), 7);
    char buf[512];
    ck_assert_int_gt(th_read_file(th_path(t, "main.cg"), buf, sizeof buf), 0);
    ck_assert_msg(strstr(buf, "/sh.tend\n"), "main program's cgroup: %s", buf);
    ck_assert(!is_dir(th_fmt("%s/sh.tend", t->cgroup)));
    ck_assert(!is_dir(th_fmt("%s/side.tend", t->cgroup)));
    ck_assert(!is_dir(th_fmt("%s/tend", t->cgroup)));
    th_free(t);
}
END_TEST

/* memory_max enforced by the kernel, and the OOM kill reported (needs the
 * memory controller for tend's cgroup: skipped where it is missing). */
START_TEST(oom_kill_reported)
{
    NEED_CGROUPS();
    struct th *t = th_start("cgroups = on\n[program:hog]\ncommand = %s 64\nmemory_max = 16MB\n"
                            "startretries = 0\n", th_helper("memhog"));
    char ctl[512] = "";
    th_read_file(th_fmt("%s/cgroup.controllers", t->cgroup), ctl, sizeof ctl);
    if (!strstr(ctl, "memory")) {
        fprintf(stderr, "%s: skipped: no memory controller in %s\n", __func__, t->cgroup);
        ck_assert_int_eq(th_wait_file(t->errlog, "memory_max is ignored", WAIT), 0);
        ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
        th_free(t);
        return;
    }
    ck_assert_int_eq(th_wait_file(t->errlog, "hog: OOM killed: the OOM killer killed 1 process",
                                  WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "hog", "FATAL", WAIT), 0);
    /* status says why (the reason of its state names the OOM killer) */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status hog"), 0);
    ck_assert_msg(strstr(out, "OOM killed"), "status: %s", out);
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
    tc = tcase_create("usage");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, usage_figures_move);
    tcase_add_test(tc, orphans_counted_without_cgroups);
    tcase_add_test(tc, memory_limit_restarts_growing_only);
    tcase_add_test(tc, memory_limit_restarts_hit_restart_limit);
    tcase_add_test(tc, memory_limit_restart_with_dependent);
    tcase_add_test(tc, memory_limit_timer_only_while_running);
    suite_add_tcase(s, tc);
    tc = tcase_create("cgroups");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, setsid_daemon_killed_by_stop);
    tcase_add_test(tc, setsid_daemon_gets_stop_signal);
    tcase_add_test(tc, controller_keys_warn_when_missing);
    tcase_add_test(tc, cgroups_follow_reload_and_stale_ones_go);
    tcase_add_test(tc, cgroups_path_outside_mount_exits_1);
    tcase_add_test(tc, auto_delegated_and_two_waiting_clients);
    tcase_add_test(tc, main_program_in_its_cgroup);
    tcase_add_test(tc, oom_kill_reported);
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
