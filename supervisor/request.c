/* request.c - parse and format control requests and status records. */
#include "request.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verb_names[VERB_COUNT] = {
    [VERB_STATUS] = "status",   [VERB_START] = "start",       [VERB_STOP] = "stop",
    [VERB_RESTART] = "restart", [VERB_SIGNAL] = "signal",     [VERB_PID] = "pid",
    [VERB_RELOAD] = "reload",   [VERB_REOPEN] = "reopen",     [VERB_SHUTDOWN] = "shutdown",
    [VERB_VERSION] = "version", [VERB_WAIT] = "wait",         [VERB_LOGFILE] = "logfile",
    [VERB_METRICS] = "metrics",
};

/* Argument counts each verb accepts (max -1: unbounded). */
static const struct { int min, max; const char *usage; } verb_args[VERB_COUNT] = {
    [VERB_STATUS] = { 0, -1, "status [-j|-jl] [NAME...]" },
    [VERB_START] = { 1, -1, "start NAME...|all" },
    [VERB_STOP] = { 1, -1, "stop NAME...|all" },
    [VERB_RESTART] = { 1, -1, "restart NAME...|all" },
    [VERB_SIGNAL] = { 2, -1, "signal SIG NAME...|all" },
    [VERB_PID] = { 0, -1, "pid [NAME...]" },
    [VERB_RELOAD] = { 0, 0, "reload" },
    [VERB_REOPEN] = { 0, 0, "reopen" },
    [VERB_SHUTDOWN] = { 0, 0, "shutdown" },
    [VERB_VERSION] = { 0, 0, "version" },
    [VERB_WAIT] = { 2, 3, "wait NAME STATE [SECONDS]" },
    [VERB_LOGFILE] = { 1, 2, "logfile NAME [stdout|stderr]" },
    [VERB_METRICS] = { 0, 0, "metrics" },
};

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

int request_verb(const char *s)
{
    for (int i = 0; i < VERB_COUNT; i++)
        if (strcmp(s, verb_names[i]) == 0)
            return i;
    return -1;
}

const char *request_verb_name(enum req_verb v)
{
    return (unsigned)v < VERB_COUNT ? verb_names[v] : "?";
}

bool request_reply_path_ok(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    size_t n = strlen(path);
    if (n >= PATH_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f || c == ' ')
            return false;
    }
    return true;
}

/* Printable copy of a word for an error message (clipped, controls shown as ?). */
static void clip(char *dst, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 4 < size && i < 64; i++)
        dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (s[i] && i + 4 <= size) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

int request_parse(const char *line, size_t len, struct request *r, char *err, size_t errlen)
{
    r->reply = NULL;
    r->verb_name = NULL;
    r->argc = 0;
    r->argv[0] = NULL;
    if (len >= REQ_MAX) {
        snprintf(err, errlen, "request longer than %d bytes", REQ_MAX - 1);
        return -1;
    }
    if (len > 0 && line[len - 1] == '\r')   /* tolerate CRLF from odd shells */
        len--;
    if (memchr(line, '\0', len)) {
        snprintf(err, errlen, "request contains a NUL byte");
        return -1;
    }
    memcpy(r->buf, line, len);
    r->buf[len] = '\0';

    char *words[REQ_MAXARGS + 3];
    int n = 0;
    char *p = r->buf;
    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        if (n == REQ_MAXARGS + 2) {
            snprintf(err, errlen, "too many arguments (at most %d)", REQ_MAXARGS);
            return -1;
        }
        words[n++] = p;
        while (*p && !is_blank(*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    if (n == 0)
        return 1;

    int w = 0;
    if (words[0][0] == '@') {
        if (!request_reply_path_ok(words[0] + 1)) {
            char c[80];
            clip(c, sizeof c, words[0] + 1);
            snprintf(err, errlen, "invalid reply FIFO '%s' (need an absolute path)", c);
            return -1;
        }
        r->reply = words[0] + 1;
        w = 1;
        if (n == 1) {
            snprintf(err, errlen, "missing verb");
            return -1;
        }
    }
    for (char *c = r->buf; c < r->buf + len; c++) {
        if (*c && ((unsigned char)*c < 0x20 && *c != '\t')) {
            snprintf(err, errlen, "request contains control characters");
            return -1;
        }
    }
    int v = request_verb(words[w]);
    if (v < 0) {
        char c[80];
        clip(c, sizeof c, words[w]);
        snprintf(err, errlen, "unknown verb '%s' (try status, start, stop, restart, signal, "
                 "pid, reload, reopen, shutdown, version, wait, logfile)", c);
        return -1;
    }
    r->verb = (enum req_verb)v;
    r->verb_name = verb_names[v];
    r->argc = n - w - 1;
    if (r->argc > REQ_MAXARGS) {
        snprintf(err, errlen, "too many arguments (at most %d)", REQ_MAXARGS);
        return -1;
    }
    for (int i = 0; i < r->argc; i++)
        r->argv[i] = words[w + 1 + i];
    r->argv[r->argc] = NULL;
    if (r->argc < verb_args[v].min || (verb_args[v].max >= 0 && r->argc > verb_args[v].max)) {
        snprintf(err, errlen, "usage: %s", verb_args[v].usage);
        return -1;
    }
    return 0;
}

static bool word_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return false;
    return true;
}

int request_format(char *buf, size_t size, const char *reply, const char *verb,
                   char *const argv[], int argc)
{
    size_t limit = size < REQ_MAX + 1 ? size : REQ_MAX + 1;
    size_t n = 0;
    if (reply && !request_reply_path_ok(reply)) {
        errno = EINVAL;
        return -1;
    }
    if (!word_ok(verb)) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (!word_ok(argv[i])) {
            errno = EINVAL;
            return -1;
        }
    }
#define PUT(s) do { size_t l_ = strlen(s); \
        if (n + l_ + 2 > limit) { errno = E2BIG; return -1; } \
        memcpy(buf + n, (s), l_); n += l_; } while (0)
    if (reply) {
        PUT("@");
        PUT(reply);
        PUT(" ");
    }
    PUT(verb);
    for (int i = 0; i < argc; i++) {
        PUT(" ");
        PUT(argv[i]);
    }
#undef PUT
    buf[n++] = '\n';
    buf[n] = '\0';
    return (int)n;
}

/* ---- status records ---- */

static bool parse_long(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int status_rec_parse(char *line, struct status_rec *r)
{
    char *f[14];
    int n = 0;
    char *p = line;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\n')
        line[--len] = '\0';
    for (;;) {
        if (n == 14)
            return -1;
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    if (n < 9 || !*f[0] || !*f[1])
        return -1;
    long long v;
    r->name = f[0];
    r->state = f[1];
    if (!parse_long(f[2], 0, INT32_MAX, &v))
        return -1;
    r->pid = (long)v;
    r->exit = f[3];
    if (!parse_long(f[4], 0, UINT32_MAX, &v))
        return -1;
    r->restarts = (unsigned long)v;
    if (!parse_long(f[5], 0, INT64_MAX, &v))
        return -1;
    r->since = v;
    if (strcmp(f[6], "0") && strcmp(f[6], "1"))
        return -1;
    r->fine = f[6][0] == '1';
    r->desc = f[7];
    r->text = f[8];
    r->health = n > 9 ? f[9] : f[8] + strlen(f[8]); /* "" */
    r->has_usage = r->has_memory_current = false;
    if (n == 13 || n == 14) {   /* status -jl: CPU RSS PROCS [MEMORY_CURRENT] */
        char *end;
        errno = 0;
        double cpu = strtod(f[10], &end);
        if (errno || end == f[10] || *end || !(cpu >= 0 && cpu < 1e15))
            return -1;              /* NaN, inf and absurd figures too */
        if (!parse_long(f[11], 0, INT64_MAX, &v))
            return -1;
        r->rss_bytes = (unsigned long long)v;
        long long procs;
        if (!parse_long(f[12], 0, UINT32_MAX, &procs))
            return -1;
        r->procs = (unsigned long)procs;
        r->cpu_seconds = cpu;
        r->has_usage = true;
        if (n == 14) {
            if (!parse_long(f[13], 0, INT64_MAX, &v))
                return -1;
            r->memory_current = (unsigned long long)v;
            r->has_memory_current = true;
        }
    } else if (n > 10) {
        return -1;
    }
    return 0;
}

/* Copy S into BUF at *N with controls and TABs made spaces. */
static bool put_clean(char *buf, size_t size, size_t *n, const char *s)
{
    for (; s && *s; s++) {
        if (*n + 1 >= size)
            return false;
        unsigned char c = (unsigned char)*s;
        buf[(*n)++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    buf[*n] = '\0';
    return true;
}

int status_rec_format(char *buf, size_t size, const struct status_rec *r)
{
    if (size == 0)
        return -1;
    size_t n = 0;
    char num[96];
    buf[0] = '\0';
    if (!put_clean(buf, size, &n, r->name) || n + 1 >= size)
        return -1;
    buf[n++] = '\t';
    if (!put_clean(buf, size, &n, r->state))
        return -1;
    snprintf(num, sizeof num, "\t%ld\t", r->pid);
    if (!put_clean(buf, size, &n, "") || n + strlen(num) >= size)
        return -1;
    memcpy(buf + n, num, strlen(num));
    n += strlen(num);
    if (!put_clean(buf, size, &n, r->exit && *r->exit ? r->exit : "-"))
        return -1;
    snprintf(num, sizeof num, "\t%lu\t%lld\t%d\t", r->restarts, r->since, r->fine ? 1 : 0);
    if (n + strlen(num) >= size)
        return -1;
    memcpy(buf + n, num, strlen(num));
    n += strlen(num);
    if (!put_clean(buf, size, &n, r->desc) || n + 1 >= size)
        return -1;
    buf[n++] = '\t';
    buf[n] = '\0';
    if (!put_clean(buf, size, &n, r->text) || n + 1 >= size)
        return -1;
    buf[n++] = '\t';
    buf[n] = '\0';
    if (!put_clean(buf, size, &n, r->health ? r->health : ""))
        return -1;
    if (r->has_usage) {
        int k = snprintf(num, sizeof num, "\t%.2f\t%llu\t%lu", r->cpu_seconds, r->rss_bytes,
                         r->procs);
        if (k < 0 || (size_t)k >= sizeof num || n + (size_t)k >= size)
            return -1;
        memcpy(buf + n, num, strlen(num));
        n += strlen(num);
        if (r->has_memory_current) {
            k = snprintf(num, sizeof num, "\t%llu", r->memory_current);
            if (k < 0 || (size_t)k >= sizeof num || n + (size_t)k >= size)
                return -1;
            memcpy(buf + n, num, strlen(num));
            n += strlen(num);
        }
    }
    buf[n] = '\0';
    return (int)n;
}

int status_rec_usage_text(char *buf, size_t size, const struct status_rec *r)
{
    if (!r->has_usage)
        return snprintf(buf, size, "%s", "");
    double b = (double)r->rss_bytes;
    const char *unit = "B";
    if (r->rss_bytes >= 1024ULL * 1024 * 1024) {
        b /= 1024.0 * 1024 * 1024;
        unit = "GB";
    } else if (r->rss_bytes >= 1024ULL * 1024) {
        b /= 1024.0 * 1024;
        unit = "MB";
    } else if (r->rss_bytes >= 1024) {
        b /= 1024.0;
        unit = "KB";
    }
    int n = unit[0] == 'B' ? snprintf(buf, size, "  cpu=%.2fs rss=%lluB procs=%lu", r->cpu_seconds,
                                      r->rss_bytes, r->procs)
                           : snprintf(buf, size, "  cpu=%.2fs rss=%.1f%s procs=%lu",
                                      r->cpu_seconds, b, unit, r->procs);
    if (n >= 0 && (size_t)n < size && r->has_memory_current) {
        int k = snprintf(buf + n, size - (size_t)n, " mem=%.1fMB",
                         (double)r->memory_current / (1024.0 * 1024));
        n = k < 0 ? k : n + k;
    }
    return n < 0 || (size_t)n >= size ? -1 : n;
}

int status_name_width(size_t namelen)
{
    if (namelen < 30)
        namelen = 30;
    if (namelen > 1000)
        namelen = 1000;
    return (int)namelen + 3;
}

int status_rec_text(char *buf, size_t size, const struct status_rec *r, int namewidth)
{
    int n;
    if (r->text && *r->text)
        n = snprintf(buf, size, "%-*s%-10s%s \"%s\"", namewidth, r->name, r->state, r->desc,
                     r->text);
    else
        n = snprintf(buf, size, "%-*s%-10s%s", namewidth, r->name, r->state, r->desc);
    /* no trailing blanks when the description is empty */
    if (n >= 0 && (size_t)n < size)
        while (n > 0 && buf[n - 1] == ' ')
            buf[--n] = '\0';
    return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Append S as a JSON string. */
static bool json_str(char *buf, size_t size, size_t *n, const char *s)
{
    char tmp[8];
    if (*n + 1 >= size)
        return false;
    buf[(*n)++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *out = tmp;
        if (c == '"')
            out = "\\\"";
        else if (c == '\\')
            out = "\\\\";
        else if (c < 0x20)
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
        else {
            tmp[0] = (char)c;
            tmp[1] = '\0';
        }
        size_t l = strlen(out);
        if (*n + l + 1 >= size)
            return false;
        memcpy(buf + *n, out, l);
        *n += l;
    }
    if (*n + 2 >= size)
        return false;
    buf[(*n)++] = '"';
    buf[*n] = '\0';
    return true;
}

static bool json_raw(char *buf, size_t size, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l + 1 >= size)
        return false;
    memcpy(buf + *n, s, l + 1);
    *n += l;
    return true;
}

int status_rec_json(char *buf, size_t size, const struct status_rec *r)
{
    size_t n = strnlen(buf, size);
    char num[160];
    long long code;
    if (n >= size)
        return -1;
    bool ok = json_raw(buf, size, &n, "{\"name\": ") && json_str(buf, size, &n, r->name)
        && json_raw(buf, size, &n, ", \"state\": ") && json_str(buf, size, &n, r->state);
    snprintf(num, sizeof num, ", \"pid\": %ld, \"exit\": ", r->pid);
    ok = ok && json_raw(buf, size, &n, num);
    if (!r->exit || !*r->exit || strcmp(r->exit, "-") == 0)
        ok = ok && json_raw(buf, size, &n, "null");
    else if (parse_long(r->exit, 0, 255, &code)) {
        snprintf(num, sizeof num, "%lld", code);
        ok = ok && json_raw(buf, size, &n, num);
    } else
        ok = ok && json_str(buf, size, &n, r->exit);
    snprintf(num, sizeof num, ", \"restarts\": %lu, \"since\": %lld, \"ok\": %s",
             r->restarts, r->since, r->fine ? "true" : "false");
    ok = ok && json_raw(buf, size, &n, num)
        && json_raw(buf, size, &n, ", \"description\": ") && json_str(buf, size, &n, r->desc)
        && json_raw(buf, size, &n, ", \"status_text\": ")
        && json_str(buf, size, &n, r->text ? r->text : "")
        && json_raw(buf, size, &n, ", \"health\": ");
    if (r->health && *r->health)
        ok = ok && json_str(buf, size, &n, r->health);
    else
        ok = ok && json_raw(buf, size, &n, "null");
    if (r->has_usage) {
        int k = snprintf(num, sizeof num,
                         ", \"cpu_seconds\": %.2f, \"rss_bytes\": %llu, \"procs\": %lu",
                         r->cpu_seconds, r->rss_bytes, r->procs);
        ok = ok && k > 0 && (size_t)k < sizeof num && json_raw(buf, size, &n, num);
        if (r->has_memory_current) {
            k = snprintf(num, sizeof num, ", \"memory_current_bytes\": %llu", r->memory_current);
            ok = ok && k > 0 && (size_t)k < sizeof num && json_raw(buf, size, &n, num);
        }
    }
    ok = ok && json_raw(buf, size, &n, "}");
    return ok ? (int)n : -1;
}

int reply_final(const char *line)
{
    if (strcmp(line, "ok") == 0)
        return 1;
    if (strncmp(line, "error:", 6) == 0)
        return -1;
    return 0;
}
