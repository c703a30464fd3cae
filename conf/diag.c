/* diag.c - collecting and printing configuration diagnostics. */
#include "conf/diag.h"
#include "conf/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void diag_push(struct conf_diags *d, enum conf_severity sev, const char *file,
                      int line, char *msg)
{
    cf_grow(&d->v, &d->cap, d->n, sizeof *d->v);
    struct conf_diag *g = &d->v[d->n++];
    g->severity = sev;
    g->file = cf_xstrdup(file);
    g->line = line;
    g->msg = msg;
    if (sev == CONF_ERROR)
        d->nerrors++;
    else
        d->nwarnings++;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *msg;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    return msg;
}

void conf_diag_add(struct conf_diags *d, enum conf_severity sev, const char *file,
                   int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    diag_push(d, sev, file, line, msg);
}

void cf_diag_once(struct conf_diags *d, enum conf_severity sev, const char *file,
                  int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = vformat(fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < d->n; i++) {
        const struct conf_diag *g = &d->v[i];
        if (g->severity == sev && g->line == line && !strcmp(g->msg, msg) &&
            ((!g->file && !file) || (g->file && file && !strcmp(g->file, file)))) {
            free(msg);
            return;
        }
    }
    diag_push(d, sev, file, line, msg);
}

void conf_diags_print(const struct conf_diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct conf_diag *g = &d->v[i];
        const char *sev = g->severity == CONF_ERROR ? "error" : "warning";
        if (g->file && g->line > 0)
            fprintf(out, "%s:%d: %s: %s\n", g->file, g->line, sev, g->msg);
        else if (g->file)
            fprintf(out, "%s: %s: %s\n", g->file, sev, g->msg);
        else
            fprintf(out, "%s: %s\n", sev, g->msg);
    }
}

void conf_diags_free(struct conf_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    memset(d, 0, sizeof *d);
}
