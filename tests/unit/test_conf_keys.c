/* test_conf_keys.c - every key of [supervisor] and [program:x], their
 * defaults, every value form and every invalid value (with its line). */
#include "conf_test.h"

#include <errno.h>
#include <signal.h>

START_TEST(test_supervisor_defaults)
{
    struct tend_config *c = t_load("[program:x]\ncommand = /bin/true\n");
    t_ok(c);
    if (geteuid() == 0) {
        ck_assert_str_eq(c->rundir, "/run/tend");
    } else {
        char want[256];
        const char *x = getenv("XDG_RUNTIME_DIR");
        snprintf(want, sizeof want, "%s/tend-%u", x && *x ? x : "/tmp", (unsigned)getuid());
        ck_assert_str_eq(c->rundir, want);
    }
    char want[300];
    snprintf(want, sizeof want, "%s/control", c->rundir);
    ck_assert_str_eq(c->control, want);
    snprintf(want, sizeof want, "%s/logs", c->rundir);
    ck_assert_str_eq(c->childlogdir, want);
    ck_assert_uint_eq(c->control_mode, 0600);
    ck_assert(!c->control_group_set);
    ck_assert_ptr_null(c->logfile);
    ck_assert_int_eq(c->loglevel, 2);
    ck_assert_ptr_null(c->pidfile);
    ck_assert_uint_eq(c->environment.n, 0);
    ck_assert_int_eq(c->sighup, SIGHUP_RELOAD);
    ck_assert_int_eq(c->on_fatal, ON_FATAL_IGNORE);
    ck_assert_uint_eq(c->ngroups, 0);
    conf_free(c);
}
END_TEST

START_TEST(test_supervisor_keys)
{
    struct tend_config *c = t_load(
        "[supervisor]\n"
        "rundir = run\n"
        "logfile = log/tend.log\n"
        "loglevel = DEBUG\n"
        "pidfile = /var/run/tend.pid\n"
        "environment = A=1,B=\"2, 3\"\n"
        "sighup = forward\n"
        "childlogdir = %(here)s/clogs\n"
        "on_fatal = shutdown\n"
        "control_mode = 0660\n"
        "control_group = root\n"
        "[program:x]\ncommand = /bin/true\nstdout_logfile = AUTO\n");
    t_ok(c);
    char want[600];
    snprintf(want, sizeof want, "%s/run", t_dir);
    ck_assert_str_eq(c->rundir, want);
    snprintf(want, sizeof want, "%s/run/control", t_dir);
    ck_assert_str_eq(c->control, want);
    snprintf(want, sizeof want, "%s/log/tend.log", t_dir);
    ck_assert_str_eq(c->logfile, want);
    ck_assert_int_eq(c->loglevel, 3);
    ck_assert_str_eq(c->pidfile, "/var/run/tend.pid");
    ck_assert_str_eq(t_env(&c->environment, "B"), "2, 3");
    ck_assert_int_eq(c->sighup, SIGHUP_FORWARD);
    snprintf(want, sizeof want, "%s/clogs", t_dir);
    ck_assert_str_eq(c->childlogdir, want);
    snprintf(want, sizeof want, "%s/clogs/x-stdout.log", t_dir);
    ck_assert_str_eq(t_proc(c, "x")->stdout_log.path, want);
    ck_assert_int_eq(c->on_fatal, ON_FATAL_SHUTDOWN);
    ck_assert_uint_eq(c->control_mode, 0660);
    ck_assert(c->control_group_set);
    ck_assert_uint_eq(c->control_group, 0);
    conf_free(c);

    c = t_load("[supervisord]\ncontrol = /x/ctl\ncontrol_group = 4321\nloglevel = warn\n");
    t_ok(c);
    ck_assert_str_eq(c->control, "/x/ctl");
    ck_assert_uint_eq(c->control_group, 4321);
    ck_assert_int_eq(c->loglevel, 1);
    ck_assert_uint_eq(c->nprocs, 0);
    conf_free(c);
}
END_TEST

START_TEST(test_supervisor_loglevels)
{
    const char *names[] = {"error", "warn", "warning", "info", "debug", "critical", "trace",
                           "blather"};
    int want[] = {0, 1, 1, 2, 3, 0, 3, 3};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct tend_config *c = t_loadf("[supervisord]\nloglevel = %s\n", names[i]);
        t_ok(c);
        ck_assert_int_eq(c->loglevel, want[i]);
        ck_assert_int_eq(t_d.nwarnings, i >= 5 ? 1 : 0);
        conf_free(c);
    }
    struct tend_config *c = t_load("[supervisord]\nloglevel = blather\n");
    t_has_warning(2, "loglevel 'blather' is supervisord's; tend uses 'debug'");
    conf_free(c);
}
END_TEST

START_TEST(test_supervisor_errors)
{
    struct tend_config *c = t_load(
        "[supervisor]\n"
        "loglevel = loud\n"            /* 2 */
        "sighup = ignore\n"            /* 3 */
        "on_fatal = panic\n"           /* 4 */
        "control_mode = 0999\n"        /* 5 */
        "control_group = nogroup-tend-x\n" /* 6 */
        "environment = A@=x\n"         /* 7 */
        "rundir =\n"                   /* 8 */
        "logfile = %(nothing)s\n"      /* 9 */
        "nocleanup = true\n"           /* 10 */
        "pidfiel = x\n");              /* 11 */
    t_fails(c);
    t_has_error(2, "loglevel: invalid value 'loud' (expected error, warn, info or debug)");
    t_has_error(3, "sighup: invalid value 'ignore' (expected reload or forward)");
    t_has_error(4, "on_fatal: invalid value 'panic' (expected ignore or shutdown)");
    t_has_error(5, "control_mode: invalid value '0999'");
    t_has_error(6, "control_group: no such group 'nogroup-tend-x'");
    t_has_error(7, "environment: expected '=' after 'A'");
    t_has_error(8, "rundir: invalid value ''");
    t_has_error(9, "logfile: unknown expansion %(nothing)");
    t_has_warning(10, "'nocleanup' is not supported by tend, ignored");
    t_has_warning(11, "unknown key 'pidfiel' in [supervisor]; did you mean pidfile?");
    ck_assert_int_eq(t_d.nerrors, 8);
    ck_assert_int_eq(t_d.nwarnings, 2);
}
END_TEST

START_TEST(test_program_defaults)
{
    struct tend_config *c = t_load("[program:x]\ncommand = sleep 1\n");
    t_ok(c);
    ck_assert_uint_eq(c->nprocs, 1);
    ck_assert_uint_eq(c->nprograms, 1);
    struct process_config *p = &c->procs[0];
    ck_assert_str_eq(p->name, "x");
    ck_assert_str_eq(p->program, "x");
    ck_assert_str_eq(p->group, "x");
    ck_assert_str_eq(p->fullname, "x");
    ck_assert_msg(strstr(p->file, "main.ini"), "%s", p->file);
    ck_assert_int_eq(p->line, 1);
    ck_assert_str_eq(p->command, "sleep 1");
    ck_assert_int_eq(p->line_command, 2);
    ck_assert_int_eq(p->process_num, 0);
    ck_assert_int_eq(p->numprocs, 1);
    ck_assert_ptr_null(p->directory);
    ck_assert(!p->umask_set);
    ck_assert_ptr_null(p->user);
    ck_assert_uint_eq(p->environment.n, 0);
    ck_assert_int_eq(p->priority, 999);
    ck_assert_ptr_nonnull(p->depends_on);
    ck_assert_ptr_null(p->depends_on[0]);
    ck_assert(p->autostart);
    ck_assert_int_eq(p->autorestart, RESTART_UNEXPECTED);
    ck_assert(conf_exitcode_expected(p, 0));
    ck_assert(!conf_exitcode_expected(p, 1));
    ck_assert_int_eq(p->startsecs, 1);
    ck_assert_int_eq(p->startretries, 3);
    ck_assert_int_eq(p->stopsignal, SIGTERM);
    ck_assert_int_eq(p->stopwaitsecs, 10);
    ck_assert(!p->stopasgroup);
    ck_assert(!p->killasgroup);
    ck_assert_int_eq(p->ready, READY_STARTSECS);
    ck_assert(!p->main);
    ck_assert_ptr_null(p->stdin_path);
    ck_assert_int_eq(p->stdout_log.kind, LOG_INHERIT);
    ck_assert_int_eq(p->stderr_log.kind, LOG_INHERIT);
    ck_assert_ptr_null(p->stdout_log.path);
    ck_assert_uint_eq(p->stdout_log.maxbytes, 50 * 1024 * 1024);
    ck_assert_int_eq(p->stdout_log.backups, 10);
    ck_assert_uint_eq(p->stderr_log.maxbytes, 50 * 1024 * 1024);
    ck_assert_int_eq(p->stderr_log.backups, 10);
    ck_assert(!p->redirect_stderr);
    ck_assert(!p->log_prefix);
    ck_assert_int_eq(p->line_depends_on, 0);
    ck_assert_int_eq(p->line_user, 0);
    ck_assert_int_eq(p->line_main, 0);
    conf_free(c);
}
END_TEST

START_TEST(test_program_keys)
{
    struct tend_config *c = t_load(
        "[supervisor]\nenvironment = A=sup,B=sup\nchildlogdir = /clogs\n"
        "[program:web]\n"                                  /* 4 */
        "command = /bin/web --port 80%(process_num)d\n"
        "numprocs = 2\n"
        "numprocs_start = 5\n"
        "process_name = %(program_name)s-%(process_num)d\n"
        "directory = www\n"
        "umask = 027\n"
        "user = root\n"                                    /* 11 */
        "environment = B=web,C=\"%(process_num)d, %(numprocs)d\"\n"
        "priority = -5\n"
        "depends_on = db\n"                                /* 14 */
        "autostart = no\n"
        "autorestart = true\n"
        "exitcodes = 0,2,143\n"
        "startsecs = 0\n"
        "startretries = 7\n"
        "stopsignal = SIGINT\n"
        "stopwaitsecs = 30\n"
        "stopasgroup = true\n"
        "ready = startsecs\n"
        "stdin = input.txt\n"
        "stdout_logfile = AUTO\n"
        "stderr_logfile = /var/log/web-%(process_num)d.err\n"
        "stdout_logfile_maxbytes = 1KB\n"
        "stdout_logfile_backups = 0\n"
        "stderr_logfile_maxbytes = 0\n"
        "stderr_logfile_backups = 3\n"
        "log_prefix = on\n"
        "[program:db]\n"                                    /* 32 */
        "command = db\n"
        "autorestart = unexpected\n"
        "ready = notify\n"
        "main = yes\n"                                      /* 36 */
        "stdin = NONE\n"
        "stdout_logfile = /dev/stdout\n"
        "stderr_logfile = /dev/stderr\n"
        "killasgroup = true\n"
        "redirect_stderr = false\n");
    t_ok(c);
    ck_assert_uint_eq(c->nprocs, 3);
    ck_assert_uint_eq(c->nprograms, 2);
    /* sorted by priority then name */
    ck_assert_str_eq(c->procs[0].fullname, "web:web-5");
    ck_assert_str_eq(c->procs[1].fullname, "web:web-6");
    ck_assert_str_eq(c->procs[2].fullname, "db");
    struct process_config *p = &c->procs[1];
    ck_assert_str_eq(p->name, "web-6");
    ck_assert_str_eq(p->group, "web");
    ck_assert_str_eq(p->argv[2], "806");
    ck_assert_int_eq(p->process_num, 6);
    ck_assert_int_eq(p->numprocs, 2);
    char want[600];
    snprintf(want, sizeof want, "%s/www", t_dir);
    ck_assert_str_eq(p->directory, want);
    ck_assert(p->umask_set);
    ck_assert_uint_eq(p->umask, 027);
    ck_assert_str_eq(p->user, "root");
    ck_assert_uint_eq(p->uid, 0);
    ck_assert_uint_eq(p->gid, 0);
    ck_assert_int_eq(p->line_user, 11);
    ck_assert_uint_eq(p->environment.n, 3);
    ck_assert_str_eq(p->environment.v[0].key, "A");
    ck_assert_str_eq(t_env(&p->environment, "A"), "sup");
    ck_assert_str_eq(t_env(&p->environment, "B"), "web");   /* program wins */
    ck_assert_str_eq(t_env(&p->environment, "C"), "6, 2");
    ck_assert_ptr_null(t_env(&p->environment, "SUPERVISOR_ENABLED"));
    ck_assert_int_eq(p->priority, -5);
    ck_assert_str_eq(p->depends_on[0], "db");
    ck_assert_ptr_null(p->depends_on[1]);
    ck_assert_int_eq(p->line_depends_on, 14);
    ck_assert(!p->autostart);
    ck_assert_int_eq(p->autorestart, RESTART_TRUE);
    ck_assert(conf_exitcode_expected(p, 0) && conf_exitcode_expected(p, 2) &&
              conf_exitcode_expected(p, 143) && !conf_exitcode_expected(p, 1));
    ck_assert_int_eq(p->startsecs, 0);
    ck_assert_int_eq(p->startretries, 7);
    ck_assert_int_eq(p->stopsignal, SIGINT);
    ck_assert_int_eq(p->stopwaitsecs, 30);
    ck_assert(p->stopasgroup);
    ck_assert(p->killasgroup);                  /* defaults to stopasgroup */
    ck_assert_int_eq(p->ready, READY_STARTSECS);
    snprintf(want, sizeof want, "%s/input.txt", t_dir);
    ck_assert_str_eq(p->stdin_path, want);
    ck_assert_int_eq(p->stdout_log.kind, LOG_FILE);
    ck_assert(p->stdout_log.is_auto);
    ck_assert_str_eq(p->stdout_log.path, "/clogs/web-6-stdout.log");
    ck_assert_uint_eq(p->stdout_log.maxbytes, 1024);
    ck_assert_int_eq(p->stdout_log.backups, 0);
    ck_assert_int_eq(p->stderr_log.kind, LOG_FILE);
    ck_assert(!p->stderr_log.is_auto);
    ck_assert_str_eq(p->stderr_log.path, "/var/log/web-6.err");
    ck_assert_uint_eq(p->stderr_log.maxbytes, 0);
    ck_assert_int_eq(p->stderr_log.backups, 3);
    ck_assert(p->log_prefix);
    ck_assert(!p->main);

    p = &c->procs[2];
    ck_assert_int_eq(p->autorestart, RESTART_UNEXPECTED);
    ck_assert_int_eq(p->ready, READY_NOTIFY);
    ck_assert_int_eq(p->startsecs, 90);         /* notify's default timeout */
    ck_assert(p->main);
    ck_assert_int_eq(p->line_main, 36);
    ck_assert_ptr_null(p->stdin_path);
    ck_assert_int_eq(p->stdout_log.kind, LOG_STDOUT);
    ck_assert_int_eq(p->stderr_log.kind, LOG_STDERR);
    ck_assert(!p->stopasgroup);
    ck_assert(p->killasgroup);
    ck_assert_uint_eq(p->environment.n, 2);
    ck_assert_str_eq(t_env(&p->environment, "B"), "sup");
    conf_free(c);
}
END_TEST

START_TEST(test_log_keywords)
{
    struct tend_config *c = t_load(
        "[program:a]\ncommand = a\nstdout_logfile = none\nstderr_logfile = Inherit\n"
        "[program:b]\ncommand = b\nstdout_logfile = auto\nstderr_logfile = AUTO\n"
        "[program:c]\ncommand = c\nready = notify\nstartsecs = 5\n"
        "[program:d]\ncommand = d\nredirect_stderr = true\nstderr_logfile = /x.log\n");
    t_ok(c);
    ck_assert_int_eq(t_proc(c, "a")->stdout_log.kind, LOG_NONE);
    ck_assert_int_eq(t_proc(c, "a")->stderr_log.kind, LOG_INHERIT);
    char want[300];
    snprintf(want, sizeof want, "%s/b-stderr.log", c->childlogdir);
    ck_assert_str_eq(t_proc(c, "b")->stderr_log.path, want);
    ck_assert_int_eq(t_proc(c, "c")->startsecs, 5);
    struct process_config *d = t_proc(c, "d");
    ck_assert(d->redirect_stderr);
    ck_assert_int_eq(d->stderr_log.kind, LOG_INHERIT);
    ck_assert_ptr_null(d->stderr_log.path);
    t_has_warning(16, "stderr_logfile is ignored: redirect_stderr = true");
    conf_free(c);
}
END_TEST

START_TEST(test_program_errors)
{
    struct tend_config *c = t_load(
        "[program:bad]\n"
        "command = /bin/x 'open\n"        /* 2 */
        "numprocs = 0\n"                  /* 3 */
        "numprocs_start = -1\n"           /* 4 */
        "directory =\n"                   /* 5 */
        "umask = 8\n"                     /* 6 */
        "user = no-such-user-tend\n"      /* 7 */
        "environment = A\n"               /* 8 */
        "priority = high\n"               /* 9 */
        "autostart = maybe\n"             /* 10 */
        "autorestart = sometimes\n"       /* 11 */
        "exitcodes = 0,300\n"             /* 12 */
        "startsecs = -1\n"                /* 13 */
        "startretries = 1e3\n"            /* 14 */
        "stopsignal = SIGFOO\n"           /* 15 */
        "stopwaitsecs = 9999999\n"        /* 16 */
        "stopasgroup = 2\n"               /* 17 */
        "killasgroup = yes please\n"      /* 18 */
        "ready = ping\n"                  /* 19 */
        "main = sure\n"                   /* 20 */
        "stdin =\n"                       /* 21 */
        "stdout_logfile =\n"              /* 22 */
        "stderr_logfile_maxbytes = 5XB\n" /* 23 */
        "stdout_logfile_backups = -2\n"   /* 24 */
        "redirect_stderr = nah\n"         /* 25 */
        "log_prefix = 10\n"               /* 26 */
        "stdout_syslog = perhaps\n"       /* 27 */
        "autorestrat = true\n"            /* 28 */
        "xyzzy = 1\n");                   /* 29 */
    t_fails(c);
    t_has_error(2, "command: unterminated single quote in the command");
    t_has_error(3, "numprocs: invalid value '0' (expected an integer from 1 to 10000)");
    t_has_error(4, "numprocs_start: invalid value '-1'");
    t_has_error(5, "directory: invalid value ''");
    t_has_error(6, "umask: invalid value '8' (expected an octal umask such as 022)");
    t_has_error(7, "user: no such user 'no-such-user-tend'");
    t_has_error(8, "environment: expected '=' after 'A'");
    t_has_error(9, "priority: invalid value 'high'");
    t_has_error(10, "autostart: invalid value 'maybe' (expected true or false)");
    t_has_error(11, "autorestart: invalid value 'sometimes' (expected true, false or unexpected)");
    t_has_error(12, "exitcodes: '300' is not an exit code (0-255)");
    t_has_error(13, "startsecs: invalid value '-1' (expected an integer from 0 to 1000000)");
    t_has_error(14, "startretries: invalid value '1e3'");
    t_has_error(15, "stopsignal: invalid value 'SIGFOO'");
    t_has_error(16, "stopwaitsecs: invalid value '9999999'");
    t_has_error(17, "stopasgroup: invalid value '2'");
    t_has_error(18, "killasgroup: invalid value 'yes please'");
    t_has_error(19, "ready: invalid value 'ping' (expected startsecs, notify or a probe");
    t_has_error(20, "main: invalid value 'sure'");
    t_has_error(21, "stdin: invalid value ''");
    t_has_error(22, "stdout_logfile: invalid value ''");
    t_has_error(23, "stderr_logfile_maxbytes: invalid value '5XB'");
    t_has_error(24, "stdout_logfile_backups: invalid value '-2'");
    t_has_error(25, "redirect_stderr: invalid value 'nah'");
    t_has_error(26, "log_prefix: invalid value '10'");
    t_has_error(27, "stdout_syslog: invalid value 'perhaps'");
    t_has_warning(28, "unknown key 'autorestrat' in [program:bad]; did you mean autorestart?");
    t_has_warning(29, "unknown key 'xyzzy' in [program:bad]");
    ck_assert_ptr_null(strstr(t_find(CONF_WARNING, 29, "xyzzy")->msg, "did you mean"));
    ck_assert_int_eq(t_d.nerrors, 26);
    ck_assert_int_eq(t_d.nwarnings, 2);
}
END_TEST

START_TEST(test_program_semantic_errors)
{
    struct tend_config *c = t_load(
        "[program:nocmd]\n"                 /* 1 */
        "priority = 1\n"
        "[program:many]\n"                  /* 3 */
        "command = x\n"
        "numprocs = 3\n"                    /* 5 */
        "[program:grp]\n"
        "command = x\n"
        "stopasgroup = true\n"
        "killasgroup = false\n"             /* 9 */
        "[program:m]\n"
        "command = x\n"
        "numprocs = 2\n"
        "process_name = m%(process_num)d\n"
        "main = true\n"                     /* 14 */
        "[program:bad:name]\n"              /* 15 */
        "command = x\n"
        "[program:pn]\n"
        "command = x\n"
        "process_name = a b\n"              /* 19 */
        "[program:pn2]\n"
        "command = x\n"
        "process_name = %(program_name)s_%(nope)s\n"); /* 22 */
    t_fails(c);
    t_has_error(1, "[program:nocmd] has no command");
    t_has_error(3, "numprocs = 3 needs %(process_num) in process_name");
    t_has_error(9, "killasgroup = false contradicts stopasgroup = true");
    t_has_error(14, "main = true needs numprocs = 1");
    t_has_error(15, "invalid program name 'bad:name'");
    t_has_error(19, "process_name 'a b' is not a valid name");
    t_has_error(22, "process_name: unknown expansion %(nope)");
    ck_assert_int_eq(t_d.nerrors, 7);
}
END_TEST

START_TEST(test_expansions_in_values)
{
    setenv("TEND_TEST_PORT", "8080", 1);
    struct tend_config *c = t_load(
        "[program:w]\n"
        "command = /bin/w %(ENV_TEND_TEST_PORT)s %(program_name)s %(group_name)s "
        "%(host_node_name)s 100%%\n"
        "priority = %(ENV_TEND_TEST_PORT)s\n"
        "directory = %(here)s/d%(process_num)02d\n"
        "numprocs = %(ENV_TEND_TEST_ONE)s\n");
    t_fails(c);
    t_has_error(5, "numprocs: %(ENV_TEND_TEST_ONE)s: TEND_TEST_ONE is not set");
    setenv("TEND_TEST_ONE", "1", 1);
    c = t_load(
        "[program:w]\n"
        "command = /bin/w %(ENV_TEND_TEST_PORT)s %(program_name)s %(group_name)s "
        "%(host_node_name)s 100%%\n"
        "priority = %(ENV_TEND_TEST_PORT)s\n"
        "directory = %(here)s/d%(process_num)02d\n"
        "numprocs = %(ENV_TEND_TEST_ONE)s\n");
    t_ok(c);
    struct process_config *p = t_proc(c, "w");
    ck_assert_str_eq(p->argv[1], "8080");
    ck_assert_str_eq(p->argv[2], "w");
    ck_assert_str_eq(p->argv[3], "w");
    char host[256];
    gethostname(host, sizeof host);
    ck_assert_str_eq(p->argv[4], host);
    ck_assert_str_eq(p->argv[5], "100%");
    ck_assert_int_eq(p->priority, 8080);
    char want[600];
    snprintf(want, sizeof want, "%s/d00", t_dir);
    ck_assert_str_eq(p->directory, want);
    conf_free(c);
}
END_TEST

START_TEST(test_env_from_config)
{
    /* %(ENV_X)s sees [supervisor] environment, and in a program's keys its
     * own environment, ahead of tend's environment: supervisord's order */
    setenv("TEND_TEST_SHADOW", "process", 1);
    unsetenv("TEND_TEST_SUP");
    unsetenv("TEND_TEST_OWN");
    struct tend_config *c = t_load(
        "[supervisord]\n"
        "environment = TEND_TEST_SUP=fromsup,TEND_TEST_SHADOW=sup,KEY.NAME=dot\n"
        "[group:g]\nprograms = a\npriority = %(ENV_TEND_TEST_SUP)s\n"
        "[program:a]\n"
        "command = /bin/a %(ENV_TEND_TEST_SUP)s %(ENV_TEND_TEST_OWN)s %(ENV_TEND_TEST_SHADOW)s "
        "%(ENV_KEY.NAME)s\n"
        "environment = TEND_TEST_OWN=own-%(ENV_TEND_TEST_SUP)s,TEND_TEST_SHADOW=mine\n"
        "directory = /srv/%(ENV_TEND_TEST_OWN)s\n"
        "numprocs = 2\n"
        "process_name = %(ENV_TEND_TEST_OWN)s_%(process_num)d\n"
        "[program:b]\n"
        "command = /bin/b %(ENV_TEND_TEST_SHADOW)s\n");
    ck_assert_msg(c == NULL, "priority 'fromsup' should be refused");
    t_has_error(5, "priority: invalid value 'fromsup'");     /* expanded, then refused */
    ck_assert_int_eq(t_d.nerrors, 1);
    c = t_load(
        "[supervisord]\n"
        "environment = TEND_TEST_SUP=7,TEND_TEST_SHADOW=sup,KEY.NAME=dot\n"
        "[group:g]\nprograms = a\npriority = %(ENV_TEND_TEST_SUP)s\n"
        "[program:a]\n"
        "command = /bin/a %(ENV_TEND_TEST_SUP)s %(ENV_TEND_TEST_OWN)s %(ENV_TEND_TEST_SHADOW)s "
        "%(ENV_KEY.NAME)s\n"
        "environment = TEND_TEST_OWN=own-%(ENV_TEND_TEST_SUP)s,TEND_TEST_SHADOW=mine\n"
        "directory = /srv/%(ENV_TEND_TEST_OWN)s\n"
        "numprocs = 2\n"
        "process_name = %(ENV_TEND_TEST_OWN)s_%(process_num)d\n"
        "[program:b]\n"
        "command = /bin/b %(ENV_TEND_TEST_SHADOW)s\n");
    t_ok(c);
    ck_assert_int_eq(c->groups[0].priority, 7);
    struct process_config *p = t_proc(c, "g:own-7_1");
    ck_assert_str_eq(p->argv[1], "7");
    ck_assert_str_eq(p->argv[2], "own-7");
    ck_assert_str_eq(p->argv[3], "mine");       /* the program's own wins */
    ck_assert_str_eq(p->argv[4], "dot");
    ck_assert_str_eq(p->directory, "/srv/own-7");
    ck_assert_str_eq(t_env(&p->environment, "TEND_TEST_OWN"), "own-7");
    ck_assert_str_eq(t_proc(c, "b")->argv[1], "sup");     /* [supervisord]'s wins */
    conf_free(c);
    /* [supervisord]'s own keys and a program's environment itself do not
     * see what they set (supervisord adds the variables after) */
    c = t_load("[supervisord]\nenvironment = TEND_TEST_SUP=x\n"
               "logfile = /tmp/%(ENV_TEND_TEST_SUP)s.log\n"         /* 3 */
               "[program:a]\ncommand = /bin/a\n"
               "environment = TEND_TEST_OWN=1,B=%(ENV_TEND_TEST_OWN)s\n");  /* 6 */
    t_fails(c);
    t_has_error(3, "logfile: %(ENV_TEND_TEST_SUP)s: TEND_TEST_SUP is not set in tend's "
                   "environment, nor by an environment line this value sees");
    t_has_error(6, "environment: %(ENV_TEND_TEST_OWN)s: TEND_TEST_OWN is not set");
    ck_assert_int_eq(t_d.nerrors, 2);
    unsetenv("TEND_TEST_SHADOW");
}
END_TEST

START_TEST(test_one_error_per_cause)
{
    /* a command that fails to expand is not also "has no command" */
    struct tend_config *c = t_load("[program:a]\ncommand = /bin/a %(ENV_TEND_TEST_NOPE)s\n"
                                   "[program:b]\ncommand = /bin/b 'open\n"
                                   "[program:c]\nautostart = false\n");
    t_fails(c);
    t_has_error(2, "command: %(ENV_TEND_TEST_NOPE)s: TEND_TEST_NOPE is not set");
    t_has_error(4, "command: unterminated");
    t_has_error(5, "[program:c] has no command");
    ck_assert_int_eq(t_d.nerrors, 3);
}
END_TEST

static struct passwd *no_passwd(uid_t uid)
{
    (void)uid;
    errno = 0;
    return NULL;
}

START_TEST(test_numeric_user)
{
    /* supervisord refuses a uid without a passwd entry; so does tend */
    struct conf_accounts fake = *conf_accounts;
    const struct conf_accounts *saved = conf_accounts;
    fake.by_uid = no_passwd;
    fake.user_source = NULL;
    conf_accounts = &fake;
    struct tend_config *c = t_load("[program:a]\ncommand = /bin/a\nuser = 4242\n");
    conf_accounts = saved;
    t_fails(c);
    t_has_error(3, "user: uid 4242 has no passwd entry; a user must exist (as in supervisord)");
    ck_assert_int_eq(t_d.nerrors, 1);
}
END_TEST

int main(void)
{
    conf_use_system_accounts(); /* user and group names are resolved */
    Suite *s = suite_create("conf_keys");
    TCase *tc = t_tcase(s, "supervisor");
    tcase_add_test(tc, test_supervisor_defaults);
    tcase_add_test(tc, test_supervisor_keys);
    tcase_add_test(tc, test_supervisor_loglevels);
    tcase_add_test(tc, test_supervisor_errors);
    tc = t_tcase(s, "program");
    tcase_add_test(tc, test_program_defaults);
    tcase_add_test(tc, test_program_keys);
    tcase_add_test(tc, test_log_keywords);
    tcase_add_test(tc, test_program_errors);
    tcase_add_test(tc, test_program_semantic_errors);
    tcase_add_test(tc, test_expansions_in_values);
    tcase_add_test(tc, test_env_from_config);
    tcase_add_test(tc, test_one_error_per_cause);
    tcase_add_test(tc, test_numeric_user);
    return t_run(s);
}
