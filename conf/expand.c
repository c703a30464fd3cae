/* expand.c - %(name)s expansion with printf-style flags and width. */
#include "conf/expand.h"
#include "conf/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf { char *s; size_t n, cap; };

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = cf_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static const struct cf_var *lookup(const char *name, const struct cf_var *vars, size_t n,
                                   struct cf_var *envvar)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vars[i].name, name))
            return &vars[i];
    if (!strncmp(name, "ENV_", 4) && name[4]) {
        const char *v = getenv(name + 4);
        if (v) {
            envvar->name = name;
            envvar->str = v;
            return envvar;
        }
    }
    return NULL;
}

static char *unknown(const char *name, const struct cf_var *vars, size_t n)
{
    if (!strncmp(name, "ENV_", 4))
        return cf_xasprintf("%%(%s)s: %s is not set in tend's environment, nor by an "
                            "environment line this value sees", name, name + 4);
    const char *cands[16];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 15; i++)
        cands[k++] = vars[i].name;
    cands[k] = NULL;
    const char *near = cf_closest(name, cands);
    if (near)
        return cf_xasprintf("unknown expansion %%(%s); did you mean %%(%s)?", name, near);
    return cf_xasprintf("unknown expansion %%(%s)", name);
}

char *cf_expand(const char *s, const struct cf_var *vars, size_t nvars, char **err)
{
    struct buf b = {0};
    buf_add(&b, "", 0);
    const char *p = s;
    while (*p) {
        const char *pc = strchr(p, '%');
        if (!pc) {
            buf_add(&b, p, strlen(p));
            break;
        }
        buf_add(&b, p, (size_t)(pc - p));
        if (pc[1] == '%') {
            buf_add(&b, "%", 1);
            p = pc + 2;
            continue;
        }
        if (pc[1] != '(') {
            *err = cf_xasprintf("'%%' must start %%(name)s or be doubled as %%%% (at '%.10s')", pc);
            goto fail;
        }
        const char *nm = pc + 2, *close = strchr(nm, ')');
        if (!close) {
            *err = cf_xasprintf("unterminated %%( at '%.20s'", pc);
            goto fail;
        }
        char *name = cf_xstrndup(nm, (size_t)(close - nm));
        /* Conversion spec: flags, width, precision, then s/d/i. */
        const char *q = close + 1;
        char spec[32];
        size_t sl = 0;
        spec[sl++] = '%';
        while (*q && strchr("-0 +#", *q) && sl < 8)
            spec[sl++] = *q++;
        size_t digits = 0;
        while (*q >= '0' && *q <= '9' && digits < 4 && sl < 16) {
            spec[sl++] = *q++;
            digits++;
        }
        if (*q == '.') {
            spec[sl++] = *q++;
            digits = 0;
            while (*q >= '0' && *q <= '9' && digits < 4 && sl < 24) {
                spec[sl++] = *q++;
                digits++;
            }
        }
        char conv = *q;
        if (conv != 's' && conv != 'd' && conv != 'i') {
            *err = cf_xasprintf("%%(%s) must be followed by a format such as s or d", name);
            free(name);
            goto fail;
        }
        q++;
        struct cf_var envvar;
        const struct cf_var *v = lookup(name, vars, nvars, &envvar);
        if (!v) {
            *err = unknown(name, vars, nvars);
            free(name);
            goto fail;
        }
        char *out = NULL;
        if (conv == 's') {
            spec[sl++] = 's';
            spec[sl] = '\0';
            char num[32];
            const char *str = v->str;
            if (!str) {
                snprintf(num, sizeof num, "%ld", v->num);
                str = num;
            }
            if (asprintf(&out, spec, str) < 0)
                out = NULL;
        } else {
            if (v->str) {
                *err = cf_xasprintf("%%(%s)%c needs a number, but %s is a string "
                                    "(use %%(%s)s)", name, conv, name, name);
                free(name);
                goto fail;
            }
            spec[sl++] = 'l';
            spec[sl++] = 'd';
            spec[sl] = '\0';
            if (asprintf(&out, spec, v->num) < 0)
                out = NULL;
        }
        free(name);
        if (!out)
            abort();
        buf_add(&b, out, strlen(out));
        free(out);
        p = q;
    }
    return b.s;
fail:
    free(b.s);
    return NULL;
}
