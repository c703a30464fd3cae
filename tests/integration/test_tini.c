/* test_tini.c - `tend -- COMMAND` without a config file is a drop-in for
 * tini and dumb-init: every signal goes to the command (a second SIGTERM
 * too, SIGQUIT and SIGUSR2 only forwarded, SIGPIPE sent by kill(2)), no
 * SIGKILL of tend's own, the command gets tend's environment and inherited
 * descriptors as they are. With a config, the supervisord-style shutdown
 * stays, but a second SIGTERM still reaches the main program.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "procinfo.h"

#define WAIT 10000
#define KEEP(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

/* Start `tend -- ARGV...` for T, with no config file. */
static void bare(struct th *t, const char *const *argv, int inherit_fds)
{
    const char *args[16] = { "--" };
    size_t n = 1;
    for (; argv[n - 1] && n < 15; n++)
        args[n] = argv[n - 1];
    args[n] = NULL;
    struct th_opts o = { .no_conf = true, .args = args, .inherit_fds = inherit_fds };
    ck_assert_int_eq(th_spawn(t, &o), 0);
}

/* "KEY value" line of a sigprobe report. */
static int probe_field(const char *report, const char *key, char *out, size_t len)
{
    static char text[1 << 16];
    if (th_read_file(report, text, sizeof text) < 0)
        return -1;
    return th_kv(text, key, out, len);
}

START_TEST(second_term_forwarded_and_no_kill)
{
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX];
    KEEP(probe, th_path(t, "probe"));
    const char *argv[] = { th_helper("sigprobe"), "-i", probe, NULL };
    bare(t, argv, 0);
    ck_assert_int_eq(th_wait_file(probe, "ready\n", WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGTERM), 0);
    ck_assert_int_eq(wait_sig(probe, SIGTERM, 1, WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGTERM), 0);
    ck_assert_msg(wait_sig(probe, SIGTERM, 2, WAIT) == 0, "the second SIGTERM was dropped");
    /* the runtime owns the grace period: past tend's default stopwaitsecs
     * (10 s) the command still runs */
    uint64_t end = th_now_ms() + 11000;
    while (th_now_ms() < end) {
        ck_assert_msg(!th_exited(t), "tend ended its command on its own");
        th_nap(100);
    }
    ck_assert_int_eq(sig_count(probe, SIGKILL), 0);
    /* SIGINT is forwarded too, not an emergency stop: sigprobe ends on it */
    ck_assert_int_eq(th_stop(t, SIGINT, WAIT), 128 + SIGINT);
    th_free(t);
}
END_TEST

START_TEST(quit_usr2_pipe_only_forwarded)
{
    struct th *t = th_new(NULL, NULL);
    char f[PATH_MAX], script[4 * PATH_MAX + 256];
    KEEP(f, th_path(t, "traps"));
    snprintf(script, sizeof script,
             "trap 'echo quit >> %s' QUIT; trap 'echo usr2 >> %s' USR2; "
             "trap 'echo pipe >> %s' PIPE; echo ready >> %s; "
             "while :; do sleep 1 & wait $!; done", f, f, f, f);
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    bare(t, argv, 0);
    ck_assert_int_eq(th_wait_file(f, "ready\n", WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGQUIT), 0);
    ck_assert_int_eq(th_wait_file(f, "quit\n", WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGUSR2), 0);
    ck_assert_int_eq(th_wait_file(f, "usr2\n", WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGPIPE), 0);
    ck_assert_int_eq(th_wait_file(f, "pipe\n", WAIT), 0);
    ck_assert(!th_exited(t));
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 128 + SIGTERM);
    th_free(t);
}
END_TEST

START_TEST(environment_exactly_tends)
{
    struct th *t = th_new(NULL, NULL);
    char f[PATH_MAX], cmd[PATH_MAX + 32];
    KEEP(f, th_path(t, "env"));
    snprintf(cmd, sizeof cmd, "env > %s", f);
    const char *args[] = { "--", "/bin/sh", "-c", cmd, NULL };
    const char *env[] = { "TINI_MARK=kept", NULL };
    struct th_opts o = { .no_conf = true, .args = args, .env = env };
    ck_assert_int_eq(th_spawn(t, &o), 0);
    ck_assert_int_eq(th_wait_exit(t, WAIT), 0);
    ck_assert_int_eq(th_count_in_file(f, "TINI_MARK=kept"), 1);
    ck_assert_int_eq(th_count_in_file(f, "SUPERVISOR_"), 0);
    ck_assert_int_eq(th_count_in_file(f, "TEND_PROCESS_NAME"), 0);
    th_free(t);
}
END_TEST

START_TEST(inherited_fds_passed)
{
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX];
    KEEP(probe, th_path(t, "probe"));
    const char *argv[] = { th_helper("sigprobe"), probe, NULL };
    bare(t, argv, 3);
    ck_assert_int_eq(th_wait_file(probe, "ready\n", WAIT), 0);
    char fds[256];
    ck_assert_int_eq(probe_field(probe, "fds", fds, sizeof fds), 0);
    ck_assert_msg(!strcmp(fds, "0 1 2 3 4 5"), "the command got fds %s, want 0 1 2 3 4 5", fds);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 128 + SIGTERM);
    th_free(t);
}
END_TEST

/* With a config, shutdown stays supervisord's, but a second SIGTERM still
 * reaches the main program, and a SIGINT after it kills everything. */
START_TEST(config_second_term_reaches_main)
{
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX];
    KEEP(probe, th_path(t, "probe"));
    ck_assert_int_eq(th_config(t, NULL, "[program:m]\ncommand = %s -i %s\nmain = true\n"
                                        "startsecs = 0\nstopwaitsecs = 60\n",
                               th_helper("sigprobe"), probe), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    ck_assert_int_eq(th_wait_file(probe, "ready\n", WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGTERM), 0);
    ck_assert_int_eq(wait_sig(probe, SIGTERM, 1, WAIT), 0);
    ck_assert_int_eq(kill(t->pid, SIGTERM), 0);
    ck_assert_msg(wait_sig(probe, SIGTERM, 2, WAIT) == 0, "the second SIGTERM was dropped");
    ck_assert_int_eq(th_stop(t, SIGINT, WAIT), 128 + SIGKILL);
    th_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tini");
    TCase *tc = tcase_create("tini");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, second_term_forwarded_and_no_kill);
    tcase_add_test(tc, quit_usr2_pipe_only_forwarded);
    tcase_add_test(tc, environment_exactly_tends);
    tcase_add_test(tc, inherited_fds_passed);
    tcase_add_test(tc, config_second_term_reaches_main);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
