/* envfile.c - environment_file: KEY=VALUE files, read at each start.
 *
 * The daemon calls this between spawns, so nothing here aborts on out of
 * memory (as conf/'s loading helpers do): it fails the start instead.
 * Values may be secrets: no message ever quotes a value, or a line.
 */
#include "conf/health.h"
#include "conf/values.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENVFILE_MAX (1024 * 1024)   /* a bigger "environment" is a mistake */

void conf_env_free(struct env_list *e)
{
    cf_env_free(e);
}

/* Set KEY (KLEN bytes) to VALUE (taken over), replacing an earlier one. */
static int env_put(struct env_list *e, const char *key, size_t klen, char *value)
{
    for (size_t i = 0; i < e->n; i++)
        if (strlen(e->v[i].key) == klen && !memcmp(e->v[i].key, key, klen)) {
            free(e->v[i].value);
            e->v[i].value = value;
            return 0;
        }
    char *k = strndup(key, klen);
    struct env_var *v = k ? realloc(e->v, (e->n + 1) * sizeof *v) : NULL;
    if (!v) {
        free(k);
        free(value);
        return -1;
    }
    e->v = v;
    e->v[e->n].key = k;
    e->v[e->n].value = value;
    e->n++;
    return 0;
}

static int env_put_str(struct env_list *e, const char *key, const char *value)
{
    char *v = strdup(value);
    return v ? env_put(e, key, strlen(key), v) : -1;
}

/* A growing value. */
struct val { char *s; size_t n, cap; bool oom; };

static void val_add(struct val *v, char c)
{
    if (v->oom)
        return;
    if (v->n + 2 > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        char *s = realloc(v->s, cap);
        if (!s) {
            v->oom = true;
            return;
        }
        v->s = s;
        v->cap = cap;
    }
    v->s[v->n++] = c;
    v->s[v->n] = '\0';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static bool key_start(char c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool key_char(char c)
{
    return key_start(c) || (c >= '0' && c <= '9');
}

/* Parse BUF (LEN bytes, no NUL inside). Returns 0, or -1 with *LINE and
 * *WHY set (a static text). */
static int parse(const char *buf, size_t len, struct env_list *out, int *line, const char **why)
{
    const char *p = buf, *end = buf + len;
    int ln = 1;
    while (p < end) {
        while (p < end && is_blank(*p))
            p++;
        if (p == end)
            break;
        if (*p == '\n') {
            ln++, p++;
            continue;
        }
        if (*p == '#') {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        *line = ln;
        if (end - p > 7 && !memcmp(p, "export", 6) && (p[6] == ' ' || p[6] == '\t')) {
            p += 6;
            while (p < end && is_blank(*p))
                p++;
        }
        const char *key = p;
        if (p < end && key_start(*p))
            for (p++; p < end && key_char(*p); p++)
                ;
        size_t klen = (size_t)(p - key);
        while (p < end && is_blank(*p))
            p++;
        if (p == end || *p != '=' || klen == 0) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            const char *eq = memchr(key, '=', (size_t)((eol ? eol : end) - key));
            *why = eq ? "invalid variable name (letters, digits and '_', not starting with "
                        "a digit)"
                      : "expected KEY=VALUE";
            return -1;
        }
        p++;
        while (p < end && is_blank(*p))
            p++;
        struct val v = {0};
        val_add(&v, '\0');       /* an empty value is a value */
        v.n = 0;
        if (p < end && (*p == '\'' || *p == '"')) {
            char q = *p++;
            bool closed = false;
            while (p < end) {
                char c = *p++;
                if (c == q) {
                    closed = true;
                    break;
                }
                if (c == '\n')
                    ln++;
                if (q == '"' && c == '\\' && p < end) {
                    char e = *p++;
                    if (e == 'n')
                        c = '\n';
                    else if (e == '"' || e == '\\' || e == '$')
                        c = e;
                    else if (e == '\n') {    /* a line continued */
                        ln++;
                        continue;
                    } else {
                        val_add(&v, '\\');   /* unknown escapes stay as written */
                        c = e;
                    }
                }
                val_add(&v, c);
            }
            if (!closed) {
                free(v.s);
                *why = q == '"' ? "unterminated double quote" : "unterminated single quote";
                return -1;
            }
            while (p < end && is_blank(*p))
                p++;
            if (p < end && *p == '#')
                while (p < end && *p != '\n')
                    p++;
            if (p < end && *p != '\n') {
                free(v.s);
                *line = ln;
                *why = "unexpected text after the closing quote";
                return -1;
            }
        } else {
            const char *start = p;
            while (p < end && *p != '\n' && !(*p == '#' && p > start && is_blank(p[-1])))
                p++;
            const char *vend = p;
            while (vend > start && is_blank(vend[-1]))
                vend--;
            for (const char *c = start; c < vend; c++)
                val_add(&v, *c);
            while (p < end && *p != '\n')
                p++;
        }
        if (v.oom || env_put(out, key, klen, v.s) < 0) {
            if (v.oom)
                free(v.s);
            *why = "out of memory";
            return -1;
        }
    }
    return 0;
}

/* Read PATH (a leading '-' is the optional mark) into OUT. *MISSING tells
 * a missing required file apart from other failures. */
static int envfile_read(const char *path, struct env_list *out, char *err, size_t errlen,
                        bool *missing)
{
    bool optional = path[0] == '-';
    const char *file = optional ? path + 1 : path;
    *missing = false;
    /* O_NONBLOCK: a FIFO must not hang tend (it is refused just below) */
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (optional && (e == ENOENT || e == ENOTDIR))
            return 0;
        *missing = e == ENOENT;
        snprintf(err, errlen, "%s: %s", file, strerror(e));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", file);
        close(fd);
        return -1;
    }
    if (st.st_size > ENVFILE_MAX) {
        snprintf(err, errlen, "%s: larger than 1 MiB", file);
        close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", file);
        close(fd);
        return -1;
    }
    size_t len = 0;
    for (;;) {
        /* the file may grow while we read: never past the limit */
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", file, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0 || (len += (size_t)n) == (size_t)st.st_size)
            break;
    }
    close(fd);
    buf[len] = '\0';
    int rc = 0, line = 0;
    const char *why = NULL;
    if (memchr(buf, '\0', len)) {
        snprintf(err, errlen, "%s: contains a NUL byte (not a text file)", file);
        rc = -1;
    } else if (parse(buf, len, out, &line, &why) < 0) {
        snprintf(err, errlen, "%s:%d: %s", file, line, why);
        rc = -1;
    }
    free(buf);
    return rc;
}

int conf_envfile_read(const char *path, struct env_list *out, char *err, size_t errlen)
{
    bool missing;
    return envfile_read(path, out, err, errlen, &missing);
}

int cf_envfile_check(const char *path, char *err, size_t errlen)
{
    struct env_list tmp = {0};
    bool missing;
    int rc = envfile_read(path, &tmp, err, errlen, &missing);
    conf_env_free(&tmp);
    return rc == 0 ? 0 : missing ? 1 : -1;
}

static int apply(struct env_list *out, const struct env_list *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (env_put_str(out, e->v[i].key, e->v[i].value) < 0)
            return -1;
    return 0;
}

int conf_env_resolve(const struct process_config *p, struct env_list *out, char *err,
                     size_t errlen)
{
    char *const *files = p->environment_files;
    size_t nfiles = 0;
    while (files && files[nfiles])
        nfiles++;
    size_t nsup = p->environment_files_nsup < nfiles ? p->environment_files_nsup : nfiles;
    out->v = NULL;
    out->n = 0;
    /* environment holds [supervisor]'s merged with the program's: applied
     * between the two lists of files, then the program's own once more on
     * top, each layer wins over the ones before it */
    for (size_t i = 0; i < nsup; i++)
        if (conf_envfile_read(files[i], out, err, errlen) < 0)
            goto fail;
    if (apply(out, &p->environment) < 0)
        goto oom;
    if (nfiles > nsup) {
        for (size_t i = nsup; i < nfiles; i++)
            if (conf_envfile_read(files[i], out, err, errlen) < 0)
                goto fail;
        if (apply(out, &p->environment_own) < 0)
            goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory reading the environment");
fail:
    conf_env_free(out);
    return -1;
}
