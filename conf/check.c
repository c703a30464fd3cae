/* check.c - checks across programs: names, main, depends_on. */
#include "conf/check.h"
#include "conf/diag.h"
#include "conf/util.h"

#include <stdlib.h>
#include <string.h>

static void check_names(struct tend_config *c, struct conf_diags *d)
{
    for (size_t i = 0; i < c->nprocs; i++) {
        struct process_config *p = &c->procs[i];
        for (size_t j = 0; j < i; j++) {
            struct process_config *q = &c->procs[j];
            if (!strcmp(p->fullname, q->fullname)) {
                cf_diag_once(d, CONF_ERROR, p->file, p->line,
                             "process name '%s' is already used by [program:%s] (%s:%d)",
                             p->fullname, q->program, q->file, q->line);
                break;
            }
        }
    }
}

static void check_main(struct tend_config *c, const struct cf_procinfo *info,
                       struct conf_diags *d)
{
    size_t first = c->nprocs;
    for (size_t i = 0; i < c->nprocs; i++) {
        struct process_config *p = &c->procs[i];
        if (!p->main)
            continue;
        if (p->numprocs > 1)
            cf_diag_once(d, CONF_ERROR, info[i].main_file, p->line_main,
                         "main = true needs numprocs = 1 ([program:%s] has %d)", p->program,
                         p->numprocs);
        if (first == c->nprocs)
            first = i;
        else if (strcmp(c->procs[first].program, p->program))
            cf_diag_once(d, CONF_ERROR, info[i].main_file, p->line_main,
                         "only one program may have main = true ([program:%s] has it too, %s:%d)",
                         c->procs[first].program, info[first].main_file,
                         c->procs[first].line_main);
    }
}

/* Program-level graph: an edge a -> b when a program a process depends on
 * b's processes. Copies of one program share their depends_on, so a cycle
 * among processes is a cycle among programs, and naming programs reads
 * better. */
struct graph {
    struct tend_config *c;
    const char **prog;      /* distinct program names */
    size_t nprog;
    size_t *first;          /* a process index of each program */
    bool *edge;             /* nprog x nprog */
};

static size_t prog_index(const struct graph *g, const char *name)
{
    for (size_t i = 0; i < g->nprog; i++)
        if (!strcmp(g->prog[i], name))
            return i;
    return (size_t)-1;
}

/* Depth-first search; on a back edge write the cycle into D. */
static bool dfs(struct graph *g, size_t v, int *color, size_t *stack, size_t depth,
                const struct cf_procinfo *info, struct conf_diags *d)
{
    color[v] = 1;
    stack[depth] = v;
    for (size_t w = 0; w < g->nprog; w++) {
        if (!g->edge[v * g->nprog + w])
            continue;
        if (color[w] == 1) {
            size_t from = 0;
            while (stack[from] != w)
                from++;
            size_t len = 0;
            for (size_t k = from; k <= depth; k++)
                len += strlen(g->prog[stack[k]]) + 4;
            len += strlen(g->prog[w]) + 1;
            char *msg = cf_xmalloc(len);
            msg[0] = '\0';
            for (size_t k = from; k <= depth; k++) {
                strcat(msg, g->prog[stack[k]]);
                strcat(msg, " -> ");
            }
            strcat(msg, g->prog[w]);
            const struct process_config *p = &g->c->procs[g->first[w]];
            cf_diag_once(d, CONF_ERROR, info[g->first[w]].depends_file ? info[g->first[w]].depends_file : p->file,
                         p->line_depends_on, "depends_on forms a cycle: %s", msg);
            free(msg);
            color[v] = 2;
            return true;
        }
        if (color[w] == 0 && dfs(g, w, color, stack, depth + 1, info, d)) {
            color[v] = 2;
            return true;
        }
    }
    color[v] = 2;
    return false;
}

static void resolve_depends(struct tend_config *c, const struct cf_procinfo *info,
                            struct conf_diags *d)
{
    struct graph g = {.c = c};
    g.prog = cf_xcalloc(c->nprocs + 1, sizeof *g.prog);
    g.first = cf_xcalloc(c->nprocs + 1, sizeof *g.first);
    for (size_t i = 0; i < c->nprocs; i++) {
        if (prog_index(&g, c->procs[i].program) == (size_t)-1) {
            g.first[g.nprog] = i;
            g.prog[g.nprog++] = c->procs[i].program;
        }
    }
    g.edge = cf_xcalloc(g.nprog * g.nprog + 1, sizeof *g.edge);

    /* Candidates for did-you-mean: program names and fullnames. */
    const char **cands = cf_xcalloc(g.nprog + c->nprocs + 1, sizeof *cands);
    size_t nc = 0;
    for (size_t i = 0; i < g.nprog; i++)
        cands[nc++] = g.prog[i];
    for (size_t i = 0; i < c->nprocs; i++)
        if (strcmp(c->procs[i].fullname, c->procs[i].program))
            cands[nc++] = c->procs[i].fullname;
    cands[nc] = NULL;

    for (size_t i = 0; i < c->nprocs; i++) {
        struct process_config *p = &c->procs[i];
        struct cf_strvec deps = {0};
        const char *file = info[i].depends_file ? info[i].depends_file : p->file;
        if (info[i].depends_on) {
            char *copy = cf_xstrdup(info[i].depends_on), *save = NULL;
            for (char *w = strtok_r(copy, ", \t\n", &save); w; w = strtok_r(NULL, ", \t\n", &save)) {
                bool found = false;
                size_t pi = prog_index(&g, p->program);
                for (size_t j = 0; j < c->nprocs; j++) {
                    struct process_config *q = &c->procs[j];
                    if (strcmp(q->program, w) && strcmp(q->fullname, w))
                        continue;
                    found = true;
                    g.edge[pi * g.nprog + prog_index(&g, q->program)] = true;
                    bool dup = false;
                    for (size_t k = 0; k < deps.n; k++)
                        dup = dup || !strcmp(deps.v[k], q->fullname);
                    if (!dup)
                        cf_strvec_push(&deps, cf_xstrdup(q->fullname));
                }
                if (!found) {
                    const char *near = cf_closest(w, cands);
                    cf_diag_once(d, CONF_ERROR, file, p->line_depends_on,
                                 "depends_on: no program named '%s'%s%s%s", w,
                                 near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
                }
            }
            free(copy);
        }
        cf_strv_free(p->depends_on);
        p->depends_on = cf_strvec_finish(&deps);
    }

    int *color = cf_xcalloc(g.nprog + 1, sizeof *color);
    size_t *stack = cf_xcalloc(g.nprog + 1, sizeof *stack);
    for (size_t v = 0; v < g.nprog; v++)
        if (color[v] == 0)
            dfs(&g, v, color, stack, 0, info, d);
    free(color);
    free(stack);
    free(cands);
    free(g.prog);
    free(g.first);
    free(g.edge);
}

void cf_check_procs(struct tend_config *c, const struct cf_procinfo *info,
                    struct conf_diags *d)
{
    check_names(c, d);
    check_main(c, info, d);
    resolve_depends(c, info, d);
}
