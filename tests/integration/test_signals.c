/* test_signals: tend's signal handling and child setup outside a namespace
 * (issue 5): child subreaper, signals that must not kill or stop tend,
 * signals racing the main program's exit, clean stdout, descriptors and
 * signal masks handed to children, exec failures, main-program mode
 * without a usable rundir.
 */
#include "harness.h"
#include "procinfo.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Copy a harness ring-buffer string into a local array: the ring is reused
 * after 16 calls. */
#define KEEP(buf, s) snprintf((buf), sizeof(buf), "%s", (s))

/* ---- probe reports ---- */

/* The value after KEY on its line of a sigprobe report ("" when the line
 * is just KEY), or -1 when there is no such line. */
static int probe_field(const char *path, const char *key, char *out, size_t len)
{
    char buf[1 << 16];
    if (th_read_file(path, buf, sizeof buf) < 0)
        return -1;
    size_t kl = strlen(key);
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(line, key, kl) && (line[kl] == '\0' || line[kl] == ' ')) {
            snprintf(out, len, "%s", line[kl] ? line + kl + 1 : "");
            return 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    return -1;
}

/* A "Key:\tvalue" line of /proc/PID/status, as a number (-1 if missing). */
static long long proc_status_num(pid_t pid, const char *key, int base)
{
    char buf[8192], path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (th_read_file(path, buf, sizeof buf) <= 0)
        return -1;
    char k[64];
    snprintf(k, sizeof k, "\n%s:", key);
    char *p = strstr(buf, k);
    return p ? strtoll(p + strlen(k), NULL, base) : -1;
}

/* Wait until tend blocks or catches SIG (its signal handling is set up), so
 * a signal we send is tend's to handle, not a default action. */
static int wait_handles(pid_t pid, int sig, int timeout_ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    unsigned long long bit = 1ULL << (sig - 1);
    for (;;) {
        long long blk = proc_status_num(pid, "SigBlk", 16);
        long long cgt = proc_status_num(pid, "SigCgt", 16);
        if (blk >= 0 && cgt >= 0 && (((unsigned long long)blk | (unsigned long long)cgt) & bit))
            return 0;
        if (th_now_ms() >= deadline)
            return -1;
        th_nap(1);
    }
}

/* Start `tend -- sigprobe [OPTS...] PROBE` without a config; wait until
 * the probe is ready. PROBE receives the report's path. */
static struct th *start_probe(char *probe, size_t len, const char *const opts[])
{
    struct th *t = th_new(NULL, NULL);
    snprintf(probe, len, "%s/probe", t->dir);
    const char *args[16];
    int n = 0;
    args[n++] = "--";
    args[n++] = th_helper("sigprobe");
    for (const char *const *o = opts; o && *o && n < 13; o++)
        args[n++] = *o;
    args[n++] = probe;
    args[n] = NULL;
    struct th_opts to = { .no_conf = true, .args = args };
    ck_assert_msg(th_spawn(t, &to) == 0, "cannot start tend");
    if (th_wait_file(probe, "ready\n", 5000) != 0) {
        th_dump(t, "probe not ready");
        ck_abort_msg("the main program did not start");
    }
    return t;
}

/* ---- child subreaper ---- */

/* A program double-forks; the grandchild must come back to tend (not to
 * us, though we are a subreaper too) and be reaped when it exits. */
START_TEST(subreaper_adopts_and_reaps)
{
    struct th *t = th_new(NULL, NULL);
    char pids[PATH_MAX];
    KEEP(pids, th_path(t, "pids"));
    const char *args[] = { "--", th_helper("orphaner"), "-n", "1", "-l", "-1", "-w",
                           "-p", pids, NULL };
    struct th_opts o = { .no_conf = true, .args = args };
    ck_assert(th_spawn(t, &o) == 0);
    ck_assert_msg(th_wait_file(pids, "done\n", 5000) == 0, "orphaner did not run");
    char buf[256];
    ck_assert(th_read_file(pids, buf, sizeof buf) > 0);
    pid_t g = (pid_t)atoi(buf);
    ck_assert_msg(g > 1, "bad pid file: %s", buf);

    long long ppid = proc_status_num(g, "PPid", 10);
    ck_assert_msg(ppid == t->pid, "the orphan's parent is %lld, not tend (%d): tend is not a "
                  "child subreaper", ppid, (int)t->pid);

    /* It exits: tend reaps it (we must not: it is not our child). */
    kill(g, SIGTERM);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", (int)g);
    uint64_t deadline = th_now_ms() + 3000;
    while (access(path, F_OK) == 0 && th_now_ms() < deadline)
        th_nap(2);
    ck_assert_msg(access(path, F_OK) != 0, "the orphan %d was not reaped by tend (state %c)",
                  (int)g, proc_state(g));
    ck_assert_msg(!th_exited(t), "tend exited");
    int rc = th_stop(t, SIGTERM, 10000);
    ck_assert_msg(rc == 0, "tend exited %d, want the orphaner's 0", rc);
    th_free(t);
}
END_TEST

/* Orphans that are already zombies when re-parented, 20 of them. */
START_TEST(subreaper_reaps_zombie_orphans)
{
    struct th *t = th_new(NULL, NULL);
    char pids[PATH_MAX];
    KEEP(pids, th_path(t, "pids"));
    const char *args[] = { "--", th_helper("orphaner"), "-n", "20", "-l", "0", "-w",
                           "-p", pids, NULL };
    struct th_opts o = { .no_conf = true, .args = args };
    ck_assert(th_spawn(t, &o) == 0);
    ck_assert_msg(th_wait_file(pids, "done\n", 5000) == 0, "orphaner did not run");
    char buf[4096];
    ck_assert(th_read_file(pids, buf, sizeof buf) > 0);
    uint64_t deadline = th_now_ms() + 3000;
    int left = 0;
    do {
        left = 0;
        for (char *p = buf; *p && strncmp(p, "done", 4);) {
            pid_t g = (pid_t)atoi(p);
            char path[64];
            snprintf(path, sizeof path, "/proc/%d", (int)g);
            if (access(path, F_OK) == 0)
                left++;
            p = strchr(p, '\n');
            if (!p)
                break;
            p++;
        }
        if (left)
            th_nap(5);
    } while (left && th_now_ms() < deadline);
    ck_assert_msg(left == 0, "%d of 20 orphans never reaped", left);
    ck_assert_int_eq(th_stop(t, SIGTERM, 10000), 0);
    th_free(t);
}
END_TEST

/* ---- signals that must not kill or stop tend ---- */

START_TEST(fault_signals_do_not_kill)
{
    if (getenv("TEND_REAL_BIN")) { /* make check-valgrind */
        printf("%s: skipped under valgrind: %s\n", __func__, "valgrind itself dies of a SIGBUS sent with kill");
        return;
    }
    char probe[PATH_MAX];
    struct th *t = start_probe(probe, sizeof probe, NULL);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        ck_assert_int_eq(kill(t->pid, sigs[i]), 0);
        /* A forwarded SIGUSR1 behind it shows tend is alive and working. */
        ck_assert_int_eq(kill(t->pid, SIGUSR1), 0);
        if (wait_sig(probe, SIGUSR1, (int)i + 1, 3000) != 0 || th_exited(t)) {
            th_dump(t, "tend hit by a fault signal");
            ck_abort_msg("after kill(tend, %s) tend %s", strsignal(sigs[i]),
                         th_exited(t) ? "died" : "stopped forwarding signals");
        }
    }
    int rc = th_stop(t, SIGTERM, 10000);
    ck_assert_msg(rc == 128 + SIGTERM, "tend exited %d, want 143", rc);
    th_free(t);
}
END_TEST

START_TEST(tstp_ttou_do_not_stop)
{
    char probe[PATH_MAX];
    struct th *t = start_probe(probe, sizeof probe, NULL);
    static const int sigs[] = { SIGTSTP, SIGTTOU, SIGTTIN };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        ck_assert_int_eq(kill(t->pid, sigs[i]), 0);
        ck_assert_msg(wait_sig(probe, sigs[i], 1, 3000) == 0, "%s not forwarded",
                      strsignal(sigs[i]));
        char st = proc_state(t->pid);
        ck_assert_msg(st != 'T' && st != 't', "tend is stopped (state %c) after %s", st,
                      strsignal(sigs[i]));
        ck_assert_int_eq(kill(t->pid, SIGUSR1), 0);
        ck_assert_msg(wait_sig(probe, SIGUSR1, (int)i + 1, 3000) == 0,
                      "tend stopped working after %s (state %c)", strsignal(sigs[i]),
                      proc_state(t->pid));
    }
    ck_assert_int_eq(th_stop(t, SIGTERM, 10000), 128 + SIGTERM);
    th_free(t);
}
END_TEST

/* Explain a tend that did not survive a signal storm. */
static void flood_diag(struct th *t)
{
    static char buf[1 << 14];
    if (!th_exited(t)) {
        if (th_read_file(th_fmt("/proc/%d/status", (int)t->pid), buf, sizeof buf) > 0)
            fprintf(stderr, "%s", buf);
        if (th_read_file(th_fmt("/proc/%d/stack", (int)t->pid), buf, sizeof buf) > 0)
            fprintf(stderr, "stack:\n%s", buf);
        if (th_read_file(th_fmt("/proc/%d/task/%d/children", (int)t->pid, (int)t->pid), buf,
                         sizeof buf) >= 0)
            fprintf(stderr, "children: %s\n", buf);
        pid_t c = (pid_t)atoi(buf);
        char cst[8192];
        if (c > 0 && th_read_file(th_fmt("/proc/%d/status", (int)c), cst, sizeof cst) > 0)
            fprintf(stderr, "child %d: %.300s\n", (int)c, cst);
        if (c > 0 && th_read_file(th_fmt("/proc/%d/stack", (int)c), cst, sizeof cst) > 0)
            fprintf(stderr, "child stack:\n%s", cst);
    }
    th_dump(t, "tend in a signal storm");
}

/* Forwardable signals keep arriving while the main program exits: tend must
 * neither crash nor report anything but the main program's status. */
START_TEST(signals_racing_main_exit)
{
    /* No SIGCONT in the storm: in a SANITIZE build LeakSanitizer stops tend
     * with SIGSTOP at exit, and a SIGCONT landing then cancels that stop and
     * hangs the leak check forever (an ASan artefact, not tend's doing). */
    static const int spam[] = { SIGUSR1, SIGWINCH, SIGALRM, SIGTTIN, SIGUSR1 };
    /* exitwith keeps default dispositions: only a signal that does not end it. */
    static const int harmless[] = { SIGWINCH, SIGWINCH };
    for (int round = 0; round < 5; round++) {
        char probe[PATH_MAX];
        const char *opts[] = { "-e", "3", NULL };
        struct th *t = start_probe(probe, sizeof probe, opts);
        kill(t->pid, SIGTERM);
        /* Until 100 ms after the main program exited (the storm must stop at
         * some point: LeakSanitizer's exit-time scan in a SANITIZE build
         * cannot finish while signals keep coming). */
        uint64_t deadline = th_now_ms() + 10000, stop = 0;
        unsigned sent = 0;
        while (!th_exited(t) && th_now_ms() < deadline) {
            kill(t->pid, spam[sent++ % 5]);
            if (sent % 64 == 0) {
                th_nap(1);
                if (!stop && th_count_in_file(probe, "exit 3") > 0)
                    stop = th_now_ms() + 100;
                if (stop && th_now_ms() >= stop)
                    break;
            }
        }
        int rc = th_wait_exit(t, 10000);
        if (rc != 3)
            flood_diag(t);
        ck_assert_msg(rc == 3, "round %d: tend exited %d (after %u signals), want 3", round, rc,
                      sent);
        ck_assert_int_eq(sig_count(probe, SIGTERM), 1);
        th_free(t);
    }
    /* The main program exits on its own while signals pour in. */
    for (int round = 0; round < 5; round++) {
        struct th *t = th_new(NULL, NULL);
        const char *args[] = { "--", th_helper("exitwith"), "4", NULL };
        struct th_opts o = { .no_conf = true, .args = args };
        ck_assert(th_spawn(t, &o) == 0);
        if (wait_handles(t->pid, SIGUSR1, 3000) != 0) {
            /* Already gone (no chance to race): its status still counts. */
            ck_assert_int_eq(th_wait_exit(t, 5000), 4);
            th_free(t);
            continue;
        }
        /* 300 ms of storm covers the main program's start and exit. */
        uint64_t stop = th_now_ms() + 300;
        unsigned sent = 0;
        while (!th_exited(t) && th_now_ms() < stop) {
            kill(t->pid, harmless[sent++ % 2]);
            if (sent % 64 == 0)
                th_nap(1); /* a storm, not a lock-out of tend from the CPU */
        }
        int rc = th_wait_exit(t, 10000);
        if (rc != 4)
            flood_diag(t);
        ck_assert_msg(rc == 4, "tend exited %d (after %u signals), want 4", rc, sent);
        th_free(t);
    }
}
END_TEST

/* A burst of signals: nothing hangs, the last SIGTERM still shuts down. */
START_TEST(signal_burst)
{
    char probe[PATH_MAX];
    struct th *t = start_probe(probe, sizeof probe, NULL);
    for (int i = 0; i < 2000; i++)
        kill(t->pid, i % 2 ? SIGUSR1 : SIGWINCH);
    int rt = SIGRTMIN + 1;
    for (int i = 0; i < 100; i++)
        kill(t->pid, rt);
    ck_assert_msg(wait_sig(probe, rt, 1, 5000) == 0, "no real-time signal forwarded");
    ck_assert_msg(sig_count(probe, SIGUSR1) >= 1 && sig_count(probe, SIGWINCH) >= 1,
                  "burst signals not forwarded");
    printf("signal_burst: main got %d USR1, %d WINCH, %d of 100 SIGRTMIN+1\n",
           sig_count(probe, SIGUSR1), sig_count(probe, SIGWINCH), sig_count(probe, rt));
    ck_assert_int_eq(th_stop(t, SIGTERM, 10000), 128 + SIGTERM);
    th_free(t);
}
END_TEST

/* ---- a terminal ---- */

/* Start tend with ARGV as the session leader of a new pseudo-terminal, in
 * its foreground, as an interactive shell would. Returns tend's pid; *MASTER
 * is the terminal's other side (writing "\x03" there is Ctrl-C). */
static pid_t spawn_on_pty(struct th *t, const char *const argv[], int *master)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ck_assert_int_ge(m, 0);
    ck_assert_int_eq(grantpt(m), 0);
    ck_assert_int_eq(unlockpt(m), 0);
    char slave[128];
    ck_assert_int_eq(ptsname_r(m, slave, sizeof slave), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setsid();
        int fd = open(slave, O_RDWR); /* our controlling terminal now */
        if (fd < 0)
            _exit(126);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
        setenv("TEND_TEST_MARK", t->mark, 1); /* the harness watchdog's mark */
        execv(th_tend_bin(), (char *const *)argv);
        _exit(127);
    }
    *master = m;
    return pid;
}

/* tend's exit status (as a shell gives it) within TIMEOUT_MS, or -1. */
static int wait_pid_exit(pid_t pid, int timeout_ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (th_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        th_nap(5);
    }
}

/* tend -- CMD on a terminal hands it the foreground (tcsetpgrp), like tini:
 * Ctrl-C then reaches the command, and tend exits with its status. */
START_TEST(tty_main_program_gets_foreground)
{
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX], v[64];
    snprintf(probe, sizeof probe, "%s/probe", t->dir);
    const char *argv[] = { "tend", "--", th_helper("sigprobe"), probe, NULL };
    int m;
    pid_t tend = spawn_on_pty(t, argv, &m);
    ck_assert_msg(th_wait_file(probe, "ready\n", 5000) == 0, "main program not ready");
    ck_assert_int_eq(probe_field(probe, "pid", v, sizeof v), 0);
    pid_t main_pid = (pid_t)atoi(v);
    long pgid = proc_stat_field(main_pid, 5), tpgid = proc_stat_field(main_pid, 8);
    ck_assert_int_eq(pgid, main_pid);          /* its own process group */
    ck_assert_int_eq(tpgid, pgid);             /* ... in the terminal's foreground */
    ck_assert_int_ne(proc_stat_field(tend, 5), pgid);
    ck_assert_int_eq(write(m, "\x03", 1), 1); /* Ctrl-C */
    ck_assert_msg(wait_sig(probe, SIGINT, 1, 5000) == 0, "Ctrl-C did not reach the program");
    ck_assert_int_eq(wait_pid_exit(tend, 10000), 128 + SIGINT);
    close(m);
    th_free(t);
}
END_TEST

/* Without a main program tend keeps the terminal: Ctrl-C reaches tend only
 * (its programs are in their own process groups) and is an orderly
 * shutdown: each program gets its stopsignal, tend exits 0. */
START_TEST(tty_ctrl_c_is_orderly_shutdown)
{
    struct th *t = th_new(NULL, "[program:p]\ncommand = %s %s/probe\nstartsecs = 0\n",
                          th_helper("sigprobe"), "@DIR@");
    char probe[PATH_MAX], conf[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/probe", t->dir);
    snprintf(conf, sizeof conf, "%s", t->conf);
    const char *argv[] = { "tend", "-c", conf, NULL };
    int m;
    pid_t tend = spawn_on_pty(t, argv, &m);
    ck_assert_msg(th_wait_file(probe, "ready\n", 5000) == 0, "program not ready");
    ck_assert_int_eq(wait_handles(tend, SIGINT, 5000), 0);
    ck_assert_int_eq(proc_stat_field(tend, 8), proc_stat_field(tend, 5)); /* tend is foreground */
    ck_assert_int_eq(write(m, "\x03", 1), 1);
    ck_assert_int_eq(wait_pid_exit(tend, 10000), 0);
    ck_assert_int_eq(sig_count(probe, SIGTERM), 1);
    ck_assert_int_eq(sig_count(probe, SIGINT), 0);
    close(m);
    th_free(t);
}
END_TEST

/* tend -- CMD without a config has nothing to reload: SIGHUP goes to the
 * command, as with tini, and tend keeps running. */
START_TEST(sighup_forwarded_without_config)
{
    char probe[PATH_MAX];
    struct th *t = start_probe(probe, sizeof probe, NULL);
    ck_assert_int_eq(wait_handles(t->pid, SIGHUP, 5000), 0);
    ck_assert_int_eq(kill(t->pid, SIGHUP), 0);
    ck_assert_msg(wait_sig(probe, SIGHUP, 1, 5000) == 0, "SIGHUP not forwarded");
    ck_assert(th_pid_alive(t->pid));
    ck_assert_int_eq(th_stop(t, SIGTERM, 10000), 128 + SIGTERM);
    th_free(t);
}
END_TEST

/* main = true with stopwaitsecs: the main program ignores the forwarded
 * SIGTERM, gets SIGKILL after stopwaitsecs, tend exits 137. */
START_TEST(main_ignoring_term_is_killed)
{
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX];
    KEEP(probe, th_path(t, "probe"));
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\nrundir = %s\n\n[program:m]\n"
                                   "command = %s -i %s\nmain = true\nstopwaitsecs = 1\n"
                                   "startsecs = 0\n",
                                   t->rundir, th_q(th_helper("sigprobe")), th_q(probe)),
                     0);
    ck_assert(th_spawn(t, NULL) == 0);
    ck_assert_msg(th_wait_file(probe, "ready\n", 5000) == 0, "main program not started");
    uint64_t t0 = th_now_ms();
    int rc = th_stop(t, SIGTERM, 10000);
    uint64_t took = th_now_ms() - t0;
    ck_assert_msg(rc == 128 + SIGKILL, "tend exited %d, want 137", rc);
    ck_assert_msg(sig_count(probe, SIGTERM) == 1, "the main program did not get SIGTERM");
    ck_assert_msg(took >= 900, "SIGKILL came after %llu ms, before stopwaitsecs = 1",
                  (unsigned long long)took);
    th_free(t);
}
END_TEST

/* ---- what children get ---- */

START_TEST(stdout_is_the_programs)
{
    struct th *t = th_new(NULL, NULL);
    const char *args[] = { "-v", "--", "/bin/sh", "-c",
                           "printf 'alpha\\nbeta\\n'; printf gamma; echo oops >&2", NULL };
    struct th_opts o = { .no_conf = true, .args = args };
    ck_assert(th_spawn(t, &o) == 0);
    ck_assert_int_eq(th_wait_exit(t, 10000), 0);
    char out[4096], err[1 << 16];
    ck_assert(th_read_file(t->outlog, out, sizeof out) >= 0);
    ck_assert_msg(strcmp(out, "alpha\nbeta\ngamma") == 0,
                  "tend's stdout is not exactly the main program's: \"%s\"", out);
    ck_assert(th_read_file(t->errlog, err, sizeof err) >= 0);
    ck_assert_msg(strstr(err, "oops\n") != NULL, "the main program's stderr was lost");
    th_free(t);
}
END_TEST

START_TEST(inherited_fds_not_passed)
{
    struct th *t = th_new(NULL, NULL);
    char pm[PATH_MAX], px[PATH_MAX], sp[PATH_MAX];
    KEEP(pm, th_path(t, "main"));
    KEEP(px, th_path(t, "x"));
    KEEP(sp, th_helper("sigprobe"));
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\nrundir = %s\n\n[program:x]\ncommand = %s %s\n"
                                   "startsecs = 0\n",
                                   t->rundir, th_q(sp), th_q(px)),
                     0);
    /* tend inherits fds 3, 4 and 5 without FD_CLOEXEC */
    const char *args[] = { "--", sp, pm, NULL };
    struct th_opts o = { .args = args, .inherit_fds = 3 };
    ck_assert_int_eq(th_spawn(t, &o), 0);
    if (th_wait_file(pm, "ready\n", 5000) != 0 || th_wait_file(px, "ready\n", 5000) != 0) {
        th_dump(t, "programs not started");
        ck_abort_msg("the programs did not start");
    }
    char fds[256];
    ck_assert_int_eq(probe_field(pm, "fds", fds, sizeof fds), 0);
    ck_assert_msg(strcmp(fds, "0 1 2") == 0, "main program started with fds %s", fds);
    ck_assert_int_eq(probe_field(px, "fds", fds, sizeof fds), 0);
    ck_assert_msg(strcmp(fds, "0 1 2") == 0, "program x started with fds %s", fds);
    ck_assert_int_eq(th_stop(t, SIGTERM, 10000), 128 + SIGTERM);
    th_free(t);
}
END_TEST

/* tini's rule: `tend -- CMD` hands CMD the mask and ignored set tend was
 * started with; [program:x] children get an empty mask, default handlers. */
START_TEST(sigmask_rules)
{
    if (getenv("TEND_REAL_BIN")) { /* make check-valgrind */
        printf("%s: skipped under valgrind: %s\n", __func__, "valgrind changes the mask a program starts with");
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        struct th *t = th_new(NULL, NULL);
        char pm[PATH_MAX], px[PATH_MAX], sp[PATH_MAX];
        KEEP(pm, th_path(t, "main"));
        KEEP(px, th_path(t, "x"));
        KEEP(sp, th_helper("sigprobe"));
        ck_assert_int_eq(th_write_file(t->conf, false,
                                       "[supervisor]\nrundir = %s\n\n[program:x]\n"
                                       "command = %s %s\nstartsecs = 0\n",
                                       t->rundir, th_q(sp), th_q(px)),
                         0);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGUSR1);
        sigaddset(&mask, SIGALRM);
        static const int ignore[] = { SIGHUP, SIGPIPE, 0 };
        const char *args[] = { "--", sp, pm, NULL };
        struct th_opts o = { .args = args };
        if (pass == 1) {
            o.sigmask = &mask;
            o.ignore = ignore;
        }
        ck_assert(th_spawn(t, &o) == 0);
        ck_assert_msg(th_wait_file(pm, "ready\n", 5000) == 0, "main program not started");
        ck_assert_msg(th_wait_file(px, "ready\n", 5000) == 0, "program x not started");
        char v[256];
        ck_assert_int_eq(probe_field(pm, "mask", v, sizeof v), 0);
        ck_assert_msg(strcmp(v, pass ? "10 14" : "") == 0,
                      "main program's initial mask is \"%s\", want \"%s\"", v,
                      pass ? "10 14" : "");
        ck_assert_int_eq(probe_field(pm, "ignored", v, sizeof v), 0);
        ck_assert_msg(strcmp(v, pass ? "1 13" : "") == 0,
                      "main program's ignored set is \"%s\", want \"%s\"", v, pass ? "1 13" : "");
        ck_assert_int_eq(probe_field(px, "mask", v, sizeof v), 0);
        ck_assert_msg(strcmp(v, "") == 0, "program x's initial mask is \"%s\", want none", v);
        ck_assert_int_eq(probe_field(px, "ignored", v, sizeof v), 0);
        ck_assert_msg(strcmp(v, "") == 0, "program x's ignored set is \"%s\", want none", v);
        ck_assert_int_eq(th_stop(t, SIGTERM, 10000), 128 + SIGTERM);
        th_free(t);
    }
}
END_TEST

/* ---- exec failures ---- */

static void exec_failure(const char *cmd, int want)
{
    struct th *t = th_new(NULL, NULL);
    const char *args[] = { "--", cmd, NULL };
    struct th_opts o = { .no_conf = true, .args = args };
    ck_assert(th_spawn(t, &o) == 0);
    int rc = th_wait_exit(t, 10000);
    char err[1 << 16];
    ck_assert(th_read_file(t->errlog, err, sizeof err) >= 0);
    ck_assert_msg(rc == want, "tend -- %s exited %d, want %d", cmd, rc, want);
    ck_assert_msg(strstr(err, cmd) != NULL, "no message naming %s: %s", cmd, err);
    th_free(t);
}

START_TEST(exec_not_found_127)
{
    exec_failure("/nonexistent/tend-test-program", 127);
    exec_failure("tend-test-no-such-command", 127);
}
END_TEST

START_TEST(exec_not_executable_126)
{
    char dir[] = "/tmp/tend-sig-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/not-executable", dir);
    ck_assert_int_eq(th_write_file(file, false, "#!/bin/sh\nexit 0\n"), 0);
    exec_failure(file, 126);
    exec_failure(dir, 126); /* a directory: EACCES too */
    unlink(file);
    rmdir(dir);
}
END_TEST

/* ---- main-program mode without a usable rundir ---- */

/* A SANITIZE build logs reports under build/.../sanitizer, which nobody
 * cannot write (and the sanitizer runtime then refuses to start). Point
 * log_path of VAR (ASAN_OPTIONS or UBSAN_OPTIONS) into DIR instead: "VAR=..."
 * in OUT, or OUT empty when VAR names no log_path. */
static void sanitizer_env(const char *var, const char *dir, char *out, size_t len)
{
    out[0] = '\0';
    const char *v = getenv(var);
    const char *lp = v ? strstr(v, "log_path=") : NULL;
    if (!lp)
        return;
    const char *rest = strchr(lp, ':');
    snprintf(out, len, "%s=%.*slog_path=%s/%s%s", var, (int)(lp - v), v, dir,
             var[0] == 'A' ? "asan" : "ubsan", rest ? rest : "");
}

/* Fail with the reports if a sanitizer wrote any into DIR. */
static void check_sanitizer_dir(const char *dir)
{
    static char report[1 << 14];
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        th_read_file(path, report, sizeof report);
        closedir(d);
        ck_abort_msg("sanitizer report from tend run as nobody (%s):\n%s", path, report);
    }
    closedir(d);
}

/* A folder in T's (made traversable) folder that nobody can write. */
static void nobody_dir(struct th *t, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", t->dir, name);
    ck_assert_int_eq(chmod(t->dir, 0711), 0);
    ck_assert_msg(mkdir(out, 0700) == 0, "mkdir %s: %s", out, strerror(errno));
    if (geteuid() == 0)
        ck_assert_int_eq(chown(out, 65534, 65534), 0);
}

START_TEST(no_config_unusable_rundir)
{
    if (getenv("TEND_REAL_BIN")) { /* make check-valgrind */
        printf("%s: skipped under valgrind: %s\n", __func__, "tend runs as nobody, who cannot write valgrind's log folder");
        return;
    }
    struct th *t = th_new(NULL, NULL);
    char san[PATH_MAX], asan[PATH_MAX * 2], ubsan[PATH_MAX * 2];
    nobody_dir(t, "san", san, sizeof san);
    sanitizer_env("ASAN_OPTIONS", san, asan, sizeof asan);
    sanitizer_env("UBSAN_OPTIONS", san, ubsan, sizeof ubsan);
    const char *env[] = { "TEND_CONFIG", "HOME=/proc/tend-test-nonexistent",
                          "XDG_RUNTIME_DIR=/proc/tend-test-nonexistent",
                          asan[0] ? asan : "TEND_TEST_UNUSED", ubsan[0] ? ubsan : "TEND_TEST_UNUSED",
                          NULL };
    const char *args[] = { "--", th_helper("exitwith"), "7", NULL };
    struct th_opts o = { .no_conf = true, .args = args, .as_nobody = true, .env = env };
    ck_assert_int_eq(th_spawn(t, &o), 0);
    int rc = th_wait_exit(t, 10000);
    if (rc != 7)
        th_dump(t, "tend -- cmd failed without a rundir");
    ck_assert_msg(rc == 7, "tend -- exitwith 7 (rundir unusable) exited %d", rc);
    check_sanitizer_dir(san);
    th_free(t);
}
END_TEST

START_TEST(no_config_rundir_locked)
{
    if (getenv("TEND_REAL_BIN")) { /* make check-valgrind */
        printf("%s: skipped under valgrind: %s\n", __func__, "tend runs as nobody, who cannot write valgrind's log folder");
        return;
    }
    if (geteuid() != 0) {
        printf("SKIP no_config_rundir_locked: needs root to run tend as nobody\n");
        return;
    }
    /* As nobody, the default rundir is $XDG_RUNTIME_DIR/tend-65534: a
     * private one here, not the machine's /run/tend. */
    struct th *a = th_new(NULL, NULL);
    struct th *b = th_new(NULL, NULL);
    char xdg[PATH_MAX], work[PATH_MAX], san[PATH_MAX], probe[PATH_MAX + 16],
        lock[PATH_MAX + 32];
    nobody_dir(a, "xdg", xdg, sizeof xdg);
    nobody_dir(a, "work", work, sizeof work);
    nobody_dir(a, "san", san, sizeof san);
    snprintf(probe, sizeof probe, "%s/probe", work);
    snprintf(lock, sizeof lock, "%s/tend-65534/lock", xdg);
    char xdgenv[PATH_MAX + 32], asan[PATH_MAX * 2], ubsan[PATH_MAX * 2];
    snprintf(xdgenv, sizeof xdgenv, "XDG_RUNTIME_DIR=%s", xdg);
    sanitizer_env("ASAN_OPTIONS", san, asan, sizeof asan);
    sanitizer_env("UBSAN_OPTIONS", san, ubsan, sizeof ubsan);
    const char *env[] = { "TEND_CONFIG", "HOME=/proc/tend-test-nonexistent", xdgenv,
                          asan[0] ? asan : "TEND_TEST_UNUSED", ubsan[0] ? ubsan : "TEND_TEST_UNUSED",
                          NULL };
    const char *args_a[] = { "--", th_helper("sigprobe"), probe, NULL };
    struct th_opts o = { .no_conf = true, .args = args_a, .as_nobody = true, .env = env };
    ck_assert_int_eq(th_spawn(a, &o), 0);
    if (th_wait_file(probe, "ready\n", 5000) != 0) {
        th_dump(a, "first tend");
        ck_abort_msg("first tend's main program did not start");
    }
    ck_assert_msg(th_wait_file(lock, NULL, 3000) == 0, "first tend made no %s", lock);

    const char *args_b[] = { "--", th_helper("exitwith"), "7", NULL };
    o.args = args_b;
    ck_assert_int_eq(th_spawn(b, &o), 0);
    int rc = th_wait_exit(b, 10000);
    if (rc != 7)
        th_dump(b, "second tend");
    ck_assert_msg(rc == 7, "tend -- exitwith 7 (rundir locked by another tend) exited %d", rc);
    ck_assert_msg(!th_exited(a), "the first tend exited");
    ck_assert_int_eq(th_stop(a, SIGTERM, 10000), 128 + SIGTERM);
    check_sanitizer_dir(san);
    th_free(b);
    th_free(a);
}
END_TEST

START_TEST(dashdash_with_main_true_is_error)
{
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX];
    KEEP(probe, th_path(t, "probe"));
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\nrundir = %s\n\n[program:m]\n"
                                   "command = %s %s\nmain = true\n",
                                   t->rundir, th_q(th_helper("sigprobe")), th_q(probe)),
                     0);
    const char *args[] = { "--", th_helper("sigprobe"), probe, NULL };
    struct th_opts o = { .args = args };
    ck_assert(th_spawn(t, &o) == 0);
    int rc = th_wait_exit(t, 10000);
    ck_assert_msg(rc == 2, "-- with a main = true program: exit %d, want 2", rc);
    ck_assert_msg(access(probe, F_OK) != 0, "a program was started anyway");
    char err[4096];
    ck_assert_msg(th_read_file(t->errlog, err, sizeof err) > 0, "no error message");
    th_free(t);
}
END_TEST

static Suite *signals_suite(void)
{
    Suite *s = suite_create("signals");
    TCase *tc = tcase_create("subreaper");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, subreaper_adopts_and_reaps);
    tcase_add_test(tc, subreaper_reaps_zombie_orphans);
    suite_add_tcase(s, tc);

    tc = tcase_create("robust");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fault_signals_do_not_kill);
    tcase_add_test(tc, tstp_ttou_do_not_stop);
    tcase_add_test(tc, signals_racing_main_exit);
    tcase_add_test(tc, signal_burst);
    tcase_add_test(tc, sighup_forwarded_without_config);
    tcase_add_test(tc, tty_main_program_gets_foreground);
    tcase_add_test(tc, tty_ctrl_c_is_orderly_shutdown);
    tcase_add_test(tc, main_ignoring_term_is_killed);
    suite_add_tcase(s, tc);

    tc = tcase_create("children");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, stdout_is_the_programs);
    tcase_add_test(tc, inherited_fds_not_passed);
    tcase_add_test(tc, sigmask_rules);
    tcase_add_test(tc, exec_not_found_127);
    tcase_add_test(tc, exec_not_executable_126);
    suite_add_tcase(s, tc);

    tc = tcase_create("mainmode");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, no_config_unusable_rundir);
    tcase_add_test(tc, no_config_rundir_locked);
    tcase_add_test(tc, dashdash_with_main_true_is_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(signals_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
