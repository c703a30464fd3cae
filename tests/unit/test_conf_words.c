/* test_conf_words.c - command splitting (conf/words.c) and %(name)s
 * expansion (conf/expand.c). */
#include "conf_test.h"
#include "conf/expand.h"
#include "conf/util.h"
#include "conf/words.h"

/* Split S and compare with the NULL-terminated expected words. */
static void split_is(const char *s, ...)
{
    char *err = NULL;
    char **v = cf_split_words(s, &err);
    ck_assert_msg(v != NULL, "split '%s' failed: %s", s, err ? err : "");
    va_list ap;
    va_start(ap, s);
    size_t i = 0;
    for (const char *w; (w = va_arg(ap, const char *)); i++) {
        ck_assert_msg(v[i] != NULL, "'%s': too few words (%zu)", s, i);
        ck_assert_str_eq(v[i], w);
    }
    va_end(ap);
    ck_assert_msg(v[i] == NULL, "'%s': extra word '%s'", s, v[i]);
    cf_strv_free(v);
}

static void split_fails(const char *s, const char *msg)
{
    char *err = NULL;
    char **v = cf_split_words(s, &err);
    ck_assert_msg(v == NULL, "split '%s' should fail", s);
    ck_assert_str_eq(err, msg);
    free(err);
}

START_TEST(test_plain)
{
    split_is("sleep 10", "sleep", "10", NULL);
    split_is("  a\tb \n c  ", "a", "b", "c", NULL);
    split_is("/bin/echo", "/bin/echo", NULL);
    split_is("a|b > c && d;e", "a|b", ">", "c", "&&", "d;e", NULL);
    split_is("$HOME *.c ~", "$HOME", "*.c", "~", NULL);
}
END_TEST

START_TEST(test_quotes)
{
    split_is("sh -c 'echo \"hi there\"'", "sh", "-c", "echo \"hi there\"", NULL);
    split_is("a 'b c' \"d e\"", "a", "b c", "d e", NULL);
    split_is("'' \"\" x", "", "", "x", NULL);
    split_is("a'b'\"c\"d", "abcd", NULL);
    split_is("'a\\b'", "a\\b", NULL);                     /* no escapes in '...' */
    split_is("\"a\\\"b\\\\c\\$d\\`e\\x\"", "a\"b\\c$d`e\\x", NULL);
    split_is("\"multi\nline\"", "multi\nline", NULL);
    split_is("\"a\\\nb\"", "ab", NULL);
}
END_TEST

START_TEST(test_backslash)
{
    split_is("a\\ b c", "a b", "c", NULL);
    split_is("\\'x\\'", "'x'", NULL);
    split_is("a\\\nb", "ab", NULL);
    split_is("\\\\", "\\", NULL);
    split_is("\\n", "n", NULL);
}
END_TEST

START_TEST(test_errors)
{
    split_fails("echo 'oops", "unterminated single quote in the command");
    split_fails("echo \"oops", "unterminated double quote in the command");
    split_fails("echo \"a\\\"", "unterminated double quote in the command");
    split_fails("echo \\", "the command ends with a lone backslash");
    split_fails("", "the command is empty");
    split_fails("  \n\t ", "the command is empty");
}
END_TEST

START_TEST(test_join)
{
    char *argv[] = {"sh", "-c", "echo 'x' $y", "", "a=b,c", NULL};
    char *s = cf_join_words(argv);
    ck_assert_str_eq(s, "sh -c 'echo '\\''x'\\'' $y' '' a=b,c");
    char *err = NULL;
    char **back = cf_split_words(s, &err);
    ck_assert_ptr_nonnull(back);
    for (int i = 0; argv[i]; i++)
        ck_assert_str_eq(back[i], argv[i]);
    ck_assert_ptr_null(back[5]);
    cf_strv_free(back);
    free(s);
}
END_TEST

/* ---- expansions ---- */
static const struct cf_var vars[] = {
    {"program_name", "web", 0}, {"process_num", NULL, 3}, {"numprocs", NULL, 12},
    {"group_name", "g", 0}, {"here", "/etc/tend", 0}, {"host_node_name", "box", 0},
};
#define NV (sizeof vars / sizeof vars[0])

static void expands_to(const char *s, const char *want)
{
    char *err = NULL;
    char *r = cf_expand(s, vars, NV, &err);
    ck_assert_msg(r != NULL, "expand '%s' failed: %s", s, err ? err : "");
    ck_assert_str_eq(r, want);
    free(r);
}

static void expand_fails(const char *s, const char *msg)
{
    char *err = NULL;
    char *r = cf_expand(s, vars, NV, &err);
    ck_assert_msg(r == NULL, "'%s' should fail, gave '%s'", s, r);
    ck_assert_msg(strstr(err, msg), "'%s': error '%s' lacks '%s'", s, err, msg);
    free(err);
}

START_TEST(test_expand)
{
    expands_to("plain", "plain");
    expands_to("", "");
    expands_to("%(program_name)s", "web");
    expands_to("%(program_name)s_%(process_num)02d", "web_03");
    expands_to("%(process_num)d/%(numprocs)d", "3/12");
    expands_to("%(process_num)i", "3");
    expands_to("%(process_num)s", "3");
    expands_to("[%(process_num)-4d]", "[3   ]");
    expands_to("[%(program_name)5s]", "[  web]");
    expands_to("%(group_name)s:%(here)s@%(host_node_name)s", "g:/etc/tend@box");
    expands_to("100%% sure %%(x)s", "100% sure %(x)s");
    setenv("TEND_TEST_VAR", "hello", 1);
    expands_to("%(ENV_TEND_TEST_VAR)s!", "hello!");
    expands_to("%(ENV_HOME)s", getenv("HOME"));
}
END_TEST

START_TEST(test_expand_errors)
{
    expand_fails("%(nope)s", "unknown expansion %(nope)");
    expand_fails("%(program_nam)s", "did you mean %(program_name)?");
    unsetenv("TEND_NOT_SET");
    expand_fails("%(ENV_TEND_NOT_SET)s", "TEND_NOT_SET is not set in tend's environment");
    expand_fails("50%", "doubled as %%");
    expand_fails("date +%s", "doubled as %%");
    expand_fails("%(program_name", "unterminated %(");
    expand_fails("%(program_name)", "must be followed by a format");
    expand_fails("%(program_name)x", "must be followed by a format");
    expand_fails("%(program_name)d", "needs a number");
}
END_TEST

int main(void)
{
    conf_use_system_accounts(); /* user and group names are resolved */
    Suite *s = suite_create("conf_words");
    TCase *tc = t_tcase(s, "words");
    tcase_add_test(tc, test_plain);
    tcase_add_test(tc, test_quotes);
    tcase_add_test(tc, test_backslash);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_join);
    tc = t_tcase(s, "expand");
    tcase_add_test(tc, test_expand);
    tcase_add_test(tc, test_expand_errors);
    return t_run(s);
}
