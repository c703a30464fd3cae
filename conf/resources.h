/* resources.h - the keys of issue 18 (rlimit_*, nice, oom_score_adj,
 * memory_limit, memory_check_interval; [supervisor] minfds, minprocs), for
 * build.c and model.c (internal).
 *
 * build.c hands each key here first; whatever is not one of these keys is
 * left to it. Errors go to D at the key's FILE:LINE.
 */
#ifndef TEND_CONF_RESOURCES_H
#define TEND_CONF_RESOURCES_H

#include "conf/conf.h"

void cf_resources_init(struct process_config *p);
bool cf_resources_same(const struct process_config *a, const struct process_config *b);
/* Lines for --check -v, only for the keys that are set. */
void cf_resources_dump(const struct process_config *p, FILE *out);

/* A [program:x] key (value V already expanded). False when not ours. */
bool cf_resources_key(struct process_config *p, const char *key, const char *v,
                      const char *file, int line, struct conf_diags *d);
/* [supervisor] minfds / minprocs. False for any other key. */
bool cf_supervisor_resources_key(struct tend_config *c, const char *key, const char *v,
                                 const char *file, int line, struct conf_diags *d);

/* True when the raw VALUE of KEY is taken as written, without %(...)s
 * expansion: cpu_max's share "50%" (a lone '%' would be an expansion error). */
bool cf_resources_literal(const char *key, const char *value);

/* "1024", "64MB", "unlimited" as one rlimit value (sizes only when SIZED).
 * 0 or -1. */
int cf_parse_rlim(const char *s, bool sized, uint64_t *out);

#endif
