/* test_config_cli.c - tend's command line through the real binary:
 * --check (summary, every error as FILE:LINE, exit 2), long lines, --version,
 * -h, usage errors and their exit statuses (issue 2's done-when cases).
 */
#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 10000

static char out[1 << 16], err[1 << 16];

/* Run tend with ARGS (a string put in a shell line as is: quote paths with
 * th_q), stdout and stderr apart. Returns the exit status. */
static int tend_sh(struct th *t, const char *args)
{
    const char *line = th_fmt("exec %s %s >%s 2>%s", th_q(th_tend_bin()), args,
                              th_q(th_path(t, "o")), th_q(th_path(t, "e")));
    const char *argv[] = { "/bin/sh", "-c", line, NULL };
    int rc = th_run(argv, NULL, 0, WAIT);
    th_read_file(th_path(t, "o"), out, sizeof out);
    th_read_file(th_path(t, "e"), err, sizeof err);
    return rc;
}

static struct th *folder(void)
{
    static const struct th_opts o = { .no_rundir = true };
    return th_new(&o, NULL);
}

static int lines_in(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(check_examples_exit_0)
{
    const char *dir = th_fmt("%s/examples", th_srcdir());
    DIR *d = opendir(dir);
    if (!d)
        return; /* no examples in this tree yet */
    struct dirent *e;
    int checked = 0;
    struct th *t = folder();
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", dir);
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        bool ini = l > 4 && !strcmp(e->d_name + l - 4, ".ini");
        bool sup = !strcmp(e->d_name, "supervisord.conf");
        if (!ini && !sup)
            continue;
        const char *f = th_fmt("%s/%s", path, e->d_name);
        int rc = tend_sh(t, th_fmt("--check -c %s", th_q(f)));
        ck_assert_msg(rc == 0, "%s: exit %d\n%s", f, rc, err);
        ck_assert_msg(lines_in(out) == 1, "%s: summary is not one line: %s", f, out);
        ck_assert_msg(!strstr(err, "error"), "%s: %s", f, err);
        checked++;
    }
    closedir(d);
    ck_assert_int_gt(checked, 0);
    th_free(t);
}
END_TEST

START_TEST(check_reports_every_error_with_line)
{
    struct th *t = folder();
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\n"              /* 1 */
                                   "loglevel = loud\n"           /* 2: bad value */
                                   "[program:a]\n"               /* 3 */
                                   "command = /bin/true\n"       /* 4 */
                                   "autorestart = maybe\n"       /* 5: bad boolean */
                                   "\n"                          /* 6 */
                                   "[program:b]\n"               /* 7 */
                                   "command = /bin/true\n"       /* 8 */
                                   "stopsignal = NOPE\n"),       /* 9: bad signal */
                     0);
    ck_assert_int_eq(tend_sh(t, th_fmt("--check -c %s", th_q(t->conf))), 2);
    const int want[] = { 2, 5, 9 };
    for (int i = 0; i < 3; i++)
        ck_assert_msg(strstr(err, th_fmt("%s:%d: ", t->conf, want[i])), "no error for line %d:\n%s",
                      want[i], err);
    ck_assert_msg(strstr(err, "loud"), "message does not name the value: %s", err);
    th_free(t);
}
END_TEST

/* A 300-character command, a 5000-character environment line, then an
 * error: the line number is still right (Debian's inih would cut). */
static void write_long(struct th *t, const char *tail, char *cmdarg, char *lastval)
{
    memset(cmdarg, 'c', 290);
    cmdarg[290] = '\0';
    strcpy(lastval, "the_last_value_survives");
    char *env = malloc(6000);
    ck_assert_ptr_nonnull(env);
    size_t o = 0;
    for (int i = 0; o < 5000; i++)
        o += (size_t)sprintf(env + o, "K%03d=%s,", i, "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
    sprintf(env + o, "KLAST=%s", lastval);
    ck_assert_int_ge(strlen(env), 5000);
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\n"                         /* 1 */
                                   "rundir = %s\n"                          /* 2 */
                                   "[program:long]\n"                       /* 3 */
                                   "command = %s -o %s/r %s\n"              /* 4 */
                                   "environment = %s\n"                     /* 5 */
                                   "startsecs = 0\n"                        /* 6 */
                                   "%s",                                    /* 7 */
                                   t->rundir, th_helper("probe"), t->dir, cmdarg, env, tail),
                     0);
    free(env);
}

START_TEST(long_lines_keep_line_numbers)
{
    struct th *t = folder();
    char cmdarg[300], last[64];
    write_long(t, "autorestart = bogus\n", cmdarg, last);
    ck_assert_int_eq(tend_sh(t, th_fmt("--check -c %s", th_q(t->conf))), 2);
    ck_assert_msg(strstr(err, th_fmt("%s:7: ", t->conf)), "no error on line 7:\n%s", err);
    /* the only error: nothing of the long lines was cut into a bogus key */
    ck_assert_msg(!strstr(err, th_fmt("%s:4:", t->conf)) && !strstr(err, th_fmt("%s:5:", t->conf)),
                  "%s", err);
    th_free(t);
}
END_TEST

START_TEST(long_lines_reach_the_child_exactly)
{
    struct th *t = folder();
    char cmdarg[300], last[64];
    write_long(t, "", cmdarg, last);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    static char rep[1 << 16];
    ck_assert_int_eq(th_wait_file(th_path(t, "r"), "\nend\n", WAIT), 0);
    th_read_file(th_path(t, "r"), rep, sizeof rep);
    ck_assert_msg(strstr(rep, th_fmt(" %s\n", cmdarg)), "argv cut: %s", rep);
    ck_assert(strstr(rep, th_fmt("\nenv KLAST=%s\n", last)));
    ck_assert(strstr(rep, "\nenv K000=vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\n"));
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

START_TEST(check_starts_nothing)
{
    struct th *t = folder();
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\nrundir = %s\n"
                                   "[program:p]\ncommand = %s -o %s/r\nstartsecs = 0\n",
                                   t->rundir, th_helper("probe"), t->dir), 0);
    ck_assert_int_eq(tend_sh(t, th_fmt("--check -c %s", th_q(t->conf))), 0);
    ck_assert_int_eq(lines_in(out), 1);
    /* tend has exited. A program it had started would be running now (the
     * probe lives until signalled; its exec is reported before tend goes
     * on), re-parented to us, or a fork of tend still on its way to exec:
     * either has the test folder in its command line. */
    ck_assert_int_eq(th_count_procs_with(t->dir), 0);
    ck_assert_int_ne(access(th_path(t, "r"), F_OK), 0);
    th_free(t);
}
END_TEST

START_TEST(unknown_key_is_a_warning_with_suggestion)
{
    struct th *t = folder();
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\nrundir = %s\n"
                                   "[program:p]\ncommand = /bin/true\nautorestrat = true\n",
                                   t->rundir), 0);
    ck_assert_int_eq(tend_sh(t, th_fmt("--check -c %s", th_q(t->conf))), 0);
    ck_assert_msg(strstr(err, th_fmt("%s:5: ", t->conf)), "%s", err);
    ck_assert_msg(strstr(err, "autorestart"), "%s", err);
    th_free(t);
}
END_TEST

START_TEST(missing_config_exits_2)
{
    struct th *t = folder();
    ck_assert_int_eq(tend_sh(t, th_fmt("-c %s", th_q(th_path(t, "nope.ini")))), 2);
    ck_assert_msg(strstr(err, "nope.ini"), "%s", err);
    ck_assert_int_eq(tend_sh(t, th_fmt("--check -c %s", th_q(th_path(t, "nope.ini")))), 2);
    th_free(t);
}
END_TEST

/* An unknown user or group is a FILE:LINE error; a musl tend says where it
 * looked, since it does not see NSS-only (LDAP, sssd) accounts. */
START_TEST(unknown_user_names_where_it_looked)
{
    struct th *t = folder();
    ck_assert_int_eq(tend_sh(t, "--version"), 0);
    bool musl = strstr(out, "(musl)") != NULL;
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\nrundir = %s\ncontrol_group = no-such-group-tend\n"
                                   "[program:p]\ncommand = /bin/true\nuser = no-such-user-tend\n",
                                   t->rundir), 0);
    ck_assert_int_eq(tend_sh(t, th_fmt("--check -c %s", th_q(t->conf))), 2);
    const char *u = th_fmt("%s:6: ", t->conf), *g = th_fmt("%s:3: ", t->conf);
    ck_assert_msg(strstr(err, u) && strstr(err, "no such user 'no-such-user-tend'"), "%s", err);
    ck_assert_msg(strstr(err, g) && strstr(err, "no such group 'no-such-group-tend'"), "%s", err);
    if (musl) {
        ck_assert_msg(strstr(err, "in /etc/passwd or nscd (tend is built with musl"), "%s", err);
        ck_assert_msg(strstr(err, "in /etc/group or nscd"), "%s", err);
    } else {
        ck_assert_msg(!strstr(err, "nscd"), "%s", err);
    }
    th_free(t);
}
END_TEST

START_TEST(version_and_help_exit_0)
{
    struct th *t = folder();
    ck_assert_int_eq(tend_sh(t, "--version"), 0);
    ck_assert_msg(strstr(out, "tend"), "%s", out);
    ck_assert_msg(strstr(out, "(musl)") || strstr(out, "(glibc)"), "no C library named: %s", out);
    ck_assert_int_eq(tend_sh(t, "-h"), 0);
    ck_assert_msg(strcasestr(out, "usage"), "%s", out);
    ck_assert_msg(strstr(out, "--check"), "%s", out);
    th_free(t);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
    struct th *t = folder();
    ck_assert_int_eq(tend_sh(t, "--no-such-option"), 2);
    ck_assert_int_eq(tend_sh(t, "-Z"), 2);
    ck_assert_int_eq(tend_sh(t, "-c"), 2);
    th_free(t);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("config_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, check_examples_exit_0);
    tcase_add_test(tc, check_reports_every_error_with_line);
    tcase_add_test(tc, long_lines_keep_line_numbers);
    tcase_add_test(tc, long_lines_reach_the_child_exactly);
    tcase_add_test(tc, check_starts_nothing);
    tcase_add_test(tc, unknown_key_is_a_warning_with_suggestion);
    tcase_add_test(tc, missing_config_exits_2);
    tcase_add_test(tc, unknown_user_names_where_it_looked);
    tcase_add_test(tc, version_and_help_exit_0);
    tcase_add_test(tc, usage_errors_exit_2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
