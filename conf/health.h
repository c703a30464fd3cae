/* health.h - the keys of readiness and health probes, the restart policy
 * and environment files (issue 14), for build.c and model.c (internal).
 *
 * build.c hands each key here first; whatever is not one of these keys is
 * left to it. Errors and warnings go to D at the key's FILE:LINE.
 */
#ifndef TEND_CONF_HEALTH_H
#define TEND_CONF_HEALTH_H

#include "conf/conf.h"

/* "0.5", "10", "1.25": seconds with at most three decimals, as
 * milliseconds in [MIN_MS, MAX_MS]. Returns 0 or -1 (OUT untouched). */
int cf_parse_ms(const char *s, long min_ms, long max_ms, int *out);

/* The defaults of the contract, the part cf_process_init does not know. */
void cf_health_init(struct process_config *p);
void cf_health_free(struct process_config *p);
bool cf_health_same(const struct process_config *a, const struct process_config *b);
/* Lines for --check -v: ready_interval, healthcheck_*, restart policy,
 * environment_file. */
void cf_health_dump(const struct process_config *p, FILE *out);

/* A [program:x] key (value V already expanded; DIR resolves relative
 * paths). Returns false when KEY is not one of ours (nor `ready = PROBE`:
 * `ready = startsecs|notify` and anything unknown is left to the caller). */
bool cf_health_key(struct process_config *p, const char *key, const char *v, const char *file,
                   int line, const char *dir, struct conf_diags *d);
/* [supervisor] environment_file; false for any other key. */
bool cf_supervisor_health_key(struct tend_config *c, const char *key, const char *v,
                              const char *file, int line, const char *dir,
                              struct conf_diags *d);
/* After every key of a copy: OWN is the program's own environment =;
 * puts [supervisor]'s environment files before the program's; startsecs
 * defaults to 90 with ready = PROBE (when STARTSECS_SET is false). */
/* Read PATH (an environment_file entry) only to check it: 0 when it is
 * fine or optional and missing, 1 when a required file is missing (a
 * warning at load time: it may appear before the program starts), -1 for
 * any other problem (an error). ERR as conf_envfile_read. */
int cf_envfile_check(const char *path, char *err, size_t errlen);

void cf_health_finish(const struct tend_config *c, struct process_config *p,
                      const struct env_list *own, bool startsecs_set);

#endif
