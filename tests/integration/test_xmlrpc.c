/* test_xmlrpc.c - supervisord's XML-RPC interface of the real tend, driven
 * by the real supervisorctl (Debian's supervisor package) and by Python's
 * xmlrpc.client (with supervisor's own SupervisorTransport for unix
 * sockets): outputs and exit statuses, faults and their codes, Basic auth,
 * 20 concurrent clients, and hostile clients (garbage, a huge
 * Content-Length, one byte a second) that must not delay anyone else.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define SUPERVISORCTL "/usr/bin/supervisorctl"
#define PYTHON "/usr/bin/python3"   /* Debian's: it has the supervisor package */

static struct th *T;

static void teardown(void)
{
    th_free(T);
    T = NULL;
}

/* [unix_http_server] and [supervisorctl] for the socket DIR/sup.sock;
 * AUTH adds username/password lines to both (or NULL). */
#define SERVER "[unix_http_server]\nfile = @DIR@/sup.sock\n%s" \
               "[supervisorctl]\nserverurl = unix://@DIR@/sup.sock\n%s"

static struct th *up(const char *server_extra, const char *ctl_extra, const char *programs)
{
    T = th_start(SERVER "%s", server_extra, ctl_extra, programs);
    uint64_t deadline = th_now_ms() + 10000;
    struct stat st;
    while (lstat(th_path(T, "sup.sock"), &st) != 0 || !S_ISSOCK(st.st_mode)) {
        if (th_now_ms() > deadline) {
            th_dump(T, "no socket");
            ck_abort_msg("tend made no sup.sock");
        }
        th_nap(5);
    }
    return T;
}

/* supervisorctl -c CONF ARGS... (NULL-terminated); its exit status. */
static int ctl(struct th *t, char *out, size_t outlen, const char *a0, ...)
{
    const char *argv[16] = {SUPERVISORCTL, "-c", t->conf};
    int n = 3;
    va_list ap;
    va_start(ap, a0);
    for (const char *a = a0; a && n < 15; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    char buf[8192];
    int rc = th_run(argv, out ? out : buf, out ? outlen : sizeof buf, 30000);
    return rc;
}

/* Run a Python snippet with `s` bound to a ServerProxy on T's socket. */
static int py(struct th *t, char *out, size_t outlen, const char *code)
{
    const char *prog = th_fmt(
        "import sys, xmlrpc.client\n"
        "from supervisor.xmlrpc import SupervisorTransport\n"
        "def proxy(user=None, pw=None):\n"
        "    tr = SupervisorTransport(user, pw, 'unix://%s')\n"
        "    return xmlrpc.client.ServerProxy('http://127.0.0.1', transport=tr)\n"
        "s = proxy()\n"
        "def fault(f, *a):\n"
        "    try:\n"
        "        f(*a)\n"
        "        return 'no fault'\n"
        "    except xmlrpc.client.Fault as e:\n"
        "        return '%%d %%s' %% (e.faultCode, e.faultString)\n"
        "%s\n", th_path(t, "sup.sock"), code);
    const char *argv[] = {PYTHON, "-c", prog, NULL};
    return th_run(argv, out, outlen, 30000);
}

static void stop_tend(struct th *t)
{
    ck_assert_int_eq(th_stop(t, SIGTERM, 15000), 0);
}

#define SLEEPER "command = sleep 1000\nstartsecs = 0\n"

START_TEST(test_supervisorctl_commands)
{
    char out[8192];
    up("", "",
       "[program:web]\ncommand = /bin/sh -c 'echo hello from web; exec sleep 1000'\n"
       "startsecs = 0\nstdout_logfile = @DIR@/web.log\n"
       "[program:idle]\n" SLEEPER "autostart = false\n"
       "[program:w]\n" SLEEPER "numprocs = 2\nprocess_name = %(program_name)s_%(process_num)d\n");
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "w:w_1", "RUNNING", 10000), 0);

    /* status: supervisorctl's own layout; 3 when one is not running */
    int rc = ctl(T, out, sizeof out, "status", NULL);
    ck_assert_msg(rc == 3, "status rc %d: %s", rc, out);
    ck_assert_msg(strstr(out, "idle                             STOPPED   Not started"), "%s", out);
    ck_assert_msg(strstr(out, "w:w_0                            RUNNING   pid "), "%s", out);
    ck_assert_msg(strstr(out, "web                              RUNNING   pid "), "%s", out);
    rc = ctl(T, out, sizeof out, "status", "web", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "uptime"), "rc %d: %s", rc, out);

    /* start / stop / restart, single, group, all */
    rc = ctl(T, out, sizeof out, "start", "idle", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "idle: started"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "start", "idle", NULL);
    ck_assert_msg(strstr(out, "idle: ERROR (already started)"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "stop", "idle", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "idle: stopped"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "stop", "idle", NULL);
    ck_assert_msg(strstr(out, "idle: ERROR (not running)"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "restart", "w:*", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "w:w_0: stopped") && strstr(out, "w:w_1: started"),
                  "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "start", "nosuch", NULL);
    ck_assert_msg(rc != 0 && strstr(out, "nosuch: ERROR (no such process)"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "stop", "all", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "web: stopped") && strstr(out, "w:w_1: stopped"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "web", "STOPPED", 5000), 0);
    rc = ctl(T, out, sizeof out, "start", "all", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "web: started") && strstr(out, "idle: started"),
                  "rc %d: %s", rc, out);

    /* pid, version, tail */
    rc = ctl(T, out, sizeof out, "pid", NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(atoi(out), T->pid);
    pid_t webpid;
    ck_assert_int_eq(th_status(T, "web", NULL, 0, &webpid, NULL, 0, NULL), 0);
    rc = ctl(T, out, sizeof out, "pid", "web", NULL);
    ck_assert_int_eq(atoi(out), webpid);
    rc = ctl(T, out, sizeof out, "version", NULL);
    ck_assert_msg(rc == 0 && out[0] >= '0' && out[0] <= '9', "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_file(th_path(T, "web.log"), "hello from web", 5000), 0);
    rc = ctl(T, out, sizeof out, "tail", "web", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "hello from web"), "rc %d: %s", rc, out);

    /* avail: getAllConfigInfo */
    rc = ctl(T, out, sizeof out, "avail", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "idle                             in use    manual    999:999"),
                  "rc %d: %s", rc, out);

    /* signal */
    rc = ctl(T, out, sizeof out, "signal", "KILL", "idle", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "idle: signalled"), "rc %d: %s", rc, out);

    /* shutdown: answered, then tend exits 0 and removes its socket */
    rc = ctl(T, out, sizeof out, "shutdown", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "Shut down"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
    struct stat st;
    ck_assert_int_ne(lstat(th_path(T, "sup.sock"), &st), 0);
}
END_TEST

START_TEST(test_start_failures)
{
    char out[8192];
    up("", "",
       "[program:missing]\ncommand = /nonexistent/prog\nautostart = false\n"
       "[program:quick]\ncommand = /bin/true\nautostart = false\nstartretries = 0\n"
       "[program:noexec]\ncommand = /etc/passwd\nautostart = false\n");
    int rc = ctl(T, out, sizeof out, "start", "missing", NULL);
    ck_assert_msg(strstr(out, "missing: ERROR (no such file)"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "start", "quick", NULL);
    ck_assert_msg(strstr(out, "quick: ERROR (spawn error)"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "quick", "FATAL", 5000), 0);
    rc = ctl(T, out, sizeof out, "status", "quick", NULL);
    ck_assert_msg(rc == 3 && strstr(out, "FATAL     Exited too quickly (process log may have details)"),
                  "rc %d: %s", rc, out);
    rc = py(T, out, sizeof out,
            "print(fault(s.supervisor.startProcess, 'missing'))\n"
            "print(fault(s.supervisor.startProcess, 'quick'))\n"
            "print(fault(s.supervisor.startProcess, 'nosuch'))\n"
            "print(fault(s.supervisor.stopProcess, 'missing'))\n"
            "print(fault(s.supervisor.signalProcess, 'missing', 'NOPE'))\n"
            "print(fault(s.supervisor.getProcessInfo, 'nosuch:x'))\n"
            "print(fault(s.supervisor.noSuchMethod))\n"
            "print(fault(s.supervisor.getPID, 1))\n"
            "print(fault(s.supervisor.readProcessStdoutLog, 'missing', 0, 10))\n"
            "print(fault(s.supervisor.startProcess, 'noexec'))\n"
            "print(fault(s.supervisor.startProcess, 42))\n");
    ck_assert_msg(rc == 0, "python: %s", out);
    ck_assert_msg(strstr(out, "20 NO_FILE: can't find command '/nonexistent/prog'\n"), "%s", out);
    ck_assert_msg(strstr(out, "50 SPAWN_ERROR: quick\n"), "%s", out);
    ck_assert_msg(strstr(out, "10 BAD_NAME: nosuch\n"), "%s", out);
    ck_assert_msg(strstr(out, "70 NOT_RUNNING: missing\n"), "%s", out);
    ck_assert_msg(strstr(out, "11 BAD_SIGNAL: NOPE\n"), "%s", out);
    ck_assert_msg(strstr(out, "10 BAD_NAME: nosuch:x\n"), "%s", out);
    ck_assert_msg(strstr(out, "1 UNKNOWN_METHOD\n"), "%s", out);
    ck_assert_msg(strstr(out, "2 INCORRECT_PARAMETERS\n"), "%s", out);
    ck_assert_msg(strstr(out, "20 NO_FILE: None\n"), "%s", out);
    ck_assert_msg(strstr(out, "21 NOT_EXECUTABLE: command at '/etc/passwd' is not executable\n"),
                  "%s", out);
    stop_tend(T);
}
END_TEST

/* getIdentification is [supervisor] identifier, as supervisord's */
START_TEST(test_identifier)
{
    char out[1024];
    T = th_start("identifier = box1\n" SERVER "[program:a]\n" SLEEPER, "", "");
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 10000), 0);
    int rc = py(T, out, sizeof out, "print('ident', s.supervisor.getIdentification())\n");
    ck_assert_msg(rc == 0 && strstr(out, "ident box1\n"), "python: %s", out);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_python_methods)
{
    char out[16384];
    up("", "",
       "[program:web]\ncommand = /bin/sh -c 'echo out-line; echo err-line >&2; exec sleep 1000'\n"
       "startsecs = 0\nstdout_logfile = @DIR@/web.out\nstderr_logfile = @DIR@/web.err\n"
       "[group:g]\nprograms = a,b\n"
       "[program:a]\n" SLEEPER "[program:b]\n" SLEEPER);
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "web.err"), "err-line", 5000), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "web.out"), "out-line", 5000), 0);
    int rc = py(T, out, sizeof out,
        "print('api', s.supervisor.getAPIVersion(), s.supervisor.getVersion())\n"
        "print('ident', s.supervisor.getIdentification())\n"
        "print('state', s.supervisor.getState())\n"
        "info = s.supervisor.getProcessInfo('web')\n"
        "print('keys', sorted(info.keys()))\n"
        "print('web', info['name'], info['group'], info['statename'], info['state'],\n"
        "      info['pid'] > 0, info['stdout_logfile'].endswith('web.out'),\n"
        "      info['description'].startswith('pid '))\n"
        "print('all', [(i['group'], i['name']) for i in s.supervisor.getAllProcessInfo()])\n"
        "print('tail', s.supervisor.tailProcessStdoutLog('web', 0, 100))\n"
        "print('tailerr', s.supervisor.tailProcessStderrLog('web', 0, 4))\n"
        "print('read', repr(s.supervisor.readProcessStderrLog('web', 0, 0)))\n"
        "print('stopgroup', sorted(s.supervisor.stopProcessGroup('g'), key=lambda r: r['name']))\n"
        "print('startgroup', s.supervisor.startProcess('g:*'))\n"
        "print('mc', s.system.multicall([{'methodName': 'supervisor.getAPIVersion'},\n"
        "    {'methodName': 'supervisor.nope'}, {'methodName': 'supervisor.stopProcess',\n"
        "    'params': ['g:a']}, {'methodName': 'system.multicall', 'params': [[]]}]))\n"
        "print('sig', s.supervisor.signalProcessGroup('g', 'HUP'))\n"
        "print('methods', 'supervisor.getAllProcessInfo' in s.system.listMethods())\n"
        "print('sig', s.system.methodSignature('supervisor.startProcess'))\n"
        "print('help', len(s.system.methodHelp('supervisor.getState')) > 0)\n"
        "print('nosig', fault(s.system.methodSignature, 'nope'))\n"
        "ci = s.supervisor.getAllConfigInfo()\n"
        "print('config', [(x['group'], x['name'], x['inuse'], x['exitcodes'], x['stopsignal'])\n"
        "                 for x in ci])\n"
        "print('configkeys', len(ci[0]))\n");
    ck_assert_msg(rc == 0, "python: %s", out);
    ck_assert_msg(strstr(out, "api 3.0 3.0\n"), "%s", out);
    ck_assert_msg(strstr(out, "ident supervisor\n"), "%s", out);
    ck_assert_msg(strstr(out, "state {'statecode': 1, 'statename': 'RUNNING'}\n"), "%s", out);
    ck_assert_msg(strstr(out, "keys ['description', 'exitstatus', 'group', 'logfile', 'name', "
                              "'now', 'pid', 'spawnerr', 'start', 'state', 'statename', "
                              "'stderr_logfile', 'stdout_logfile', 'stop']\n"), "%s", out);
    ck_assert_msg(strstr(out, "web web web RUNNING 20 True True True\n"), "%s", out);
    ck_assert_msg(strstr(out, "all [('g', 'a'), ('g', 'b'), ('web', 'web')]\n"), "%s", out);
    ck_assert_msg(strstr(out, "tail ['out-line\\n', 9, False]\n"), "%s", out);
    ck_assert_msg(strstr(out, "tailerr ['ine\\n', 9, True]\n"), "%s", out);
    ck_assert_msg(strstr(out, "read 'err-line\\n'\n"), "%s", out);
    ck_assert_msg(strstr(out, "stopgroup [{'name': 'a', 'group': 'g', 'status': 80, "
                              "'description': 'OK'}, {'name': 'b', 'group': 'g', 'status': 80, "
                              "'description': 'OK'}]\n"), "%s", out);
    ck_assert_msg(strstr(out, "startgroup [{'name': 'a', 'group': 'g', 'status': 80"), "%s", out);
    ck_assert_msg(strstr(out, "mc ['3.0', {'faultCode': 1, 'faultString': 'UNKNOWN_METHOD'}, True, "
                              "{'faultCode': 2, 'faultString': 'INCORRECT_PARAMETERS: Recursive "
                              "system.multicall forbidden'}]\n"), "%s", out);
    ck_assert_msg(strstr(out, "sig [{'name': 'b', 'group': 'g', 'status': 80, 'description': 'OK'}]\n"),
                  "%s", out);
    ck_assert_msg(strstr(out, "methods True\n"), "%s", out);
    ck_assert_msg(strstr(out, "sig ['boolean', 'string', 'boolean']\n"), "%s", out);
    ck_assert_msg(strstr(out, "help True\n"), "%s", out);
    ck_assert_msg(strstr(out, "nosig 4 SIGNATURE_UNSUPPORTED\n"), "%s", out);
    ck_assert_msg(strstr(out, "config [('g', 'a', True, [0], 15), ('g', 'b', True, [0], 15), "
                              "('web', 'web', True, [0], 15)]\n"), "%s", out);
    ck_assert_msg(strstr(out, "configkeys 29\n"), "%s", out);
    stop_tend(T);
}
END_TEST

START_TEST(test_auth)
{
    char out[8192];
    /* the SHA-1 of "s3cret" */
    up("username = admin\npassword = {SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98\n",
       "username = admin\npassword = s3cret\n", "[program:a]\n" SLEEPER);
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 10000), 0);
    int rc = ctl(T, out, sizeof out, "status", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "RUNNING"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "-p", "wrong", "status", NULL);
    ck_assert_msg(rc != 0 && strstr(out, "401 Unauthorized"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_file(T->errlog, "authentication failed for user 'admin'", 5000), 0);
    rc = py(T, out, sizeof out,
            "print(proxy('admin', 's3cret').supervisor.getState()['statename'])\n"
            "try:\n"
            "    s.supervisor.getState()\n"
            "except xmlrpc.client.ProtocolError as e:\n"
            "    print('refused', e.errcode)\n");
    ck_assert_msg(rc == 0 && strstr(out, "RUNNING\n") && strstr(out, "refused 401\n"), "rc %d: %s",
                  rc, out);
    stop_tend(T);
}
END_TEST

/* a raw HTTP exchange on the socket: what tend answers (first line) */
static int raw_connect(struct th *t)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", th_path(t, "sup.sock"));
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect: %s", strerror(errno));
    return fd;
}

static void raw_exchange(struct th *t, const char *req, char *resp, size_t len)
{
    int fd = raw_connect(t);
    ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    size_t got = 0;
    struct pollfd pfd = {fd, POLLIN, 0};
    while (got + 1 < len && poll(&pfd, 1, 5000) > 0) {
        ssize_t n = read(fd, resp + got, len - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    resp[got] = '\0';
    close(fd);
}

START_TEST(test_hostile_clients)
{
    char out[8192];
    up("", "", "[program:a]\n" SLEEPER);
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 10000), 0);
    raw_exchange(T, "garbage\r\n\r\n", out, sizeof out);
    ck_assert_msg(!strncmp(out, "HTTP/1.1 400 ", 13), "%s", out);
    raw_exchange(T, "POST /RPC2 HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", out, sizeof out);
    ck_assert_msg(!strncmp(out, "HTTP/1.1 413 ", 13), "%s", out);
    raw_exchange(T, "POST /RPC2 HTTP/1.0\r\nContent-Length: 9\r\n\r\nnot xml!!", out, sizeof out);
    ck_assert_msg(!strncmp(out, "HTTP/1.1 400 ", 13), "%s", out);
    raw_exchange(T, "GET /nothing HTTP/1.0\r\n\r\n", out, sizeof out);
    ck_assert_msg(!strncmp(out, "HTTP/1.1 404 ", 13), "%s", out);

    /* clients that hold connections: one byte of a head, a body that
     * never comes, a connection that says nothing */
    int slow = raw_connect(T);
    ck_assert_int_eq(write(slow, "P", 1), 1);
    int big = raw_connect(T);
    const char *bighead = "POST /RPC2 HTTP/1.1\r\nContent-Length: 4000000\r\n\r\n<?xml";
    ck_assert_int_eq(write(big, bighead, strlen(bighead)), (ssize_t)strlen(bighead));
    int mute = raw_connect(T);
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(write(slow, "O", 1), 1);
        uint64_t t0 = th_now_ms();
        int rc = ctl(T, out, sizeof out, "status", NULL);
        ck_assert_msg(rc == 0 && strstr(out, "RUNNING"), "rc %d: %s", rc, out);
        rc = th_ctl(T, out, sizeof out, "status");
        ck_assert_msg(rc == 0, "tendctl status rc %d: %s", rc, out);
        ck_assert_msg(th_now_ms() - t0 < 5000, "status took %llu ms",
                      (unsigned long long)(th_now_ms() - t0));
        th_nap(300);
    }
    close(slow);
    close(big);
    close(mute);
    stop_tend(T);
}
END_TEST

START_TEST(test_concurrent_clients)
{
    char out[16384];
    up("", "",
       "[program:a]\n" SLEEPER "[program:b]\n" SLEEPER "[program:c]\n" SLEEPER
       "[program:slow]\ncommand = sleep 1000\nstartsecs = 2\nautostart = false\n");
    ck_assert_int_eq(th_wait_state(T, "c", "RUNNING", 10000), 0);
    /* a start that waits 2 s for RUNNING runs beside 20 clients */
    int rc = py(T, out, sizeof out,
        "import threading, time\n"
        "res = {}\n"
        "def waiter():\n"
        "    res['start'] = proxy().supervisor.startProcess('slow', True)\n"
        "    res['start_t'] = time.time()\n"
        "def client(i):\n"
        "    p = proxy()\n"
        "    n = 0\n"
        "    for k in range(10):\n"
        "        n += len(p.supervisor.getAllProcessInfo())\n"
        "    res[i] = n\n"
        "t0 = time.time()\n"
        "w = threading.Thread(target=waiter); w.start()\n"
        "time.sleep(0.2)\n"
        "ts = [threading.Thread(target=client, args=(i,)) for i in range(20)]\n"
        "for t in ts: t.start()\n"
        "for t in ts: t.join()\n"
        "t_clients = time.time()\n"
        "w.join()\n"
        "print('counts', sorted(set(res[i] for i in range(20))))\n"
        "print('clients before start', t_clients < res['start_t'])\n"
        "print('start', res['start'], res['start_t'] - t0 >= 1.5)\n");
    ck_assert_msg(rc == 0, "python: %s", out);
    ck_assert_msg(strstr(out, "counts [40]\n"), "%s", out);
    ck_assert_msg(strstr(out, "clients before start True\n"), "%s", out);
    ck_assert_msg(strstr(out, "start True True\n"), "%s", out);
    stop_tend(T);
}
END_TEST

START_TEST(test_refuse_live_socket)
{
    up("", "", "[program:a]\n" SLEEPER);
    /* a second tend on the same socket exits non-zero, the first keeps it */
    struct th *t2 = th_start("[unix_http_server]\nfile = %s\n", th_path(T, "sup.sock"));
    int rc = th_wait_exit(t2, 10000);
    ck_assert_msg(rc != 0 && rc != -1, "second tend: %d", rc);
    char log[4096];
    th_read_file(t2->errlog, log, sizeof log);
    ck_assert_msg(strstr(log, "already listening"), "%s", log);
    th_free(t2);
    char out[4096];
    rc = ctl(T, out, sizeof out, "status", NULL);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
    stop_tend(T);
}
END_TEST

/* Programs find tend's XML-RPC as supervisord's children do
 * (supervisor.childutils reads SUPERVISOR_SERVER_URL). */
START_TEST(test_server_url_in_environment)
{
    up("", "", "[program:env]\ncommand = /bin/sh -c 'echo \"url=$SUPERVISOR_SERVER_URL\" > "
       "@DIR@/env.out; exec sleep 100'\nstartsecs = 0\n");
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "url=unix://%s\n", th_path(T, "sup.sock"));
    ck_assert_int_eq(th_wait_file(th_path(T, "env.out"), want, 10000), 0);
    ck_assert_int_eq(th_stop(T, SIGTERM, 10000), 0);
}
END_TEST

START_TEST(test_tail_follow)
{
    char out[8192];
    up("", "", "[program:chatty]\n"
       "command = /bin/sh -c 'i=0; while :; do echo line $i; i=$((i+1)); sleep 0.1; done'\n"
       "startsecs = 0\nstdout_logfile = @DIR@/chatty.log\n");
    ck_assert_int_eq(th_wait_file(th_path(T, "chatty.log"), "line 2\n", 10000), 0);
    /* supervisorctl tail -f reads GET /logtail/chatty: it must keep following */
    int fd = open(th_path(T, "tailf.out"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    const char *argv[] = {SUPERVISORCTL, "-c", T->conf, "tail", "-f", "chatty", NULL};
    pid_t pid;
    extern char **environ;
    ck_assert_int_eq(posix_spawn(&pid, SUPERVISORCTL, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fd);
    int ok = th_wait_file(th_path(T, "tailf.out"), "line 40\n", 15000);
    kill(pid, SIGTERM);
    th_wait_gone(pid, 5000);
    th_read_file(th_path(T, "tailf.out"), out, sizeof out);
    ck_assert_msg(ok == 0, "tail -f did not follow: %s", out);
    /* an unknown name is 404 (supervisorctl prints its error) */
    char resp[1024];
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", th_path(T, "sup.sock"));
    ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    const char *req = "GET /logtail/nosuch HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(write(c, req, strlen(req)), (ssize_t)strlen(req));
    ssize_t n = read(c, resp, sizeof resp - 1);
    ck_assert_int_gt(n, 12);
    resp[n] = '\0';
    ck_assert_msg(!strncmp(resp, "HTTP/1.1 404 ", 13), "%s", resp);
    close(c);
    /* a follower still connected when tend stops is closed cleanly */
    c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    req = "GET /logtail/chatty/stdout HTTP/1.0\r\n\r\n";
    ck_assert_int_eq(write(c, req, strlen(req)), (ssize_t)strlen(req));
    n = read(c, resp, sizeof resp - 1);
    ck_assert_int_gt(n, 12);
    resp[n] = '\0';
    ck_assert_msg(!strncmp(resp, "HTTP/1.1 200 ", 13) && !strstr(resp, "chunked"), "%s", resp);
    stop_tend(T);
    close(c);
}
END_TEST

/* reread, avail, add, remove, update: supervisord 4.2's outputs for the same
 * steps (checked against the real supervisord), by group; reread applies
 * nothing, update stops and replaces what changed; tendctl's reload applies
 * the whole file and leaves nothing pending. */
#define GROUPS_V1 "[program:keep]\n" SLEEPER "[program:chg]\n" SLEEPER "[program:gone]\n" SLEEPER
#define GROUPS_V2 "[program:keep]\n" SLEEPER \
                  "[program:chg]\ncommand = sleep 1001\nstartsecs = 0\n" \
                  "[program:new]\n" SLEEPER "depends_on = keep\n"

START_TEST(test_reread_update)
{
    char out[8192];
    up("", "", GROUPS_V1);
    ck_assert_int_eq(th_wait_state(T, "gone", "RUNNING", 10000), 0);
    pid_t keep = th_pid(T, "keep"), chg = th_pid(T, "chg");
    int rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "No config updates to processes\n"), "rc %d: %s", rc, out);

    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "", GROUPS_V2), 0);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "chg: changed\ngone: disappeared\nnew: available\n"),
                  "rc %d: %s", rc, out);
    /* nothing applied, but avail shows the new config at once */
    ck_assert_int_eq(th_pid(T, "chg"), chg);
    ck_assert_int_eq(th_pid(T, "new"), -1);
    rc = ctl(T, out, sizeof out, "avail", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out,
                  "chg                              in use    auto      999:999\n"
                  "keep                             in use    auto      999:999\n"
                  "new                              avail     auto      999:999\n"),
                  "rc %d: %s", rc, out);

    /* add / remove, with supervisord's errors */
    rc = ctl(T, out, sizeof out, "add", "new", "gone", "nosuch", "keep", NULL);
    ck_assert_msg(rc == 1 && !strcmp(out, "new: added process group\n"
                                          "ERROR: no such process/group: gone\n"
                                          "ERROR: no such process/group: nosuch\n"
                                          "ERROR: process group already active\n"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "new", "RUNNING", 10000), 0);
    rc = ctl(T, out, sizeof out, "remove", "keep", "nosuch", NULL);
    ck_assert_msg(rc == 1 && !strcmp(out, "ERROR: process/group still running: keep\n"
                                          "ERROR: no such process/group: nosuch\n"),
                  "rc %d: %s", rc, out);
    rc = py(T, out, sizeof out,
            "print(fault(s.supervisor.addProcessGroup, 'new'))\n"
            "print(fault(s.supervisor.addProcessGroup, 'gone'))\n"
            "print(fault(s.supervisor.removeProcessGroup, 'keep'))\n"
            "print(fault(s.supervisor.removeProcessGroup, 'nosuch'))\n"
            "print(s.supervisor.reloadConfig())\n");
    ck_assert_msg(rc == 0 && !strcmp(out, "90 ALREADY_ADDED: new\n10 BAD_NAME: gone\n"
                                          "91 STILL_RUNNING: keep\n10 BAD_NAME: nosuch\n"
                                          "[[[], ['chg'], ['gone']]]\n"),
                  "rc %d: %s", rc, out);

    /* update: removed groups stopped and dropped, changed ones replaced */
    rc = ctl(T, out, sizeof out, "update", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "gone: stopped\ngone: removed process group\n"
                                          "chg: stopped\nchg: updated process group\n"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "chg", "RUNNING", 10000), 0);
    ck_assert_int_ne(th_pid(T, "chg"), chg);
    ck_assert_int_eq(th_pid(T, "keep"), keep);
    ck_assert_int_eq(th_pid(T, "gone"), -1);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "No config updates to processes\n"), "rc %d: %s", rc, out);

    /* a stopped group goes and comes back; its dependent keeps running */
    pid_t newpid = th_pid(T, "new");
    rc = ctl(T, out, sizeof out, "stop", "chg", NULL);
    rc = ctl(T, out, sizeof out, "remove", "chg", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "chg: removed process group\n"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "avail", NULL);
    ck_assert_msg(strstr(out, "chg                              avail     auto"), "%s", out);
    rc = ctl(T, out, sizeof out, "add", "chg", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "chg: added process group\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "chg", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_pid(T, "new"), newpid);

    /* a config error: CANT_REREAD with its file:line, nothing pending changes */
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "",
                               GROUPS_V2 "[program:bad]\n" SLEEPER "startretries = many\n"), 0);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 1 && strstr(out, "ERROR: CANT_REREAD: ") &&
                  strstr(out, "tend.ini:") && strstr(out, "startretries"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "avail", NULL);
    ck_assert_msg(!strstr(out, "bad"), "%s", out);

    /* reread, then tendctl's reload applies the whole file: nothing pending */
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "", GROUPS_V2 "[program:more]\n" SLEEPER), 0);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "more: available\n"), "rc %d: %s", rc, out);
    rc = th_ctl(T, out, sizeof out, "reload");
    ck_assert_msg(rc == 0, "tendctl reload %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "more", "RUNNING", 10000), 0);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "No config updates to processes\n"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "avail", NULL);
    ck_assert_msg(strstr(out, "more                             in use    auto"), "%s", out);
    stop_tend(T);
}
END_TEST

/* The same supervisorctl steps against tend and the real supervisord, each
 * with the same programs: reread, avail, add, remove, update, clear give the
 * same output and exit status (nothing here prints a pid or a time). */
static int both(struct th *t, const char *sdconf, char *a, char *b, size_t len, const char *a0,
                const char *a1, const char *a2, const char *a3)
{
    const char *argv[10] = {SUPERVISORCTL, "-c", t->conf, a0, a1, a2, a3, NULL};
    int rt = th_run(argv, a, len, 30000);
    argv[2] = sdconf;
    int rs = th_run(argv, b, len, 30000);
    ck_assert_msg(rt == rs && !strcmp(a, b), "%s %s %s %s:\ntend (%d):\n%s\nsupervisord (%d):\n%s",
                  a0, a1 ? a1 : "", a2 ? a2 : "", a3 ? a3 : "", rt, a, rs, b);
    return rt;
}

static void write_supd_conf(struct th *t, const char *path, const char *programs)
{
    ck_assert_int_eq(th_write_file(path, false,
        "[supervisord]\nlogfile = %s/supd.log\npidfile = %s/supd.pid\nchildlogdir = %s\n"
        "[unix_http_server]\nfile = %s/supd.sock\n[supervisorctl]\nserverurl = unix://%s/supd.sock\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n%s",
        t->dir, t->dir, t->dir, t->dir, t->dir, programs), 0);
}

/* The real supervisord on SDCONF (output in T's supd.out); its pid. */
static pid_t start_supd(struct th *t, const char *sdconf)
{
    const char *supd = "/usr/bin/supervisord";
    if (access(supd, X_OK) < 0) {
        fprintf(stderr, "test_xmlrpc: %s missing (Debian's supervisor package)\n", supd);
        ck_abort_msg("supervisord missing");
    }
    pid_t sp;
    const char *argv[] = {supd, "-n", "-c", sdconf, NULL};
    char mark[128];
    snprintf(mark, sizeof mark, "TEND_TEST_MARK=%s", t->mark);
    char *envp[] = {mark, "PATH=/usr/local/bin:/usr/bin:/bin", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, th_path(t, "supd.out"), O_WRONLY | O_CREAT, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    ck_assert_int_eq(posix_spawn(&sp, supd, &fa, NULL, (char *const *)argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    return sp;
}

START_TEST(test_same_as_supervisord)
{
    char a[8192], b[8192];
    up("", "", GROUPS_V1);
    const char *sdconf = th_path(T, "supd.conf");
    write_supd_conf(T, sdconf, GROUPS_V1);
    pid_t sp = start_supd(T, sdconf);
    /* both up: every program RUNNING in supervisorctl's status */
    uint64_t deadline = th_now_ms() + 20000;
    for (;;) {
        const char *st[] = {SUPERVISORCTL, "-c", sdconf, "status", NULL};
        if (th_run(st, b, sizeof b, 30000) == 0 && strstr(b, "gone ") && strstr(b, "keep "))
            break;
        ck_assert_msg(th_now_ms() < deadline, "supervisord did not come up: %s", b);
        th_nap(50);
    }
    ck_assert_int_eq(th_wait_state(T, "gone", "RUNNING", 10000), 0);

    both(T, sdconf, a, b, sizeof a, "reread", NULL, NULL, NULL);
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "", GROUPS_V2), 0);
    write_supd_conf(T, sdconf, "[program:keep]\n" SLEEPER
                               "[program:chg]\ncommand = sleep 1001\nstartsecs = 0\n"
                               "[program:new]\n" SLEEPER);
    both(T, sdconf, a, b, sizeof a, "reread", NULL, NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "avail", NULL, NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "add", "new", "gone", "nosuch");
    both(T, sdconf, a, b, sizeof a, "remove", "keep", "nosuch", NULL);
    both(T, sdconf, a, b, sizeof a, "update", NULL, NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "reread", NULL, NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "stop", "keep", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "remove", "keep", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "avail", NULL, NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "add", "keep", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "clear", "keep", "nosuch", NULL);
    both(T, sdconf, a, b, sizeof a, "update", "nosuch", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "shutdown", NULL, NULL, NULL);
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
    ck_assert_int_eq(th_wait_gone(sp, 15000), 0);
    int st;
    waitpid(sp, &st, 0);
}
END_TEST

/* supervisorctl status with what differs from run to run replaced: the pid
 * and uptime of a running program, the time in a stopped one's line. */
static void normalize(char *s)
{
    static const char *pat[] = {"pid [0-9]+, uptime [0-9]+:[0-9]+:[0-9]+",
                                "[A-Z][a-z][a-z] [0-9][0-9] [0-9][0-9]:[0-9][0-9] [AP]M"};
    static const char *with[] = {"pid, uptime", "DATE"};
    for (int k = 0; k < 2; k++) {
        regex_t re;
        ck_assert_int_eq(regcomp(&re, pat[k], REG_EXTENDED), 0);
        regmatch_t m;
        char *at = s;
        while (regexec(&re, at, 1, &m, 0) == 0) {
            size_t wl = strlen(with[k]);
            memmove(at + m.rm_so + wl, at + m.rm_eo, strlen(at + m.rm_eo) + 1);
            memcpy(at + m.rm_so, with[k], wl);
            at += m.rm_so + wl;
        }
        regfree(&re);
    }
}

/* Wait until `supervisorctl -c CONF status`, normalized, is WANT. */
static void wait_status(const char *conf, const char *want, const char *who)
{
    char out[8192];
    uint64_t deadline = th_now_ms() + 20000;
    for (;;) {
        const char *argv[] = {SUPERVISORCTL, "-c", conf, "status", NULL};
        th_run(argv, out, sizeof out, 30000);
        normalize(out);
        if (!strcmp(out, want))
            return;
        ck_assert_msg(th_now_ms() < deadline, "%s status:\n%s\nwanted:\n%s", who, out, want);
        th_nap(50);
    }
}

#define RELOAD_V1 "[program:first]\n" SLEEPER "priority = 100\n" \
                  "[program:last]\n" SLEEPER "priority = 900\n" \
                  "[program:manual]\n" SLEEPER "autostart = false\n" \
                  "[program:once]\ncommand = /bin/sh -c 'exit 0'\nstartsecs = 0\nautorestart = false\n" \
                  "[program:halted]\n" SLEEPER
#define RELOAD_STATUS(extra) extra \
    "first                            RUNNING   pid, uptime\n" \
    "halted                           RUNNING   pid, uptime\n" \
    "last                             RUNNING   pid, uptime\n" \
    "manual                           STOPPED   Not started\n" \
    "once                             EXITED    DATE\n"

/* supervisorctl reload against tend and the real supervisord: before it,
 * one program without autostart was started by hand, one with autostart
 * stopped by hand, one exited; afterwards both show the same states (what
 * a freshly started supervisord shows, with the added program). tend
 * stopped every program, highest priority first, before starting any. */
START_TEST(test_reload_same_as_supervisord)
{
    char a[8192], b[8192];
    up("", "", RELOAD_V1);
    const char *sdconf = th_path(T, "supd.conf");
    write_supd_conf(T, sdconf, RELOAD_V1);
    pid_t sp = start_supd(T, sdconf);
    wait_status(sdconf, RELOAD_STATUS(""), "supervisord");
    wait_status(T->conf, RELOAD_STATUS(""), "tend");
    both(T, sdconf, a, b, sizeof a, "start", "manual", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "stop", "halted", NULL, NULL);
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "",
                               RELOAD_V1 "[program:added]\n" SLEEPER), 0);
    write_supd_conf(T, sdconf, RELOAD_V1 "[program:added]\n" SLEEPER);
    pid_t first = th_pid(T, "first");
    char *log = th_slurp(T->errlog, NULL);
    size_t before = strlen(log);
    free(log);
    both(T, sdconf, a, b, sizeof a, "reload", NULL, NULL, NULL);
    const char *after = RELOAD_STATUS("added                            RUNNING   pid, uptime\n");
    wait_status(sdconf, after, "supervisord");
    wait_status(T->conf, after, "tend");
    ck_assert_int_ne(th_pid(T, "first"), first);
    both(T, sdconf, a, b, sizeof a, "avail", NULL, NULL, NULL);

    /* tend's log: manual (999), last (900), first (100) stopped in that order,
     * every stop before any start */
    log = th_slurp(T->errlog, NULL);
    ck_assert_ptr_nonnull(log);
    const char *r = log + before;
    const char *last_stop = strstr(r, "last: RUNNING -> STOPPING");
    const char *first_stop = strstr(r, "first: RUNNING -> STOPPING");
    const char *manual_stop = strstr(r, "manual: RUNNING -> STOPPING");
    const char *start = strstr(r, "-> STARTING");
    ck_assert_msg(last_stop && first_stop && manual_stop && start, "%s", r);
    ck_assert_msg(manual_stop < last_stop && last_stop < first_stop && first_stop < start,
                  "stop order:\n%s", r);
    ck_assert_msg(strstr(first_stop, "first: STOPPING -> STOPPED") < start, "%s", r);
    free(log);

    both(T, sdconf, a, b, sizeof a, "shutdown", NULL, NULL, NULL);
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
    ck_assert_int_eq(th_wait_gone(sp, 15000), 0);
    int st;
    waitpid(sp, &st, 0);
}
END_TEST

#define SPAWNERR_PROGS "[program:missing]\ncommand = /nonexistent/cmd\nstartretries = 0\n" \
    "[program:nopath]\ncommand = nosuchprog_tend_test\nstartretries = 0\n" \
    "[program:noexec]\ncommand = /etc/passwd\nstartretries = 0\n" \
    "[program:adir]\ncommand = /tmp\nstartretries = 0\n" \
    "[program:quick]\ncommand = /bin/sh -c 'exit 1'\nstartretries = 0\n" \
    "[program:done]\ncommand = /bin/sh -c 'exit 3'\nstartsecs = 0\nautorestart = false\n"

/* Programs that cannot start, side by side with supervisord: the same FATAL
 * descriptions (supervisord's spawnerr words: can't find command, is not
 * executable, is a directory), the same start errors and exit statuses. */
START_TEST(test_spawn_errors_same_as_supervisord)
{
    char a[8192], b[8192];
    up("", "", SPAWNERR_PROGS);
    const char *sdconf = th_path(T, "supd.conf");
    write_supd_conf(T, sdconf, SPAWNERR_PROGS);
    pid_t sp = start_supd(T, sdconf);
    const char *want =
        "adir                             FATAL     command at '/tmp' is a directory\n"
        "done                             EXITED    DATE\n"
        "missing                          FATAL     can't find command '/nonexistent/cmd'\n"
        "noexec                           FATAL     command at '/etc/passwd' is not executable\n"
        "nopath                           FATAL     can't find command 'nosuchprog_tend_test'\n"
        "quick                            FATAL     Exited too quickly (process log may have details)\n";
    wait_status(sdconf, want, "supervisord");
    wait_status(T->conf, want, "tend");
    both(T, sdconf, a, b, sizeof a, "start", "missing", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "start", "noexec", "adir", NULL);
    both(T, sdconf, a, b, sizeof a, "start", "nopath", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "start", "quick", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "status", "missing", "nosuch", NULL);
    both(T, sdconf, a, b, sizeof a, "stop", "done", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "signal", "HUP", "done", NULL);
    both(T, sdconf, a, b, sizeof a, "pid", "nosuch", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "pid", "missing", NULL, NULL);
    both(T, sdconf, a, b, sizeof a, "shutdown", NULL, NULL, NULL);
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
    ck_assert_int_eq(th_wait_gone(sp, 15000), 0);
    int st;
    waitpid(sp, &st, 0);
}
END_TEST

/* A stop while tend waits out a crashed program's restart_delay stops it
 * for good ("stopped", as supervisord stops its STARTING one), and signal
 * numbers are supervisord's: 0 and 34 accepted, 35 a BAD_SIGNAL. */
START_TEST(test_stop_pending_restart_and_signal_numbers)
{
    char out[8192];
    up("", "", "[program:crash]\n" SLEEPER "restart_delay = 1\n[program:c]\n" SLEEPER);
    ck_assert_int_eq(th_wait_state(T, "crash", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "c", "RUNNING", 10000), 0);
    pid_t pid = th_pid(T, "crash");
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    ck_assert_int_eq(th_wait_state(T, "crash", "EXITED", 10000), 0);
    int rc = ctl(T, out, sizeof out, "stop", "crash", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "crash: stopped\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_stays_state(T, "crash", "STOPPED", 1500), 0);
    pid_t c = th_pid(T, "c");
    rc = py(T, out, sizeof out,
            "print(s.supervisor.signalProcess('c', 0))\n"
            "print(s.supervisor.signalProcess('c', '0'))\n"
            "print(fault(s.supervisor.signalProcess, 'c', '35'))\n"
            "print(fault(s.supervisor.signalProcess, 'c', 33))\n");
    ck_assert_msg(rc == 0 && !strcmp(out, "True\nTrue\n11 BAD_SIGNAL: 35\n11 BAD_SIGNAL: 33\n"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_pid(T, "c"), c); /* signal 0 only asks whether it is there */
    stop_tend(T);
}
END_TEST

/* Run ARGV in a child that writes "RC\nOUTPUT" to FILE; its pid. */
static pid_t bg_run(const char *const argv[], const char *file)
{
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        char o[4096];
        int rc = th_run(argv, o, sizeof o, 30000);
        th_write_file(file, false, "%d\n%s", rc, o);
        _exit(0);
    }
    return w;
}

#define INTERPLAY_V1 "[program:db]\ncommand = sleep 1000\nstartsecs = 100\nautostart = false\n" \
    "[program:web]\n" SLEEPER "autostart = false\ndepends_on = db\n" \
    "[program:slow]\ncommand = sleep 1000\nstartsecs = 5\nautostart = false\n"

/* Where supervisorctl's reread/update/remove meet tend's own clients: a
 * startProcess waiting (for a dependency) keeps its group from remove
 * (STILL_RUNNING) until stop, which answers that client; update and tendctl's reload racing
 * each other and a waiting `tendctl start` on the program they change: the
 * waiting client is answered, the program ends as the file says (STOPPED,
 * no autostart), and nothing is left pending. */
START_TEST(test_interplay)
{
    char out[8192];
    up("", "", INTERPLAY_V1);
    const char *waiter = th_path(T, "waiter.out");
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        char o[2048];
        py(T, o, sizeof o, "print(fault(s.supervisor.startProcess, 'web'))\n");
        th_write_file(waiter, false, "%s", o);
        _exit(0);
    }
    ck_assert_int_eq(th_wait_state(T, "db", "STARTING", 10000), 0);
    ck_assert_int_eq(th_stays_state(T, "web", "STOPPED", 200), 0);
    /* a start waiting is not stopped (supervisord's would be STARTING) */
    int rc = ctl(T, out, sizeof out, "remove", "web", NULL);
    ck_assert_msg(rc == 1 && !strcmp(out, "ERROR: process/group still running: web\n"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_stays_state(T, "web", "STOPPED", 200), 0);
    ck_assert_int_ne(access(waiter, F_OK), 0);
    rc = ctl(T, out, sizeof out, "stop", "web", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "web: stopped\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_file(waiter, "40 ABNORMAL_TERMINATION: web\n", 10000), 0);
    rc = ctl(T, out, sizeof out, "remove", "web", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "web: removed process group\n"), "rc %d: %s", rc, out);
    int st;
    ck_assert_int_eq(waitpid(w, &st, 0), w);
    rc = ctl(T, out, sizeof out, "add", "web", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "web: added process group\n"), "rc %d: %s", rc, out);

    /* tendctl start slow (it waits for RUNNING), then the file changes slow and update and
     * tendctl's reload race */
    const char *sw[] = {getenv("TENDCTL_BIN"), "-s", T->control, "start", "slow", NULL};
    pid_t c1 = bg_run(sw, th_path(T, "startwait.out"));
    ck_assert_int_eq(th_wait_state(T, "slow", "STARTING", 10000), 0);
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "",
                               "[program:db]\ncommand = sleep 1000\nstartsecs = 100\nautostart = false\n"
                               "[program:web]\n" SLEEPER "autostart = false\ndepends_on = db\n"
                               "[program:slow]\ncommand = sleep 1001\nstartsecs = 5\nautostart = false\n"), 0);
    const char *up_argv[] = {SUPERVISORCTL, "-c", T->conf, "update", NULL};
    pid_t c2 = bg_run(up_argv, th_path(T, "update.out"));
    const char *rl[] = {getenv("TENDCTL_BIN"), "-s", T->control, "reload", NULL};
    pid_t c3 = bg_run(rl, th_path(T, "reload.out"));
    pid_t kids[] = {c1, c2, c3};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(th_wait_gone(kids[i], 20000), 0);
        waitpid(kids[i], &st, 0);
    }
    char buf[4096];
    ck_assert_int_gt(th_read_file(th_path(T, "startwait.out"), buf, sizeof buf), 0);
    ck_assert_msg(atoi(buf) != 0 && atoi(buf) != -1, "start --wait answered: %s", buf);
    ck_assert_int_gt(th_read_file(th_path(T, "reload.out"), buf, sizeof buf), 0);
    ck_assert_msg(atoi(buf) == 0, "tendctl reload: %s", buf);
    ck_assert_int_gt(th_read_file(th_path(T, "update.out"), buf, sizeof buf), 0);
    /* tendctl's reload landing between update's removeProcessGroup and its
     * addProcessGroup adds slow first: supervisord's ALREADY_ADDED then */
    ck_assert_msg(atoi(buf) == 0 || (atoi(buf) == 1 && strstr(buf, "ALREADY_ADDED")),
                  "update: %s", buf);
    ck_assert_int_eq(th_wait_state(T, "slow", "STOPPED", 10000), 0);
    ck_assert_int_eq(th_stays_state(T, "slow", "STOPPED", 300), 0);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "No config updates to processes\n"), "rc %d: %s", rc, out);
    rc = py(T, out, sizeof out,
            "print([c['command'] for c in s.supervisor.getAllConfigInfo() if c['name'] == 'slow'])\n");
    ck_assert_msg(rc == 0 && !strcmp(out, "['sleep 1001']\n"), "rc %d: %s", rc, out);
    stop_tend(T);
}
END_TEST

/* During supervisorctl reload (a program that ignores SIGTERM holds it in
 * its stopping): a client waiting on startProcess is answered, starts and
 * reloads are refused (SHUTDOWN_STATE as supervisord's, tendctl's reload
 * says why), and SIGTERM turns it into a shutdown that starts nothing. */
START_TEST(test_restart_waiting_and_shutdown)
{
    char out[8192];
    up("", "",
       "[program:slow]\ncommand = sleep 1000\nstartsecs = 100\nautostart = false\n"
       "[program:stubborn]\ncommand = /bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'\n"
       "startsecs = 0\nstopwaitsecs = 60\npriority = 1\n"
       "[program:quick]\n" SLEEPER);
    ck_assert_int_eq(th_wait_state(T, "stubborn", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "quick", "RUNNING", 10000), 0);
    const char *waiter = th_path(T, "waiter.out");
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        char o[2048];
        py(T, o, sizeof o, "print(fault(s.supervisor.startProcess, 'slow'))\n");
        th_write_file(waiter, false, "%s", o);
        _exit(0);
    }
    ck_assert_int_eq(th_wait_state(T, "slow", "STARTING", 10000), 0);
    int rc = ctl(T, out, sizeof out, "reload", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "Restarted supervisord\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_file(waiter, "40 ABNORMAL_TERMINATION: slow\n", 10000), 0);
    int st;
    ck_assert_int_eq(waitpid(w, &st, 0), w);
    ck_assert_int_eq(th_wait_state(T, "stubborn", "STOPPING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "quick", "STOPPED", 10000), 0);
    rc = ctl(T, out, sizeof out, "start", "quick", NULL);
    ck_assert_msg(rc != 0 && strstr(out, "SHUTDOWN_STATE"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc != 0 && strstr(out, "ERROR: supervisor shutting down"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "reload", NULL);
    ck_assert_msg(rc != 0, "rc %d: %s", rc, out);
    rc = th_ctl(T, out, sizeof out, "reload");
    ck_assert_msg(rc != 0 && strstr(out, "restarting every program"), "rc %d: %s", rc, out);
    rc = th_ctl(T, out, sizeof out, "start quick");
    ck_assert_msg(rc != 0, "rc %d: %s", rc, out);
    ck_assert_int_eq(th_stays_state(T, "quick", "STOPPED", 300), 0);

    /* SIGTERM mid-restart: nothing starts again, tend exits once stubborn is gone */
    pid_t stub = th_pid(T, "stubborn");
    ck_assert_int_gt(stub, 0);
    ck_assert_int_eq(kill(T->pid, SIGTERM), 0);
    ck_assert_int_eq(th_wait_file(T->errlog, "restart abandoned", 10000), 0);
    kill(-stub, SIGKILL);
    kill(stub, SIGKILL);
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
    char *log = th_slurp(T->errlog, NULL);
    ck_assert_ptr_nonnull(log);
    const char *r = strstr(log, "restart: stopping every program");
    ck_assert_msg(r && !strstr(r, "-> STARTING"), "started during the restart:\n%s", log);
    free(log);
}
END_TEST

/* tend -c CONF -- CMD: supervisorctl reload restarts the other programs and
 * never the main one; remove refuses the main program's group. */
START_TEST(test_main_program_kept)
{
    char out[8192];
    const char *main_argv[] = {"--", "sleep", "1000", NULL};
    T = th_start_args(main_argv, SERVER "%s", "", "", "[program:side]\n" SLEEPER);
    ck_assert_int_eq(th_wait_state(T, "side", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "sleep", "RUNNING", 10000), 0);
    pid_t side = th_pid(T, "side"), mainpid = th_pid(T, "sleep");
    int rc = ctl(T, out, sizeof out, "reload", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "Restarted supervisord\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "side", "RUNNING", 10000), 0);
    uint64_t deadline = th_now_ms() + 10000;
    while (th_pid(T, "side") == side || th_pid(T, "side") <= 0) {
        ck_assert_msg(th_now_ms() < deadline, "side was not restarted");
        th_nap(20);
    }
    ck_assert_int_eq(th_pid(T, "sleep"), mainpid);
    rc = ctl(T, out, sizeof out, "remove", "sleep", NULL);
    ck_assert_msg(rc == 1 && !strcmp(out, "ERROR: process/group still running: sleep\n"),
                  "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "No config updates to processes\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_stop(T, SIGTERM, 15000), 128 + SIGTERM); /* the main program's status */
}
END_TEST

/* supervisorctl reload with a main program (main = true) that depends on
 * db: db is restarted under it, the main program keeps its pid. */
START_TEST(test_restart_main_dependency)
{
    char out[8192];
    up("", "", "[program:db]\n" SLEEPER "[program:app]\n" SLEEPER "main = true\ndepends_on = db\n");
    ck_assert_int_eq(th_wait_state(T, "app", "RUNNING", 10000), 0);
    pid_t db = th_pid(T, "db"), app = th_pid(T, "app");
    int rc = ctl(T, out, sizeof out, "reload", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "Restarted supervisord\n"), "rc %d: %s", rc, out);
    uint64_t deadline = th_now_ms() + 10000;
    while (th_pid(T, "db") == db || th_pid(T, "db") <= 0) {
        ck_assert_msg(th_now_ms() < deadline, "db was not restarted");
        th_nap(20);
    }
    ck_assert_int_eq(th_wait_state(T, "db", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_pid(T, "app"), app);
    char state[32];
    ck_assert_int_eq(th_status(T, "app", state, sizeof state, NULL, NULL, 0, NULL), 0);
    ck_assert_str_eq(state, "RUNNING");
    ck_assert_int_eq(th_stop(T, SIGTERM, 15000), 128 + SIGTERM); /* the main program's status */
}
END_TEST

/* update of a group others depend on: its dependents are stopped first and
 * start again only once it is back (never without it, between the remove
 * and the add); the same for remove, then add. */
START_TEST(test_update_dependency)
{
    char out[8192];
    up("", "", "[program:db]\n" SLEEPER "[program:web]\n" SLEEPER "depends_on = db\n");
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "",
                               "[program:db]\ncommand = sleep 1001\nstartsecs = 0\n"
                               "[program:web]\n" SLEEPER "depends_on = db\n"), 0);
    int rc = ctl(T, out, sizeof out, "update", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "db: stopped\ndb: updated process group\n"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "db", "RUNNING", 10000), 0);
    char *log = th_slurp(T->errlog, NULL);
    ck_assert_ptr_nonnull(log);
    const char *added = strstr(log, "db: added process group");
    ck_assert_msg(added != NULL, "%s", log);
    const char *web = strstr(added, "web: STOPPED -> STARTING");
    const char *db = strstr(added, "db: STOPPED -> STARTING");
    ck_assert_msg(web && db && db < web, "web must start after db is back:\n%s", log);
    /* web did not start between the remove and the add */
    const char *removed = strstr(log, "db: removed process group");
    ck_assert_msg(removed && removed < added, "%s", log);
    const char *early = strstr(removed, "web: STOPPED -> STARTING");
    ck_assert_msg(early == web, "web started without db:\n%s", log);
    free(log);

    /* stop and remove db: web is stopped first and waits for the add */
    rc = ctl(T, out, sizeof out, "stop", "db", NULL);
    rc = ctl(T, out, sizeof out, "remove", "db", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "db: removed process group\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_stays_state(T, "web", "STOPPED", 500), 0);
    rc = ctl(T, out, sizeof out, "add", "db", NULL);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "web", "RUNNING", 10000), 0);
    stop_tend(T);
}
END_TEST

/* supervisorctl reload (restart): every program restarts with the config
 * read again, as a restarted supervisord starts them (b, started by hand
 * but without autostart, stays down); tend keeps its pid. */
START_TEST(test_restart_all)
{
    char out[8192];
    up("", "",
       "[program:a]\n" SLEEPER "[program:b]\n" SLEEPER "autostart = false\n"
       "[program:once]\ncommand = /bin/sh -c 'echo ran >> @DIR@/once.out'\nstartsecs = 0\n"
       "autorestart = false\n");
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "once", "EXITED", 10000), 0);
    int rc = ctl(T, out, sizeof out, "start", "b", NULL);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, out);
    pid_t a = th_pid(T, "a");
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "",
                               "[program:a]\n" SLEEPER "[program:b]\n" SLEEPER "autostart = false\n"
                               "[program:once]\ncommand = /bin/sh -c 'echo ran >> @DIR@/once.out'\n"
                               "startsecs = 0\nautorestart = false\n"
                               "[program:c]\n" SLEEPER), 0);
    rc = ctl(T, out, sizeof out, "reload", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "Restarted supervisord\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_state(T, "c", "RUNNING", 10000), 0);
    ck_assert_int_eq(th_wait_state(T, "a", "RUNNING", 10000), 0);
    ck_assert_int_ne(th_pid(T, "a"), a);
    ck_assert_int_eq(th_wait_file(th_path(T, "once.out"), "ran\nran\n", 10000), 0);
    char state[32];
    ck_assert_int_eq(th_status(T, "b", state, sizeof state, NULL, NULL, 0, NULL), 0);
    ck_assert_str_eq(state, "STOPPED");
    rc = ctl(T, out, sizeof out, "pid", NULL);
    ck_assert_int_eq(atoi(out), T->pid);

    /* a config error: fault 92 CANT_REREAD, nothing restarted */
    a = th_pid(T, "a");
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "",
                               "[program:a]\n" SLEEPER "startretries = many\n"), 0);
    rc = py(T, out, sizeof out, "print(fault(s.supervisor.restart))\n");
    ck_assert_msg(rc == 0 && strstr(out, "92 CANT_REREAD: ") && strstr(out, "startretries"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_pid(T, "a"), a);
    stop_tend(T);
}
END_TEST

/* supervisorctl clear: log files emptied in place (the program's next
 * lines start the file again, no hole), clearLog for tend's own log. */
START_TEST(test_clear_logs)
{
    char out[8192];
    T = th_start("logfile = @DIR@/tend.log\n" SERVER "%s", "", "",
                 "[program:talk]\ncommand = /bin/sh -c 'echo first; echo oops >&2; "
                 "while :; do if [ -e @DIR@/go ]; then echo second; rm -f @DIR@/go; fi; "
                 "sleep 0.05; done'\nstartsecs = 0\n"
                 "stdout_logfile = @DIR@/talk.out\nstderr_logfile = @DIR@/talk.err\n"
                 "[program:quiet]\n" SLEEPER);
    ck_assert_int_eq(th_wait_file(th_path(T, "talk.out"), "first\n", 10000), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "talk.err"), "oops\n", 10000), 0);
    int rc = ctl(T, out, sizeof out, "clear", "talk", "nosuch", NULL);
    ck_assert_msg(rc == 1 && !strcmp(out, "talk: cleared\nnosuch: ERROR (no such process)\n"),
                  "rc %d: %s", rc, out);
    struct stat st;
    ck_assert_int_eq(stat(th_path(T, "talk.out"), &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    ck_assert_int_eq(stat(th_path(T, "talk.err"), &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    ck_assert_int_eq(th_write_file(th_path(T, "go"), false, "x"), 0);
    ck_assert_int_eq(th_wait_file(th_path(T, "talk.out"), "second\n", 10000), 0);
    char buf[256];
    ck_assert_int_eq(th_read_file(th_path(T, "talk.out"), buf, sizeof buf), 7);
    ck_assert_str_eq(buf, "second\n");
    rc = ctl(T, out, sizeof out, "clear", "all", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "quiet: cleared\ntalk: cleared\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(stat(th_path(T, "talk.out"), &st), 0);
    ck_assert_int_eq(st.st_size, 0);

    ck_assert_int_eq(th_wait_file(th_path(T, "tend.log"), "talk", 10000), 0);
    rc = py(T, out, sizeof out, "print(s.supervisor.clearLog())\n"
                                "print(fault(s.supervisor.clearProcessLogs, 'nosuch'))\n");
    ck_assert_msg(rc == 0 && !strcmp(out, "True\n10 BAD_NAME: nosuch\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_file(th_path(T, "tend.log"), "reopening log file", 10000), 0);
    char *log = th_slurp(th_path(T, "tend.log"), NULL);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(!strstr(log, "talk"), "%s", log);
    free(log);
    stop_tend(T);

    /* without a logfile: supervisord's NO_FILE */
    th_free(T);
    up("", "", "[program:quiet]\n" SLEEPER);
    rc = py(T, out, sizeof out, "print(fault(s.supervisor.clearLog))\n");
    ck_assert_msg(rc == 0 && !strcmp(out, "20 NO_FILE\n"), "rc %d: %s", rc, out);
    stop_tend(T);
}
END_TEST

/* A client waiting for a start when update removes the program gets its
 * answer (ABNORMAL_TERMINATION), and reread during a shutdown is refused. */
START_TEST(test_update_waiting_and_shutdown)
{
    char out[8192];
    up("", "",
       "[program:slow]\ncommand = sleep 1000\nstartsecs = 100\nautostart = false\n"
       "[program:stubborn]\ncommand = /bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'\n"
       "startsecs = 0\nstopwaitsecs = 60\n");
    ck_assert_int_eq(th_wait_state(T, "stubborn", "RUNNING", 10000), 0);
    /* a python client waits on startProcess('slow') in the background */
    const char *waiter = th_path(T, "waiter.out");
    pid_t w = fork();
    ck_assert_int_ge(w, 0);
    if (w == 0) {
        char o[2048];
        py(T, o, sizeof o, "print(fault(s.supervisor.startProcess, 'slow'))\n");
        th_write_file(waiter, false, "%s", o);
        _exit(0);
    }
    ck_assert_int_eq(th_wait_state(T, "slow", "STARTING", 10000), 0);
    ck_assert_int_eq(th_config(T, NULL, SERVER "%s", "", "",
                               "[program:stubborn]\ncommand = /bin/sh -c 'trap \"\" TERM; "
                               "while :; do sleep 1; done'\nstartsecs = 0\nstopwaitsecs = 60\n"), 0);
    int rc = ctl(T, out, sizeof out, "update", NULL);
    ck_assert_msg(rc == 0 && !strcmp(out, "slow: stopped\nslow: removed process group\n"),
                  "rc %d: %s", rc, out);
    ck_assert_int_eq(th_wait_file(waiter, "40 ABNORMAL_TERMINATION: slow\n", 10000), 0);
    int st;
    ck_assert_int_eq(waitpid(w, &st, 0), w);

    /* shutting down (stubborn holds it up): supervisord's SHUTDOWN_STATE */
    pid_t stub = th_pid(T, "stubborn");
    ck_assert_int_gt(stub, 0);
    ck_assert_int_eq(kill(T->pid, SIGTERM), 0);
    ck_assert_int_eq(th_wait_state(T, "stubborn", "STOPPING", 10000), 0);
    rc = ctl(T, out, sizeof out, "reread", NULL);
    ck_assert_msg(rc == 1 && strstr(out, "ERROR: supervisor shutting down"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "reload", NULL);
    ck_assert_msg(rc == 1 && !strcmp(out, "ERROR: already shutting down\n"), "rc %d: %s", rc, out);
    rc = ctl(T, out, sizeof out, "update", NULL);
    ck_assert_msg(rc == 1 && !strcmp(out, "ERROR: already shutting down\n"), "rc %d: %s", rc, out);
    ck_assert_int_eq(th_stays_state(T, "stubborn", "STOPPING", 200), 0);
    rc = py(T, out, sizeof out, "print(fault(s.supervisor.addProcessGroup, 'x'))\n");
    ck_assert_msg(rc == 0 && !strcmp(out, "6 SHUTDOWN_STATE\n"), "rc %d: %s", rc, out);
    kill(-stub, SIGKILL);
    kill(stub, SIGKILL);
    ck_assert_int_eq(th_wait_exit(T, 15000), 0);
}
END_TEST

static Suite *xmlrpc_suite(void)
{
    Suite *s = suite_create("xmlrpc");
    TCase *tc = tcase_create("supervisorctl");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_supervisorctl_commands);
    tcase_add_test(tc, test_start_failures);
    tcase_add_test(tc, test_reread_update);
    tcase_add_test(tc, test_update_waiting_and_shutdown);
    tcase_add_test(tc, test_update_dependency);
    tcase_add_test(tc, test_same_as_supervisord);
    tcase_add_test(tc, test_main_program_kept);
    tcase_add_test(tc, test_restart_main_dependency);
    tcase_add_test(tc, test_restart_all);
    tcase_add_test(tc, test_reload_same_as_supervisord);
    tcase_add_test(tc, test_restart_waiting_and_shutdown);
    tcase_add_test(tc, test_spawn_errors_same_as_supervisord);
    tcase_add_test(tc, test_stop_pending_restart_and_signal_numbers);
    tcase_add_test(tc, test_interplay);
    tcase_add_test(tc, test_clear_logs);
    suite_add_tcase(s, tc);
    tc = tcase_create("python");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_python_methods);
    tcase_add_test(tc, test_identifier);
    tcase_add_test(tc, test_auth);
    suite_add_tcase(s, tc);
    tc = tcase_create("robustness");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_hostile_clients);
    tcase_add_test(tc, test_concurrent_clients);
    tcase_add_test(tc, test_refuse_live_socket);
    tcase_add_test(tc, test_tail_follow);
    tcase_add_test(tc, test_server_url_in_environment);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xmlrpc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
