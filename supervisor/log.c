/* log.c - tend's own messages, queued rather than ever blocking (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "logfmt.h"
#include "loop.h"

#define QUEUE_SIZE (64 * 1024)
#define LINE_SIZE 2048                                  /* a message, cut there */
#define LINE_BUF (LOGFMT_JSON_MAX(LINE_SIZE) + 256)     /* one line as written */
#define LAST_FLUSH_MS 500   /* at exit and in log_fatal */

enum how {
    HOW_WRITE,   /* write() cannot block: a regular file, or our own O_NONBLOCK description */
    HOW_SEND,    /* a socket: send(MSG_DONTWAIT) */
    HOW_POLL,    /* tend's shared blocking stderr (no /proc): poll, then <= PIPE_BUF */
};

static struct {
    int level;
    int fd;              /* -1 until the first message */
    bool own_fd;         /* ours to close (else it is fd 2 itself) */
    enum how how;
    char *path;          /* [supervisor] logfile, NULL for stderr */
    size_t qoff, qlen;   /* queued bytes: queue[qoff..qlen) */
    unsigned long long dropped;   /* lines lost since the last notice */
    struct loop *loop;
    struct watch w;      /* EPOLLOUT while bytes are queued */
    bool unpollable;     /* epoll refused the fd (a regular file never waits) */
    bool exit_hook;
    bool json;           /* logformat = json */
    uint64_t maxbytes;   /* rotate the logfile at this size; 0: never */
    int backups;
    bool rotatable;      /* the logfile is a regular file */
    uint64_t size;       /* its size as we wrote it */
    char rotate_err[600];   /* why the last rotation failed, to be logged */
} lg = { .level = LOG_INFO, .fd = -1, .maxbytes = 50ULL * 1024 * 1024, .backups = 10 };

static char queue[QUEUE_SIZE];

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
static const char *const json_levels[] = { "error", "warn", "info", "debug" };

void log_set_level(int level) { lg.level = level; }

void log_configure(uint64_t maxbytes, int backups, bool json)
{
    lg.maxbytes = maxbytes;
    lg.backups = backups < 0 ? 0 : backups;
    lg.json = json;
}

/* {"time": "...", "name": "tend", "pid": 42, "level": "info", "message": "..."} */
static size_t format_json(char *buf, size_t len, int level, const char *fmt, va_list ap)
{
    char msg[LINE_SIZE];
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    size_t ml = m < 0 ? 0 : (size_t)m >= sizeof msg ? sizeof msg - 1 : (size_t)m;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        ts = (struct timespec){ 0, 0 };
    struct logfmt_clock c;
    logfmt_clock_init(&c, LOGFMT_STAMP_RFC3339MS);
    logfmt_clock_set(&c, &ts);
    /* LINE_BUF holds any message escaped; a smaller BUF gets a shorter one */
    size_t room = len > 160 ? (len - 160) / 6 : 0;
    if (ml > room)
        ml = room;
    int n = snprintf(buf, len, "{\"time\": \"%s\", \"name\": \"tend\", \"pid\": %d, "
                     "\"level\": \"%s\", \"message\": \"", c.text, (int)getpid(),
                     json_levels[level < 0 ? 0 : level > 3 ? 3 : level]);
    size_t o = n > 0 && (size_t)n < len ? (size_t)n : 0;
    o += logfmt_json_escape(buf + o, msg, ml);
    memcpy(buf + o, "\"}\n", 3);
    return o + 3;
}

/* "2026-11-27 10:00:00 tend[42]: LEVEL message\n" into BUF; its length. */
static size_t format_line(char *buf, size_t len, int level, const char *fmt, va_list ap)
{
    if (lg.json)
        return format_json(buf, len, level, fmt, ap);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    int m = snprintf(buf + n, len - n, " tend[%d]: %s ", (int)getpid(),
                     level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    n += m > 0 ? (size_t)m : 0;
    if (n > len - 2)
        n = len - 2;
    m = vsnprintf(buf + n, len - n - 1, fmt, ap);
    n += m > 0 ? (size_t)m : 0;
    if (n > len - 2)
        n = len - 2;
    buf[n++] = '\n';
    return n;
}

static size_t format_linef(char *buf, size_t len, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t format_linef(char *buf, size_t len, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(buf, len, level, fmt, ap);
    va_end(ap);
    return n;
}

/* One non-blocking write attempt; -1 with EAGAIN when it would block. */
static ssize_t dest_write(const char *p, size_t n)
{
    if (lg.how == HOW_SEND)
        return send(lg.fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (lg.how == HOW_POLL) {
        struct pollfd pf = { .fd = lg.fd, .events = POLLOUT };
        int r = poll(&pf, 1, 0);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r <= 0) {
            errno = EAGAIN;
            return -1;
        }
        /* room for one more PIPE_BUF write, unless someone else fills it */
        if (n > PIPE_BUF)
            n = PIPE_BUF;
    }
    return write(lg.fd, p, n);
}

static unsigned long long count_lines(const char *p, size_t n)
{
    unsigned long long c = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        c++;
    return c;
}

/* Write queued bytes until done or the destination would block. */
static void q_flush(void)
{
    while (lg.qoff < lg.qlen) {
        ssize_t w = dest_write(queue + lg.qoff, lg.qlen - lg.qoff);
        if (w > 0) {
            lg.qoff += (size_t)w;
            lg.size += (uint64_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* EPIPE, ENOSPC, EIO: nowhere to complain to; the queue is lost */
        lg.dropped += count_lines(queue + lg.qoff, lg.qlen - lg.qoff);
        lg.qoff = lg.qlen;
    }
    if (lg.qoff == lg.qlen)
        lg.qoff = lg.qlen = 0;
}

/* Room for N more bytes at the end of the queue (compacting it)? */
static bool q_room(size_t n)
{
    if (QUEUE_SIZE - lg.qlen >= n)
        return true;
    if (lg.qoff) {
        memmove(queue, queue + lg.qoff, lg.qlen - lg.qoff);
        lg.qlen -= lg.qoff;
        lg.qoff = 0;
    }
    return QUEUE_SIZE - lg.qlen >= n;
}

static void q_put(const char *p, size_t n)
{
    memcpy(queue + lg.qlen, p, n);
    lg.qlen += n;
}

/* Queue the "N log lines dropped" notice when there is room for it and
 * EXTRA more bytes. True when nothing is left to report. */
static bool q_notice(size_t extra)
{
    if (!lg.dropped)
        return true;
    char buf[1024];
    size_t n = format_linef(buf, sizeof buf, LOG_WARN,
                            "%llu log line%s dropped (log destination not keeping up)",
                            lg.dropped, lg.dropped == 1 ? "" : "s");
    if (!q_room(n + extra))
        return false;
    q_put(buf, n);
    lg.dropped = 0;
    return true;
}

static void on_writable(struct loop *l, struct watch *w, uint32_t events);

/* EPOLLOUT is wanted while bytes are queued. */
static void arm(void)
{
    bool want = lg.qlen > lg.qoff;
    if (want && lg.loop && !lg.w.active && !lg.unpollable) {
        if (watch_add(lg.loop, &lg.w, lg.fd, EPOLLOUT, on_writable, NULL) < 0)
            lg.unpollable = true;   /* retried at the next message */
    } else if (!want && lg.w.active) {
        watch_del(lg.loop, &lg.w);
    }
}

static void on_writable(struct loop *l, struct watch *w, uint32_t events)
{
    q_flush();
    if (lg.dropped && q_notice(0))
        q_flush();
    arm();
}

/* Flush for at most MS, waiting for the destination: at exit only. */
static void flush_bounded(int ms)
{
    if (lg.fd < 0)
        return;
    uint64_t deadline = loop_now() + (uint64_t)ms;
    bool noticed = false;
    for (;;) {
        q_flush();
        if (lg.dropped && !noticed && q_notice(0)) {
            noticed = true;   /* once: a dead destination would drop it again */
            continue;
        }
        uint64_t now = loop_now();
        if (lg.qlen == lg.qoff || now >= deadline)
            return;
        struct pollfd pf = { .fd = lg.fd, .events = POLLOUT };
        if (poll(&pf, 1, (int)(deadline - now)) < 0 && errno != EINTR)
            return;
    }
}

static void at_exit(void)
{
    int saved = errno;
    flush_bounded(LAST_FLUSH_MS);
    errno = saved;
}

/* Write to FD from now on; queued lines go there too. */
static void set_dest(int fd, bool own, enum how how)
{
    if (lg.loop && lg.w.active)
        watch_del(lg.loop, &lg.w);   /* before its fd goes */
    if (lg.own_fd)
        close(lg.fd);
    lg.fd = fd;
    lg.own_fd = own;
    lg.how = how;
    lg.unpollable = false;
    if (!lg.exit_hook)
        lg.exit_hook = atexit(at_exit) == 0;
    q_flush();
    if (lg.dropped && q_notice(0))   /* the loss is told where there is room */
        q_flush();
    arm();
}

/* tend's stderr, without touching its shared file description. */
static void use_stderr(void)
{
    struct stat st;
    if (fstat(2, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        set_dest(2, false, HOW_WRITE);
        return;
    }
    if (fstat(2, &st) == 0 && S_ISSOCK(st.st_mode)) {
        set_dest(2, false, HOW_SEND);
        return;
    }
    /* A pipe, FIFO or tty: a private description can be non-blocking. */
    int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0)
        set_dest(fd, true, HOW_WRITE);
    else
        set_dest(2, false, HOW_POLL);
}

int log_open(const char *path)
{
    if (!path) {
        free(lg.path);
        lg.path = NULL;
        use_stderr();
        return 0;
    }
    char why[512] = "";
    /* O_NONBLOCK: a FIFO without a reader fails now (ENXIO) rather than
     * waiting for one, and one with a reader is written without blocking. */
    int fd = fs_open_log(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK, 0644, false, why,
                         sizeof why);
    if (fd < 0) {
        int e = errno;
        if (strcmp(why, strerror(e)) != 0)   /* more to say than errno's text */
            log_error("logfile %s: %s", path, why);
        errno = e;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    lg.rotatable = S_ISREG(st.st_mode);
    lg.size = lg.rotatable ? (uint64_t)st.st_size : 0;
    if (path != lg.path) {
        char *copy = strdup(path);
        if (!copy) {
            close(fd);
            errno = ENOMEM;
            return -1;
        }
        free(lg.path);
        lg.path = copy;
    }
    set_dest(fd, true, HOW_WRITE);
    return 0;
}

void log_reopen(void)
{
    if (lg.path && log_open(lg.path) < 0)
        log_error("cannot reopen %s: %s", lg.path, strerror(errno));
}

int log_clear(void)
{
    if (!lg.path || lg.fd < 0) {
        errno = ENOENT;
        return -1;
    }
    if (ftruncate(lg.fd, 0) < 0)
        return -1;
    lg.size = 0;
    return 0;
}

void log_attach(struct loop *l)
{
    if (lg.loop && lg.w.active)
        watch_del(lg.loop, &lg.w);
    lg.loop = l;
    lg.unpollable = false;
    if (l && lg.fd >= 0) {
        q_flush();
        arm();
    }
}

/* logfile -> logfile.1 -> ... -> logfile.N, then a fresh logfile (0
 * backups: truncated), as supervisord and capture.c rotate. Renames are
 * relative to the folder opened safely. A failure is kept in rotate_err
 * (logging it from here would recurse) and the old file is kept. */
static void rotate(void)
{
    char why[512] = "";
    const char *base;
    int dir = fs_open_parent(lg.path, false, &base, why, sizeof why);
    if (dir < 0) {
        snprintf(lg.rotate_err, sizeof lg.rotate_err, "cannot rotate %s: %s", lg.path, why);
        lg.size = 0;   /* try again after another maxbytes */
        return;
    }
    for (int i = lg.backups - 1; i >= 0; i--) {
        char a[NAME_MAX + 16], b[NAME_MAX + 16];
        snprintf(a, sizeof a, i ? "%s.%d" : "%s", base, i);
        snprintf(b, sizeof b, "%s.%d", base, i + 1);
        if (renameat(dir, a, dir, b) < 0 && errno != ENOENT && !lg.rotate_err[0])
            snprintf(lg.rotate_err, sizeof lg.rotate_err, "cannot rename %s to %s: %s", a, b,
                     strerror(errno));
    }
    close(dir);
    int fd = fs_open_log(lg.path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_TRUNC, 0644,
                         false, why, sizeof why);
    if (fd < 0) {
        snprintf(lg.rotate_err, sizeof lg.rotate_err, "cannot reopen %s after rotation: %s",
                 lg.path, why);
        lg.size = 0;
        return;
    }
    set_dest(fd, true, HOW_WRITE);
    lg.size = 0;
}

/* Queue one formatted line and write what the destination takes now. */
static void emit(const char *line, size_t n)
{
    if (lg.fd < 0)
        use_stderr();
    q_flush();
    /* rotate between whole lines, once what was queued is written */
    if (lg.path && lg.rotatable && lg.maxbytes && lg.size > 0 && lg.size + n > lg.maxbytes &&
        lg.qoff == lg.qlen)
        rotate();
    if (!q_notice(n) || !q_room(n)) {
        lg.dropped++;
    } else {
        q_put(line, n);
        q_flush();
    }
    if (lg.rotate_err[0]) {
        char buf[1024];
        size_t m = format_linef(buf, sizeof buf, LOG_ERROR, "%s", lg.rotate_err);
        lg.rotate_err[0] = '\0';
        if (q_room(m))
            q_put(buf, m);
        q_flush();
    }
    arm();
}

static void log_vmsg(int level, const char *fmt, va_list ap)
{
    int saved = errno;
    char buf[LINE_BUF];
    size_t n = format_line(buf, sizeof buf, level, fmt, ap);
    emit(buf, n);
    errno = saved;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > lg.level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_ERROR, fmt, ap);
    va_end(ap);
    flush_bounded(LAST_FLUSH_MS);
    exit(1);
}
