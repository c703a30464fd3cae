/* conf_test.h - helpers for the conf/ unit tests: a temporary directory
 * with INI files in it, loading, and looking for diagnostics.
 * Static functions only: each test program includes it once. */
#ifndef TEND_CONF_TEST_H
#define TEND_CONF_TEST_H

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"

static char t_dir[256];
static struct conf_diags t_d;

static __attribute__((unused)) void t_setup(void)
{
    snprintf(t_dir, sizeof t_dir, "/tmp/tend-conf-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t_dir));
    memset(&t_d, 0, sizeof t_d);
}

static __attribute__((unused)) int t_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static __attribute__((unused)) void t_teardown(void)
{
    nftw(t_dir, t_rm, 16, FTW_DEPTH | FTW_PHYS);
    conf_diags_free(&t_d);
}

/* Write NAME (relative to the temp dir; subdirectories are made). */
static __attribute__((unused)) char *t_write(const char *name, const char *text)
{
    static __attribute__((unused)) char path[512];
    snprintf(path, sizeof path, "%s/%s", t_dir, name);
    for (char *s = path + strlen(t_dir) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            ck_abort_msg("mkdir %s: %s", path, strerror(errno));
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* Load TEXT as the file main.ini; the config or NULL. */
static __attribute__((unused)) struct tend_config *t_load(const char *text)
{
    conf_diags_free(&t_d);
    char *p = t_write("main.ini", text);
    return conf_load(p, &t_d);
}

static __attribute__((unused)) struct tend_config *t_loadf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) struct tend_config *t_loadf(const char *fmt, ...)
{
    va_list ap;
    char *text;
    va_start(ap, fmt);
    ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
    va_end(ap);
    struct tend_config *c = t_load(text);
    free(text);
    return c;
}

/* Print the diagnostics (for failing tests) into a string. */
static __attribute__((unused)) const char *t_diags(void)
{
    static __attribute__((unused)) char buf[8192];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    if (!f)
        return "";
    conf_diags_print(&t_d, f);
    fclose(f);
    return buf;
}

/* The diagnostic of severity SEV at LINE (any line when 0) whose text
 * contains TEXT, or NULL. */
static __attribute__((unused)) const struct conf_diag *t_find(enum conf_severity sev, int line, const char *text)
{
    for (size_t i = 0; i < t_d.n; i++) {
        const struct conf_diag *g = &t_d.v[i];
        if (g->severity == sev && (!line || g->line == line) && strstr(g->msg, text))
            return g;
    }
    return NULL;
}

#define t_has_error(line, text) \
    ck_assert_msg(t_find(CONF_ERROR, line, text), "no error at line %d with '%s' in:\n%s", \
                  line, text, t_diags())
#define t_has_warning(line, text) \
    ck_assert_msg(t_find(CONF_WARNING, line, text), "no warning at line %d with '%s' in:\n%s", \
                  line, text, t_diags())
#define t_ok(c) ck_assert_msg((c) != NULL, "load failed:\n%s", t_diags())
#define t_fails(c) ck_assert_msg((c) == NULL, "load should fail:\n%s", t_diags())

static __attribute__((unused)) struct process_config *t_proc(struct tend_config *c, const char *fullname)
{
    for (size_t i = 0; i < c->nprocs; i++)
        if (!strcmp(c->procs[i].fullname, fullname))
            return &c->procs[i];
    ck_abort_msg("no process %s", fullname);
    return NULL;
}

static __attribute__((unused)) const char *t_env(const struct env_list *e, const char *key)
{
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->v[i].key, key))
            return e->v[i].value;
    return NULL;
}

/* A check main(): run SUITE, print the summary, fail on any failure. */
static __attribute__((unused)) int t_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A test case with the temp-dir fixture and a timeout. */
static __attribute__((unused)) TCase *t_tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, t_setup, t_teardown);
    tcase_set_timeout(tc, 10);
    suite_add_tcase(s, tc);
    return tc;
}

#endif
