/* test_tendctl.c - tendctl against a fake server the test runs.
 *
 * The fake server is a forked child that holds a control FIFO open, reads
 * one request line (recorded into a file) and answers it in one of a few
 * ways: a canned reply, nothing at all, an unfinished reply. tendctl's exit
 * statuses, timeouts and cleanup are checked against it; TMPDIR points at a
 * fresh folder so a leftover reply FIFO would be seen.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include "harness.h"

enum fake_mode { FAKE_REPLY, FAKE_IGNORE, FAKE_HOLD, FAKE_PARTIAL };

struct fake {
    pid_t pid;
    char dir[256];
    char control[300];
    char reqlog[300];
    char tmp[300];          /* TMPDIR for tendctl */
};

static struct fake fk;

static void fake_dir(void)
{
    th_init();
    snprintf(fk.dir, sizeof fk.dir, "/tmp/tendctl-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fk.dir));
    snprintf(fk.control, sizeof fk.control, "%s/control", fk.dir);
    snprintf(fk.reqlog, sizeof fk.reqlog, "%s/request", fk.dir);
    snprintf(fk.tmp, sizeof fk.tmp, "%s/tmp", fk.dir);
    ck_assert_int_eq(mkdir(fk.tmp, 0700), 0);
    setenv("TMPDIR", fk.tmp, 1);
    unsetenv("TEND_CONTROL");
    unsetenv("TEND_CONFIG");
}

/* Serve one request on fk.control as MODE says, answering REPLY. */
static void fake_start(enum fake_mode mode, const char *reply)
{
    if (access(fk.control, F_OK) != 0)
        ck_assert_int_eq(mkfifo(fk.control, 0600), 0);
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(ready[0]);
        int fd = open(fk.control, O_RDWR);
        if (fd < 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        char line[8192];
        size_t n = 0;
        while (n < sizeof line - 1) {
            ssize_t r = read(fd, line + n, 1);
            if (r <= 0)
                _exit(1);
            if (line[n++] == '\n')
                break;
        }
        line[n] = '\0';
        th_write_file(fk.reqlog, false, "%s", line);
        if (mode == FAKE_IGNORE)
            for (;;)
                pause();
        char *sp = strchr(line, ' ');
        if (line[0] != '@' || !sp)
            _exit(2);
        *sp = '\0';
        int w = open(line + 1, O_WRONLY | O_NONBLOCK);
        if (w < 0)
            _exit(3);
        if (reply && write(w, reply, strlen(reply)) != (ssize_t)strlen(reply))
            _exit(4);
        if (mode == FAKE_HOLD)
            for (;;)
                pause();
        close(w);
        _exit(0);
    }
    close(ready[1]);
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    close(ready[0]);
    fk.pid = pid;
}

static void fake_stop(void)
{
    if (fk.pid > 0) {
        kill(fk.pid, SIGKILL);
        waitpid(fk.pid, NULL, 0);
        fk.pid = 0;
    }
}

/* Number of entries in the tendctl TMPDIR (leftover reply folders). */
static int leftovers(void)
{
    DIR *d = opendir(fk.tmp);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void teardown(void)
{
    fake_stop();
    if (fk.dir[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fk.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", fk.dir);
    }
}

/* Run tendctl -s CONTROL with ARGS (NULL-terminated); exit status. */
static int ctl(char *out, size_t outlen, const char *const *args)
{
    const char *argv[40];
    int n = 0;
    argv[n++] = th_tendctl_bin();
    argv[n++] = "-s";
    argv[n++] = fk.control;
    for (; *args && n < 39; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    return th_run(argv, out, outlen, 20000);
}

#define CTL(out, ...) ctl(out, sizeof out, (const char *const[]){ __VA_ARGS__, NULL })

static char req[8192];

static const char *request_seen(void)
{
    ck_assert_int_eq(th_wait_file(fk.reqlog, "\n", 5000), 0);
    ck_assert_int_ge(th_read_file(fk.reqlog, req, sizeof req), 0);
    return req;
}

/* ---- unreachable ---- */

START_TEST(test_no_fifo)
{
    fake_dir();
    char out[4096];
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(CTL(out, "status"), 4);
    ck_assert_uint_lt(th_now_ms() - t0, 1000);
    ck_assert_ptr_nonnull(strstr(out, "no control FIFO"));
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_no_reader)
{
    fake_dir();
    ck_assert_int_eq(mkfifo(fk.control, 0600), 0);
    char out[4096];
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(CTL(out, "start", "web"), 4);
    ck_assert_uint_lt(th_now_ms() - t0, 1000);
    ck_assert_ptr_nonnull(strstr(out, "not running"));
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_not_a_fifo)
{
    fake_dir();
    ck_assert_int_eq(th_write_file(fk.control, false, "x\n"), 0);
    char out[4096];
    ck_assert_int_eq(CTL(out, "status"), 4);
    ck_assert_ptr_nonnull(strstr(out, "not a FIFO"));
    char buf[16];
    ck_assert_int_eq(th_read_file(fk.control, buf, sizeof buf), 2);   /* untouched */
}
END_TEST

START_TEST(test_no_answer_times_out)
{
    fake_dir();
    fake_start(FAKE_IGNORE, NULL);
    char out[4096];
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(CTL(out, "-t", "0.5", "version"), 4);
    uint64_t took = th_now_ms() - t0;
    ck_assert_uint_ge(took, 450);
    ck_assert_uint_lt(took, 3000);
    ck_assert_ptr_nonnull(strstr(out, "did not answer"));
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_unfinished_reply)
{
    fake_dir();
    fake_start(FAKE_PARTIAL, "some line\n");
    char out[4096];
    ck_assert_int_eq(CTL(out, "version"), 4);
    ck_assert_ptr_nonnull(strstr(out, "without finishing"));
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_timeout_after_pickup)
{
    /* tend took the request but never finishes: -t bounds the whole exchange */
    fake_dir();
    fake_start(FAKE_HOLD, "web: still going\n");
    char out[4096];
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(CTL(out, "-t", "0.6", "start", "web"), 4);
    ck_assert_uint_lt(th_now_ms() - t0, 3000);
    ck_assert_ptr_nonnull(strstr(out, "web: still going"));
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

/* ---- usage ---- */

START_TEST(test_usage)
{
    fake_dir();
    char out[8192];
    ck_assert_int_eq(CTL(out, "frobnicate"), 2);
    ck_assert_int_eq(CTL(out, "start"), 2);
    ck_assert_int_eq(CTL(out, "wait", "web"), 2);
    ck_assert_int_eq(CTL(out, "-t", "abc", "status"), 2);
    ck_assert_int_eq(CTL(out, "-t", "-1", "status"), 2);
    ck_assert_int_eq(CTL(out, "status", "--bogus"), 2);
    ck_assert_int_eq(CTL(out, "tail", "-n", "x", "web"), 2);
    ck_assert_int_eq(CTL(out, "reload", "extra"), 2);
    const char *noverb[] = { th_tendctl_bin(), NULL };
    ck_assert_int_eq(th_run(noverb, out, sizeof out, 5000), 2);
    const char *both[] = { th_tendctl_bin(), "-s", "/x", "-c", "/y", "status", NULL };
    ck_assert_int_eq(th_run(both, out, sizeof out, 5000), 2);
    /* a request over 4096 bytes is refused before anything is sent */
    char *big = malloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    ck_assert_int_eq(CTL(out, "start", big), 2);
    ck_assert_ptr_nonnull(strstr(out, "longer than"));
    free(big);
    const char *help[] = { th_tendctl_bin(), "-h", NULL };
    ck_assert_int_eq(th_run(help, out, sizeof out, 5000), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: tendctl"));
    const char *ver[] = { th_tendctl_bin(), "--version", NULL };
    ck_assert_int_eq(th_run(ver, out, sizeof out, 5000), 0);
    ck_assert_ptr_nonnull(strstr(out, "tendctl "));
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_bad_config)
{
    fake_dir();
    char conf[400], out[4096];
    snprintf(conf, sizeof conf, "%s/bad.ini", fk.dir);
    th_write_file(conf, false, "[supervisor]\nloglevel = loud\n");
    const char *argv[] = { th_tendctl_bin(), "-c", conf, "status", NULL };
    ck_assert_int_eq(th_run(argv, out, sizeof out, 5000), 2);
    ck_assert_ptr_nonnull(strstr(out, "bad.ini:2"));
    const char *missing[] = { th_tendctl_bin(), "-c", "/nonexistent/tend.ini", "status", NULL };
    ck_assert_int_eq(th_run(missing, out, sizeof out, 5000), 2);
}
END_TEST

/* ---- answers ---- */

START_TEST(test_ok_reply_and_request_line)
{
    fake_dir();
    fake_start(FAKE_REPLY, "0.1.0\nok\n");
    char out[4096];
    ck_assert_int_eq(CTL(out, "version"), 0);
    ck_assert_str_eq(out, "0.1.0\n");
    const char *r = request_seen();
    ck_assert_msg(strncmp(r, "@/", 2) == 0 && strstr(r, " version\n"), "request: %s", r);
    ck_assert_ptr_nonnull(strstr(r, fk.tmp));     /* reply FIFO under TMPDIR */
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_error_reply)
{
    fake_dir();
    fake_start(FAKE_REPLY, "web: ERROR (already started)\nerror: web: already started\n");
    char out[4096];
    ck_assert_int_eq(CTL(out, "start", "web"), 1);
    ck_assert_ptr_nonnull(strstr(out, "web: ERROR (already started)"));
    ck_assert_ptr_nonnull(strstr(out, "error: web: already started"));
    ck_assert_str_eq(request_seen() + strcspn(req, " "), " start web\n");
}
END_TEST

START_TEST(test_env_and_config_lookup)
{
    fake_dir();
    char out[4096], conf[400];
    /* $TEND_CONTROL */
    fake_start(FAKE_REPLY, "ok\n");
    setenv("TEND_CONTROL", fk.control, 1);
    const char *a1[] = { th_tendctl_bin(), "reopen", NULL };
    ck_assert_int_eq(th_run(a1, out, sizeof out, 5000), 0);
    fake_stop();
    /* -c FILE beats $TEND_CONTROL */
    snprintf(conf, sizeof conf, "%s/t.ini", fk.dir);
    th_write_file(conf, false, "[supervisor]\nrundir = %s\ncontrol = %s\n", fk.dir, fk.control);
    setenv("TEND_CONTROL", "/nonexistent/control", 1);
    fake_start(FAKE_REPLY, "ok\n");
    const char *a2[] = { th_tendctl_bin(), "-c", conf, "reopen", NULL };
    ck_assert_int_eq(th_run(a2, out, sizeof out, 5000), 0);
    fake_stop();
    /* $TEND_CONFIG when $TEND_CONTROL is unset */
    unsetenv("TEND_CONTROL");
    setenv("TEND_CONFIG", conf, 1);
    fake_start(FAKE_REPLY, "ok\n");
    ck_assert_int_eq(th_run(a1, out, sizeof out, 5000), 0);
}
END_TEST

#define REC(name, state, fine, desc) name "\t" state "\t0\t-\t0\t1700000000\t" fine "\t" desc "\t\n"

START_TEST(test_status_exit_codes)
{
    fake_dir();
    char out[8192];
    fake_start(FAKE_REPLY, REC("web", "RUNNING", "1", "pid 5, uptime 0:00:01")
               REC("job", "EXITED", "1", "exit status 0") "ok\n");
    ck_assert_int_eq(CTL(out, "status"), 0);
    ck_assert_ptr_nonnull(strstr(out, "web                              RUNNING   pid 5, uptime 0:00:01\n"));
    ck_assert_ptr_nonnull(strstr(out, "job                              EXITED    exit status 0\n"));
    ck_assert_str_eq(request_seen() + strcspn(req, " "), " status -j\n");
    fake_stop();
    unlink(fk.reqlog);

    fake_start(FAKE_REPLY, REC("web", "RUNNING", "1", "pid 5, uptime 0:00:01")
               REC("db", "FATAL", "0", "Exited too quickly (process log may have details)")
               "ok\n");
    ck_assert_int_eq(CTL(out, "status", "web", "db"), 3);
    ck_assert_ptr_nonnull(strstr(out, "db                               FATAL     Exited too quickly"));
    ck_assert_str_eq(request_seen() + strcspn(req, " "), " status -j web db\n");
    fake_stop();

    fake_start(FAKE_REPLY, "error: no such process: nope\n");
    ck_assert_int_eq(CTL(out, "status", "nope"), 1);
    ck_assert_ptr_nonnull(strstr(out, "no such process: nope"));
    fake_stop();

    fake_start(FAKE_REPLY, REC("a-very-long-process-name:with_suffix_00", "STOPPED", "0",
                               "Not started") "ok\n");
    ck_assert_int_eq(CTL(out, "status", "--json"), 3);
    ck_assert_ptr_nonnull(strstr(out, "\"name\": \"a-very-long-process-name:with_suffix_00\""));
    ck_assert_ptr_nonnull(strstr(out, "\"ok\": false"));
    ck_assert_msg(out[0] == '[' && strstr(out, "]\n"), "json: %s", out);
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_wait_sends_timeout)
{
    fake_dir();
    fake_start(FAKE_REPLY, "error: timed out waiting for web to be RUNNING (it is BACKOFF)\n");
    char out[4096];
    ck_assert_int_eq(CTL(out, "-t", "3", "wait", "web", "RUNNING"), 1);
    ck_assert_str_eq(request_seen() + strcspn(req, " "), " wait web RUNNING 3.000\n");
}
END_TEST

START_TEST(test_sigint_cleans_up)
{
    fake_dir();
    fake_start(FAKE_HOLD, NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 1);
        dup2(null, 2);
        execl(th_tendctl_bin(), "tendctl", "-s", fk.control, "start", "web", (char *)NULL);
        _exit(127);
    }
    request_seen();
    /* tendctl waits without a timeout for start; it must clean up on SIGINT */
    int st;
    ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0);
    kill(pid, SIGINT);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGINT);
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

START_TEST(test_tail_reads_file)
{
    fake_dir();
    char log[400], reply[600], out[8192];
    snprintf(log, sizeof log, "%s/web.log", fk.dir);
    FILE *f = fopen(log, "w");
    for (int i = 1; i <= 30; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    snprintf(reply, sizeof reply, "%s\nok\n", log);
    fake_start(FAKE_REPLY, reply);
    ck_assert_int_eq(CTL(out, "tail", "-n", "3", "web"), 0);
    ck_assert_str_eq(out, "line 28\nline 29\nline 30\n");
    ck_assert_str_eq(request_seen() + strcspn(req, " "), " logfile web\n");
    fake_stop();
    fake_start(FAKE_REPLY, reply);
    ck_assert_int_eq(CTL(out, "tail", "web", "stdout"), 0);
    ck_assert_str_eq(out, "line 21\nline 22\nline 23\nline 24\nline 25\nline 26\nline 27\n"
                     "line 28\nline 29\nline 30\n");
    fake_stop();
    fake_start(FAKE_REPLY, "error: web: stdout is not captured to a file (stdout_logfile = inherit)\n");
    ck_assert_int_eq(CTL(out, "tail", "web"), 1);
    ck_assert_ptr_nonnull(strstr(out, "not captured"));
}
END_TEST

START_TEST(test_tail_follow_rotation)
{
    fake_dir();
    char log[400], rotated[400], reply[600], out[8192];
    snprintf(log, sizeof log, "%s/web.log", fk.dir);
    snprintf(rotated, sizeof rotated, "%s/web.log.1", fk.dir);
    th_write_file(log, false, "old\n");
    snprintf(reply, sizeof reply, "%s\nok\n", log);
    fake_start(FAKE_REPLY, reply);
    char outpath[400];
    snprintf(outpath, sizeof outpath, "%s/tail.out", fk.dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int o = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        execl(th_tendctl_bin(), "tendctl", "-s", fk.control, "tail", "-f", "web", (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(th_wait_file(outpath, "old\n", 5000), 0);
    FILE *f = fopen(log, "a");
    fputs("appended\n", f);
    fclose(f);
    ck_assert_int_eq(th_wait_file(outpath, "appended\n", 5000), 0);
    /* rotate: rename, then a new file under the old name */
    ck_assert_int_eq(rename(log, rotated), 0);
    th_write_file(log, false, "fresh\n");
    ck_assert_int_eq(th_wait_file(outpath, "fresh\n", 5000), 0);
    kill(pid, SIGINT);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    th_read_file(outpath, out, sizeof out);
    ck_assert_str_eq(out, "old\nappended\nfresh\n");
    ck_assert_int_eq(leftovers(), 0);
}
END_TEST

static Suite *tendctl_suite(void)
{
    Suite *s = suite_create("tendctl");
    TCase *tc = tcase_create("unreachable");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_no_fifo);
    tcase_add_test(tc, test_no_reader);
    tcase_add_test(tc, test_not_a_fifo);
    tcase_add_test(tc, test_no_answer_times_out);
    tcase_add_test(tc, test_unfinished_reply);
    tcase_add_test(tc, test_timeout_after_pickup);
    suite_add_tcase(s, tc);
    tc = tcase_create("usage");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_usage);
    tcase_add_test(tc, test_bad_config);
    suite_add_tcase(s, tc);
    tc = tcase_create("answers");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_ok_reply_and_request_line);
    tcase_add_test(tc, test_error_reply);
    tcase_add_test(tc, test_env_and_config_lookup);
    tcase_add_test(tc, test_status_exit_codes);
    tcase_add_test(tc, test_wait_sends_timeout);
    tcase_add_test(tc, test_sigint_cleans_up);
    tcase_add_test(tc, test_tail_reads_file);
    tcase_add_test(tc, test_tail_follow_rotation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tendctl_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
