/* capture.h - children's stdout/stderr through pipes, into log files or
 * tend's own stdout/stderr, without ever blocking the event loop.
 *
 * A *stream* is the read end of one child pipe; a *sink* is a destination
 * shared by every stream writing there (files keyed by path; tend's stdout
 * and stderr one each). On shared streams (stdout/stderr, FIFOs, ttys) and
 * whenever prefixing ("NAME | "), only whole lines are written, so lines of
 * different programs never mix mid-line; a partial line waits in the
 * stream's 64 KiB buffer until its newline, EOF, or the buffer is full (then
 * it is written with a newline added). Files take raw bytes otherwise
 * (spliced from the pipe when possible), are appended, rotated at maxbytes
 * (name -> name.1 ... name.N; 0 backups truncates) at a line boundary when
 * one is near, and reopened by capture_reopen_all().
 *
 * Back-pressure: when a sink returns EAGAIN, its pending lines stay in a
 * bounded buffer, the sink waits for EPOLLOUT, and every stream feeding it
 * stops being read once its own buffer is full: the child blocks in write(),
 * as it would without tend, while the rest of the loop goes on. A write
 * error (ENOSPC, EIO, EPIPE) is logged once per sink, the chunk is dropped,
 * the program keeps running, and the next write tries again (success is
 * logged too).
 *
 * tend's stdout/stderr are never made non-blocking (inherit-mode children
 * share their open file description): a pipe/FIFO/tty is reopened through
 * /proc/self/fd/N as a private non-blocking description, a socket is written
 * with send(MSG_DONTWAIT), a regular file is dup'ed (it never blocks); when
 * /proc is missing or refuses, a plain dup is used and those writes may
 * block. When fd 1 and fd 2 are the same pipe (`tend 2>&1 | ...`) they share
 * one sink. tend's own log lines (log.c, its own queue and description) can
 * still land between two halves of a captured line cut short by a full pipe.
 *
 * Log file paths are opened through fsutil.h: component by component,
 * symlinks followed only when owned by root or tend's euid (else the start
 * fails: "refusing to follow symlink /x/y owned by uid N"); AUTO folders are
 * made the same way (0755); rotation renames with renameat() in the folder
 * so opened. Every open is O_NONBLOCK: a FIFO without a reader fails (ENXIO)
 * and one with a reader becomes a stream sink, whole lines and EPOLLOUT.
 *
 * Formats (log_timestamp, log_format = json, stdout_syslog/stderr_syslog;
 * see logfmt.h): such a stream is always read in whole lines, each line
 * becoming one record ("STAMP NAME | line", or one JSON object); a line
 * longer than CAPTURE_LINE_MAX - 2 bytes is cut into records marked as
 * partial. An inherit target is then captured to tend's stdout/stderr, and
 * NONE with syslog sends to syslog only. Syslog gets one datagram per line
 * (tag: the process name, facility user, priority info, as supervisord) on
 * a non-blocking socket: when it is missing or full the line is dropped
 * and counted (logged once until it works again; reconnects at most once a
 * second). Streams without these keys take the paths above, unchanged.
 *
 * Lines batched for a regular file (formatted or prefixed streams) are
 * written behind: one writer thread, started on first use, writes a batch
 * while the loop formats the next (at most one in flight; every other
 * write, close or rotation of a file waits for it, so order is kept). The
 * writer only calls write(2); errors reach the loop through an eventfd.
 *
 * All state is module-level (one tend, one loop). Called from the loop's
 * thread only.
 */
#ifndef TEND_CAPTURE_H
#define TEND_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../conf/conf.h"
#include "loop.h"

struct capture;

#define CAPTURE_LINE_MAX (64 * 1024)  /* longest line kept whole (stream buffer) */

/* Once at start-up, before any capture_prepare and before any program
 * runs: allocates the 1 MiB scratch buffer, and ends tend (log_fatal) when
 * it cannot. Nothing after this ends tend for want of memory: a start that
 * cannot allocate fails (see capture_prepare), reopening and rotation
 * allocate nothing. */
void capture_setup(struct loop *l);

/* Prepare one stream (WHICH = 1 stdout, 2 stderr) of process NAME before a spawn.
 * LOG_INHERIT: *child_fd = WHICH, *cap = NULL (the child keeps tend's own fd).
 * LOG_NONE:    *child_fd = a new O_CLOEXEC fd on /dev/null (the caller closes it
 *              after fork), *cap = NULL.
 * otherwise:   *child_fd = the write end of a new pipe (O_CLOEXEC; the caller
 *              dup2s it in the child and closes it in the parent after fork);
 *              *cap = the read side, registered in the loop, writing to the
 *              sink for T (a file, tend's stdout, tend's stderr).
 * Returns 0, or -1 with a message in ERR naming the file and the reason
 * (e.g. the log file cannot be opened, or "out of memory": the spawn then
 * fails and is retried like any failed start). A failure leaves nothing
 * behind: no stream, descriptor or memory, and streams already writing to
 * the same sink are not touched. */
int capture_prepare(const struct log_target *t, const char *name, bool prefix, int which,
                    struct capture **cap, int *child_fd, char *err, size_t errlen);

/* PROCESS_LOG / PROCESS_COMMUNICATION events (issue 17): FN(ARG, BUF, N,
 * ROOM) gets every chunk read from the stream's pipe, as read, before it
 * goes to the sink (a tapped stream is read, never spliced); it may rewrite
 * BUF with up to ROOM (>= N) bytes and returns how many go to the sink.
 * FREE_ARG(ARG) once the stream is freed. A target with events = true or
 * capture_maxbytes > 0 is always captured (inherit goes through tend to the
 * same place; NONE is read and dropped). */
void capture_tap(struct capture *cap, size_t (*fn)(void *arg, char *buf, size_t n, size_t room),
                 void *arg, void (*free_arg)(void *arg));

/* The run this stream belongs to is over (child exited or spawn failed).
 * The stream keeps reading until EOF (grandchildren may still hold the
 * pipe), writes a final partial line (adding the newline when prefixing or
 * writing to a shared stream), then frees itself. NULL is fine. */
void capture_release(struct capture *cap);

/* Reopen every log file (SIGUSR2 / `reopen`, after logrotate moved them). */
void capture_reopen_all(void);

/* At exit: read what is readable, write partial lines and buffers, waiting
 * for slow sinks at most TIMEOUT_MS in all; what is left is dropped. */
void capture_flush_all(int timeout_ms);
/* Empty the log file PATH (supervisorctl's clear): the open file, whoever
 * writes it, is truncated in place (its writers append, so they go on at
 * the new end) and rotation counts from 0; a file no program has open is
 * truncated through fsutil's safe open; a missing one is fine. 0, or -1
 * with the reason in WHY. */
int capture_clear(const char *path, char *why, size_t whylen);

/* Free every stream and sink (for leak checks); streams not yet released
 * are freed too, so the caller must drop its pointers. */
void capture_teardown(void);

/* The log file a stream writes to, or NULL when it is not a file. */
const char *capture_path(const struct capture *cap);
/* False while the stream is not being read because its sink is full. */
bool capture_reading(const struct capture *cap);

struct capture_stats {
    uint64_t written;      /* bytes delivered to sinks */
    uint64_t dropped;      /* bytes lost to write errors / exit timeout */
    uint64_t syslog_sent;     /* lines sent to syslog */
    uint64_t syslog_dropped;  /* lines not sent: syslog missing or full */
    unsigned streams;      /* live streams, released or not */
    unsigned sinks;        /* open sinks */
};
void capture_get_stats(struct capture_stats *st);

#endif
