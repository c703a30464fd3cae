/* log.c - tend's own messages: one write() per line, unbuffered. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_level = LOG_INFO;
static int log_fd = 2;
static char *log_path;

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

int log_open(const char *path)
{
    if (!path) {
        if (log_fd > 2)
            close(log_fd);
        log_fd = 2;
        free(log_path);
        log_path = NULL;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return -1;
    if (log_fd > 2)
        close(log_fd);
    log_fd = fd;
    if (log_path != path) {
        char *copy = strdup(path);
        free(log_path);
        log_path = copy;
    }
    return 0;
}

void log_reopen(void)
{
    if (log_path && log_open(log_path) < 0)
        log_error("cannot reopen %s: %s", log_path, strerror(errno));
}

static void log_vmsg(int level, const char *fmt, va_list ap)
{
    int saved = errno;
    char buf[2048];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    n += (size_t)snprintf(buf + n, sizeof buf - n, " tend[%d]: %s ", (int)getpid(),
                          level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    for (size_t off = 0; off < n;) {
        ssize_t w = write(log_fd, buf + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere left to complain to */
        off += (size_t)w;
    }
    errno = saved;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > log_level)
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
    exit(1);
}
