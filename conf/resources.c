/* resources.c - rlimit_*, nice, oom_score_adj, memory_limit (issue 18). */
#include "conf/resources.h"
#include "conf/diag.h"
#include "conf/health.h"
#include "conf/util.h"
#include "conf/values.h"

#include <stdlib.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

static const struct {
    const char *key;
    int resource;
    bool sized;             /* takes KB/MB/GB */
} rlims[CONF_NRLIMITS] = {
    {"rlimit_nofile", RLIMIT_NOFILE, false}, {"rlimit_nproc", RLIMIT_NPROC, false},
    {"rlimit_core", RLIMIT_CORE, true},      {"rlimit_as", RLIMIT_AS, true},
    {"rlimit_data", RLIMIT_DATA, true},      {"rlimit_stack", RLIMIT_STACK, true},
    {"rlimit_memlock", RLIMIT_MEMLOCK, true}, {"rlimit_fsize", RLIMIT_FSIZE, true},
    {"rlimit_cpu", RLIMIT_CPU, false},
};

const char *conf_rlimit_key(int i)
{
    return i >= 0 && i < CONF_NRLIMITS ? rlims[i].key : "?";
}

int conf_rlimit_resource(int i)
{
    return i >= 0 && i < CONF_NRLIMITS ? rlims[i].resource : -1;
}

void cf_resources_init(struct process_config *p)
{
    p->memory_check_interval_ms = 10000;
}

bool cf_resources_same(const struct process_config *a, const struct process_config *b)
{
    for (int i = 0; i < CONF_NRLIMITS; i++)
        if (a->rlimits[i].set != b->rlimits[i].set ||
            (a->rlimits[i].set && (a->rlimits[i].soft != b->rlimits[i].soft ||
                                   a->rlimits[i].hard != b->rlimits[i].hard)))
            return false;
    return a->nice_set == b->nice_set && (!a->nice_set || a->nice == b->nice) &&
           a->oom_score_adj_set == b->oom_score_adj_set &&
           (!a->oom_score_adj_set || a->oom_score_adj == b->oom_score_adj) &&
           a->memory_limit == b->memory_limit &&
           a->memory_check_interval_ms == b->memory_check_interval_ms &&
           a->memory_max == b->memory_max && a->memory_high == b->memory_high &&
           a->pids_max == b->pids_max && !strcmp(a->cpu_max, b->cpu_max) &&
           a->cpu_weight == b->cpu_weight;
}

static void dump_rlim(FILE *out, uint64_t v)
{
    if (v == CONF_RLIM_INFINITY)
        fputs("unlimited", out);
    else
        fprintf(out, "%llu", (unsigned long long)v);
}

void cf_resources_dump(const struct process_config *p, FILE *out)
{
    for (int i = 0; i < CONF_NRLIMITS; i++) {
        if (!p->rlimits[i].set)
            continue;
        fprintf(out, "%s = ", rlims[i].key);
        dump_rlim(out, p->rlimits[i].soft);
        fputc(':', out);
        dump_rlim(out, p->rlimits[i].hard);
        fputc('\n', out);
    }
    if (p->nice_set)
        fprintf(out, "nice = %d\n", p->nice);
    if (p->oom_score_adj_set)
        fprintf(out, "oom_score_adj = %d\n", p->oom_score_adj);
    const struct { const char *key; uint64_t v; } u64[] = {
        {"memory_max", p->memory_max}, {"memory_high", p->memory_high},
        {"pids_max", p->pids_max},
    };
    for (size_t i = 0; i < sizeof u64 / sizeof u64[0]; i++) {
        if (!u64[i].v)
            continue;
        if (u64[i].v == CONF_RLIM_INFINITY)
            fprintf(out, "%s = max\n", u64[i].key);
        else
            fprintf(out, "%s = %llu\n", u64[i].key, (unsigned long long)u64[i].v);
    }
    if (p->cpu_max[0])
        fprintf(out, "cpu_max = %s\n", p->cpu_max);
    if (p->cpu_weight)
        fprintf(out, "cpu_weight = %d\n", p->cpu_weight);
    if (p->memory_limit)
        fprintf(out, "memory_limit = %llu\nmemory_check_interval = %d.%03d\n",
                (unsigned long long)p->memory_limit, p->memory_check_interval_ms / 1000,
                p->memory_check_interval_ms % 1000);
}

int cf_parse_rlim(const char *s, bool sized, uint64_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if ((n == 9 && !strncasecmp(s, "unlimited", 9)) || (n == 8 && !strncasecmp(s, "infinity", 8))) {
        *out = CONF_RLIM_INFINITY;
        return 0;
    }
    uint64_t v;
    if (sized) {
        if (cf_parse_size(s, &v) < 0)
            return -1;
    } else {
        int iv;
        /* counts and seconds: a plain integer */
        if (cf_parse_int(s, 0, 0x7fffffff, &iv) < 0)
            return -1;
        v = (uint64_t)iv;
    }
    if (v == CONF_RLIM_INFINITY)
        return -1;
    *out = v;
    return 0;
}

bool cf_resources_literal(const char *key, const char *value)
{
    if (strcmp(key, "cpu_max"))
        return false;
    const char *v = value;
    while (isspace((unsigned char)*v))
        v++;
    if (!isdigit((unsigned char)*v))
        return false;
    while (isdigit((unsigned char)*v) || *v == '.')
        v++;
    if (*v++ != '%')
        return false;
    while (isspace((unsigned char)*v))
        v++;
    return *v == '\0';
}

/* "SOFT[:HARD]"; HARD defaults to SOFT (as systemd's LimitNOFILE=N). */
static int parse_rlimit(const char *v, bool sized, struct conf_rlimit *out)
{
    char buf[128];
    if (strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    struct conf_rlimit r = {.set = true};
    if (cf_parse_rlim(buf, sized, &r.soft) < 0)
        return -1;
    r.hard = r.soft;
    if (colon && cf_parse_rlim(colon + 1, sized, &r.hard) < 0)
        return -1;
    *out = r;
    return 0;
}

/* cpu_max: "QUOTA PERIOD" (µs; QUOTA may be max), "QUOTA" (period 100000)
 * or "N%" of one CPU (200% = two). Normalised for cpu.max into OUT. */
static int parse_cpu_max(const char *v, char *out, size_t size)
{
    long long quota = -1, period = 100000;
    char q[32], per[32], extra[2];
    int n = sscanf(v, " %31s %31s %1s", q, per, extra);
    if (n < 1 || n > 2)
        return -1;
    size_t ql = strlen(q);
    char *end;
    if (n == 1 && ql > 1 && q[ql - 1] == '%') {
        q[ql - 1] = '\0';
        double pct = strtod(q, &end);
        if (*end || !(pct > 0) || pct > 100000)
            return -1;
        quota = (long long)(pct * 1000 + 0.5);     /* of a 100000 µs period */
        if (quota < 1000)
            return -1;                             /* the kernel's minimum quota */
    } else {
        if (strcmp(q, "max")) {
            quota = strtoll(q, &end, 10);
            if (*end || quota < 1000 || quota > 1000000000000LL)
                return -1;
        }
        if (n == 2) {
            period = strtoll(per, &end, 10);
            if (*end || period < 1000 || period > 1000000)
                return -1;
        }
    }
    if (quota < 0)
        snprintf(out, size, "max %lld", period);
    else
        snprintf(out, size, "%lld %lld", quota, period);
    return 0;
}

/* memory_max, memory_high, pids_max: a size / count or "max". */
static bool cgroup_key(struct process_config *p, const char *key, const char *v,
                       const char *file, int line, struct conf_diags *d)
{
    uint64_t *u = !strcmp(key, "memory_max") ? &p->memory_max
                : !strcmp(key, "memory_high") ? &p->memory_high
                : !strcmp(key, "pids_max") ? &p->pids_max : NULL;
    bool weight = !strcmp(key, "cpu_weight"), cpumax = !strcmp(key, "cpu_max");
    if (!u && !weight && !cpumax)
        return false;
    int iv;
    uint64_t x;
    if (weight) {
        if (cf_parse_int(v, 1, 10000, &iv) < 0)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "cpu_weight: invalid value '%s' (expected an integer from 1 to 10000)", v);
        else
            p->cpu_weight = iv;
    } else if (cpumax) {
        if (parse_cpu_max(v, p->cpu_max, sizeof p->cpu_max) < 0)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "cpu_max: invalid value '%s' (expected QUOTA PERIOD in microseconds, "
                         "max, or a share such as 50%%)", v);
    } else if (cf_parse_rlim(v, u != &p->pids_max, &x) == 0 && x > 0) {
        *u = x;
    } else if (!strcasecmp(v, "max")) {
        *u = CONF_RLIM_INFINITY;
    } else {
        cf_diag_once(d, CONF_ERROR, file, line, "%s: invalid value '%s' (expected %s or max)",
                     key, v, u == &p->pids_max ? "a positive integer" : "a size such as 512MB");
    }
    return true;
}

bool cf_resources_key(struct process_config *p, const char *key, const char *v,
                      const char *file, int line, struct conf_diags *d)
{
    if (cgroup_key(p, key, v, file, line, d))
        return true;
    for (int i = 0; i < CONF_NRLIMITS; i++) {
        if (strcmp(key, rlims[i].key))
            continue;
        struct conf_rlimit r;
        if (parse_rlimit(v, rlims[i].sized, &r) < 0)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "%s: invalid value '%s' (expected SOFT[:HARD], each %s or unlimited)",
                         key, v, rlims[i].sized ? "a number, a size such as 64MB," : "a number");
        else if (r.soft > r.hard)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "%s: the soft limit '%s' is above the hard limit", key, v);
        else
            p->rlimits[i] = r;
        return true;
    }
    int iv;
    if (!strcmp(key, "nice")) {
        if (cf_parse_int(v, -20, 19, &iv) < 0)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "nice: invalid value '%s' (expected an integer from -20 to 19)", v);
        else
            p->nice = iv, p->nice_set = true;
        return true;
    }
    if (!strcmp(key, "oom_score_adj")) {
        if (cf_parse_int(v, -1000, 1000, &iv) < 0)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "oom_score_adj: invalid value '%s' (expected an integer from -1000 "
                         "to 1000)", v);
        else
            p->oom_score_adj = iv, p->oom_score_adj_set = true;
        return true;
    }
    if (!strcmp(key, "memory_limit")) {
        uint64_t sz;
        if (cf_parse_size(v, &sz) < 0 || sz == 0)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "memory_limit: invalid value '%s' (expected a size such as 512MB)", v);
        else
            p->memory_limit = sz;
        return true;
    }
    if (!strcmp(key, "memory_check_interval")) {
        if (cf_parse_ms(v, 100, 86400000, &iv) < 0)
            cf_diag_once(d, CONF_ERROR, file, line,
                         "memory_check_interval: invalid value '%s' (expected seconds from 0.1 "
                         "to 86400)", v);
        else
            p->memory_check_interval_ms = iv;
        return true;
    }
    return false;
}

bool cf_supervisor_resources_key(struct tend_config *c, const char *key, const char *v,
                                 const char *file, int line, struct conf_diags *d)
{
    if (!strcmp(key, "cgroups")) {
        static const struct cf_keyword modes[] = {
            {"auto", CGROUPS_AUTO}, {"on", CGROUPS_ON}, {"off", CGROUPS_OFF}, {NULL, 0},
        };
        int iv;
        if (cf_parse_keyword(v, modes, &iv) == 0) {
            c->cgroups = (enum conf_cgroups)iv;
            free(c->cgroups_path);
            c->cgroups_path = NULL;
        } else if (v[0] == '/') {
            c->cgroups = CGROUPS_PATH;
            free(c->cgroups_path);
            c->cgroups_path = cf_xstrdup(v);
        } else {
            cf_diag_once(d, CONF_ERROR, file, line,
                         "cgroups: invalid value '%s' (expected auto, on, off or an absolute "
                         "path under the cgroup2 mount)", v);
        }
        return true;
    }
    bool fds = !strcmp(key, "minfds");
    if (!fds && strcmp(key, "minprocs"))
        return false;
    int iv;
    if (cf_parse_int(v, 1, 0x7fffffff, &iv) < 0)
        cf_diag_once(d, CONF_ERROR, file, line,
                     "%s: invalid value '%s' (expected a positive integer)", key, v);
    else if (fds)
        c->minfds = iv;
    else
        c->minprocs = iv;
    return true;
}
