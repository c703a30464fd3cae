/* model.h - building blocks of the model shared by build.c and model.c
 * (internal). */
#ifndef TEND_CONF_MODEL_H
#define TEND_CONF_MODEL_H

#include "conf/conf.h"

#define CF_DEFAULT_MAXBYTES (50ULL * 1024 * 1024)
#define CF_DEFAULT_BACKUPS 10

/* A config with [supervisor] defaults except the paths (see cf_fill_paths). */
struct tend_config *cf_config_new(void);
/* Set rundir, control and childlogdir that are still NULL to their defaults. */
void cf_fill_paths(struct tend_config *c);
/* Every process default of the contract; names left NULL. */
void cf_process_init(struct process_config *p);
void cf_process_free(struct process_config *p);
/* Logging (issue 15): [supervisor]'s log_timestamp and log_format as P's
 * defaults (after cf_process_init); cf_log_finish, once P's keys are read,
 * gives each stream with syslog the socket path. */
void cf_log_defaults(const struct tend_config *c, struct process_config *p);
void cf_log_finish(const struct tend_config *c, struct process_config *p);
/* Sort c->procs by (order, group, priority, name), see conf.h. */
void cf_sort_procs(struct tend_config *c);

#endif
