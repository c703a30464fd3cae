/* test_conf_load.c - the line reader in front of inih (conf/load.c): long
 * lines, comments, continuation lines, line numbers, syntax errors and
 * [include]. */
#include "conf_test.h"
#include <sys/stat.h>
#include <unistd.h>
#include "conf/util.h"

/* A string of N characters cycling through letters and digits. */
static char *filler(size_t n)
{
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36];
    s[n] = '\0';
    return s;
}

/* A FIFO named as the config (or an include) is refused at once, never
 * waited on; a config others can write is a warning when we are root. */
START_TEST(test_file_kinds_and_permissions)
{
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/fifo.ini", t_dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    conf_diags_free(&t_d);
    t_fails(conf_load(fifo, &t_d));
    ck_assert_ptr_nonnull(strstr(t_diags(), "is not a regular file"));

    char *p = t_write("open.ini", "[program:a]\ncommand = true\n");
    ck_assert_int_eq(chmod(p, 0666), 0);
    conf_diags_free(&t_d);
    struct tend_config *c = conf_load(p, &t_d);
    t_ok(c);
    if (geteuid() == 0)
        ck_assert_ptr_nonnull(strstr(t_diags(), "writable by every user"));
    else
        ck_assert_ptr_null(strstr(t_diags(), "writable by every user"));
    conf_free(c);
    ck_assert_int_eq(chmod(p, 0644), 0);
    conf_diags_free(&t_d);
    c = conf_load(p, &t_d);
    t_ok(c);
    ck_assert_int_eq(t_d.nwarnings, 0);
    conf_free(c);
}
END_TEST

START_TEST(test_long_lines)
{
    /* A 5000-character environment line and a 300-character command line
     * keep their exact values; an error after them has the right line. */
    char *v1 = filler(2500), *v2 = filler(2480), *arg = filler(280);
    char *envline, *cmdline;
    ck_assert_int_gt(asprintf(&envline, "environment = A=%s,B=\"%s, x\"", v1, v2), 0);
    ck_assert_int_gt(asprintf(&cmdline, "command = /bin/echo %s", arg), 0);
    ck_assert_uint_ge(strlen(envline), 5000);
    ck_assert_uint_ge(strlen(cmdline), 300);
    struct tend_config *c = t_loadf("[program:long]\n%s\n%s\nstartsecs = 1\n\n"
                                    "[program:other]\ncommand = true\nstartretries = many\n",
                                    envline, cmdline);
    t_fails(c);
    t_has_error(8, "startretries: invalid value 'many'");
    ck_assert_int_eq(t_d.nerrors, 1);

    c = t_loadf("[program:long]\n%s\n%s\nstartsecs = 1\n", envline, cmdline);
    t_ok(c);
    struct process_config *p = t_proc(c, "long");
    ck_assert_str_eq(t_env(&p->environment, "A"), v1);
    char *want;
    ck_assert_int_gt(asprintf(&want, "%s, x", v2), 0);
    ck_assert_str_eq(t_env(&p->environment, "B"), want);
    ck_assert_str_eq(p->argv[0], "/bin/echo");
    ck_assert_str_eq(p->argv[1], arg);
    ck_assert_ptr_null(p->argv[2]);
    ck_assert_int_eq(p->line_command, 3);
    conf_free(c);
    free(want);
    free(envline);
    free(cmdline);
    free(v1);
    free(v2);
    free(arg);
}
END_TEST

START_TEST(test_long_continuation)
{
    char *a = filler(400), *b = filler(250);
    struct tend_config *c = t_loadf("[program:x]\ncommand = /bin/echo %s\n    %s\n\t  last\n"
                                    "bogus = 1\n", a, b);
    t_ok(c);
    struct process_config *p = t_proc(c, "x");
    ck_assert_str_eq(p->argv[1], a);
    ck_assert_str_eq(p->argv[2], b);
    ck_assert_str_eq(p->argv[3], "last");
    ck_assert_ptr_null(p->argv[4]);
    t_has_warning(5, "unknown key 'bogus'");
    conf_free(c);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_comments)
{
    struct tend_config *c = t_load(
        "; a comment\n"
        "# another\n"
        "   ; indented comment\n"
        "\t# indented too\n"
        "[program:c]   ; after a header\n"
        "command = /bin/echo a;b ; gone\n"
        "environment = K=v#1 # gone too\n"
        "directory = /tmp\t;tab before\n"
        "startsecs = 3;\n");
    t_fails(c);       /* "3;" is not a number: ';' without a blank is kept */
    t_has_error(9, "startsecs: invalid value '3;'");
    c = t_load(
        "; a comment\n"
        "[program:c]   ; after a header\n"
        "command = /bin/echo a;b a#b x ;y\n"
        "environment = K=v#1 # gone too\n"
        "directory = /tmp\t;tab before\n");
    t_ok(c);
    struct process_config *p = t_proc(c, "c");
    ck_assert_str_eq(p->command, "/bin/echo a;b a#b x");
    ck_assert_str_eq(t_env(&p->environment, "K"), "v#1");
    ck_assert_str_eq(p->directory, "/tmp");
    conf_free(c);
    /* ... so the cut quote is an error on its line */
    c = t_load("[program:c]\ncommand = sh -c \"a ;b\"\n");
    t_fails(c);
    t_has_error(2, "command: unterminated double quote");
}
END_TEST

START_TEST(test_continuation)
{
    struct tend_config *c = t_load(
        "[program:w]\n"
        "command = /bin/sh -c\n"
        "   'echo one;\n"
        "\n"
        "; comment inside\n"
        "    echo two'\n"
        "environment = A=1,\n"
        "  B=2\n"
        "  C=\"x, y\"\n"
        "autostart=false\n");
    t_ok(c);
    struct process_config *p = t_proc(c, "w");
    ck_assert_str_eq(p->argv[2], "echo one;\necho two");
    ck_assert_str_eq(p->command, "/bin/sh -c 'echo one; echo two'");
    ck_assert_str_eq(t_env(&p->environment, "A"), "1");
    ck_assert_str_eq(t_env(&p->environment, "B"), "2");
    ck_assert_str_eq(t_env(&p->environment, "C"), "x, y");
    ck_assert(!p->autostart);
    conf_free(c);
}
END_TEST

START_TEST(test_syntax_errors)
{
    /* every error reported, each with its line */
    struct tend_config *c = t_load(
        "orphan = 1\n"             /* 1 */
        "[program:a\n"             /* 2 */
        "command = x\n"            /* 3: skipped, inside the broken header */
        "[]\n"                     /* 4 */
        "[program:b]\n"            /* 5 */
        "just some words\n"        /* 6 */
        "= novalue\n"              /* 7 */
        "command = /bin/true\n"    /* 8 */
        "command = /bin/false\n"   /* 9: replaces line 8, with a warning */
        "   continued\n"           /* 10: continues line 9 */
        "[program:b] junk\n");     /* 11 */
    t_fails(c);
    t_has_error(1, "'orphan' comes before any [section]");
    t_has_error(2, "a section header must end with ']'");
    t_has_error(4, "empty section name");
    t_has_error(6, "expected 'key = value', got 'just some words'");
    t_has_error(7, "a line with no key before '='");
    t_has_warning(9, "duplicate key 'command' in [program:b]: this value replaces the one at "
                     "line 8");
    t_has_error(11, "a section header must end with ']'");
    ck_assert_int_eq(t_d.nerrors, 6);
    /* sorted by line */
    for (size_t i = 1; i < t_d.n; i++)
        ck_assert_int_le(t_d.v[i - 1].line, t_d.v[i].line);
}
END_TEST

START_TEST(test_colon_crlf_bom_case)
{
    struct tend_config *c = t_load("\xEF\xBB\xBF[program:x]\r\nCOMMAND: /bin/echo a=b\r\n"
                                   "StartSecs = 4\r\n");
    t_ok(c);
    struct process_config *p = t_proc(c, "x");
    ck_assert_str_eq(p->argv[1], "a=b");
    ck_assert_int_eq(p->startsecs, 4);
    conf_free(c);
}
END_TEST

START_TEST(test_missing_file)
{
    char path[600];
    snprintf(path, sizeof path, "%s/nope.ini", t_dir);
    struct tend_config *c = conf_load(path, &t_d);
    t_fails(c);
    ck_assert_int_eq(t_d.nerrors, 1);
    ck_assert_str_eq(t_d.v[0].file, path);
    ck_assert_int_eq(t_d.v[0].line, 0);
    ck_assert_str_eq(t_d.v[0].msg, "cannot open: No such file or directory");
    /* a directory is not a config file */
    c = conf_load(t_dir, &t_d);
    t_fails(c);
}
END_TEST

START_TEST(test_include)
{
    t_write("conf.d/b.ini", "[program:b]\ncommand = /bin/b\nstdout_logfile = logs/b.log\n"
                            "[include]\nfiles = ../more/*.conf\n");
    t_write("conf.d/a.ini", "[program:a]\ncommand = /bin/a\nbad_key = 1\n");
    t_write("conf.d/skip.txt", "[program:skip]\ncommand = /bin/skip\n");
    t_write("more/c.conf", "\n\n[program:c]\ncommand = %(here)s/run\nstartsecs = x\n");
    struct tend_config *c = t_load("[include]\nfiles = conf.d/*.ini  nothing/*.ini\n"
                                   "[program:main]\ncommand = /bin/main\n");
    t_fails(c);
    char want[600];
    snprintf(want, sizeof want, "%s/more/c.conf", t_dir);
    /* the error names the included file and its own line */
    const struct conf_diag *g = t_find(CONF_ERROR, 5, "startsecs: invalid value 'x'");
    ck_assert_ptr_nonnull(g);
    ck_assert_msg(strstr(g->file, "more/c.conf"), "file %s", g->file);
    g = t_find(CONF_WARNING, 3, "unknown key 'bad_key'");
    ck_assert_ptr_nonnull(g);
    ck_assert_msg(strstr(g->file, "conf.d/a.ini"), "file %s", g->file);
    t_has_warning(2, "no file matches include pattern 'nothing/*.ini'");

    t_write("more/c.conf", "[program:c]\ncommand = %(here)s/run\n");
    c = t_load("[include]\nfiles = conf.d/*.ini\n[program:main]\ncommand = /bin/main\n");
    t_ok(c);
    ck_assert_uint_eq(c->nfiles, 4);
    ck_assert_uint_eq(c->nprograms, 4);
    ck_assert_uint_eq(c->nprocs, 4);
    ck_assert_msg(strstr(c->files[0], "/main.ini"), "%s", c->files[0]);
    ck_assert_msg(strstr(c->files[1], "conf.d/a.ini"), "%s", c->files[1]);   /* sorted */
    ck_assert_msg(strstr(c->files[2], "conf.d/b.ini"), "%s", c->files[2]);
    ck_assert_msg(strstr(c->files[3], "more/c.conf"), "%s", c->files[3]);
    ck_assert_ptr_null(c->files[4]);
    snprintf(want, sizeof want, "%s/more/run", t_dir);
    ck_assert_str_eq(t_proc(c, "c")->argv[0], want);     /* %(here)s of the included file */
    snprintf(want, sizeof want, "%s/conf.d/logs/b.log", t_dir);
    ck_assert_str_eq(t_proc(c, "b")->stdout_log.path, want);  /* relative to its file */
    conf_free(c);
}
END_TEST

START_TEST(test_include_errors)
{
    /* including a file twice (a cycle) is skipped with a warning */
    t_write("a.ini", "[include]\nfiles = main.ini\n[program:a]\ncommand = /bin/a\n");
    struct tend_config *c = t_load("[include]\nfiles = a.ini\n[program:m]\ncommand = /bin/m\n");
    t_ok(c);
    t_has_warning(2, "is already read; not including it again");
    ck_assert_uint_eq(c->nfiles, 2);
    conf_free(c);
    /* no files =, an unknown key, a bad expansion */
    t_write("dup.ini", "[program:m]\ncommand = /bin/other\n");
    c = t_load("[include]\nfile = x\n[program:m]\ncommand = /bin/m\n");
    t_fails(c);
    t_has_error(1, "[include] has no files = setting");
    t_has_warning(2, "unknown key 'file' in [include]; did you mean files?");
    c = t_load("[include]\nfiles = %(nope)s\n");
    t_fails(c);
    t_has_error(2, "files: unknown expansion %(nope)");
    /* an unreadable included file is an error (root reads anything, so
     * use a directory that matches the glob) */
    mkdir(strcat(strcpy((char[600]){0}, t_dir), "/sub.ini"), 0700);
    c = t_load("[include]\nfiles = *.ini\n");
    t_fails(c);
    t_has_error(2, "sub.ini is not a regular file");
}
END_TEST

START_TEST(test_limits)
{
    char key[80], sec[140];
    memset(key, 'k', 70);
    key[70] = '\0';
    memset(sec, 's', 130);
    sec[130] = '\0';
    struct tend_config *c = t_loadf("[program:a]\ncommand = a\n%s = 1\n[%s]\n", key, sec);
    t_fails(c);
    t_has_error(3, "overlong key 'kkkk");
    t_has_error(4, "overlong section name");
    /* a NUL byte in a line */
    char path[600];
    snprintf(path, sizeof path, "%s/nul.ini", t_dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite("[program:a]\ncommand = a\0b\n", 1, 26, f);
    fclose(f);
    conf_diags_free(&t_d);
    c = conf_load(path, &t_d);
    t_fails(c);
    t_has_error(2, "NUL byte in the line");
    /* includes nested too deep */
    for (int i = 0; i < 20; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "i%d.ini", i);
        snprintf(text, sizeof text, "[include]\nfiles = i%d.ini\n", i + 1);
        t_write(name, text);
    }
    c = t_load("[include]\nfiles = i0.ini\n");
    t_fails(c);
    t_has_error(2, "includes nested deeper than 16 files");
    /* %(here)s and relative paths are normalised like os.path.abspath */
    t_write("a/b/x.ini", "[program:x]\ncommand = %(here)s/../run\ndirectory = ./w/../v/\n");
    c = t_load("[include]\nfiles = a/./b/*.ini\n");
    t_ok(c);
    char want[600];
    snprintf(want, sizeof want, "%s/a/b/../run", t_dir);
    ck_assert_str_eq(t_proc(c, "x")->argv[0], want);
    snprintf(want, sizeof want, "%s/a/b/./w/../v/", t_dir);
    ck_assert_str_eq(t_proc(c, "x")->directory, want);
    ck_assert_msg(strstr(c->files[1], "/a/b/x.ini") && !strstr(c->files[1], "/./"), "%s",
                  c->files[1]);
    conf_free(c);
}
END_TEST

START_TEST(test_duplicate_keys)
{
    /* supervisord (configparser, strict=False) keeps the last value */
    struct tend_config *c = t_load(
        "[program:a]\n"
        "command = /bin/first\n"       /* 2 */
        "autorestart = true\n"         /* 3 */
        "autorestart = false\n"        /* 4 */
        "command = /bin/second\n"      /* 5 */
        "   --flag\n"                  /* 6: continues the new value */
        "startsecs = 7\n");
    t_ok(c);
    t_has_warning(4, "duplicate key 'autorestart' in [program:a]: this value replaces the one "
                     "at line 3");
    t_has_warning(5, "duplicate key 'command' in [program:a]: this value replaces the one at "
                     "line 2");
    ck_assert_int_eq(t_d.nwarnings, 2);
    struct process_config *p = t_proc(c, "a");
    ck_assert_int_eq(p->autorestart, RESTART_FALSE);
    ck_assert_str_eq(p->argv[0], "/bin/second");
    ck_assert_str_eq(p->argv[1], "--flag");
    ck_assert_ptr_null(p->argv[2]);
    ck_assert_int_eq(p->line_command, 5);
    ck_assert_int_eq(p->startsecs, 7);
    conf_free(c);
    /* an error in the later value is reported at its own line */
    c = t_load("[program:a]\ncommand = /bin/a\nstartsecs = 1\nstartsecs = x\n");
    t_fails(c);
    t_has_error(4, "startsecs: invalid value 'x'");
}
END_TEST

START_TEST(test_duplicate_sections)
{
    /* merged into the first, later keys winning, also across [include] */
    t_write("conf.d/more.conf",
            "[supervisord]\n"                  /* 1 */
            "loglevel = debug\n"               /* 2 */
            "[program:web]\n"                  /* 3 */
            "stdout_logfile = out.log\n"       /* 4: relative to conf.d/ */
            "directory = %(here)s\n");         /* 5: conf.d/ */
    struct tend_config *c = t_load(
        "[supervisord]\n"                      /* 1 */
        "loglevel = warn\n"                    /* 2 */
        "pidfile = /tmp/x.pid\n"               /* 3 */
        "[include]\n"                          /* 4 */
        "files = conf.d/*.conf\n"              /* 5 */
        "[program:web]\n"                      /* 6 */
        "command = /bin/web %(here)s\n"        /* 7 */
        "[supervisor]\n"                       /* 8: the same section */
        "on_fatal = shutdown\n"
        "[program:web]\n"                      /* 10 */
        "startsecs = 5\n"
        "[include]\n"                          /* 12: merged, files kept */
        "[program:web]\n");                    /* 13 */
    t_ok(c);
    t_has_warning(8, "[supervisor] is given again (first at line 1): merged into it, later "
                     "keys winning");
    t_has_warning(10, "[program:web] is given again (first at line 6)");
    t_has_warning(12, "[include] is given again (first at line 4)");
    char want[600];
    snprintf(want, sizeof want, "%s/main.ini:1", t_dir);
    const struct conf_diag *g = t_find(CONF_WARNING, 1, "[supervisord] is given again");
    ck_assert_msg(g && strstr(g->file, "conf.d/more.conf") && strstr(g->msg, want), "%s",
                  t_diags());
    snprintf(want, sizeof want, "%s/main.ini:2", t_dir);
    g = t_find(CONF_WARNING, 2, "duplicate key 'loglevel' in [supervisord]");
    ck_assert_msg(g && strstr(g->file, "conf.d/more.conf") && strstr(g->msg, want), "%s",
                  t_diags());
    ck_assert_int_eq(c->loglevel, 3);                   /* the included file's, later */
    ck_assert_str_eq(c->pidfile, "/tmp/x.pid");
    ck_assert_int_eq(c->on_fatal, ON_FATAL_SHUTDOWN);
    ck_assert_uint_eq(c->nprocs, 1);
    ck_assert_uint_eq(c->nprograms, 1);
    struct process_config *p = t_proc(c, "web");
    ck_assert_int_eq(p->startsecs, 5);
    ck_assert_int_eq(p->line, 6);                       /* the first header */
    ck_assert_str_eq(p->argv[1], t_dir);                /* %(here)s of its own key's file */
    snprintf(want, sizeof want, "%s/conf.d", t_dir);
    ck_assert_str_eq(p->directory, want);
    snprintf(want, sizeof want, "%s/conf.d/out.log", t_dir);
    ck_assert_str_eq(p->stdout_log.path, want);
    conf_free(c);
    /* an error in a key from the included file names that file */
    t_write("conf.d/more.conf", "[program:web]\nstartretries = many\n");
    c = t_load("[include]\nfiles = conf.d/*.conf\n[program:web]\ncommand = /bin/web\n");
    t_fails(c);
    g = t_find(CONF_ERROR, 2, "startretries: invalid value 'many'");
    ck_assert_msg(g && strstr(g->file, "conf.d/more.conf"), "%s", t_diags());
}
END_TEST

START_TEST(test_indented_keys)
{
    /* an indented line continues a value only when indented deeper than
     * its key line: keys indented alike are separate keys (configparser) */
    struct tend_config *c = t_load(
        "[program:a]\n"
        "  command = /bin/a\n"         /* 2 */
        "      --deeper\n"             /* 3: continuation */
        "\n"
        "  ; a comment does not end it\n"
        "       --more\n"              /* 6: continuation still */
        "  autostart = false\n"        /* 7: a key of its own */
        "\t startsecs = 4\n"           /* 8: a tab counts as one character too */
        "  [program:b]\n"              /* 9: an indented header, not deeper: a header */
        "    command = /bin/b\n"       /* 10: after a header: a key */
        "    directory = /tmp\n"       /* 11 */
        "command = x\n"                /* 12: less indented: a key (replaces line 10) */
        " autorestart = false\n");     /* 13: deeper than line 12: continuation */
    t_ok(c);
    struct process_config *p = t_proc(c, "a");
    ck_assert_str_eq(p->argv[0], "/bin/a");
    ck_assert_str_eq(p->argv[1], "--deeper");
    ck_assert_str_eq(p->argv[2], "--more");
    ck_assert_ptr_null(p->argv[3]);
    ck_assert(!p->autostart);
    ck_assert_int_eq(p->startsecs, 4);
    p = t_proc(c, "b");
    ck_assert_str_eq(p->directory, "/tmp");
    ck_assert_str_eq(p->argv[0], "x");
    ck_assert_str_eq(p->argv[1], "autorestart");
    ck_assert_int_eq(p->autorestart, RESTART_UNEXPECTED);
    t_has_warning(12, "duplicate key 'command' in [program:b]: this value replaces the one at "
                      "line 10");
    conf_free(c);
}
END_TEST

int main(void)
{
    conf_use_system_accounts(); /* user and group names are resolved */
    Suite *s = suite_create("conf_load");
    TCase *tc = t_tcase(s, "reader");
    tcase_add_test(tc, test_long_lines);
    tcase_add_test(tc, test_file_kinds_and_permissions);
    tcase_add_test(tc, test_long_continuation);
    tcase_add_test(tc, test_comments);
    tcase_add_test(tc, test_continuation);
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_colon_crlf_bom_case);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_duplicate_keys);
    tcase_add_test(tc, test_indented_keys);
    tc = t_tcase(s, "include");
    tcase_add_test(tc, test_include);
    tcase_add_test(tc, test_include_errors);
    tcase_add_test(tc, test_duplicate_sections);
    return t_run(s);
}
