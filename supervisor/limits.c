/* limits.c - minfds / minprocs at start-up. */
#include "limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static int raise_one(int res, const char *key, const char *name, long want, char *err,
                     size_t errlen)
{
    struct rlimit rl;
    if (want <= 0)
        return 0;
    if (getrlimit(res, &rl) < 0) {
        snprintf(err, errlen, "%s = %ld: cannot read %s: %s", key, want, name, strerror(errno));
        return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= (rlim_t)want)
        return 0;
    if (rl.rlim_cur == RLIM_INFINITY)
        return 0;
    struct rlimit nl = rl;
    nl.rlim_cur = (rlim_t)want;
    if (nl.rlim_max != RLIM_INFINITY && nl.rlim_max < (rlim_t)want)
        nl.rlim_max = (rlim_t)want;      /* allowed to root (CAP_SYS_RESOURCE) only */
    if (setrlimit(res, &nl) < 0) {
        /* RLIMIT_NOFILE's hard limit cannot pass fs.nr_open: say so */
        snprintf(err, errlen, "%s = %ld: cannot raise %s from %llu (hard limit %llu): %s", key,
                 want, name, (unsigned long long)rl.rlim_cur,
                 rl.rlim_max == RLIM_INFINITY ? ~0ULL : (unsigned long long)rl.rlim_max,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int limits_raise(const struct tend_config *c, char *err, size_t errlen)
{
    if (raise_one(RLIMIT_NOFILE, "minfds", "RLIMIT_NOFILE", c->minfds, err, errlen) < 0)
        return -1;
    return raise_one(RLIMIT_NPROC, "minprocs", "RLIMIT_NPROC", c->minprocs, err, errlen);
}
