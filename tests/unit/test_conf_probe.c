/* test_conf_probe.c - probe specs, the readiness/health keys, the restart
 * policy keys and their arithmetic, environment_file lists (issue 14). */
#include "conf_test.h"
#include "conf/health.h"

#include <arpa/inet.h>
#include <sys/socket.h>

static struct probe_spec ps;
static char perr[512];

static int parse(const char *text)
{
    conf_probe_free(&ps);
    perr[0] = '\0';
    return conf_probe_parse(text, "/etc/app", &ps, perr, sizeof perr);
}

static void addr_is(int family, const char *addr)
{
    uint8_t want[16] = {0};
    ck_assert_int_eq(inet_pton(family, addr, want), 1);
    ck_assert_int_eq(ps.family, family);
    ck_assert(!memcmp(ps.addr, want, family == AF_INET ? 4 : 16));
}

START_TEST(test_probe_tcp)
{
    ck_assert_int_eq(parse("tcp:8080"), 0);
    ck_assert_int_eq(ps.kind, PROBE_TCP);
    addr_is(AF_INET, "127.0.0.1");
    ck_assert_uint_eq(ps.port, 8080);
    ck_assert_str_eq(ps.text, "tcp:8080");

    ck_assert_int_eq(parse("tcp:10.1.2.3:5432"), 0);
    addr_is(AF_INET, "10.1.2.3");
    ck_assert_uint_eq(ps.port, 5432);

    ck_assert_int_eq(parse("  TCP:localhost:1 "), 0);
    addr_is(AF_INET, "127.0.0.1");
    ck_assert_uint_eq(ps.port, 1);
    ck_assert_str_eq(ps.text, "TCP:localhost:1");

    ck_assert_int_eq(parse("tcp:[::1]:65535"), 0);
    addr_is(AF_INET6, "::1");
    ck_assert_uint_eq(ps.port, 65535);

    const char *bad[] = {"tcp:", "tcp:0", "tcp:65536", "tcp:80x", "tcp:-1", "tcp:1.2.3.4:",
                         "tcp::80", "tcp:[::1]", "tcp:[::1:80", "tcp:::1:80", "tcp:db:5432",
                         "tcp:1.2.3:80", "tcp:[zz]:80", "tcp:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(parse(bad[i]) == -1, "%s accepted", bad[i]);
        ck_assert_int_eq(ps.kind, PROBE_NONE);
        ck_assert_msg(perr[0], "%s: no message", bad[i]);
    }
    ck_assert_int_eq(parse("tcp:db.internal:5432"), -1);
    ck_assert_ptr_nonnull(strstr(perr, "not a numeric address"));
    ck_assert_int_eq(parse("tcp:::1:80"), -1);
    ck_assert_ptr_nonnull(strstr(perr, "brackets"));
}
END_TEST

START_TEST(test_probe_unix)
{
    ck_assert_int_eq(parse("unix:/run/app.sock"), 0);
    ck_assert_int_eq(ps.kind, PROBE_UNIX);
    ck_assert_str_eq(ps.path, "/run/app.sock");
    ck_assert_int_eq(parse("unix:run/app.sock"), 0);
    ck_assert_str_eq(ps.path, "/etc/app/run/app.sock");     /* relative to the file */
    ck_assert_int_eq(parse("unix:"), -1);
    char long_path[200];
    memset(long_path, 'a', sizeof long_path);
    memcpy(long_path, "unix:/", 6);
    long_path[sizeof long_path - 1] = '\0';
    ck_assert_int_eq(parse(long_path), -1);
    ck_assert_ptr_nonnull(strstr(perr, "too long"));
}
END_TEST

START_TEST(test_probe_http)
{
    ck_assert_int_eq(parse("http://127.0.0.1:8080/health"), 0);
    ck_assert_int_eq(ps.kind, PROBE_HTTP);
    addr_is(AF_INET, "127.0.0.1");
    ck_assert_uint_eq(ps.port, 8080);
    ck_assert_str_eq(ps.host, "127.0.0.1:8080");
    ck_assert_str_eq(ps.path, "/health");

    ck_assert_int_eq(parse("http://localhost/"), 0);
    ck_assert_uint_eq(ps.port, 80);
    ck_assert_str_eq(ps.host, "localhost");
    ck_assert_str_eq(ps.path, "/");

    ck_assert_int_eq(parse("HTTP://[::1]:9000"), 0);
    addr_is(AF_INET6, "::1");
    ck_assert_uint_eq(ps.port, 9000);
    ck_assert_str_eq(ps.host, "[::1]:9000");
    ck_assert_str_eq(ps.path, "/");

    ck_assert_int_eq(parse("http://[::1]/x?a=1&b=2"), 0);
    ck_assert_uint_eq(ps.port, 80);
    ck_assert_str_eq(ps.path, "/x?a=1&b=2");

    const char *bad[] = {"http://", "http:///x", "http://example.com/", "http://1.2.3.4:0/",
                         "http://1.2.3.4:99999/", "http://u:p@1.2.3.4/", "http://1.2.3.4/a b",
                         "http:1.2.3.4", "https://127.0.0.1/"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(parse(bad[i]) == -1, "%s accepted", bad[i]);
    ck_assert_int_eq(parse("https://127.0.0.1/"), -1);
    ck_assert_ptr_nonnull(strstr(perr, "https"));
}
END_TEST

START_TEST(test_probe_exec)
{
    ck_assert_int_eq(parse("exec:pg_isready -h 127.0.0.1 -q"), 0);
    ck_assert_int_eq(ps.kind, PROBE_EXEC);
    ck_assert_str_eq(ps.argv[0], "pg_isready");
    ck_assert_str_eq(ps.argv[3], "-q");
    ck_assert_ptr_null(ps.argv[4]);

    ck_assert_int_eq(parse("exec:sh -c 'test -e \"/tmp/a b\"'"), 0);
    ck_assert_str_eq(ps.argv[2], "test -e \"/tmp/a b\"");
    ck_assert_ptr_null(ps.argv[3]);

    ck_assert_int_eq(parse("exec:"), -1);
    ck_assert_int_eq(parse("exec:   "), -1);
    ck_assert_int_eq(parse("exec:echo 'open"), -1);
    ck_assert_ptr_nonnull(strstr(perr, "exec:"));
    ck_assert_int_eq(parse("ping 127.0.0.1"), -1);
    ck_assert_ptr_nonnull(strstr(perr, "expected a probe"));
    ck_assert_int_eq(parse(""), -1);
}
END_TEST

START_TEST(test_probe_same_copy)
{
    struct probe_spec a, b, c;
    ck_assert_int_eq(conf_probe_parse("exec:true x", "/", &a, perr, sizeof perr), 0);
    conf_probe_copy(&b, &a);
    ck_assert(conf_probe_same(&a, &b));
    ck_assert_ptr_ne(a.argv, b.argv);
    ck_assert_int_eq(conf_probe_parse("exec:true y", "/", &c, perr, sizeof perr), 0);
    ck_assert(!conf_probe_same(&a, &c));
    conf_probe_free(&c);
    ck_assert_int_eq(conf_probe_parse("tcp:80", "/", &c, perr, sizeof perr), 0);
    ck_assert(!conf_probe_same(&a, &c));
    conf_probe_free(&a);
    ck_assert_int_eq(conf_probe_parse("tcp:127.0.0.1:80", "/", &a, perr, sizeof perr), 0);
    ck_assert(conf_probe_same(&a, &c));   /* same address, written differently */
    conf_probe_free(&a);
    conf_probe_free(&b);
    conf_probe_free(&c);
    ck_assert_int_eq(c.kind, PROBE_NONE);
    ck_assert(conf_probe_same(&a, &c));
}
END_TEST

START_TEST(test_parse_ms)
{
    int v = -7;
    ck_assert_int_eq(cf_parse_ms("0.5", 0, 1000000, &v), 0);
    ck_assert_int_eq(v, 500);
    ck_assert_int_eq(cf_parse_ms("10", 0, 100000, &v), 0);
    ck_assert_int_eq(v, 10000);
    ck_assert_int_eq(cf_parse_ms("1.25", 0, 100000, &v), 0);
    ck_assert_int_eq(v, 1250);
    ck_assert_int_eq(cf_parse_ms("0.001", 0, 100000, &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(cf_parse_ms("2.5000", 0, 100000, &v), 0);
    ck_assert_int_eq(v, 2500);
    ck_assert_int_eq(cf_parse_ms("1000000", 0, 1000000000, &v), 0);
    ck_assert_int_eq(v, 1000000000);
    v = 42;
    const char *bad[] = {"", " 1", "1 ", "-1", "1.", ".5", "1s", "0.0001", "1e3", "abc",
                         "1000001", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(cf_parse_ms(bad[i], 0, 1000000000, &v) == -1, "'%s' accepted", bad[i]);
    ck_assert_int_eq(cf_parse_ms("0", 1, 100, &v), -1);
    ck_assert_int_eq(cf_parse_ms("0.2", 1, 100, &v), -1);
    ck_assert_int_eq(v, 42);
}
END_TEST

START_TEST(test_backoff)
{
    struct process_config p;
    memset(&p, 0, sizeof p);
    cf_health_init(&p);
    /* the defaults: at once, then 1 s, 2 s, 4 s ... 60 s */
    uint64_t want[] = {0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (unsigned k = 1; k < 10; k++)
        ck_assert_uint_eq(conf_backoff_delay_ms(&p, k), want[k]);
    ck_assert_uint_eq(conf_backoff_delay_ms(&p, 0), 0);
    ck_assert_uint_eq(conf_backoff_delay_ms(&p, 1000000), 60000);     /* no overflow */
    ck_assert_uint_eq(conf_backoff_delay_ms(&p, 4000000000u), 60000);
    /* restart_delay is the least wait, the growth rises above it */
    p.restart_delay_ms = 5000;
    uint64_t want2[] = {0, 5000, 5000, 5000, 5000, 8000, 16000, 32000, 60000};
    for (unsigned k = 1; k < 9; k++)
        ck_assert_uint_eq(conf_backoff_delay_ms(&p, k), want2[k]);
    /* backoff_max = 0: always restart_delay */
    p.backoff_max_ms = 0;
    for (unsigned k = 1; k < 40; k++)
        ck_assert_uint_eq(conf_backoff_delay_ms(&p, k), 5000);
    /* a cap below restart_delay does not shorten it */
    p.backoff_max_ms = 2000;
    ck_assert_uint_eq(conf_backoff_delay_ms(&p, 10), 5000);
    p.restart_delay_ms = 0;
    ck_assert_uint_eq(conf_backoff_delay_ms(&p, 3), 2000);
    ck_assert_uint_eq(conf_backoff_delay_ms(&p, 30), 2000);
    cf_health_free(&p);
}
END_TEST

START_TEST(test_keys_defaults)
{
    struct tend_config *c = t_load("[program:a]\ncommand = /bin/true\n");
    t_ok(c);
    struct process_config *p = t_proc(c, "a");
    ck_assert_int_eq(p->ready, READY_STARTSECS);
    ck_assert_int_eq(p->ready_probe.kind, PROBE_NONE);
    ck_assert_int_eq(p->healthcheck.kind, PROBE_NONE);
    ck_assert_int_eq(p->ready_interval_ms, 500);
    ck_assert_int_eq(p->healthcheck_interval_ms, 10000);
    ck_assert_int_eq(p->healthcheck_timeout_ms, 5000);
    ck_assert_int_eq(p->healthcheck_retries, 3);
    ck_assert_int_eq(p->healthcheck_start_period_ms, 0);
    ck_assert_int_eq(p->healthcheck_action, HEALTH_RESTART);
    ck_assert_int_eq(p->startretries, 3);
    ck_assert_int_eq(p->restart_delay_ms, 0);
    ck_assert_int_eq(p->backoff_max_ms, 60000);
    ck_assert_int_eq(p->restart_limit_count, 0);
    ck_assert_int_eq(p->restart_limit_interval_ms, 60000);
    ck_assert_int_eq(p->startsecs, 1);
    ck_assert_ptr_nonnull(p->environment_files);
    ck_assert_ptr_null(p->environment_files[0]);
    ck_assert_uint_eq(t_d.nwarnings, 0);
    conf_free(c);
}
END_TEST

START_TEST(test_keys_set)
{
    struct tend_config *c = t_load(
        "[program:web]\n"
        "command = /bin/true\n"
        "ready = http://127.0.0.1:8080/ready\n"
        "ready_interval = 0.25\n"
        "healthcheck = exec:check --deep\n"
        "healthcheck_interval = 30\n"
        "healthcheck_timeout = 2.5\n"
        "healthcheck_retries = 5\n"
        "healthcheck_start_period = 60\n"
        "healthcheck_action = none\n"
        "startretries = forever\n"
        "restart_delay = 1.5\n"
        "backoff_max = 0\n"
        "restart_limit_count = 4\n"
        "restart_limit_interval = 120\n"
        "[program:db]\n"
        "command = /bin/true\n"
        "ready = tcp:5432\n"
        "startsecs = 20\n"
        "healthcheck = unix:%(here)s/db.sock\n"
        "healthcheck_action = STOP\n"
        "startretries = 0\n");
    t_ok(c);
    struct process_config *p = t_proc(c, "web");
    ck_assert_int_eq(p->ready, READY_PROBE);
    ck_assert_int_eq(p->ready_probe.kind, PROBE_HTTP);
    ck_assert_str_eq(p->ready_probe.path, "/ready");
    ck_assert_int_eq(p->ready_interval_ms, 250);
    ck_assert_int_eq(p->startsecs, 90);             /* the time to become ready */
    ck_assert_int_eq(p->healthcheck.kind, PROBE_EXEC);
    ck_assert_str_eq(p->healthcheck.argv[1], "--deep");
    ck_assert_int_eq(p->healthcheck_interval_ms, 30000);
    ck_assert_int_eq(p->healthcheck_timeout_ms, 2500);
    ck_assert_int_eq(p->healthcheck_retries, 5);
    ck_assert_int_eq(p->healthcheck_start_period_ms, 60000);
    ck_assert_int_eq(p->healthcheck_action, HEALTH_NONE);
    ck_assert_int_eq(p->startretries, CONF_RETRIES_FOREVER);
    ck_assert_int_eq(p->restart_delay_ms, 1500);
    ck_assert_int_eq(p->backoff_max_ms, 0);
    ck_assert_int_eq(p->restart_limit_count, 4);
    ck_assert_int_eq(p->restart_limit_interval_ms, 120000);
    struct process_config *d = t_proc(c, "db");
    ck_assert_int_eq(d->ready, READY_PROBE);
    ck_assert_int_eq(d->ready_probe.kind, PROBE_TCP);
    ck_assert_int_eq(d->startsecs, 20);
    ck_assert_int_eq(d->healthcheck.kind, PROBE_UNIX);
    char want[600];
    snprintf(want, sizeof want, "%s/db.sock", t_dir);
    ck_assert_str_eq(d->healthcheck.path, want);
    ck_assert_int_eq(d->healthcheck_action, HEALTH_STOP);
    ck_assert_int_eq(d->startretries, 0);

    /* --check -v shows them */
    char buf[16384];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ck_assert_ptr_nonnull(f);
    conf_dump(c, f);
    fclose(f);
    const char *lines[] = {"ready = http://127.0.0.1:8080/ready\n", "ready_interval = 0.25\n",
                           "healthcheck = exec:check --deep\n", "healthcheck_timeout = 2.5\n",
                           "healthcheck_action = none\n", "startretries = forever\n",
                           "restart_delay = 1.5\n", "restart_limit_count = 4\n",
                           "restart_limit_interval = 120\n", "healthcheck_action = stop\n",
                           "ready = tcp:5432\n"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        ck_assert_msg(strstr(buf, lines[i]), "no '%s' in:\n%s", lines[i], buf);
    conf_free(c);

    /* ready = notify and startsecs still work, and undo a probe */
    c = t_load("[program:n]\ncommand = /bin/true\nready = tcp:80\nready = notify\n");
    if (c) {
        ck_assert_int_eq(t_proc(c, "n")->ready, READY_NOTIFY);
        ck_assert_int_eq(t_proc(c, "n")->ready_probe.kind, PROBE_NONE);
        conf_free(c);
    }
}
END_TEST

START_TEST(test_keys_errors)
{
    struct tend_config *c = t_load(
        "[program:a]\n"
        "command = /bin/true\n"
        "ready = tcp:db:5432\n"                  /* 3 */
        "healthcheck = ftp://1.2.3.4/\n"         /* 4 */
        "ready_interval = 0\n"                   /* 5 */
        "healthcheck_interval = fast\n"          /* 6 */
        "healthcheck_timeout = 0\n"              /* 7 */
        "healthcheck_retries = 0\n"              /* 8 */
        "healthcheck_start_period = -1\n"        /* 9 */
        "healthcheck_action = reboot\n"          /* 10 */
        "startretries = always\n"                /* 11 */
        "restart_delay = 1m\n"                   /* 12 */
        "backoff_max = -5\n"                     /* 13 */
        "restart_limit_count = many\n"           /* 14 */
        "restart_limit_interval = 0\n"           /* 15 */
        "environment_file = ,\n"                 /* 16 */
        "[program:b]\n"
        "command = /bin/true\n"
        "ready = sometimes\n");                  /* 19 */
    t_fails(c);
    t_has_error(3, "ready: 'tcp:db:5432': host 'db' is not a numeric address");
    t_has_error(4, "healthcheck: invalid value 'ftp://1.2.3.4/' (expected a probe: tcp:PORT");
    t_has_error(5, "ready_interval: invalid value '0'");
    t_has_error(6, "healthcheck_interval: invalid value 'fast'");
    t_has_error(7, "healthcheck_timeout: invalid value '0'");
    t_has_error(8, "healthcheck_retries: invalid value '0'");
    t_has_error(9, "healthcheck_start_period: invalid value '-1'");
    t_has_error(10, "healthcheck_action: invalid value 'reboot' (expected restart, stop or none)");
    t_has_error(11, "startretries: invalid value 'always' (expected an integer from 0 to 1000000, or forever)");
    t_has_error(12, "restart_delay: invalid value '1m'");
    t_has_error(13, "backoff_max: invalid value '-5'");
    t_has_error(14, "restart_limit_count: invalid value 'many'");
    t_has_error(15, "restart_limit_interval: invalid value '0'");
    t_has_error(16, "environment_file: an empty path");
    t_has_error(19, "ready: invalid value 'sometimes' (expected startsecs, notify or a probe");
}
END_TEST

START_TEST(test_envfile_keys)
{
    t_write("sup.env", "S=1\n");
    t_write("app.env", "A=1\n");
    t_write("bad.env", "A=1\nnot a line\n");
    struct tend_config *c = t_load(
        "[supervisor]\n"
        "environment_file = sup.env, -nothere.env\n"
        "[program:a]\n"
        "command = /bin/true\n"
        "environment_file = app.env\n"
        "  -/abs/opt.env\n"
        "environment = X=1\n"
        "[program:b]\n"
        "command = /bin/true\n"
        "environment_file = missing.env\n");       /* 10: a warning */
    t_ok(c);
    char want[4][600];
    snprintf(want[0], sizeof want[0], "%s/sup.env", t_dir);
    snprintf(want[1], sizeof want[1], "-%s/nothere.env", t_dir);
    snprintf(want[2], sizeof want[2], "%s/app.env", t_dir);
    snprintf(want[3], sizeof want[3], "-/abs/opt.env");
    struct process_config *a = t_proc(c, "a");
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(a->environment_files[i], want[i]);
    ck_assert_ptr_null(a->environment_files[4]);
    ck_assert_uint_eq(a->environment_files_nsup, 2);
    ck_assert_str_eq(t_env(&a->environment_own, "X"), "1");
    ck_assert_str_eq(c->environment_files[0], want[0]);
    struct process_config *b = t_proc(c, "b");
    ck_assert_uint_eq(b->environment_files_nsup, 2);
    ck_assert_ptr_nonnull(b->environment_files[2]);
    ck_assert_ptr_null(b->environment_files[3]);
    t_has_warning(10, "missing.env: No such file or directory");
    conf_free(c);

    /* a broken file is an error of the key naming the file and its line */
    c = t_load("[program:a]\ncommand = /bin/true\nenvironment_file = bad.env\n");
    t_fails(c);
    char msg[700];
    snprintf(msg, sizeof msg, "environment_file: %s/bad.env:2: expected KEY=VALUE", t_dir);
    t_has_error(3, msg);
    /* in [supervisor] too */
    c = t_load("[supervisor]\nenvironment_file = bad.env\n[program:a]\ncommand = /bin/true\n");
    t_fails(c);
    t_has_error(2, msg);
}
END_TEST

static struct tend_config *load_one(const char *extra)
{
    return t_loadf("[program:a]\ncommand = /bin/true\n%s", extra);
}

START_TEST(test_same)
{
    const char *variants[] = {
        "ready = tcp:81\n", "ready = tcp:80\nready_interval = 1\n", "healthcheck = tcp:80\n",
        "healthcheck = tcp:80\nhealthcheck_interval = 1\n",
        "healthcheck = tcp:80\nhealthcheck_timeout = 1\n",
        "healthcheck = tcp:80\nhealthcheck_retries = 1\n",
        "healthcheck = tcp:80\nhealthcheck_start_period = 1\n",
        "healthcheck = tcp:80\nhealthcheck_action = stop\n", "startretries = forever\n",
        "restart_delay = 1\n", "backoff_max = 1\n", "restart_limit_count = 1\n",
        "restart_limit_interval = 1\n", "environment_file = -x.env\n",
    };
    struct tend_config *base = load_one("ready = tcp:80\n");
    t_ok(base);
    struct tend_config *same = load_one("ready = tcp:127.0.0.1:80\n");
    t_ok(same);
    ck_assert(conf_process_same(&base->procs[0], &same->procs[0]));
    conf_free(same);
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        struct tend_config *v = load_one(variants[i]);
        t_ok(v);
        ck_assert_msg(!conf_process_same(&base->procs[0], &v->procs[0]), "same with %s",
                      variants[i]);
        conf_free(v);
    }
    conf_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conf_probe");
    TCase *tc = t_tcase(s, "probe");
    tcase_add_test(tc, test_probe_tcp);
    tcase_add_test(tc, test_probe_unix);
    tcase_add_test(tc, test_probe_http);
    tcase_add_test(tc, test_probe_exec);
    tcase_add_test(tc, test_probe_same_copy);
    tc = t_tcase(s, "policy");
    tcase_add_test(tc, test_parse_ms);
    tcase_add_test(tc, test_backoff);
    tc = t_tcase(s, "keys");
    tcase_add_test(tc, test_keys_defaults);
    tcase_add_test(tc, test_keys_set);
    tcase_add_test(tc, test_keys_errors);
    tcase_add_test(tc, test_envfile_keys);
    tcase_add_test(tc, test_same);
    return t_run(s);
}
