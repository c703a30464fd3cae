/* test_conf_resources.c - issue 18's keys: rlimit_*, nice, oom_score_adj,
 * memory_limit, memory_check_interval; [supervisor] minfds, minprocs. */
#include "conf_test.h"

#include <stdint.h>
#include <sys/resource.h>

static int rl_index(const char *key)
{
    for (int i = 0; i < CONF_NRLIMITS; i++)
        if (!strcmp(conf_rlimit_key(i), key))
            return i;
    ck_abort_msg("no rlimit key %s", key);
    return -1;
}

START_TEST(test_defaults)
{
    struct tend_config *c = t_load("[program:a]\ncommand = /bin/a\n");
    t_ok(c);
    struct process_config *p = t_proc(c, "a");
    for (int i = 0; i < CONF_NRLIMITS; i++)
        ck_assert(!p->rlimits[i].set);
    ck_assert(!p->nice_set && !p->oom_score_adj_set);
    ck_assert_uint_eq(p->memory_limit, 0);
    ck_assert_int_eq(p->memory_check_interval_ms, 10000);
    ck_assert_int_eq(c->minfds, 0);
    ck_assert_int_eq(c->minprocs, 0);
    conf_free(c);
}
END_TEST

START_TEST(test_values)
{
    struct tend_config *c = t_load(
        "[supervisor]\nminfds = 4096\nminprocs = 300\n"
        "[program:a]\ncommand = /bin/a\n"
        "rlimit_nofile = 1024:4096\n"
        "rlimit_core = unlimited\n"
        "rlimit_as = 1GB:unlimited\n"
        "rlimit_stack = 8MB\n"
        "rlimit_cpu = 60\n"
        "nice = -5\n"
        "oom_score_adj = 500\n"
        "memory_limit = 64MB\n"
        "memory_check_interval = 0.5\n");
    t_ok(c);
    ck_assert_int_eq(t_d.nwarnings, 0);
    ck_assert_int_eq(c->minfds, 4096);
    ck_assert_int_eq(c->minprocs, 300);
    struct process_config *p = t_proc(c, "a");
    struct conf_rlimit *r = &p->rlimits[rl_index("rlimit_nofile")];
    ck_assert(r->set);
    ck_assert_uint_eq(r->soft, 1024);
    ck_assert_uint_eq(r->hard, 4096);
    ck_assert_int_eq(conf_rlimit_resource(rl_index("rlimit_nofile")), RLIMIT_NOFILE);
    r = &p->rlimits[rl_index("rlimit_core")];
    ck_assert(r->set && r->soft == CONF_RLIM_INFINITY && r->hard == CONF_RLIM_INFINITY);
    r = &p->rlimits[rl_index("rlimit_as")];
    ck_assert_uint_eq(r->soft, 1024ULL * 1024 * 1024);
    ck_assert(r->hard == CONF_RLIM_INFINITY);
    r = &p->rlimits[rl_index("rlimit_stack")];
    ck_assert_uint_eq(r->soft, 8ULL << 20);
    ck_assert_uint_eq(r->hard, 8ULL << 20);      /* HARD defaults to SOFT */
    ck_assert_uint_eq(p->rlimits[rl_index("rlimit_cpu")].soft, 60);
    ck_assert(!p->rlimits[rl_index("rlimit_nproc")].set);
    ck_assert(p->nice_set);
    ck_assert_int_eq(p->nice, -5);
    ck_assert(p->oom_score_adj_set);
    ck_assert_int_eq(p->oom_score_adj, 500);
    ck_assert_uint_eq(p->memory_limit, 64ULL << 20);
    ck_assert_int_eq(p->memory_check_interval_ms, 500);
    conf_free(c);
}
END_TEST

/* The cgroup controller keys; cpu_max = 50% needs no %% */
START_TEST(test_cgroup_keys)
{
    struct tend_config *c = t_load(
        "[supervisor]\ncgroups = /sys/fs/cgroup/tend\n"
        "[program:a]\ncommand = /bin/a\nmemory_max = 512MB\nmemory_high = max\n"
        "pids_max = 100\ncpu_max = 50%\ncpu_weight = 200\n"
        "[program:b]\ncommand = /bin/b\ncpu_max = 20000 50000\n"
        "[program:c]\ncommand = /bin/c\ncpu_max = max\n"
        "[program:d]\ncommand = /bin/d\ncpu_max = 150%%\n");
    t_ok(c);
    ck_assert_int_eq(c->cgroups, CGROUPS_PATH);
    ck_assert_str_eq(c->cgroups_path, "/sys/fs/cgroup/tend");
    struct process_config *p = t_proc(c, "a");
    ck_assert_uint_eq(p->memory_max, 512ULL << 20);
    ck_assert(p->memory_high == CONF_RLIM_INFINITY);
    ck_assert_uint_eq(p->pids_max, 100);
    ck_assert_str_eq(p->cpu_max, "50000 100000");
    ck_assert_int_eq(p->cpu_weight, 200);
    ck_assert_str_eq(t_proc(c, "b")->cpu_max, "20000 50000");
    ck_assert_str_eq(t_proc(c, "c")->cpu_max, "max 100000");
    ck_assert_str_eq(t_proc(c, "d")->cpu_max, "150000 100000");
    conf_free(c);

    c = t_load("[supervisor]\ncgroups = sometimes\n"        /* 2 */
               "[program:a]\ncommand = /bin/a\n"
               "cpu_max = 0.5%\n"                             /* 5 */
               "cpu_weight = 0\n"                             /* 6 */
               "pids_max = lots\n"                            /* 7 */
               "memory_max = 1XB\n");                         /* 8 */
    t_fails(c);
    t_has_error(2, "cgroups: invalid value 'sometimes'");
    t_has_error(5, "cpu_max: invalid value '0.5%'");
    t_has_error(6, "cpu_weight: invalid value '0'");
    t_has_error(7, "pids_max: invalid value 'lots'");
    t_has_error(8, "memory_max: invalid value '1XB'");
    ck_assert_int_eq(t_d.nerrors, 5);
}
END_TEST

START_TEST(test_errors)
{
    struct tend_config *c = t_load(
        "[supervisor]\n"
        "minfds = lots\n"                      /* 2 */
        "[program:a]\ncommand = /bin/a\n"
        "rlimit_nofile = 10MB\n"               /* 5: counts take no size */
        "rlimit_core = 2:1\n"                  /* 6 */
        "rlimit_as = 1:2:3\n"                  /* 7 */
        "nice = 20\n"                          /* 8 */
        "oom_score_adj = -1001\n"              /* 9 */
        "memory_limit = 0\n"                   /* 10 */
        "memory_check_interval = 0\n"          /* 11 */
        "rlimit_nofle = 5\n");                 /* 12 */
    t_fails(c);
    t_has_error(2, "minfds: invalid value 'lots' (expected a positive integer)");
    t_has_error(5, "rlimit_nofile: invalid value '10MB' (expected SOFT[:HARD]");
    t_has_error(6, "rlimit_core: the soft limit '2:1' is above the hard limit");
    t_has_error(7, "rlimit_as: invalid value '1:2:3'");
    t_has_error(8, "nice: invalid value '20' (expected an integer from -20 to 19)");
    t_has_error(9, "oom_score_adj: invalid value '-1001'");
    t_has_error(10, "memory_limit: invalid value '0'");
    t_has_error(11, "memory_check_interval: invalid value '0'");
    t_has_warning(12, "did you mean rlimit_nofile?");
    ck_assert_int_eq(t_d.nerrors, 8);
}
END_TEST

/* reload compares configs: a changed limit means a changed program */
START_TEST(test_same)
{
    struct tend_config *a = t_load("[program:a]\ncommand = /bin/a\nrlimit_nofile = 100\n");
    t_ok(a);
    struct tend_config *b = t_load("[program:a]\ncommand = /bin/a\nrlimit_nofile = 100:200\n");
    t_ok(b);
    struct tend_config *c = t_load("[program:a]\ncommand = /bin/a\nrlimit_nofile = 100\n");
    t_ok(c);
    struct tend_config *d = t_load("[program:a]\ncommand = /bin/a\nrlimit_nofile = 100\n"
                                   "memory_limit = 1MB\n");
    t_ok(d);
    ck_assert(!conf_process_same(&a->procs[0], &b->procs[0]));
    ck_assert(conf_process_same(&a->procs[0], &c->procs[0]));
    ck_assert(!conf_process_same(&a->procs[0], &d->procs[0]));
    conf_free(a);
    conf_free(b);
    conf_free(c);
    conf_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conf_resources");
    TCase *tc = t_tcase(s, "resources");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_cgroup_keys);
    tcase_add_test(tc, test_same);
    return t_run(s);
}
