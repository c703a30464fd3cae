/* test_request.c - the control request grammar (supervisor/request.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/request.h"

static struct request r;
static char err[512];

static int parse(const char *s)
{
    err[0] = '\0';
    return request_parse(s, strlen(s), &r, err, sizeof err);
}

START_TEST(test_plain_verb)
{
    ck_assert_int_eq(parse("status"), 0);
    ck_assert_ptr_null(r.reply);
    ck_assert_int_eq(r.verb, VERB_STATUS);
    ck_assert_int_eq(r.argc, 0);
    ck_assert_ptr_null(r.argv[0]);
}
END_TEST

START_TEST(test_reply_and_args)
{
    ck_assert_int_eq(parse("@/tmp/x/reply  restart\tweb  g:* \r"), 0);
    ck_assert_str_eq(r.reply, "/tmp/x/reply");
    ck_assert_int_eq(r.verb, VERB_RESTART);
    ck_assert_int_eq(r.argc, 2);
    ck_assert_str_eq(r.argv[0], "web");
    ck_assert_str_eq(r.argv[1], "g:*");
    ck_assert_ptr_null(r.argv[2]);
}
END_TEST

START_TEST(test_empty_lines)
{
    ck_assert_int_eq(parse(""), 1);
    ck_assert_int_eq(parse("   \t "), 1);
}
END_TEST

START_TEST(test_unknown_verb_keeps_reply)
{
    ck_assert_int_eq(parse("@/run/r frobnicate web"), -1);
    ck_assert_str_eq(r.reply, "/run/r");
    ck_assert_ptr_nonnull(strstr(err, "unknown verb 'frobnicate'"));
}
END_TEST

START_TEST(test_bad_reply_paths)
{
    ck_assert_int_eq(parse("@relative/path status"), -1);
    ck_assert_ptr_null(r.reply);
    ck_assert_int_eq(parse("@ status"), -1);
    ck_assert_int_eq(parse("@/only/reply"), -1);
    ck_assert_str_eq(r.reply, "/only/reply");
    ck_assert_ptr_nonnull(strstr(err, "missing verb"));
    ck_assert(!request_reply_path_ok("/a\x01" "b"));
    ck_assert(!request_reply_path_ok("/a b"));
    ck_assert(!request_reply_path_ok(""));
    ck_assert(!request_reply_path_ok(NULL));
    ck_assert(request_reply_path_ok("/tmp/tendctl.abc/reply"));
    char longp[5000];
    memset(longp, 'a', sizeof longp);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    ck_assert(!request_reply_path_ok(longp));
}
END_TEST

START_TEST(test_arg_counts)
{
    ck_assert_int_eq(parse("start"), -1);
    ck_assert_ptr_nonnull(strstr(err, "usage: start"));
    ck_assert_int_eq(parse("stop"), -1);
    ck_assert_int_eq(parse("signal HUP"), -1);
    ck_assert_int_eq(parse("signal HUP web"), 0);
    ck_assert_int_eq(parse("reload now"), -1);
    ck_assert_int_eq(parse("wait web"), -1);
    ck_assert_int_eq(parse("wait web RUNNING 3"), 0);
    ck_assert_int_eq(parse("wait web RUNNING 3 4"), -1);
    ck_assert_int_eq(parse("logfile web stderr"), 0);
    ck_assert_int_eq(parse("pid"), 0);
    ck_assert_int_eq(parse("version"), 0);
    ck_assert_int_eq(parse("shutdown"), 0);
    ck_assert_int_eq(parse("reopen"), 0);
}
END_TEST

START_TEST(test_control_chars_and_nul)
{
    ck_assert_int_eq(parse("status \x1b[2J"), -1);
    ck_assert_int_eq(request_parse("sta\0tus", 7, &r, err, sizeof err), -1);
}
END_TEST

START_TEST(test_too_long)
{
    char *line = malloc(REQ_MAX + 10);
    memset(line, 'a', REQ_MAX + 9);
    memcpy(line, "status ", 7);
    /* REQ_MAX - 1 bytes of content (+ newline = REQ_MAX) is the limit */
    ck_assert_int_eq(request_parse(line, REQ_MAX - 1, &r, err, sizeof err), 0);
    ck_assert_int_eq(request_parse(line, REQ_MAX, &r, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "longer than"));
    free(line);
}
END_TEST

START_TEST(test_too_many_args)
{
    char line[REQ_MAX];
    size_t n = 0;
    n += (size_t)sprintf(line, "status");
    for (int i = 0; i < REQ_MAXARGS + 1; i++)
        n += (size_t)sprintf(line + n, " a");
    ck_assert_int_eq(request_parse(line, n, &r, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too many"));
}
END_TEST

START_TEST(test_format_roundtrip)
{
    char buf[REQ_MAX + 1];
    char *args[] = { "web", "g:*" };
    int n = request_format(buf, sizeof buf, "/tmp/d/reply", "stop", args, 2);
    ck_assert_int_eq(n, (int)strlen("@/tmp/d/reply stop web g:*\n"));
    ck_assert_str_eq(buf, "@/tmp/d/reply stop web g:*\n");
    ck_assert_int_eq(request_parse(buf, (size_t)n - 1, &r, err, sizeof err), 0);
    ck_assert_int_eq(r.verb, VERB_STOP);
    ck_assert_int_eq(r.argc, 2);
    n = request_format(buf, sizeof buf, NULL, "version", NULL, 0);
    ck_assert_str_eq(buf, "version\n");
}
END_TEST

START_TEST(test_format_rejects)
{
    char buf[REQ_MAX + 1];
    char *blank[] = { "a b" };
    char *empty[] = { "" };
    char *nl[] = { "a\nstop all" };
    ck_assert_int_eq(request_format(buf, sizeof buf, NULL, "start", blank, 1), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(request_format(buf, sizeof buf, NULL, "start", empty, 1), -1);
    ck_assert_int_eq(request_format(buf, sizeof buf, NULL, "start", nl, 1), -1);
    ck_assert_int_eq(request_format(buf, sizeof buf, "rel", "start", NULL, 0), -1);
    char *big = malloc(REQ_MAX);
    memset(big, 'x', REQ_MAX - 1);
    big[REQ_MAX - 1] = '\0';
    char *bigv[] = { big };
    ck_assert_int_eq(request_format(buf, sizeof buf, NULL, "start", bigv, 1), -1);
    ck_assert_int_eq(errno, E2BIG);
    /* exactly REQ_MAX with the newline fits */
    big[REQ_MAX - 1 - 6] = '\0';     /* "start " + word + "\n" = REQ_MAX */
    ck_assert_int_eq(request_format(buf, sizeof buf, NULL, "start", bigv, 1), REQ_MAX);
    free(big);
}
END_TEST

START_TEST(test_verbs_table)
{
    const char *names[] = { "status", "start", "stop", "restart", "signal", "pid", "reload",
                            "reopen", "shutdown", "version", "wait", "logfile", "metrics" };
    for (int i = 0; i < VERB_COUNT; i++) {
        ck_assert_int_eq(request_verb(names[i]), i);
        ck_assert_str_eq(request_verb_name((enum req_verb)i), names[i]);
    }
    ck_assert_int_eq(request_verb("STATUS"), -1);
}
END_TEST

START_TEST(test_status_record)
{
    char buf[1024];
    struct status_rec in = { .name = "g:web", .state = "RUNNING", .pid = 42, .exit = "-",
                             .restarts = 3, .since = 1700000000, .fine = true,
                             .desc = "pid 42, uptime 0:00:01", .text = "a\tb\nc" };
    ck_assert_int_gt(status_rec_format(buf, sizeof buf, &in), 0);
    ck_assert_ptr_null(strchr(buf, '\n'));
    struct status_rec out;
    ck_assert_int_eq(status_rec_parse(buf, &out), 0);
    ck_assert_str_eq(out.name, "g:web");
    ck_assert_str_eq(out.state, "RUNNING");
    ck_assert_int_eq(out.pid, 42);
    ck_assert_str_eq(out.exit, "-");
    ck_assert_int_eq(out.restarts, 3);
    ck_assert_int_eq(out.since, 1700000000);
    ck_assert(out.fine);
    ck_assert_str_eq(out.desc, "pid 42, uptime 0:00:01");
    ck_assert_str_eq(out.text, "a b c");
    ck_assert_str_eq(out.health, "");

    in.health = "unhealthy";
    ck_assert_int_gt(status_rec_format(buf, sizeof buf, &in), 0);
    ck_assert_int_eq(status_rec_parse(buf, &out), 0);
    ck_assert_str_eq(out.health, "unhealthy");
    ck_assert_str_eq(out.text, "a b c");

    char bad[] = "web\tRUNNING\tx\t-\t0\t0\t1\td\t";
    ck_assert_int_eq(status_rec_parse(bad, &out), -1);
    char few[] = "web\tRUNNING";
    ck_assert_int_eq(status_rec_parse(few, &out), -1);
    /* an older tend's record, without HEALTH */
    char old[] = "a\tb\t1\t-\t0\t0\t1\td\tt";
    ck_assert_int_eq(status_rec_parse(old, &out), 0);
    ck_assert_str_eq(out.health, "");
    char many[] = "a\tb\t1\t-\t0\t0\t1\td\tt\thealthy\textra";
    ck_assert_int_eq(status_rec_parse(many, &out), -1);
}
END_TEST

/* status -jl (issue 18): CPU RSS PROCS after HEALTH */
START_TEST(test_status_record_usage)
{
    char buf[1024];
    struct status_rec in = { .name = "web", .state = "RUNNING", .pid = 42, .exit = "-",
                             .desc = "d", .text = "", .health = "", .has_usage = true,
                             .cpu_seconds = 12.5, .rss_bytes = 11 << 20, .procs = 3 };
    ck_assert_int_gt(status_rec_format(buf, sizeof buf, &in), 0);
    struct status_rec out;
    ck_assert_int_eq(status_rec_parse(buf, &out), 0);
    ck_assert(out.has_usage);
    ck_assert(out.cpu_seconds > 12.49 && out.cpu_seconds < 12.51);
    ck_assert_uint_eq(out.rss_bytes, 11 << 20);
    ck_assert_uint_eq(out.procs, 3);
    char text[128];
    ck_assert_int_gt(status_rec_usage_text(text, sizeof text, &out), 0);
    ck_assert_str_eq(text, "  cpu=12.50s rss=11.0MB procs=3");
    char json[1024] = "";
    ck_assert_int_gt(status_rec_json(json, sizeof json, &out), 0);
    ck_assert_ptr_nonnull(strstr(json, ", \"cpu_seconds\": 12.50, \"rss_bytes\": 11534336, "
                                       "\"procs\": 3}"));
    /* without usage: nothing added */
    in.has_usage = false;
    ck_assert_int_gt(status_rec_format(buf, sizeof buf, &in), 0);
    ck_assert_int_eq(status_rec_parse(buf, &out), 0);
    ck_assert(!out.has_usage);
    ck_assert_int_eq(status_rec_usage_text(text, sizeof text, &out), 0);
    json[0] = 0;
    ck_assert_int_gt(status_rec_json(json, sizeof json, &out), 0);
    ck_assert_ptr_null(strstr(json, "cpu_seconds"));
    char badcpu[] = "a\tb\t1\t-\t0\t0\t1\td\tt\t\tx\t1\t1";
    ck_assert_int_eq(status_rec_parse(badcpu, &out), -1);
    /* found by fuzz_request: a figure too long to print back */
    char huge[] = "a\tb\t1\t-\t0\t0\t1\td\tt\t\t"
                  "66666666666666666666666666666666666666666666666666666666666666666660"
                  "\t1\t1";
    ck_assert_int_eq(status_rec_parse(huge, &out), -1);
    char inf[] = "a\tb\t1\t-\t0\t0\t1\td\tt\t\tinf\t1\t1";
    ck_assert_int_eq(status_rec_parse(inf, &out), -1);
    char twelve[] = "a\tb\t1\t-\t0\t0\t1\td\tt\t\t1\t1";
    ck_assert_int_eq(status_rec_parse(twelve, &out), -1);
}
END_TEST

/* A cgroup's memory.current: a 14th field, memory_current_bytes in JSON,
 * mem= in -l; absent without it (the 13-field record above). */
START_TEST(test_status_record_memory_current)
{
    char buf[1024], text[128], json[1024] = "";
    struct status_rec in = { .name = "web", .state = "RUNNING", .pid = 42, .exit = "-",
                             .desc = "d", .text = "", .health = "", .has_usage = true,
                             .cpu_seconds = 1, .rss_bytes = 1 << 20, .procs = 1,
                             .has_memory_current = true, .memory_current = 3 << 20 };
    ck_assert_int_gt(status_rec_format(buf, sizeof buf, &in), 0);
    ck_assert_ptr_nonnull(strstr(buf, "\t1048576\t1\t3145728"));
    struct status_rec out;
    ck_assert_int_eq(status_rec_parse(buf, &out), 0);
    ck_assert(out.has_usage && out.has_memory_current);
    ck_assert_uint_eq(out.memory_current, 3 << 20);
    ck_assert_int_gt(status_rec_usage_text(text, sizeof text, &out), 0);
    ck_assert_str_eq(text, "  cpu=1.00s rss=1.0MB procs=1 mem=3.0MB");
    ck_assert_int_gt(status_rec_json(json, sizeof json, &out), 0);
    ck_assert_ptr_nonnull(strstr(json, "\"procs\": 1, \"memory_current_bytes\": 3145728}"));
    in.has_memory_current = false;
    ck_assert_int_gt(status_rec_format(buf, sizeof buf, &in), 0);
    ck_assert_int_eq(status_rec_parse(buf, &out), 0);
    ck_assert(out.has_usage && !out.has_memory_current);
    json[0] = 0;
    ck_assert_int_gt(status_rec_json(json, sizeof json, &out), 0);
    ck_assert_ptr_null(strstr(json, "memory_current"));
    char bad[] = "a\tb\t1\t-\t0\t0\t1\td\tt\t\t1\t1\t1\tx";
    ck_assert_int_eq(status_rec_parse(bad, &out), -1);
    char fifteen[] = "a\tb\t1\t-\t0\t0\t1\td\tt\t\t1\t1\t1\t1\t1";
    ck_assert_int_eq(status_rec_parse(fifteen, &out), -1);
}
END_TEST

START_TEST(test_status_text_alignment)
{
    char buf[512];
    struct status_rec rec = { .name = "web", .state = "RUNNING", .exit = "-",
                              .desc = "pid 1234, uptime 0:01:02", .text = "" };
    ck_assert_int_eq(status_name_width(3), 33);
    ck_assert_int_eq(status_name_width(40), 43);
    status_rec_text(buf, sizeof buf, &rec, 33);
    ck_assert_str_eq(buf, "web                              RUNNING   pid 1234, uptime 0:01:02");
    rec.text = "serving";
    status_rec_text(buf, sizeof buf, &rec, 33);
    ck_assert_ptr_nonnull(strstr(buf, "0:01:02 \"serving\""));
    rec.desc = "";
    rec.text = "";
    rec.state = "STOPPED";
    status_rec_text(buf, sizeof buf, &rec, 33);
    ck_assert_str_eq(buf, "web                              STOPPED");
}
END_TEST

START_TEST(test_status_json)
{
    char buf[1024] = "";
    struct status_rec rec = { .name = "w\"x", .state = "EXITED", .pid = 0, .exit = "3",
                              .restarts = 1, .since = 5, .fine = false,
                              .desc = "exit status 3", .text = "back\\slash" };
    ck_assert_int_gt(status_rec_json(buf, sizeof buf, &rec), 0);
    ck_assert_str_eq(buf, "{\"name\": \"w\\\"x\", \"state\": \"EXITED\", \"pid\": 0, \"exit\": 3, "
                     "\"restarts\": 1, \"since\": 5, \"ok\": false, \"description\": "
                     "\"exit status 3\", \"status_text\": \"back\\\\slash\", "
                     "\"health\": null}");
    buf[0] = '\0';
    rec.health = "healthy";
    status_rec_json(buf, sizeof buf, &rec);
    ck_assert_ptr_nonnull(strstr(buf, "\"health\": \"healthy\"}"));
    rec.health = NULL;
    buf[0] = '\0';
    rec.exit = "SIGKILL";
    status_rec_json(buf, sizeof buf, &rec);
    ck_assert_ptr_nonnull(strstr(buf, "\"exit\": \"SIGKILL\""));
    buf[0] = '\0';
    rec.exit = "-";
    status_rec_json(buf, sizeof buf, &rec);
    ck_assert_ptr_nonnull(strstr(buf, "\"exit\": null"));
    char tiny[16] = "";
    ck_assert_int_eq(status_rec_json(tiny, sizeof tiny, &rec), -1);
}
END_TEST

START_TEST(test_final_lines)
{
    ck_assert_int_eq(reply_final("ok"), 1);
    ck_assert_int_eq(reply_final("error: no such process: x"), -1);
    ck_assert_int_eq(reply_final("okay"), 0);
    ck_assert_int_eq(reply_final("web: ERROR (not running)"), 0);
    ck_assert_int_eq(reply_final(""), 0);
}
END_TEST

static Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_plain_verb);
    tcase_add_test(tc, test_reply_and_args);
    tcase_add_test(tc, test_empty_lines);
    tcase_add_test(tc, test_unknown_verb_keeps_reply);
    tcase_add_test(tc, test_bad_reply_paths);
    tcase_add_test(tc, test_arg_counts);
    tcase_add_test(tc, test_control_chars_and_nul);
    tcase_add_test(tc, test_too_long);
    tcase_add_test(tc, test_too_many_args);
    tcase_add_test(tc, test_verbs_table);
    suite_add_tcase(s, tc);
    tc = tcase_create("format");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_format_roundtrip);
    tcase_add_test(tc, test_format_rejects);
    tcase_add_test(tc, test_status_record);
    tcase_add_test(tc, test_status_record_usage);
    tcase_add_test(tc, test_status_record_memory_current);
    tcase_add_test(tc, test_status_text_alignment);
    tcase_add_test(tc, test_status_json);
    tcase_add_test(tc, test_final_lines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(request_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
