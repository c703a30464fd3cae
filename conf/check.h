/* check.h - cross checks over all processes once every section is read
 * (internal): duplicate process names, the main program, and depends_on
 * (unknown names with a did-you-mean, cycles named "a -> b -> a").
 */
#ifndef TEND_CONF_CHECK_H
#define TEND_CONF_CHECK_H

#include "conf/conf.h"

/* What the checks need besides the model, one per c->procs entry. */
struct cf_procinfo {
    char *depends_on;       /* expanded value as written, NULL when unset */
    char *depends_file;     /* file of the depends_on key (not owned) */
    char *main_file;        /* file of the main key (not owned) */
};

/* Runs every check, reports into D, and fills each p->depends_on with the
 * fullnames the names resolve to. */
void cf_check_procs(struct tend_config *c, const struct cf_procinfo *info,
                    struct conf_diags *d);

#endif
