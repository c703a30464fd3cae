/* test_lifecycle.c - issue 3 through the real binary: states and their
 * timing, restart policy, stopping (signals, escalation, groups), start and
 * stop order, what a child is given, exec failures, shutdown, the lock and
 * the status file. Everything is observed from outside: the status file,
 * /proc, and reports/event logs written by the helper programs.
 */
#include <check.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "procinfo.h"

#define WAIT 10000 /* ms: generous deadline for things that happen "soon" */

static char buf[1 << 16];

static const char *probe(void) { return th_helper("probe"); }

/* Time (t=MS) of the Nth (0-based) event line "NAME WHAT..." in LOG; -1. */
static long long event_t(const char *log, const char *name, const char *what, int nth)
{
    static char text[1 << 16];
    if (th_read_file(log, text, sizeof text) < 0)
        return -1;
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s %s", name, what);
    size_t pl = strlen(prefix);
    for (char *l = text; *l;) {
        char *end = strchr(l, '\n');
        if (end)
            *end = '\0';
        if (strncmp(l, prefix, pl) == 0 && (l[pl] == ' ' || l[pl] == '\0')) {
            char *t = strstr(l, " t=");
            if (nth-- == 0)
                return t ? atoll(t + 3) : -1;
        }
        if (!end)
            break;
        l = end + 1;
    }
    return -1;
}

static int event_count(const char *log, const char *name, const char *what)
{
    int n = 0;
    while (event_t(log, name, what, n) >= 0)
        n++;
    return n;
}

/* Wait until LOG holds at least N "NAME WHAT" events: 0 or -1. */
static int wait_events(const char *log, const char *name, const char *what, int n)
{
    uint64_t deadline = th_now_ms() + WAIT;
    while (event_count(log, name, what) < n) {
        if (th_now_ms() >= deadline)
            return -1;
        th_nap(10);
    }
    return 0;
}

/* Read a probe report (waiting for it) into buf. */
static void read_report(const char *path)
{
    ck_assert_msg(th_wait_file(path, "\nend\n", WAIT) == 0, "no probe report %s", path);
    ck_assert_int_ge(th_read_file(path, buf, sizeof buf), 0);
}

static void report_value(const char *key, char *out, size_t len)
{
    ck_assert_msg(th_kv(buf, key, out, len) == 0, "report has no %s", key);
}

static bool report_has_env(const char *kv)
{
    char line[512];
    snprintf(line, sizeof line, "\nenv %s\n", kv);
    return strstr(buf, line) != NULL;
}

static void finish(struct th *t)
{
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT + 5000), 0);
    th_free(t);
}

/* ---- states ---- */

START_TEST(starting_then_running_after_startsecs)
{
    uint64_t t0 = th_now_ms();
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/r\nstartsecs = 1\n", probe());
    ck_assert_int_eq(th_wait_state(t, "p", "STARTING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    ck_assert_int_ge(th_now_ms() - t0, 950);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "p", &p), 0);
    read_report(th_path(t, "r"));
    char v[64];
    report_value("pid", v, sizeof v);
    ck_assert_int_eq(p.pid, atoi(v));
    ck_assert(th_pid_alive(p.pid));
    ck_assert_str_eq(p.exit, "-");
    ck_assert_int_eq(p.restarts, 0);
    finish(t);
}
END_TEST

START_TEST(startsecs_zero_is_running_at_once)
{
    struct th *t = th_start("[program:p]\ncommand = %s\nstartsecs = 0\n", probe());
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    /* startsecs=1 could not be RUNNING this early: the program's own age
     * (from /proc, so tend's start-up time, e.g. under valgrind, does not
     * count) is well under a second when it is seen RUNNING. */
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "p", &p), 0);
    double age = proc_age(p.pid);
    ck_assert(age >= 0);
    ck_assert_msg(age < 0.9, "RUNNING only %.2f s after the program started", age);
    finish(t);
}
END_TEST

START_TEST(backoff_retries_then_fatal)
{
    struct th *t = th_start("[program:p]\ncommand = %s -l @DIR@/ev -d 0 -x 1\n"
                            "startsecs = 1\nstartretries = 2\n", probe());
    const char *ev = th_path(t, "ev");
    ck_assert_int_eq(th_wait_state(t, "p", "BACKOFF", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "p", "FATAL", 20000), 0);
    /* startretries + 1 tries in all, and no more after FATAL */
    ck_assert_int_eq(th_stays_state(t, "p", "FATAL", 2500), 0);
    ck_assert_int_eq(event_count(ev, "p", "start"), 3);
    long long s0 = event_t(ev, "p", "start", 0), s1 = event_t(ev, "p", "start", 1),
              s2 = event_t(ev, "p", "start", 2);
    /* retried after about 1 s, then about 2 s */
    ck_assert_int_ge(s1 - s0, 800);
    ck_assert_int_lt(s1 - s0, 1900);
    ck_assert_int_ge(s2 - s1, 1800);
    ck_assert_int_lt(s2 - s1, 3500);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "p", &p), 0);
    ck_assert_int_eq(p.restarts, 2);
    ck_assert_str_eq(p.exit, "1");
    ck_assert_int_eq(p.pid, 0);
    finish(t);
}
END_TEST

/* supervisord's race: a program that exits at once may be judged RUNNING
 * when the loop wakes late. Here it must never be RUNNING, and go FATAL. */
START_TEST(exit_at_once_goes_fatal_never_running)
{
    struct th *t = th_start("[program:p]\ncommand = %s -d 0 -x 0\n"
                            "startsecs = 1\nstartretries = 1\nautorestart = true\n", probe());
    uint64_t deadline = th_now_ms() + 15000;
    bool fatal = false;
    while (th_now_ms() < deadline && !fatal) {
        struct th_proc p;
        if (th_proc(t, "p", &p) == 0) {
            ck_assert_msg(strcmp(p.state, "RUNNING") != 0, "p was RUNNING");
            fatal = strcmp(p.state, "FATAL") == 0;
        }
        th_nap(2);
    }
    ck_assert_msg(fatal, "p never went FATAL");
    finish(t);
}
END_TEST

START_TEST(autostart_false_stays_stopped)
{
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/r\nautostart = false\n"
                            "[program:q]\ncommand = %s\nstartsecs = 0\n", probe(), probe());
    ck_assert_int_eq(th_wait_state(t, "q", "RUNNING", WAIT), 0);
    /* autostart happens before tend takes requests: its answer shows p as
     * it stays (started wrongly, p would be STARTING, startsecs = 1) */
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "status p"), 3);
    ck_assert_msg(strstr(buf, "STOPPED") != NULL, "status p: %s", buf);
    ck_assert_int_eq(th_wait_state(t, "p", "STOPPED", 100), 0);
    ck_assert_int_ne(access(th_path(t, "r"), F_OK), 0);
    finish(t);
}
END_TEST

/* The program runs (startsecs=0), exits with CODE after 300 ms; POLICY. */
static struct th *exiting(int code, const char *policy)
{
    return th_start("[program:p]\ncommand = %s -l @DIR@/ev -d 300 -x %d\nstartsecs = 0\n"
                    "exitcodes = 0,2\n%s\n", probe(), code, policy);
}

START_TEST(autorestart_false_stays_exited)
{
    struct th *t = exiting(3, "autorestart = false");
    ck_assert_int_eq(th_wait_state(t, "p", "EXITED", WAIT), 0);
    ck_assert_int_eq(th_stays_state(t, "p", "EXITED", 2500), 0);
    ck_assert_int_eq(event_count(th_path(t, "ev"), "p", "start"), 1);
    char exit[32];
    ck_assert_int_eq(th_status(t, "p", NULL, 0, NULL, exit, sizeof exit, NULL), 0);
    ck_assert_str_eq(exit, "3");
    finish(t);
}
END_TEST

START_TEST(autorestart_unexpected_expected_code_stays_exited)
{
    struct th *t = exiting(2, "autorestart = unexpected");
    ck_assert_int_eq(th_wait_state(t, "p", "EXITED", WAIT), 0);
    ck_assert_int_eq(th_stays_state(t, "p", "EXITED", 2500), 0);
    ck_assert_int_eq(event_count(th_path(t, "ev"), "p", "start"), 1);
    finish(t);
}
END_TEST

START_TEST(autorestart_unexpected_other_code_restarts)
{
    struct th *t = exiting(3, ""); /* unexpected is the default */
    ck_assert_int_eq(th_wait_restarts(t, "p", 1, WAIT), 0);
    ck_assert_int_eq(wait_events(th_path(t, "ev"), "p", "start", 2), 0);
    finish(t);
}
END_TEST

START_TEST(autorestart_true_restarts_expected_code)
{
    struct th *t = exiting(0, "autorestart = true");
    ck_assert_int_eq(th_wait_restarts(t, "p", 1, WAIT), 0);
    ck_assert_int_eq(wait_events(th_path(t, "ev"), "p", "start", 2), 0);
    finish(t);
}
END_TEST

START_TEST(crash_after_running_restarts_with_growing_delay)
{
    struct th *t = th_start("[program:p]\ncommand = %s -l @DIR@/ev -d 100 -x 1\n"
                            "startsecs = 0\nautorestart = true\n", probe());
    const char *ev = th_path(t, "ev");
    ck_assert_int_eq(th_wait_restarts(t, "p", 3, 30000), 0);
    ck_assert_int_eq(wait_events(ev, "p", "start", 4), 0);
    long long s[4];
    for (int i = 0; i < 4; i++)
        s[i] = event_t(ev, "p", "start", i);
    /* growing: the third gap is clearly longer than the first */
    ck_assert_msg(s[3] - s[2] >= s[1] - s[0] + 500, "gaps %lld %lld %lld", s[1] - s[0],
                  s[2] - s[1], s[3] - s[2]);
    /* and a crash loop is slow: not more than a handful of starts in 3 s */
    ck_assert_int_lt(event_count(ev, "p", "start"), 8);
    finish(t);
}
END_TEST

START_TEST(on_fatal_shutdown_exits_1)
{
    struct th *t = th_start("on_fatal = shutdown\n"
                            "[program:bad]\ncommand = %s -d 500 -x 1\nstartretries = 0\n"
                            "[program:good]\ncommand = %s -o @DIR@/r\nstartsecs = 0\n",
                            probe(), probe());
    read_report(th_path(t, "r"));
    char v[32];
    report_value("pid", v, sizeof v);
    ck_assert_int_eq(th_wait_exit(t, 15000), 1);
    ck_assert_int_eq(th_wait_gone(atoi(v), 2000), 0);
    th_free(t);
}
END_TEST

START_TEST(on_fatal_ignore_keeps_running)
{
    struct th *t = th_start("[program:bad]\ncommand = %s -d 0 -x 1\nstartretries = 0\n"
                            "[program:good]\ncommand = sleep 1000\nstartsecs = 0\n",
                            probe());
    ck_assert_int_eq(th_wait_state(t, "good", "RUNNING", WAIT), 0);
    pid_t good;
    th_status(t, "good", NULL, 0, &good, NULL, 0, NULL);
    ck_assert_int_eq(th_wait_state(t, "bad", "FATAL", WAIT), 0);
    /* A shutdown would begin when bad goes FATAL, stopping good in that
     * same step; tend answers this request after it. */
    char out[4096];
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status good"), 0);
    ck_assert_ptr_nonnull(strstr(out, th_fmt("pid %d,", (int)good)));
    ck_assert(!th_exited(t));
    ck_assert(th_pid_alive(good));
    finish(t);
}
END_TEST

/* ---- stopping ---- */

START_TEST(stopsignal_is_honoured)
{
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/r -l @DIR@/ev\n"
                            "startsecs = 0\nstopsignal = USR1\n", probe());
    read_report(th_path(t, "r"));
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    const char *ev = th_path(t, "ev");
    ck_assert_int_eq(event_count(ev, "p", "signal SIGUSR1"), 1);
    ck_assert_int_eq(event_count(ev, "p", "signal SIGTERM"), 0);
    th_free(t);
}
END_TEST

START_TEST(sigkill_after_stopwaitsecs)
{
    struct th *t = th_start("[program:p]\ncommand = %s @DIR@/ready\n"
                            "startsecs = 0\nstopwaitsecs = 2\n", th_helper("sig_ignore"));
    ck_assert_int_eq(th_wait_file(th_path(t, "ready"), "ready", WAIT), 0);
    th_read_file(th_path(t, "ready"), buf, sizeof buf);
    pid_t pid = atoi(buf + 6);
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(th_stop(t, SIGTERM, 15000), 0);
    uint64_t took = th_now_ms() - t0;
    ck_assert_msg(took >= 1800 && took < 9000, "shutdown took %llu ms",
                  (unsigned long long)took);
    ck_assert(!th_pid_alive(pid));
    th_free(t);
}
END_TEST

START_TEST(second_sigint_kills_at_once)
{
    struct th *t = th_start("[program:p]\ncommand = %s @DIR@/ready\n"
                            "startsecs = 0\nstopwaitsecs = 60\n", th_helper("sig_ignore"));
    ck_assert_int_eq(th_wait_file(th_path(t, "ready"), "ready", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    kill(t->pid, SIGINT);
    ck_assert_int_eq(th_wait_state(t, "p", "STOPPING", WAIT), 0);
    ck_assert_int_ne(th_stop(t, SIGINT, 5000), -1); /* not stopwaitsecs = 60 */
    th_free(t);
}
END_TEST

/* Grandchild pids from forker's file. */
static int forker_gcs(const char *file, pid_t *out, int max)
{
    ck_assert_int_eq(th_wait_file(file, "ready", WAIT), 0);
    th_read_file(file, buf, sizeof buf);
    int n = 0;
    for (char *l = buf; l && *l && n < max; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        int pid;
        char c;
        if (sscanf(l, "gc %d%c", &pid, &c) == 2 && c == '\n')
            out[n++] = pid;
    }
    return n;
}

START_TEST(stopasgroup_signals_grandchildren)
{
    /* -w: forker outlives its children, so they have time to log */
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/fk -n 2 -w\nstartsecs = 0\n"
                            "stopasgroup = true\nkillasgroup = true\n",
                            th_helper("forker"));
    pid_t gc[4];
    ck_assert_int_eq(forker_gcs(th_path(t, "fk"), gc, 4), 2);
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(th_count_in_file(th_path(t, "fk"),
                                          th_fmt("gc %d signal SIGTERM", (int)gc[i])), 1);
        ck_assert_int_eq(th_wait_gone(gc[i], 2000), 0);
    }
    th_free(t);
}
END_TEST

/* Is SIGTERM pending for PID (its thread or its process)? */
static bool sigterm_pending(pid_t pid)
{
    char text[4096];
    if (th_read_file(th_fmt("/proc/%d/status", (int)pid), text, sizeof text) <= 0)
        return false;
    unsigned long long bit = 1ULL << (SIGTERM - 1);
    const char *keys[] = { "\nSigPnd:", "\nShdPnd:" };
    for (int i = 0; i < 2; i++) {
        const char *p = strstr(text, keys[i]);
        if (p && (strtoull(p + strlen(keys[i]), NULL, 16) & bit))
            return true;
    }
    return false;
}

/* Without stopasgroup only the program gets the stop signal (what it left
 * in its group is killed once it is stopped: the contract's guarantee).
 * Everyone here logs SIGTERM and keeps running, so during stopwaitsecs we
 * can see who got it. */
START_TEST(without_stopasgroup_grandchildren_not_signalled)
{
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/fk -n 2 -i\nstartsecs = 0\n"
                            "stopwaitsecs = 2\n", th_helper("forker"));
    const char *fk = th_path(t, "fk");
    pid_t gc[4];
    ck_assert_int_eq(forker_gcs(fk, gc, 4), 2);
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    kill(t->pid, SIGTERM);
    ck_assert_int_eq(th_wait_file(fk, "parent signal SIGTERM", WAIT), 0);
    /* A group signal would have been sent with the parent's, so before its
     * line: now it is either pending in a grandchild (they keep signals
     * blocked between sigwaitinfo calls) or taken and logged before the
     * next signal it takes, our SIGUSR2 (which ends it). */
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(!sigterm_pending(gc[i]), "grandchild %d has a SIGTERM pending", (int)gc[i]);
        ck_assert_int_eq(kill(gc[i], SIGUSR2), 0);
        ck_assert_int_eq(th_wait_file(fk, th_fmt("gc %d signal SIGUSR2", (int)gc[i]), WAIT), 0);
    }
    ck_assert_int_eq(th_count_in_file(fk, "signal SIGTERM"), 1);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(th_wait_gone(gc[i], 2000), 0);
    th_free(t);
}
END_TEST

START_TEST(killasgroup_sigkills_grandchildren)
{
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/fk -n 2 -i\nstartsecs = 0\n"
                            "killasgroup = true\nstopwaitsecs = 1\n", th_helper("forker"));
    pid_t gc[4];
    ck_assert_int_eq(forker_gcs(th_path(t, "fk"), gc, 4), 2);
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    /* TERM went to the program only; SIGKILL to the whole group */
    ck_assert_int_eq(th_count_in_file(th_path(t, "fk"), "parent signal SIGTERM"), 1);
    ck_assert_int_eq(th_count_in_file(th_path(t, "fk"), "signal SIGTERM"), 1);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(th_wait_gone(gc[i], 2000), 0);
    th_free(t);
}
END_TEST

/* Program p is forker with OPTS (two grandchildren, its workers) plus the
 * config lines EXTRA; once they all run, `tendctl stop p`, which answers
 * when p is STOPPED. Fills GC with the workers' pids. */
static struct th *forker_stopped(const char *opts, const char *extra, pid_t gc[2])
{
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/fk -n 2 %s\nstartsecs = 0\n%s",
                            th_helper("forker"), opts, extra);
    pid_t all[4];
    ck_assert_int_eq(forker_gcs(th_path(t, "fk"), all, 4), 2);
    gc[0] = all[0];
    gc[1] = all[1];
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    char out[1024] = "";
    int rc = th_ctl(t, out, sizeof out, "stop p");
    ck_assert_msg(rc == 0, "tendctl stop p: %d: %s", rc, out);
    return t;
}

/* The leader exits at once on SIGTERM; its workers (same process group)
 * take 800 ms to finish. They must get that time, and `stop` must answer
 * only once they are gone: STOPPED means the whole group is down. */
static void graceful_group(const char *extra)
{
    pid_t gc[2];
    struct th *t = forker_stopped("-g 800", extra, gc);
    const char *fk = th_path(t, "fk");
    /* no waiting here: stop has answered, so the group is already gone */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(th_count_in_file(fk, th_fmt("gc %d signal SIGTERM", (int)gc[i])), 1);
        ck_assert_msg(th_count_in_file(fk, th_fmt("gc %d done", (int)gc[i])) == 1,
                      "worker %d did not finish before STOPPED (killed early?)", (int)gc[i]);
        ck_assert_int_eq(kill(gc[i], 0), -1);
    }
    ck_assert_int_eq(th_wait_state(t, "p", "STOPPED", 0), 0);
    th_free(t);
}

START_TEST(stopasgroup_workers_finish_after_leader)
{
    graceful_group("stopasgroup = true\nstopwaitsecs = 10\n");
}
END_TEST

/* Without stopasgroup the workers get the stop signal once the leader has
 * exited (they were left behind), with the same grace. */
START_TEST(leftover_workers_get_stopsignal_then_grace)
{
    graceful_group("stopwaitsecs = 10\n");
}
END_TEST

/* Workers that take longer than stopwaitsecs get SIGKILL when it runs out. */
START_TEST(leftover_workers_killed_after_stopwaitsecs)
{
    pid_t gc[2];
    struct th *t = forker_stopped("-g 60000", "stopasgroup = true\nstopwaitsecs = 1\n", gc);
    const char *fk = th_path(t, "fk");
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(th_count_in_file(fk, th_fmt("gc %d signal SIGTERM", (int)gc[i])), 1);
        ck_assert_int_eq(th_wait_gone(gc[i], 2000), 0);
    }
    ck_assert_int_eq(th_count_in_file(fk, "done"), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "process group"), 1); /* the SIGKILL warning */
    th_free(t);
}
END_TEST

/* ---- order ---- */

START_TEST(priority_start_and_reverse_stop_order)
{
    struct th *t = th_start(
        "[program:a]\ncommand = %s @DIR@/ready\npriority = 30\nstartsecs = 0\nstopwaitsecs = 1\n"
        "[program:b]\ncommand = %s -l @DIR@/ev\npriority = 10\nstartsecs = 0\n"
        "[program:c]\ncommand = %s -l @DIR@/ev\npriority = 20\nstartsecs = 0\n",
        th_helper("sig_ignore"), probe(), probe());
    const char *names[] = { "b", "c", "a" };
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(th_wait_state(t, names[i], "RUNNING", WAIT), 0);
        ck_assert_int_eq(th_status(t, names[i], NULL, 0, &pids[i], NULL, 0, NULL), 0);
    }
    ck_assert_int_eq(th_wait_file(th_path(t, "ready"), "ready", WAIT), 0);
    /* started in priority order: forks happen in order, pids grow */
    ck_assert_int_lt(pids[0], pids[1]);
    ck_assert_int_lt(pids[1], pids[2]);
    const char *ev = th_path(t, "ev");
    ck_assert_int_eq(th_wait_file(ev, "c start", WAIT), 0);
    long long t0 = (long long)th_now_ms(); /* the probes log CLOCK_MONOTONIC too */
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    /* a (30) first, and it takes stopwaitsecs to die: c (20) is signalled
     * only after that, then b (10) after c */
    long long tc = event_t(ev, "c", "signal SIGTERM", 0);
    long long tb = event_t(ev, "b", "signal SIGTERM", 0);
    ck_assert_int_ge(tc, 0);
    ck_assert_int_ge(tb, 0);
    ck_assert_int_ge(tb, tc);
    ck_assert_int_ge(tc - t0, 900);
    th_free(t);
}
END_TEST

START_TEST(depends_on_waits_for_running)
{
    struct th *t = th_start("[program:a]\ncommand = %s -l @DIR@/ev\nstartsecs = 2\n"
                            "priority = 50\n"
                            "[program:b]\ncommand = %s -l @DIR@/ev\nstartsecs = 0\n"
                            "depends_on = a\npriority = 1\n",
                            probe(), probe());
    ck_assert_int_eq(th_wait_state(t, "b", "RUNNING", WAIT), 0);
    const char *ev = th_path(t, "ev");
    ck_assert_int_eq(th_wait_file(ev, "b start", WAIT), 0);
    long long ta = event_t(ev, "a", "start", 0), tb = event_t(ev, "b", "start", 0);
    ck_assert_int_ge(ta, 0);
    ck_assert_int_ge(tb, 0);
    ck_assert_msg(tb - ta >= 1800, "b started %lld ms after a", tb - ta);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    /* stopped in reverse: b (the dependant) first */
    long long sa = event_t(ev, "a", "signal SIGTERM", 0);
    long long sb = event_t(ev, "b", "signal SIGTERM", 0);
    ck_assert_int_ge(sb, 0);
    ck_assert_int_ge(sa, sb);
    th_free(t);
}
END_TEST

START_TEST(numprocs_copies_are_named)
{
    struct th *t = th_start("[program:x]\ncommand = %s -o @DIR@/r%%(process_num)02d\n"
                            "numprocs = 3\nprocess_name = x_%%(process_num)02d\n"
                            "startsecs = 0\n", probe());
    const char *names[] = { "x:x_00", "x:x_01", "x:x_02" };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(th_wait_state(t, names[i], "RUNNING", WAIT), 0);
        read_report(th_path(t, th_fmt("r%02d", i)));
        ck_assert(report_has_env(th_fmt("SUPERVISOR_PROCESS_NAME=x_%02d", i)));
        ck_assert(report_has_env("SUPERVISOR_GROUP_NAME=x"));
    }
    finish(t);
}
END_TEST

/* ---- what a child gets ---- */

START_TEST(environment_directory_umask)
{
    static const char *const env[] = { "TH_FROM_TEND=yes", "B=tend", NULL };
    struct th_opts o = { .env = env };
    struct th *t = th_new(&o, "environment = A=1,B=\"x, y\"\n"
                              "[program:p]\ncommand = %s -o @DIR@/r\nstartsecs = 0\n"
                              "environment = B=2,C=\"with space\"\n"
                              "directory = @DIR@/wd\numask = 027\n", probe());
    ck_assert_int_eq(mkdir(th_path(t, "wd"), 0755), 0);
    ck_assert_int_eq(th_spawn(t, &o), 0);
    read_report(th_path(t, "r"));
    ck_assert(report_has_env("A=1"));
    ck_assert(report_has_env("B=2"));
    ck_assert(report_has_env("C=with space"));
    ck_assert(report_has_env("TH_FROM_TEND=yes"));
    ck_assert(report_has_env("SUPERVISOR_ENABLED=1"));
    ck_assert(report_has_env("SUPERVISOR_PROCESS_NAME=p"));
    ck_assert(report_has_env("SUPERVISOR_GROUP_NAME=p"));
    ck_assert(report_has_env("TEND_PROCESS_NAME=p"));
    char v[4096];
    report_value("cwd", v, sizeof v);
    ck_assert_str_eq(v, th_path(t, "wd"));
    report_value("umask", v, sizeof v);
    ck_assert_str_eq(v, "0027");
    finish(t);
}
END_TEST

START_TEST(child_fds_signals_and_group)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGTERM);
    static const int ignore[] = { SIGUSR2, SIGHUP, SIGPIPE, 0 };
    /* tend inherits a mask, ignored signals and open fds: none reach the child */
    struct th_opts o = { .sigmask = &mask, .ignore = ignore, .inherit_fds = 3 };
    struct th *t = th_start_opts(&o, "[program:p]\ncommand = %s -o @DIR@/r\nstartsecs = 0\n",
                                 probe());
    read_report(th_path(t, "r"));
    char v[256], pid[32];
    report_value("fds", v, sizeof v);
    ck_assert_str_eq(v, "0 1 2");
    report_value("sigblk", v, sizeof v);
    ck_assert_str_eq(v, "0000000000000000");
    report_value("sigign", v, sizeof v);
    ck_assert_str_eq(v, "0000000000000000");
    report_value("pid", pid, sizeof pid);
    report_value("pgid", v, sizeof v);
    ck_assert_str_eq(v, pid);
    report_value("ppid", v, sizeof v);
    ck_assert_int_eq(atoi(v), t->pid);
    finish(t);
}
END_TEST

START_TEST(bare_command_found_in_path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", probe());
    *strrchr(dir, '/') = '\0';
    struct th *t = th_start("[program:p]\ncommand = probe -o @DIR@/r\nstartsecs = 0\n"
                            "environment = PATH=\"%s:/usr/bin:/bin\"\n", dir);
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    read_report(th_path(t, "r"));
    finish(t);
}
END_TEST

/* A command that cannot run: a failed start with the reason, then FATAL. */
static void exec_fails(const char *conf_lines, const char *needle1, const char *needle2)
{
    struct th *t = th_start("[program:p]\n%s\nstartsecs = 0\nstartretries = 1\n"
                            "[program:ok]\ncommand = %s\nstartsecs = 0\n",
                            conf_lines, probe());
    ck_assert_int_eq(th_wait_state(t, "p", "FATAL", 15000), 0);
    ck_assert_int_eq(th_wait_state(t, "ok", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, needle1, WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, needle2, WAIT), 0);
    finish(t);
}

START_TEST(exec_missing_file)
{
    exec_fails("command = /nonexistent/prog", "/nonexistent/prog", "No such file");
}
END_TEST

START_TEST(exec_not_executable)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/tmp/tend-noexec-%d", (int)getpid());
    ck_assert_int_eq(th_write_file(path, false, "#!/bin/sh\nexit 0\n"), 0);
    chmod(path, 0644);
    exec_fails(th_fmt("command = %s", path), path, "ermission denied");
    unlink(path);
}
END_TEST

START_TEST(exec_bad_directory)
{
    exec_fails(th_fmt("command = %s\ndirectory = /nonexistent/dir", probe()), "/nonexistent/dir",
               "No such file");
}
END_TEST

/* ---- shutdown, lock, status file ---- */

START_TEST(no_child_left_after_shutdown)
{
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/r\nstartsecs = 0\n"
                            "[program:f]\ncommand = %s -o @DIR@/fk -n 2 -O -S\nstartsecs = 0\n"
                            "[program:g]\ncommand = %s -o @DIR@/fk2 -n 1 -O\nstartsecs = 0\n",
                            probe(), th_helper("forker"), th_helper("forker"));
    read_report(th_path(t, "r"));
    char v[32];
    report_value("pid", v, sizeof v);
    pid_t pp = atoi(v);
    pid_t gc[4], gc2[2];
    ck_assert_int_eq(forker_gcs(th_path(t, "fk"), gc, 4), 2);
    ck_assert_int_eq(forker_gcs(th_path(t, "fk2"), gc2, 2), 1);
    for (int i = 0; i < 2; i++)
        ck_assert(th_pid_alive(gc[i]));
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT + 5000), 0);
    ck_assert_int_eq(th_wait_gone(pp, 2000), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(th_wait_gone(gc[i], 2000) == 0, "orphan %d still alive", (int)gc[i]);
    ck_assert_int_eq(th_wait_gone(gc2[0], 2000), 0);
    th_free(t);
}
END_TEST

static void shutdown_by(int sig)
{
    struct th *t = th_start("[program:p]\ncommand = %s -o @DIR@/r\nstartsecs = 0\n", probe());
    read_report(th_path(t, "r"));
    char v[32];
    report_value("pid", v, sizeof v);
    ck_assert_int_eq(th_stop(t, sig, WAIT), 0);
    ck_assert(!th_pid_alive(atoi(v)));
    th_free(t);
}

START_TEST(sigterm_shutdown_exits_0) { shutdown_by(SIGTERM); }
END_TEST
START_TEST(sigint_shutdown_exits_0) { shutdown_by(SIGINT); }
END_TEST
START_TEST(sigquit_shutdown_exits_0) { shutdown_by(SIGQUIT); }
END_TEST

START_TEST(second_tend_on_same_rundir_exits_1)
{
    struct th *t = th_start("[program:p]\ncommand = %s\nstartsecs = 0\n", probe());
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", WAIT), 0);
    struct th *t2 = th_new(NULL, NULL);
    snprintf(t2->conf, sizeof t2->conf, "%s", t->conf);
    ck_assert_int_eq(th_spawn(t2, NULL), 0);
    ck_assert_int_eq(th_wait_exit(t2, WAIT), 1);
    ck_assert_int_eq(th_wait_file(t2->errlog, th_fmt("already running (pid %d)", (int)t->pid),
                                  1000), 0);
    /* the first one is untouched */
    ck_assert(!th_exited(t));
    ck_assert_int_eq(th_wait_state(t, "p", "RUNNING", 100), 0);
    th_free(t2);
    finish(t);
}
END_TEST

/* Read the status file as fast as we can while states change: every read
 * is a whole file in the contract's format. */
START_TEST(status_file_format_and_atomic)
{
    struct th *t = th_start(
        "[program:loop1]\ncommand = %s -d 100 -x 1\nstartretries = 100\n"
        "[program:loop2]\ncommand = %s -d 20 -x 2\nstartsecs = 0\nautorestart = true\n"
        "[program:loop3]\ncommand = %s -d 300 -x 1\nstartretries = 100\n"
        "[program:loop4]\ncommand = %s -d 600 -x 1\nstartretries = 100\n"
        "[program:up]\ncommand = %s\nstartsecs = 0\n"
        "[program:killed]\ncommand = %s -d 100 -k KILL\nstartsecs = 0\nautorestart = false\n"
        "[program:off]\ncommand = %s\nautostart = false\n",
        probe(), probe(), probe(), probe(), probe(), probe(), probe());
    regex_t re;
    ck_assert_int_eq(regcomp(&re,
                             "^[A-Za-z0-9_.:-]+ (STOPPED|STARTING|RUNNING|BACKOFF|STOPPING|"
                             "EXITED|FATAL) pid=[0-9]+ exit=(-|[0-9]+|SIG[A-Z0-9]+) "
                             "restarts=[0-9]+ since=[0-9]+$",
                             REG_EXTENDED | REG_NOSUB), 0);
    ck_assert_int_eq(th_wait_file(t->statusfile, NULL, WAIT), 0);
    static char prev[1 << 16];
    int reads = 0, changes = 0;
    uint64_t end = th_now_ms() + 5000;
    long long now = (long long)time(NULL);
    while (th_now_ms() < end) {
        ssize_t n = th_read_file(t->statusfile, buf, sizeof buf);
        ck_assert_msg(n > 0, "status file missing or empty (read %d)", reads);
        ck_assert_msg(buf[n - 1] == '\n', "status file cut: %s", buf);
        if (strcmp(prev, buf) != 0) {
            changes++;
            memcpy(prev, buf, (size_t)n + 1);
        }
        int lines = 0;
        for (char *l = buf; *l;) {
            char *e = strchr(l, '\n');
            *e = '\0';
            ck_assert_msg(regexec(&re, l, 0, NULL, 0) == 0, "bad status line: '%s'", l);
            long long since = atoll(strstr(l, "since=") + 6);
            ck_assert(since >= now - 5 && since <= now + 60);
            /* no pid outside the states with a live process */
            if (strstr(l, " FATAL ") || strstr(l, " BACKOFF ") || strstr(l, " EXITED ") ||
                strstr(l, " STOPPED "))
                ck_assert_msg(strstr(l, " pid=0 ") != NULL, "pid in '%s'", l);
            lines++;
            l = e + 1;
        }
        ck_assert_int_eq(lines, 7);
        reads++;
        th_nap(1); /* thousands of reads, not hundreds of thousands */
    }
    regfree(&re);
    ck_assert_msg(changes >= 5, "only %d changes in %d reads", changes, reads);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "off", &p), 0);
    ck_assert_str_eq(p.state, "STOPPED");
    ck_assert_str_eq(p.exit, "-");
    ck_assert_int_eq(th_wait_state(t, "killed", "EXITED", WAIT), 0);
    ck_assert_int_eq(th_proc(t, "killed", &p), 0);
    ck_assert_str_eq(p.exit, "SIGKILL");
    ck_assert_int_eq(th_proc(t, "up", &p), 0);
    ck_assert(th_pid_alive(p.pid));
    finish(t);
}
END_TEST

static Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("states");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, starting_then_running_after_startsecs);
    tcase_add_test(tc, startsecs_zero_is_running_at_once);
    tcase_add_test(tc, backoff_retries_then_fatal);
    tcase_add_test(tc, exit_at_once_goes_fatal_never_running);
    tcase_add_test(tc, autostart_false_stays_stopped);
    tcase_add_test(tc, autorestart_false_stays_exited);
    tcase_add_test(tc, autorestart_unexpected_expected_code_stays_exited);
    tcase_add_test(tc, autorestart_unexpected_other_code_restarts);
    tcase_add_test(tc, autorestart_true_restarts_expected_code);
    tcase_add_test(tc, crash_after_running_restarts_with_growing_delay);
    tcase_add_test(tc, on_fatal_shutdown_exits_1);
    tcase_add_test(tc, on_fatal_ignore_keeps_running);
    suite_add_tcase(s, tc);

    tc = tcase_create("stop");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, stopsignal_is_honoured);
    tcase_add_test(tc, sigkill_after_stopwaitsecs);
    tcase_add_test(tc, second_sigint_kills_at_once);
    tcase_add_test(tc, stopasgroup_signals_grandchildren);
    tcase_add_test(tc, without_stopasgroup_grandchildren_not_signalled);
    tcase_add_test(tc, killasgroup_sigkills_grandchildren);
    tcase_add_test(tc, stopasgroup_workers_finish_after_leader);
    tcase_add_test(tc, leftover_workers_get_stopsignal_then_grace);
    tcase_add_test(tc, leftover_workers_killed_after_stopwaitsecs);
    suite_add_tcase(s, tc);

    tc = tcase_create("order");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, priority_start_and_reverse_stop_order);
    tcase_add_test(tc, depends_on_waits_for_running);
    tcase_add_test(tc, numprocs_copies_are_named);
    suite_add_tcase(s, tc);

    tc = tcase_create("child");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, environment_directory_umask);
    tcase_add_test(tc, child_fds_signals_and_group);
    tcase_add_test(tc, bare_command_found_in_path);
    tcase_add_test(tc, exec_missing_file);
    tcase_add_test(tc, exec_not_executable);
    tcase_add_test(tc, exec_bad_directory);
    suite_add_tcase(s, tc);

    tc = tcase_create("shutdown");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, no_child_left_after_shutdown);
    tcase_add_test(tc, sigterm_shutdown_exits_0);
    tcase_add_test(tc, sigint_shutdown_exits_0);
    tcase_add_test(tc, sigquit_shutdown_exits_0);
    tcase_add_test(tc, second_tend_on_same_rundir_exits_1);
    tcase_add_test(tc, status_file_format_and_atomic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lifecycle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
