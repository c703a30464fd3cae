/* test_faults.c - issue 8: tend under injected faults. In each case tend
 * says why (in its stderr), keeps every other program supervised, and
 * recovers once the fault goes away:
 *   - fork fails (RLIMIT_NPROC, tend run as an unused uid: root is exempt);
 *   - no descriptor left (RLIMIT_NOFILE lowered under a running tend);
 *   - exec of a missing or non-executable file, a missing `directory`;
 *   - a log file on a full filesystem (a 64 KiB tmpfs in a private mount
 *     namespace; skipped with the reason when mounting is not permitted);
 *   - the rundir removed under a running tend;
 *   - the control FIFO replaced by a regular file.
 * Faults start and end at moments the test chooses (a program ends, a file
 * appears, RLIMIT_NOFILE is lowered and raised with prlimit(2)), so nothing
 * races tend's own start-up.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 10000 /* ms: generous deadline for things that happen "soon" */

static char buf[1 << 16];

static const char *probe(void) { return th_helper("probe"); }

/* Write one fire-and-forget request line to T's control FIFO: 0 or -1. No
 * descriptor of tend is needed to receive it (its FIFO is already open). */
static int fifo_send(struct th *t, const char *line)
{
    int fd = open(t->control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(line);
    ssize_t w;
    do
        w = write(fd, line, n);
    while (w < 0 && errno == EINTR);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

/* strerror(EMFILE) in glibc and in musl */
#define EMFILE_TEXT "Too many open files|No file descriptors available"

/* Does B, a list of texts separated by '|', have one in line L? */
static bool has_any(const char *l, const char *b)
{
    char alt[256];
    snprintf(alt, sizeof alt, "%s", b);
    for (char *save = NULL, *x = strtok_r(alt, "|", &save); x; x = strtok_r(NULL, "|", &save))
        if (strstr(l, x))
            return true;
    return false;
}

/* Does a line of the file at PATH hold both A and (one text of) B? */
static bool line_has(const char *path, const char *a, const char *b)
{
    if (th_read_file(path, buf, sizeof buf) < 0)
        return false;
    for (char *l = buf; l && *l;) {
        char *end = strchr(l, '\n');
        if (end)
            *end = '\0';
        if (strstr(l, a) && (!b || has_any(l, b)))
            return true;
        l = end ? end + 1 : NULL;
    }
    return false;
}

static int wait_line(const char *path, const char *a, const char *b, int ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)ms;
    while (!line_has(path, a, b)) {
        if (th_now_ms() >= deadline) {
            fprintf(stderr, "no line with '%s' and '%s' in %s\n", a, b ? b : "", path);
            return -1;
        }
        th_nap(20);
    }
    return 0;
}

/* The pid in a probe report (waiting for it), or -1. */
static pid_t report_pid(const char *path)
{
    char v[32];
    if (th_wait_file(path, "\nend\n", WAIT) < 0 || th_read_file(path, buf, sizeof buf) < 0 ||
        th_kv(buf, "pid", v, sizeof v) < 0)
        return -1;
    return (pid_t)atoi(v);
}

/* Set the soft limit RES of process PID (0 or -1); OLD gets the previous. */
static int set_soft(pid_t pid, int res, rlim_t soft, struct rlimit *old)
{
    struct rlimit now;
    if (prlimit(pid, res, NULL, &now) < 0)
        return -1;
    if (old)
        *old = now;
    now.rlim_cur = soft;
    return prlimit(pid, res, &now, NULL);
}

static void finish(struct th *t)
{
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT + 5000), 0);
    th_free(t);
}

/* ---- fork fails ---- */

START_TEST(fork_fails_then_recovers)
{
    /* RLIMIT_NPROC counts the processes of a real uid and is not enforced
     * for root, so tend runs as a uid nobody else on the machine uses, with
     * room for itself and one child. (prlimit(2) from outside would need
     * CAP_SYS_RESOURCE, which containers often drop.) */
    uid_t uid = 3000000 + (uid_t)(getpid() % 100000);
    static char real[PATH_MAX], ctl[PATH_MAX], asuser[PATH_MAX], pr[PATH_MAX];
    const char *r = getenv("TEND_REAL_BIN"); /* not through valgrind: its log dir is root's */
    snprintf(real, sizeof real, "%s", r && *r ? r : th_tend_bin());
    snprintf(ctl, sizeof ctl, "%s", th_tendctl_bin());
    snprintf(asuser, sizeof asuser, "%s", th_helper("fault_asuser"));
    snprintf(pr, sizeof pr, "%s", probe());
    ck_assert_int_eq(setenv("FAULT_EXEC", real, 1), 0);
    ck_assert_int_eq(setenv("FAULT_UID", th_fmt("%u", (unsigned)uid), 1), 0);
    ck_assert_int_eq(setenv("FAULT_NPROC", "2", 1), 0);

    struct th *t = th_new(NULL,
                          "[program:a]\ncommand = %s -o @DIR@/ra\nstartsecs = 0\n"
                          "autorestart = false\n"
                          "[program:b]\ncommand = %s -o @DIR@/rb\nstartsecs = 0\n"
                          "autostart = false\nstartretries = 30\n", pr, pr);
    ck_assert_int_eq(chown(t->dir, uid, uid), 0);
    ck_assert_int_eq(setenv("TEND_BIN", asuser, 1), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    pid_t a = report_pid(th_path(t, "ra"));
    ck_assert_int_gt(a, 0);
    struct stat st;
    ck_assert_int_eq(stat(th_fmt("/proc/%d", (int)t->pid), &st), 0);
    ck_assert_msg(st.st_uid == uid, "tend runs as uid %u, not %u", (unsigned)st.st_uid,
                  (unsigned)uid);

    /* tend and a make 2 processes: starting b cannot fork. */
    ck_assert_int_eq(fifo_send(t, "start b\n"), 0);
    ck_assert_int_eq(wait_line(t->errlog, "b: cannot start", "Resource temporarily unavailable", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "b", "BACKOFF", WAIT), 0);
    ck_assert_int_eq(th_stays_state(t, "a", "RUNNING", 300), 0);
    ck_assert(th_pid_alive(a));

    /* The fault goes away (a ends, for good): the next retry starts b. */
    ck_assert_int_eq(kill(a, SIGTERM), 0);
    ck_assert_int_eq(th_wait_state(t, "a", "EXITED", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "b", "RUNNING", WAIT), 0);
    ck_assert_int_gt(report_pid(th_path(t, "rb")), 0);
    /* tendctl must run as tend's user: tend cannot reach root's 0700 reply folder */
    ck_assert_int_eq(unsetenv("FAULT_NPROC"), 0);
    ck_assert_int_eq(setenv("FAULT_EXEC", ctl, 1), 0);
    ck_assert_int_eq(setenv("TENDCTL_BIN", asuser, 1), 0);
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "status b"), 0);
    finish(t);
}
END_TEST

/* ---- no descriptor left ---- */

START_TEST(no_fds_then_recovers)
{
    struct th *t = th_start("[program:a]\ncommand = %s -o @DIR@/ra\nstartsecs = 0\n"
                            "[program:b]\ncommand = %s -o @DIR@/rb\nstartsecs = 0\n"
                            "autostart = false\nstartretries = 30\n"
                            "stdout_logfile = @DIR@/b.log\n", probe(), probe());
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    pid_t a = report_pid(th_path(t, "ra"));
    ck_assert_int_gt(a, 0);

    /* Below what tend holds: every new descriptor fails with EMFILE (whose
     * text depends on the C library tend was built with). The
     * status file cannot be written either, so watch tend's stderr. */
    struct rlimit old;
    ck_assert_int_eq(set_soft(t->pid, RLIMIT_NOFILE, 3, &old), 0);
    ck_assert_int_eq(fifo_send(t, "start b\n"), 0);
    ck_assert_int_eq(wait_line(t->errlog, "b: cannot start", EMFILE_TEXT, WAIT), 0);
    ck_assert_int_eq(wait_line(t->errlog, "b: ", "BACKOFF", WAIT), 0);
    /* a crash meanwhile is reaped and retried, too */
    ck_assert_int_eq(unlink(th_path(t, "ra")), 0);
    ck_assert_int_eq(kill(a, SIGKILL), 0);
    ck_assert_int_eq(th_wait_gone(a, WAIT), 0);
    ck_assert_int_eq(wait_line(t->errlog, "a: cannot start", EMFILE_TEXT, WAIT), 0);
    ck_assert(!th_exited(t));

    ck_assert_int_eq(prlimit(t->pid, RLIMIT_NOFILE, &old, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "b", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    ck_assert_int_gt(report_pid(th_path(t, "ra")), 0);
    ck_assert_int_gt(report_pid(th_path(t, "rb")), 0);
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "status"), 0);
    finish(t);
}
END_TEST

/* ---- exec and directory ---- */

START_TEST(exec_faults_fatal_with_reason)
{
    struct th *t = th_new(NULL,
                          "[program:ok]\ncommand = %s -o @DIR@/rok\nstartsecs = 0\n"
                          "[program:missing]\ncommand = @DIR@/nofile\nstartretries = 1\n"
                          "[program:noexec]\ncommand = @DIR@/noexec.sh\nstartretries = 1\n"
                          "[program:nodir]\ncommand = %s\ndirectory = @DIR@/nodir\n"
                          "startretries = 1\n", probe(), probe());
    ck_assert_int_eq(th_write_file(th_path(t, "noexec.sh"), false, "#!/bin/sh\nexit 0\n"), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "ok", "RUNNING", WAIT), 0);
    pid_t ok = report_pid(th_path(t, "rok"));
    ck_assert_int_eq(th_wait_state(t, "missing", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "noexec", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "nodir", "FATAL", WAIT), 0);
    ck_assert_int_eq(wait_line(t->errlog, th_path(t, "nofile"), "No such file", WAIT), 0);
    ck_assert_int_eq(wait_line(t->errlog, th_path(t, "noexec.sh"), "ermission denied", WAIT), 0);
    ck_assert_int_eq(wait_line(t->errlog, th_path(t, "nodir"), "No such file", WAIT), 0);
    struct th_proc p;
    ck_assert_int_eq(th_proc(t, "ok", &p), 0);
    ck_assert_str_eq(p.state, "RUNNING");
    ck_assert_int_eq(p.pid, ok);
    finish(t);
}
END_TEST

START_TEST(exec_faults_recover_while_retrying)
{
    struct th *t = th_new(NULL,
                          "[program:missing]\ncommand = @DIR@/late.sh\nstartsecs = 0\n"
                          "startretries = 30\n"
                          "[program:noexec]\ncommand = @DIR@/noexec.sh\nstartsecs = 0\n"
                          "startretries = 30\n"
                          "[program:nodir]\ncommand = %s -o @DIR@/rnodir\ndirectory = @DIR@/later\n"
                          "startsecs = 0\nstartretries = 30\n", probe());
    const char *script = th_fmt("#!/bin/sh\nexec %s -o \"$0.report\"\n", probe());
    ck_assert_int_eq(th_write_file(th_path(t, "noexec.sh"), false, "%s", script), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "missing", "BACKOFF", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "noexec", "BACKOFF", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "nodir", "BACKOFF", WAIT), 0);

    /* Each fault goes away; the next retry succeeds. */
    ck_assert_int_eq(th_write_file(th_path(t, "late.sh"), true, "%s", script), 0);
    ck_assert_int_eq(chmod(th_path(t, "noexec.sh"), 0755), 0);
    ck_assert_int_eq(mkdir(th_path(t, "later"), 0755), 0);
    ck_assert_int_eq(th_wait_state(t, "missing", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "noexec", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "nodir", "RUNNING", WAIT), 0);
    ck_assert_int_gt(report_pid(th_path(t, "late.sh.report")), 0);
    ck_assert_int_gt(report_pid(th_path(t, "noexec.sh.report")), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "rnodir"), th_fmt("cwd %s", th_path(t, "later")), WAIT), 0);
    finish(t);
}
END_TEST

/* ---- full filesystem ---- */

/* Highest N of the "chat line N" lines in PATH (0 when none). */
static long last_chat(const char *path)
{
    long max = 0;
    if (th_read_file(path, buf, sizeof buf) < 0)
        return 0;
    for (const char *s = buf; (s = strstr(s, "chat line ")); s += 10) {
        long n = atol(s + 10);
        if (n > max)
            max = n;
    }
    return max;
}

/* Each way a file gets written: spliced (raw), batched lines written in
 * the loop's writer thread (log_timestamp; log_prefix): same outcome. */
static const char *const full_fs_keys[] = {
    "", "log_timestamp = iso8601\n", "log_prefix = true\n",
};

START_TEST(log_on_full_filesystem)
{
    /* A private mount namespace: the tmpfs disappears with this test's
     * processes whatever happens, and the machine's mounts are untouched. */
    if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        printf("log_on_full_filesystem: SKIPPED: cannot make a private mount namespace: %s\n",
               strerror(errno));
        return;
    }
    struct th *t = th_new(NULL,
                          "[program:chat]\ncommand = @DIR@/chat.sh\nstartsecs = 0\n"
                          "stdout_logfile = @DIR@/fs/chat.log\nstdout_logfile_maxbytes = 0\n%s"
                          "[program:ok]\ncommand = %s -o @DIR@/rok\nstartsecs = 0\n",
                          full_fs_keys[_i], probe());
    const char *fs = th_path(t, "fs");
    ck_assert_int_eq(mkdir(fs, 0755), 0);
    if (mount("tmpfs", fs, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") < 0) {
        printf("log_on_full_filesystem: SKIPPED: cannot mount a tmpfs: %s\n", strerror(errno));
        th_free(t);
        return;
    }
    ck_assert_int_eq(th_write_file(th_path(t, "chat.sh"), true,
                                   "#!/bin/sh\ni=0\nwhile :; do\n  i=$((i+1))\n"
                                   "  echo \"chat line $i\"\n  sleep 0.02\ndone\n"), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "chat", "RUNNING", WAIT), 0);
    const char *log = th_path(t, "fs/chat.log");
    ck_assert_int_eq(th_wait_file(log, "chat line 3\n", WAIT), 0);
    struct th_proc chat;
    ck_assert_int_eq(th_proc(t, "chat", &chat), 0);

    /* Fill the filesystem up. */
    int fd = open(th_path(t, "fs/filler"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    static char zeros[4096];
    while (write(fd, zeros, sizeof zeros) > 0)
        ;
    ck_assert_int_eq(errno, ENOSPC);
    close(fd);
    ck_assert_int_eq(wait_line(t->errlog, "chat.log", "No space left on device", WAIT), 0);
    long before = last_chat(log);
    /* The program goes on (its output is dropped) and tend says it once. */
    ck_assert_int_eq(th_stays_state(t, "chat", "RUNNING", 1000), 0);
    ck_assert(th_pid_alive(chat.pid));
    ck_assert_int_eq(th_count_in_file(t->errlog, "No space left on device"), 1);
    ck_assert_int_eq(last_chat(log), before);

    /* Space again: new lines reach the file. */
    ck_assert_int_eq(unlink(th_path(t, "fs/filler")), 0);
    uint64_t deadline = th_now_ms() + WAIT;
    while (last_chat(log) <= before + 2 && th_now_ms() < deadline)
        th_nap(20);
    ck_assert_int_gt(last_chat(log), before + 2);
    struct th_proc now;
    ck_assert_int_eq(th_proc(t, "chat", &now), 0);
    ck_assert_int_eq(now.pid, chat.pid);
    ck_assert_int_eq(th_proc(t, "ok", &now), 0);
    ck_assert_str_eq(now.state, "RUNNING");
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT + 5000), 0);
    umount2(fs, MNT_DETACH);
    th_free(t);
}
END_TEST

/* ---- rundir and control FIFO ---- */

/* Kill the probe whose report is REPORT and wait for its successor: the
 * new pid, or -1. Shows tend still reaps and restarts. */
static pid_t crash_and_restart(const char *report)
{
    pid_t old = report_pid(report);
    if (old <= 0 || unlink(report) < 0 || kill(old, SIGKILL) < 0)
        return -1;
    pid_t now = report_pid(report);
    return now == old ? -1 : now;
}

START_TEST(rundir_removed)
{
    struct th *t = th_start("[program:up]\ncommand = %s -o @DIR@/rup\nstartsecs = 0\n"
                            "autorestart = true\n", probe());
    ck_assert_int_eq(th_wait_state(t, "up", "RUNNING", WAIT), 0);
    ck_assert_int_gt(report_pid(th_path(t, "rup")), 0);
    ck_assert_int_eq(th_run((const char *[]){ "/bin/rm", "-rf", t->rundir, NULL }, NULL, 0,
                            WAIT), 0);

    /* Still supervising; the status file error is reported (once). */
    ck_assert_int_gt(crash_and_restart(th_path(t, "rup")), 0);
    ck_assert_int_eq(wait_line(t->errlog, "cannot write", "status", WAIT), 0);
    pid_t p2 = crash_and_restart(th_path(t, "rup"));
    ck_assert_int_gt(p2, 0);
    ck_assert(!th_exited(t));
    ck_assert_int_eq(th_count_in_file(t->errlog, "cannot write"), 1);

    /* The folder is back: the next change writes the status file again. */
    ck_assert_int_eq(mkdir(t->rundir, 0700), 0);
    pid_t p3 = crash_and_restart(th_path(t, "rup"));
    ck_assert_int_gt(p3, 0);
    uint64_t deadline = th_now_ms() + WAIT;
    struct th_proc p = { .pid = 0 };
    while ((th_proc(t, "up", &p) < 0 || p.pid != p3) && th_now_ms() < deadline)
        th_nap(20);
    ck_assert_int_eq(p.pid, p3);
    finish(t);
}
END_TEST

START_TEST(control_fifo_replaced_by_file)
{
    struct th *t = th_start("[program:up]\ncommand = %s -o @DIR@/rup\nstartsecs = 0\n"
                            "autorestart = true\n", probe());
    ck_assert_int_eq(th_wait_state(t, "up", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "status"), 0);
    ck_assert_int_eq(unlink(t->control), 0);
    ck_assert_int_eq(th_write_file(t->control, false, "not a fifo\n"), 0);

    /* tendctl says tend is unreachable, and writes nothing into the file. */
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "-t 2 status"), 4);
    ck_assert_int_eq(th_read_file(t->control, buf, sizeof buf), 11);
    ck_assert_str_eq(buf, "not a fifo\n");
    /* tend and its program go on */
    ck_assert_int_gt(crash_and_restart(th_path(t, "rup")), 0);
    ck_assert_int_eq(th_wait_state(t, "up", "RUNNING", WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGUSR2), 0); /* reopen: no reason to die either */
    ck_assert_int_eq(th_stays_state(t, "up", "RUNNING", 300), 0);
    ck_assert(!th_exited(t));
    /* and on the way out tend removes only the FIFO it made */
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT + 5000), 0);
    ck_assert_int_eq(th_read_file(t->control, buf, sizeof buf), 11);
    th_free(t);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("resources");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fork_fails_then_recovers);
    tcase_add_test(tc, no_fds_then_recovers);
    tcase_add_loop_test(tc, log_on_full_filesystem, 0,
                        (int)(sizeof full_fs_keys / sizeof *full_fs_keys));
    suite_add_tcase(s, tc);

    tc = tcase_create("exec");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, exec_faults_fatal_with_reason);
    tcase_add_test(tc, exec_faults_recover_while_retrying);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rundir_removed);
    tcase_add_test(tc, control_fifo_replaced_by_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(faults_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
