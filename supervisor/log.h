/* log.h - tend's own messages.
 *
 * One line each, to stderr or [supervisor] logfile, prefixed with a
 * timestamp and the level: "2026-11-27 10:00:00 tend[42]: INFO web: RUNNING".
 * Messages above the configured level are dropped cheaply.
 *
 * Logging never blocks: a destination that cannot take a line now (a pipe
 * nobody reads, a stopped tty) gets it later from a 64 KiB queue, written
 * when the event loop sees the destination writable (log_attach). When the
 * queue is full, new lines are counted and dropped; once there is room
 * again, one line "N log lines dropped (log destination not keeping up)"
 * takes their place. Lines are never cut or mixed with each other.
 *
 * tend's inherited stderr is never made non-blocking (inherit-mode
 * programs share that file description): a pipe, FIFO or tty is reopened
 * through /proc/self/fd/2 as a private non-blocking description, a socket
 * is written with send(MSG_DONTWAIT), a regular file directly. Without
 * /proc, stderr is polled for room before each write of at most PIPE_BUF
 * bytes, which cannot block unless another writer fills it in between.
 * A logfile is opened safely (fsutil.h: symlinks only of root or tend's
 * user) and non-blocking, so a FIFO without a reader fails (ENXIO) instead
 * of freezing tend, and a FIFO with one is written without blocking.
 *
 * Before log_attach() (and without a loop) queued lines are retried at the
 * next message. At exit and in log_fatal() the queue gets a last flush
 * bounded to half a second. Not thread-safe; not for a child after fork.
 */
#ifndef TEND_LOG_H
#define TEND_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
/* [supervisor] logfile_maxbytes, logfile_backups, logformat: rotate the
 * logfile (not stderr, not a FIFO) before a line would take it past
 * MAXBYTES (0: never), keeping BACKUPS files (name.1 ... name.N; 0: the
 * file is truncated), as supervisord does; lines as JSON objects
 * {"time": RFC 3339 UTC with ms, "name": "tend", "pid", "level",
 * "message"} when JSON. Defaults 50 MB, 10, text. From the next line on. */
void log_configure(uint64_t maxbytes, int backups, bool json);
/* Send messages to PATH (appended) instead of stderr; NULL = stderr.
 * Returns 0, or -1 with errno (the old destination is kept); the reason
 * (e.g. "refusing to follow symlink ...") is then logged at ERROR. Lines
 * still queued go to the new destination. */
int log_open(const char *path);
/* Reopen the log file (SIGUSR2, logrotate); a failure is logged and the
 * old file is kept. */
void log_reopen(void);
/* Empty the log file in place (supervisorctl's clear; appends go on at
 * the new end). -1 with errno: ENOENT when tend logs to no file. */
int log_clear(void);
/* Flush the queue from loop L from now on (NULL: stop using the loop,
 * before it is freed). */
void log_attach(struct loop *l);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
/* Log at ERROR, flush (bounded), exit 1. For start-up failures; in the
 * loop only when nothing else is possible. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
