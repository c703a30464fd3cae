/* test_pid1: tend as the init of a PID namespace (issue 5).
 *
 * Each tend here is cloned straight into a new PID and mount namespace
 * (clone(CLONE_NEWPID|CLONE_NEWNS), the equivalent of
 * `unshare --pid --fork --mount-proc`): it is PID 1 there, with its own
 * /proc. Seen from the test it is an ordinary child with its outer pid, so
 * signals sent to t->pid come "from the host", like `docker kill`. The test
 * process keeps its own namespaces (the harness can still fork), and tend
 * gets PDEATHSIG=SIGKILL so a dying test takes the whole namespace with it.
 * Where namespaces are not permitted every test prints why and skips.
 */
#include "harness.h"
#include "procinfo.h"

#include <check.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- starting tend as PID 1 ---- */

/* Why namespaces cannot be used here, or NULL. Set by ns_spawn. */
static char skip_reason[256];

#define SKIP_IF_NO_NS(t)                                                              \
    do {                                                                              \
        if (skip_reason[0]) {                                                         \
            printf("SKIP %s: %s\n", __func__, skip_reason);                           \
            th_free(t);                                                               \
            return;                                                                   \
        }                                                                             \
    } while (0)

/* The environment for tend: ours, minus what would redirect it, plus the
 * harness mark (so the watchdog finds everything we started). Built before
 * cloning: the child only calls async-signal-safe functions. */
static char **tend_env(const struct th *t)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    ck_assert_ptr_nonnull(env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "TEND_CONFIG=", 12) || !strncmp(environ[i], "TEND_CONTROL=", 13) ||
            !strncmp(environ[i], "NOTIFY_SOCKET=", 14) || !strncmp(environ[i], "TEND_TEST_MARK=", 15))
            continue;
        env[k++] = environ[i];
    }
    /* Not th_fmt: its ring buffers hold the caller's argv strings. */
    ck_assert(asprintf(&env[k++], "TEND_TEST_MARK=%s", t->mark) > 0);
    env[k] = NULL;
    return env;
}

/* Free what tend_env allocated: the array and the mark (its last entry);
 * the other entries belong to environ. */
static void free_env(char **env)
{
    size_t n = 0;
    while (env[n])
        n++;
    if (n)
        free(env[n - 1]);
    free(env);
}

/* Start argv (argv[0] a path) as PID 1 of new PID and mount namespaces,
 * stdout/stderr appended to t->outlog / t->errlog. Records the pid in T so
 * th_wait_exit / th_stop / th_free work. 0, or -1 with skip_reason set
 * (namespaces not permitted) or a failed assertion. */
static int ns_spawn_in(struct th *t, const char *const argv[], const char *root)
{
    char **env = tend_env(t);
    int out = open(t->outlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int err = open(t->errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ck_assert_msg(out >= 0 && err >= 0, "cannot open %s: %s", t->outlog, strerror(errno));
    /* Raw clone: fork semantics (same stack, copy on write), but the child
     * is born in the new namespaces while we stay in ours. */
    long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWPID | CLONE_NEWNS | SIGCHLD), NULL,
                       NULL, NULL, NULL);
    if (pid == 0) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
            dprintf(err, "test: mount /proc: %s\n", strerror(errno));
            _exit(120);
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(121);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        if (root) { /* an image with nothing but what the test put there */
            char proc[PATH_MAX];
            snprintf(proc, sizeof proc, "%s/proc", root);
            if ((mkdir(proc, 0555) != 0 && errno != EEXIST) ||
                mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0 ||
                chroot(root) != 0 || chdir("/") != 0) {
                dprintf(2, "test: chroot %s: %s\n", root, strerror(errno));
                _exit(122);
            }
        }
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP)
                signal(s, SIG_DFL);
        }
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl); /* SIGQUIT tests: no core files */
        execve(argv[0], (char *const *)argv, env);
        dprintf(2, "test: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int saved = errno;
    close(out);
    close(err);
    free_env(env);
    if (pid < 0) {
        if (saved == EPERM || saved == EINVAL || saved == ENOSPC || saved == EUSERS ||
            saved == ENOSYS) {
            snprintf(skip_reason, sizeof skip_reason,
                     "cannot create a PID namespace here (clone: %s)", strerror(saved));
            return -1;
        }
        ck_abort_msg("clone: %s", strerror(saved));
    }
    t->pid = (pid_t)pid;
    t->exited = false;
    t->wstatus = 0;
    return 0;
}

static int ns_spawn(struct th *t, const char *const argv[])
{
    return ns_spawn_in(t, argv, NULL);
}

/* Copy a harness ring-buffer string into a local array: the ring is reused
 * after 16 calls. */
#define KEEP(buf, s) snprintf((buf), sizeof(buf), "%s", (s))

/* ---- looking at the namespace from outside ---- */

static int read_link(pid_t pid, const char *what, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
    ssize_t n = readlink(path, buf, len - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* State letter of PID ('?' if gone). */
/* Count the processes in the PID namespace of NSPID (tend), and how many
 * of them are zombies. Fills LIST with "pid:state " for messages. */
static int ns_census(pid_t nspid, int *zombies, char *list, size_t len)
{
    char ns[128], other[128];
    *zombies = 0;
    if (list && len)
        list[0] = '\0';
    if (read_link(nspid, "ns/pid", ns, sizeof ns) != 0)
        return -1;
    DIR *d = opendir("/proc");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 0)
            continue;
        if (read_link((pid_t)v, "ns/pid", other, sizeof other) != 0 || strcmp(ns, other))
            continue;
        char st = proc_state((pid_t)v);
        if (st == '?')
            continue;
        n++;
        if (st == 'Z')
            (*zombies)++;
        if (list) {
            size_t used = strlen(list);
            snprintf(list + used, len - used, "%ld:%c ", v, st);
        }
    }
    closedir(d);
    return n;
}

/* Monotonic ns at which the probe recorded SIG (first time), or -1. */
static long long probe_sig_time(const char *path, int sig)
{
    char buf[1 << 16], key[32];
    if (th_read_file(path, buf, sizeof buf) < 0)
        return -1;
    snprintf(key, sizeof key, "\nsig %d ", sig);
    char *p = strstr(buf, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* ---- exit status ---- */

START_TEST(pid1_exit_codes)
{
    if (getenv("TEND_REAL_BIN")) { /* make check-valgrind */
        printf("%s: skipped under valgrind: %s\n", __func__, "256 runs of tend are too slow under valgrind");
        return;
    }
    struct th *t = th_new(NULL, NULL);
    char ew[PATH_MAX];
    KEEP(ew, th_helper("exitwith"));
    uint64_t t0 = th_now_ms();
    for (int code = 0; code <= 255; code++) {
        char num[8];
        snprintf(num, sizeof num, "%d", code);
        const char *argv[] = { th_tend_bin(), "--", ew, num, NULL };
        if (ns_spawn(t, argv) != 0)
            break;
        int rc = th_wait_exit(t, 5000);
        if (rc != code)
            th_dump(t, "wrong exit status");
        ck_assert_msg(rc == code, "tend -- exitwith %d as PID 1 exited %d", code, rc);
    }
    SKIP_IF_NO_NS(t);
    printf("pid1_exit_codes: 256 runs in %llu ms\n", (unsigned long long)(th_now_ms() - t0));
    th_free(t);
}
END_TEST

START_TEST(pid1_killed_by_signal)
{
    static const int sigs[] = { SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGSEGV, SIGABRT };
    struct th *t = th_new(NULL, NULL);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char num[8];
        snprintf(num, sizeof num, "%d", sigs[i]);
        const char *argv[] = { th_tend_bin(), "--", th_helper("exitwith"), "3", num, NULL };
        if (ns_spawn(t, argv) != 0)
            break;
        int rc = th_wait_exit(t, 5000);
        if (rc != 128 + sigs[i])
            th_dump(t, "wrong exit status");
        ck_assert_msg(rc == 128 + sigs[i], "main killed by signal %d: tend exited %d, want %d",
                      sigs[i], rc, 128 + sigs[i]);
    }
    SKIP_IF_NO_NS(t);
    th_free(t);
}
END_TEST

/* ---- signals forwarded to the main program ---- */

START_TEST(pid1_forwards_signals)
{
    if (getenv("TEND_REAL_BIN")) { /* make check-valgrind */
        printf("%s: skipped under valgrind: %s\n", __func__, "valgrind keeps signal 64 for itself");
        return;
    }
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX], sp[PATH_MAX];
    KEEP(probe, th_path(t, "probe"));
    KEEP(sp, th_helper("sigprobe"));
    const char *argv[] = { th_tend_bin(), "--", sp, probe, NULL };
    ns_spawn(t, argv);
    SKIP_IF_NO_NS(t);
    ck_assert_msg(th_wait_file(probe, "ready\n", 5000) == 0, "the main program did not start");

    int sigs[64], n = 0;
    sigs[n++] = SIGUSR1;
    sigs[n++] = SIGWINCH;
    sigs[n++] = SIGCONT;
    sigs[n++] = SIGTTIN;
    sigs[n++] = SIGTTOU;
    sigs[n++] = SIGTSTP;
    sigs[n++] = SIGALRM;
    /* Every real-time signal: 32 and 33 (glibc's own) too, since a program
     * built with another C library may use them, and 34, which musl keeps
     * and glibc programs know as SIGRTMIN. */
    for (int s = 32; s <= SIGRTMAX; s++)
        sigs[n++] = s;
    /* One at a time, each waited for: standard signals sent together could
     * legitimately coalesce. */
    char missing[512] = "";
    for (int i = 0; i < n; i++) {
        ck_assert_msg(kill(t->pid, sigs[i]) == 0, "kill: %s", strerror(errno));
        if (wait_sig(probe, sigs[i], 1, 2000) != 0) {
            size_t used = strlen(missing);
            snprintf(missing + used, sizeof missing - used, " %d", sigs[i]);
        }
        ck_assert_msg(!th_exited(t), "tend exited after signal %d", sigs[i]);
    }
    if (missing[0])
        th_dump(t, "signals not forwarded");
    ck_assert_msg(!missing[0], "signals sent to tend (PID 1) that never reached the main "
                               "program:%s", missing);
    for (int i = 0; i < n; i++)
        ck_assert_msg(sig_count(probe, sigs[i]) == 1, "signal %d reached the main program %d times",
                      sigs[i], sig_count(probe, sigs[i]));

    /* Without a config there is no log file to reopen: SIGUSR2 is the
     * command's too (tini), and so is a SIGPIPE someone sends. */
    kill(t->pid, SIGUSR2);
    ck_assert_msg(wait_sig(probe, SIGUSR2, 1, 3000) == 0, "SIGUSR2 not forwarded");
    kill(t->pid, SIGPIPE);
    ck_assert_msg(wait_sig(probe, SIGPIPE, 1, 3000) == 0, "a sent SIGPIPE not forwarded");

    int rc = th_stop(t, SIGTERM, 10000);
    ck_assert_msg(rc == 128 + SIGTERM, "after SIGTERM tend exited %d, want 143", rc);
    ck_assert_int_eq(sig_count(probe, SIGTERM), 1);
    th_free(t);
}
END_TEST

/* SIGTERM/SIGINT/SIGQUIT: the same signal goes to the main program, tend
 * waits for it and exits with its status. */
static void term_case(int sig, const char *code, int want)
{
    struct th *t = th_new(NULL, NULL);
    char probe[PATH_MAX], sp[PATH_MAX];
    KEEP(probe, th_path(t, "probe"));
    KEEP(sp, th_helper("sigprobe"));
    const char *with_code[] = { th_tend_bin(), "--", sp, "-d", "300", "-e", code, probe, NULL };
    const char *by_signal[] = { th_tend_bin(), "--", sp, "-d", "300", probe, NULL };
    ns_spawn(t, code ? with_code : by_signal);
    SKIP_IF_NO_NS(t);
    ck_assert_msg(th_wait_file(probe, "ready\n", 5000) == 0, "the main program did not start");
    uint64_t t0 = th_now_ms();
    kill(t->pid, sig);
    int rc = th_wait_exit(t, 10000);
    uint64_t took = th_now_ms() - t0;
    if (rc != want)
        th_dump(t, "wrong exit status");
    ck_assert_msg(rc == want, "signal %d to tend: exit %d, want %d", sig, rc, want);
    ck_assert_msg(sig_count(probe, sig) == 1, "the main program did not get signal %d", sig);
    for (int other = 1; other < 32; other++) {
        if (other != sig)
            ck_assert_msg(sig_count(probe, other) == 0,
                          "the main program got signal %d besides %d", other, sig);
    }
    ck_assert_msg(took >= 250, "tend exited %llu ms after the signal, before its main program",
                  (unsigned long long)took);
    th_free(t);
}

START_TEST(pid1_term_forwarded)
{
    term_case(SIGTERM, "7", 7);
}
END_TEST

START_TEST(pid1_int_forwarded)
{
    term_case(SIGINT, NULL, 128 + SIGINT);
}
END_TEST

START_TEST(pid1_quit_forwarded)
{
    term_case(SIGQUIT, "0", 0);
    term_case(SIGQUIT, NULL, 128 + SIGQUIT);
}
END_TEST

/* ---- reaping and cleanup ---- */

START_TEST(pid1_reaps_orphans)
{
    struct th *t = th_new(NULL, NULL);
    char p1[PATH_MAX], p2[PATH_MAX];
    KEEP(p1, th_path(t, "pids1"));
    KEEP(p2, th_path(t, "pids2"));
    /* 25 orphans that die at once (zombies re-parented to PID 1), then 25
     * that die after 100 ms as children of PID 1; the last orphaner stays. */
    const char *script = th_fmt("%s -n 25 -l 0 -p %s && exec %s -n 25 -l 100 -w -p %s",
                                th_helper("orphaner"), p1, th_helper("orphaner"), p2);
    const char *argv[] = { th_tend_bin(), "--", "/bin/sh", "-c", script, NULL };
    ns_spawn(t, argv);
    SKIP_IF_NO_NS(t);
    ck_assert_msg(th_wait_file(p2, "done\n", 5000) == 0, "the orphaners did not run");
    ck_assert_int_eq(th_count_in_file(p1, "\n"), 26);
    ck_assert_int_eq(th_count_in_file(p2, "\n"), 26);

    /* Left in the namespace: tend and the orphaner, nothing else, no zombie. */
    char list[4096];
    int n = 0, zombies = 0;
    uint64_t deadline = th_now_ms() + 5000;
    for (;;) {
        n = ns_census(t->pid, &zombies, list, sizeof list);
        if ((n == 2 && zombies == 0) || th_now_ms() >= deadline)
            break;
        th_nap(10);
    }
    if (n != 2 || zombies)
        th_dump(t, "orphans not reaped");
    ck_assert_msg(n == 2 && zombies == 0,
                  "namespace still holds %d processes, %d zombies (pid:state: %s)", n, zombies,
                  list);
    int rc = th_stop(t, SIGTERM, 10000);
    ck_assert_msg(rc == 0, "tend exited %d, want the orphaner's 0", rc);
    th_free(t);
}
END_TEST

START_TEST(pid1_kills_leftovers)
{
    struct th *t = th_new(NULL, NULL);
    char pa[PATH_MAX], pb[PATH_MAX], term[PATH_MAX];
    KEEP(pa, th_path(t, "pids-a"));
    KEEP(pb, th_path(t, "pids-b"));
    KEEP(term, th_path(t, "term"));
    /* Grandchildren in their own sessions (out of reach of a process-group
     * kill): 4 that leave on SIGTERM, 2 that ignore it. The main program
     * exits 0 right away, so tend shuts down with them still there. */
    const char *script =
        th_fmt("%s -n 2 -l -1 -S -i -t %s -p %s && exec %s -n 4 -l -1 -S -t %s -p %s",
               th_helper("orphaner"), term, pb, th_helper("orphaner"), term, pa);
    const char *argv[] = { th_tend_bin(), "--", "/bin/sh", "-c", script, NULL };
    ns_spawn(t, argv);
    SKIP_IF_NO_NS(t);
    int rc = th_wait_exit(t, 30000);
    if (rc != 0)
        th_dump(t, "tend did not exit after its main program");
    ck_assert_msg(rc == 0, "tend exited %d, want the main program's 0", rc);
    ck_assert_int_eq(th_count_in_file(pa, "\n"), 5);
    ck_assert_int_eq(th_count_in_file(pb, "\n"), 3);
    /* Only tend sends SIGTERM; the kernel's cleanup after PID 1 is SIGKILL. */
    int got = th_count_in_file(term, "term ");
    if (got != 6)
        th_dump(t, "leftovers not signalled");
    ck_assert_msg(got == 6, "%d of 6 leftover processes got SIGTERM from tend at shutdown", got);
    th_free(t);
}
END_TEST

/* Main exits: the config's programs are stopped in reverse priority order,
 * each level gone before the next is signalled; tend exits with main's 5. */
START_TEST(pid1_main_exit_stops_programs)
{
    struct th *t = th_new(NULL, NULL);
    char pa[PATH_MAX], pb[PATH_MAX];
    KEEP(pa, th_path(t, "a"));
    KEEP(pb, th_path(t, "b"));
    ck_assert_int_eq(th_write_file(t->conf, false,
                                   "[supervisor]\nrundir = %s\n\n"
                                   "[program:a]\ncommand = %s -e 0 -d 300 %s\npriority = 1\n"
                                   "startsecs = 0\n\n"
                                   "[program:b]\ncommand = %s -e 0 -d 300 %s\npriority = 2\n"
                                   "startsecs = 0\n",
                                   t->rundir, th_q(th_helper("sigprobe")), th_q(pa),
                                   th_q(th_helper("sigprobe")), th_q(pb)),
                     0);
    const char *script = th_fmt("i=0; until grep -q ready %s 2>/dev/null && "
                                "grep -q ready %s 2>/dev/null; do "
                                "i=$((i+1)); [ $i -gt 500 ] && exit 9; sleep 0.02; done; exit 5",
                                pa, pb);
    const char *argv[] = { th_tend_bin(), "-c", t->conf, "--", "/bin/sh", "-c", script, NULL };
    ns_spawn(t, argv);
    SKIP_IF_NO_NS(t);
    int rc = th_wait_exit(t, 30000);
    if (rc != 5)
        th_dump(t, "main exit did not end tend with its status");
    ck_assert_msg(rc == 5, "tend exited %d, want the main program's 5", rc);
    long long ta = probe_sig_time(pa, SIGTERM), tb = probe_sig_time(pb, SIGTERM);
    ck_assert_msg(ta > 0 && tb > 0, "programs not stopped with SIGTERM (a %lld, b %lld)", ta, tb);
    ck_assert_msg(th_count_in_file(pa, "exit 0") == 1 && th_count_in_file(pb, "exit 0") == 1,
                  "a program did not exit on its own after SIGTERM");
    ck_assert_msg(ta - tb >= 250000000LL,
                  "a (priority 1) got SIGTERM %lld ms after b (priority 2); b takes 300 ms to "
                  "exit and must be gone first",
                  (ta - tb) / 1000000LL);
    th_free(t);
}
END_TEST

/* ---- an empty image ---- */

/* Does the ELF file at PATH name a program interpreter (dynamic linking)?
 * 1 yes, 0 no, -1 unreadable. */
static int elf_has_interp(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf64_Ehdr eh;
    int r = -1;
    if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
        r = 0;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof ph)) !=
                (ssize_t)sizeof ph) {
                r = -1;
                break;
            }
            if (ph.p_type == PT_INTERP)
                r = 1;
        }
    }
    close(fd);
    return r;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    char buf[1 << 16];
    ssize_t n = -1;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        n = -1;
    return n == 0 ? 0 : -1;
}

/* `FROM scratch` plus the binary: a root holding nothing but tend (and the
 * /proc a container runtime mounts). tend is PID 1 there and runs itself as
 * the main program. Needs the static build (the default, LIBC=musl). */
START_TEST(pid1_runs_in_an_empty_image)
{
    if (getenv("TEND_REAL_BIN")) { /* make check-valgrind */
        printf("%s: skipped under valgrind: %s\n", __func__, "valgrind is not in the image");
        return;
    }
    int dyn = elf_has_interp(th_tend_bin());
    ck_assert_msg(dyn >= 0, "cannot read the ELF headers of %s", th_tend_bin());
    if (dyn) {
        printf("SKIP %s: %s is dynamically linked (LIBC=glibc); only the static build runs "
               "in an empty image\n", __func__, th_tend_bin());
        return;
    }
    struct th *t = th_new(NULL, NULL);
    char root[PATH_MAX], bin[PATH_MAX];
    KEEP(root, th_path(t, "root"));
    KEEP(bin, th_path(t, "root/tend"));
    ck_assert_int_eq(mkdir(root, 0755), 0);
    ck_assert_msg(copy_file(th_tend_bin(), bin, 0755) == 0, "cannot copy tend to %s", bin);

    const char *argv[] = { "/tend", "--", "/tend", "--version", NULL };
    ns_spawn_in(t, argv, root);
    SKIP_IF_NO_NS(t);
    int rc = th_wait_exit(t, 10000);
    if (rc != 0)
        th_dump(t, "tend did not run in an empty root");
    ck_assert_msg(rc == 0, "tend -- tend --version in an empty root exited %d", rc);
    char out[4096];
    ck_assert_int_ge(th_read_file(t->outlog, out, sizeof out), 0);
    ck_assert_msg(strstr(out, "tend ") && strstr(out, "(musl)"), "main program printed: %s", out);
    th_free(t);
}
END_TEST

static Suite *pid1_suite(void)
{
    Suite *s = suite_create("pid1");
    TCase *tc = tcase_create("status");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, pid1_exit_codes);
    tcase_add_test(tc, pid1_killed_by_signal);
    tcase_add_test(tc, pid1_runs_in_an_empty_image);
    suite_add_tcase(s, tc);

    tc = tcase_create("signals");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, pid1_forwards_signals);
    tcase_add_test(tc, pid1_term_forwarded);
    tcase_add_test(tc, pid1_int_forwarded);
    tcase_add_test(tc, pid1_quit_forwarded);
    suite_add_tcase(s, tc);

    tc = tcase_create("reaping");
    tcase_set_timeout(tc, 45);
    tcase_add_test(tc, pid1_reaps_orphans);
    tcase_add_test(tc, pid1_kills_leftovers);
    tcase_add_test(tc, pid1_main_exit_stops_programs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pid1_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
