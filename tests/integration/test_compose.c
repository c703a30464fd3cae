/* test_compose.c - issue 12: features where they meet. Reload x
 * depends_on x waiting clients x shutdown x the main program, each test a
 * regression test for one defect the review found (numbered as in the
 * issue). Every tend is stopped with SIGTERM, so sanitizer builds check the
 * exit path too.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "procinfo.h"

#define WAIT 10000

static char out[1 << 14];

/* Wait until NAME is RUNNING with a pid other than OLD: the pid, or -1. */
static pid_t wait_new_pid(struct th *t, const char *name, pid_t old)
{
    uint64_t end = th_now_ms() + WAIT;
    while (th_now_ms() < end) {
        char st[32];
        pid_t pid = 0;
        if (th_status(t, name, st, sizeof st, &pid, NULL, 0, NULL) == 0 &&
            !strcmp(st, "RUNNING") && pid > 0 && pid != old)
            return pid;
        th_nap(10);
    }
    th_dump(t, "no new RUNNING pid");
    return -1;
}

/* The executable of PID, resolved. */
static const char *exe_of(pid_t pid)
{
    static char buf[PATH_MAX];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0)
        return "";
    buf[n] = 0;
    return buf;
}

/* argv of PID joined with spaces. */
static const char *cmdline_of(pid_t pid)
{
    static char buf[4096];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t n = th_read_file(path, buf, sizeof buf);
    if (n <= 0)
        return "";
    for (ssize_t i = 0; i < n - 1; i++)
        if (!buf[i])
            buf[i] = ' ';
    return buf;
}

/* Wait until PID's cmdline is WANT: 0 or -1. */
static int wait_cmdline(pid_t pid, const char *want)
{
    uint64_t end = th_now_ms() + WAIT;
    while (th_now_ms() < end) {
        if (!strcmp(cmdline_of(pid), want))
            return 0;
        th_nap(10);
    }
    return -1;
}

static const char *realpath_of(const char *path)
{
    static char buf[PATH_MAX];
    return realpath(path, buf) ? buf : path;
}

static int reload(struct th *t)
{
    return th_ctl(t, out, sizeof out, "reload");
}

/* Defect 2: the PATH lookup of the old config must never run with the new
 * argv. Bare names (looked up in PATH), alternated over several reloads so
 * the new config often lands where the old one was freed. */
START_TEST(test_reload_new_command_new_executable)
{
    const char *cmds[2] = { "tail -f /dev/null", "sleep 3000" };
    char tail_exe[PATH_MAX], sleep_exe[PATH_MAX];
    snprintf(tail_exe, sizeof tail_exe, "%s", realpath_of("/usr/bin/tail"));
    snprintf(sleep_exe, sizeof sleep_exe, "%s", realpath_of("/bin/sleep"));
    const char *exes[2] = { tail_exe, sleep_exe };
    struct th *t = th_start("[program:w]\ncommand = %s\nstartsecs = 0\nstopwaitsecs = 2\n",
                            cmds[0]);
    ck_assert_int_eq(th_wait_state(t, "w", "RUNNING", WAIT), 0);
    pid_t pid = th_pid(t, "w");
    for (int round = 1; round <= 6; round++) {
        int k = round % 2;
        ck_assert_int_eq(th_config(t, NULL, "[program:w]\ncommand = %s\nstartsecs = 0\n"
                                            "stopwaitsecs = 2\n", cmds[k]), 0);
        ck_assert_int_eq(reload(t), 0);
        pid = wait_new_pid(t, "w", pid);
        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(wait_cmdline(pid, cmds[k]), 0);
        ck_assert_msg(!strcmp(exe_of(pid), exes[k]), "round %d: %s runs %s, want %s", round,
                      cmdline_of(pid), exe_of(pid), exes[k]);
    }
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Defect 3: a reload that removes x while its dependent y is alive stops x
 * (it is never left unsupervised), x is not restarted when it dies, and
 * shutdown completes. */
START_TEST(test_reload_removes_dependency_and_dependent)
{
    struct th *t = th_start("[program:x]\ncommand = sleep 3001\nstartsecs = 0\n"
                            "stopwaitsecs = 2\n"
                            "[program:y]\ncommand = sleep 3002\nstartsecs = 0\n"
                            "depends_on = x\nstopwaitsecs = 2\n"
                            "[program:z]\ncommand = sleep 3003\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "x", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "y", "RUNNING", WAIT), 0);
    pid_t x = th_pid(t, "x"), y = th_pid(t, "y");
    /* x goes, y stays but no longer depends on it (changed: restarted) */
    ck_assert_int_eq(th_config(t, NULL, "[program:y]\ncommand = sleep 3002\nstartsecs = 0\n"
                                        "stopwaitsecs = 2\n"
                                        "[program:z]\ncommand = sleep 3003\nstartsecs = 0\n"),
                     0);
    ck_assert_int_eq(reload(t), 0);
    ck_assert_msg(th_wait_gone(x, WAIT) == 0, "removed x (pid %d) still runs", (int)x);
    ck_assert_int_eq(th_wait_gone(y, WAIT), 0);
    ck_assert_int_gt(wait_new_pid(t, "y", y), 0);
    ck_assert_int_eq(th_status(t, "x", NULL, 0, NULL, NULL, 0, NULL), -1);
    /* now remove both ends of a pair at once */
    ck_assert_int_eq(th_config(t, NULL, "[program:a]\ncommand = sleep 3004\nstartsecs = 0\n"
                                        "stopwaitsecs = 2\n"
                                        "[program:b]\ncommand = sleep 3005\nstartsecs = 0\n"
                                        "depends_on = a\nstopwaitsecs = 2\n"), 0);
    ck_assert_int_eq(reload(t), 0);
    ck_assert_int_eq(th_wait_state(t, "b", "RUNNING", WAIT), 0);
    pid_t a = th_pid(t, "a"), b = th_pid(t, "b");
    ck_assert_int_eq(th_config(t, NULL, "[program:z]\ncommand = sleep 3003\nstartsecs = 0\n"),
                     0);
    ck_assert_int_eq(reload(t), 0);
    ck_assert_int_eq(th_wait_gone(a, WAIT), 0);
    ck_assert_int_eq(th_wait_gone(b, WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Defect 3, second half: a removed program that ignores its stop signal
 * and is then killed must not be restarted; shutdown waits for it and ends. */
START_TEST(test_removed_program_not_restarted)
{
    const char *ready = NULL;
    struct th *t = th_new(NULL, "%s", "");
    ready = th_path(t, "ign.ready");
    char ready_path[PATH_MAX];
    snprintf(ready_path, sizeof ready_path, "%s", ready);
    ck_assert_int_eq(th_config(t, NULL, "[program:ign]\ncommand = %s %s\nstartsecs = 0\n"
                                        "stopwaitsecs = 30\n"
                                        "[program:dep]\ncommand = sleep 3006\nstartsecs = 0\n"
                                        "depends_on = ign\n"
                                        "[program:keep]\ncommand = sleep 3007\nstartsecs = 0\n",
                               th_helper("sig_ignore"), ready_path), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "dep", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(ready_path, "ready", WAIT), 0);
    pid_t ign = th_pid(t, "ign");
    ck_assert_int_eq(th_config(t, NULL, "[program:keep]\ncommand = sleep 3007\n"
                                        "startsecs = 0\n"), 0);
    ck_assert_int_eq(reload(t), 0);
    /* it got its stop signal (ignored): kill it as a crash would */
    ck_assert_int_eq(th_wait_file(t->errlog, "ign: RUNNING -> STOPPING", WAIT), 0);
    ck_assert_int_eq(kill(ign, SIGKILL), 0);
    ck_assert_int_eq(th_wait_gone(ign, WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "ign: STOPPING -> STOPPED", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    /* started once, at start-up; never again */
    ck_assert_int_eq(th_count_in_file(t->errlog, "ign: STOPPED -> STARTING"), 1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "ign: EXITED"), 0);
    th_free(t);
}
END_TEST

/* Defect 5: a reload that moves the pidfile writes the new one, removes the
 * old one, and tend removes the new one at exit (ASan: no use of the first
 * config after it was freed). */
START_TEST(test_reload_moves_pidfile)
{
    struct th *t = th_new(NULL, "%s", "");
    char p1[PATH_MAX], p2[PATH_MAX];
    snprintf(p1, sizeof p1, "%s", th_path(t, "one.pid"));
    snprintf(p2, sizeof p2, "%s", th_path(t, "two.pid"));
    const char *prog = "[program:s]\ncommand = sleep 3008\nstartsecs = 0\n";
    ck_assert_int_eq(th_config(t, NULL, "pidfile = %s\n%s", p1, prog), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    char want[32];
    snprintf(want, sizeof want, "%d\n", (int)t->pid);
    ck_assert_int_eq(th_wait_file(p1, want, WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "s", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_config(t, NULL, "pidfile = %s\n%s", p2, prog), 0);
    ck_assert_int_eq(reload(t), 0);
    ck_assert_int_eq(th_wait_file(p2, want, WAIT), 0);
    ck_assert_msg(access(p1, F_OK) < 0, "the old pidfile %s is still there", p1);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    ck_assert_msg(access(p2, F_OK) < 0, "pidfile %s not removed at exit", p2);
    th_free(t);
}
END_TEST

/* Defect 9: restarting a dependency brings its dependents back. */
START_TEST(test_restart_dependency_brings_dependents_back)
{
    struct th *t = th_start("[program:db]\ncommand = sleep 3009\nstartsecs = 0\n"
                            "[program:web]\ncommand = sleep 3010\nstartsecs = 0\n"
                            "depends_on = db\n"
                            "[program:api]\ncommand = sleep 3011\nstartsecs = 1\n"
                            "depends_on = web\n");
    ck_assert_int_eq(th_wait_state(t, "api", "RUNNING", WAIT), 0);
    pid_t db = th_pid(t, "db"), web = th_pid(t, "web"), api = th_pid(t, "api");
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "restart db"), 0);
    ck_assert_int_gt(wait_new_pid(t, "db", db), 0);
    ck_assert_int_gt(wait_new_pid(t, "web", web), 0);
    ck_assert_int_gt(wait_new_pid(t, "api", api), 0);
    /* a reload that changes db does the same */
    db = th_pid(t, "db");
    web = th_pid(t, "web");
    api = th_pid(t, "api");
    ck_assert_int_eq(th_config(t, NULL, "[program:db]\ncommand = sleep 3012\nstartsecs = 0\n"
                                        "[program:web]\ncommand = sleep 3010\nstartsecs = 0\n"
                                        "depends_on = db\n"
                                        "[program:api]\ncommand = sleep 3011\nstartsecs = 1\n"
                                        "depends_on = web\n"), 0);
    ck_assert_int_eq(reload(t), 0);
    pid_t ndb = wait_new_pid(t, "db", db);
    ck_assert_int_gt(ndb, 0);
    ck_assert_int_eq(wait_cmdline(ndb, "sleep 3012"), 0);
    ck_assert_int_gt(wait_new_pid(t, "web", web), 0);
    ck_assert_int_gt(wait_new_pid(t, "api", api), 0);
    /* but a dependent the user stopped stays stopped */
    web = th_pid(t, "web");
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop api"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "restart db"), 0);
    ck_assert_int_gt(wait_new_pid(t, "web", web), 0);
    ck_assert_int_eq(th_stays_state(t, "api", "STOPPED", 1500), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Defect 10: tend's signal reaches a main program that has dependents
 * (not its stopsignal). */
START_TEST(test_signal_to_main_with_dependents)
{
    struct th *t = th_new(NULL, "%s", "");
    char rep[PATH_MAX];
    snprintf(rep, sizeof rep, "%s", th_path(t, "main.rep"));
    ck_assert_int_eq(th_config(t, NULL, "[program:m]\ncommand = %s -e 7 %s\nmain = true\n"
                                        "startsecs = 0\nstopsignal = QUIT\n"
                                        "[program:d]\ncommand = sleep 3013\nstartsecs = 0\n"
                                        "depends_on = m\n",
                               th_helper("sigprobe"), rep), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "d", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(rep, "ready", WAIT), 0);
    pid_t d = th_pid(t, "d");
    ck_assert_int_eq(th_stop(t, SIGINT, WAIT), 7);
    ck_assert_int_eq(sig_count(rep, SIGINT), 1);
    ck_assert_int_eq(sig_count(rep, SIGQUIT), 0);
    ck_assert_int_eq(th_wait_gone(d, WAIT), 0);
    th_free(t);
}
END_TEST

/* Defect 12: a dependency with startsecs = 0 that is RUNNING at once; the
 * dependent sorts first. At start-up and through `start`. */
START_TEST(test_startsecs0_dependency)
{
    struct th *t = th_start("[program:a_late]\ncommand = sleep 3014\nstartsecs = 0\n"
                            "depends_on = z_early\n"
                            "[program:z_early]\ncommand = sleep 3015\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "a_late", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop a_late z_early"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "start a_late"), 0);
    ck_assert_int_eq(th_wait_state(t, "z_early", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "a_late", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Defect 13: `restart all` with a depends_on pair answers, and both run. */
START_TEST(test_restart_all_with_dependencies)
{
    struct th *t = th_start("[program:db]\ncommand = sleep 3016\nstartsecs = 0\n"
                            "[program:web]\ncommand = sleep 3017\nstartsecs = 0\n"
                            "depends_on = db\n"
                            "[program:other]\ncommand = sleep 3018\nstartsecs = 1\n");
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "other", "RUNNING", WAIT), 0);
    pid_t db = th_pid(t, "db"), web = th_pid(t, "web");
    int rc = th_ctl(t, out, sizeof out, "restart all");
    ck_assert_msg(rc == 0, "restart all: %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "db: started"));
    ck_assert_ptr_nonnull(strstr(out, "web: started"));
    ck_assert_int_gt(wait_new_pid(t, "db", db), 0);
    ck_assert_int_gt(wait_new_pid(t, "web", web), 0);
    /* the same, named in dependency order and in reverse */
    rc = th_ctl(t, out, sizeof out, "restart web db");
    ck_assert_msg(rc == 0, "restart web db: %d: %s", rc, out);
    rc = th_ctl(t, out, sizeof out, "restart db web");
    ck_assert_msg(rc == 0, "restart db web: %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Defect 14: a reload that changes a dependency (with a live dependent)
 * and starts a stopped dependent: the dependency runs its new command. */
START_TEST(test_reload_changes_dependency_and_starts_dependent)
{
    const char *tail = "[program:web1]\ncommand = sleep 3020\nstartsecs = 0\n"
                       "depends_on = db\n";
    struct th *t = th_start("[program:db]\ncommand = sleep 3019\nstartsecs = 0\n"
                            "%s[program:web2]\ncommand = sleep 3021\nstartsecs = 0\n"
                            "depends_on = db\n", tail);
    ck_assert_int_eq(th_wait_state(t, "web2", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "web1", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop web2"), 0);
    pid_t db = th_pid(t, "db");
    ck_assert_int_eq(th_config(t, NULL, "[program:db]\ncommand = sleep 3022\nstartsecs = 0\n"
                                        "%s[program:web2]\ncommand = sleep 3023\n"
                                        "startsecs = 0\ndepends_on = db\n", tail), 0);
    ck_assert_int_eq(reload(t), 0);
    pid_t ndb = wait_new_pid(t, "db", db);
    ck_assert_int_gt(ndb, 0);
    ck_assert_int_eq(wait_cmdline(ndb, "sleep 3022"), 0);
    ck_assert_int_eq(th_wait_state(t, "web1", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "web2", "RUNNING", WAIT), 0);
    ck_assert_int_eq(wait_cmdline(th_pid(t, "web2"), "sleep 3023"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* Defect 15: requests during shutdown start nothing, and nothing outlives
 * tend. */
START_TEST(test_requests_during_shutdown)
{
    struct th *t = th_new(NULL, "%s", "");
    char ready[PATH_MAX];
    snprintf(ready, sizeof ready, "%s", th_path(t, "slow.ready"));
    ck_assert_int_eq(th_config(t, NULL, "[program:slow]\ncommand = %s %s\nstartsecs = 0\n"
                                        "stopwaitsecs = 3\npriority = 1\n"
                                        "[program:quick]\ncommand = sleep 3024\n"
                                        "startsecs = 0\nautostart = false\n"
                                        "[program:crash]\ncommand = sh -c 'exit 3'\n"
                                        "startsecs = 0\nautorestart = true\n",
                               th_helper("sig_ignore"), ready), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_file(ready, "ready", WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGTERM), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "shutting down", WAIT), 0);
    int rc = th_ctl(t, out, sizeof out, "start quick");
    ck_assert_msg(rc == 1 && strstr(out, "shutting down"), "start during shutdown: %d %s", rc,
                  out);
    rc = th_ctl(t, out, sizeof out, "restart crash");
    ck_assert_msg(rc == 1, "restart during shutdown: %d %s", rc, out);
    rc = th_ctl(t, out, sizeof out, "reload");
    ck_assert_msg(rc == 1, "reload during shutdown: %d %s", rc, out);
    ck_assert_int_eq(th_wait_exit(t, WAIT), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "quick: STOPPED -> STARTING"), 0);
    th_free(t);
}
END_TEST

/* A reload may not edit the main program (it is never restarted): it is
 * refused, with the place, and tend and the main program run on. */
START_TEST(test_reload_refuses_main_change)
{
    struct th *t = th_start("[program:m]\ncommand = sleep 3025\nmain = true\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "m", "RUNNING", WAIT), 0);
    pid_t m = th_pid(t, "m");
    ck_assert_int_eq(th_config(t, NULL, "[program:m]\ncommand = sleep 3026\nmain = true\n"
                                        "startsecs = 0\n"), 0);
    int rc = reload(t);
    ck_assert_msg(rc == 1, "reload: %d: %s", rc, out);
    ck_assert_msg(strstr(out, "tend.ini:") && strstr(out, "main program"), "%s", out);
    ck_assert_int_eq(th_stays_state(t, "m", "RUNNING", 300), 0);
    ck_assert_int_eq(th_pid(t, "m"), m);
    ck_assert(!th_exited(t));
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 143);
    th_free(t);
}
END_TEST

/* A restart waiting for a dependency that tend stopped for a dependency of
 * its own, which was stopped on request: the restart fails, it does not
 * wait for ever. Found by the torture test. */
START_TEST(test_pending_start_chain_stopped)
{
    struct th *t = th_new(NULL, "%s", "");
    char ready[PATH_MAX];
    snprintf(ready, sizeof ready, "%s", th_path(t, "c.ready"));
    ck_assert_int_eq(th_config(t, NULL, "[program:a]\ncommand = sleep 3040\nstartsecs = 0\n"
                                        "[program:b]\ncommand = sleep 3041\nstartsecs = 0\n"
                                        "depends_on = a\n"
                                        "[program:c]\ncommand = %s %s\nstartsecs = 0\n"
                                        "stopwaitsecs = 2\ndepends_on = b\n",
                               th_helper("sig_ignore"), ready), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "c", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(ready, "ready", WAIT), 0);
    /* c takes 2 s to stop; meanwhile a is stopped on request */
    ck_assert_int_eq(th_write_file(t->control, false, "restart c\n"), 0);
    ck_assert_int_eq(th_wait_state(t, "c", "STOPPING", WAIT), 0);
    ck_assert_int_eq(th_write_file(t->control, false, "stop a\n"), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "c: STOPPED -> STOPPED (its dependency b is stopped)",
                                  WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "a", "STOPPED", WAIT), 0);
    /* all of it comes back with a */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "start a"), 0);
    ck_assert_int_eq(th_wait_state(t, "c", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A client waiting on a program that a reload then drops is answered
 * (`removed by reload`), not left hanging. Found by the torture test. */
START_TEST(test_waiting_client_of_removed_program)
{
    struct th *t = th_start("loglevel = debug\n"
                            "[program:a]\ncommand = sleep 3042\nstartsecs = 0\n"
                            "autostart = false\n"
                            "[program:keep]\ncommand = sleep 3043\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "keep", "RUNNING", WAIT), 0);
    char res[PATH_MAX];
    snprintf(res, sizeof res, "%s", th_path(t, "wait.out"));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(res, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(th_tendctl_bin(), th_tendctl_bin(), "-s", t->control, "-t", "30", "wait", "a",
              "RUNNING", (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(th_wait_file(t->errlog, "control: wait", WAIT), 0);
    ck_assert_int_eq(th_config(t, NULL, "[program:keep]\ncommand = sleep 3043\n"
                                        "startsecs = 0\n"), 0);
    ck_assert_int_eq(reload(t), 0);
    int st;
    uint64_t end = th_now_ms() + WAIT;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        ck_assert_msg(th_now_ms() < end, "the waiting client got no answer");
        th_nap(20);
    }
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    ck_assert_int_gt(th_count_in_file(res, "removed by reload"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* What a main program depends on may change (its numprocs, so the names);
 * the main program itself runs on, and the reload is applied. Found by the
 * torture test. */
START_TEST(test_reload_main_dependency_names_change)
{
    struct th *t = th_start("[program:m]\ncommand = sleep 3038\nmain = true\nstartsecs = 0\n"
                            "depends_on = w\n"
                            "[program:w]\ncommand = sleep 30%%(process_num)d9\nstartsecs = 0\n"
                            "numprocs = 2\nprocess_name = %%(program_name)s_%%(process_num)d\n");
    ck_assert_int_eq(th_wait_state(t, "m", "RUNNING", WAIT), 0);
    pid_t m = th_pid(t, "m");
    ck_assert_int_eq(th_config(t, NULL, "[program:m]\ncommand = sleep 3038\nmain = true\n"
                                        "startsecs = 0\ndepends_on = w\npriority = 5\n"
                                        "[program:w]\ncommand = sleep 3049\nstartsecs = 0\n"), 0);
    int rc = reload(t);
    ck_assert_msg(rc == 0, "reload: %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(t, "w", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_pid(t, "m"), m);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 143);
    th_free(t);
}
END_TEST

/* Unnamed signals are SIGnn in the status file, never SIGSIGnn. */
START_TEST(test_status_signal_name)
{
    struct th *t = th_start("[program:s]\ncommand = sleep 3027\nstartsecs = 0\n"
                            "autorestart = false\n");
    ck_assert_int_eq(th_wait_state(t, "s", "RUNNING", WAIT), 0);
    ck_assert_int_eq(kill(th_pid(t, "s"), SIGRTMIN + 6), 0);
    ck_assert_int_eq(th_wait_state(t, "s", "EXITED", WAIT), 0);
    char ex[32];
    ck_assert_int_eq(th_status(t, "s", NULL, 0, NULL, ex, sizeof ex, NULL), 0);
    char want[16];
    snprintf(want, sizeof want, "SIG%d", SIGRTMIN + 6);
    ck_assert_str_eq(ex, want);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A `[group:web] app` and a `[program:web_app]` get separate AUTO logs. */
START_TEST(test_auto_log_names_do_not_collide)
{
    struct th *t = th_start("childlogdir = @DIR@/logs\n"
                            "[group:web]\nprograms = app\n"
                            "[program:app]\ncommand = sh -c 'echo from-group; exec sleep 3028'\n"
                            "startsecs = 0\nstdout_logfile = AUTO\n"
                            "[program:other_app]\ncommand = sleep 1\nprocess_name = app\n"
                            "startsecs = 0\nautorestart = false\n"
                            "[program:web_app]\ncommand = sh -c 'echo from-plain; exec sleep "
                            "3029'\nstartsecs = 0\nstdout_logfile = AUTO\n");
    ck_assert_int_eq(th_wait_state(t, "web:app", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "web_app", "RUNNING", WAIT), 0);
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s", th_path(t, "logs/web:app-stdout.log"));
    snprintf(b, sizeof b, "%s", th_path(t, "logs/web_app-stdout.log"));
    ck_assert_int_eq(th_wait_file(a, "from-group", WAIT), 0);
    ck_assert_int_eq(th_wait_file(b, "from-plain", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(a, "from-plain"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A dependent whose retry comes while its dependency is down waits for the
 * dependency instead of failing against it, and tries again once it is up. */
/* A reload that changes a dependency (so its dependent is stopped for it)
 * and that dependent too: the dependent comes back with its new command.
 * Found by the torture test. */
START_TEST(test_reload_changes_dependency_and_dependent)
{
    struct th *t = th_start("[program:a]\ncommand = sleep 3031\nstartsecs = 0\n"
                            "[program:b]\ncommand = sleep 3032\nstartsecs = 0\n"
                            "depends_on = a\n"
                            "[program:c]\ncommand = sleep 3033\nstartsecs = 0\n"
                            "depends_on = b\n");
    ck_assert_int_eq(th_wait_state(t, "c", "RUNNING", WAIT), 0);
    pid_t b = th_pid(t, "b"), c = th_pid(t, "c");
    ck_assert_int_eq(th_config(t, NULL, "[program:b]\ncommand = sleep 3032\nstartsecs = 0\n"
                                        "[program:c]\ncommand = sleep 3034\nstartsecs = 0\n"
                                        "depends_on = b\n"), 0);
    ck_assert_int_eq(reload(t), 0);
    ck_assert_int_gt(wait_new_pid(t, "b", b), 0);
    pid_t nc = wait_new_pid(t, "c", c);
    ck_assert_int_gt(nc, 0);
    ck_assert_int_eq(wait_cmdline(nc, "sleep 3034"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A start waiting for a dependency that is then stopped on request fails
 * (no waiting forever, no fighting the stop) and comes back with it. */
START_TEST(test_pending_start_fails_when_dependency_stopped)
{
    struct th *t = th_new(NULL, "%s", "");
    char ready[PATH_MAX];
    snprintf(ready, sizeof ready, "%s", th_path(t, "db.ready"));
    ck_assert_int_eq(th_config(t, NULL, "[program:db]\ncommand = %s %s\nstartsecs = 0\n"
                                        "stopwaitsecs = 2\n"
                                        "[program:web]\ncommand = sleep 3035\nstartsecs = 0\n"
                                        "depends_on = db\n",
                               th_helper("sig_ignore"), ready), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(ready, "ready", WAIT), 0);
    /* db ignores SIGTERM: it is STOPPING for 2 s, web already down */
    char line[PATH_MAX + 64];
    snprintf(line, sizeof line, "stop db\n");
    ck_assert_int_eq(th_write_file(t->control, false, "%s", line), 0);
    ck_assert_int_eq(th_wait_state(t, "db", "STOPPING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "web", "STOPPED", WAIT), 0);
    int rc = th_ctl(t, out, sizeof out, "start web");
    ck_assert_msg(rc == 1 && strstr(out, "its dependency db is stopped"), "start web: %d: %s",
                  rc, out);
    ck_assert_str_eq(th_fmt("%d", th_pid(t, "db")), "0");
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "start db"), 0);
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A start that waits on a dependency in a crash loop: the dependency comes
 * up and goes down again while the start waits, so the start fails at once
 * (down the chain too: mid was started for web and gave up) rather than
 * waiting for all of them to be up at the same moment, which may never be.
 * Found by the torture test: `restart` hung 30 s. */
START_TEST(test_pending_start_fails_when_dependency_crashes)
{
    /* slow stays STARTING for 60 s: mid can only wait, and db keeps crashing */
    struct th *t = th_start("[program:db]\ncommand = %s 12\nstartsecs = 0\n"
                            "[program:slow]\ncommand = sleep 3038\nstartsecs = 60\n"
                            "[program:mid]\ncommand = sleep 3036\nstartsecs = 0\n"
                            "autostart = false\ndepends_on = db, slow\n"
                            "[program:web]\ncommand = sleep 3037\nstartsecs = 0\n"
                            "autostart = false\ndepends_on = mid\n",
                            th_helper("exitwith"));
    ck_assert_int_eq(th_wait_file(t->errlog, "db: RUNNING -> EXITED", WAIT), 0);
    int rc = th_ctl(t, out, sizeof out, "-t 20 start web");
    ck_assert_msg(rc == 1 && strstr(out, "its dependency mid failed while it waited"),
                  "start web: %d: %s", rc, out);
    ck_assert_int_eq(th_wait_file(t->errlog, "mid: STOPPED -> STOPPED (its dependency db failed "
                                             "while it waited)", WAIT), 0);
    struct th_proc w;
    ck_assert_int_eq(th_proc(t, "web", &w), 0);
    ck_assert_str_eq(w.state, "STOPPED");
    ck_assert_int_eq(th_proc(t, "mid", &w), 0);
    ck_assert_str_eq(w.state, "STOPPED");
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A start asked for starts every dependency stopped on request before it
 * judges them: starting the first copy of a numprocs dependency (STARTING)
 * must not fail the start on the copy not started yet. Found
 * by the torture test (`restart p3` -> abnormal termination: its dependency
 * p2:p2_1 is stopped). */
START_TEST(test_start_starts_all_stopped_dependencies_first)
{
    struct th *t = th_start("[program:db]\ncommand = sleep 3036\nstartsecs = 1\nnumprocs = 3\n"
                            "process_name = %%(program_name)s_%%(process_num)d\n"
                            "[program:web]\ncommand = sleep 3037\nstartsecs = 0\n"
                            "depends_on = db\n");
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    ck_assert_msg(th_ctl(t, out, sizeof out, "stop db") == 0, "%s", out);
    ck_assert_int_eq(th_wait_state(t, "web", "STOPPED", WAIT), 0);
    int rc = th_ctl(t, out, sizeof out, "start web");
    ck_assert_msg(rc == 0, "start web: %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(th_wait_state(t, th_fmt("db:db_%d", i), "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop db"), 0);
    rc = th_ctl(t, out, sizeof out, "restart web");
    ck_assert_msg(rc == 0, "restart web: %d: %s", rc, out);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A reload that gives a running program a new dependency: the new edge
 * counts at once (stopping the dependency stops it). Found by the torture
 * test: edges were resolved from the settings the program ran with. */
START_TEST(test_reload_adds_dependency_edge)
{
    const char *db = "[program:db]\ncommand = sleep 3036\nstartsecs = 0\n";
    struct th *t = th_start("%s[program:web]\ncommand = sleep 3037\nstartsecs = 0\n", db);
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    pid_t web = th_pid(t, "web");
    ck_assert_int_eq(th_config(t, NULL, "%s[program:web]\ncommand = sleep 3037\n"
                                        "startsecs = 0\ndepends_on = db\n", db), 0);
    ck_assert_int_eq(reload(t), 0);
    ck_assert_int_gt(wait_new_pid(t, "web", web), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop db"), 0);
    ck_assert_int_eq(th_wait_state(t, "web", "STOPPED", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "start db"), 0);
    ck_assert_int_eq(th_wait_state(t, "web", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static int web_starts(struct th *t)
{
    return th_count_in_file(t->errlog, "web: BACKOFF -> STARTING") +
           th_count_in_file(t->errlog, "web: STOPPED -> STARTING");
}

START_TEST(test_retry_waits_for_dependency)
{
    struct th *t = th_start("[program:db]\ncommand = sleep 3030\nstartsecs = 0\n"
                            "[program:web]\ncommand = sh -c 'exit 1'\nstartsecs = 1\n"
                            "startretries = 100\ndepends_on = db\n");
    ck_assert_int_eq(th_wait_state(t, "db", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "web", "BACKOFF", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop db"), 0);
    /* web's next retry (at most 2 s away) finds db down and waits; had it
     * been STARTING when db stopped, it was stopped first: either way no
     * new start while db is down */
    int tries = web_starts(t);
    ck_assert_int_eq(th_stays_state(t, "db", "STOPPED", 4000), 0);
    ck_assert_int_eq(web_starts(t), tries);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "start db"), 0);
    uint64_t end = th_now_ms() + WAIT;
    while (web_starts(t) == tries) {
        ck_assert_msg(th_now_ms() < end, "web never tried again once db was back");
        th_nap(20);
    }
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compose");
    TCase *tc = tcase_create("compose");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_reload_new_command_new_executable);
    tcase_add_test(tc, test_reload_removes_dependency_and_dependent);
    tcase_add_test(tc, test_removed_program_not_restarted);
    tcase_add_test(tc, test_reload_moves_pidfile);
    tcase_add_test(tc, test_restart_dependency_brings_dependents_back);
    tcase_add_test(tc, test_signal_to_main_with_dependents);
    tcase_add_test(tc, test_startsecs0_dependency);
    tcase_add_test(tc, test_restart_all_with_dependencies);
    tcase_add_test(tc, test_reload_changes_dependency_and_starts_dependent);
    tcase_add_test(tc, test_requests_during_shutdown);
    tcase_add_test(tc, test_reload_refuses_main_change);
    tcase_add_test(tc, test_status_signal_name);
    tcase_add_test(tc, test_auto_log_names_do_not_collide);
    tcase_add_test(tc, test_retry_waits_for_dependency);
    tcase_add_test(tc, test_reload_changes_dependency_and_dependent);
    tcase_add_test(tc, test_pending_start_fails_when_dependency_stopped);
    tcase_add_test(tc, test_reload_adds_dependency_edge);
    tcase_add_test(tc, test_reload_main_dependency_names_change);
    tcase_add_test(tc, test_pending_start_chain_stopped);
    tcase_add_test(tc, test_waiting_client_of_removed_program);
    tcase_add_test(tc, test_pending_start_fails_when_dependency_crashes);
    tcase_add_test(tc, test_start_starts_all_stopped_dependencies_first);
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
