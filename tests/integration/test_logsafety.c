/* test_logsafety.c - issue 12, defects 4, 8 and the log half of 11, through
 * the real binary:
 *
 *   - tend's stderr is a pipe nobody reads, loglevel = debug, programs in a
 *     crash loop: tend keeps restarting them and answering `status`; once
 *     the pipe is read again, one line says how many log lines were dropped;
 *     tend's shared stderr description stays blocking;
 *   - a log path through a symlinked folder owned by nobody (uid 65534) is
 *     refused, naming the symlink (program logs, AUTO's childlogdir,
 *     [supervisor] logfile), while symlinks owned by root are followed;
 *   - `reopen` of a logfile that became a FIFO without a reader does not
 *     freeze tend; with a reader, tend writes into it.
 *
 * The symlink cases need root (they chown a symlink to nobody).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 10000 /* ms: deadline for things that happen "soon" */
#define NOBODY 65534

static char buf[1 << 16];

/* Restarts of NAME from the status file, -1 when it cannot be read. */
static int restarts_of(struct th *t, const char *name)
{
    int r;
    return th_status(t, name, NULL, 0, NULL, NULL, 0, &r) == 0 ? r : -1;
}

/* Read the pipe RD (non-blocking) until NEEDLE went by: 0, or -1 at the
 * deadline. Keeps a tail so a needle cut between two reads is seen. */
static int read_until(int rd, const char *needle, int timeout_ms)
{
    static char win[1 << 17];
    size_t have = 0, keep = strlen(needle);
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        ssize_t r = read(rd, win + have, sizeof win - 1 - have);
        if (r > 0) {
            have += (size_t)r;
            win[have] = '\0';
            if (strstr(win, needle))
                return 0;
            if (have > keep) {   /* keep the tail only */
                memmove(win, win + have - keep, keep);
                have = keep;
            }
            continue;
        }
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (th_now_ms() >= end)
            return -1;
        struct pollfd pf = { .fd = rd, .events = POLLIN };
        poll(&pf, 1, 50);
    }
}

START_TEST(test_stderr_pipe_nobody_reads)
{
    /* ~1.5 KB per "spawned pid N: COMMAND" debug line, 30 programs: each
     * round of crashes logs far more than a pipe holds */
    static char pad[1501];
    memset(pad, 'x', sizeof pad - 1);
    struct th *t = th_new(NULL,
                          "loglevel = debug\n"
                          "[program:crash]\ncommand = /bin/sh -c 'exit 3' %s\n"
                          "numprocs = 30\nprocess_name = crash_%%(process_num)02d\n"
                          "startsecs = 0\nautorestart = true\n"
                          "[program:steady]\ncommand = sleep 1000\nstartsecs = 0\n",
                          pad);
    /* tend's stderr: a FIFO whose read end we hold but do not read */
    ck_assert_int_eq(mkfifo(t->errlog, 0600), 0);
    int rd = open(t->errlog, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(rd, 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    /* a write end of our own, to ask poll whether the pipe is full */
    int wr = open(t->errlog, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(wr, 0);

    /* the pipe fills up: from here on every log line would block */
    uint64_t end = th_now_ms() + WAIT;
    for (;;) {
        struct pollfd pf = { .fd = wr, .events = POLLOUT };
        if (poll(&pf, 1, 0) == 0)
            break;
        int queued = 0;
        ioctl(rd, FIONREAD, &queued);
        ck_assert_msg(th_now_ms() < end, "only %d bytes in tend's stderr pipe", queued);
        th_nap(10);
    }
    close(wr);
    /* supervision goes on: crash_00 is restarted at least twice more (its
     * backoff is 1 s, 2 s, 4 s...), each round logging ~50 KB */
    end = th_now_ms() + 15000;
    int r0 = restarts_of(t, "crash:crash_00"), r;
    while ((r = restarts_of(t, "crash:crash_00")) < r0 + 2) {
        ck_assert_msg(th_now_ms() < end, "crash_00 stuck at %d restarts (from %d): tend frozen",
                      r, r0);
        th_nap(20);
    }
    /* and so does the control FIFO */
    uint64_t t0 = th_now_ms();
    int rc = th_ctl(t, buf, sizeof buf, "-t 5 status steady");
    ck_assert_msg(rc == 0, "status: %d: %s", rc, buf);
    ck_assert_uint_lt(th_now_ms() - t0, 5000);
    ck_assert_ptr_nonnull(strstr(buf, "RUNNING"));
    /* tend's own fd 2 is still blocking (inherit-mode children share it) */
    char fdinfo[64], info[512];
    snprintf(fdinfo, sizeof fdinfo, "/proc/%d/fdinfo/2", (int)t->pid);
    ck_assert_int_ge(th_read_file(fdinfo, info, sizeof info), 0);
    char *fl = strstr(info, "flags:");
    ck_assert_ptr_nonnull(fl);
    ck_assert_int_eq(strtol(fl + 6, NULL, 8) & O_NONBLOCK, 0);
    /* someone reads at last: the loss is reported, once there is room */
    ck_assert_msg(read_until(rd, "log lines dropped (log destination not keeping up)", WAIT) == 0,
                  "no dropped-lines notice");
    rc = th_stop(t, SIGTERM, WAIT);
    ck_assert_msg(rc >= 0, "tend did not exit on SIGTERM");
    close(rd);
    th_free(t);
}
END_TEST

/* DIR/NAME -> DIR/TARGET, the symlink itself owned by UID. */
static void link_as(struct th *t, const char *target, const char *name, uid_t uid)
{
    const char *lp = th_path(t, name);
    ck_assert_msg(symlink(th_path(t, target), lp) == 0, "symlink %s: %s", lp, strerror(errno));
    ck_assert_msg(lchown(lp, uid, uid) == 0, "lchown %s: %s", lp, strerror(errno));
}

static void mkdir_in(struct th *t, const char *name)
{
    ck_assert_int_eq(mkdir(th_path(t, name), 0755), 0);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

START_TEST(test_symlinked_log_dir_owned_by_nobody_is_refused)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: needs root\n");
        return;
    }
#define PROG(name, log) \
    "[program:" name "]\ncommand = /bin/sh -c 'echo from-" name "; exec sleep 1000'\n" \
    "stdout_logfile = " log "\nstartsecs = 0\nstartretries = 0\n"
    struct th *t = th_new(NULL, "childlogdir = @DIR@/evilauto/logs\n"
                                PROG("evil", "@DIR@/evil/out.log")
                                PROG("auto", "AUTO")
                                PROG("good", "@DIR@/good/out.log")
                                PROG("lastlink", "@DIR@/real_good/last.log")
                                PROG("badlast", "@DIR@/real_good/badlast.log"));
#undef PROG
    mkdir_in(t, "real_evil");
    mkdir_in(t, "real_auto");
    mkdir_in(t, "real_good");
    link_as(t, "real_evil", "evil", NOBODY);
    link_as(t, "real_auto", "evilauto", NOBODY);
    link_as(t, "real_good", "good", 0);
    link_as(t, "real_good/last-target.log", "real_good/last.log", 0);
    link_as(t, "real_good/badlast-target.log", "real_good/badlast.log", NOBODY);
    ck_assert_int_eq(th_spawn(t, NULL), 0);

    /* nobody's symlinks: the start fails, the message names the symlink */
    ck_assert_int_eq(th_wait_state(t, "evil", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "auto", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "badlast", "FATAL", WAIT), 0);
    const char *fmt = "refusing to follow symlink %s owned by uid 65534";
    ck_assert_int_eq(th_wait_file(t->errlog, th_fmt(fmt, th_path(t, "evil")), WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, th_fmt(fmt, th_path(t, "evilauto")), WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, th_fmt(fmt, th_path(t, "real_good/badlast.log")),
                                  WAIT), 0);
    ck_assert(!exists(th_path(t, "real_evil/out.log")));
    ck_assert(!exists(th_path(t, "real_auto/logs")));
    ck_assert(!exists(th_path(t, "real_good/badlast-target.log")));

    /* root's symlinks, a folder and a last component, are followed */
    ck_assert_int_eq(th_wait_state(t, "good", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "lastlink", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "real_good/out.log"), "from-good", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "real_good/last-target.log"), "from-lastlink", WAIT),
                     0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

START_TEST(test_logfile_through_nobodys_symlink_stops_the_start)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: needs root\n");
        return;
    }
    struct th *t = th_new(NULL, "logfile = @DIR@/evil/tend.log\n"
                                "[program:a]\ncommand = sleep 1000\nstartsecs = 0\n");
    mkdir_in(t, "real_evil");
    link_as(t, "real_evil", "evil", NOBODY);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_exit(t, WAIT), 1);
    ck_assert_int_ge(th_read_file(t->errlog, buf, sizeof buf), 0);
    ck_assert_msg(strstr(buf, th_fmt("refusing to follow symlink %s owned by uid 65534",
                                     th_path(t, "evil"))), "stderr: %s", buf);
    ck_assert(!exists(th_path(t, "real_evil/tend.log")));
    th_free(t);
}
END_TEST

START_TEST(test_reopen_fifo_logfile_without_reader)
{
    struct th *t = th_start("logfile = @DIR@/tend.log\n"
                            "[program:a]\ncommand = sleep 1000\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    const char *log = th_path(t, "tend.log");
    ck_assert_int_eq(th_wait_file(log, "RUNNING", WAIT), 0);
    /* logrotate-like: the file moves away, a FIFO nobody reads takes its name */
    ck_assert_int_eq(rename(log, th_path(t, "tend.log.1")), 0);
    ck_assert_int_eq(mkfifo(log, 0600), 0);
    int rc = th_ctl(t, buf, sizeof buf, "-t 5 reopen");
    ck_assert_msg(rc == 0, "reopen: %d: %s", rc, buf);
    /* the failure went to the file tend kept */
    ck_assert_int_eq(th_wait_file(th_path(t, "tend.log.1"), "No such device or address", WAIT), 0);
    rc = th_ctl(t, buf, sizeof buf, "-t 5 status");
    ck_assert_msg(rc == 0, "status: %d: %s", rc, buf);

    /* with a reader, tend's messages go into the FIFO */
    int rd = open(log, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(rd, 0);
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "-t 5 reopen"), 0);
    ck_assert_int_eq(read_until(rd, "log files reopened", WAIT), 0);
    /* the reader goes: tend writes into a FIFO without reader, unharmed */
    close(rd);
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "-t 5 restart a"), 0);
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "-t 5 status"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static Suite *logsafety_suite(void)
{
    Suite *s = suite_create("logsafety");
    TCase *tc = tcase_create("own log");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_stderr_pipe_nobody_reads);
    tcase_add_test(tc, test_reopen_fifo_logfile_without_reader);
    suite_add_tcase(s, tc);

    tc = tcase_create("symlinks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_symlinked_log_dir_owned_by_nobody_is_refused);
    tcase_add_test(tc, test_logfile_through_nobodys_symlink_stops_the_start);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(logsafety_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
