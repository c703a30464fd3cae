/* test_conf_values.c - the value parsers of conf/values.c. */
#include "conf_test.h"
#include "conf/util.h"
#include "conf/values.h"

#include <signal.h>

START_TEST(test_bool)
{
    const char *t[] = {"true", "TRUE", "yes", "Yes", "on", "ON", "1"};
    const char *f[] = {"false", "False", "no", "NO", "off", "Off", "0"};
    const char *bad[] = {"", "2", "tru", "yess", "true ", "enabled", "-1"};
    bool b;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        b = false;
        ck_assert_int_eq(cf_parse_bool(t[i], &b), 0);
        ck_assert(b);
    }
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        b = true;
        ck_assert_int_eq(cf_parse_bool(f[i], &b), 0);
        ck_assert(!b);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        b = true;
        ck_assert_int_eq(cf_parse_bool(bad[i], &b), -1);
        ck_assert(b);       /* untouched */
    }
}
END_TEST

START_TEST(test_int)
{
    int v = 7;
    ck_assert_int_eq(cf_parse_int("42", 0, 100, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(cf_parse_int("-5", -10, 10, &v), 0);
    ck_assert_int_eq(v, -5);
    ck_assert_int_eq(cf_parse_int("0", 0, 0, &v), 0);
    ck_assert_int_eq(cf_parse_int("101", 0, 100, &v), -1);
    ck_assert_int_eq(cf_parse_int("-1", 0, 100, &v), -1);
    ck_assert_int_eq(cf_parse_int("12abc", 0, 100, &v), -1);
    ck_assert_int_eq(cf_parse_int("", 0, 100, &v), -1);
    ck_assert_int_eq(cf_parse_int(" 3", 0, 100, &v), -1);
    ck_assert_int_eq(cf_parse_int("99999999999999999999", 0, 100, &v), -1);
    ck_assert_int_eq(v, 0);
}
END_TEST

START_TEST(test_size)
{
    uint64_t v = 1;
    ck_assert_int_eq(cf_parse_size("0", &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(cf_parse_size("1234", &v), 0);
    ck_assert_uint_eq(v, 1234);
    ck_assert_int_eq(cf_parse_size("10KB", &v), 0);
    ck_assert_uint_eq(v, 10240);
    ck_assert_int_eq(cf_parse_size("50MB", &v), 0);
    ck_assert_uint_eq(v, 50ULL * 1024 * 1024);
    ck_assert_int_eq(cf_parse_size("2gb", &v), 0);
    ck_assert_uint_eq(v, 2ULL * 1024 * 1024 * 1024);
    ck_assert_int_eq(cf_parse_size("5 mb", &v), 0);
    ck_assert_uint_eq(v, 5ULL * 1024 * 1024);
    ck_assert_int_eq(cf_parse_size("5TB", &v), -1);
    ck_assert_int_eq(cf_parse_size("MB", &v), -1);
    ck_assert_int_eq(cf_parse_size("-1", &v), -1);
    ck_assert_int_eq(cf_parse_size("1.5MB", &v), -1);
    ck_assert_int_eq(cf_parse_size("10MBx", &v), -1);
    ck_assert_int_eq(cf_parse_size("99999999999999999999GB", &v), -1);
    ck_assert_int_eq(cf_parse_size("17179869184GB", &v), -1);   /* overflows 64 bits */
}
END_TEST

START_TEST(test_octal)
{
    mode_t m = 0;
    ck_assert_int_eq(cf_parse_octal("022", 0777, &m), 0);
    ck_assert_uint_eq(m, 022);
    ck_assert_int_eq(cf_parse_octal("0o27", 0777, &m), 0);
    ck_assert_uint_eq(m, 027);
    ck_assert_int_eq(cf_parse_octal("777", 0777, &m), 0);
    ck_assert_uint_eq(m, 0777);
    ck_assert_int_eq(cf_parse_octal("0", 0777, &m), 0);
    ck_assert_uint_eq(m, 0);
    ck_assert_int_eq(cf_parse_octal("1000", 0777, &m), -1);
    ck_assert_int_eq(cf_parse_octal("089", 0777, &m), -1);
    ck_assert_int_eq(cf_parse_octal("", 0777, &m), -1);
    ck_assert_int_eq(cf_parse_octal("0o", 0777, &m), -1);
    ck_assert_int_eq(cf_parse_octal("22x", 0777, &m), -1);
    ck_assert_uint_eq(m, 0);
}
END_TEST

START_TEST(test_exitcodes)
{
    uint8_t bits[32];
    char *err = NULL;
    struct process_config p;
    ck_assert_int_eq(cf_parse_exitcodes("0,2", p.exitcodes, &err), 0);
    ck_assert(conf_exitcode_expected(&p, 0));
    ck_assert(!conf_exitcode_expected(&p, 1));
    ck_assert(conf_exitcode_expected(&p, 2));
    ck_assert(!conf_exitcode_expected(&p, 256));
    ck_assert(!conf_exitcode_expected(&p, -1));
    ck_assert_int_eq(cf_parse_exitcodes(" 1 , 255 ", p.exitcodes, &err), 0);
    ck_assert(conf_exitcode_expected(&p, 255));
    ck_assert(conf_exitcode_expected(&p, 1));
    ck_assert(!conf_exitcode_expected(&p, 0));
    ck_assert_int_eq(cf_parse_exitcodes("0,256", bits, &err), -1);
    ck_assert_str_eq(err, "'256' is not an exit code (0-255)");
    free(err);
    ck_assert_int_eq(cf_parse_exitcodes("0,x", bits, &err), -1);
    free(err);
    ck_assert_int_eq(cf_parse_exitcodes(",", bits, &err), -1);
    ck_assert_str_eq(err, "no exit code given");
    free(err);
}
END_TEST

START_TEST(test_signal)
{
    ck_assert_int_eq(conf_signal_parse("TERM"), SIGTERM);
    ck_assert_int_eq(conf_signal_parse("SIGTERM"), SIGTERM);
    ck_assert_int_eq(conf_signal_parse("term"), SIGTERM);
    ck_assert_int_eq(conf_signal_parse("sigkill"), SIGKILL);
    ck_assert_int_eq(conf_signal_parse("HUP"), SIGHUP);
    ck_assert_int_eq(conf_signal_parse("INT"), SIGINT);
    ck_assert_int_eq(conf_signal_parse("QUIT"), SIGQUIT);
    ck_assert_int_eq(conf_signal_parse("USR1"), SIGUSR1);
    ck_assert_int_eq(conf_signal_parse("USR2"), SIGUSR2);
    ck_assert_int_eq(conf_signal_parse("15"), 15);
    ck_assert_int_eq(conf_signal_parse("34"), 34);
    ck_assert_int_eq(conf_signal_parse("0"), -1);
    ck_assert_int_eq(conf_signal_parse("65"), -1);
    ck_assert_int_eq(conf_signal_parse("FOO"), -1);
    ck_assert_int_eq(conf_signal_parse("SIG"), -1);
    ck_assert_int_eq(conf_signal_parse(""), -1);
    ck_assert_int_eq(conf_signal_parse(NULL), -1);
    ck_assert_int_eq(conf_signal_parse("15x"), -1);
    ck_assert_str_eq(conf_signal_name(SIGTERM), "TERM");
    ck_assert_str_eq(conf_signal_name(SIGKILL), "KILL");
    ck_assert_str_eq(conf_signal_name(SIGUSR2), "USR2");
    ck_assert_str_eq(conf_signal_name(34), "34"); /* printed as SIG34, never SIGSIG34 */
    int s = 0;
    ck_assert_int_eq(cf_parse_signal("SIGINT", &s), 0);
    ck_assert_int_eq(s, SIGINT);
    ck_assert_int_eq(cf_parse_signal("NOPE", &s), -1);
    ck_assert_int_eq(s, SIGINT);
}
END_TEST

START_TEST(test_keyword)
{
    static const struct cf_keyword tab[] = {{"reload", 1}, {"forward", 2}, {NULL, 0}};
    int v = 0;
    ck_assert_int_eq(cf_parse_keyword("Forward", tab, &v), 0);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(cf_parse_keyword("forwardx", tab, &v), -1);
    ck_assert_int_eq(v, 2);
}
END_TEST

START_TEST(test_env)
{
    struct env_list e = {0};
    char *err = NULL;
    ck_assert_int_eq(cf_parse_env("KEY=val,KEY2=\"v, w\"", &e, &err), 0);
    ck_assert_uint_eq(e.n, 2);
    ck_assert_str_eq(e.v[0].key, "KEY");
    ck_assert_str_eq(e.v[0].value, "val");
    ck_assert_str_eq(e.v[1].key, "KEY2");
    ck_assert_str_eq(e.v[1].value, "v, w");
    /* single quotes, blanks, empty values, newline separators, replacing */
    ck_assert_int_eq(cf_parse_env(" A = 'x,y' ,\n B= ,C=a b=c\n_D9=/p:/q\nKEY=new,", &e, &err), 0);
    ck_assert_str_eq(t_env(&e, "A"), "x,y");
    ck_assert_str_eq(t_env(&e, "B"), "");
    ck_assert_str_eq(t_env(&e, "C"), "a b=c");
    ck_assert_str_eq(t_env(&e, "_D9"), "/p:/q");
    ck_assert_str_eq(t_env(&e, "KEY"), "new");
    ck_assert_str_eq(e.v[0].key, "KEY");          /* replaced in place */
    ck_assert_uint_eq(e.n, 6);
    ck_assert_int_eq(cf_parse_env("", &e, &err), 0);
    ck_assert_uint_eq(e.n, 6);

    /* names as supervisord's tokenizer reads words: KEY.NAME, a-b, 1A */
    struct env_list e3 = {0};
    ck_assert_int_eq(cf_parse_env("KEY.NAME=1,A-B=2,1A=x,a/b(c):d+e=3", &e3, &err), 0);
    ck_assert_uint_eq(e3.n, 4);
    ck_assert_str_eq(t_env(&e3, "KEY.NAME"), "1");
    ck_assert_str_eq(t_env(&e3, "A-B"), "2");
    ck_assert_str_eq(t_env(&e3, "1A"), "x");
    ck_assert_str_eq(t_env(&e3, "a/b(c):d+e"), "3");
    cf_env_free(&e3);

    const char *bad[] = {"A@B=x", "A", "A=\"x", "A=\"x\"y", "=x", "A=x\"y", "A B=1", "@=1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = NULL;
        ck_assert_msg(cf_parse_env(bad[i], &e, &err) == -1, "accepted %s", bad[i]);
        ck_assert_ptr_nonnull(err);
        free(err);
    }
    ck_assert_uint_eq(e.n, 6);        /* a failed parse adds nothing */
    struct env_list e2 = {0};
    cf_env_copy(&e2, &e);
    ck_assert_uint_eq(e2.n, 6);
    cf_env_free(&e2);
    cf_env_free(&e);
    ck_assert_uint_eq(e.n, 0);
}
END_TEST

START_TEST(test_user)
{
    uid_t uid = 5;
    gid_t gid = 5;
    char *name = NULL, *err = NULL;
    ck_assert_int_eq(cf_parse_user("root", &uid, &gid, &name, &err), 0);
    ck_assert_uint_eq(uid, 0);
    ck_assert_uint_eq(gid, 0);
    ck_assert_str_eq(name, "root");
    free(name);
    ck_assert_int_eq(cf_parse_user("0", &uid, &gid, &name, &err), 0);
    ck_assert_str_eq(name, "root");
    free(name);
    ck_assert_int_eq(cf_parse_user("no-such-user-tend", &uid, &gid, &name, &err), -1);
    ck_assert_str_eq(err, "no such user 'no-such-user-tend'");
    free(err);
    ck_assert_int_eq(cf_parse_user("-3", &uid, &gid, &name, &err), -1);
    free(err);
    gid_t g = 9;
    ck_assert_int_eq(cf_parse_group("root", &g, &err), 0);
    ck_assert_uint_eq(g, 0);
    ck_assert_int_eq(cf_parse_group("1234", &g, &err), 0);
    ck_assert_uint_eq(g, 1234);
    ck_assert_int_eq(cf_parse_group("no-such-group-tend", &g, &err), -1);
    ck_assert_str_eq(err, "no such group 'no-such-group-tend'");
    free(err);
}
END_TEST

START_TEST(test_names_and_util)
{
    ck_assert(cf_valid_name("web-1.x_y"));
    /* what supervisord accepts: all but blanks, ':' and '/' */
    ck_assert(cf_valid_name("api+x"));
    ck_assert(cf_valid_name("a@b~c,d!e%f"));
    ck_assert(cf_valid_name("caf\xc3\xa9"));
    ck_assert(!cf_valid_name(""));
    ck_assert(!cf_valid_name("a:b"));
    ck_assert(!cf_valid_name("a b"));
    ck_assert(!cf_valid_name("a\tb"));
    ck_assert(!cf_valid_name("a/b"));
    ck_assert(!cf_valid_name("a\x01"));
    ck_assert(!cf_valid_name("a\x7f"));
    ck_assert_uint_eq(cf_edit_distance("autorestrat", "autorestart"), 1);
    ck_assert_uint_eq(cf_edit_distance("", "abc"), 3);
    ck_assert_uint_eq(cf_edit_distance("kitten", "sitting"), 3);
    const char *const cands[] = {"autorestart", "autostart", "command", NULL};
    ck_assert_str_eq(cf_closest("autorestrat", cands), "autorestart");
    ck_assert_str_eq(cf_closest("comand", cands), "command");
    ck_assert_ptr_null(cf_closest("zzzzzz", cands));
    ck_assert_ptr_null(cf_closest("cmd", cands));
    char *j = cf_path_join("/etc/tend", "logs/x");
    ck_assert_str_eq(j, "/etc/tend/logs/x");
    free(j);
    j = cf_path_join("/etc/tend", "/abs");
    ck_assert_str_eq(j, "/abs");
    free(j);
    j = cf_dirname("a/b/c.ini");
    ck_assert_str_eq(j, "a/b");
    free(j);
    j = cf_dirname("c.ini");
    ck_assert_str_eq(j, ".");
    free(j);
    j = cf_dirname("/c.ini");
    ck_assert_str_eq(j, "/");
    free(j);
}
END_TEST

int main(void)
{
    conf_use_system_accounts(); /* user and group names are resolved */
    Suite *s = suite_create("conf_values");
    TCase *tc = t_tcase(s, "values");
    tcase_add_test(tc, test_bool);
    tcase_add_test(tc, test_int);
    tcase_add_test(tc, test_size);
    tcase_add_test(tc, test_octal);
    tcase_add_test(tc, test_exitcodes);
    tcase_add_test(tc, test_signal);
    tcase_add_test(tc, test_keyword);
    tcase_add_test(tc, test_env);
    tcase_add_test(tc, test_user);
    tcase_add_test(tc, test_names_and_util);
    return t_run(s);
}
