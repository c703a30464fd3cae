/* test_storm.c - issue 8: signal and SIGCHLD storms.
 *
 * 10 000 SIGUSR1 (forwarded by tend to every running program) are sent to
 * tend while request lines pour into its control FIFO, tendctl asks for
 * status, programs crash and are restarted, and twice a program forks 500
 * children that exit at once and are handed to tend (the subreaper) to
 * reap. Afterwards: no zombie among tend's children, every program in the
 * state it should be in, tend still answers, and exits 0 on SIGTERM.
 *
 * The signal sender and the FIFO writer are threads of the test process,
 * so the harness's own reaping cannot take their exit statuses.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define WAIT 20000 /* ms: generous, the machine is busy during a storm */

static char buf[1 << 20];

/* Under valgrind (check-valgrind sets TEND_REAL_BIN) tend runs ~50x slower:
 * a smaller storm still covers every path without hitting the timeouts. */
static bool slow(void)
{
    const char *v = getenv("TEND_REAL_BIN");
    return v && *v;
}

static void nap_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

struct storm {
    pid_t tend;
    int nsig, sent;          /* signals to send / sent */
    const char *control;
    int nreq, written;       /* request lines to write / written */
    int err;                 /* errno of the first failure */
};

static void *signal_thread(void *arg)
{
    struct storm *s = arg;
    for (int i = 0; i < s->nsig; i++) {
        if (kill(s->tend, SIGUSR1) < 0) {
            s->err = errno;
            break;
        }
        s->sent++;
        if (i % 50 == 49)
            nap_us(10000); /* spread over ~2 s, across the bursts */
    }
    return NULL;
}

static void *fifo_thread(void *arg)
{
    static const char *const lines[] = {
        "status\n", "pid u1\n", "version\n", "status -j u1 u2\n", "signal CONT u2\n",
        "pid\n", "status flap1 flap2\n", "bogus request\n",
    };
    struct storm *s = arg;
    int fd = open(s->control, O_WRONLY | O_CLOEXEC); /* tend holds it open: no wait */
    if (fd < 0) {
        s->err = errno;
        return NULL;
    }
    for (int i = 0; i < s->nreq; i++) {
        const char *l = lines[i % (sizeof lines / sizeof lines[0])];
        ssize_t w;
        do
            w = write(fd, l, strlen(l));
        while (w < 0 && errno == EINTR);
        if (w != (ssize_t)strlen(l)) {
            s->err = w < 0 ? errno : EIO;
            break;
        }
        s->written++;
        if (i % 20 == 19)
            nap_us(20000);
    }
    close(fd);
    return NULL;
}

/* Children of PARENT (per /proc) in state Z; *ALL gets every child. */
static int zombies_of(pid_t parent, int *all)
{
    int z = 0, n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        if (th_read_file(path, stat, sizeof stat) <= 0)
            continue;
        char *p = strrchr(stat, ')'); /* the comm may hold anything */
        char state;
        int ppid;
        if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2 || ppid != parent)
            continue;
        n++;
        if (state == 'Z')
            z++;
    }
    closedir(d);
    if (all)
        *all = n;
    return z;
}

/* Wait until the file at PATH holds N lines containing WHAT; copy the Nth
 * into LINE. 0 or -1. */
static int wait_exit_line(const char *path, const char *what, int n, char *line, size_t len)
{
    uint64_t deadline = th_now_ms() + WAIT;
    for (;;) {
        int seen = 0;
        if (th_read_file(path, buf, sizeof buf) >= 0) {
            for (char *l = buf, *end; l && *l; l = end ? end + 1 : NULL) {
                end = strchr(l, '\n');
                if (end)
                    *end = '\0';
                if (strstr(l, what) && ++seen == n) {
                    snprintf(line, len, "%.*s", (int)len - 1, l);
                    return 0;
                }
            }
        }
        if (th_now_ms() >= deadline)
            return -1;
        th_nap(10);
    }
}

static bool state_in(const char *state, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(state, *set) == 0)
            return true;
    return false;
}

START_TEST(signal_and_sigchld_storm)
{
    int nsig = slow() ? 2000 : 10000, nburst = slow() ? 100 : 500;
    const char *probe = th_helper("probe");
    struct th *t = th_start(
        "[program:u1]\ncommand = %s -K -l @DIR@/ev -n u1\nstartsecs = 0\n"
        "[program:u2]\ncommand = %s -K\nstartsecs = 0\n"
        "[program:flap1]\ncommand = %s -K -d 100\nstartsecs = 0\nautorestart = true\n"
        "[program:flap2]\ncommand = %s -K -d 30 -x 3\nstartsecs = 0\n"
        "[program:burst]\ncommand = %s %d\nstartsecs = 0\nautostart = false\n"
        "autorestart = false\n",
        probe, probe, probe, probe, th_helper("fault_burst"), nburst);
    ck_assert_int_eq(th_wait_state(t, "u1", "RUNNING", WAIT), 0);
    ck_assert_int_eq(th_wait_state(t, "u2", "RUNNING", WAIT), 0);
    struct th_proc u1, u2, p;
    ck_assert_int_eq(th_proc(t, "u1", &u1), 0);
    ck_assert_int_eq(th_proc(t, "u2", &u2), 0);

    struct storm s = { .tend = t->pid, .nsig = nsig, .control = t->control, .nreq = 2000 };
    struct storm f = s;
    pthread_t sig_th, fifo_th;
    ck_assert_int_eq(pthread_create(&sig_th, NULL, signal_thread, &s), 0);
    ck_assert_int_eq(pthread_create(&fifo_th, NULL, fifo_thread, &f), 0);

    /* Two bursts and some answered requests while the storm goes on. A
     * forwarded SIGUSR1 may end fault_burst between its exec and its
     * signal(SIGUSR1, SIG_IGN), as it would any program: then start it again. */
    int bursts = 0;
    for (int tries = 0; bursts < 2 && tries < 20; tries++) {
        ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "-t 20 start burst"), 0);
        /* tend's log, not the status file: that one may still show the last run */
        char why[256];
        ck_assert_msg(wait_exit_line(t->errlog, "burst: RUNNING -> EXITED", tries + 1, why,
                                     sizeof why) == 0, "burst did not end");
        if (strstr(why, "exit status 0"))
            bursts++;
        else
            ck_assert_msg(strstr(why, "SIGUSR1") != NULL, "burst ended: %s", why);
        for (int i = 0; i < 3; i++)
            ck_assert_msg(th_ctl(t, buf, sizeof buf, "-t 20 status u1 u2") == 0,
                          "status during the storm: %s", buf);
    }
    ck_assert_int_eq(bursts, 2);
    uint64_t deadline;
    pthread_join(sig_th, NULL);
    pthread_join(fifo_th, NULL);
    ck_assert_msg(s.sent == nsig, "sent %d of %d signals: %s", s.sent, nsig, strerror(s.err));
    ck_assert_msg(f.written == f.nreq, "wrote %d of %d requests: %s", f.written, f.nreq,
                  strerror(f.err));
    ck_assert_int_eq(th_count_in_file(t->outlog, th_fmt("burst %d\n", nburst)), 2);
    /* No request lost: each "bogus request" line was read and refused. */
    int want = f.nreq / 8;
    deadline = th_now_ms() + WAIT;
    while (th_count_in_file(t->errlog, "unknown verb 'bogus'") < want && th_now_ms() < deadline)
        th_nap(20);
    ck_assert_int_eq(th_count_in_file(t->errlog, "unknown verb 'bogus'"), want);

    /* Every child reaped: tend's children are its programs, none a zombie. */
    deadline = th_now_ms() + WAIT;
    int z, all = 0;
    while ((z = zombies_of(t->pid, &all)) != 0 && th_now_ms() < deadline)
        th_nap(20);
    ck_assert_msg(z == 0, "%d zombies among tend's %d children", z, all);
    ck_assert_int_le(all, 4);

    /* Every program where it should be. */
    ck_assert_int_eq(th_proc(t, "u1", &p), 0);
    ck_assert_str_eq(p.state, "RUNNING");
    ck_assert_int_eq(p.pid, u1.pid);
    ck_assert_int_eq(th_proc(t, "u2", &p), 0);
    ck_assert_str_eq(p.state, "RUNNING");
    ck_assert_int_eq(p.pid, u2.pid);
    ck_assert_int_eq(th_proc(t, "burst", &p), 0);
    ck_assert_str_eq(p.state, "EXITED");
    ck_assert_str_eq(p.exit, "0");
    static const char *const cycling[] = { "RUNNING", "STARTING", "BACKOFF", "EXITED", NULL };
    ck_assert_int_eq(th_proc(t, "flap1", &p), 0);
    ck_assert_msg(state_in(p.state, cycling), "flap1 is %s", p.state);
    ck_assert_int_ge(p.restarts, 1);
    ck_assert_int_eq(th_proc(t, "flap2", &p), 0);
    ck_assert_msg(state_in(p.state, cycling), "flap2 is %s", p.state);
    ck_assert_int_ge(p.restarts, 1);
    ck_assert_int_ge(th_count_in_file(th_path(t, "ev"), "u1 signal SIGUSR1"), 1);

    ck_assert_int_eq(th_ctl(t, buf, sizeof buf, "status u1 u2 burst"), 0);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    th_free(t);
}
END_TEST

static Suite *storm_suite(void)
{
    Suite *s = suite_create("storm");
    TCase *tc = tcase_create("storm");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, signal_and_sigchld_storm);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(storm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
