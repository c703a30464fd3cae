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
#include "loop.h"

#define QUEUE_SIZE (64 * 1024)
#define LINE_SIZE 2048
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
} lg = { .level = LOG_INFO, .fd = -1 };

static char queue[QUEUE_SIZE];

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void log_set_level(int level) { lg.level = level; }

/* "2026-11-27 10:00:00 tend[42]: LEVEL message\n" into BUF; its length. */
static size_t format_line(char *buf, size_t len, int level, const char *fmt, va_list ap)
{
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
    char buf[256];
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

/* Queue one formatted line and write what the destination takes now. */
static void emit(const char *line, size_t n)
{
    if (lg.fd < 0)
        use_stderr();
    q_flush();
    if (!q_notice(n) || !q_room(n)) {
        lg.dropped++;
    } else {
        q_put(line, n);
        q_flush();
    }
    arm();
}

static void log_vmsg(int level, const char *fmt, va_list ap)
{
    int saved = errno;
    char buf[LINE_SIZE];
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
