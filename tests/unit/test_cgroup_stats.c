/* test_cgroup_stats.c - the figures tend reads from a cgroup directory
 * (supervisor/cgroup.c cgroup_dir_stats): cpu.stat, memory.current and
 * memory.events, against fake directories (the memory controller is not
 * on every machine that runs the tests). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/cgroup.h"

static char dir[] = "/tmp/tend-cgstat-XXXXXX";
static int dfd = -1;

static void put(const char *file, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(dir, "/tmp/tend-cgstat-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(dfd, 0);
}

static void teardown(void)
{
    static const char *files[] = {"cpu.stat", "memory.current", "memory.events"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    close(dfd);
    rmdir(dir);
}

/* A cgroup with the memory controller: all three figures. oom_kill is not
 * confused with oom or oom_group_kill (which come before and after it). */
START_TEST(memory_controller)
{
    put("cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
    put("memory.current", "73728\n");
    put("memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 3\noom_group_kill 7\n");
    struct cgroup_stats st;
    cgroup_dir_stats(dfd, &st);
    ck_assert(st.has_cpu && st.has_memory_current && st.has_oom_kill);
    ck_assert_uint_eq(st.cpu_usec, 2500000);
    ck_assert_uint_eq(st.memory_current, 73728);
    ck_assert_uint_eq(st.oom_kill, 3);
}
END_TEST

/* Without it (cgroup2 with no controllers, as /sys/fs/cgroup/unified
 * here): cpu.stat only, the memory figures absent, not 0 presented as
 * known. */
START_TEST(no_memory_controller)
{
    put("cpu.stat", "usage_usec 7\nuser_usec 5\nsystem_usec 2\n");
    struct cgroup_stats st;
    cgroup_dir_stats(dfd, &st);
    ck_assert(st.has_cpu);
    ck_assert_uint_eq(st.cpu_usec, 7);
    ck_assert(!st.has_memory_current && !st.has_oom_kill);
    ck_assert_uint_eq(st.memory_current, 0);
    ck_assert_uint_eq(st.oom_kill, 0);
}
END_TEST

/* Kernels before 4.13 have no oom_kill line; a garbled memory.current
 * is not a figure. */
START_TEST(old_or_garbled)
{
    put("memory.events", "low 0\nhigh 0\nmax 1\noom 1\n");
    put("memory.current", "lots\n");
    struct cgroup_stats st;
    cgroup_dir_stats(dfd, &st);
    ck_assert(!st.has_cpu && !st.has_oom_kill && !st.has_memory_current);
    ck_assert_uint_eq(st.oom_kill, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cgroup_stats");
    TCase *tc = tcase_create("dir");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, memory_controller);
    tcase_add_test(tc, no_memory_controller);
    tcase_add_test(tc, old_or_garbled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
