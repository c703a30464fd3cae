/* test_capture.c - the capture module with a real loop and real pipes.
 *
 * Each test (CK_FORK: its own process) sets up a loop and capture, writes
 * into the child end of a stream itself or from a forked writer, runs the
 * loop until the stream is gone, and looks at the files or at the pipe that
 * stands in for tend's stdout (dup2'ed onto fd 1 in the test process).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/capture.h"
#include "supervisor/fsutil.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "failalloc.h"   /* this program's malloc fails on demand */

static struct loop *loop;
static char tmpdir[64];

/* A periodic tick so loop_run_once never sleeps for long in a test. */
static struct timer tick;
static int ticks;
static void on_tick(struct loop *l, struct timer *t) { ticks++; }

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_capture.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    /* tend's own messages go to a file, not into check's output */
    char logp[PATH_MAX];
    snprintf(logp, sizeof logp, "%s/messages", tmpdir);
    ck_assert_int_eq(log_open(logp), 0);
    loop = loop_new();
    ck_assert_ptr_nonnull(loop);
    capture_setup(loop);
    timer_init(&tick, on_tick, NULL);
}

static void teardown(void)
{
    capture_teardown();
    loop_free(loop);
    log_open(NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static const char *tpath(const char *name)
{
    static char buf[64][PATH_MAX];   /* never reused within one test */
    static int i;
    i = (i + 1) % 64;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static uint64_t now_ms(void) { return loop_now(); }


static void run_round(void)
{
    if (!timer_armed(&tick))
        timer_arm(loop, &tick, 10);
    ck_assert_int_eq(loop_run_once(loop), 0);
}

static unsigned live_streams(void)
{
    struct capture_stats st;
    capture_get_stats(&st);
    return st.streams;
}

/* Run the loop until no stream is left (all released and at EOF). */
static void run_until_done(int timeout_ms)
{
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    while (live_streams() > 0) {
        ck_assert_msg(now_ms() < end, "streams still alive after %d ms", timeout_ms);
        run_round();
    }
}

static void put(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        ck_assert_int_gt(w, 0);
        s += w;
        n -= (size_t)w;
    }
}

static void puts_fd(int fd, const char *s) { put(fd, s, strlen(s)); }

static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        ck_assert_int_ge(r, 0);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

static off_t fsize(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static struct log_target file_target(const char *path, uint64_t maxbytes, int backups)
{
    return (struct log_target){ .kind = LOG_FILE, .path = (char *)path,
                                .maxbytes = maxbytes, .backups = backups };
}

static struct capture *prep(const struct log_target *t, const char *name, bool prefix,
                            int which, int *wfd)
{
    struct capture *c = NULL;
    char err[256] = "";
    int r = capture_prepare(t, name, prefix, which, &c, wfd, err, sizeof err);
    ck_assert_msg(r == 0, "capture_prepare: %s", err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_ge(*wfd, 3);
    return c;
}

/* Make fd 1 (tend's stdout in the module's eyes) a pipe; return its read
 * end, non-blocking. Must be called before the first LOG_STDOUT prepare. */
static int stdout_to_pipe(void)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(dup2(p[1], 1), 1);
    close(p[1]);
    ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    return p[0];
}

/* A growing buffer filled from a pipe by a loop watch (the reader of
 * "tend's stdout"). */
struct drain {
    struct watch w;
    char *buf;
    size_t len, cap;
};

static void drain_cb(struct loop *l, struct watch *w, uint32_t ev)
{
    struct drain *d = w->arg;
    for (;;) {
        if (d->cap - d->len < 65536) {
            d->cap = d->cap ? d->cap * 2 : 1 << 20;
            d->buf = realloc(d->buf, d->cap + 1);
        }
        ssize_t r = read(w->fd, d->buf + d->len, d->cap - d->len);
        if (r > 0) {
            d->len += (size_t)r;
            continue;
        }
        if (r == 0)
            watch_del(l, w);
        break;
    }
    if (d->buf)
        d->buf[d->len] = '\0';
}

/* Run the loop until the drained text has N bytes. */
static void run_until_len(struct drain *d, size_t n, int timeout_ms)
{
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    while (d->len < n) {
        ck_assert_msg(now_ms() < end, "got %zu of %zu bytes", d->len, n);
        run_round();
    }
}

/* Fork a process that runs FN(fd) and exits; the parent closes FD. */
static pid_t writer(int fd, void (*fn)(int fd, void *arg), void *arg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        fn(fd, arg);
        _exit(0);
    }
    close(fd);
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- tests ---- */

START_TEST(test_inherit_and_none)
{
    struct capture *c = (void *)1;
    int fd = -1;
    char err[128];
    struct log_target t = { .kind = LOG_INHERIT };
    ck_assert_int_eq(capture_prepare(&t, "x", false, 2, &c, &fd, err, sizeof err), 0);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(fd, 2);
    t.kind = LOG_NONE;
    ck_assert_int_eq(capture_prepare(&t, "x", false, 1, &c, &fd, err, sizeof err), 0);
    ck_assert_ptr_null(c);
    ck_assert_int_ge(fd, 3);
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ck_assert_int_eq(write(fd, "x", 1), 1);   /* /dev/null takes it */
    close(fd);
}
END_TEST

START_TEST(test_file_exact_bytes)
{
    const char *path = tpath("out.log");
    /* appended to what is there */
    int pre = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    puts_fd(pre, "before\n");
    close(pre);
    struct log_target t = file_target(path, 0, 0);
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    ck_assert_str_eq(capture_path(c), path);
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    char bin[300];
    for (int i = 0; i < 300; i++)
        bin[i] = (char)(i * 7);
    /* released first: the stream keeps reading until EOF (a grandchild
     * may still hold the pipe) */
    capture_release(c);
    puts_fd(fd, "hello\nworld");
    put(fd, bin, sizeof bin);
    puts_fd(fd, "no newline at the end");
    close(fd);
    run_until_done(5000);
    size_t n;
    char *got = slurp(path, &n);
    char want[1024];
    size_t wl = 0;
    memcpy(want, "before\nhello\nworld", 18);
    wl = 18;
    memcpy(want + wl, bin, sizeof bin);
    wl += sizeof bin;
    memcpy(want + wl, "no newline at the end", 21);
    wl += 21;
    ck_assert_uint_eq(n, wl);
    ck_assert(memcmp(got, want, wl) == 0);
    free(got);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);  /* an existing file keeps its mode */
}
END_TEST

START_TEST(test_file_created_0644_and_auto_dir)
{
    umask(022);
    const char *path = tpath("logs/sub/prog-stdout.log");
    struct log_target t = file_target(path, 0, 0);
    struct capture *c;
    int fd;
    char err[512];
    /* a missing folder is an error naming the file, unless AUTO */
    ck_assert_int_eq(capture_prepare(&t, "x", false, 1, &c, &fd, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    t.is_auto = true;
    c = prep(&t, "x", false, 1, &fd);
    puts_fd(fd, "auto\n");
    close(fd);
    capture_release(c);
    run_until_done(5000);
    char *got = slurp(path, NULL);
    ck_assert_str_eq(got, "auto\n");
    free(got);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    ck_assert_int_eq(stat(tpath("logs/sub"), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0755);
}
END_TEST

START_TEST(test_prefix_lines_in_file)
{
    const char *path = tpath("p.log");
    struct log_target t = file_target(path, 0, 0);
    int fd;
    struct capture *c = prep(&t, "web", true, 1, &fd);
    puts_fd(fd, "a\nbb\n\nccc");
    close(fd);
    capture_release(c);
    run_until_done(5000);
    char *got = slurp(path, NULL);
    ck_assert_str_eq(got, "web | a\nweb | bb\nweb | \nweb | ccc\n");
    free(got);
}
END_TEST

START_TEST(test_partial_line_waits_for_eof)
{
    int rd = stdout_to_pipe();
    struct log_target t = { .kind = LOG_STDOUT };
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    puts_fd(fd, "hello\nwor");
    struct drain d = { 0 };
    ck_assert_int_eq(watch_add(loop, &d.w, rd, EPOLLIN, drain_cb, &d), 0);
    run_until_len(&d, 6, 5000);
    /* the partial line is held back while the stream is open */
    for (int i = 0; i < 5; i++)
        run_round();
    ck_assert_uint_eq(d.len, 6);
    ck_assert(memcmp(d.buf, "hello\n", 6) == 0);
    puts_fd(fd, "ld");
    close(fd);
    /* EOF before release: the final line is written at EOF */
    run_until_len(&d, 12, 5000);
    ck_assert_str_eq(d.buf, "hello\nworld\n");
    ck_assert_uint_eq(live_streams(), 1);  /* freed only once released */
    capture_release(c);
    ck_assert_uint_eq(live_streams(), 0);
    watch_del(loop, &d.w);
    free(d.buf);
    close(rd);
}
END_TEST

START_TEST(test_long_partial_line_forced)
{
    int rd = stdout_to_pipe();
    struct log_target t = { .kind = LOG_STDOUT };
    int fd;
    struct capture *c = prep(&t, "x", true, 1, &fd);
    struct drain d = { 0 };
    ck_assert_int_eq(watch_add(loop, &d.w, rd, EPOLLIN, drain_cb, &d), 0);
    /* a line longer than the stream buffer goes out in pieces, each a line */
    size_t n = CAPTURE_LINE_MAX + 1000;
    char *big = malloc(n);
    memset(big, 'z', n);
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        put(fd, big, n);
        put(fd, "\n", 1);
        _exit(0);
    }
    close(fd);
    capture_release(c);
    size_t want = 4 + CAPTURE_LINE_MAX + 1 + 4 + 1000 + 1;
    run_until_len(&d, want, 5000);
    run_until_done(5000);
    reap(w);
    ck_assert_uint_eq(d.len, want);
    ck_assert(memcmp(d.buf, "x | zzz", 7) == 0);
    ck_assert_int_eq(d.buf[4 + CAPTURE_LINE_MAX], '\n');
    ck_assert(memcmp(d.buf + 4 + CAPTURE_LINE_MAX + 1, "x | zzz", 7) == 0);
    ck_assert_int_eq(d.buf[want - 1], '\n');
    watch_del(loop, &d.w);
    free(d.buf);
    free(big);
    close(rd);
}
END_TEST

struct longlines { char tag; int lines; size_t len; };

static void write_long_lines(int fd, void *arg)
{
    struct longlines *a = arg;
    char *line = malloc(a->len);
    memset(line, a->tag, a->len - 1);
    line[a->len - 1] = '\n';
    for (int i = 0; i < a->lines; i++)
        if (write(fd, line, a->len) != (ssize_t)a->len)
            _exit(1);   /* blocking pipe: whole or error */   /* > PIPE_BUF: the kernel may split it */
    free(line);
}

/* Check that TEXT is only whole lines "T | TTTT...\n" of LEN bytes of
 * either tag, COUNT of each. (Plain ifs in loops: every ck_assert costs a
 * write to check's pipe.) */
static void check_lines(const char *text, size_t tlen, size_t len, int count)
{
    int na = 0, nb = 0;
    const char *p = text, *end = text + tlen;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            ck_abort_msg("unterminated line at %zu", (size_t)(p - text));
        size_t l = (size_t)(nl - p) + 1;
        if (l != len + 4)
            ck_abort_msg("line of %zu bytes at %zu, want %zu", l, (size_t)(p - text), len + 4);
        char tag = p[0];
        if ((tag != 'A' && tag != 'B') || memcmp(p + 1, " | ", 3) != 0)
            ck_abort_msg("bad prefix at %zu: %.8s", (size_t)(p - text), p);
        for (size_t i = 4; i < l - 1; i++)
            if (p[i] != tag)
                ck_abort_msg("line of %c mixed with %c", tag, p[i]);
        if (tag == 'A')
            na++;
        else
            nb++;
        p = nl + 1;
    }
    ck_assert_int_eq(na, count);
    ck_assert_int_eq(nb, count);
}

/* Writers A and B each send COUNT lines of LEN bytes through CA/CB (their
 * pipe ends FA/FB) into tend's stdout, read back from RD: everything
 * arrives, and every line whole. Releases the captures, closes RD. */
static void two_writers_whole_lines(int rd, struct capture *ca, int fa, struct capture *cb, int fb,
                                    int count, size_t len)
{
    struct longlines la = { 'A', count, len }, lb = { 'B', count, len };
    pid_t wa = writer(fa, write_long_lines, &la);
    pid_t wb = writer(fb, write_long_lines, &lb);
    capture_release(ca);
    capture_release(cb);
    struct drain d = { 0 };
    ck_assert_int_eq(watch_add(loop, &d.w, rd, EPOLLIN, drain_cb, &d), 0);
    size_t want = 2 * (size_t)count * (len + 4);
    run_until_len(&d, want, 20000);
    run_until_done(5000);
    reap(wa);
    reap(wb);
    ck_assert_uint_eq(d.len, want);
    check_lines(d.buf, d.len, len, count);
    watch_del(loop, &d.w);
    free(d.buf);
    close(rd);
}

START_TEST(test_two_streams_never_interleave)
{
    int rd = stdout_to_pipe();
    struct log_target t = { .kind = LOG_STDOUT };
    int fa, fb;
    struct capture *ca = prep(&t, "A", true, 1, &fa);
    struct capture *cb = prep(&t, "B", true, 2, &fb);
    two_writers_whole_lines(rd, ca, fa, cb, fb, 300, 20000);
}
END_TEST

START_TEST(test_stdout_and_stderr_same_pipe)
{
    /* `tend 2>&1 | ...`: one sink, so stdout and stderr lines never mix */
    int rd = stdout_to_pipe();
    ck_assert_int_eq(dup2(1, 2), 2);
    struct log_target to = { .kind = LOG_STDOUT }, te = { .kind = LOG_STDERR };
    int fa, fb;
    struct capture *ca = prep(&to, "A", true, 1, &fa);
    struct capture *cb = prep(&te, "B", true, 2, &fb);
    struct capture_stats st;
    capture_get_stats(&st);
    ck_assert_uint_eq(st.sinks, 1);
    two_writers_whole_lines(rd, ca, fa, cb, fb, 200, 30000);
}
END_TEST

START_TEST(test_two_streams_one_file_with_prefix)
{
    const char *path = tpath("shared.log");
    struct log_target t = file_target(path, 0, 0);
    int fa, fb;
    struct capture *ca = prep(&t, "A", true, 1, &fa);
    struct capture *cb = prep(&t, "B", true, 1, &fb);
    struct capture_stats st;
    capture_get_stats(&st);
    ck_assert_uint_eq(st.sinks, 1);   /* one sink per path */
    struct longlines la = { 'A', 200, 30000 }, lb = { 'B', 200, 30000 };
    pid_t wa = writer(fa, write_long_lines, &la);
    pid_t wb = writer(fb, write_long_lines, &lb);
    capture_release(ca);
    capture_release(cb);
    run_until_done(20000);
    reap(wa);
    reap(wb);
    size_t n;
    char *got = slurp(path, &n);
    check_lines(got, n, 30000, 200);
    free(got);
    capture_get_stats(&st);
    ck_assert_uint_eq(st.sinks, 0);   /* freed with its last stream */
}
END_TEST

static void write_sized_lines(int fd, void *arg)
{
    int n = *(int *)arg;
    char line[64];
    for (int i = 0; i < n; i++) {
        snprintf(line, sizeof line, "%049d\n", i);   /* 50 bytes */
        put(fd, line, 50);
    }
}

/* Read NAME, check that it holds whole 50-byte lines numbered from FIRST
 * up; return the number after the last. */
static int check_numbered(const char *path, int first)
{
    size_t n;
    char *got = slurp(path, &n);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(n % 50 == 0, "%s: %zu bytes, not whole lines", path, n);
    for (size_t off = 0; off < n; off += 50, first++) {
        char want[64];
        snprintf(want, sizeof want, "%049d\n", first);
        if (memcmp(got + off, want, 50) != 0)
            ck_abort_msg("%s: line %zu: %.50s", path, off / 50, got + off);
    }
    free(got);
    return first;
}

START_TEST(test_rotation_backups)
{
    const char *path = tpath("rot.log");
    struct log_target t = file_target(path, 1000, 2);
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    int lines = 110;   /* 5500 bytes: 5 full files, the 6th half full */
    pid_t w = writer(fd, write_sized_lines, &lines);
    capture_release(c);
    run_until_done(5000);
    reap(w);
    ck_assert_int_eq(fsize(path), 500);
    ck_assert_int_eq(fsize(tpath("rot.log.1")), 1000);
    ck_assert_int_eq(fsize(tpath("rot.log.2")), 1000);
    ck_assert_int_eq(fsize(tpath("rot.log.3")), -1);
    int next = check_numbered(tpath("rot.log.2"), 60);
    next = check_numbered(tpath("rot.log.1"), next);
    ck_assert_int_eq(check_numbered(path, next), 110);
}
END_TEST

START_TEST(test_rotation_line_boundary)
{
    /* 1024 is not a multiple of 50: files end at a line boundary */
    const char *path = tpath("rot.log");
    struct log_target t = file_target(path, 1024, 1);
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    /* one write (atomic, < PIPE_BUF), so the module sees it in one read:
     * a line split across two reads may be split across files */
    char all[1500 + 1];
    for (int i = 0; i < 30; i++)
        snprintf(all + i * 50, 51, "%049d\n", i);
    put(fd, all, 1500);
    close(fd);
    capture_release(c);
    run_until_done(5000);
    ck_assert_int_eq(fsize(tpath("rot.log.1")), 1000);
    ck_assert_int_eq(fsize(path), 500);
    int next = check_numbered(tpath("rot.log.1"), 0);
    ck_assert_int_eq(check_numbered(path, next), 30);
}
END_TEST

START_TEST(test_rotation_no_backups_truncates)
{
    const char *path = tpath("rot.log");
    struct log_target t = file_target(path, 1000, 0);
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    int lines = 45;   /* 2250 bytes: truncated twice */
    pid_t w = writer(fd, write_sized_lines, &lines);
    capture_release(c);
    run_until_done(5000);
    reap(w);
    ck_assert_int_eq(fsize(tpath("rot.log.1")), -1);
    ck_assert_int_eq(fsize(path), 250);
    ck_assert_int_eq(check_numbered(path, 40), 45);
}
END_TEST

START_TEST(test_reopen_after_rename)
{
    const char *path = tpath("app.log"), *moved = tpath("app.log.old");
    struct log_target t = file_target(path, 0, 0);
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    puts_fd(fd, "one\n");
    uint64_t end = now_ms() + 5000;
    while (fsize(path) < 4) {
        ck_assert(now_ms() < end);
        run_round();
    }
    ck_assert_int_eq(rename(path, moved), 0);
    puts_fd(fd, "two\n");
    while (fsize(moved) < 8) {
        ck_assert(now_ms() < end);
        run_round();
    }
    ck_assert_int_eq(fsize(path), -1);
    capture_reopen_all();
    ck_assert_int_eq(fsize(path), 0);   /* recreated at once */
    puts_fd(fd, "three\n");
    close(fd);
    capture_release(c);
    run_until_done(5000);
    char *a = slurp(moved, NULL), *b = slurp(path, NULL);
    ck_assert_str_eq(a, "one\ntwo\n");
    ck_assert_str_eq(b, "three\n");
    free(a);
    free(b);
}
END_TEST

START_TEST(test_back_pressure)
{
    int rd = stdout_to_pipe();   /* nobody reads it for now */
    struct log_target t = { .kind = LOG_STDOUT };
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    char line[100];
    memset(line, 'q', 99);
    line[99] = '\n';
    size_t sent = 0;
    uint64_t end = now_ms() + 10000;
    /* write until the whole chain is full and stays full */
    int full_rounds = 0;
    while (full_rounds < 20) {
        ck_assert_msg(now_ms() < end, "the stream never stopped being read");
        ssize_t w = write(fd, line, sizeof line);
        if (w > 0) {
            ck_assert_int_eq(w, sizeof line);
            sent += (size_t)w;
            full_rounds = 0;
            continue;
        }
        ck_assert(errno == EAGAIN);
        run_round();
        full_rounds = capture_reading(c) ? 0 : full_rounds + 1;
    }
    ck_assert(!capture_reading(c));
    /* bounded: a few buffers, not everything */
    ck_assert_uint_lt(sent, 4u << 20);
    /* the loop still runs timers */
    int t0 = ticks;
    for (int i = 0; i < 5; i++)
        run_round();
    ck_assert_int_ge(ticks, t0 + 4);
    /* a reader appears: everything arrives, in whole lines */
    struct drain d = { 0 };
    ck_assert_int_eq(watch_add(loop, &d.w, rd, EPOLLIN, drain_cb, &d), 0);
    run_until_len(&d, sent, 10000);
    ck_assert(capture_reading(c));
    close(fd);
    capture_release(c);
    run_until_done(5000);
    ck_assert_uint_eq(d.len, sent);
    for (size_t off = 0; off < sent; off += 100)
        if (memcmp(d.buf + off, line, 100) != 0)
            ck_abort_msg("line %zu differs", off / 100);
    watch_del(loop, &d.w);
    free(d.buf);
    close(rd);
}
END_TEST

START_TEST(test_write_error_logged_once)
{
    const char *logp = tpath("tend.log");
    ck_assert_int_eq(log_open(logp), 0);
    struct log_target t = file_target("/dev/full", 0, 0);
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    ck_assert_ptr_null(capture_path(c));   /* not a regular file */
    int lines = 2000;
    pid_t w = writer(fd, write_sized_lines, &lines);
    capture_release(c);
    run_until_done(5000);
    reap(w);   /* the program was not blocked or killed */
    struct capture_stats st;
    capture_get_stats(&st);
    ck_assert_uint_eq(st.dropped, 2000 * 50);
    char *text = slurp(logp, NULL);
    int n = 0;
    for (char *p = text; (p = strstr(p, "dropped until")); p++)
        n++;
    ck_assert_msg(n == 1, "logged %d times:\n%s", n, text);
    ck_assert_ptr_nonnull(strstr(text, "/dev/full"));
    ck_assert_ptr_nonnull(strstr(text, "No space left"));
    free(text);
    log_open(NULL);
}
END_TEST

static void write_numbered(int fd, void *arg)
{
    int n = *(int *)arg;
    char buf[65536];
    size_t used = 0;
    for (int i = 1; i <= n; i++) {
        used += (size_t)sprintf(buf + used, "line %d\n", i);
        if (used > sizeof buf - 64) {
            put(fd, buf, used);
            used = 0;
        }
    }
    put(fd, buf, used);
}

static void check_numbered_lines(const char *text, size_t len, const char *prefix, int n)
{
    const char *p = text, *end = text + len;
    for (int i = 1; i <= n; i++) {
        char want[64];
        int wl = snprintf(want, sizeof want, "%sline %d\n", prefix, i);
        if (end - p < wl || memcmp(p, want, (size_t)wl) != 0)
            ck_abort_msg("line %d missing or out of order", i);
        p += wl;
    }
    ck_assert_msg(p == end, "%zu extra bytes", (size_t)(end - p));
}

START_TEST(test_200000_lines_file)
{
    const char *path = tpath("many.log");
    struct log_target t = file_target(path, 0, 0);
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    int n = 200000;
    pid_t w = writer(fd, write_numbered, &n);
    capture_release(c);
    run_until_done(20000);
    reap(w);
    size_t len;
    char *got = slurp(path, &len);
    check_numbered_lines(got, len, "", n);
    free(got);
}
END_TEST

START_TEST(test_200000_lines_prefixed_stdout)
{
    int rd = stdout_to_pipe();
    struct log_target t = { .kind = LOG_STDOUT };
    int fd;
    struct capture *c = prep(&t, "num", true, 1, &fd);
    int n = 200000;
    pid_t w = writer(fd, write_numbered, &n);
    capture_release(c);
    struct drain d = { 0 };
    ck_assert_int_eq(watch_add(loop, &d.w, rd, EPOLLIN, drain_cb, &d), 0);
    size_t want = 0;
    for (int i = 1; i <= n; i++)
        want += (size_t)snprintf(NULL, 0, "num | line %d\n", i);
    run_until_len(&d, want, 20000);
    run_until_done(5000);
    reap(w);
    check_numbered_lines(d.buf, d.len, "num | ", n);
    watch_del(loop, &d.w);
    free(d.buf);
    close(rd);
}
END_TEST

START_TEST(test_flush_all_at_exit)
{
    int rd = stdout_to_pipe();
    struct log_target t = { .kind = LOG_STDOUT };
    int fd;
    struct capture *c = prep(&t, "x", true, 1, &fd);
    /* data in the pipe never seen by the loop, and a partial line: both
     * written by capture_flush_all while the writer is still alive */
    puts_fd(fd, "first\nsecond");
    capture_flush_all(1000);
    char buf[256];
    ssize_t r = read(rd, buf, sizeof buf - 1);
    ck_assert_int_gt(r, 0);
    buf[r] = '\0';
    ck_assert_str_eq(buf, "x | first\nx | second\n");
    capture_release(c);
    close(fd);
    close(rd);
}
END_TEST

START_TEST(test_flush_all_bounded)
{
    int rd = stdout_to_pipe();   /* never read */
    struct log_target t = { .kind = LOG_STDOUT };
    int fd;
    struct capture *c = prep(&t, "x", false, 1, &fd);
    ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    char line[1000];
    memset(line, 'w', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 2000; i++) {
        if (write(fd, line, sizeof line) < 0)
            break;
        run_round();
    }
    uint64_t t0 = now_ms();
    capture_flush_all(300);
    uint64_t took = now_ms() - t0;
    ck_assert_uint_ge(took, 250);
    ck_assert_uint_lt(took, 2000);
    struct capture_stats st;
    capture_get_stats(&st);
    ck_assert_uint_gt(st.dropped, 0);
    capture_release(c);
    close(fd);
    close(rd);
}
END_TEST

/* ---- fsutil: the symlink rule (issue 12, defect 8) ---- */

static void link_owned(const char *target, const char *name, uid_t uid)
{
    ck_assert_int_eq(symlink(target, tpath(name)), 0);
    if (uid != geteuid())
        ck_assert_int_eq(lchown(tpath(name), uid, uid), 0);
}

/* fs_open_log(NAME) for writing: the fd (closed) or -1; WHY filled. */
static int try_open(const char *name, char *why, size_t whylen)
{
    int fd = fs_open_log(tpath(name), O_WRONLY | O_CREAT | O_APPEND, 0644, false, why, whylen);
    if (fd >= 0)
        close(fd);
    return fd < 0 ? -1 : 0;
}

START_TEST(test_fsutil_symlink_rule)
{
    char why[512] = "";
    ck_assert_int_eq(mkdir(tpath("real"), 0755), 0);
    /* tend's own symlinks (absolute, relative, last component) are followed */
    link_owned(tpath("real"), "mine", geteuid());
    link_owned("real", "rel", geteuid());
    link_owned("f", "real/last", geteuid());
    ck_assert_msg(try_open("mine/a", why, sizeof why) == 0, "%s", why);
    ck_assert_msg(try_open("rel/b", why, sizeof why) == 0, "%s", why);
    ck_assert_msg(try_open("real/last", why, sizeof why) == 0, "%s", why);
    ck_assert_msg(try_open("real/../rel/./c", why, sizeof why) == 0, "%s", why);
    ck_assert_int_ge(fsize(tpath("real/a")), 0);
    ck_assert_int_ge(fsize(tpath("real/b")), 0);
    ck_assert_int_ge(fsize(tpath("real/f")), 0);
    ck_assert_int_ge(fsize(tpath("real/c")), 0);
    /* a loop ends */
    link_owned("loop2", "loop1", geteuid());
    link_owned("loop1", "loop2", geteuid());
    ck_assert_int_eq(try_open("loop1/x", why, sizeof why), -1);
    ck_assert_int_eq(errno, ELOOP);
    /* not a folder on the way: named */
    ck_assert_int_eq(try_open("real/a/x", why, sizeof why), -1);
    ck_assert_int_eq(errno, ENOTDIR);
    ck_assert_ptr_nonnull(strstr(why, tpath("real/a")));
    /* /proc's magic links go to the kernel */
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    char procpath[64];
    snprintf(procpath, sizeof procpath, "/proc/self/fd/%d", p[1]);
    int fd = fs_open_log(procpath, O_WRONLY | O_NONBLOCK, 0, false, why, sizeof why);
    ck_assert_msg(fd >= 0, "%s: %s", procpath, why);
    put(fd, "via proc\n", 9);
    char got[16] = "";
    ck_assert_int_eq(read(p[0], got, sizeof got), 9);
    close(fd);
    close(p[0]);
    close(p[1]);
    if (geteuid() != 0)
        return;   /* the rest chowns symlinks to nobody */
    link_owned(tpath("real"), "theirs", 65534);
    link_owned("theirs-target", "real/theirs-last", 65534);
    link_owned(tpath("theirs/z"), "mine2", 0);   /* root's link through theirs */
    const char *refused[] = { "theirs/d", "real/theirs-last", "mine2" };
    const char *culprit[] = { "theirs", "real/theirs-last", "theirs" };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(try_open(refused[i], why, sizeof why), -1);
        ck_assert_int_eq(errno, EPERM);
        char want[PATH_MAX + 64];
        snprintf(want, sizeof want, "refusing to follow symlink %s owned by uid 65534",
                 tpath(culprit[i]));
        ck_assert_msg(strcmp(why, want) == 0, "%s: %s", refused[i], why);
    }
    ck_assert_int_eq(fsize(tpath("real/d")), -1);
    ck_assert_int_eq(fsize(tpath("real/theirs-target")), -1);
    ck_assert_int_eq(fsize(tpath("real/z")), -1);
    /* mkdir -p stops there too, and makes nothing */
    ck_assert_int_eq(fs_mkdir_p(tpath("theirs/m/n"), why, sizeof why), -1);
    ck_assert_int_eq(fsize(tpath("real/m")), -1);
}
END_TEST

START_TEST(test_fsutil_mkdir_p_0755)
{
    char why[512] = "";
    mode_t old = umask(022);
    ck_assert_msg(fs_mkdir_p(tpath("a/b/c"), why, sizeof why) == 0, "%s", why);
    ck_assert_msg(fs_mkdir_p(tpath("a/b/c"), why, sizeof why) == 0, "%s", why);   /* again */
    umask(old);
    struct stat st;
    ck_assert_int_eq(stat(tpath("a/b/c"), &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0755);
    const char *base;
    int d = fs_open_parent(tpath("a/b/c/file"), false, &base, why, sizeof why);
    ck_assert_msg(d >= 0, "%s", why);
    ck_assert_str_eq(base, "file");
    close(d);
}
END_TEST

/* Rotation through a symlinked folder renames inside the real folder. */
START_TEST(test_rotation_through_own_symlink)
{
    ck_assert_int_eq(mkdir(tpath("real"), 0755), 0);
    link_owned(tpath("real"), "dir", geteuid());
    struct log_target t = file_target(tpath("dir/r.log"), 1000, 2);
    int fd;
    struct capture *c = prep(&t, "r", false, 1, &fd);
    char line[100];
    memset(line, 'r', sizeof line - 1);
    line[99] = '\n';
    for (int i = 0; i < 25; i++)
        put(fd, line, sizeof line);
    close(fd);
    capture_release(c);
    run_until_done(5000);
    ck_assert_int_eq(fsize(tpath("real/r.log.1")), 1000);
    ck_assert_int_eq(fsize(tpath("real/r.log.2")), 1000);
    ck_assert_int_eq(fsize(tpath("real/r.log")), 500);
}
END_TEST

START_TEST(test_capture_refuses_nobodys_symlink)
{
    if (geteuid() != 0)
        return;
    ck_assert_int_eq(mkdir(tpath("real"), 0755), 0);
    link_owned(tpath("real"), "theirs", 65534);
    struct log_target t = file_target(tpath("theirs/out.log"), 0, 0);
    struct capture *c = NULL;
    int wfd = -1;
    char err[512] = "";
    ck_assert_int_eq(capture_prepare(&t, "x", false, 1, &c, &wfd, err, sizeof err), -1);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(wfd, -1);
    ck_assert_msg(strstr(err, "refusing to follow symlink") && strstr(err, tpath("theirs")),
                  "%s", err);
    ck_assert_int_eq(fsize(tpath("real/out.log")), -1);
}
END_TEST

/* ---- tend's own log: queued, never blocking (issue 12, defects 4, 11) ---- */

START_TEST(test_log_never_blocks_and_counts_drops)
{
    enum { N = 3000 };
    const char *fifo = tpath("log.fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    /* without a reader the open fails at once instead of waiting */
    ck_assert_int_eq(log_open(fifo), -1);
    ck_assert_int_eq(errno, ENXIO);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(rd, 0);
    ck_assert_int_eq(log_open(fifo), 0);
    log_attach(loop);
    /* ~100 bytes a line: 300 KB, far more than the pipe and the queue */
    uint64_t t0 = now_ms();
    for (int i = 0; i < N; i++)
        log_error("message %06d %s", i, "................................................");
    ck_assert_uint_lt(now_ms() - t0, 2000);
    /* read it all: every line whole, in order, and the loss accounted for */
    struct drain d = { 0 };
    ck_assert_int_eq(watch_add(loop, &d.w, rd, EPOLLIN, drain_cb, &d), 0);
    uint64_t end = now_ms() + 5000;
    while (!d.buf || !strstr(d.buf, "log destination not keeping up")) {
        ck_assert_msg(now_ms() < end, "no notice; %zu bytes read", d.len);
        run_round();
    }
    int got = 0, last = -1;
    unsigned long long dropped = 0;
    for (char *p = d.buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        char *m = strstr(p, "ERROR message ");
        char *w = strstr(p, "WARN ");
        if (m) {
            int i = atoi(m + 14);
            ck_assert_msg(i > last, "line %d after %d", i, last);
            ck_assert_msg(strlen(m) == 14 + 6 + 1 + 48, "cut line: %s", p);
            last = i;
            got++;
        } else {
            ck_assert_msg(w && strstr(w, "log lines dropped"), "unexpected: %s", p);
            dropped += strtoull(w + 5, NULL, 10);
        }
    }
    ck_assert_int_gt(got, 0);
    ck_assert_uint_gt(dropped, 0);
    ck_assert_uint_eq(got + dropped, N);
    /* the reader goes: writing fails (EPIPE) without harm */
    watch_del(loop, &d.w);
    close(rd);
    log_error("into a FIFO without reader");
    run_round();
    log_attach(NULL);
    ck_assert_int_eq(log_open(tpath("messages")), 0);   /* the notice goes there */
    free(d.buf);
}
END_TEST

START_TEST(test_log_stderr_stays_blocking)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    int saved = dup(2);
    ck_assert_int_eq(dup2(p[1], 2), 2);
    close(p[1]);
    ck_assert_int_eq(log_open(NULL), 0);
    log_attach(loop);
    for (int i = 0; i < 2000; i++)   /* more than the pipe holds */
        log_error("to stderr %d ........................................................", i);
    int fl = fcntl(2, F_GETFL);
    ck_assert_int_ge(fl, 0);
    ck_assert_int_eq(fl & O_NONBLOCK, 0);   /* shared with inherit-mode children */
    log_attach(NULL);
    ck_assert_int_eq(log_open(tpath("messages")), 0);   /* what is queued goes there */
    dup2(saved, 2);
    close(saved);
    close(p[0]);
}
END_TEST

/* ---- out of memory: every allocation of a spawn's capture may fail ---- */

static int count_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

/* capture_prepare(T, ...) with its Nth allocation and every later one
 * failing, for N = 0, 1, ... until it needs no more: each attempt returns
 * -1 saying "out of memory" and leaves no stream, sink, descriptor or block
 * behind, but what is kept for the next start anyway: a syslog destination,
 * or tend's stdout/stderr sink (CACHED blocks and CACHED_SINKS sinks at
 * most, freed by capture_teardown); then, memory back, the same call works
 * (tend retries a failed start). Returns the number of allocations made. */
static long oom_sweep(const struct log_target *t, const char *name, bool prefix, int which,
                      long cached, unsigned cached_sinks)
{
    struct capture_stats st0, st;
    capture_get_stats(&st0);
    int fds0 = count_fds();
    long live0 = failalloc_live();
    for (long n = 0;; n++) {
        struct capture *c = (void *)1;
        int fd = -2;
        char err[256] = "";
        failalloc_from(n);
        int r = capture_prepare(t, name, prefix, which, &c, &fd, err, sizeof err);
        long refused = failalloc_failed();
        failalloc_off();
        if (refused == 0) {
            ck_assert_msg(r == 0, "capture_prepare: %s", err);
            ck_assert_ptr_nonnull(c);
            close(fd);
            capture_release(c);
            return n;
        }
        ck_assert_msg(r == -1, "allocation %ld refused, yet capture_prepare succeeded", n);
        ck_assert_msg(strstr(err, "out of memory") != NULL, "allocation %ld: %s", n, err);
        ck_assert_ptr_null(c);
        ck_assert_int_eq(fd, -1);
        capture_get_stats(&st);
        ck_assert_uint_eq(st.streams, st0.streams);
        ck_assert_msg(st.sinks >= st0.sinks && st.sinks <= st0.sinks + cached_sinks,
                      "allocation %ld: %u sinks, %u before", n, st.sinks, st0.sinks);
        ck_assert_int_eq(count_fds(), fds0 + (int)(st.sinks - st0.sinks));
        long grew = failalloc_live() - live0;
        ck_assert_msg(grew >= 0 && grew <= cached, "allocation %ld: %ld blocks kept", n, grew);
    }
}

START_TEST(test_oom_prepare_fails_cleanly)
{
    /* the C library keeps the time zone it loads for tend's log stamps */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    long live_start = failalloc_live();
    char sock1[PATH_MAX], sock2[PATH_MAX];
    snprintf(sock1, sizeof sock1, "%s", tpath("nosyslog1"));
    snprintf(sock2, sizeof sock2, "%s", tpath("nosyslog2"));

    /* a new file sink: raw, then whole lines with a prefix */
    struct log_target f = file_target(tpath("a.log"), 0, 0);
    ck_assert_int_ge(oom_sweep(&f, "a", false, 1, 0, 0), 4);   /* sink, name, path, stream */
    run_until_done(2000);
    ck_assert_int_ge(oom_sweep(&f, "a", true, 1, 0, 0), 6);    /* + line buffer, prefix */
    run_until_done(2000);

    /* AUTO folders to make first */
    struct log_target fa = file_target(tpath("auto/dir/b.log"), 0, 0);
    fa.is_auto = true;
    oom_sweep(&fa, "b", false, 2, 0, 0);

    /* tend's stdout, plain and then JSON (the shared sink's buffer grows) */
    struct log_target so = { .kind = LOG_STDOUT };
    oom_sweep(&so, "c", true, 1, 3, 1);   /* the sink stays once made */
    struct log_target sj = { .kind = LOG_STDOUT, .format = LOG_FORMAT_JSON,
                             .stamp = LOG_STAMP_ISO8601 };
    oom_sweep(&sj, "c", false, 1, 0, 0);

    /* syslog: NONE (a sink of its own), and a JSON file as well */
    struct log_target ns = { .kind = LOG_NONE, .syslog = true, .syslog_socket = sock1 };
    oom_sweep(&ns, "g:d", false, 1, 2, 0);
    struct log_target fj = file_target(tpath("e.log"), 0, 0);
    fj.format = LOG_FORMAT_JSON;
    fj.syslog = true;
    fj.syslog_socket = sock2;
    oom_sweep(&fj, "e", false, 2, 2, 0);

    /* a FIFO with a reader: the sink becomes a stream sink (its buffer) */
    const char *fifo = tpath("fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(rd, 0);
    struct log_target ff = file_target(fifo, 0, 0);
    oom_sweep(&ff, "f", false, 1, 0, 0);
    run_until_done(2000);
    close(rd);

    /* nothing was leaked: all that is left goes with the teardown */
    capture_teardown();
    capture_setup(loop);
    ck_assert_int_eq(failalloc_live(), live_start);
}
END_TEST

/* A start refused for memory takes nothing from the streams already
 * writing to the same file. */
START_TEST(test_oom_keeps_shared_sink)
{
    const char *path = tpath("shared.log");
    struct log_target t = file_target(path, 0, 0);
    int fd1;
    struct capture *c1 = prep(&t, "one", true, 1, &fd1);
    oom_sweep(&t, "two", true, 1, 0, 0);
    puts_fd(fd1, "still here\n");
    close(fd1);
    capture_release(c1);
    run_until_done(2000);
    char *got = slurp(path, NULL);
    ck_assert_str_eq(got, "one | still here\n");
    free(got);
}
END_TEST

static Suite *capture_suite(void)
{
    Suite *s = suite_create("capture");
    TCase *tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_inherit_and_none);
    tcase_add_test(tc, test_file_exact_bytes);
    tcase_add_test(tc, test_file_created_0644_and_auto_dir);
    tcase_add_test(tc, test_prefix_lines_in_file);
    tcase_add_test(tc, test_partial_line_waits_for_eof);
    tcase_add_test(tc, test_long_partial_line_forced);
    suite_add_tcase(s, tc);

    tc = tcase_create("shared");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_two_streams_never_interleave);
    tcase_add_test(tc, test_stdout_and_stderr_same_pipe);
    tcase_add_test(tc, test_two_streams_one_file_with_prefix);
    suite_add_tcase(s, tc);

    tc = tcase_create("rotation");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_rotation_backups);
    tcase_add_test(tc, test_rotation_line_boundary);
    tcase_add_test(tc, test_rotation_no_backups_truncates);
    tcase_add_test(tc, test_reopen_after_rename);
    suite_add_tcase(s, tc);

    tc = tcase_create("pressure");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_back_pressure);
    tcase_add_test(tc, test_write_error_logged_once);
    tcase_add_test(tc, test_200000_lines_file);
    tcase_add_test(tc, test_200000_lines_prefixed_stdout);
    tcase_add_test(tc, test_flush_all_at_exit);
    tcase_add_test(tc, test_flush_all_bounded);
    suite_add_tcase(s, tc);

    tc = tcase_create("safety");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_fsutil_symlink_rule);
    tcase_add_test(tc, test_fsutil_mkdir_p_0755);
    tcase_add_test(tc, test_rotation_through_own_symlink);
    tcase_add_test(tc, test_capture_refuses_nobodys_symlink);
    tcase_add_test(tc, test_log_never_blocks_and_counts_drops);
    tcase_add_test(tc, test_log_stderr_stays_blocking);
    suite_add_tcase(s, tc);

    tc = tcase_create("out of memory");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_oom_prepare_fails_cleanly);
    tcase_add_test(tc, test_oom_keeps_shared_sink);
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
