/* test_conf_events.c - [eventlistener:x], stdin = pipe, *_events_enabled
 * and [supervisor] identifier in the model (issue 17). */
#include "conf_test.h"

START_TEST(test_listener_model)
{
    struct tend_config *c = t_load(
        "[eventlistener:l]\ncommand = cat\n"
        "events = PROCESS_STATE , TICK_5,\n"
        "  EVENT\n"
        "numprocs = 2\nprocess_name = %(program_name)s_%(process_num)d\n"
        "[eventlistener:m]\ncommand = cat\nevents = PROCESS_GROUP\nbuffer_size = 3\n"
        "priority = 7\n"
        "[program:p]\ncommand = cat\nstdin = pipe\nstdout_events_enabled = true\n");
    t_ok(c);
    ck_assert_int_eq(t_d.nwarnings, 0);
    struct process_config *l = t_proc(c, "l:l_1");
    ck_assert(l->listener);
    ck_assert(l->stdin_pipe);
    ck_assert_int_eq(l->priority, -1);       /* listeners start first, stop last */
    ck_assert_int_eq(l->buffer_size, 10);
    ck_assert_str_eq(l->events[0], "PROCESS_STATE");
    ck_assert_str_eq(l->events[1], "TICK_5");
    ck_assert_str_eq(l->events[2], "EVENT");
    ck_assert_ptr_null(l->events[3]);
    struct process_config *m = t_proc(c, "m");
    ck_assert_int_eq(m->buffer_size, 3);
    ck_assert_int_eq(m->priority, 7);
    struct process_config *p = t_proc(c, "p");
    ck_assert(!p->listener);
    ck_assert(p->stdin_pipe);
    ck_assert_ptr_null(p->stdin_path);
    ck_assert(p->stdout_log.events);
    ck_assert(!p->stderr_log.events);
    ck_assert_int_eq(p->priority, 999);
    ck_assert_str_eq(c->identifier, "supervisor");
    /* listeners start first: sorted before the program */
    ck_assert_str_eq(c->procs[0].program, "l");
    ck_assert(!conf_process_same(l, m));
    /* --check -v: listeners are their own kind, not [process x] */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    conf_dump(c, f);
    fclose(f);
    ck_assert_msg(strstr(buf, "\n[eventlistener l:l_0]\n") && strstr(buf, "\n[eventlistener m]\n") &&
                  strstr(buf, "\n[process p]\n") && !strstr(buf, "[process l:") &&
                  !strstr(buf, "[process m]"), "%s", buf);
    free(buf);
    conf_free(c);
}
END_TEST

START_TEST(test_listener_errors)
{
    struct tend_config *c = t_load(
        "[supervisor]\nidentifier = two words\n"            /* 1 */
        "[eventlistener:a]\ncommand = cat\n"                 /* 3 */
        "[eventlistener:b]\ncommand = cat\nevents = TICK_7\n" /* 5 */
        "[eventlistener:c]\ncommand = cat\nevents = EVENT\nbuffer_size = 0\n" /* 8 */
        "result_handler = x:y\n"                             /* 12 */
        "[program:d]\ncommand = cat\nevents = EVENT\n");    /* 13 */
    t_fails(c);
    t_has_error(2, "identifier: invalid value 'two words'");
    t_has_error(3, "[eventlistener:a] has no events = setting");
    t_has_error(7, "events: unknown event type 'TICK_7'; did you mean TICK_5?");
    t_has_error(11, "buffer_size: invalid value '0'");
    t_has_warning(12, "'result_handler' is not supported by tend, ignored");
    /* events = means nothing to a program: an unknown key */
    t_has_warning(15, "unknown key 'events' in [program:d]");
}
END_TEST

START_TEST(test_capture_maxbytes)
{
    struct tend_config *c = t_load(
        "[program:p]\ncommand = cat\nstdout_capture_maxbytes = 1KB\n"
        "stderr_capture_maxbytes = 0\n"
        "[program:q]\ncommand = cat\nstderr_capture_maxbytes = 12\n");
    t_ok(c);
    ck_assert_int_eq(t_d.nwarnings, 0);
    struct process_config *p = t_proc(c, "p"), *q = t_proc(c, "q");
    ck_assert_uint_eq(p->stdout_log.capture_maxbytes, 1024);
    ck_assert_uint_eq(p->stderr_log.capture_maxbytes, 0);
    ck_assert_uint_eq(q->stdout_log.capture_maxbytes, 0);
    ck_assert_uint_eq(q->stderr_log.capture_maxbytes, 12);
    ck_assert(!conf_process_same(p, q));
    conf_free(c);
    c = t_load("[program:p]\ncommand = cat\nstdout_capture_maxbytes = lots\n");
    t_fails(c);
    t_has_error(3, "stdout_capture_maxbytes: invalid value 'lots'");
}
END_TEST

/* supervisord refuses a listener in [group:x] programs = */
START_TEST(test_listener_not_in_group)
{
    struct tend_config *c = t_load(
        "[eventlistener:l]\ncommand = cat\nevents = EVENT\n"
        "[program:p]\ncommand = cat\n"
        "[group:g]\nprograms = p, l\n");           /* 7 */
    t_fails(c);
    t_has_error(7, "[group:g] lists 'l', which is an [eventlistener:l]: a group holds "
                   "programs only");
}
END_TEST

START_TEST(test_identifier)
{
    struct tend_config *c = t_load("[supervisord]\nidentifier = box7\n");
    t_ok(c);
    ck_assert_str_eq(c->identifier, "box7");
    ck_assert_int_eq(t_d.nwarnings, 0);
    conf_free(c);
}
END_TEST

int main(void)
{
    conf_use_system_accounts();
    Suite *s = suite_create("conf_events");
    TCase *tc = t_tcase(s, "listeners");
    tcase_add_test(tc, test_listener_model);
    tcase_add_test(tc, test_listener_errors);
    tcase_add_test(tc, test_capture_maxbytes);
    tcase_add_test(tc, test_listener_not_in_group);
    tcase_add_test(tc, test_identifier);
    return t_run(s);
}
