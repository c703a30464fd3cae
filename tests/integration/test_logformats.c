/* test_logformats.c - issue 15 through the real binary: log_timestamp and
 * log_format = json per program and as [supervisor] defaults, to files,
 * tend's stdout and stderr (inherit becomes captured); long lines cut into
 * marked records; 100 000 lines through JSON complete and in order;
 * stdout_syslog/stderr_syslog to a datagram socket bound by the test, a
 * missing and a full one never stopping capture; tend's own log rotated
 * (logfile_maxbytes, logfile_backups) and as JSON (logformat); `tendctl
 * tail` on a JSON file; --check errors and -v; reload restarting only the
 * program whose log keys changed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 10000

static const char *spam(void) { return th_helper("spam"); }

/* Poll until the file at PATH ends with SUFFIX (th_wait_file reads only
 * the first MiB). 0, or -1 at the deadline. */
static int wait_tail(const char *path, const char *suffix, int timeout_ms)
{
    size_t sl = strlen(suffix);
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            struct stat st;
            char buf[256];
            bool ok = fstat(fd, &st) == 0 && (size_t)st.st_size >= sl && sl < sizeof buf &&
                      pread(fd, buf, sl, st.st_size - (off_t)sl) == (ssize_t)sl &&
                      !memcmp(buf, suffix, sl);
            close(fd);
            if (ok)
                return 0;
        }
        if (th_now_ms() >= deadline) {
            fprintf(stderr, "timed out waiting for %s to end with %s", path, suffix);
            return -1;
        }
        th_nap(20);
    }
}

static bool digits(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

/* Length of the stamp at P of KIND ("iso8601", "rfc3339ms", "unix"), 0 when
 * P does not start with one. */
static size_t stamp_at(const char *p, const char *kind)
{
    if (!strcmp(kind, "unix"))
        return digits(p, 10) && p[10] == '.' && digits(p + 11, 3) ? 14 : 0;
    bool ok = digits(p, 4) && p[4] == '-' && digits(p + 5, 2) && p[7] == '-' &&
              digits(p + 8, 2) && p[10] == 'T' && digits(p + 11, 2) && p[13] == ':' &&
              digits(p + 14, 2) && p[16] == ':' && digits(p + 17, 2);
    if (!ok)
        return 0;
    if (!strcmp(kind, "iso8601"))
        return p[19] == 'Z' ? 20 : 0;
    return p[19] == '.' && digits(p + 20, 3) && p[23] == 'Z' ? 24 : 0;
}

/* Every line of FILE is STAMP + " " + REST[i], for the N lines given. */
static void check_stamped(const char *file, const char *kind, const char *const *rest, int n)
{
    char *text = th_slurp(file, NULL);
    ck_assert_msg(text != NULL, "%s missing", file);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    for (int i = 0; i < n; i++, line = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(line != NULL, "%s: line %d missing", file, i + 1);
        size_t sl = stamp_at(line, kind);
        ck_assert_msg(sl > 0, "%s: line %d has no %s stamp: %s", file, i + 1, kind, line);
        ck_assert_msg(line[sl] == ' ' && !strcmp(line + sl + 1, rest[i]),
                      "%s: line %d: want '%s' after the stamp, got '%s'", file, i + 1, rest[i],
                      line);
    }
    ck_assert_msg(line == NULL, "%s: extra line %s", file, line);
    free(text);
}

static void wait_exited(struct th *t, const char *name)
{
    ck_assert_int_eq(th_wait_state(t, name, "EXITED", WAIT), 0);
}

START_TEST(test_timestamps_files)
{
    struct th *t = th_start(
        "log_timestamp = unix\n"
        "[program:iso]\ncommand = printf 'one\\ntwo\\r\\nlast'\nlog_timestamp = iso8601\n"
        "stdout_logfile = @DIR@/iso.log\nstartsecs = 0\nautorestart = false\n"
        "[program:ms]\ncommand = sh -c 'echo out; echo err >&2'\nlog_timestamp = rfc3339ms\n"
        "log_prefix = true\nstdout_logfile = @DIR@/ms.log\nstderr_logfile = @DIR@/ms.err\n"
        "startsecs = 0\nautorestart = false\n"
        "[program:dflt]\ncommand = echo from-default\nstdout_logfile = @DIR@/dflt.log\n"
        "startsecs = 0\nautorestart = false\n"
        "[program:off]\ncommand = echo raw\nlog_timestamp = none\nstdout_logfile = @DIR@/off.log\n"
        "startsecs = 0\nautorestart = false\n");
    wait_exited(t, "iso");
    wait_exited(t, "ms");
    wait_exited(t, "dflt");
    wait_exited(t, "off");
    ck_assert_int_eq(th_wait_file(th_path(t, "iso.log"), "last\n", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "ms.err"), "err\n", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "dflt.log"), "from-default\n", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "off.log"), "raw\n", WAIT), 0);
    /* CRLF ends a line; the last line gets its newline at EOF */
    static const char *const iso[] = { "one", "two", "last" };
    check_stamped(th_path(t, "iso.log"), "iso8601", iso, 3);
    static const char *const ms[] = { "ms | out" }, *const mserr[] = { "ms | err" };
    check_stamped(th_path(t, "ms.log"), "rfc3339ms", ms, 1);
    check_stamped(th_path(t, "ms.err"), "rfc3339ms", mserr, 1);
    static const char *const dflt[] = { "from-default" };
    check_stamped(th_path(t, "dflt.log"), "unix", dflt, 1);
    char buf[64];
    ck_assert_int_eq(th_read_file(th_path(t, "off.log"), buf, sizeof buf), 4);
    ck_assert_str_eq(buf, "raw\n");
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* inherit becomes tend's own stdout/stderr, stamped; /dev/stdout and
 * /dev/stderr targets get JSON */
START_TEST(test_std_targets)
{
    struct th *t = th_start(
        "[program:inh]\ncommand = sh -c 'echo i-out; echo i-err >&2'\nlog_timestamp = iso8601\n"
        "startsecs = 0\nautorestart = false\n"
        "[program:js]\ncommand = sh -c 'echo j-out; echo j-err >&2'\nlog_format = json\n"
        "stdout_logfile = /dev/stdout\nstderr_logfile = /dev/stderr\n"
        "startsecs = 0\nautorestart = false\n");
    wait_exited(t, "inh");
    wait_exited(t, "js");
    ck_assert_int_eq(th_wait_file(t->outlog, "i-out", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "i-err", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->outlog, "\"message\": \"j-out\"}", WAIT), 0);
    ck_assert_int_eq(th_wait_file(t->errlog, "\"message\": \"j-err\"}", WAIT), 0);
    char *o = th_slurp(t->outlog, NULL), *e = th_slurp(t->errlog, NULL);
    const char *p = strstr(o, "i-out");
    ck_assert(p && p - o >= 21 && stamp_at(p - 21, "iso8601") == 20);
    p = strstr(e, "i-err");
    ck_assert(p && p - e >= 21 && stamp_at(p - 21, "iso8601") == 20);
    ck_assert_ptr_nonnull(strstr(o, "\"name\": \"js\", \"stream\": \"stdout\", \"message\": \"j-out\"}\n"));
    ck_assert_ptr_nonnull(strstr(e, "\"name\": \"js\", \"stream\": \"stderr\", \"message\": \"j-err\"}\n"));
    p = strstr(o, "{\"time\": \"");
    ck_assert(p && stamp_at(p + 10, "rfc3339ms") == 24);
    free(o);
    free(e);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* JSON escaping end to end, and `tendctl tail` showing the file as written */
START_TEST(test_json_file_and_tail)
{
    struct th *t = th_start(
        "[program:j]\ncommand = printf 'tab\\there \"q\" \\\\b\\n\\001\\033[0m\\n\\377ok\\303\\251\\n'\n"
        "log_format = json\nlog_timestamp = unix\nstdout_logfile = @DIR@/j.log\n"
        "startsecs = 0\nautorestart = false\n");
    wait_exited(t, "j");
    ck_assert_int_eq(th_wait_file(th_path(t, "j.log"), "ok\xC3\xA9\"}\n", WAIT), 0);
    char *text = th_slurp(th_path(t, "j.log"), NULL);
    const char *want[] = {
        "\"message\": \"tab\\there \\\"q\\\" \\\\b\"}",
        "\"message\": \"\\u0001\\u001b[0m\"}",
        "\"message\": \"\xEF\xBF\xBDok\xC3\xA9\"}",
    };
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    for (int i = 0; i < 3; i++, line = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(line != NULL, "line %d missing", i + 1);
        ck_assert_msg(!strncmp(line, "{\"time\": \"", 10) && stamp_at(line + 10, "unix") == 14,
                      "line %d: %s", i + 1, line);
        ck_assert_msg(strstr(line, "\"name\": \"j\", \"stream\": \"stdout\", ") != NULL, "%s", line);
        size_t ll = strlen(line), wl = strlen(want[i]);
        ck_assert_msg(ll > wl && !strcmp(line + ll - wl, want[i]), "line %d: %s", i + 1, line);
    }
    ck_assert_ptr_null(line);
    free(text);
    char out[8192];
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "tail -n 1 j"), 0);
    ck_assert_msg(strstr(out, "{\"time\": \"") && strstr(out, "\"message\": \"\xEF\xBF\xBDok\xC3\xA9\"}\n"),
                  "tail: %s", out);
    ck_assert_ptr_null(strstr(out, "u001b"));   /* only the last line */
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* A line longer than the capture buffer: records of the pieces, all but the
 * last marked, that join back into the line; text gets the marker. */
START_TEST(test_long_line_cut)
{
    struct th *t = th_start(
        "[program:j]\ncommand = sh -c 'head -c 150000 /dev/zero | tr \"\\\\0\" x; echo; echo after'\n"
        "log_format = json\nstdout_logfile = @DIR@/j.log\nstartsecs = 0\nautorestart = false\n"
        "[program:t]\ncommand = sh -c 'head -c 70000 /dev/zero | tr \"\\\\0\" y; echo'\n"
        "log_timestamp = iso8601\nstdout_logfile = @DIR@/t.log\nstartsecs = 0\nautorestart = false\n");
    wait_exited(t, "j");
    wait_exited(t, "t");
    ck_assert_int_eq(th_wait_file(th_path(t, "j.log"), "\"message\": \"after\"}\n", WAIT), 0);
    char *text = th_slurp(th_path(t, "j.log"), NULL);
    size_t xs = 0;
    int records = 0, partial = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        records++;
        char *m = strstr(line, "\"message\": \"");
        ck_assert_ptr_nonnull(m);
        m += 12;
        size_t n = strspn(m, "x");
        xs += n;
        if (strstr(m + n, "\"partial\": true"))
            partial++;
        else if (n)
            ck_assert_msg(!strcmp(m + n, "\"}"), "tail of the last piece: %.40s", m + n);
    }
    ck_assert_uint_eq(xs, 150000);
    ck_assert_int_eq(partial, 2);          /* 150000 = 65534 + 65534 + 18932 */
    ck_assert_int_eq(records, 4);          /* three pieces and "after" */
    free(text);
    ck_assert_int_eq(th_wait_file(th_path(t, "t.log"), "yyy\n", WAIT), 0);
    text = th_slurp(th_path(t, "t.log"), NULL);
    ck_assert_ptr_nonnull(strstr(text, "yyy [...]\n"));
    ck_assert_int_eq(th_count_in_file(th_path(t, "t.log"), "Z yyy"), 2);
    free(text);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* 100 000 lines through JSON: none lost, none reordered, none merged */
START_TEST(test_json_100k_lines)
{
    struct th *t = th_start(
        "[program:s]\ncommand = %s -n 100000 -t L -c 4000\nlog_format = json\n"
        "log_timestamp = rfc3339ms\nstdout_logfile = @DIR@/s.log\nstdout_logfile_maxbytes = 0\n"
        "startsecs = 0\nautorestart = false\n", spam());
    wait_exited(t, "s");
    ck_assert_int_eq(wait_tail(th_path(t, "s.log"), "\"message\": \"L 000100000\"}\n", 30000), 0);
    size_t len;
    char *text = th_slurp(th_path(t, "s.log"), &len);
    char *p = text, *end = text + len;
    for (long i = 1; i <= 100000; i++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        ck_assert_msg(nl != NULL, "line %ld missing", i);
        *nl = '\0';
        char want[64];
        snprintf(want, sizeof want, "\"message\": \"L %09ld\"}", i);
        size_t ll = (size_t)(nl - p), wl = strlen(want);
        ck_assert_msg(!strncmp(p, "{\"time\": \"", 10) && ll > wl && !strcmp(p + ll - wl, want),
                      "line %ld: %s", i, p);
        p = nl + 1;
    }
    ck_assert_msg(p == end, "extra bytes: %.60s", p);
    free(text);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* JSON into a rotated file, fast: the batches written behind and the
 * rotations between them keep every record whole, in order, none lost,
 * each file ending at a record's end and within its size. */
START_TEST(test_json_rotated)
{
    enum { LINES = 30000, MAXB = 100 * 1024, BACKUPS = 40 };
    struct th *t = th_start(
        "[program:s]\ncommand = %s -n %d -t R -c 3000\nlog_format = json\n"
        "stdout_logfile = @DIR@/s.log\nstdout_logfile_maxbytes = %d\n"
        "stdout_logfile_backups = %d\nstartsecs = 0\nautorestart = false\n",
        spam(), LINES, MAXB, BACKUPS);
    wait_exited(t, "s");
    char last[64];
    snprintf(last, sizeof last, "\"message\": \"R %09d\"}\n", LINES);
    ck_assert_int_eq(wait_tail(th_path(t, "s.log"), last, 30000), 0);
    long next = 1;
    int files = 0;
    for (int b = BACKUPS; b >= 0; b--) {
        char name[32];
        snprintf(name, sizeof name, b ? "s.log.%d" : "s.log", b);
        size_t len;
        char *text = th_slurp(th_path(t, name), &len);
        if (!text)
            continue;
        files++;
        ck_assert_msg(b < BACKUPS, "more files than backups: the oldest was kept");
        ck_assert_msg(len <= MAXB, "%s is %zu bytes, over %d", name, len, MAXB);
        ck_assert_msg(len > 0 && text[len - 1] == '\n', "%s does not end a record", name);
        char *p = text, *end = text + len;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            *nl = '\0';
            char want[64];
            snprintf(want, sizeof want, "\"message\": \"R %09ld\"}", next);
            size_t ll = (size_t)(nl - p), wl = strlen(want);
            ck_assert_msg(!strncmp(p, "{\"time\": \"", 10) && ll > wl && !strcmp(p + ll - wl, want),
                          "%s: want record %ld, got %s", name, next, p);
            next++;
            p = nl + 1;
        }
        free(text);
    }
    ck_assert_int_eq(next, LINES + 1);
    ck_assert_int_gt(files, 10);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* ---- syslog ---- */

/* A datagram socket at PATH, bound by the test, non-blocking. */
static int bind_dgram(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    ck_assert_uint_lt(strlen(path), sizeof sa.sun_path);
    strcpy(sa.sun_path, path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Receive datagrams until one contains NEEDLE or the deadline: all that
 * came, joined with '\n', in BUF. 0 when found. */
static int recv_until(int fd, char *buf, size_t len, const char *needle, int timeout_ms)
{
    size_t n = 0;
    buf[0] = '\0';
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (strstr(buf, needle))
            return 0;
        uint64_t now = th_now_ms();
        if (now >= deadline)
            return -1;
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, (int)(deadline - now)) <= 0)
            continue;
        char dg[9000];
        ssize_t r = recv(fd, dg, sizeof dg - 1, 0);
        if (r <= 0)
            continue;
        if (n + (size_t)r + 2 < len) {
            memcpy(buf + n, dg, (size_t)r);
            n += (size_t)r;
            buf[n++] = '\n';
            buf[n] = '\0';
        }
    }
}

START_TEST(test_syslog_datagrams)
{
    struct th *t = th_new(NULL, "%s", "");
    int fd = bind_dgram(th_path(t, "log.sock"));
    ck_assert_int_eq(th_config(t, NULL,
        "syslog_socket = log.sock\n"
        "[program:web]\ncommand = sh -c 'echo hello; echo oops >&2; printf \"no-nl\"'\n"
        "stdout_syslog = true\nstderr_syslog = true\nstdout_logfile = @DIR@/web.log\n"
        "stderr_logfile = NONE\nstartsecs = 0\nautorestart = false\n"
        "[group:g]\nprograms = quiet\n"
        "[program:quiet]\ncommand = echo only-syslog\nstdout_logfile = NONE\nstdout_syslog = true\n"
        "startsecs = 0\nautorestart = false\n"
        "[program:plain]\ncommand = echo not-to-syslog\nstdout_logfile = @DIR@/plain.log\n"
        "startsecs = 0\nautorestart = false\n"), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    static char got[1 << 16];
    ck_assert_int_eq(recv_until(fd, got, sizeof got, "only-syslog", WAIT), 0);
    /* the programs run side by side: "no-nl" may have come first */
    if (!strstr(got, "no-nl"))
        ck_assert_int_eq(recv_until(fd, got + strlen(got), sizeof got - strlen(got), "no-nl", WAIT),
                         0);
    wait_exited(t, "web");
    wait_exited(t, "g:quiet");
    wait_exited(t, "plain");
    /* more may still come: read what is there */
    recv_until(fd, got + strlen(got), sizeof got - strlen(got), "\x01", 300);
    /* "<14>Mmm dd hh:mm:ss TAG: line": facility user, priority info, as supervisord */
    const char *h = strstr(got, " web: hello\n");
    ck_assert_msg(h != NULL, "got: %s", got);
    const char *start = h;
    while (start > got && start[-1] != '\n')
        start--;
    ck_assert_msg(!strncmp(start, "<14>", 4) && h - start == 19, "datagram: %.40s", start);
    ck_assert_ptr_nonnull(strstr(got, " web: oops\n"));
    ck_assert_ptr_nonnull(strstr(got, " web: no-nl\n"));
    ck_assert_ptr_nonnull(strstr(got, " quiet: only-syslog\n"));   /* the name, not g:quiet */
    ck_assert_ptr_null(strstr(got, "not-to-syslog"));
    ck_assert_int_eq(th_count_in_file(th_path(t, "web.log"), "hello\n"), 1);  /* the file too */
    ck_assert_int_eq(th_wait_file(th_path(t, "plain.log"), "not-to-syslog\n", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    close(fd);
    th_free(t);
}
END_TEST

/* No syslog listening, then one that never reads: capture goes on, every
 * line reaches the file, the loss is logged, tend answers. */
START_TEST(test_syslog_missing_and_full)
{
    struct th *t = th_new(NULL, "%s", "");
    ck_assert_int_eq(th_config(t, NULL,
        "syslog_socket = @DIR@/nobody.sock\n"
        "[program:a]\ncommand = %s -n 20000 -t A -1\nstdout_syslog = true\n"
        "stdout_logfile = @DIR@/a.log\nstdout_logfile_maxbytes = 0\nstartsecs = 0\nautorestart = false\n",
        spam()), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    wait_exited(t, "a");
    ck_assert_int_eq(th_wait_file(th_path(t, "a.log"), "A 000020000\n", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(th_path(t, "a.log"), "\n"), 20000);
    ck_assert_int_eq(th_wait_file(t->errlog, "lines for it are dropped", WAIT), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);

    /* bound but never read: the socket's queue fills */
    int fd = bind_dgram(th_path(t, "full.sock"));
    ck_assert_int_eq(th_config(t, NULL,
        "syslog_socket = @DIR@/full.sock\n"
        "[program:b]\ncommand = %s -n 20000 -t B -1\nstdout_syslog = true\n"
        "stdout_logfile = @DIR@/b.log\nstdout_logfile_maxbytes = 0\nstartsecs = 0\nautorestart = false\n",
        spam()), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    wait_exited(t, "b");
    ck_assert_int_eq(th_wait_file(th_path(t, "b.log"), "B 000020000\n", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(th_path(t, "b.log"), "\n"), 20000);
    ck_assert_int_eq(th_wait_file(t->errlog, "full.sock: Resource temporarily unavailable", WAIT), 0);
    char out[4096];
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status b"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    close(fd);
    th_free(t);
}
END_TEST

/* ---- tend's own log ---- */

START_TEST(test_own_log_rotation_json)
{
    struct th *t = th_start(
        "logfile = @DIR@/tend.log\nlogfile_maxbytes = 2KB\nlogfile_backups = 2\nlogformat = json\n"
        "[program:crash]\ncommand = false\nstartsecs = 0\nautorestart = true\n"
        "[program:x]\ncommand = sleep 100\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(t, "x", "RUNNING", WAIT), 0);
    /* requests log lines; enough of them rotate twice and more */
    char out[4096];
    for (int i = 0; i < 40; i++)
        th_ctl(t, out, sizeof out, "restart x");
    ck_assert_int_eq(th_wait_file(th_path(t, "tend.log.2"), NULL, WAIT), 0);
    struct stat st;
    ck_assert_int_ne(stat(th_path(t, "tend.log.3"), &st), 0);
    const char *files[] = { "tend.log", "tend.log.1", "tend.log.2" };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(stat(th_path(t, files[i]), &st), 0);
        ck_assert_int_le(st.st_size, 2048);
        char *text = th_slurp(th_path(t, files[i]), NULL);
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            ck_assert_msg(!strncmp(l, "{\"time\": \"", 10) && stamp_at(l + 10, "rfc3339ms") == 24,
                          "%s: %s", files[i], l);
            ck_assert_msg(strstr(l, "\", \"name\": \"tend\", \"pid\": ") && strstr(l, "\"level\": \"") &&
                          !strcmp(l + strlen(l) - 2, "\"}"), "%s: %s", files[i], l);
        }
        free(text);
    }
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

/* ---- configuration ---- */

static int check_conf(struct th *t, const char *args, char *out, size_t outlen)
{
    const char *line = th_fmt("exec %s %s -c %s 2>&1", th_q(th_tend_bin()), args, th_q(t->conf));
    const char *argv[] = { "/bin/sh", "-c", line, NULL };
    return th_run(argv, out, outlen, WAIT);
}

START_TEST(test_check_errors_and_dump)
{
    static const struct th_opts o = { .no_rundir = true };
    struct th *t = th_new(&o, "%s", "");
    static char out[1 << 16];
    struct { const char *conf, *msg; } bad[] = {
        { "[supervisor]\nlog_timestamp = iso\n", "tend.ini:2: error: log_timestamp: invalid value 'iso'" },
        { "[supervisor]\nlog_format = xml\n", "tend.ini:2: error: log_format: invalid value 'xml'" },
        { "[supervisor]\nlogformat = yaml\n", "tend.ini:2: error: logformat: invalid value 'yaml'" },
        { "[supervisor]\nlogfile_maxbytes = lots\n", "tend.ini:2: error: logfile_maxbytes: invalid" },
        { "[supervisor]\nlogfile_backups = -1\n", "tend.ini:2: error: logfile_backups: invalid" },
        { "[supervisor]\nsyslog_socket =\n", "tend.ini:2: error: syslog_socket: invalid" },
        { "[program:a]\ncommand = true\nlog_timestamp = 1\n", "tend.ini:3: error: log_timestamp: invalid" },
        { "[program:a]\ncommand = true\n\nlog_format = JSONL\n", "tend.ini:4: error: log_format: invalid" },
        { "[program:a]\ncommand = true\nstdout_syslog = maybe\n", "tend.ini:3: error: stdout_syslog: invalid" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(th_write_file(t->conf, false, "%s", bad[i].conf), 0);
        ck_assert_int_eq(check_conf(t, "--check", out, sizeof out), 2);
        ck_assert_msg(strstr(out, bad[i].msg) != NULL, "want '%s' in: %s", bad[i].msg, out);
    }
    ck_assert_int_eq(th_write_file(t->conf, false,
        "[supervisor]\nrundir = %s/run\nlog_timestamp = unix\nlog_format = json\n"
        "syslog_socket = s.sock\nlogfile_maxbytes = 1MB\nlogfile_backups = 3\nlogformat = json\n"
        "[program:a]\ncommand = true\nstderr_syslog = yes\n"
        "[program:b]\ncommand = true\nlog_timestamp = iso8601\nlog_format = text\n", t->dir), 0);
    ck_assert_int_eq(check_conf(t, "--check -v", out, sizeof out), 0);
    const char *want[] = {
        "log_timestamp = unix\nlog_format = json\n", th_fmt("syslog_socket = %s/s.sock\n", t->dir),
        "logfile_maxbytes = 1048576\nlogfile_backups = 3\nlogformat = json\n",
        th_fmt("stderr_syslog = true (%s/s.sock)\n", t->dir), "stdout_syslog = false\n",
        "log_timestamp = iso8601\nlog_format = text\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(out, want[i]) != NULL, "want '%s' in: %s", want[i], out);
    /* supervisord's keys are no longer "not supported" */
    ck_assert_ptr_null(strstr(out, "not supported"));
    th_free(t);
}
END_TEST

/* reload: a changed log key restarts that program only */
START_TEST(test_reload_restarts_touched)
{
    const char *body =
        "[program:a]\ncommand = sleep 100\nstartsecs = 0\nstdout_logfile = @DIR@/a.log\n%s"
        "[program:b]\ncommand = sleep 100\nstartsecs = 0\nstdout_logfile = @DIR@/b.log\n";
    struct th *t = th_start(body, "");
    ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "b", "RUNNING", WAIT), 0);
    pid_t a1, b1, a2, b2;
    th_status(t, "a", NULL, 0, &a1, NULL, 0, NULL);
    th_status(t, "b", NULL, 0, &b1, NULL, 0, NULL);
    const char *changes[] = { "log_timestamp = iso8601\n", "log_format = json\n",
                              "stdout_syslog = true\n" };
    char out[4096];
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(th_config(t, NULL, body, changes[i]), 0);
        ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
        uint64_t deadline = th_now_ms() + WAIT;
        do {
            th_status(t, "a", NULL, 0, &a2, NULL, 0, NULL);
        } while ((a2 == a1 || a2 == 0) && th_now_ms() < deadline && (th_nap(20), 1));
        ck_assert_int_ne(a2, a1);
        ck_assert_int_eq(th_wait_state(t, "a", "RUNNING", WAIT), 0);
        th_status(t, "a", NULL, 0, &a1, NULL, 0, NULL);
        th_status(t, "b", NULL, 0, &b2, NULL, 0, NULL);
        ck_assert_int_eq(b1, b2);
    }
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static Suite *logformats_suite(void)
{
    Suite *s = suite_create("logformats");
    TCase *tc = tcase_create("formats");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_timestamps_files);
    tcase_add_test(tc, test_std_targets);
    tcase_add_test(tc, test_json_file_and_tail);
    tcase_add_test(tc, test_long_line_cut);
    tcase_add_test(tc, test_json_100k_lines);
    tcase_add_test(tc, test_json_rotated);
    suite_add_tcase(s, tc);
    tc = tcase_create("syslog");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_syslog_datagrams);
    tcase_add_test(tc, test_syslog_missing_and_full);
    suite_add_tcase(s, tc);
    tc = tcase_create("tend");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_own_log_rotation_json);
    tcase_add_test(tc, test_check_errors_and_dump);
    tcase_add_test(tc, test_reload_restarts_touched);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(logformats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
