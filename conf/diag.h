/* diag.h - internal helpers around struct conf_diags (see conf.h). */
#ifndef TEND_CONF_DIAG_H
#define TEND_CONF_DIAG_H

#include "conf/conf.h"

/* Like conf_diag_add, but does nothing when the very same diagnostic
 * (severity, file, line, text) is already in D: a program with numprocs
 * copies is checked once per copy and must not repeat its messages. */
void cf_diag_once(struct conf_diags *d, enum conf_severity sev, const char *file,
                  int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
