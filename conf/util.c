/* util.c - allocation, string vectors, paths and did-you-mean for conf/. */
#include "conf/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(void)
{
    fputs("tend: out of memory\n", stderr);
    abort();
}

void *cf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *cf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *cf_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

void cf_grow(void *v, size_t *cap, size_t n, size_t size)
{
    void **pv = v;
    if (n < *cap)
        return;
    size_t nc = *cap ? *cap * 2 : 8;
    while (nc <= n)
        nc *= 2;
    *pv = cf_xrealloc(*pv, nc * size);
    memset((char *)*pv + *cap * size, 0, (nc - *cap) * size);
    *cap = nc;
}

char *cf_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    char *r = strdup(s);
    if (!r)
        oom();
    return r;
}

char *cf_xstrndup(const char *s, size_t n)
{
    char *r = strndup(s, n);
    if (!r)
        oom();
    return r;
}

char *cf_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *r;
    va_start(ap, fmt);
    int n = vasprintf(&r, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    return r;
}

void cf_strvec_push(struct cf_strvec *sv, char *s)
{
    cf_grow(&sv->v, &sv->cap, sv->n + 1, sizeof *sv->v);
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

char **cf_strvec_finish(struct cf_strvec *sv)
{
    char **v = sv->v ? sv->v : cf_xcalloc(1, sizeof *v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
    return v;
}

void cf_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

size_t cf_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

char **cf_strv_dup(char *const *v)
{
    if (!v)
        return NULL;
    size_t n = cf_strv_len(v);
    char **r = cf_xcalloc(n + 1, sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = cf_xstrdup(v[i]);
    return r;
}

char *cf_path_join(const char *dir, const char *path)
{
    if (path[0] == '/' || !dir || !dir[0])
        return cf_xstrdup(path);
    size_t dl = strlen(dir);
    if (dl && dir[dl - 1] == '/')
        return cf_xasprintf("%s%s", dir, path);
    return cf_xasprintf("%s/%s", dir, path);
}

char *cf_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return cf_xstrdup(".");
    while (slash > path && slash[-1] == '/')
        slash--;
    if (slash == path)
        return cf_xstrdup("/");
    return cf_xstrndup(path, (size_t)(slash - path));
}

/* Lexically drop "." and ".." components and doubled slashes, as
 * os.path.abspath does (symlinks are not resolved). */
static void normalize(char *p)
{
    char *out = p + 1, *in = p + 1;
    while (*in) {
        char *slash = strchr(in, '/');
        size_t len = slash ? (size_t)(slash - in) : strlen(in);
        if (len == 0 || (len == 1 && in[0] == '.')) {
            /* skip */
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            if (out > p + 1) {
                out--;                       /* the slash before */
                while (out > p + 1 && out[-1] != '/')
                    out--;
            }
        } else {
            memmove(out, in, len);
            out += len;
            if (slash)
                *out = '/';
            out++;
        }
        if (!slash)
            break;
        in += len + 1;
    }
    if (out > p + 1)
        out--;                               /* trailing slash */
    *out = '\0';
}

char *cf_abspath(const char *path)
{
    char *r;
    if (path[0] == '/') {
        r = cf_xstrdup(path);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return cf_xstrdup(path);
        r = cf_path_join(cwd, path);
        free(cwd);
    }
    normalize(r);
    return r;
}

size_t cf_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (size_t)-1;
    /* Optimal string alignment distance on a small stack table. */
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *cf_closest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    size_t len = strlen(word);
    /* One edit for short words, two for longer, three for long ones. */
    size_t limit = len <= 4 ? 1 : len <= 10 ? 2 : 3;
    for (const char *const *c = cands; *c; c++) {
        size_t dd = cf_edit_distance(word, *c);
        if (dd < bestd) {
            bestd = dd;
            best = *c;
        }
    }
    return bestd <= limit && bestd > 0 ? best : NULL;
}

char *cf_trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}
