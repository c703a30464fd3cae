/* expand.h - supervisord's %(name)s expansions (internal).
 *
 * "%(name)FMT" where FMT is printf-like flags, width, precision and one of
 * s, d, i; "%%" is a literal '%'. Any other '%' is an error (as in
 * supervisord, which feeds the value to Python's % operator). Names are the
 * variables given (ENV_X ones among them, for environment = lines, so that
 * they win) plus ENV_X for X in tend's own environment.
 */
#ifndef TEND_CONF_EXPAND_H
#define TEND_CONF_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

struct cf_var {
    const char *name;
    const char *str;    /* string value, or NULL for an integer */
    long num;
};

/* Returns the expanded string (malloc'd), or NULL with *err set (malloc'd).
 * VARS has NVARS entries. */
char *cf_expand(const char *s, const struct cf_var *vars, size_t nvars, char **err);

#endif
