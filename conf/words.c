/* words.c - shell-like word splitting, without a shell. */
#include "conf/words.h"
#include "conf/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct word { char *s; size_t n, cap; };

static void word_add(struct word *w, char c)
{
    if (w->n + 2 > w->cap) {
        w->cap = w->cap ? w->cap * 2 : 32;
        w->s = cf_xrealloc(w->s, w->cap);
    }
    w->s[w->n++] = c;
    w->s[w->n] = '\0';
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char **cf_split_words(const char *s, char **err)
{
    struct cf_strvec out = {0};
    struct word w = {0};
    bool inword = false;
    const char *p = s;
    while (*p) {
        char c = *p;
        if (blank(c)) {
            if (inword) {
                cf_strvec_push(&out, w.s ? w.s : cf_xstrdup(""));
                w = (struct word){0};
                inword = false;
            }
            p++;
            continue;
        }
        inword = true;
        if (c == '\\') {
            if (!p[1]) {
                *err = cf_xstrdup("the command ends with a lone backslash");
                goto fail;
            }
            if (p[1] != '\n')
                word_add(&w, p[1]);
            p += 2;
        } else if (c == '\'') {
            const char *e = strchr(p + 1, '\'');
            if (!e) {
                *err = cf_xstrdup("unterminated single quote in the command");
                goto fail;
            }
            word_add(&w, '\0');    /* "" still makes a word */
            w.n--;
            for (const char *q = p + 1; q < e; q++)
                word_add(&w, *q);
            p = e + 1;
        } else if (c == '"') {
            word_add(&w, '\0');
            w.n--;
            p++;
            for (;;) {
                if (!*p) {
                    *err = cf_xstrdup("unterminated double quote in the command");
                    goto fail;
                }
                if (*p == '"')
                    break;
                if (*p == '\\' && p[1] && strchr("\\\"$`\n", p[1])) {
                    if (p[1] != '\n')
                        word_add(&w, p[1]);
                    p += 2;
                    continue;
                }
                word_add(&w, *p++);
            }
            p++;
        } else {
            word_add(&w, c);
            p++;
        }
    }
    if (inword)
        cf_strvec_push(&out, w.s ? w.s : cf_xstrdup(""));
    else
        free(w.s);
    if (out.n == 0) {
        *err = cf_xstrdup("the command is empty");
        free(out.v);
        return NULL;
    }
    return cf_strvec_finish(&out);
fail:
    free(w.s);
    cf_strv_free(out.v);
    return NULL;
}

char *cf_join_words(char *const argv[])
{
    struct word w = {0};
    word_add(&w, '\0');
    w.n = 0;
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        if (i)
            word_add(&w, ' ');
        bool plain = *a != '\0';
        for (const char *q = a; *q; q++)
            if (!(strchr("-_./:=,+@%", *q) || (*q >= '0' && *q <= '9') ||
                  ((*q | 32) >= 'a' && (*q | 32) <= 'z')))
                plain = false;
        if (plain) {
            for (const char *q = a; *q; q++)
                word_add(&w, *q);
            continue;
        }
        word_add(&w, '\'');
        for (const char *q = a; *q; q++) {
            if (*q == '\'') {
                /* close, escaped quote, reopen */
                word_add(&w, '\'');
                word_add(&w, '\\');
                word_add(&w, '\'');
            }
            word_add(&w, *q);
        }
        word_add(&w, '\'');
    }
    return w.s;
}
