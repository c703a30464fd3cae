/* test_events.c - [eventlistener:x] of the real tend, with listeners written
 * against supervisord's own library (supervisor.childutils from Debian's
 * supervisor package) that append what they receive to a file: each state
 * event and its payload, umbrella subscriptions, TICK_5, FAIL re-delivery,
 * buffer overflow, a two-listener pool, a listener dying while busy,
 * protocol violations, reload adding and removing listeners, and the
 * "shut the container down when a program goes FATAL" listener (SIGTERM to
 * the pidfile's pid, and supervisor.shutdown over XML-RPC).
 */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PYTHON "/usr/bin/python3"   /* Debian's: it has the supervisor package */

static struct th *T;

static void teardown(void)
{
    th_free(T);
    T = NULL;
}

/* The listener: one line per event, "PID EVENTNAME serial:N pool:P
 * poolserial:N server:S len:N|PAYLOAD" (newlines in the payload as \n).
 * Modes: ok, fail1 (FAIL the first event of each run... once), die1 (exit
 * without an answer on the first event, once), slow (0.2 s per event),
 * garbage (write junk after the first event), hang (never answer an event
 * about x: BUSY until killed), fatal_kill (SIGTERM to the
 * pidfile's pid on PROCESS_STATE_FATAL), fatal_rpc (supervisor.shutdown). */
static const char listener_py[] =
    "import os, sys, signal, time\n"
    "from supervisor import childutils\n"
    "out, mode = sys.argv[1], sys.argv[2]\n"
    "def once(tag):\n"
    "    f = out + '.' + tag\n"
    "    if os.path.exists(f):\n"
    "        return False\n"
    "    open(f, 'w').close()\n"
    "    return True\n"
    "while True:\n"
    "    h, p = childutils.listener.wait(sys.stdin, sys.stdout)\n"
    "    with open(out, 'a') as f:\n"
    "        f.write('%d %s serial:%s pool:%s poolserial:%s server:%s len:%s|%s\\n' % (\n"
    "            os.getpid(), h['eventname'], h['serial'], h['pool'], h['poolserial'],\n"
    "            h['server'], h['len'], p.replace('\\n', '\\\\n')))\n"
    "    if mode == 'fail1' and once('failed'):\n"
    "        childutils.listener.fail(sys.stdout)\n"
    "        continue\n"
    "    if mode == 'die1' and once('died'):\n"
    "        os._exit(3)\n"
    "    if mode == 'hang' and 'processname:x ' in p:\n"
    "        time.sleep(1000)\n"
    "    if mode == 'slow':\n"
    "        time.sleep(0.2)\n"
    "    if mode == 'garbage':\n"
    "        sys.stdout.write('hello there\\n')\n"
    "        sys.stdout.flush()\n"
    "    if h['eventname'] == 'PROCESS_STATE_FATAL':\n"
    "        if mode == 'fatal_kill':\n"
    "            pid = int(open(sys.argv[3]).read().strip())\n"
    "            os.kill(pid, signal.SIGTERM)\n"
    "        elif mode == 'fatal_rpc':\n"
    "            childutils.getRPCInterface(os.environ).supervisor.shutdown()\n"
    "    childutils.listener.ok(sys.stdout)\n";

/* A fresh folder with DIR/l.py, then tend with BODY (printf-formatted). */
static struct th *start_opts(const struct th_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static struct th *start_opts(const struct th_opts *o, const char *fmt, ...)
{
    char body[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    T = th_new(o, "%s", body);
    ck_assert_int_eq(th_write_file(th_path(T, "l.py"), false, "%s", listener_py), 0);
    ck_assert_int_eq(th_spawn(T, o), 0);
    return T;
}
#define start(...) start_opts(NULL, __VA_ARGS__)

/* A listener section: NAME, MODE, EVENTS, and more keys. */
#define LISTENER(name, mode, events, more) \
    "[eventlistener:" name "]\ncommand = " PYTHON " @DIR@/l.py @DIR@/" name ".out " mode \
    " @DIR@/tend.pid\nevents = " events "\nstartsecs = 0\n" more

static void wait_in(const char *file, const char *what, int ms)
{
    if (th_wait_file(th_path(T, file), what, ms) < 0) {
        char *s = th_slurp(th_path(T, file), NULL);
        fprintf(stderr, "%s:\n%s\n", file, s ? s : "(missing)");
        free(s);
        th_dump(T, what);
        ck_abort_msg("%s never got '%s'", file, what);
    }
}

/* The payload of the event with NAME in the record, or NULL. */
static bool has_line(const char *file, const char *event, const char *payload)
{
    char *s = th_slurp(th_path(T, file), NULL);
    bool found = false;
    for (char *line = s ? strtok(s, "\n") : NULL; line && !found; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' '), *bar = strchr(line, '|');
        if (!sp || !bar)
            continue;
        size_t el = strlen(event);
        found = !strncmp(sp + 1, event, el) && sp[1 + el] == ' ' && !strcmp(bar + 1, payload);
    }
    free(s);
    return found;
}

static void expect(const char *file, const char *event, const char *payload)
{
    if (!has_line(file, event, payload)) {
        char *s = th_slurp(th_path(T, file), NULL);
        fprintf(stderr, "%s:\n%s\n", file, s ? s : "(missing)");
        free(s);
        ck_abort_msg("%s: no %s with payload '%s'", file, event, payload);
    }
}

static int count_lines(const char *file, const char *needle)
{
    return th_count_in_file(th_path(T, file), needle);
}

/* ---- state events ---- */

START_TEST(test_state_events)
{
    start("pidfile = @DIR@/tend.pid\n"   /* a slow python must not lose events */
          LISTENER("l", "ok", "PROCESS_STATE", "buffer_size = 100\n")
          "[program:x]\ncommand = /bin/sh -c 'sleep 0.2; exit 3'\nstartsecs = 0\n"
          "autorestart = false\n"
          "[program:bad]\ncommand = /bin/sh -c 'exit 1'\nstartsecs = 1\nstartretries = 1\n"
          "[program:s]\ncommand = sleep 100\nstartsecs = 0\n");
    wait_in("l.out", "PROCESS_STATE_FATAL", 15000);
    wait_in("l.out", "processname:x groupname:x from_state:RUNNING expected:0", 10000);
    ck_assert_int_eq(th_wait_state(T, "s", "RUNNING", 5000), 0);
    pid_t s = th_pid(T, "s");
    ck_assert_int_eq(th_ctl(T, NULL, 0, "stop s"), 0);
    wait_in("l.out", "PROCESS_STATE_STOPPED", 10000);

    expect("l.out", "PROCESS_STATE_STARTING", "processname:bad groupname:bad from_state:STOPPED tries:0");
    expect("l.out", "PROCESS_STATE_BACKOFF", "processname:bad groupname:bad from_state:STARTING tries:1");
    expect("l.out", "PROCESS_STATE_STARTING", "processname:bad groupname:bad from_state:BACKOFF tries:1");
    expect("l.out", "PROCESS_STATE_BACKOFF", "processname:bad groupname:bad from_state:STARTING tries:2");
    expect("l.out", "PROCESS_STATE_FATAL", "processname:bad groupname:bad from_state:BACKOFF");
    expect("l.out", "PROCESS_STATE_RUNNING",
           th_fmt("processname:s groupname:s from_state:STARTING pid:%d", (int)s));
    expect("l.out", "PROCESS_STATE_STOPPING",
           th_fmt("processname:s groupname:s from_state:RUNNING pid:%d", (int)s));
    expect("l.out", "PROCESS_STATE_STOPPED",
           th_fmt("processname:s groupname:s from_state:STOPPING pid:%d", (int)s));
    /* x's pid: the RUNNING line's is the EXITED line's */
    char *all = th_slurp(th_path(T, "l.out"), NULL);
    char *r = strstr(all, "processname:x groupname:x from_state:STARTING pid:");
    ck_assert_ptr_nonnull(r);
    int xpid = atoi(r + strlen("processname:x groupname:x from_state:STARTING pid:"));
    free(all);
    ck_assert_int_gt(xpid, 0);
    expect("l.out", "PROCESS_STATE_EXITED",
           th_fmt("processname:x groupname:x from_state:RUNNING expected:0 pid:%d", xpid));
    /* the envelope: supervisord's server name, len counting the payload */
    ck_assert_int_ge(count_lines("l.out", "server:supervisor len:"), 10);
    /* only what it subscribed to */
    ck_assert_int_eq(count_lines("l.out", "PROCESS_GROUP"), 0);
    ck_assert_int_eq(count_lines("l.out", "SUPERVISOR_STATE"), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* Every serial once, in order, shared with the pool serial. */
START_TEST(test_umbrella_and_serials)
{
    /* buffers larger than what can happen before a slow python is READY:
     * the default 10 would drop the first events on a loaded machine */
    start("identifier = box1\n"
          LISTENER("l", "ok", "EVENT", "buffer_size = 100\n")
          LISTENER("g", "ok", "PROCESS_GROUP,SUPERVISOR_STATE_CHANGE", "buffer_size = 100\n")
          /* x stops only once g heard that tend stops: no race with g's own stop */
          "[program:x]\ncommand = /bin/sh -c 'trap \"until grep -q STOPPING @DIR@/g.out; do "
          "sleep 0.01; done; exit 0\" TERM; sleep 100 & wait'\nstartsecs = 0\n"
          "stopasgroup = true\n");
    wait_in("l.out", "PROCESS_STATE_RUNNING serial", 10000);
    wait_in("g.out", "SUPERVISOR_STATE_CHANGE_RUNNING", 10000);
    expect("l.out", "PROCESS_GROUP_ADDED", "groupname:x\\n");
    expect("l.out", "PROCESS_GROUP_ADDED", "groupname:l\\n");
    expect("l.out", "SUPERVISOR_STATE_CHANGE_RUNNING", "");
    expect("g.out", "PROCESS_GROUP_ADDED", "groupname:g\\n");
    ck_assert_int_eq(count_lines("g.out", "PROCESS_STATE"), 0);
    /* supervisord's order: the groups, then RUNNING, serials from 0 */
    ck_assert_int_eq(count_lines("l.out", "PROCESS_GROUP_ADDED serial:0 pool:l poolserial:0 "
                                          "server:box1 len:12|groupname:g\\n"), 1);
    ck_assert_int_eq(count_lines("l.out", "SUPERVISOR_STATE_CHANGE_RUNNING serial:3 pool:l "
                                          "poolserial:3 server:box1 len:0|"), 1);
    ck_assert_int_eq(count_lines("g.out", "SUPERVISOR_STATE_CHANGE_RUNNING serial:3 pool:g "
                                          "poolserial:3 "), 1);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
    /* listeners stop last: they hear that tend stops */
    ck_assert_int_eq(count_lines("g.out", "SUPERVISOR_STATE_CHANGE_STOPPING serial:"), 1);
    char *s = th_slurp(th_path(T, "l.out"), NULL);
    int serial = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"), serial++) {
        char want[64];
        snprintf(want, sizeof want, " serial:%d pool:l poolserial:%d ", serial, serial);
        ck_assert_msg(strstr(line, want), "line %d: %s", serial, line);
    }
    free(s);
    ck_assert_int_ge(serial, 8);
}
END_TEST

START_TEST(test_tick)
{
    start(LISTENER("l", "ok", "TICK_5", ""));
    wait_in("l.out", "TICK_5", 8000);
    char *s = th_slurp(th_path(T, "l.out"), NULL);
    char *w = strstr(s, "|when:");
    ck_assert_ptr_nonnull(w);
    long long when = atoll(w + 6);
    free(s);
    ck_assert_int_eq(when % 5, 0);
    long long now = (long long)time(NULL) + 1; /* time() is coarse: it may lag a tick */
    ck_assert_msg(when <= now && when > now - 10, "when %lld now %lld", when, now);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* ---- the protocol ---- */

START_TEST(test_fail_redelivered)
{
    start(LISTENER("l", "fail1", "SUPERVISOR_STATE_CHANGE_RUNNING,PROCESS_GROUP_ADDED", ""));
    wait_in("l.out", "SUPERVISOR_STATE_CHANGE_RUNNING", 10000);
    /* the first event, rejected, came again, and the next after it */
    ck_assert_int_eq(count_lines("l.out", "PROCESS_GROUP_ADDED serial:0 pool:l poolserial:0 "), 2);
    ck_assert_int_eq(count_lines("l.out", "SUPERVISOR_STATE_CHANGE_RUNNING serial:1 "), 1);
    ck_assert_int_eq(th_count_in_file(T->errlog, "l: event was rejected"), 1);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_buffer_overflow)
{
    start(LISTENER("l", "ok", "PROCESS_GROUP_ADDED", "buffer_size = 2\n")
          "[program:a]\ncommand = sleep 100\nautostart = false\n"
          "[program:b]\ncommand = sleep 100\nautostart = false\n"
          "[program:c]\ncommand = sleep 100\nautostart = false\n"
          "[program:d]\ncommand = sleep 100\nautostart = false\n");
    /* five groups before the listener runs: the oldest three are dropped */
    wait_in("l.out", "groupname:d", 10000);
    ck_assert_int_eq(count_lines("l.out", "PROCESS_GROUP_ADDED"), 2);
    ck_assert_int_eq(count_lines("l.out", "serial:3 pool:l poolserial:3 "), 1);
    ck_assert_int_eq(count_lines("l.out", "serial:4 pool:l poolserial:4 "), 1);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(th_count_in_file(T->errlog, th_fmt("pool l event buffer overflowed, "
                                                            "discarding event %d\n", i)), 1);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_pool_of_two)
{
    start(LISTENER("l", "slow", "PROCESS_GROUP_ADDED",
                   "numprocs = 2\nprocess_name = %%(program_name)s_%%(process_num)d\n")
          "[program:a]\ncommand = sleep 100\nautostart = false\n"
          "[program:b]\ncommand = sleep 100\nautostart = false\n"
          "[program:c]\ncommand = sleep 100\nautostart = false\n"
          "[program:d]\ncommand = sleep 100\nautostart = false\n"
          "[program:e]\ncommand = sleep 100\nautostart = false\n");
    wait_in("l.out", "serial:5 ", 10000);
    for (int i = 0; i < 6; i++)
        wait_in("l.out", th_fmt(" serial:%d ", i), 5000);
    /* one event to one listener, both of the pool used */
    ck_assert_int_eq(count_lines("l.out", "PROCESS_GROUP_ADDED"), 6);
    pid_t a = th_pid(T, "l:l_0"), b = th_pid(T, "l:l_1");
    ck_assert_int_gt(a, 0);
    ck_assert_int_gt(b, 0);
    ck_assert_int_ge(count_lines("l.out", th_fmt("%d PROCESS", (int)a)), 1);
    ck_assert_int_ge(count_lines("l.out", th_fmt("%d PROCESS", (int)b)), 1);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_listener_dies_busy)
{
    start(LISTENER("l", "die1", "SUPERVISOR_STATE_CHANGE_RUNNING", ""));
    /* the first run took the event and died; the next run gets it again */
    ck_assert_int_eq(th_wait_restarts(T, "l", 1, 10000), 0);
    uint64_t deadline = th_now_ms() + 10000;
    while (count_lines("l.out", "SUPERVISOR_STATE_CHANGE_RUNNING serial:0 ") < 2 &&
           th_now_ms() < deadline)
        th_nap(20);
    ck_assert_int_eq(count_lines("l.out", "SUPERVISOR_STATE_CHANGE_RUNNING serial:0 "), 2);
    pid_t now = th_pid(T, "l");
    ck_assert_int_eq(count_lines("l.out", th_fmt("%d SUPERVISOR", (int)now)), 1);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_protocol_violation)
{
    start(LISTENER("l", "garbage", "PROCESS_STATE_RUNNING", "")
          "[program:a]\ncommand = sleep 100\nstartsecs = 0\nautostart = false\n");
    /* its own RUNNING is its first event; junk follows instead of RESULT */
    ck_assert_int_eq(th_wait_file(T->errlog, "violated the eventlistener protocol", 10000), 0);
    ck_assert_int_eq(th_count_in_file(T->errlog, "l: bad result line: 'hello there'"), 1);
    expect("l.out", "PROCESS_STATE_RUNNING", th_fmt("processname:l groupname:l "
                                                    "from_state:STARTING pid:%d",
                                                    (int)th_pid(T, "l")));
    /* UNKNOWN: no more events for it */
    ck_assert_int_eq(th_ctl(T, NULL, 0, "start a"), 0);
    ck_assert_int_eq(th_stays_state(T, "l", "RUNNING", 300), 0);
    ck_assert_int_eq(count_lines("l.out", "processname:a"), 0);
    ck_assert_int_eq(count_lines("l.out", "PROCESS_STATE_RUNNING"), 1);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* ---- where features meet ---- */

START_TEST(test_fatal_shutdown_sigterm)
{
    start("pidfile = @DIR@/tend.pid\n"
          LISTENER("l", "fatal_kill", "PROCESS_STATE_FATAL", "")
          "[program:web]\ncommand = sleep 100\nstartsecs = 0\n"
          "[program:bad]\ncommand = /bin/sh -c 'exit 1'\nstartsecs = 1\nstartretries = 0\n");
    /* the listener supervisord users write: tend ends, everything stopped */
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
    expect("l.out", "PROCESS_STATE_FATAL", "processname:bad groupname:bad from_state:BACKOFF");
    ck_assert_int_eq(th_count_in_file(T->errlog, "shutting down: SIGTERM"), 1);
    ck_assert_int_eq(th_count_in_file(T->errlog, "web: STOPPING -> STOPPED"), 1);
}
END_TEST

START_TEST(test_fatal_shutdown_rpc)
{
    start("[unix_http_server]\nfile = @DIR@/sup.sock\n"
          LISTENER("l", "fatal_rpc", "PROCESS_STATE_FATAL", "")
          "[program:bad]\ncommand = /bin/sh -c 'exit 1'\nstartsecs = 1\nstartretries = 0\n");
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
    expect("l.out", "PROCESS_STATE_FATAL", "processname:bad groupname:bad from_state:BACKOFF");
}
END_TEST

/* tend -c CONF -- CMD: the main program's exit reaches the listener, and
 * tend still exits with the main program's status. */
START_TEST(test_main_program)
{
    const char *args[] = {"--", "/bin/sh", "-c", "sleep 0.3; exit 7", NULL};
    struct th_opts o = {.args = args};
    start_opts(&o, LISTENER("l", "ok", "PROCESS_STATE_EXITED", "")
               /* stops only once l has the event: no race with l's own stop */
               "[program:x]\ncommand = /bin/sh -c 'trap \"until grep -q EXITED @DIR@/l.out; do "
               "sleep 0.01; done; exit 0\" TERM; sleep 100 & wait'\nstartsecs = 0\n"
               "stopasgroup = true\n");
    ck_assert_int_eq(th_wait_exit(T, 15000), 7);
    char *all = th_slurp(th_path(T, "l.out"), NULL);
    ck_assert_ptr_nonnull(all);
    ck_assert_msg(strstr(all, "|processname:sh groupname:sh from_state:STARTING expected:0 pid:"),
                  "%s", all);
    free(all);
}
END_TEST

/* A reload that changes a listener's events: it restarts with them. */
START_TEST(test_reload_changes_listener)
{
    start(LISTENER("l", "ok", "PROCESS_STATE_RUNNING", "")
          "[program:a]\ncommand = sleep 100\nstartsecs = 0\nautostart = false\n");
    wait_in("l.out", "processname:l ", 10000);
    pid_t old = th_pid(T, "l");
    ck_assert_int_eq(th_config(T, NULL, LISTENER("l", "ok", "PROCESS_STATE_STOPPED", "")
                               "[program:a]\ncommand = sleep 100\nstartsecs = 0\n"
                               "autostart = false\n"), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "reload"), 0);
    ck_assert_int_eq(th_wait_gone(old, 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "l", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "start a"), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "stop a"), 0);
    wait_in("l.out", "processname:a groupname:a from_state:STOPPING", 10000);
    ck_assert_int_eq(count_lines("l.out", "PROCESS_STATE_RUNNING"), 1);  /* its own, before */
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_reload)
{
    start("[program:x]\ncommand = sleep 100\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(T, "x", "RUNNING", 5000), 0);
    /* added: it hears of the groups that come after it */
    ck_assert_int_eq(th_config(T, NULL,
                               LISTENER("l", "ok", "PROCESS_GROUP,PROCESS_STATE_RUNNING", "")
                               "[program:x]\ncommand = sleep 100\nstartsecs = 0\n"
                               "[program:y]\ncommand = sleep 100\nstartsecs = 0\n"), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "reload"), 0);
    wait_in("l.out", "processname:y", 10000);
    expect("l.out", "PROCESS_GROUP_ADDED", "groupname:l\\n");
    expect("l.out", "PROCESS_GROUP_ADDED", "groupname:y\\n");
    ck_assert_int_eq(count_lines("l.out", "groupname:x\\n"), 0);
    /* y removed */
    ck_assert_int_eq(th_config(T, NULL,
                               LISTENER("l", "ok", "PROCESS_GROUP,PROCESS_STATE_RUNNING", "")
                               "[program:x]\ncommand = sleep 100\nstartsecs = 0\n"), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "reload"), 0);
    wait_in("l.out", "PROCESS_GROUP_REMOVED", 10000);
    expect("l.out", "PROCESS_GROUP_REMOVED", "groupname:y\\n");
    /* the listener removed: stopped and gone, tend goes on */
    pid_t lp = th_pid(T, "l");
    ck_assert_int_gt(lp, 0);
    ck_assert_int_eq(th_config(T, NULL, "[program:x]\ncommand = sleep 100\nstartsecs = 0\n"), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "reload"), 0);
    ck_assert_int_eq(th_wait_gone(lp, 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "x", "RUNNING", 1000), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* Raw capture into a file, and a formatted one (read in bulk): both tapped. */
static const char *const log_keys[] = { "", "log_timestamp = iso8601\n" };

START_TEST(test_process_log)
{
    start(LISTENER("l", "ok", "PROCESS_LOG", "")
          "[program:p]\ncommand = /bin/sh -c 'echo hello; echo oops >&2; exec sleep 100'\n"
          "startsecs = 0\nstdout_logfile = @DIR@/p.log\nstdout_events_enabled = true\n"
          "stderr_events_enabled = true\n%s"
          "[program:q]\ncommand = /bin/sh -c 'echo quiet; exec sleep 100'\nstartsecs = 0\n"
          "stdout_logfile = @DIR@/q.log\n"
          "[program:n]\ncommand = /bin/sh -c 'echo into the void; exec sleep 100'\n"
          "startsecs = 0\nstdout_logfile = NONE\nstdout_events_enabled = true\n", log_keys[_i]);
    wait_in("l.out", "PROCESS_LOG_STDERR", 10000);
    wait_in("l.out", "PROCESS_LOG_STDOUT", 10000);
    pid_t p = th_pid(T, "p");
    expect("l.out", "PROCESS_LOG_STDOUT",
           th_fmt("processname:p groupname:p pid:%d channel:stdout\\nhello\\n", (int)p));
    expect("l.out", "PROCESS_LOG_STDERR",
           th_fmt("processname:p groupname:p pid:%d channel:stderr\\noops\\n", (int)p));
    /* the output still goes where it goes; q did not enable events */
    ck_assert_int_eq(th_wait_file(th_path(T, "p.log"), "hello\n", 5000), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "q.log"), "quiet\n", 5000), 0);
    ck_assert_int_eq(count_lines("l.out", "processname:q"), 0);
    /* NONE is read for the events, then dropped */
    wait_in("l.out", "channel:stdout\\ninto the void\\n", 5000);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* supervisord's capture mode: between the tokens, an event instead of the
 * log; tokens split across writes; no capture without *_capture_maxbytes. */
START_TEST(test_process_communication)
{
    start(LISTENER("l", "ok", "PROCESS_COMMUNICATION,PROCESS_LOG_STDOUT", "")
          "[program:p]\ncommand = /bin/sh -c 'printf \"before <!--XSUPERVISOR:BEGIN-->hello\\n"
          "captured<!--XSUPERVISOR:END--> after\\n\"; printf \"<!--XSUPER\" >&2; sleep 0.1; "
          "printf \"VISOR:BEGIN-->x<!--XSUPERVISOR:END-->done\\n\" >&2; exec sleep 100'\n"
          "startsecs = 0\nstdout_logfile = @DIR@/p.log\nstderr_logfile = @DIR@/p.err\n"
          "stdout_capture_maxbytes = 1KB\nstderr_capture_maxbytes = 1KB\n"
          "stdout_events_enabled = true\n"
          "[program:q]\ncommand = /bin/sh -c 'printf \"<!--XSUPERVISOR:BEGIN-->raw"
          "<!--XSUPERVISOR:END-->\\n\"; exec sleep 100'\nstartsecs = 0\n"
          "stdout_logfile = @DIR@/q.log\n");
    wait_in("l.out", "PROCESS_COMMUNICATION_STDOUT", 10000);
    wait_in("l.out", "PROCESS_COMMUNICATION_STDERR", 10000);
    pid_t p = th_pid(T, "p");
    expect("l.out", "PROCESS_COMMUNICATION_STDOUT",
           th_fmt("processname:p groupname:p pid:%d\\nhello\\ncaptured", (int)p));
    expect("l.out", "PROCESS_COMMUNICATION_STDERR",
           th_fmt("processname:p groupname:p pid:%d\\nx", (int)p));
    /* the log gets what is outside the tokens, PROCESS_LOG what supervisord
     * logs or captures, never a token */
    ck_assert_int_eq(th_wait_file(th_path(T, "p.log"), "before  after\n", 5000), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "p.err"), "done\n", 5000), 0);
    wait_in("l.out", " after\\n", 5000);
    char *log = th_slurp(th_path(T, "p.log"), NULL), *err = th_slurp(th_path(T, "p.err"), NULL);
    ck_assert_str_eq(log, "before  after\n");
    ck_assert_str_eq(err, "done\n");
    free(log);
    free(err);
    ck_assert_int_eq(count_lines("l.out", "XSUPERVISOR"), 0);
    ck_assert_int_eq(count_lines("l.out", "PROCESS_COMMUNICATION"), 2);
    /* q has no capture_maxbytes: the tokens are plain output */
    ck_assert_int_eq(th_wait_file(th_path(T, "q.log"),
                                  "<!--XSUPERVISOR:BEGIN-->raw<!--XSUPERVISOR:END-->\n", 5000), 0);
    ck_assert_int_eq(count_lines("l.out", "processname:q"), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* A reload that turns capture mode on restarts the program with it; one
 * that removes the program ends its events. */
START_TEST(test_reload_capture)
{
#define REPORTER "[program:p]\ncommand = /bin/sh -c 'printf \"<!--XSUPERVISOR:BEGIN-->%s" \
                 "<!--XSUPERVISOR:END-->\\n\"; exec sleep 100'\nstartsecs = 0\n" \
                 "stdout_logfile = @DIR@/p%s.log\n"
    start(LISTENER("l", "ok", "PROCESS_COMMUNICATION", "") REPORTER, "one", "1");
    ck_assert_int_eq(th_wait_file(th_path(T, "p1.log"), "<!--XSUPERVISOR:BEGIN-->one", 10000),
                     0);
    pid_t old = th_pid(T, "p");
    ck_assert_int_eq(th_config(T, NULL, LISTENER("l", "ok", "PROCESS_COMMUNICATION", "")
                               REPORTER "stdout_capture_maxbytes = 1KB\n", "two", "2"), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "reload"), 0);
    ck_assert_int_eq(th_wait_gone(old, 10000), 0);
    wait_in("l.out", "PROCESS_COMMUNICATION_STDOUT", 10000);
    expect("l.out", "PROCESS_COMMUNICATION_STDOUT",
           th_fmt("processname:p groupname:p pid:%d\\ntwo", (int)th_pid(T, "p")));
    ck_assert_int_eq(th_wait_file(th_path(T, "p2.log"), "\n", 5000), 0);
    char *log = th_slurp(th_path(T, "p2.log"), NULL);
    ck_assert_str_eq(log, "\n");
    free(log);
    ck_assert_int_eq(count_lines("l.out", "one"), 0);
    ck_assert_int_eq(th_config(T, NULL, LISTENER("l", "ok", "PROCESS_COMMUNICATION", "")), 0);
    pid_t p = th_pid(T, "p");
    ck_assert_int_eq(th_ctl(T, NULL, 0, "reload"), 0);
    ck_assert_int_eq(th_wait_gone(p, 10000), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
    ck_assert_int_eq(count_lines("l.out", "PROCESS_COMMUNICATION_STDOUT"), 1);
#undef REPORTER
}
END_TEST

/* Output that is not UTF-8: supervisord's "Undecodable: b'...'", with len
 * counting it (the listener reads exactly len characters); UTF-8 text is
 * counted in characters. */
START_TEST(test_undecodable)
{
    /* one program each: their outputs never share a chunk */
    start(LISTENER("l", "ok", "PROCESS_LOG_STDOUT,PROCESS_COMMUNICATION_STDOUT", "")
          "[program:u]\ncommand = /bin/sh -c 'printf \"caf\\351\\n\"; exec sleep 100'\n"
          "startsecs = 0\nstdout_logfile = NONE\nstdout_events_enabled = true\n"
          "[program:v]\ncommand = /bin/sh -c 'printf \"caf\\303\\251\\n\"; exec sleep 100'\n"
          "startsecs = 0\nstdout_logfile = NONE\nstdout_events_enabled = true\n"
          "[program:w]\ncommand = /bin/sh -c 'printf \"<!--XSUPERVISOR:BEGIN-->\\377\\047"
          "<!--XSUPERVISOR:END-->\"; exec sleep 100'\n"
          "startsecs = 0\nstdout_logfile = NONE\nstdout_capture_maxbytes = 100\n");
    wait_in("l.out", "processname:u", 10000);
    wait_in("l.out", "processname:v", 10000);
    wait_in("l.out", "processname:w", 10000);
    expect("l.out", "PROCESS_LOG_STDOUT",
           th_fmt("processname:u groupname:u pid:%d channel:stdout\\nUndecodable: b'caf\\xe9\\n'",
                  (int)th_pid(T, "u")));
    expect("l.out", "PROCESS_LOG_STDOUT",
           th_fmt("processname:v groupname:v pid:%d channel:stdout\\ncaf\xc3\xa9\\n",
                  (int)th_pid(T, "v")));
    expect("l.out", "PROCESS_COMMUNICATION_STDOUT",
           th_fmt("processname:w groupname:w pid:%d\\nUndecodable: b\"\\xff'\"",
                  (int)th_pid(T, "w")));
    /* len: characters, as the listener read them */
    const char *vl = th_fmt("len:%zu|processname:v", strlen(th_fmt(
        "processname:v groupname:v pid:%d channel:stdout\ncaf.\n", (int)th_pid(T, "v"))));
    ck_assert_int_eq(count_lines("l.out", vl), 1);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* A listener's stdout goes to its stdout_logfile too (supervisord's
 * childlog of a PEventListenerDispatcher): the protocol as written. */
START_TEST(test_listener_stdout_logged)
{
    start(LISTENER("l", "ok", "PROCESS_GROUP_ADDED", "stdout_logfile = @DIR@/l.stdout\n")
          LISTENER("m", "ok", "PROCESS_GROUP_ADDED", ""));
    wait_in("l.out", "groupname:m", 10000);
    wait_in("m.out", "groupname:m", 10000);
    ck_assert_int_eq(th_wait_file(th_path(T, "l.stdout"),
                                  "READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n", 10000), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* Two FIFO clients wait on the start of the same program while a listener
 * hears of it: both answered, the program started once, each event once. */
START_TEST(test_two_clients_one_program)
{
    start("loglevel = debug\n"       /* "control: VERB": tend took the request */
          LISTENER("l", "ok", "PROCESS_STATE", "buffer_size = 100\n")
          "[program:x]\ncommand = sleep 100\nstartsecs = 1\nautostart = false\n");
    ck_assert_int_eq(th_wait_state(T, "l", "RUNNING", 10000), 0);
    int before = th_count_in_file(T->errlog, "control: start ");
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        const char *argv[] = {th_tendctl_bin(), "-s", T->control, "start", "x", NULL};
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    uint64_t deadline = th_now_ms() + 10000;
    while (th_count_in_file(T->errlog, "control: start ") < before + 1) {
        ck_assert_msg(th_now_ms() < deadline, "tend never took the first start");
        th_nap(5);
    }
    char out[4096];
    int rc = th_ctl(T, out, sizeof out, "start x");
    int st;
    ck_assert_int_eq(waitpid(w, &st, 0), w);
    ck_assert(WIFEXITED(st));
    /* one of them started it, the other was told it is started (or already) */
    ck_assert_msg(WEXITSTATUS(st) == 0 || rc == 0, "first %d second %d: %s", WEXITSTATUS(st),
                  rc, out);
    ck_assert_int_eq(th_wait_state(T, "x", "RUNNING", 100), 0);
    pid_t x = th_pid(T, "x");
    wait_in("l.out", th_fmt("processname:x groupname:x from_state:STARTING pid:%d", (int)x), 10000);
    /* a restart with a waiter on STOPPED: both answered, events in order */
    before = th_count_in_file(T->errlog, "control: wait ");
    w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        const char *argv[] = {th_tendctl_bin(), "-s", T->control, "-t", "20", "wait", "x",
                              "STOPPED", NULL};
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    deadline = th_now_ms() + 10000;
    while (th_count_in_file(T->errlog, "control: wait ") < before + 1) {
        ck_assert_msg(th_now_ms() < deadline, "tend never took the wait");
        th_nap(5);
    }
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "restart x"), 0);
    ck_assert_int_eq(waitpid(w, &st, 0), w);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    pid_t x2 = th_pid(T, "x");
    ck_assert_int_ne(x2, x);
    wait_in("l.out", th_fmt("processname:x groupname:x from_state:STARTING pid:%d", (int)x2),
            10000);
    ck_assert_int_eq(count_lines("l.out", "PROCESS_STATE_STARTING serial"), 3); /* l, x, x */
    ck_assert_int_eq(count_lines("l.out", "|processname:x groupname:x from_state:STOPPED tries:0"), 2);
    expect("l.out", "PROCESS_STATE_STOPPED",
           th_fmt("processname:x groupname:x from_state:STOPPING pid:%d", (int)x));
    ck_assert_int_eq(count_lines("l.out", "PROCESS_STATE_RUNNING"), 3);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* SIGTERM while the listener is BUSY (it never answers): programs stop,
 * then the listener, and tend exits 0 with the unsent events dropped. */
START_TEST(test_shutdown_listener_busy)
{
    start(LISTENER("l", "hang", "PROCESS_STATE_RUNNING,SUPERVISOR_STATE_CHANGE_STOPPING",
                   "stopwaitsecs = 5\n")
          "[program:x]\ncommand = sleep 100\nstartsecs = 0\n"
          "[program:y]\ncommand = sleep 100\nstartsecs = 0\n");
    wait_in("l.out", "processname:x ", 10000);
    ck_assert_int_eq(th_wait_state(T, "y", "RUNNING", 10000), 0);
    pid_t l = th_pid(T, "l");
    uint64_t t0 = th_now_ms();
    ck_assert_int_eq(th_stop(T, SIGTERM, 15000), 0);
    ck_assert_uint_lt(th_now_ms() - t0, 4500);      /* the listener needed no SIGKILL */
    ck_assert_int_eq(th_wait_gone(l, 1000), 0);
    /* busy to the end: nothing after x's event reached it */
    ck_assert_int_eq(count_lines("l.out", "SUPERVISOR_STATE_CHANGE_STOPPING"), 0);
    ck_assert_int_eq(th_count_in_file(T->errlog, "x: STOPPING -> STOPPED"), 1);
    ck_assert_int_eq(th_count_in_file(T->errlog, "l: STOPPING -> STOPPED"), 1);
}
END_TEST

/* stdin = pipe across a restart: the new run gets a new pipe; what the old
 * run never read is dropped, not fed to the new one. */
START_TEST(test_stdin_pipe_restart)
{
    start("[unix_http_server]\nfile = @DIR@/sup.sock\n"
          "[program:r]\ncommand = /bin/sh -c 'if [ -e @DIR@/go ]; then exec cat > @DIR@/got; "
          "fi; exec sleep 100'\nstdin = pipe\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(T, "r", "RUNNING", 5000), 0);
    const char *rpc = th_fmt(
        "import sys, xmlrpc.client\n"
        "from supervisor.xmlrpc import SupervisorTransport\n"
        "tr = SupervisorTransport(None, None, 'unix://%s')\n"
        "s = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=tr)\n"
        "print(s.supervisor.sendProcessStdin('r', sys.argv[1] * int(sys.argv[2])))\n",
        th_path(T, "sup.sock"));
    /* 200 KB the first run never reads: more than a pipe holds, so tend queues */
    const char *a1[] = {PYTHON, "-c", rpc, "old\n", "50000", NULL};
    char out[4096];
    ck_assert_int_eq(th_run(a1, out, sizeof out, 30000), 0);
    ck_assert_msg(strstr(out, "True"), "%s", out);
    ck_assert_int_eq(th_write_file(th_path(T, "go"), false, "go\n"), 0);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "restart r"), 0);
    const char *a2[] = {PYTHON, "-c", rpc, "fresh\n", "1", NULL};
    ck_assert_int_eq(th_run(a2, out, sizeof out, 30000), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "got"), "fresh\n", 5000), 0);
    char *got = th_slurp(th_path(T, "got"), NULL);
    ck_assert_msg(got && !strcmp(got, "fresh\n"), "the new run got %zu bytes, not 'fresh\\n'",
                  got ? strlen(got) : 0);
    free(got);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* A listener in [group:x] programs = is refused, as by supervisord: at
 * --check (exit 2) and at reload (refused, nothing lost). */
START_TEST(test_listener_in_group_refused)
{
    start(LISTENER("l", "ok", "PROCESS_STATE_RUNNING", "")
          "[program:p]\ncommand = sleep 100\nstartsecs = 0\n");
    ck_assert_int_eq(th_wait_state(T, "p", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "l", "RUNNING", 10000), 0);
    pid_t p = th_pid(T, "p"), l = th_pid(T, "l");
    ck_assert_int_eq(th_config(T, NULL, LISTENER("l", "ok", "PROCESS_STATE_RUNNING", "")
                               "[program:p]\ncommand = sleep 100\nstartsecs = 0\n"
                               "[group:g]\nprograms = p, l\n"), 0);
    const char *argv[] = {th_tend_bin(), "--check", "-c", T->conf, NULL};
    char out[4096];
    ck_assert_int_eq(th_run(argv, out, sizeof out, 10000), 2);
    ck_assert_msg(strstr(out, "tend.ini:11: error: [group:g] lists 'l', which is an "
                              "[eventlistener:l]"), "%s", out);
    ck_assert_int_eq(th_ctl(T, out, sizeof out, "reload"), 1);
    ck_assert_msg(strstr(out, "[group:g] lists 'l'"), "%s", out);
    ck_assert_int_eq(th_wait_state(T, "p", "RUNNING", 100), 0);
    ck_assert_int_eq(th_pid(T, "p"), p);
    ck_assert_int_eq(th_pid(T, "l"), l);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* stdin = pipe with sendProcessStdin, and sendRemoteCommEvent, through
 * Python's xmlrpc.client and supervisor's transport. */
START_TEST(test_rpc_stdin_and_remote_event)
{
    start("[unix_http_server]\nfile = @DIR@/sup.sock\n"
          LISTENER("l", "ok", "REMOTE_COMMUNICATION", "")
          "[program:reader]\ncommand = /bin/sh -c 'while read l; do echo \"got $l\" >> "
          "@DIR@/reader.out; done'\nstdin = pipe\nstartsecs = 0\n"
          "[program:sleeper]\ncommand = sleep 100\nstartsecs = 0\n"
          "[program:off]\ncommand = sleep 100\nautostart = false\nstdin = pipe\n");
    ck_assert_int_eq(th_wait_state(T, "reader", "RUNNING", 5000), 0);
    ck_assert_int_eq(th_wait_state(T, "l", "RUNNING", 5000), 0);
    ck_assert_int_eq(th_wait_state(T, "sleeper", "RUNNING", 5000), 0);
    const char *prog = th_fmt(
        "import xmlrpc.client\n"
        "from supervisor.xmlrpc import SupervisorTransport\n"
        "tr = SupervisorTransport(None, None, 'unix://%s')\n"
        "s = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=tr)\n"
        "def fault(f, *a):\n"
        "    try:\n"
        "        return 'ok %%r' %% (f(*a),)\n"
        "    except xmlrpc.client.Fault as e:\n"
        "        return 'fault %%d %%s' %% (e.faultCode, e.faultString)\n"
        "print('A', fault(s.supervisor.sendProcessStdin, 'reader', 'hello\\n'))\n"
        "print('B', fault(s.supervisor.sendProcessStdin, 'reader:reader', 'again\\n'))\n"
        "print('G', fault(s.supervisor.sendProcessStdin, 'reader', b'bytes too\\n'))\n"
        "print('C', fault(s.supervisor.sendProcessStdin, 'nope', 'x'))\n"
        "print('D', fault(s.supervisor.sendProcessStdin, 'sleeper', 'x'))\n"
        "print('E', fault(s.supervisor.sendProcessStdin, 'off', 'x'))\n"
        "print('F', fault(s.supervisor.sendRemoteCommEvent, 'mytype', 'some data'))\n",
        th_path(T, "sup.sock"));
    const char *argv[] = {PYTHON, "-c", prog, NULL};
    char out[4096];
    ck_assert_int_eq(th_run(argv, out, sizeof out, 30000), 0);
    ck_assert_msg(strstr(out, "A ok True\n"), "%s", out);
    ck_assert_msg(strstr(out, "B ok True\n"), "%s", out);
    ck_assert_msg(strstr(out, "G ok True\n"), "%s", out);
    ck_assert_msg(strstr(out, "C fault 10 BAD_NAME: nope\n"), "%s", out);
    ck_assert_msg(strstr(out, "D fault 20 NO_FILE: sleeper\n"), "%s", out);
    ck_assert_msg(strstr(out, "E fault 70 NOT_RUNNING: off\n"), "%s", out);
    ck_assert_msg(strstr(out, "F ok True\n"), "%s", out);
    ck_assert_int_eq(th_wait_file(th_path(T, "reader.out"), "got hello\ngot again\ngot bytes too\n", 5000), 0);
    wait_in("l.out", "REMOTE_COMMUNICATION", 5000);
    expect("l.out", "REMOTE_COMMUNICATION", "type:mytype\\nsome data");
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

/* As root, a listener running as another user speaks through the same
 * pipes (tend made them; the user only inherits them). */
START_TEST(test_listener_as_nobody)
{
    if (geteuid() != 0)
        return;
    T = th_new(NULL, LISTENER("l", "ok", "PROCESS_STATE_RUNNING", "user = nobody\n"));
    ck_assert_int_eq(th_write_file(th_path(T, "l.py"), false, "%s", listener_py), 0);
    ck_assert_int_eq(chmod(T->dir, 0777), 0);
    ck_assert_int_eq(th_spawn(T, NULL), 0);
    wait_in("l.out", "PROCESS_STATE_RUNNING", 10000);
    pid_t l = th_pid(T, "l");
    expect("l.out", "PROCESS_STATE_RUNNING",
           th_fmt("processname:l groupname:l from_state:STARTING pid:%d", (int)l));
    struct stat st;
    ck_assert_int_eq(stat(th_path(T, "l.out"), &st), 0);
    ck_assert_int_ne(st.st_uid, 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_config_errors)
{
    T = th_new(NULL, "[eventlistener:a]\ncommand = cat\n"
                     "[eventlistener:b]\ncommand = cat\nevents = PROCES_STATE\n"
                     "[eventlistener:c]\ncommand = cat\nevents = EVENT\nredirect_stderr = true\n"
                     "[eventlistener:d]\ncommand = cat\nevents = EVENT\nbuffer_size = 0\n");
    const char *argv[] = {th_tend_bin(), "--check", "-c", T->conf, NULL};
    char out[4096];
    ck_assert_int_eq(th_run(argv, out, sizeof out, 10000), 2);
    ck_assert_msg(strstr(out, "tend.ini:3: error: [eventlistener:a] has no events = setting"), "%s", out);
    ck_assert_msg(strstr(out, "tend.ini:7: error: events: unknown event type 'PROCES_STATE'; did "
                              "you mean PROCESS_STATE?"), "%s", out);
    ck_assert_msg(strstr(out, "tend.ini:11: error: redirect_stderr = true is not allowed"), "%s", out);
    ck_assert_msg(strstr(out, "tend.ini:15: error: buffer_size: invalid value '0'"), "%s", out);
}
END_TEST

/* Events of several busy listeners go back to the pool in serial order when
 * the listeners stop together (each at the head reversed them: found by
 * the torture test). Three listeners hold one event each (helpers/evlisten
 * mode 4 never reads); a reload leaves one listener that answers: it gets
 * every event in serial order. */
START_TEST(test_requeue_keeps_order)
{
#define HOLD(mode, n) "[eventlistener:h]\ncommand = %s @DIR@/ev.rec " mode "\nevents = " \
    "PROCESS_STATE\nstartsecs = 0\nnumprocs = " n "\nbuffer_size = 50\n" \
    "process_name = %%(program_name)s_%%(process_num)d\n"
    T = th_start(HOLD("4", "3"), th_helper("evlisten"));
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(th_wait_state(T, th_fmt("h:h_%d", i), "RUNNING", 10000), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "pid"), 0); /* they are all BUSY by now */
    ck_assert_int_eq(th_config(T, NULL, HOLD("0", "1"), th_helper("evlisten")), 0);
    char out[4096];
    ck_assert_msg(th_ctl(T, out, sizeof out, "reload") == 0, "%s", out);
    /* the one left reads the 3 held events and the ones of the reload */
    ck_assert_int_eq(th_wait_file(th_path(T, "ev.rec"), " h 9 ", 10000), 0);
    ck_assert_int_eq(th_ctl(T, NULL, 0, "pid"), 0);
    char *rec = th_slurp(th_path(T, "ev.rec"), NULL);
    ck_assert_ptr_nonnull(rec);
    long last = -1, got = 0;
    for (char *line = strtok(rec, "\n"); line; line = strtok(NULL, "\n")) {
        long serial;
        if (sscanf(line, "R %*d h %ld", &serial) != 1)
            continue;
        ck_assert_msg(serial > last, "event %ld after event %ld", serial, last);
        last = serial;
        got++;
    }
    ck_assert_int_ge(got, 10);
    free(rec);
#undef HOLD
}
END_TEST

static Suite *events_suite(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_state_events);
    tcase_add_test(tc, test_umbrella_and_serials);
    tcase_add_test(tc, test_tick);
    tcase_add_test(tc, test_fail_redelivered);
    tcase_add_test(tc, test_buffer_overflow);
    tcase_add_test(tc, test_pool_of_two);
    tcase_add_test(tc, test_listener_dies_busy);
    tcase_add_test(tc, test_protocol_violation);
    tcase_add_test(tc, test_fatal_shutdown_sigterm);
    tcase_add_test(tc, test_fatal_shutdown_rpc);
    tcase_add_test(tc, test_reload);
    tcase_add_test(tc, test_reload_changes_listener);
    tcase_add_test(tc, test_main_program);
    tcase_add_loop_test(tc, test_process_log, 0, (int)(sizeof log_keys / sizeof *log_keys));
    tcase_add_test(tc, test_process_communication);
    tcase_add_test(tc, test_reload_capture);
    tcase_add_test(tc, test_undecodable);
    tcase_add_test(tc, test_listener_stdout_logged);
    tcase_add_test(tc, test_two_clients_one_program);
    tcase_add_test(tc, test_shutdown_listener_busy);
    tcase_add_test(tc, test_stdin_pipe_restart);
    tcase_add_test(tc, test_listener_in_group_refused);
    tcase_add_test(tc, test_rpc_stdin_and_remote_event);
    tcase_add_test(tc, test_listener_as_nobody);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_requeue_keeps_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(events_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
