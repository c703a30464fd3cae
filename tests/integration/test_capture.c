/* test_capture.c - issue 6 through the real binary: programs' output in log
 * files (exact bytes, redirect_stderr, AUTO, rotation, reopen after a move),
 * on tend's stdout with log_prefix (whole lines, never mixed), 200 000 lines
 * complete and in order, and a blocked tend stdout that does not stop tend
 * from answering. Output comes from the spam helper or sh.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 10000 /* ms: deadline for things that happen "soon" */

static const char *spam(void) { return th_helper("spam"); }

static long long fsize(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Poll until PATH has exactly SIZE bytes (or more, when AT_LEAST). */
static int wait_size(const char *path, long long size, bool at_least, int timeout_ms)
{
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        long long s = fsize(path);
        if (s == size || (at_least && s >= size))
            return 0;
        if (th_now_ms() >= end) {
            fprintf(stderr, "%s: %lld bytes, want %lld\n", path, s, size);
            return -1;
        }
        th_reap();
        th_nap(10);
    }
}

/* "line 000000001\n"... as spam -n writes them (no -l), with PREFIX. */
static size_t spam_lines_len(const char *prefix, int n)
{
    return (size_t)n * (strlen(prefix) + 15);
}

static void check_spam_lines(const char *text, size_t len, const char *prefix, int first,
                             int n)
{
    const char *p = text, *end = text + len;
    for (int i = first; i < first + n; i++) {
        char want[300];
        int wl = snprintf(want, sizeof want, "%sline %09d\n", prefix, i);
        /* plain ifs: each ck_assert costs a write to check's pipe */
        if (end - p < wl || memcmp(p, want, (size_t)wl) != 0)
            ck_abort_msg("line %d missing or out of order near: %.40s", i, p);
        p += wl;
    }
    if (p != end)
        ck_abort_msg("%zu extra bytes: %.40s", (size_t)(end - p), p);
}

START_TEST(test_file_capture_exact)
{
    struct th *t = th_new(NULL, "%s", "");
    /* the folder is only known now: write the config with it */
    th_write_file(t->conf, false,
                  "[supervisor]\nrundir=%s\n"
                  "[program:p]\ncommand=%s -n 1000 -p 'no newline'\n"
                  "stdout_logfile=%s\nstdout_logfile_maxbytes=0\n"
                  "startsecs=0\nautorestart=false\n"
                  "[program:q]\ncommand=sh -c 'echo to-out; echo to-err >&2'\n"
                  "stdout_logfile=%s\nstderr_logfile=%s\n"
                  "startsecs=0\nautorestart=false\n",
                  t->rundir, spam(), th_path(t, "out.log"), th_path(t, "q-out.log"),
                  th_path(t, "q-err.log"));
    /* appended to what is there */
    th_write_file(th_path(t, "out.log"), false, "old\n");
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "p", "EXITED", WAIT), 0);
    const char *out = th_path(t, "out.log");
    size_t want = 4 + spam_lines_len("", 1000) + 10;
    ck_assert_int_eq(wait_size(out, (long long)want, false, WAIT), 0);
    size_t n;
    char *text = th_slurp(out, &n);
    ck_assert(memcmp(text, "old\n", 4) == 0);
    check_spam_lines(text + 4, n - 4 - 10, "", 1, 1000);
    ck_assert(memcmp(text + n - 10, "no newline", 10) == 0);  /* raw: no newline added */
    free(text);
    ck_assert_int_eq(th_wait_file(th_path(t, "q-err.log"), "to-err\n", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "q-out.log"), "to-out\n", WAIT), 0);
    text = th_slurp(th_path(t, "q-out.log"), NULL);
    ck_assert_str_eq(text, "to-out\n");
    free(text);
    text = th_slurp(th_path(t, "q-err.log"), NULL);
    ck_assert_str_eq(text, "to-err\n");
    free(text);
    struct stat st;
    ck_assert_int_eq(stat(th_path(t, "q-out.log"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    th_free(t);
}
END_TEST

START_TEST(test_redirect_stderr)
{
    struct th *t = th_new(NULL, "%s", "");
    th_write_file(t->conf, false,
                  "[supervisor]\nrundir=%s\n"
                  "[program:r]\ncommand=sh -c 'echo one; echo two >&2; echo three'\n"
                  "stdout_logfile=%s\nredirect_stderr=true\n"
                  "stderr_logfile=%s\n"
                  "startsecs=0\nautorestart=false\n",
                  t->rundir, th_path(t, "r.log"), th_path(t, "never.log"));
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "r.log"), "three\n", WAIT), 0);
    char *text = th_slurp(th_path(t, "r.log"), NULL);
    ck_assert_str_eq(text, "one\ntwo\nthree\n");   /* one pipe: the order is kept */
    free(text);
    ck_assert_int_eq(fsize(th_path(t, "never.log")), -1);
    th_free(t);
}
END_TEST

/* The first file under DIR (recursively) whose name contains PART. */
static bool find_file(const char *dir, const char *part, char *out, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            found = find_file(p, part, out, len);
        else if (strstr(e->d_name, part)) {
            snprintf(out, len, "%s", p);
            found = true;
        }
    }
    closedir(d);
    return found;
}

START_TEST(test_auto_logfile)
{
    struct th *t = th_new(NULL, "%s", "");
    /* childlogdir does not exist yet: tend makes it */
    th_write_file(t->conf, false,
                  "[supervisor]\nrundir=%s\nchildlogdir=%s\n"
                  "[program:au]\ncommand=sh -c 'echo auto-out; echo auto-err >&2'\n"
                  "stdout_logfile=AUTO\nstderr_logfile=AUTO\n"
                  "startsecs=0\nautorestart=false\n",
                  t->rundir, th_path(t, "logs/children"));
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "au", "EXITED", WAIT), 0);
    char outp[4096] = "", errp[4096] = "";
    uint64_t end = th_now_ms() + WAIT;
    while (!(find_file(th_path(t, "logs/children"), "stdout", outp, sizeof outp) &&
             find_file(th_path(t, "logs/children"), "stderr", errp, sizeof errp))) {
        ck_assert_msg(th_now_ms() < end, "no AUTO log files under %s",
                      th_path(t, "logs/children"));
        th_nap(10);
    }
    ck_assert_int_eq(th_wait_file(outp, "auto-out\n", WAIT), 0);
    ck_assert_int_eq(th_wait_file(errp, "auto-err\n", WAIT), 0);
    ck_assert_ptr_nonnull(strstr(outp, "au"));
    th_free(t);
}
END_TEST

START_TEST(test_rotation)
{
    struct th *t = th_new(NULL, "%s", "");
    const char *log = th_path(t, "rot.log");
    /* 110 lines of 50 bytes: five full files of 1000, then 500 */
    th_write_file(t->conf, false,
                  "[supervisor]\nrundir=%s\n"
                  "[program:rot]\ncommand=%s -n 110 -l 50 -1\n"
                  "stdout_logfile=%s\nstdout_logfile_maxbytes=1000\n"
                  "stdout_logfile_backups=2\n"
                  "startsecs=0\nautorestart=false\n",
                  t->rundir, spam(), log);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "rot", "EXITED", WAIT), 0);
    ck_assert_int_eq(wait_size(log, 500, false, WAIT), 0);
    ck_assert_int_eq(fsize(th_fmt("%s.1", log)), 1000);
    ck_assert_int_eq(fsize(th_fmt("%s.2", log)), 1000);
    ck_assert_int_eq(fsize(th_fmt("%s.3", log)), -1);
    /* the newest lines are in the live file, the older in .1 then .2 */
    char *a = th_slurp(th_fmt("%s.2", log), NULL), *b = th_slurp(th_fmt("%s.1", log), NULL);
    char *c = th_slurp(log, NULL);
    ck_assert(strncmp(a, "line 000000061", 14) == 0);
    ck_assert(strncmp(b, "line 000000081", 14) == 0);
    ck_assert(strncmp(c, "line 000000101", 14) == 0);
    ck_assert_ptr_nonnull(strstr(c, "line 000000110"));
    free(a);
    free(b);
    free(c);
    th_free(t);
}
END_TEST

/* Wait until PATH has a line "n N" with N >= MIN; return the largest N. */
static long wait_counter(const char *path, long min)
{
    uint64_t end = th_now_ms() + WAIT;
    for (;;) {
        char *text = th_slurp(path, NULL);
        long last = -1;
        for (char *p = text; p && (p = strstr(p, "n ")); p += 2)
            last = atol(p + 2);
        free(text);
        if (last >= min)
            return last;
        ck_assert_msg(th_now_ms() < end, "%s: counter %ld, want %ld", path, last, min);
        th_nap(10);
    }
}

/* Numbers in PATH ("n N" lines) must run from FIRST (or any, when 0) up
 * by one; returns the last. */
static long check_counter(const char *path, long first)
{
    char *text = th_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    long want = first, n = 0;
    for (char *p = text; *p;) {
        ck_assert_msg(strncmp(p, "n ", 2) == 0, "%s: bad line %.20s", path, p);
        n = atol(p + 2);
        if (want && n != want)
            ck_abort_msg("%s: %ld after %ld", path, n, want - 1);
        want = n + 1;
        char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        p = nl + 1;
    }
    free(text);
    return n;
}

static void reopen_after_move(bool by_signal)
{
    struct th *t = th_new(NULL, "%s", "");
    const char *log = th_path(t, "app.log"), *moved = th_path(t, "app.log.moved");
    th_write_file(t->conf, false,
                  "[supervisor]\nrundir=%s\n"
                  "[program:cnt]\ncommand=sh -c 'i=0; while :; do i=$((i+1)); echo n $i;"
                  " sleep 0.01; done'\n"
                  "stdout_logfile=%s\n"
                  "startsecs=0\n",
                  t->rundir, log);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    wait_counter(log, 3);
    ck_assert_int_eq(rename(log, moved), 0);
    long before = wait_counter(moved, 1) + 3;
    wait_counter(moved, before);   /* still written to the moved file */
    ck_assert_int_eq(fsize(log), -1);
    if (by_signal)
        ck_assert_int_eq(kill(t->pid, SIGUSR2), 0);
    else
        ck_assert_int_eq(th_ctl(t, NULL, 0, "reopen"), 0);
    ck_assert_int_eq(wait_size(log, 1, true, WAIT), 0);
    wait_counter(log, 1);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    long last = check_counter(moved, 1);
    ck_assert_int_eq(check_counter(log, last + 1), wait_counter(log, 1));
    th_free(t);
}

START_TEST(test_reopen_verb_after_move) { reopen_after_move(false); }
END_TEST

START_TEST(test_reopen_sigusr2_after_move) { reopen_after_move(true); }
END_TEST

START_TEST(test_prefix_to_stdout)
{
    struct th *t = th_start("[program:pre]\ncommand=sh -c 'echo hello; echo; printf partial'\n"
                            "stdout_logfile=/dev/stdout\nlog_prefix=true\n"
                            "startsecs=0\nautorestart=false\n"
                            "[program:err]\ncommand=sh -c 'echo oops >&2'\n"
                            "stderr_logfile=/dev/stdout\nlog_prefix=true\n"
                            "startsecs=0\nautorestart=false\n");
    /* the partial last line gets its newline when the program exits */
    ck_assert_int_eq(th_wait_file(t->outlog, "pre | partial\n", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->outlog, "err | oops\n", WAIT), 0);
    /* pre's own lines, in order (err's line may come between them: whole
     * lines of different programs interleave, never parts of lines) */
    char *text = th_slurp(t->outlog, NULL);
    char pre[256] = "";
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
        if (!strncmp(l, "pre |", 5) && strlen(pre) + strlen(l) + 2 < sizeof pre)
            strcat(strcat(pre, l), "\n");
    ck_assert_str_eq(pre, "pre | hello\npre | \npre | partial\n");
    free(text);
    th_free(t);
}
END_TEST

START_TEST(test_two_programs_never_interleave)
{
    enum { LINES = 300, LEN = 20000 };
    /* one write() per 20000-byte line: larger than PIPE_BUF, so the kernel
     * hands them to tend in pieces */
    struct th *t = th_start("[program:a]\ncommand=%s -n %d -l %d -t A -1\n"
                            "stdout_logfile=/dev/stdout\nlog_prefix=true\n"
                            "startsecs=0\nautorestart=false\n"
                            "[program:b]\ncommand=%s -n %d -l %d -t B -1\n"
                            "stdout_logfile=/dev/stdout\nlog_prefix=true\n"
                            "startsecs=0\nautorestart=false\n",
                            spam(), LINES, LEN, spam(), LINES, LEN);
    long long want = 2LL * LINES * (LEN + 4);
    ck_assert_int_eq(wait_size(t->outlog, want, false, 30000), 0);
    size_t n;
    char *text = th_slurp(t->outlog, &n);
    int na = 0, nb = 0;
    for (char *p = text; p < text + n;) {
        char *nl = memchr(p, '\n', (size_t)(text + n - p));
        if (!nl || nl - p + 1 != LEN + 4)
            ck_abort_msg("a line of %ld bytes at %ld", nl ? (long)(nl - p + 1) : -1L,
                         (long)(p - text));
        char tag = p[0] == 'a' ? 'A' : p[0] == 'b' ? 'B' : 0;
        if (!tag || p[1] != ' ' || p[2] != '|' || p[3] != ' ' || p[4] != tag)
            ck_abort_msg("bad line start at %ld: %.12s", (long)(p - text), p);
        for (char *q = p + 6 + 9; q < nl; q++)   /* after "a | A 000000001" */
            if (*q != tag)
                ck_abort_msg("a line of %c mixed with %c", tag, *q);
        if (tag == 'A')
            na++;
        else
            nb++;
        p = nl + 1;
    }
    ck_assert_int_eq(na, LINES);
    ck_assert_int_eq(nb, LINES);
    free(text);
    th_free(t);
}
END_TEST

START_TEST(test_200000_lines_in_order)
{
    struct th *t = th_new(NULL, "%s", "");
    const char *log = th_path(t, "many.log");
    th_write_file(t->conf, false,
                  "[supervisor]\nrundir=%s\n"
                  "[program:many]\ncommand=%s -n 200000\n"
                  "stdout_logfile=%s\nstdout_logfile_maxbytes=0\n"
                  "startsecs=0\nautorestart=false\n"
                  "[program:pre]\ncommand=%s -n 200000 -e\n"
                  "stderr_logfile=/dev/stdout\nlog_prefix=true\n"
                  "startsecs=0\nautorestart=false\n",
                  t->rundir, spam(), log, spam());
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    size_t want = spam_lines_len("", 200000);
    ck_assert_int_eq(wait_size(log, (long long)want, false, 30000), 0);
    size_t n;
    char *text = th_slurp(log, &n);
    check_spam_lines(text, n, "", 1, 200000);
    free(text);
    want = spam_lines_len("pre | ", 200000);
    ck_assert_int_eq(wait_size(t->outlog, (long long)want, false, 30000), 0);
    text = th_slurp(t->outlog, &n);
    check_spam_lines(text, n, "pre | ", 1, 200000);
    free(text);
    th_free(t);
}
END_TEST

/* tend's stdout is a FIFO nobody reads: the program filling it is blocked
 * (not killed, nothing lost), while tend goes on answering and restarting. */
START_TEST(test_blocked_stdout_keeps_tend_answering)
{
    enum { LINES = 100000 };
    struct th *t = th_new(NULL, "%s", "");
    th_write_file(t->conf, false,
                  "[supervisor]\nrundir=%s\n"
                  "[program:flood]\ncommand=%s -n %d -l 100\n"
                  "stdout_logfile=/dev/stdout\nlog_prefix=true\n"
                  "startsecs=0\nautorestart=false\n"
                  "[program:other]\ncommand=sleep 1000\nstartsecs=0\n",
                  t->rundir, spam(), LINES);
    ck_assert_int_eq(mkfifo(t->outlog, 0600), 0);
    /* hold the read end so tend's open succeeds, but read nothing yet */
    int rd = open(t->outlog, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(rd, 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_state(t, "flood", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "other", "RUNNING", WAIT), 0);
    pid_t flood;
    ck_assert_int_eq(th_status(t, "flood", NULL, 0, &flood, NULL, 0, NULL), 0);
    /* flood stays blocked in write(): 10 MB cannot fit in the buffers */
    ck_assert_int_eq(th_stays_state(t, "flood", "RUNNING", 300), 0);
    ck_assert(th_pid_alive(flood));
    char out[4096];
    uint64_t t0 = th_now_ms();
    int rc = th_ctl(t, out, sizeof out, "status");
    ck_assert_msg(rc == 0, "status: %d: %s", rc, out);
    ck_assert_uint_lt(th_now_ms() - t0, 5000);
    ck_assert_ptr_nonnull(strstr(out, "flood"));
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "restart other"), 0);
    ck_assert_int_eq(th_wait_state(t, "other", "RUNNING", WAIT), 0);
    /* tend's own fd 1 is still blocking (inherit-mode children share it) */
    char fdinfo[64], info[512];
    snprintf(fdinfo, sizeof fdinfo, "/proc/%d/fdinfo/1", (int)t->pid);
    ck_assert_int_ge(th_read_file(fdinfo, info, sizeof info), 0);
    char *fl = strstr(info, "flags:");
    ck_assert_ptr_nonnull(fl);
    ck_assert_int_eq(strtol(fl + 6, NULL, 8) & O_NONBLOCK, 0);
    /* a reader comes: every line arrives, whole and in order */
    ck_assert_int_eq(fcntl(rd, F_SETFL, 0), 0);
    size_t want = (size_t)LINES * (8 + 100), n = 0;
    char *text = malloc(want + 1);
    ck_assert_ptr_nonnull(text);
    while (n < want) {
        ssize_t r = read(rd, text + n, want - n);
        if (r < 0 && errno == EINTR)
            continue;
        ck_assert_int_gt(r, 0);
        n += (size_t)r;
    }
    text[n] = '\0';
    for (int i = 1; i <= LINES; i++) {
        char *p = text + (size_t)(i - 1) * 108, want_head[32];
        snprintf(want_head, sizeof want_head, "flood | line %09d", i);
        if (memcmp(p, want_head, strlen(want_head)) != 0 || p[107] != '\n')
            ck_abort_msg("line %d: %.30s", i, p);
    }
    free(text);
    ck_assert_int_eq(th_wait_state(t, "flood", "EXITED", WAIT), 0);
    close(rd);
    th_free(t);
}
END_TEST

START_TEST(test_unopenable_logfile_fails_the_start)
{
    struct th *t = th_start("[program:bad]\ncommand=sleep 1000\n"
                            "stdout_logfile=/nonexistent-dir/bad.log\n"
                            "startsecs=0\nstartretries=0\n");
    ck_assert_int_eq(th_wait_state(t, "bad", "FATAL", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "/nonexistent-dir/bad.log", WAIT), 0);
    th_free(t);
}
END_TEST

static Suite *capture_suite(void)
{
    Suite *s = suite_create("capture");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_file_capture_exact);
    tcase_add_test(tc, test_redirect_stderr);
    tcase_add_test(tc, test_auto_logfile);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_reopen_verb_after_move);
    tcase_add_test(tc, test_reopen_sigusr2_after_move);
    tcase_add_test(tc, test_unopenable_logfile_fails_the_start);
    suite_add_tcase(s, tc);

    tc = tcase_create("stdout");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_prefix_to_stdout);
    tcase_add_test(tc, test_two_programs_never_interleave);
    tcase_add_test(tc, test_200000_lines_in_order);
    tcase_add_test(tc, test_blocked_stdout_keeps_tend_answering);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(capture_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
