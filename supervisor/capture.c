/* capture.c - output pipes, log files, rotation, back-pressure (see capture.h).
 *
 * Data path of one stream, by mode:
 *  - raw (file sink, no prefix): splice(2) pipe -> file with an explicit
 *    offset (O_APPEND files refuse splice, so a second description without
 *    O_APPEND is used, its offset resynced with fstat every round), else
 *    read into a shared 1 MiB scratch and write. Files never return EAGAIN,
 *    so a raw stream needs no buffer of its own.
 *  - whole lines (prefix, or a shared/non-file sink): read into the
 *    stream's buffer, move complete lines (prefixed) into the sink's output
 *    buffer (a file sink: the scratch, written at once), write it. When the
 *    output buffer cannot take the next line, the stream queues on the sink
 *    (FIFO) and stops being read once its own buffer is full.
 *  - formatted (log_timestamp, log_format = json, *_syslog): whole lines
 *    as above, framed by logfmt_next (cut at LINE_CUT with a marker) and
 *    written as records by logfmt_record straight into the sink's room
 *    (reserved for the worst case, the rest given back); each line also
 *    goes to syslog when asked. Into a file (or syslog only), such a stream
 *    reads a MiB at a time through a shared bulk buffer (bulk_read). The
 *    plain paths above never look at any of this: a stream without these
 *    keys costs what it did before.
 *  - batches of lines for a regular file are written behind (see wb).
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "logfmt.h"

#define STREAM_BUF CAPTURE_LINE_MAX
#define PREFIX_MAX 200                    /* name bytes kept in "NAME | " */
#define SINK_BUF (2 * STREAM_BUF)         /* >= one longest line + prefix */
#define SCRATCH (1024 * 1024)             /* raw reads, file-line batches */
#define SPLICE_CHUNK (1024 * 1024)
#define BULK_BUF (1024 * 1024)            /* one read of a formatted stream into a file */
#define RAW_PIPE_SIZE (1024 * 1024)       /* fewer wake-ups per MiB */
#define ROUND_BUDGET (4 * 1024 * 1024)    /* bytes per stream per loop round */
#define LINE_CUT (STREAM_BUF - 2)         /* a full stream buffer always yields a record */
#define FMT_SINK_BUF (LOGFMT_JSON_MAX(STREAM_BUF) + 2 * LOGFMT_HEAD_MAX)  /* worst record */
#define SYSLOG_RETRY_MS 1000              /* reconnect to a missing syslog at most this often */

_Static_assert((int)LOGFMT_STAMP_UNIX == (int)LOG_STAMP_UNIX &&
               (int)LOGFMT_STAMP_ISO8601 == (int)LOG_STAMP_ISO8601 &&
               (int)LOGFMT_STAMP_RFC3339MS == (int)LOG_STAMP_RFC3339MS,
               "conf's log_timestamp values are logfmt's");

enum sink_kind {
    SINK_FILE,     /* a regular file: appended, rotated, never EAGAIN */
    SINK_STREAM,   /* tend's stdout/stderr, a FIFO, a tty: may say EAGAIN */
    SINK_NULL,     /* NONE with *_syslog: lines go to syslog only */
};

/* A syslog socket (by path), shared by the streams sending there. */
struct slog {
    struct slog *next;
    char *path;
    int fd;                   /* -1: not connected */
    uint64_t retry_at;        /* loop_now() of the next connect attempt */
    bool failing;             /* a loss was logged; log again when it works */
    uint64_t lost;            /* lines dropped since it started failing */
    time_t tm_sec;            /* local time of the stamps, per second */
    struct tm tm;
};

struct sink {
    struct sink *next;
    enum sink_kind kind;
    unsigned refs;
    int fd;                   /* -1: not open (retried on the next write) */
    bool failing;             /* an error was logged; log again when it works */
    uint64_t lost;            /* bytes dropped since it started failing */
    char *name;               /* for messages: the path, or "tend's stdout" */
    char *path;               /* NULL for tend's stdout/stderr */
    bool is_auto;
    /* files */
    int splice_fd;            /* same file without O_APPEND; -1 if not open */
    bool no_splice;
    bool regular;             /* a regular file: written behind (see wb) */
    uint64_t size, maxbytes;
    int backups;
    /* streams */
    int which;                /* 1 or 2 for tend's own, else 0 */
    bool is_sock;
    dev_t dev;                /* tend's own: what fd WHICH was at open */
    ino_t ino;
    char *obuf;
    size_t ooff, olen, ocap;
    struct watch w;           /* EPOLLOUT while blocked or streams queue */
    bool unpollable;
    struct capture *waiters, **waiters_tail;
};

struct capture {
    struct capture *next, *prev;  /* every live stream */
    struct capture *wnext;        /* the sink's queue */
    struct sink *sink;
    int fd;                       /* pipe read end; -1 after EOF */
    struct watch w;
    bool whole_lines, released, eof, paused, waiting, closing;
    char *prefix;
    size_t prefix_len;
    char *buf;                    /* STREAM_BUF, whole-line mode only */
    size_t len;
    struct logfmt *fmt;           /* formatted stream, else NULL */
    struct slog *slog;            /* syslog destination, else NULL */
    char *tag;                    /* syslog tag: the process name */
    size_t (*tap)(void *, char *, size_t, size_t);  /* capture_tap, else NULL */
    void *tap_arg;
    void (*tap_free)(void *);
};

static struct {
    struct loop *loop;
    struct sink *sinks;
    struct sink *std[3];
    struct capture *streams;
    char *scratch;
    char *bulk;                   /* STREAM_BUF + BULK_BUF: formatted reads, lazily */
    size_t scratch_len;           /* formatted lines pending for scratch_sink */
    struct sink *scratch_sink;
    uint64_t written, dropped;
    uint64_t syslog_sent, syslog_dropped;
    struct slog *slogs;
    char why[512];                /* why the last file_open failed */
} cs;

static void stream_push(struct capture *s);
static void stream_free(struct capture *s);
static void stream_on_readable(struct loop *l, struct watch *w, uint32_t events);
static void sink_arm(struct sink *k);

/* ---- small helpers ---- */

/* An allocation failed at run time: the request that needed it fails
 * (errno ENOMEM, cs.why says so) and tend carries on. Returns NULL. */
static void *no_memory(void)
{
    snprintf(cs.why, sizeof cs.why, "out of memory");
    errno = ENOMEM;
    return NULL;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* A write failed: log once per sink until it works again; count the loss. */
static void sink_failed(struct sink *k, const char *what, const char *reason, size_t lost)
{
    if (!k->failing) {
        log_error("log %s: %s: %s; output is dropped until writing works again", k->name,
                  what, reason);
        k->failing = true;
        k->lost = 0;
    }
    k->lost += lost;
    cs.dropped += lost;
}

static void sink_ok(struct sink *k)
{
    if (k->failing) {
        k->failing = false;
        log_info("log %s: writing works again (%llu bytes were dropped)", k->name,
                 (unsigned long long)k->lost);
    }
}

/* ---- write-behind ----
 *
 * A batch of lines for a regular file (the scratch) is handed to one
 * writer thread and the loop goes on reading and formatting into a second
 * buffer meanwhile: on a fast disk or tmpfs, the copy into the page cache is
 * most of a formatted stream's cost, and this way it overlaps the
 * formatting. At most one batch is in flight; every other write to a file,
 * and every close, rotation or free of a file sink, first waits for it, so
 * order and the rotation arithmetic stay those of a single thread. The
 * writer only calls write(2) (no allocation, no logging: a fork in the
 * loop thread is safe); the loop learns of its result through an eventfd,
 * so an error is logged at once. Without a thread (pthread_create failed)
 * every batch is written in the loop, as before. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool started, failed, quit;
    bool busy;                    /* a batch was posted and not yet reaped */
    bool done;                    /* the writer finished it */
    struct sink *k;
    int fd;
    const char *buf;
    size_t len, wrote;
    int err;
    char *spare;                  /* the other scratch buffer */
    int efd;
    struct watch w;
} wb = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .efd = -1 };

static void *wb_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wb.mu);
    for (;;) {
        while (!wb.quit && !(wb.busy && !wb.done))
            pthread_cond_wait(&wb.cv, &wb.mu);
        if (!(wb.busy && !wb.done))
            break;   /* quit, nothing pending */
        int fd = wb.fd;
        const char *p = wb.buf;
        size_t n = wb.len, off = 0;
        int err = 0;
        pthread_mutex_unlock(&wb.mu);
        while (off < n) {
            ssize_t w = write(fd, p + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = w < 0 ? errno : EIO;
                break;
            }
            off += (size_t)w;
        }
        pthread_mutex_lock(&wb.mu);
        wb.wrote = off;
        wb.err = err;
        wb.done = true;
        pthread_cond_broadcast(&wb.cv);
        uint64_t one = 1;
        while (write(wb.efd, &one, sizeof one) < 0 && errno == EINTR)
            ;
    }
    pthread_mutex_unlock(&wb.mu);
    return NULL;
}

/* Account for the finished batch (wb.mu held, wb.done). */
static void wb_reap_locked(void)
{
    struct sink *k = wb.k;
    size_t lost = wb.len - wb.wrote;
    int err = wb.err;
    wb.busy = wb.done = false;
    wb.k = NULL;
    cs.written += wb.wrote;
    if (err || lost) {
        k->size -= lost;
        sink_failed(k, "write failed", strerror(err ? err : EIO), lost);
    } else
        sink_ok(k);
}

/* Wait for the batch in flight, if any, and account for it. */
static void wb_wait(void)
{
    if (!wb.started)
        return;
    pthread_mutex_lock(&wb.mu);
    if (wb.busy) {
        while (!wb.done)
            pthread_cond_wait(&wb.cv, &wb.mu);
        wb_reap_locked();
    }
    pthread_mutex_unlock(&wb.mu);
}

static void wb_on_done(struct loop *l, struct watch *w, uint32_t events)
{
    (void)l, (void)w, (void)events;
    uint64_t v;
    while (read(wb.efd, &v, sizeof v) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&wb.mu);
    if (wb.busy && wb.done)
        wb_reap_locked();
    pthread_mutex_unlock(&wb.mu);
}

/* Start the writer on first use. False when there is none (write inline). */
static bool wb_start(void)
{
    if (wb.started)
        return true;
    if (wb.failed || !cs.loop)
        return false;
    wb.failed = true;   /* until all of it worked */
    if (!(wb.spare = malloc(SCRATCH)))
        return false;
    if ((wb.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        log_warn("log files are written in the loop: eventfd: %s", strerror(errno));
        return false;
    }
    if (watch_add(cs.loop, &wb.w, wb.efd, EPOLLIN, wb_on_done, NULL) < 0) {
        close_fd(&wb.efd);
        return false;
    }
    /* every signal blocked in the writer: they are the loop's (signalfd) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&wb.thread, NULL, wb_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e) {
        log_warn("log files are written in the loop: no writer thread: %s", strerror(e));
        watch_del(cs.loop, &wb.w);
        close_fd(&wb.efd);
        return false;
    }
    wb.started = true;
    wb.failed = false;
    return true;
}

/* Hand the scratch's N bytes for K to the writer and take the spare buffer
 * as the scratch. False when K is not a regular file that stays below its
 * rotation size, or there is no writer: the caller writes them itself. */
static bool wb_post(struct sink *k, size_t n)
{
    if (k->fd < 0 || !k->regular || (k->maxbytes && k->size + n >= k->maxbytes) ||
        !wb_start())
        return false;
    pthread_mutex_lock(&wb.mu);
    if (wb.busy) {
        while (!wb.done)
            pthread_cond_wait(&wb.cv, &wb.mu);
        wb_reap_locked();
    }
    wb.k = k;
    wb.fd = k->fd;
    wb.buf = cs.scratch;
    wb.len = n;
    wb.busy = true;
    wb.done = false;
    pthread_cond_broadcast(&wb.cv);
    pthread_mutex_unlock(&wb.mu);
    char *t = cs.scratch;
    cs.scratch = wb.spare;
    wb.spare = t;
    k->size += n;
    return true;
}

static void wb_stop(void)
{
    if (!wb.started) {
        free(wb.spare);
        wb.spare = NULL;
        return;
    }
    wb_wait();
    pthread_mutex_lock(&wb.mu);
    wb.quit = true;
    pthread_cond_broadcast(&wb.cv);
    pthread_mutex_unlock(&wb.mu);
    pthread_join(wb.thread, NULL);
    if (cs.loop)
        watch_del(cs.loop, &wb.w);
    close_fd(&wb.efd);
    free(wb.spare);
    wb.spare = NULL;
    wb.started = wb.quit = false;
}

/* ---- file sinks ---- */

/* Open K's file (its folders too for AUTO). -1 with errno and cs.why. */
static int file_open(struct sink *k, bool trunc)
{
    /* Component by component, symlinks only of root or tend's user
     * (fsutil.h): whoever owns a folder on the way cannot point tend's
     * appends and truncations elsewhere. O_NONBLOCK so that opening a FIFO
     * never blocks (ENXIO without a reader); a regular file ignores it. */
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | (trunc ? O_TRUNC : 0);
    int fd = fs_open_log(k->path, flags, 0644, k->is_auto, cs.why, sizeof cs.why);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        snprintf(cs.why, sizeof cs.why, "%s", strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    k->fd = fd;
    k->regular = S_ISREG(st.st_mode);
    k->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    if (k->kind == SINK_FILE && !S_ISREG(st.st_mode)) {
        /* decided at the first open; a special file stays unrotated */
        k->maxbytes = 0;
        k->no_splice = true;
    }
    return 0;
}

static void file_close(struct sink *k)
{
    wb_wait();   /* the writer may be using the fd */
    close_fd(&k->fd);
    close_fd(&k->splice_fd);
}

/* name -> name.1 -> ... -> name.N, then a fresh name (0 backups: truncate).
 * The renames are relative to the folder as opened safely, never paths. */
static void file_rotate(struct sink *k)
{
    file_close(k);
    if (k->backups > 0) {
        const char *base;
        int dir = fs_open_parent(k->path, false, &base, cs.why, sizeof cs.why);
        if (dir < 0)
            log_warn("log %s: cannot rotate: %s", k->name, cs.why);
        for (int i = k->backups - 1; dir >= 0 && i >= 0; i--) {
            char a[NAME_MAX + 16], b[NAME_MAX + 16];
            snprintf(a, sizeof a, i ? "%s.%d" : "%s", base, i);
            snprintf(b, sizeof b, "%s.%d", base, i + 1);
            if (renameat(dir, a, dir, b) < 0 && errno != ENOENT)
                log_warn("log %s: cannot rename %s to %s: %s", k->name, a, b, strerror(errno));
        }
        if (dir >= 0)
            close(dir);
    }
    if (file_open(k, true) < 0)
        sink_failed(k, "cannot reopen after rotation", cs.why, 0);
    k->size = 0;
}

/* Write N bytes to a file sink, rotating on the way. Always consumes
 * everything: what cannot be written is dropped (and logged once). */
static void file_write(struct sink *k, const char *p, size_t n)
{
    wb_wait();   /* in order after what is being written behind */
    while (n > 0) {
        if (k->fd < 0 && file_open(k, false) < 0) {
            sink_failed(k, "cannot open", cs.why, n);
            return;
        }
        size_t take = n;
        if (k->maxbytes) {
            uint64_t left = k->size < k->maxbytes ? k->maxbytes - k->size : 0;
            if (n > left) {
                /* end the file at a line boundary when there is one */
                const char *nl = left ? memrchr(p, '\n', (size_t)left) : NULL;
                if (nl)
                    take = (size_t)(nl - p) + 1;
                else if (k->size > 0) {
                    file_rotate(k);
                    continue;
                } else
                    take = (size_t)left;
            }
        }
        ssize_t w = write(k->fd, p, take);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            /* ENOSPC, EIO, EAGAIN of a special file: drop this chunk */
            sink_failed(k, "write failed", strerror(w < 0 ? errno : EIO), n);
            return;
        }
        sink_ok(k);
        cs.written += (uint64_t)w;
        k->size += (uint64_t)w;
        p += w;
        n -= (size_t)w;
        if (k->maxbytes && k->size >= k->maxbytes)
            file_rotate(k);
    }
}

/* ---- stream sinks (tend's stdout/stderr, FIFOs, ttys) ---- */

static int std_open(struct sink *k, int which)
{
    struct stat st;
    if (fstat(which, &st) < 0)
        return -1;
    k->dev = st.st_dev;
    k->ino = st.st_ino;
    int fd;
    if (S_ISSOCK(st.st_mode)) {
        k->is_sock = true;  /* send(MSG_DONTWAIT) is non-blocking per call */
        fd = fcntl(which, F_DUPFD_CLOEXEC, 3);
    } else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
        fd = fcntl(which, F_DUPFD_CLOEXEC, 3);   /* never blocks; keeps the offset */
    } else {
        /* A private description: O_NONBLOCK here does not reach the
         * inherit-mode children sharing tend's fd. */
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", which);
        fd = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            log_debug("capture: cannot reopen fd %d non-blocking (%s); writes may block",
                      which, strerror(errno));
            fd = fcntl(which, F_DUPFD_CLOEXEC, 3);
        }
    }
    if (fd < 0)
        return -1;
    k->fd = fd;
    return 0;
}

static ssize_t sink_send(struct sink *k, const char *p, size_t n)
{
    if (k->is_sock)
        return send(k->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    return write(k->fd, p, n);
}

/* Write the output buffer until done or EAGAIN. */
static void sink_flush(struct sink *k)
{
    while (k->ooff < k->olen) {
        if (k->fd < 0 && (!k->path || file_open(k, false) < 0)) {
            sink_failed(k, "not open", k->path ? cs.why : strerror(EBADF), k->olen - k->ooff);
            k->ooff = k->olen;
            break;
        }
        ssize_t w = sink_send(k, k->obuf + k->ooff, k->olen - k->ooff);
        if (w > 0) {
            sink_ok(k);
            cs.written += (uint64_t)w;
            k->ooff += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !k->unpollable)
            break;
        sink_failed(k, "write failed", strerror(w < 0 ? errno : EIO), k->olen - k->ooff);
        k->ooff = k->olen;
    }
    if (k->ooff == k->olen)
        k->ooff = k->olen = 0;
    sink_arm(k);
}

static void sink_free(struct sink *k)
{
    for (struct sink **pp = &cs.sinks; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    for (int i = 1; i <= 2; i++)
        if (cs.std[i] == k)
            cs.std[i] = NULL;
    if (cs.scratch_sink == k) {
        cs.scratch_sink = NULL;
        cs.scratch_len = 0;
    }
    if (cs.loop)
        watch_del(cs.loop, &k->w);
    file_close(k);
    free(k->obuf);
    free(k->name);
    free(k->path);
    free(k);
}

/* Wake the queued streams, in order, once the output buffer is empty. */
static void sink_wake(struct sink *k)
{
    struct capture *q = k->waiters;
    k->waiters = NULL;
    k->waiters_tail = &k->waiters;
    while (q) {
        struct capture *s = q;
        q = q->wnext;
        s->wnext = NULL;
        s->waiting = false;
        if (k->olen > 0) {
            /* the buffer filled again: keep the rest queued, in order */
            s->waiting = true;
            *k->waiters_tail = s;
            k->waiters_tail = &s->wnext;
            continue;
        }
        stream_push(s);
        if (s->paused && !s->waiting && s->fd >= 0 && s->len < STREAM_BUF &&
            watch_add(cs.loop, &s->w, s->fd, EPOLLIN, stream_on_readable, s) == 0)
            s->paused = false;
        if (s->released && s->eof && s->len == 0 && !s->waiting)
            stream_free(s);
    }
}

/* Flush K and wake its queue. A woken stream may free itself and drop the
 * last reference: K is freed here then (returns true). */
static bool sink_service(struct sink *k)
{
    k->refs++;
    sink_flush(k);
    if (k->olen == 0 && k->waiters)
        sink_wake(k);
    k->refs--;
    if (k->refs == 0 && !k->which && k->olen == 0 && !k->waiters) {
        sink_free(k);
        return true;
    }
    sink_arm(k);
    return false;
}

static void sink_on_writable(struct loop *l, struct watch *w, uint32_t events)
{
    sink_service(w->arg);
}

/* EPOLLOUT is wanted while bytes wait or streams queue. */
static void sink_arm(struct sink *k)
{
    if (k->kind != SINK_STREAM || !cs.loop || k->fd < 0)
        return;
    bool want = k->olen > 0 || k->waiters;
    if (want && !k->w.active) {
        if (watch_add(cs.loop, &k->w, k->fd, EPOLLOUT, sink_on_writable, k) < 0) {
            /* a regular file or /dev/null: never EAGAIN, nothing to wait for */
            k->unpollable = true;
            log_debug("log %s: cannot poll: %s", k->name, strerror(errno));
        }
    } else if (!want && k->w.active)
        watch_del(cs.loop, &k->w);
}

/* A stream sink's output buffer. -1 (cs.why, errno) when out of memory. */
static int sink_alloc_obuf(struct sink *k)
{
    if (!(k->obuf = malloc(SINK_BUF))) {
        no_memory();
        return -1;
    }
    k->ocap = SINK_BUF;
    return 0;
}

/* A new sink, not yet listed. NULL (cs.why, errno) when out of memory. */
static struct sink *sink_new(enum sink_kind kind, const char *name)
{
    struct sink *k = calloc(1, sizeof *k);
    if (!k)
        return no_memory();
    k->kind = kind;
    k->fd = k->splice_fd = -1;
    k->waiters_tail = &k->waiters;
    if (!(k->name = strdup(name)) || (kind == SINK_STREAM && sink_alloc_obuf(k) < 0)) {
        sink_free(k);
        return no_memory();
    }
    return k;
}

/* A sink just opened (OPENED is 0) joins the list; one that failed to open
 * (-1) is freed, errno kept. Returns K, or NULL (K NULL too: sink_new
 * failed, cs.why and errno set). */
static struct sink *sink_adopt(struct sink *k, int opened)
{
    if (!k)
        return NULL;
    if (opened < 0) {
        int e = errno;
        sink_free(k);
        errno = e;
        return NULL;
    }
    k->next = cs.sinks;
    cs.sinks = k;
    return k;
}

/* The sink for T, opened (or found). NULL with errno, *WHAT and cs.why set. */
static struct sink *sink_get(const struct log_target *t, const char **what)
{
    if (t->kind == LOG_STDOUT || t->kind == LOG_STDERR) {
        int which = t->kind == LOG_STDOUT ? 1 : 2;
        if (cs.std[which])
            return cs.std[which];
        /* `tend 2>&1 | ...`: one destination, so one sink, or lines of the
         * two could mix when a write to the pipe is cut short */
        struct sink *o = cs.std[3 - which];
        struct stat st;
        if (o && fstat(which, &st) == 0 && st.st_dev == o->dev && st.st_ino == o->ino) {
            cs.std[which] = o;
            return o;
        }
        *what = which == 1 ? "tend's stdout" : "tend's stderr";
        struct sink *k = sink_new(SINK_STREAM, *what);
        if (!k)
            return NULL;
        k->which = which;
        if (!sink_adopt(k, std_open(k, which))) {
            snprintf(cs.why, sizeof cs.why, "%s", strerror(errno));
            return NULL;
        }
        cs.std[which] = k;
        return k;
    }
    *what = t->path ? t->path : "(no path)";
    if (!t->path) {
        errno = EINVAL;
        snprintf(cs.why, sizeof cs.why, "%s", strerror(errno));
        return NULL;
    }
    for (struct sink *k = cs.sinks; k; k = k->next)
        if (k->path && strcmp(k->path, t->path) == 0) {
            if (k->kind == SINK_FILE) {   /* the latest config wins */
                k->maxbytes = t->maxbytes;
                k->backups = t->backups;
            }
            if (k->fd < 0 && file_open(k, false) < 0)
                return NULL;
            return k;
        }
    struct sink *k = sink_new(SINK_FILE, t->path);
    if (!k)
        return NULL;
    if (!(k->path = strdup(t->path))) {
        sink_free(k);
        return no_memory();
    }
    k->is_auto = t->is_auto;
    k->maxbytes = t->maxbytes;
    k->backups = t->backups < 0 ? 0 : t->backups;
    if (!sink_adopt(k, file_open(k, false)))
        return NULL;
    /* What was opened decides: a FIFO, tty or device (file_open made it
     * unrotated) takes whole lines through a buffer, waiting for EPOLLOUT. */
    struct stat st;
    if (fstat(k->fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (sink_alloc_obuf(k) < 0) {
            sink_free(k);   /* listed and open, but no stream uses it yet */
            return no_memory();
        }
        k->kind = SINK_STREAM;
    }
    return k;
}

static void sink_unref(struct sink *k)
{
    if (--k->refs > 0 || k->which)
        return;
    if (k->olen == 0 && !k->waiters)
        sink_free(k);
    /* else freed by sink_on_writable once drained */
}

/* ---- the file-line batch (scratch) ---- */

static void scratch_flush(void)
{
    if (cs.scratch_sink && cs.scratch_len && !wb_post(cs.scratch_sink, cs.scratch_len))
        file_write(cs.scratch_sink, cs.scratch, cs.scratch_len);
    cs.scratch_len = 0;
    cs.scratch_sink = NULL;
}

/* Room for NEED bytes at the end of K's output: the sink buffer, or the
 * scratch batch for a file. NULL when K cannot take it now. */
static char *sink_room(struct sink *k, size_t need)
{
    if (k->kind == SINK_FILE) {
        if (cs.scratch_sink != k || cs.scratch_len + need > SCRATCH)
            scratch_flush();
        cs.scratch_sink = k;
        char *p = cs.scratch + cs.scratch_len;
        cs.scratch_len += need;
        return p;
    }
    if (k->ocap - k->olen < need && k->ooff > 0) {
        memmove(k->obuf, k->obuf + k->ooff, k->olen - k->ooff);
        k->olen -= k->ooff;
        k->ooff = 0;
    }
    if (k->ocap - k->olen < need)
        sink_flush(k);
    if (k->ocap - k->olen < need)
        return NULL;
    char *p = k->obuf + k->olen;
    k->olen += need;
    return p;
}

/* The last EXTRA bytes of what sink_room gave were not used. */
static void sink_unroom(struct sink *k, size_t extra)
{
    if (k->kind == SINK_FILE)
        cs.scratch_len -= extra;
    else
        k->olen -= extra;
}

/* ---- syslog ---- */

/* The syslog destination PATH, found or made (kept until teardown). NULL
 * (cs.why, errno) when out of memory. */
static struct slog *slog_get(const char *path)
{
    for (struct slog *y = cs.slogs; y; y = y->next)
        if (!strcmp(y->path, path))
            return y;
    struct slog *y = calloc(1, sizeof *y);
    if (!y)
        return no_memory();
    if (!(y->path = strdup(path))) {
        free(y);
        return no_memory();
    }
    y->fd = -1;
    y->tm_sec = (time_t)-1;
    y->next = cs.slogs;
    cs.slogs = y;
    return y;
}

/* Lines are being lost: say so once, until sending works again. */
static void slog_lost(struct slog *y, const char *reason)
{
    if (!y->failing) {
        log_warn("syslog %s: %s; lines for it are dropped until it works again", y->path,
                 reason);
        y->failing = true;
        y->lost = 0;
    }
    y->lost++;
    cs.syslog_dropped++;
}

static void slog_close(struct slog *y, uint64_t now)
{
    close_fd(&y->fd);
    y->retry_at = now + SYSLOG_RETRY_MS;
}

/* Connect Y's non-blocking datagram socket: a missing or full syslog then
 * costs a failed send, never a wait. */
static void slog_connect(struct slog *y, uint64_t now)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    y->retry_at = now + SYSLOG_RETRY_MS;
    if (strlen(y->path) >= sizeof sa.sun_path) {
        slog_lost(y, "path too long for a socket");
        return;
    }
    memcpy(sa.sun_path, y->path, strlen(y->path) + 1);
    y->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (y->fd < 0) {
        slog_lost(y, strerror(errno));
        return;
    }
    int r;
    do
        r = connect(y->fd, (struct sockaddr *)&sa, sizeof sa);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        int e = errno;
        slog_close(y, now);
        slog_lost(y, strerror(e));
    }
}

/* One line to S's syslog as one datagram per LOGFMT_SYSLOG_MAX bytes. */
static void slog_send(struct capture *s, const struct logfmt_line *l, const struct timespec *ts)
{
    struct slog *y = s->slog;
    uint64_t now = loop_now();
    if (y->fd < 0) {
        if (now < y->retry_at) {
            slog_lost(y, "not connected");
            return;
        }
        slog_connect(y, now);
        if (y->fd < 0)
            return;
    }
    if (ts->tv_sec != y->tm_sec) {
        time_t t = ts->tv_sec;
        if (!localtime_r(&t, &y->tm))
            memset(&y->tm, 0, sizeof y->tm);
        y->tm_sec = ts->tv_sec;
    }
    const char *p = l->p;
    size_t left = l->len;
    do {
        char dg[LOGFMT_SYSLOG_MAX];
        size_t used;
        size_t n = logfmt_syslog(dg, sizeof dg, LOGFMT_SYSLOG_PRI, &y->tm, s->tag, p, left, &used);
        ssize_t w;
        do
            w = send(y->fd, dg, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w < 0) {
            int e = errno;
            /* full (EAGAIN, ENOBUFS): drop; gone (ECONNREFUSED, ENOENT...): reconnect later */
            if (e != EAGAIN && e != EWOULDBLOCK && e != ENOBUFS)
                slog_close(y, now);
            slog_lost(y, strerror(e));
            return;
        }
        p += used;
        left -= used;
    } while (left > 0);
    cs.syslog_sent++;
    if (y->failing) {
        y->failing = false;
        log_info("syslog %s: works again (%llu lines were dropped)", y->path,
                 (unsigned long long)y->lost);
    }
}

/* ---- streams ---- */

static void stream_pause(struct capture *s)
{
    if (!s->paused && s->fd >= 0) {
        watch_del(cs.loop, &s->w);
        s->paused = true;
    }
}

static void stream_set_eof(struct capture *s)
{
    if (s->fd >= 0) {
        watch_del(cs.loop, &s->w);
        close_fd(&s->fd);
    }
    s->eof = true;
    s->paused = false;
}

/* Format the lines of BUF (LEN bytes read from S) as records into S's sink:
 * one record per line, stamped with the time of this call (the lines were
 * just read). Returns the bytes consumed; stops early (S queued on the
 * sink) only when a stream sink is full, so with a file or a null sink
 * what is left is less than one line of STREAM_BUF. */
static size_t fmt_lines(struct capture *s, const char *buf, size_t len)
{
    struct sink *k = s->sink;
    bool final = s->eof || s->closing;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        ts = (struct timespec){ 0, 0 };
    logfmt_clock_set(&s->fmt->clock, &ts);
    size_t pos = 0;
    while (pos < len) {
        struct logfmt_line l;
        size_t used = logfmt_next(buf + pos, len - pos, LINE_CUT, final, &l);
        if (!used)
            break;
        if (k->kind != SINK_NULL) {
            size_t need = logfmt_record_max(s->fmt, l.len);
            char *o = sink_room(k, need);
            if (!o) {
                s->waiting = true;
                *k->waiters_tail = s;
                k->waiters_tail = &s->wnext;
                break;
            }
            sink_unroom(k, need - logfmt_record(s->fmt, &l, o));
        }
        if (s->slog)
            slog_send(s, &l, &ts);
        pos += used;
    }
    if (k->kind == SINK_FILE)
        scratch_flush();
    else if (k->kind == SINK_STREAM)
        sink_flush(k);
    return pos;
}

/* stream_push for a formatted stream. */
static void stream_push_fmt(struct capture *s)
{
    size_t pos = fmt_lines(s, s->buf, s->len);
    if (pos) {
        memmove(s->buf, s->buf + pos, s->len - pos);
        s->len -= pos;
    }
}

/* Hand complete lines (the last partial one too at EOF or when the buffer
 * is full of one line) to the sink, prefixed. Queues S on the sink when it
 * cannot take them now. */
static void stream_push(struct capture *s)
{
    struct sink *k = s->sink;
    bool final = s->eof || s->closing;
    size_t pos = 0;
    if (s->waiting)
        return;
    if (s->fmt) {
        stream_push_fmt(s);
        return;
    }
    while (pos < s->len) {
        char *p = s->buf + pos;
        size_t rest = s->len - pos, n;
        bool addnl = false;
        char *nl = memchr(p, '\n', rest);
        if (nl)
            n = (size_t)(nl - p) + 1;
        else if (final || (pos == 0 && s->len == STREAM_BUF)) {
            n = rest;
            addnl = true;
        } else
            break;
        char *o = sink_room(k, s->prefix_len + n + addnl);
        if (!o) {
            s->waiting = true;
            *k->waiters_tail = s;
            k->waiters_tail = &s->wnext;
            break;
        }
        if (s->prefix_len)
            memcpy(o, s->prefix, s->prefix_len);
        memcpy(o + s->prefix_len, p, n);
        if (addnl)
            o[s->prefix_len + n] = '\n';
        pos += n;
    }
    if (pos) {
        memmove(s->buf, s->buf + pos, s->len - pos);
        s->len -= pos;
    }
    if (k->kind == SINK_FILE)
        scratch_flush();
    else
        sink_flush(k);
}

/* Whole-line mode: read into the stream buffer. Returns true when more may
 * be readable (budget spent). */
static bool lines_read(struct capture *s)
{
    size_t budget = ROUND_BUDGET;
    while (s->fd >= 0) {
        if (s->len == STREAM_BUF) {
            if (!s->waiting)
                stream_push(s);
            if (s->len == STREAM_BUF) {
                stream_pause(s);
                return false;
            }
        }
        ssize_t n = read(s->fd, s->buf + s->len, STREAM_BUF - s->len);
        if (n > 0) {
            if (s->tap)
                n = (ssize_t)s->tap(s->tap_arg, s->buf + s->len, (size_t)n, STREAM_BUF - s->len);
            s->len += (size_t)n;
            if (!s->waiting)
                stream_push(s);
            if ((size_t)n >= budget)
                return true;
            budget -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        if (n < 0)
            log_warn("log %s: read from a program's pipe: %s", s->sink->name, strerror(errno));
        stream_set_eof(s);
        if (!s->waiting)
            stream_push(s);
    }
    return false;
}

/* A formatted stream into a file (or only to syslog) takes every complete
 * line at once, so it can read a MiB at a time through the shared bulk
 * buffer instead of STREAM_BUF at a time through its own: 16 times fewer
 * reads and writer wake-ups, which is most of what formatting costs beside
 * plain capture. The partial line at the end (< STREAM_BUF) goes back into
 * the stream's buffer. Returns true when more may be readable. */
static bool bulk_read(struct capture *s)
{
    size_t budget = ROUND_BUDGET;
    while (s->fd >= 0) {
        memcpy(cs.bulk, s->buf, s->len);
        ssize_t n = read(s->fd, cs.bulk + s->len, BULK_BUF);
        if (n > 0) {
            if (s->tap)
                n = (ssize_t)s->tap(s->tap_arg, cs.bulk + s->len, (size_t)n,
                                    STREAM_BUF + BULK_BUF - s->len);
            size_t have = s->len + (size_t)n;
            size_t pos = fmt_lines(s, cs.bulk, have);
            memcpy(s->buf, cs.bulk + pos, have - pos);
            s->len = have - pos;
            if ((size_t)n >= budget)
                return true;
            budget -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        if (n < 0)
            log_warn("log %s: read from a program's pipe: %s", s->sink->name, strerror(errno));
        stream_set_eof(s);
        stream_push(s);
    }
    return false;
}

/* Raw mode (file sink, no prefix): splice or read+write, no buffering. */
static bool raw_read(struct capture *s)
{
    struct sink *k = s->sink;
    size_t budget = ROUND_BUDGET;
    bool synced = false;
    while (s->fd >= 0) {
        ssize_t n;
        if (!k->no_splice && k->fd >= 0 && !s->tap) {
            size_t len = SPLICE_CHUNK;
            if (k->maxbytes) {
                /* near the limit, read it to rotate at a line boundary */
                uint64_t left = k->size < k->maxbytes ? k->maxbytes - k->size : 0;
                if (left <= 2 * SPLICE_CHUNK)
                    goto plain;
                if (left - SPLICE_CHUNK < len)
                    len = (size_t)(left - SPLICE_CHUNK);
            }
            if (k->splice_fd < 0) {
                char p[64];
                snprintf(p, sizeof p, "/proc/self/fd/%d", k->fd);
                k->splice_fd = open(p, O_WRONLY | O_CLOEXEC | O_NOCTTY);
                if (k->splice_fd < 0) {
                    k->no_splice = true;
                    goto plain;
                }
            }
            if (!synced) {
                /* the O_APPEND writer's view: someone may have truncated it */
                struct stat st;
                if (fstat(k->fd, &st) == 0)
                    k->size = (uint64_t)st.st_size;
                synced = true;
            }
            loff_t off = (loff_t)k->size;
            n = splice(s->fd, NULL, k->splice_fd, &off, len, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
            if (n > 0) {
                sink_ok(k);
                cs.written += (uint64_t)n;
                k->size += (uint64_t)n;
                if ((size_t)n >= budget)
                    return true;
                budget -= (size_t)n;
                continue;
            }
            if (n == 0) {
                stream_set_eof(s);
                break;
            }
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return false;
            if (errno == EINVAL || errno == ENOSYS || errno == EBADF)
                k->no_splice = true;   /* this file system cannot splice */
            /* else a write error: the read path below reports it */
        }
    plain: {
        /* A program writing small lines fills the pipe a line at a time:
         * gather what is there, then write it with one call. */
        size_t have = 0;
        do
            n = read(s->fd, cs.scratch + have, SCRATCH - have);
        while ((n > 0 && (have += (size_t)n) < SCRATCH) || (n < 0 && errno == EINTR));
        int read_errno = errno; /* file_write below may change errno */
        if (have) {
            size_t got = have;
            if (s->tap)
                have = s->tap(s->tap_arg, cs.scratch, have, SCRATCH);
            if (have)
                file_write(k, cs.scratch, have);
            have = got;
            if (have >= budget)
                return true;
            budget -= have;
            if (n > 0)
                continue; /* the scratch buffer was full: there may be more */
        }
        errno = read_errno;
    }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        if (n < 0)
            log_warn("log %s: read from a program's pipe: %s", k->name, strerror(errno));
        stream_set_eof(s);
    }
    return false;
}

static bool stream_read(struct capture *s)
{
    if (s->fmt && (s->sink->kind == SINK_FILE || s->sink->kind == SINK_NULL) && !s->waiting &&
        (cs.bulk || (cs.bulk = malloc(STREAM_BUF + BULK_BUF))))
        return bulk_read(s);
    return s->whole_lines ? lines_read(s) : raw_read(s);
}

static void stream_on_readable(struct loop *l, struct watch *w, uint32_t events)
{
    struct capture *s = w->arg;
    stream_read(s);
    if (s->released && s->eof && s->len == 0 && !s->waiting)
        stream_free(s);
}

void capture_tap(struct capture *cap, size_t (*fn)(void *arg, char *buf, size_t n, size_t room),
                 void *arg, void (*free_arg)(void *arg))
{
    if (cap->tap_free)
        cap->tap_free(cap->tap_arg);
    cap->tap = fn;
    cap->tap_arg = arg;
    cap->tap_free = free_arg;
}

static void stream_free(struct capture *s)
{
    if (s->tap_free)
        s->tap_free(s->tap_arg);
    s->tap = NULL;
    s->tap_free = NULL;
    if (s->prev)
        s->prev->next = s->next;
    else
        cs.streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    struct sink *k = s->sink;
    if (s->waiting) {
        struct capture **pp = &k->waiters;
        while (*pp && *pp != s)
            pp = &(*pp)->wnext;
        if (*pp) {
            *pp = s->wnext;
            if (!*pp)
                k->waiters_tail = pp;
        }
    }
    if (cs.loop)
        watch_del(cs.loop, &s->w);
    close_fd(&s->fd);
    free(s->buf);
    free(s->prefix);
    free(s->fmt);
    free(s->tag);
    free(s);
    sink_unref(k);
}

/* ---- public ---- */

void capture_setup(struct loop *l)
{
    cs.loop = l;
    /* before any program runs: the one allocation here that may end tend */
    if (!cs.scratch && !(cs.scratch = malloc(SCRATCH)))
        log_fatal("out of memory for the capture buffer");
}

/* The rest of a new stream's memory: its line buffer, formatter, syslog
 * destination and tag, or prefix; room for records in a stream sink.
 * -1 when out of memory (what was allocated goes with stream_free). */
static int stream_alloc(struct capture *s, const struct log_target *t, const char *name,
                        bool prefix, int which, bool formatted)
{
    struct sink *k = s->sink;
    if (s->whole_lines && !(s->buf = malloc(STREAM_BUF)))
        return -1;
    if (formatted) {
        if (!(s->fmt = malloc(sizeof *s->fmt)))
            return -1;
        logfmt_init(s->fmt, t->format == LOG_FORMAT_JSON ? LOGFMT_JSON : LOGFMT_TEXT,
                    (enum logfmt_stamp)t->stamp, name, prefix, which == 2 ? "stderr" : "stdout");
        if (k->kind == SINK_STREAM && k->ocap < FMT_SINK_BUF) {
            /* room for the longest record: JSON may be 6 times the line;
             * when this fails the old buffer (and what waits in it) stays */
            char *b = realloc(k->obuf, FMT_SINK_BUF);
            if (!b)
                return -1;
            k->obuf = b;
            k->ocap = FMT_SINK_BUF;
        }
        if (t->syslog) {
            if (!(s->slog = slog_get(t->syslog_socket ? t->syslog_socket : "/dev/log")))
                return -1;
            const char *colon = strrchr(name, ':');   /* "g:web" is web to syslog */
            if (!(s->tag = strdup(colon ? colon + 1 : name)))
                return -1;
        }
    } else if (prefix) {
        size_t nl = strlen(name);
        if (nl > PREFIX_MAX)
            nl = PREFIX_MAX;
        if (!(s->prefix = malloc(nl + 4)))
            return -1;
        memcpy(s->prefix, name, nl);
        memcpy(s->prefix + nl, " | ", 4);
        s->prefix_len = nl + 3;
    }
    return 0;
}

int capture_prepare(const struct log_target *t, const char *name, bool prefix, int which,
                    struct capture **cap, int *child_fd, char *err, size_t errlen)
{
    *cap = NULL;
    *child_fd = -1;
    /* NONE with events: read (for the events) into the null sink */
    bool formatted = t->stamp != LOG_STAMP_NONE || t->format == LOG_FORMAT_JSON || t->syslog ||
                     ((t->events || t->capture_maxbytes) && t->kind == LOG_NONE);
    struct log_target tt;
    if ((formatted || t->events || t->capture_maxbytes) && t->kind == LOG_INHERIT) {
        /* stamping or JSON needs the lines: through tend to the same place */
        tt = *t;
        tt.kind = which == 1 ? LOG_STDOUT : LOG_STDERR;
        t = &tt;
    }
    if (t->kind == LOG_INHERIT) {
        *child_fd = which;
        return 0;
    }
    if (t->kind == LOG_NONE && !t->syslog && !t->events && !t->capture_maxbytes) {
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open /dev/null: %s", strerror(errno));
            return -1;
        }
        *child_fd = fd;
        return 0;
    }
    const char *what = "NONE";
    struct sink *k = t->kind == LOG_NONE ? sink_adopt(sink_new(SINK_NULL, what), 0)
                                         : sink_get(t, &what);
    if (!k) {
        if (t->kind == LOG_NONE)
            snprintf(err, errlen, "cannot send the output of %s to syslog: %s", name, cs.why);
        else
            snprintf(err, errlen, "cannot open log file %s: %s", what, cs.why);
        return -1;
    }
    k->refs++;   /* before anything can fail, so sink_unref balances */
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "cannot make a pipe for %s: %s", k->name, strerror(errno));
        sink_unref(k);
        return -1;
    }
    /* only our end is non-blocking: the child blocks when we stop reading */
    if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        snprintf(err, errlen, "cannot set up the pipe for %s: %s", k->name, strerror(errno));
        close(p[0]);
        close(p[1]);
        sink_unref(k);
        return -1;
    }
    struct capture *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "cannot capture the output of %s: out of memory", name);
        close(p[0]);
        close(p[1]);
        sink_unref(k);
        return -1;
    }
    s->sink = k;
    s->fd = p[0];
    s->whole_lines = prefix || k->kind != SINK_FILE || formatted;
    /* listed at once, so that stream_free undoes any step below */
    s->next = cs.streams;
    if (cs.streams)
        cs.streams->prev = s;
    cs.streams = s;
    if (stream_alloc(s, t, name, prefix, which, formatted) < 0) {
        snprintf(err, errlen, "cannot capture the output of %s: out of memory", name);
        close(p[1]);
        stream_free(s);
        return -1;
    }
    if (!s->whole_lines || formatted)
        (void)fcntl(p[0], F_SETPIPE_SZ, RAW_PIPE_SIZE); /* best effort: fewer, larger reads */
    if (watch_add(cs.loop, &s->w, s->fd, EPOLLIN, stream_on_readable, s) < 0) {
        snprintf(err, errlen, "cannot watch the pipe for %s: %s", k->name, strerror(errno));
        close(p[1]);
        stream_free(s);
        return -1;
    }
    *cap = s;
    *child_fd = p[1];
    return 0;
}

void capture_release(struct capture *s)
{
    if (!s)
        return;
    s->released = true;
    if (s->eof && s->len == 0 && !s->waiting)
        stream_free(s);
}

void capture_reopen_all(void)
{
    for (struct sink *k = cs.sinks; k; k = k->next) {
        if (!k->path)
            continue;
        if (cs.loop)
            watch_del(cs.loop, &k->w);   /* before its fd goes */
        file_close(k);
        if (file_open(k, false) < 0)
            sink_failed(k, "cannot reopen", cs.why, 0);
        else
            sink_arm(k);
    }
}

int capture_clear(const char *path, char *why, size_t whylen)
{
    for (struct sink *k = cs.sinks; k; k = k->next) {
        if (!k->path || strcmp(k->path, path) || k->fd < 0)
            continue;
        if (ftruncate(k->fd, 0) < 0) {
            snprintf(why, whylen, "%s", strerror(errno));
            return -1;
        }
        k->size = 0;
        return 0;
    }
    int fd = fs_open_log(path, O_WRONLY | O_TRUNC | O_NONBLOCK, 0644, false, why, whylen);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    close(fd);
    return 0;
}

void capture_flush_all(int timeout_ms)
{
    uint64_t deadline = loop_now() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        bool more = false;
        for (struct capture *s = cs.streams; s; s = s->next)
            if (s->fd >= 0 && !s->paused && stream_read(s))
                more = true;
        struct pollfd pf[64];
        nfds_t npf = 0;
        for (struct sink *k = cs.sinks, *next; k; k = next) {
            next = k->next;
            if (k->kind != SINK_STREAM)
                continue;
            if (k->olen)
                sink_flush(k);
            if (k->olen == 0 && k->waiters) {
                more = true;
                if (sink_service(k))
                    continue;
            }
            if (k->olen && k->fd >= 0 && npf < 64)
                pf[npf++] = (struct pollfd){ .fd = k->fd, .events = POLLOUT };
        }
        uint64_t now = loop_now();
        if (now >= deadline || (!more && npf == 0))
            break;
        if (npf && !more && poll(pf, npf, (int)(deadline - now)) < 0 && errno != EINTR)
            break;
    }
    /* final partial lines, then a last non-blocking write of every buffer */
    for (struct capture *s = cs.streams; s; s = s->next)
        if (s->whole_lines && s->len && !s->waiting) {
            s->closing = true;
            stream_push(s);
        }
    for (struct sink *k = cs.sinks; k; k = k->next) {
        if (k->kind != SINK_STREAM)
            continue;
        sink_flush(k);
        if (k->olen) {
            cs.dropped += k->olen - k->ooff;
            log_warn("log %s: %zu bytes could not be written before exit", k->name,
                     k->olen - k->ooff);
            k->olen = k->ooff = 0;
            sink_arm(k);
        }
    }
    wb_wait();
}

void capture_teardown(void)
{
    wb_stop();
    while (cs.streams) {
        struct capture *s = cs.streams;
        s->waiting = false;   /* the sink's queue goes with it */
        s->sink->waiters = NULL;
        s->sink->waiters_tail = &s->sink->waiters;
        stream_free(s);
    }
    while (cs.sinks)
        sink_free(cs.sinks);
    while (cs.slogs) {
        struct slog *y = cs.slogs;
        cs.slogs = y->next;
        close_fd(&y->fd);
        free(y->path);
        free(y);
    }
    free(cs.scratch);
    free(cs.bulk);
    memset(&cs, 0, sizeof cs);
}

const char *capture_path(const struct capture *s)
{
    return s && s->sink->kind == SINK_FILE ? s->sink->path : NULL;
}

bool capture_reading(const struct capture *s)
{
    return s && s->fd >= 0 && !s->paused;
}

void capture_get_stats(struct capture_stats *st)
{
    memset(st, 0, sizeof *st);
    st->written = cs.written;
    st->dropped = cs.dropped;
    st->syslog_sent = cs.syslog_sent;
    st->syslog_dropped = cs.syslog_dropped;
    for (struct capture *s = cs.streams; s; s = s->next)
        st->streams++;
    for (struct sink *k = cs.sinks; k; k = k->next)
        st->sinks++;
}
