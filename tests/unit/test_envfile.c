/* test_envfile.c - environment files: every quoting rule and error of
 * conf_envfile_read, and the precedence of conf_env_resolve. */
#include "conf_test.h"

#include <fcntl.h>
#include <sys/stat.h>

static struct env_list ev;
static char eerr[1024];

/* Read TEXT as the file x.env; returns what conf_envfile_read returns. */
static int rd(const char *text)
{
    conf_env_free(&ev);
    eerr[0] = '\0';
    char *path = t_write("x.env", text);
    return conf_envfile_read(path, &ev, eerr, sizeof eerr);
}

static const char *get(const char *key)
{
    return t_env(&ev, key);
}

#define has(key, val)                                                                  \
    do {                                                                               \
        const char *v_ = get(key);                                                     \
        ck_assert_msg(v_ != NULL, "%s not set", key);                                  \
        ck_assert_msg(!strcmp(v_, val), "%s = [%s], expected [%s]", key, v_, val);     \
    } while (0)

/* The error names x.env and LINE, and says WHAT. */
static void err_is(int line, const char *what)
{
    char want[600];
    snprintf(want, sizeof want, "%s/x.env:%d: %s", t_dir, line, what);
    ck_assert_msg(!strcmp(eerr, want), "error [%s], expected [%s]", eerr, want);
}

static void teardown(void)
{
    conf_env_free(&ev);
    t_teardown();
}

START_TEST(test_plain)
{
    ck_assert_int_eq(rd("A=1\n"
                        "\n"
                        "   \t\n"
                        "# a comment\n"
                        "   # an indented comment\n"
                        "B = two words  \n"
                        "export C=3\n"
                        "export\tD=4\n"
                        "E=\n"
                        "F=a#b\n"
                        "G=x # a comment\n"
                        "H=url?a=1&b=2\n"
                        "exported=5\n"
                        "_u9=6\n"
                        "A=again\n"
                        "I=\t \n"
                        "J=it's \"raw\" \\n $HOME\n"
                        "K=last"), 0);    /* no final newline */
    has("A", "again");          /* a later key wins */
    has("B", "two words");      /* blanks around '=' and the value trimmed */
    has("C", "3");
    has("D", "4");
    has("E", "");
    has("F", "a#b");            /* '#' starts a comment only after a blank */
    has("G", "x");
    has("H", "url?a=1&b=2");
    has("exported", "5");
    has("_u9", "6");
    has("I", "");
    has("J", "it's \"raw\" \\n $HOME");   /* unquoted: nothing is special */
    has("K", "last");
    ck_assert_uint_eq(ev.n, 13);
}
END_TEST

START_TEST(test_single_quotes)
{
    ck_assert_int_eq(rd("A='  kept  '\n"
                        "B='back\\slash \\n $x \"dq\" # not a comment'\n"
                        "C=''\n"
                        "D='two\nlines'\n"
                        "E='x'   # comment after the quote\n"
                        "F='x'\t\n"
                        "G=after\n"), 0);
    has("A", "  kept  ");
    has("B", "back\\slash \\n $x \"dq\" # not a comment");
    has("C", "");
    has("D", "two\nlines");
    has("E", "x");
    has("F", "x");
    has("G", "after");
}
END_TEST

START_TEST(test_double_quotes)
{
    ck_assert_int_eq(rd("A=\"  kept  \"\n"
                        "B=\"nl\\nquote\\\"bs\\\\dollar\\$\"\n"
                        "C=\"other \\t \\x stay\"\n"
                        "D=\"it's 'single' # no comment\"\n"
                        "E=\"\"\n"
                        "F=\"two\nlines\"\n"
                        "G=\"joined \\\nline\"\n"
                        "H=\"x\" # comment\n"
                        "I=after\n"), 0);
    has("A", "  kept  ");
    has("B", "nl\nquote\"bs\\dollar$");
    has("C", "other \\t \\x stay");
    has("D", "it's 'single' # no comment");
    has("E", "");
    has("F", "two\nlines");
    has("G", "joined line");
    has("H", "x");
    has("I", "after");
}
END_TEST

START_TEST(test_crlf)
{
    ck_assert_int_eq(rd("A=1\r\nB='q'\r\n# c\r\n\r\nC=\"d\"\r\n"), 0);
    has("A", "1");
    has("B", "q");
    has("C", "d");
}
END_TEST

START_TEST(test_errors)
{
    ck_assert_int_eq(rd("A=1\n\njust text\n"), -1);
    err_is(3, "expected KEY=VALUE");
    ck_assert_int_eq(rd("export A\n"), -1);
    err_is(1, "expected KEY=VALUE");
    ck_assert_int_eq(rd("export\n"), -1);
    err_is(1, "expected KEY=VALUE");
    ck_assert_int_eq(rd("=value\n"), -1);
    err_is(1, "invalid variable name (letters, digits and '_', not starting with a digit)");
    ck_assert_int_eq(rd("A=1\n1A=x\n"), -1);
    err_is(2, "invalid variable name (letters, digits and '_', not starting with a digit)");
    ck_assert_int_eq(rd("MY-KEY=x\n"), -1);
    err_is(1, "invalid variable name (letters, digits and '_', not starting with a digit)");
    ck_assert_int_eq(rd("A B=x\n"), -1);
    err_is(1, "invalid variable name (letters, digits and '_', not starting with a digit)");
    ck_assert_int_eq(rd("A=1\nB='open\nC=2\n"), -1);
    err_is(2, "unterminated single quote");
    ck_assert_int_eq(rd("A=\"open\\\"\n"), -1);
    err_is(1, "unterminated double quote");
    ck_assert_int_eq(rd("A='x'y\n"), -1);
    err_is(1, "unexpected text after the closing quote");
    ck_assert_int_eq(rd("A=\"two\nlines\" junk\n"), -1);
    err_is(2, "unexpected text after the closing quote");
}
END_TEST

START_TEST(test_values_never_in_errors)
{
    const char *texts[] = {
        "PASSWORD=hunter2\nhunter2\n", "PASSWORD='hunter2\n", "PASSWORD=\"hunter2\"hunter2\n",
        "hunter2=1\n-hunter2=x\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        ck_assert_int_eq(rd(texts[i]), -1);
        ck_assert_msg(!strstr(eerr, "hunter2"), "a value in [%s]", eerr);
    }
}
END_TEST

START_TEST(test_files)
{
    char path[600];
    /* a missing file: an error naming it, unless optional */
    snprintf(path, sizeof path, "%s/none.env", t_dir);
    ck_assert_int_eq(conf_envfile_read(path, &ev, eerr, sizeof eerr), -1);
    char want[700];
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    ck_assert_str_eq(eerr, want);
    snprintf(path, sizeof path, "-%s/none.env", t_dir);
    ck_assert_int_eq(conf_envfile_read(path, &ev, eerr, sizeof eerr), 0);
    ck_assert_uint_eq(ev.n, 0);
    /* optional only forgives a missing file */
    snprintf(path, sizeof path, "-%s", t_dir);
    ck_assert_int_eq(conf_envfile_read(path, &ev, eerr, sizeof eerr), -1);
    ck_assert_ptr_nonnull(strstr(eerr, "not a regular file"));
    /* a FIFO is refused without waiting for a writer */
    snprintf(path, sizeof path, "%s/fifo", t_dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(conf_envfile_read(path, &ev, eerr, sizeof eerr), -1);
    ck_assert_ptr_nonnull(strstr(eerr, "not a regular file"));
    /* NUL bytes: not a text file */
    snprintf(path, sizeof path, "%s/nul.env", t_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "A=1\0\n", 5), 5);
    close(fd);
    ck_assert_int_eq(conf_envfile_read(path, &ev, eerr, sizeof eerr), -1);
    ck_assert_ptr_nonnull(strstr(eerr, "NUL byte"));
    /* a huge file */
    snprintf(path, sizeof path, "%s/big.env", t_dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 2 * 1024 * 1024), 0);
    close(fd);
    ck_assert_int_eq(conf_envfile_read(path, &ev, eerr, sizeof eerr), -1);
    ck_assert_ptr_nonnull(strstr(eerr, "larger than 1 MiB"));
    /* an unreadable file (as a user; root reads anything) */
    if (geteuid() != 0) {
        char *p = t_write("secret.env", "A=1\n");
        ck_assert_int_eq(chmod(p, 0), 0);
        ck_assert_int_eq(conf_envfile_read(p, &ev, eerr, sizeof eerr), -1);
        ck_assert_ptr_nonnull(strstr(eerr, "Permission denied"));
    }
    /* an empty file is fine */
    ck_assert_int_eq(rd(""), 0);
    ck_assert_uint_eq(ev.n, 0);
}
END_TEST

/* The contract's order: tend's environment < [supervisor] environment_file
 * < [supervisor] environment < the program's environment_file < its
 * environment. */
START_TEST(test_resolve_precedence)
{
    t_write("sup.env", "K1=supfile\nK2=supfile\nK3=supfile\nK4=supfile\n");
    t_write("prog.env", "K2=progfile\nK3=progfile\nK5=progfile\n");
    struct tend_config *c = t_load("[supervisor]\n"
                                   "environment_file = sup.env\n"
                                   "environment = K2=supenv,K3=supenv,K4=supenv\n"
                                   "[program:a]\n"
                                   "command = /bin/true\n"
                                   "environment_file = prog.env, -gone.env\n"
                                   "environment = K3=progenv,K6=progenv\n"
                                   "[program:b]\n"
                                   "command = /bin/true\n"
                                   "environment = K1=benv\n");
    t_ok(c);
    struct env_list out;
    ck_assert_int_eq(conf_env_resolve(t_proc(c, "a"), &out, eerr, sizeof eerr), 0);
    ck_assert_str_eq(t_env(&out, "K1"), "supfile");
    ck_assert_str_eq(t_env(&out, "K2"), "progfile");
    ck_assert_str_eq(t_env(&out, "K3"), "progenv");
    ck_assert_str_eq(t_env(&out, "K4"), "supenv");
    ck_assert_str_eq(t_env(&out, "K5"), "progfile");
    ck_assert_str_eq(t_env(&out, "K6"), "progenv");
    ck_assert_uint_eq(out.n, 6);
    conf_env_free(&out);
    /* [supervisor]'s files reach programs without files of their own */
    ck_assert_int_eq(conf_env_resolve(t_proc(c, "b"), &out, eerr, sizeof eerr), 0);
    ck_assert_str_eq(t_env(&out, "K1"), "benv");
    ck_assert_str_eq(t_env(&out, "K2"), "supenv");
    ck_assert_str_eq(t_env(&out, "K3"), "supenv");
    ck_assert_ptr_null(t_env(&out, "K5"));
    conf_env_free(&out);

    /* read at every start: a changed file counts, a vanished one fails */
    t_write("prog.env", "K5=changed\n");
    ck_assert_int_eq(conf_env_resolve(t_proc(c, "a"), &out, eerr, sizeof eerr), 0);
    ck_assert_str_eq(t_env(&out, "K5"), "changed");
    ck_assert_str_eq(t_env(&out, "K2"), "supenv");
    conf_env_free(&out);
    char path[600];
    snprintf(path, sizeof path, "%s/prog.env", t_dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(conf_env_resolve(t_proc(c, "a"), &out, eerr, sizeof eerr), -1);
    ck_assert_ptr_nonnull(strstr(eerr, "prog.env: No such file or directory"));
    ck_assert_uint_eq(out.n, 0);
    t_write("prog.env", "K5=x\nbroken\n");
    ck_assert_int_eq(conf_env_resolve(t_proc(c, "a"), &out, eerr, sizeof eerr), -1);
    ck_assert_ptr_nonnull(strstr(eerr, "prog.env:2: expected KEY=VALUE"));
    conf_free(c);
}
END_TEST

START_TEST(test_resolve_without_files)
{
    struct tend_config *c = t_load("[supervisor]\nenvironment = A=1\n"
                                   "[program:a]\ncommand = /bin/true\nenvironment = B=2\n");
    t_ok(c);
    struct env_list out;
    ck_assert_int_eq(conf_env_resolve(t_proc(c, "a"), &out, eerr, sizeof eerr), 0);
    ck_assert_uint_eq(out.n, 2);
    ck_assert_str_eq(t_env(&out, "A"), "1");
    ck_assert_str_eq(t_env(&out, "B"), "2");
    conf_env_free(&out);
    conf_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("envfile");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, t_setup, teardown);
    tcase_set_timeout(tc, 10);
    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_plain);
    tcase_add_test(tc, test_single_quotes);
    tcase_add_test(tc, test_double_quotes);
    tcase_add_test(tc, test_crlf);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_values_never_in_errors);
    tcase_add_test(tc, test_files);
    tc = t_tcase(s, "resolve");
    tcase_add_test(tc, test_resolve_precedence);
    tcase_add_test(tc, test_resolve_without_files);
    return t_run(s);
}
