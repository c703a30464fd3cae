/* log.h - tend's own messages.
 *
 * One line each, to stderr or [supervisor] logfile, prefixed with a
 * timestamp and the level: "2026-11-27 10:00:00 tend[42]: INFO web: RUNNING".
 * Messages above the configured level are dropped cheaply. Never blocks for
 * long: the stream is unbuffered and each line is written with one write().
 * log_fatal() logs and exits 1 (before the event loop only).
 */
#ifndef TEND_LOG_H
#define TEND_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
int log_get_level(void);
/* Send messages to PATH (appended) instead of stderr; NULL = stderr.
 * Returns 0, or -1 with errno (the old destination is kept). */
int log_open(const char *path);
/* Reopen the log file (SIGUSR2, logrotate). */
void log_reopen(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
