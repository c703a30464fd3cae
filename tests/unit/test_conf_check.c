/* test_conf_check.c - sections, names, groups, depends_on, main, and the
 * model functions (summary, dump, same, main command), plus a realistic
 * supervisord.conf loaded unchanged. */
#include "conf_test.h"

#include <signal.h>

START_TEST(test_sections)
{
    struct tend_config *c = t_load(
        "[unix_http_server]\nfile = /tmp/supervisor.sock\nchmod = 0700\n"   /* 1 */
        "[inet_http_server]\nport = 127.0.0.1:9001\n"                       /* 4 */
        "[supervisorctl]\nserverurl = unix:///tmp/supervisor.sock\n"        /* 6 */
        "[rpcinterface:supervisor]\n"                                       /* 8 */
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        "[progam:web]\ncommand = x\n"                                       /* 10 */
        "[fcgi-program:mem]\ncommand = memmon\n"                            /* 12 */
        "[whatever]\nkey = 1\n");                                           /* 14 */
    t_ok(c);
    /* the two server sections are tend's since issue 16 (XML-RPC) */
    t_has_warning(4, "[inet_http_server] has no username");
    t_has_warning(6, "[supervisorctl] is a supervisord section");
    t_has_warning(8, "[rpcinterface:supervisor] is a supervisord section");
    t_has_warning(10, "unknown section [progam:web] ignored; did you mean [program:web]?");
    t_has_warning(12, "[fcgi-program:mem] is a supervisord section");
    t_has_warning(14, "unknown section [whatever] ignored");
    ck_assert_int_eq(t_d.nwarnings, 6);       /* one each, keys are not checked */
    ck_assert_uint_eq(c->nprocs, 0);
    conf_free(c);
}
END_TEST

START_TEST(test_duplicates)
{
    /* repeated sections merge (load.c); repeated process names are errors */
    struct tend_config *c = t_load(
        "[supervisor]\n[program:a]\ncommand = x\n"
        "[supervisord]\n"                           /* 4 */
        "[program:a]\ncommand = y\n"                /* 5 */
        "[program:b]\ncommand = x\nprocess_name = a\n"  /* 7: fullname b:a, fine */
        "[group:g]\nprograms = c,d\n"               /* 10 */
        "[program:c]\ncommand = x\nprocess_name = same\n"
        "[program:d]\ncommand = x\nprocess_name = same\n");  /* 15 */
    t_fails(c);
    t_has_warning(4, "[supervisord] is given again (first at line 1)");
    t_has_warning(5, "[program:a] is given again (first at line 2)");
    t_has_error(15, "process name 'g:same' is already used by [program:c]");
    ck_assert_int_eq(t_d.nerrors, 1);
}
END_TEST

START_TEST(test_groups)
{
    struct tend_config *c = t_load(
        "[group:web]\nprograms = nginx, app\npriority = 10\n"
        "[program:nginx]\ncommand = nginx\n"
        "[program:app]\ncommand = app\nnumprocs = 2\nprocess_name = app_%(process_num)d\n"
        "priority = 20\n"
        "[program:solo]\ncommand = solo\nnumprocs = 2\n"
        "process_name = %(program_name)s_%(process_num)02d\n"
        "stdout_logfile = AUTO\n"
        "[program:one]\ncommand = one %(group_name)s\n");
    t_ok(c);
    ck_assert_uint_eq(c->ngroups, 1);
    ck_assert_str_eq(c->groups[0].name, "web");
    ck_assert_str_eq(c->groups[0].programs[0], "nginx");
    ck_assert_str_eq(c->groups[0].programs[1], "app");
    ck_assert_ptr_null(c->groups[0].programs[2]);
    ck_assert_int_eq(c->groups[0].priority, 10);
    ck_assert_int_eq(c->groups[0].line, 1);
    ck_assert_uint_eq(c->nprocs, 6);
    ck_assert_uint_eq(c->nprograms, 4);
    /* priority: nginx gets its group's 10, app its own 20 */
    ck_assert_str_eq(c->procs[0].fullname, "web:nginx");
    ck_assert_int_eq(c->procs[0].priority, 10);
    ck_assert_str_eq(c->procs[1].fullname, "web:app_0");
    ck_assert_str_eq(c->procs[2].fullname, "web:app_1");
    ck_assert_int_eq(c->procs[2].priority, 20);
    ck_assert_str_eq(c->procs[3].fullname, "one");
    ck_assert_str_eq(c->procs[4].fullname, "solo:solo_00");
    ck_assert_str_eq(c->procs[5].fullname, "solo:solo_01");
    ck_assert_str_eq(c->procs[4].group, "solo");
    ck_assert_str_eq(c->procs[4].name, "solo_00");
    ck_assert_str_eq(t_proc(c, "one")->argv[1], "one");
    ck_assert_str_eq(t_proc(c, "web:nginx")->group, "web");
    char want[300];
    snprintf(want, sizeof want, "%s/solo_01-stdout.log", c->childlogdir);
    ck_assert_str_eq(c->procs[5].stdout_log.path, want);
    conf_free(c);
}
END_TEST

START_TEST(test_group_errors)
{
    struct tend_config *c = t_load(
        "[group:g]\nprograms = alpha,betta\n"      /* 1, 2 */
        "[group:h]\nprograms = alpha\n"            /* 3, 4 */
        "[group:solo]\nprograms = alpha2\n"        /* 5 */
        "[group:empty]\npriority = x\nprogram = a\n" /* 7, 8, 9 */
        "[group:bad name]\nprograms = alpha\n"     /* 10 */
        "[program:alpha]\ncommand = a\n"
        "[program:beta]\ncommand = b\n"
        "[program:solo]\ncommand = s\n"
        "[program:alpha2]\ncommand = a\n");
    t_fails(c);
    t_has_error(2, "[group:g] lists 'betta', but there is no [program:betta]; did you mean beta?");
    t_has_error(4, "program 'alpha' is already in [group:g]");
    t_has_error(5, "[group:solo] has the name of [program:solo], which is not in it");
    t_has_error(7, "[group:empty] has no programs = setting");
    t_has_error(8, "priority: invalid value 'x'");
    t_has_warning(9, "unknown key 'program' in [group:empty]; did you mean programs?");
    t_has_error(10, "invalid group name 'bad name'");
    ck_assert_int_eq(t_d.nerrors, 6);
}
END_TEST

START_TEST(test_depends_on)
{
    struct tend_config *c = t_load(
        "[program:db]\ncommand = db\n"
        "[program:cache]\ncommand = c\nnumprocs = 2\nprocess_name = cache%(process_num)d\n"
        "[group:g]\nprograms = api\n"
        "[program:api]\ncommand = api\ndepends_on = db, cache\n"
        "[program:web]\ncommand = web\ndepends_on = g:api cache:cache1\n"
        "[program:all]\ncommand = all\ndepends_on = api\n   db\n");
    t_ok(c);
    char **d = t_proc(c, "g:api")->depends_on;
    ck_assert_str_eq(d[0], "db");
    ck_assert_str_eq(d[1], "cache:cache0");
    ck_assert_str_eq(d[2], "cache:cache1");
    ck_assert_ptr_null(d[3]);
    d = t_proc(c, "web")->depends_on;
    ck_assert_str_eq(d[0], "g:api");
    ck_assert_str_eq(d[1], "cache:cache1");
    ck_assert_ptr_null(d[2]);
    d = t_proc(c, "all")->depends_on;
    ck_assert_str_eq(d[0], "g:api");
    ck_assert_str_eq(d[1], "db");
    ck_assert_ptr_null(d[2]);
    conf_free(c);
}
END_TEST

START_TEST(test_depends_errors)
{
    struct tend_config *c = t_load(
        "[program:a]\ncommand = a\ndepends_on = b\n"       /* 3 */
        "[program:b]\ncommand = b\ndepends_on = c\n"       /* 6 */
        "[program:c]\ncommand = c\ndepends_on = a\n"       /* 9 */
        "[program:self]\ncommand = s\ndepends_on = self\n" /* 12 */
        "[program:x]\ncommand = x\ndepends_on = dbb, nothing_like_it\n"); /* 15 */
    t_fails(c);
    t_has_error(3, "depends_on forms a cycle: a -> b -> c -> a");
    t_has_error(12, "depends_on forms a cycle: self -> self");
    t_has_error(15, "depends_on: no program named 'dbb'");
    t_has_error(15, "depends_on: no program named 'nothing_like_it'");
    ck_assert_int_eq(t_d.nerrors, 4);
    c = t_load("[program:db]\ncommand = d\n[program:x]\ncommand = x\ndepends_on = dbb\n");
    t_has_error(5, "depends_on: no program named 'dbb'; did you mean db?");
    /* a cycle through an included file names the line in that file */
    t_write("inc.ini", "\n\n[program:q]\ncommand = q\ndepends_on = p\n");
    c = t_load("[include]\nfiles = inc.ini\n[program:p]\ncommand = p\ndepends_on = q\n");
    t_fails(c);
    ck_assert_int_eq(t_d.nerrors, 1);
    ck_assert_int_eq(t_d.v[0].line, 5);
    ck_assert_msg(strstr(t_d.v[0].msg, "cycle: p -> q -> p") ||
                  strstr(t_d.v[0].msg, "cycle: q -> p -> q"), "%s", t_diags());
}
END_TEST

START_TEST(test_main_programs)
{
    struct tend_config *c = t_load(
        "[program:a]\ncommand = a\nmain = true\n"
        "[program:b]\ncommand = b\nmain = true\n");     /* 6 */
    t_fails(c);
    t_has_error(6, "only one program may have main = true ([program:a] has it too");
    c = t_load("[program:a]\ncommand = a\nmain = true\n");
    t_ok(c);
    char *argv[] = {"/bin/sleep", "5", NULL};
    ck_assert_int_eq(conf_add_main_command(c, argv, &t_d), -1);
    t_has_error(3, "[program:a] has main = true");
    conf_free(c);
}
END_TEST

START_TEST(test_add_main_command)
{
    struct tend_config *c = conf_default(&t_d);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(c->rundir);
    ck_assert_ptr_nonnull(c->control);
    ck_assert_ptr_nonnull(c->childlogdir);
    ck_assert_ptr_nonnull(c->files);
    ck_assert_ptr_null(c->files[0]);
    ck_assert_uint_eq(c->nprocs, 0);
    char *argv[] = {"/usr/bin/my app!", "it's", "", NULL};
    ck_assert_int_eq(conf_add_main_command(c, argv, &t_d), 0);
    ck_assert_uint_eq(c->nprocs, 1);
    ck_assert_uint_eq(c->nprograms, 1);
    struct process_config *p = &c->procs[0];
    ck_assert_str_eq(p->name, "my_app_");
    ck_assert_str_eq(p->fullname, "my_app_");
    ck_assert_str_eq(p->program, "my_app_");
    ck_assert(p->main);
    ck_assert_int_eq(p->autorestart, RESTART_FALSE);
    ck_assert_str_eq(p->argv[0], "/usr/bin/my app!");
    ck_assert_str_eq(p->argv[1], "it's");
    ck_assert_str_eq(p->argv[2], "");
    ck_assert_ptr_null(p->argv[3]);
    ck_assert_str_eq(p->command, "'/usr/bin/my app!' 'it'\\''s' ''");
    ck_assert_ptr_null(p->depends_on[0]);
    char *again[] = {"x", NULL};
    ck_assert_int_eq(conf_add_main_command(c, again, &t_d), -1);
    conf_free(c);
    /* a name already taken gets a suffix; the supervisor environment is used */
    c = t_load("[supervisor]\nenvironment = E=1\n[program:sleep]\ncommand = sleep 1\n"
               "[program:sleep-2]\ncommand = sleep 2\n");
    t_ok(c);
    char *sl[] = {"sleep", "9", NULL};
    ck_assert_int_eq(conf_add_main_command(c, sl, &t_d), 0);
    ck_assert_uint_eq(c->nprocs, 3);
    p = t_proc(c, "sleep-3");
    ck_assert(p->main);
    ck_assert_str_eq(t_env(&p->environment, "E"), "1");
    conf_free(c);
    char *empty[] = {NULL};
    c = conf_default(&t_d);
    ck_assert_int_eq(conf_add_main_command(c, empty, &t_d), -1);
    conf_free(c);
}
END_TEST

START_TEST(test_process_same)
{
    const char *base = "[program:a]\ncommand = a b\nenvironment = X=1\nstdout_logfile = AUTO\n"
                       "depends_on = d\n[program:d]\ncommand = d\n";
    struct tend_config *c1 = t_load(base);
    t_ok(c1);
    struct tend_config *c2 = t_load(base);
    t_ok(c2);
    ck_assert(conf_process_same(t_proc(c1, "a"), t_proc(c2, "a")));
    /* the same settings at other lines are still the same */
    struct tend_config *c3 = t_load("\n\n[program:d]\ncommand = d\n[program:a]\n"
                                    "depends_on = d\nstdout_logfile = AUTO\ncommand = a b\n"
                                    "environment = X=1\n");
    t_ok(c3);
    ck_assert(conf_process_same(t_proc(c1, "a"), t_proc(c3, "a")));
    const char *changes[] = {"command = a c\n", "environment = X=2\n", "stdout_logfile = NONE\n",
                             "stopsignal = INT\n", "umask = 022\n", "priority = 1\n",
                             "startsecs = 2\n", "exitcodes = 1\n", "autostart = false\n",
                             "log_prefix = true\n", "stderr_logfile_backups = 1\n",
                             "user = root\n", "directory = /\n"};
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        char *text;
        const char *k = changes[i];
        size_t klen = strcspn(k, " ");
        ck_assert_int_gt(asprintf(&text, "[program:a]\n%s%s%s%s%s[program:d]\ncommand = d\n",
                                  strncmp(k, "command", klen) ? "command = a b\n" : "",
                                  strncmp(k, "environment", klen) ? "environment = X=1\n" : "",
                                  strncmp(k, "stdout_logfile", klen) ? "stdout_logfile = AUTO\n" : "",
                                  "depends_on = d\n", k), 0);
        struct tend_config *c4 = t_load(text);
        free(text);
        t_ok(c4);
        ck_assert_msg(!conf_process_same(t_proc(c1, "a"), t_proc(c4, "a")), "same despite %s",
                      changes[i]);
        conf_free(c4);
    }
    conf_free(c1);
    conf_free(c2);
    conf_free(c3);
}
END_TEST

START_TEST(test_summary_and_dump)
{
    struct tend_config *c = t_load(
        "[group:g]\nprograms = a,b\n[program:a]\ncommand = a\n[program:b]\ncommand = b x\n"
        "numprocs = 2\nprocess_name = b%(process_num)d\nstdout_logfile = AUTO\n"
        "[program:z]\ncommand = z\ndepends_on = a\nenvironment = K=\"x, y\"\n");
    t_ok(c);
    char buf[16384];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    conf_summary(c, f);
    fclose(f);
    char want[600];
    snprintf(want, sizeof want, "%s/main.ini: 3 programs (4 processes), 1 group, 1 file: OK\n",
             t_dir);
    ck_assert_str_eq(buf, want);
    f = fmemopen(buf, sizeof buf, "w");
    conf_dump(c, f);
    fclose(f);
    const char *expect[] = {
        "[supervisor]\n", "\nloglevel = info\n", "\n[group:g]\nprograms = a,b\npriority = 999\n",
        "\n[process g:a]\n", "\n[process g:b0]\n", "\n[process g:b1]\n", "\n[process z]\n",
        "\ncommand = b x\nargv[0] = b\nargv[1] = x\n", "\ndepends_on = g:a\n",
        "\nenvironment = K=\"x, y\"\n", "-stdout.log (AUTO)\nstdout_logfile_maxbytes = 52428800\n",
        "\nstopsignal = TERM\n", "\nexitcodes = 0\n", "\nautorestart = unexpected\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        ck_assert_msg(strstr(buf, expect[i]), "dump lacks '%s':\n%s", expect[i], buf);
    conf_free(c);
    c = conf_default(&t_d);
    f = fmemopen(buf, sizeof buf, "w");
    conf_summary(c, f);
    fclose(f);
    ck_assert_str_eq(buf, "(no file): 0 programs (0 processes), 0 groups, 0 files: OK\n");
    conf_free(c);
}
END_TEST

START_TEST(test_diags_print)
{
    struct conf_diags d = {0};
    conf_diag_add(&d, CONF_ERROR, "f.ini", 3, "bad %s", "thing");
    conf_diag_add(&d, CONF_WARNING, "f.ini", 0, "whole file");
    conf_diag_add(&d, CONF_ERROR, NULL, 0, "no file");
    char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    conf_diags_print(&d, f);
    fclose(f);
    ck_assert_str_eq(buf, "f.ini:3: error: bad thing\nf.ini: warning: whole file\nerror: no file\n");
    ck_assert_int_eq(d.nerrors, 2);
    ck_assert_int_eq(d.nwarnings, 1);
    conf_diags_free(&d);
    ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_three_errors)
{
    /* "a config with three different errors reports all three" */
    struct tend_config *c = t_load(
        "[supervisor]\nloglevel = chatty\n"
        "[program:a]\ncommand = a\nautorestart = always\n"
        "[program:b]\ncommand = b\ndepends_on = c\n");
    t_fails(c);
    ck_assert_int_eq(t_d.nerrors, 3);
    ck_assert_int_eq(t_d.v[0].line, 2);
    ck_assert_int_eq(t_d.v[1].line, 5);
    ck_assert_int_eq(t_d.v[2].line, 8);
}
END_TEST

/* An unchanged supervisord.conf in the style of supervisord's sample. */
static const char supervisord_conf[] =
    "; Sample supervisor config file.\n"
    ";\n"
    "; For more information on the config file, please see:\n"
    "; http://supervisord.org/configuration.html\n"
    "\n"
    "[unix_http_server]\n"                                   /* 6 */
    "file=/tmp/supervisor.sock   ; the path to the socket file\n"
    ";chmod=0700                 ; socket file mode (default 0700)\n"
    "\n"
    ";[inet_http_server]         ; inet (TCP) server disabled by default\n"
    ";port=127.0.0.1:9001        ; ip_address:port specifier, *:port for all iface\n"
    "\n"
    "[supervisord]\n"                                        /* 13 */
    "logfile=/tmp/supervisord.log ; main log file; default $CWD/supervisord.log\n"
    "logfile_maxbytes=50MB        ; max main logfile bytes b4 rotation; default 50MB\n"
    "logfile_backups=10           ; # of main logfile backups; 0 means none, default 10\n"
    "loglevel=info                ; log level; default info; others: debug,warn,trace\n"
    "pidfile=/tmp/supervisord.pid ; supervisord pidfile; default supervisord.pid\n"
    "nodaemon=false               ; start in foreground if true; default false\n"
    "silent=false                 ; no logs to stdout if true; default false\n"
    "minfds=1024                  ; min. avail startup file descriptors; default 1024\n"
    "minprocs=200                 ; min. avail process descriptors;default 200\n"
    ";umask=022                   ; process file creation umask; default 022\n"
    "\n"
    "[rpcinterface:supervisor]\n"                            /* 25 */
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
    "\n"
    "[supervisorctl]\n"                                      /* 28 */
    "serverurl=unix:///tmp/supervisor.sock ; use a unix:// URL  for a unix socket\n"
    "\n"
    "[program:cat]\n"
    "command=/bin/cat              ; the program (relative uses PATH, can take args)\n"
    "process_name=%(program_name)s_%(process_num)02d ; process_name expr (default %(program_name)s)\n"
    "numprocs=2                    ; number of processes copies to start (def 1)\n"
    "directory=/tmp                ; directory to cwd to before exec (def no cwd)\n"
    "umask=022                     ; umask for process (default None)\n"
    "priority=999                  ; the relative start priority (default 999)\n"
    "autostart=true                ; start at supervisord start (default: true)\n"
    "startsecs=1                   ; # of secs prog must stay up to be running (def. 1)\n"
    "startretries=3                ; max # of serial start failures when starting (default 3)\n"
    "autorestart=unexpected        ; when to restart if exited after running (def: unexpected)\n"
    "exitcodes=0                   ; 'expected' exit codes used with autorestart (default 0)\n"
    "stopsignal=QUIT               ; signal used to kill process (default TERM)\n"
    "stopwaitsecs=10               ; max num secs to wait b4 SIGKILL (default 10)\n"
    "stopasgroup=false             ; send stop signal to the UNIX process group (default false)\n"
    "killasgroup=false             ; SIGKILL the UNIX process group (def false)\n"
    "user=root                     ; setuid to this UNIX account to run the program\n"
    "redirect_stderr=true          ; redirect proc stderr to stdout (default false)\n"
    "stdout_logfile=/tmp/cat.log   ; stdout log path, NONE for none; default AUTO\n"
    "stdout_logfile_maxbytes=1MB   ; max # logfile bytes b4 rotation (default 50MB)\n"
    "stdout_logfile_backups=10     ; # of stdout logfile backups (0 means none, default 10)\n"
    "stdout_capture_maxbytes=1MB   ; number of bytes in 'capturemode' (default 0)\n"
    "stdout_events_enabled=false   ; emit events on stdout writes (default false)\n"
    "stdout_syslog=false           ; send stdout to syslog with process name (default false)\n"
    "environment=A=\"1\",B=\"2\"       ; process environment additions (def no adds)\n"
    "serverurl=AUTO                ; override serverurl computation (childutils)\n"
    "\n"
    "[program:web]\n"
    "command=python3 -m http.server 8000\n"
    "autorestart=true\n"
    "\n"
    "[group:services]\n"
    "programs=web\n"
    "priority=999\n"
    "\n"
    "[include]\n"
    "files = conf.d/*.conf\n";

START_TEST(test_supervisord_conf)
{
    struct tend_config *c = t_load(supervisord_conf);
    t_ok(c);
    ck_assert_int_eq(t_d.nerrors, 0);
    /* warnings: the two supervisord sections, the ignored keys, the
     * empty conf.d; nothing else */
    ck_assert(c->unix_http.enabled);          /* tend's since issue 16 */
    t_has_warning(25, "[rpcinterface:supervisor]");
    t_has_warning(28, "[supervisorctl]");
    /* logfile_maxbytes, logfile_backups and stdout_syslog are tend's too (issue 15) */
    ck_assert_uint_eq(c->logfile_maxbytes, 50ULL * 1024 * 1024);
    ck_assert_int_eq(c->logfile_backups, 10);
    t_has_warning(0, "'serverurl' is not supported");
    t_has_warning(0, "no file matches include pattern 'conf.d/*.conf'");
    for (size_t i = 0; i < t_d.n; i++)
        ck_assert_msg(strstr(t_d.v[i].msg, "not supported by tend") ||
                      strstr(t_d.v[i].msg, "supervisord section") ||
                      strstr(t_d.v[i].msg, "no file matches"), "unexpected: %s", t_d.v[i].msg);
    /* *_events_enabled, *_capture_maxbytes (issue 17), minfds and minprocs
     * (issue 18) are tend's too */
    ck_assert_int_eq(t_d.nwarnings, 2 + 3 + 1);
    ck_assert_int_eq(c->minfds, 1024);
    ck_assert_int_eq(c->minprocs, 200);
    ck_assert_uint_eq(c->nprocs, 3);
    struct process_config *p = t_proc(c, "cat:cat_01");
    ck_assert_int_eq(p->stopsignal, SIGQUIT);
    ck_assert_str_eq(p->stdout_log.path, "/tmp/cat.log");
    ck_assert_uint_eq(p->stdout_log.maxbytes, 1024 * 1024);
    ck_assert_str_eq(t_env(&p->environment, "A"), "1");
    ck_assert(p->redirect_stderr);
    ck_assert_str_eq(c->logfile, "/tmp/supervisord.log");
    p = t_proc(c, "services:web");
    ck_assert_str_eq(p->argv[0], "python3");
    ck_assert_int_eq(p->autorestart, RESTART_TRUE);
    conf_free(c);
}
END_TEST

START_TEST(test_group_order)
{
    /* supervisord orders whole groups by the [group:g] priority (999 when
     * unset; a program outside groups is a group of its own), then the
     * programs inside by their own priority */
    struct tend_config *c = t_load(
        "[group:grp]\nprograms = a, z\n"           /* no priority: 999 */
        "[program:a]\ncommand = a\npriority = 1\n"
        "[program:z]\ncommand = z\npriority = 2\n"
        "[program:b]\ncommand = b\npriority = 500\n"
        "[program:c]\ncommand = c\n"                /* 999, group "c" < "grp" */
        "[group:early]\nprograms = y\npriority = 100\n"
        "[program:y]\ncommand = y\npriority = 900\n"
        "[program:m]\ncommand = m\npriority = 999\n");   /* group "m" > "grp" */
    t_ok(c);
    const char *want[] = {"early:y", "b", "c", "grp:a", "grp:z", "m"};
    const int order[] = {100, 500, 999, 999, 999, 999};
    ck_assert_uint_eq(c->nprocs, 6);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_str_eq(c->procs[i].fullname, want[i]);
        ck_assert_int_eq(c->procs[i].order, order[i]);
    }
    /* the program keeps its own priority; the group's order rules */
    ck_assert_int_eq(t_proc(c, "grp:a")->priority, 1);
    ck_assert_int_eq(t_proc(c, "early:y")->priority, 900);
    /* --check -v shows it last */
    char buf[16384];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    conf_dump(c, f);
    fclose(f);
    ck_assert(strstr(buf, "[process early:y]\n"));
    ck_assert(strstr(buf, "\norder = 100\n"));
    conf_free(c);
}
END_TEST

START_TEST(test_supervisord_names)
{
    /* supervisord refuses only blanks, ':' and '/' in names */
    struct tend_config *c = t_load(
        "[program:api+x]\ncommand = a\n"
        "[program: web@2 ]\ncommand = w %(program_name)s\n"
        "[group:g~1]\nprograms = n!x\n"
        "[program:n!x]\ncommand = n\nnumprocs = 2\nprocess_name = %(program_name)s,%(process_num)d\n");
    t_ok(c);
    ck_assert_str_eq(t_proc(c, "api+x")->argv[0], "a");
    ck_assert_str_eq(t_proc(c, "web@2")->argv[1], "web@2");
    ck_assert_str_eq(t_proc(c, "g~1:n!x,1")->group, "g~1");
    conf_free(c);
    c = t_load("[program:a/b]\ncommand = a\n"
               "[program:c]\ncommand = c\nprocess_name = c:d\n"
               "[group:e f]\nprograms = c\n");
    t_fails(c);
    t_has_error(1, "invalid program name 'a/b' (a name may not hold blanks, ':', '/' or "
                   "control characters)");
    t_has_error(5, "process_name 'c:d' is not a valid name");
    t_has_error(6, "invalid group name 'e f'");
}
END_TEST

int main(void)
{
    conf_use_system_accounts(); /* user and group names are resolved */
    Suite *s = suite_create("conf_check");
    TCase *tc = t_tcase(s, "names");
    tcase_add_test(tc, test_sections);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_groups);
    tcase_add_test(tc, test_group_errors);
    tcase_add_test(tc, test_group_order);
    tcase_add_test(tc, test_supervisord_names);
    tcase_add_test(tc, test_depends_on);
    tcase_add_test(tc, test_depends_errors);
    tcase_add_test(tc, test_main_programs);
    tc = t_tcase(s, "model");
    tcase_add_test(tc, test_add_main_command);
    tcase_add_test(tc, test_process_same);
    tcase_add_test(tc, test_summary_and_dump);
    tcase_add_test(tc, test_diags_print);
    tcase_add_test(tc, test_three_errors);
    tcase_add_test(tc, test_supervisord_conf);
    return t_run(s);
}
