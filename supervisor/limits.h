/* limits.h - [supervisor] minfds / minprocs: tend's own RLIMIT_NOFILE and
 * RLIMIT_NPROC raised at start-up (children inherit them), as supervisord.
 */
#ifndef TEND_LIMITS_H
#define TEND_LIMITS_H

#include <stddef.h>

#include "conf/conf.h"

/* Raise the soft limits (and the hard ones when needed and allowed) to at
 * least minfds / minprocs; never lowers one. Returns 0, or -1 with the
 * reason in ERR ("minfds = N: cannot raise RLIMIT_NOFILE from A to N: ..."). */
int limits_raise(const struct tend_config *c, char *err, size_t errlen);

#endif
