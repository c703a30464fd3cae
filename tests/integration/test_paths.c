/* test_paths.c - documented paths that had no end-to-end test (issue 12's
 * "test quality" part), each through the real tend binary:
 *
 *   user =            the drop seen in /proc/PID/status and /proc/PID/environ
 *   control_group     the FIFO's group and mode; a member may send, others not
 *   pidfile           written, removed at exit, moved by a reload
 *   sighup = forward  with a configuration file: forwarded, never a reload
 *   stdin = FILE      the program reads the file; a FIFO does not freeze tend
 *   *_logfile_backups = 0   rotation keeps no old file
 *   reload of logfile and loglevel
 *
 * Absence checks wait for an event that would come after the unwanted
 * thing (a reply of tend, a later log line), never for a fixed time.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "procinfo.h"

#define WAIT 10000
#define SLEEPER "command = sleep 1000\nstartsecs = 0\n"

static char buf[1 << 16];

/* Wait until tend's control FIFO exists (not th_wait_file: it would read it). */
static void wait_fifo(struct th *t)
{
    uint64_t deadline = th_now_ms() + WAIT;
    struct stat st;
    while (lstat(t->control, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        if (th_now_ms() >= deadline || th_exited(t)) {
            th_dump(t, "no control FIFO");
            ck_abort_msg("no control FIFO at %s", t->control);
        }
        th_nap(5);
    }
}

static pid_t pid_of(struct th *t, const char *name)
{
    ck_assert_msg(th_wait_state(t, name, "RUNNING", WAIT) == 0, "%s never RUNNING", name);
    pid_t pid = 0;
    ck_assert_int_eq(th_status(t, name, NULL, 0, &pid, NULL, 0, NULL), 0);
    ck_assert_int_gt(pid, 0);
    return pid;
}

static void finish(struct th *t)
{
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT + 5000), 0);
    th_free(t);
}

/* The value of KEY ("Uid") in /proc/PID/status, blanks squeezed to one
 * space, into OUT: "65534 65534 65534 65534". */
static void proc_status(pid_t pid, const char *key, char *out, size_t len)
{
    char text[8192];
    ck_assert_int_gt(th_read_file(th_fmt("/proc/%d/status", (int)pid), text, sizeof text), 0);
    const char *l = text;
    size_t kl = strlen(key);
    while (l && !(strncmp(l, key, kl) == 0 && l[kl] == ':'))
        l = (l = strchr(l, '\n')) ? l + 1 : NULL;
    ck_assert_msg(l != NULL, "no %s: in /proc/%d/status", key, (int)pid);
    l += kl + 1;
    size_t n = 0;
    for (; *l && *l != '\n' && n + 1 < len; l++) {
        if (*l == ' ' || *l == '\t') {
            if (n && out[n - 1] != ' ')
                out[n++] = ' ';
        } else {
            out[n++] = *l;
        }
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* The value of KEY in /proc/PID/environ, or NULL (static buffer). */
static const char *proc_env(pid_t pid, const char *key)
{
    static char env[65536];
    ssize_t n = th_read_file(th_fmt("/proc/%d/environ", (int)pid), env, sizeof env);
    ck_assert_int_gt(n, 0);
    size_t kl = strlen(key);
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(env + i) + 1)
        if (strncmp(env + i, key, kl) == 0 && env[i + kl] == '=')
            return env + i + kl + 1;
    return NULL;
}

/* The groups of USER as initgroups(3) would set them, sorted, as a
 * space-separated list in OUT. */
static int cmp_gid(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

static int user_groups(const char *user, gid_t gid, char *out, size_t len)
{
    gid_t g[256];
    int n = 256;
    if (getgrouplist(user, gid, g, &n) < 0)
        return -1;
    qsort(g, (size_t)n, sizeof g[0], cmp_gid);
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i && g[i] == g[i - 1])
            continue;
        used += (size_t)snprintf(out + used, len - used, "%s%u", used ? " " : "", (unsigned)g[i]);
    }
    return n;
}

/* /proc's Groups line, sorted the same way. */
static void sorted_groups(const char *line, char *out, size_t len)
{
    gid_t g[256];
    int n = 0;
    for (const char *p = line; *p && n < 256;) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p)
            break;
        g[n++] = (gid_t)v;
        p = end;
        while (*p == ' ')
            p++;
    }
    qsort(g, (size_t)n, sizeof g[0], cmp_gid);
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%u", used ? " " : "", (unsigned)g[i]);
}

/* A user other than root with supplementary groups (postgres on the
 * project's VM: postgres + ssl-cert), to tell initgroups from a bare
 * setgroups; NULL when there is none. */
static const struct passwd *user_with_groups(void)
{
    static struct passwd found;
    static char name[64], dir[256];
    const struct passwd *pw;
    const struct passwd *res = NULL;
    setpwent();
    while ((pw = getpwent())) {
        gid_t g[64];
        int n = 64;
        if (pw->pw_uid == 0 || strlen(pw->pw_name) >= sizeof name ||
            getgrouplist(pw->pw_name, pw->pw_gid, g, &n) < 0 || n < 2)
            continue;
        snprintf(name, sizeof name, "%s", pw->pw_name);
        snprintf(dir, sizeof dir, "%s", pw->pw_dir);
        found = *pw;
        found.pw_name = name;
        found.pw_dir = dir;
        res = &found;
        break;
    }
    endpwent();
    return res;
}

/* ---- user = ---- */

START_TEST(user_drop_seen_in_proc)
{
    if (geteuid() != 0) {
        fprintf(stderr, "user_drop_seen_in_proc: skipped, needs root\n");
        return;
    }
    const struct passwd *pw = user_with_groups();
    char extra[1024] = "";
    if (pw)
        snprintf(extra, sizeof extra, "[program:grp]\n" SLEEPER "user = %s\n", pw->pw_name);
    else
        fprintf(stderr, "user_drop_seen_in_proc: no user with supplementary groups; "
                        "initgroups checked with nobody only\n");
    struct th *t = th_start("[program:nob]\n"
                            "command = sh -c 'echo \"ids $(id -u) $(id -g) $(id -G)\"; "
                            "exec sleep 1000'\n"
                            "startsecs = 0\nuser = nobody\nstdout_logfile = @DIR@/nob.log\n%s",
                            extra);
    pid_t pid = pid_of(t, "nob");
    char v[256], want[256];
    /* real, effective, saved and filesystem ids: all nobody's */
    proc_status(pid, "Uid", v, sizeof v);
    ck_assert_str_eq(v, "65534 65534 65534 65534");
    proc_status(pid, "Gid", v, sizeof v);
    ck_assert_str_eq(v, "65534 65534 65534 65534");
    /* supplementary groups are nobody's (initgroups), not root's, not none */
    proc_status(pid, "Groups", v, sizeof v);
    char got[256];
    sorted_groups(v, got, sizeof got);
    ck_assert_int_gt(user_groups("nobody", 65534, want, sizeof want), 0);
    ck_assert_str_eq(got, want);
    /* no capability survives the drop */
    proc_status(pid, "CapEff", v, sizeof v);
    ck_assert_str_eq(v, "0000000000000000");
    proc_status(pid, "CapPrm", v, sizeof v);
    ck_assert_str_eq(v, "0000000000000000");
    /* the account's environment */
    const char *e = proc_env(pid, "HOME");
    ck_assert_msg(e && !strcmp(e, "/nonexistent"), "HOME=%s", e ? e : "(unset)");
    e = proc_env(pid, "USER");
    ck_assert_msg(e && !strcmp(e, "nobody"), "USER=%s", e ? e : "(unset)");
    e = proc_env(pid, "LOGNAME");
    ck_assert_msg(e && !strcmp(e, "nobody"), "LOGNAME=%s", e ? e : "(unset)");
    /* its captured output reaches the log file tend made for it */
    ck_assert_int_eq(th_wait_file(th_path(t, "nob.log"), "ids ", WAIT), 0);
    ck_assert_int_eq(th_wait_file(th_path(t, "nob.log"), "\n", WAIT), 0);
    th_read_file(th_path(t, "nob.log"), buf, sizeof buf);
    ck_assert_str_eq(buf, th_fmt("ids 65534 65534 %s\n", want));
    struct stat st;
    ck_assert_int_eq(lstat(th_path(t, "nob.log"), &st), 0);
    ck_assert(S_ISREG(st.st_mode));

    if (pw) {
        pid_t g = pid_of(t, "grp");
        proc_status(g, "Uid", v, sizeof v);
        ck_assert_str_eq(v, th_fmt("%u %u %u %u", (unsigned)pw->pw_uid, (unsigned)pw->pw_uid,
                                   (unsigned)pw->pw_uid, (unsigned)pw->pw_uid));
        proc_status(g, "Gid", v, sizeof v);
        ck_assert_str_eq(v, th_fmt("%u %u %u %u", (unsigned)pw->pw_gid, (unsigned)pw->pw_gid,
                                   (unsigned)pw->pw_gid, (unsigned)pw->pw_gid));
        proc_status(g, "Groups", v, sizeof v);
        sorted_groups(v, got, sizeof got);
        ck_assert_int_ge(user_groups(pw->pw_name, pw->pw_gid, want, sizeof want), 2);
        ck_assert_str_eq(got, want);
        e = proc_env(g, "HOME");
        ck_assert_msg(e && !strcmp(e, pw->pw_dir), "HOME=%s", e ? e : "(unset)");
        e = proc_env(g, "USER");
        ck_assert_msg(e && !strcmp(e, pw->pw_name), "USER=%s", e ? e : "(unset)");
    }
    finish(t);
}
END_TEST

/* ---- control_group ---- */

/* Run tendctl -s CONTROL -t 5 ARGS... as UID/GID (no supplementary
 * groups); stdout+stderr into OUT. Returns its exit status, -1 on timeout. */
static int ctl_as(struct th *t, uid_t uid, gid_t gid, char *out, size_t len,
                  const char *const args[])
{
    const char *outfile = th_path(t, th_fmt("ctl-%u.out", (unsigned)uid));
    const char *argv[32];
    int n = 0;
    argv[n++] = th_tendctl_bin();
    argv[n++] = "-s";
    argv[n++] = t->control;
    argv[n++] = "-t";
    argv[n++] = "5";
    for (const char *const *a = args; *a && n < 31; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(125);
        dup2(fd, 1);
        dup2(fd, 2);
        /* its reply FIFO goes to /dev/shm or /tmp, where any user may write */
        unsetenv("TMPDIR");
        unsetenv("XDG_RUNTIME_DIR");
        if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
            setresuid(uid, uid, uid) != 0)
            _exit(124);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    uint64_t deadline = th_now_ms() + 30000;
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && th_now_ms() < deadline)
        th_nap(5);
    if (r != pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        return -1;
    }
    if (out)
        th_read_file(outfile, out, len);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(control_group_lets_members_in)
{
    if (geteuid() != 0) {
        fprintf(stderr, "control_group_lets_members_in: skipped, needs root\n");
        return;
    }
    struct group *gr = getgrgid(65534);
    ck_assert_msg(gr != NULL, "no group 65534");
    char gname[64];
    snprintf(gname, sizeof gname, "%s", gr->gr_name);
    struct th *t = th_new(NULL, "control_mode = 0620\ncontrol_group = %s\n"
                          "[program:web]\n" SLEEPER, gname);
    /* the test folder is 0700: let other users reach the rundir inside */
    ck_assert_int_eq(chmod(t->dir, 0711), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    wait_fifo(t);
    pid_of(t, "web");
    struct stat st;
    ck_assert_int_eq(lstat(t->control, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0620);
    ck_assert_int_eq(st.st_gid, 65534);
    ck_assert_int_eq(st.st_uid, 0);
    /* the rundir is reachable, not listable (README: 0711) */
    ck_assert_int_eq(lstat(t->rundir, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0711);

    char out[4096];
    /* nobody, whose group is the FIFO's, is answered and obeyed */
    const char *status[] = { "status", "web", NULL };
    int rc = ctl_as(t, 65534, 65534, out, sizeof out, status);
    ck_assert_msg(rc == 0, "tendctl as nobody: %d: %s", rc, out);
    ck_assert_msg(strncmp(out, "web ", 4) == 0 && strstr(out, "RUNNING"), "status: %s", out);
    const char *stop[] = { "stop", "web", NULL };
    rc = ctl_as(t, 65534, 65534, out, sizeof out, stop);
    ck_assert_msg(rc == 0, "tendctl stop as nobody: %d: %s", rc, out);
    ck_assert_str_eq(out, "web: stopped\n");
    ck_assert_int_eq(th_wait_state(t, "web", "STOPPED", 100), 0);
    /* a user outside the group cannot even open the FIFO */
    const char *start[] = { "start", "web", NULL };
    rc = ctl_as(t, 12345, 12345, out, sizeof out, start);
    ck_assert_msg(rc == 4, "tendctl as uid 12345: %d: %s", rc, out);
    ck_assert_msg(strstr(out, "Permission denied"), "tendctl as uid 12345: %s", out);
    /* and nothing was done for it: tend's answer to us comes after */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status web"), 3);
    ck_assert_ptr_nonnull(strstr(out, "STOPPED"));
    finish(t);
}
END_TEST

/* ---- pidfile ---- */

static void assert_pidfile(struct th *t, const char *path)
{
    ck_assert_int_eq(th_wait_file(path, th_fmt("%d\n", (int)t->pid), WAIT), 0);
    th_read_file(path, buf, sizeof buf);
    ck_assert_str_eq(buf, th_fmt("%d\n", (int)t->pid));
}

START_TEST(pidfile_written_and_removed)
{
    struct th *t = th_start("pidfile = @DIR@/tend.pid\n[program:web]\n" SLEEPER);
    const char *pf = th_path(t, "tend.pid");
    assert_pidfile(t, pf);
    pid_of(t, "web");
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    ck_assert_msg(access(pf, F_OK) != 0, "pidfile left after exit");
    th_free(t);
}
END_TEST

/* After a reload that keeps the pidfile, it is still removed at exit
 * (main.c read the freed first config: ASan reports it). */
START_TEST(pidfile_removed_after_reload)
{
    struct th *t = th_start("pidfile = @DIR@/tend.pid\n[program:web]\n" SLEEPER);
    const char *pf = th_path(t, "tend.pid");
    assert_pidfile(t, pf);
    pid_of(t, "web");
    char out[4096];
    ck_assert_int_eq(th_config(t, NULL, "pidfile = @DIR@/tend.pid\n[program:web]\n" SLEEPER
                               "[program:db]\n" SLEEPER), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    pid_of(t, "db");
    assert_pidfile(t, pf);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    ck_assert_msg(access(pf, F_OK) != 0, "pidfile left after exit");
    th_free(t);
}
END_TEST

/* README: on reload everything but rundir and control takes effect. */
START_TEST(pidfile_moved_by_reload)
{
    struct th *t = th_start("pidfile = @DIR@/old.pid\n[program:web]\n" SLEEPER);
    const char *oldpf = th_path(t, "old.pid"), *newpf = th_path(t, "new.pid");
    assert_pidfile(t, oldpf);
    pid_of(t, "web");
    char out[4096];
    ck_assert_int_eq(th_config(t, NULL, "pidfile = @DIR@/new.pid\n[program:web]\n" SLEEPER), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    assert_pidfile(t, newpf);
    ck_assert_int_eq(th_stop(t, SIGTERM, WAIT), 0);
    ck_assert_msg(access(newpf, F_OK) != 0, "the current pidfile is left after exit");
    ck_assert_msg(access(oldpf, F_OK) != 0, "the old pidfile is left after exit");
    th_free(t);
}
END_TEST

/* ---- sighup = forward ---- */

START_TEST(sighup_forward_with_config_does_not_reload)
{
    const char *sp = th_helper("sigprobe");
    struct th *t = th_start("sighup = forward\n"
                            "[program:a]\ncommand = %s @DIR@/a.sig\nstartsecs = 0\n"
                            "[program:b]\ncommand = %s @DIR@/b.sig\nstartsecs = 0\n", sp, sp);
    const char *as = th_path(t, "a.sig"), *bs = th_path(t, "b.sig");
    ck_assert_int_eq(th_wait_file(as, "ready\n", WAIT), 0);
    ck_assert_int_eq(th_wait_file(bs, "ready\n", WAIT), 0);
    wait_fifo(t);
    pid_t a1 = pid_of(t, "a"), b1 = pid_of(t, "b");
    /* an edit a reload would act on: a changed, b removed, c added */
    ck_assert_int_eq(th_config(t, NULL, "sighup = forward\n"
                               "[program:a]\ncommand = %s -T 500 @DIR@/a.sig\nstartsecs = 0\n"
                               "[program:c]\n" SLEEPER, sp), 0);
    kill(t->pid, SIGHUP);
    ck_assert_int_eq(wait_sig(as, SIGHUP, 1, WAIT), 0);
    ck_assert_int_eq(wait_sig(bs, SIGHUP, 1, WAIT), 0);
    /* tend has handled the SIGHUP; its answer to this comes after it */
    char out[4096];
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "status c"), 1);
    ck_assert_ptr_nonnull(strstr(out, "no such process: c"));
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "pid a"), 0);
    ck_assert_int_eq(atoi(out), a1);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "pid b"), 0);
    ck_assert_int_eq(atoi(out), b1);
    ck_assert_int_eq(th_count_in_file(t->errlog, "reload"), 0);
    ck_assert_int_eq(sig_count(as, SIGHUP), 1);
    /* the same edit, asked for, is a reload: the check above could fail */
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    pid_of(t, "c");
    ck_assert_int_eq(th_wait_gone(b1, WAIT), 0);
    ck_assert_int_eq(th_wait_gone(a1, WAIT), 0);
    finish(t);
}
END_TEST

/* ---- stdin = FILE ---- */

START_TEST(stdin_file_is_read)
{
    struct th *t = th_new(NULL, "[program:abs]\ncommand = cat\nstdin = @DIR@/in.txt\n"
                          "stdout_logfile = @DIR@/abs.log\nstartsecs = 0\nautorestart = false\n"
                          /* relative to the config file's folder */
                          "[program:rel]\ncommand = cat\nstdin = in.txt\n"
                          "stdout_logfile = @DIR@/rel.log\nstartsecs = 0\nautorestart = false\n");
    static char text[20000];
    size_t n = 0;
    for (int i = 0; n < sizeof text - 64; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "input line %d\n", i);
    ck_assert_int_eq(th_write_file(th_path(t, "in.txt"), false, "%s", text), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    const char *names[] = { "abs", "rel" };
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(th_wait_state(t, names[i], "EXITED", WAIT) == 0, "%s never EXITED",
                      names[i]);
        char exitv[32];
        th_status(t, names[i], NULL, 0, NULL, exitv, sizeof exitv, NULL);
        ck_assert_str_eq(exitv, "0");
        const char *log = th_path(t, th_fmt("%s.log", names[i]));
        /* the file's last line; then the whole file must be the input */
        const char *last = text + n - 1;
        while (last > text && last[-1] != '\n')
            last--;
        ck_assert_int_eq(th_wait_file(log, last, WAIT), 0);
        ck_assert_int_eq(th_read_file(log, buf, sizeof buf), (ssize_t)n);
        ck_assert_msg(strcmp(buf, text) == 0, "%s.log differs from in.txt", names[i]);
    }
    finish(t);
}
END_TEST

/* A FIFO nobody writes: opening it must not block tend (issue 12, 11). */
START_TEST(stdin_fifo_without_writer_does_not_freeze)
{
    struct th *t = th_new(NULL, "[program:a_fifo]\ncommand = cat\nstdin = @DIR@/in.fifo\n"
                          "stdout_logfile = @DIR@/fifo.log\nstartsecs = 0\n"
                          "autorestart = false\nstartretries = 0\n"
                          "[program:web]\n" SLEEPER);
    ck_assert_int_eq(mkfifo(th_path(t, "in.fifo"), 0600), 0);
    ck_assert_int_eq(th_spawn(t, NULL), 0);
    wait_fifo(t);
    char out[4096];
    uint64_t t0 = th_now_ms();
    int rc = th_ctl(t, out, sizeof out, "-t 5 wait web RUNNING");
    ck_assert_msg(rc == 0, "tend did not answer (tendctl %d: %s)", rc, out);
    ck_assert_uint_lt(th_now_ms() - t0, 5000);
    rc = th_ctl(t, out, sizeof out, "-t 5 pid");
    ck_assert_msg(rc == 0, "tend did not answer (tendctl %d: %s)", rc, out);
    ck_assert_int_eq(atoi(out), t->pid);
    finish(t);
}
END_TEST

/* ---- *_logfile_backups = 0 ---- */

/* tend.ini(5): backups is "how many rotated files to keep": with 0 the
 * file is still cut at maxbytes, and no name.N is kept. */
START_TEST(backups_zero_keeps_no_rotated_file)
{
    struct th *t = th_start("[program:w]\ncommand = sh -c 'i=0; while [ $i -lt 300 ]; do "
                            "echo \"line $i padding-padding\"; i=$((i+1)); done; "
                            "echo done; exec sleep 1000'\n"
                            "startsecs = 0\nstdout_logfile = @DIR@/w.log\n"
                            "stdout_logfile_maxbytes = 1000\nstdout_logfile_backups = 0\n");
    const char *log = th_path(t, "w.log");
    ck_assert_int_eq(th_wait_file(log, "line 299 padding-padding\ndone\n", WAIT), 0);
    struct stat st;
    ck_assert_int_eq(stat(log, &st), 0);
    ck_assert_msg(st.st_size <= 1000, "w.log is %lld bytes, maxbytes 1000",
                  (long long)st.st_size);
    th_read_file(log, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "line ", 5) == 0, "w.log does not start at a line: %.40s", buf);
    ck_assert_ptr_null(strstr(buf, "line 0 "));   /* cut, not grown */
    /* nothing else in the folder: no w.log.1 (or any rotated name) */
    DIR *d = opendir(t->dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)))
        ck_assert_msg(strncmp(e->d_name, "w.log", 5) != 0 || !strcmp(e->d_name, "w.log"),
                      "rotated file kept: %s", e->d_name);
    closedir(d);
    finish(t);
}
END_TEST

/* ---- reload of logfile and loglevel ---- */

/* Write LINE to the control FIFO (fire-and-forget). */
static void raw(struct th *t, const char *line)
{
    int fd = open(t->control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s: %s", t->control, strerror(errno));
    ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    close(fd);
}

START_TEST(reload_moves_logfile_and_loglevel)
{
    struct th *t = th_start("logfile = @DIR@/a.log\nloglevel = info\n[program:web]\n" SLEEPER);
    const char *a = th_path(t, "a.log"), *b = th_path(t, "b.log");
    ck_assert_int_eq(th_wait_file(a, th_fmt("started (pid %d", (int)t->pid), WAIT), 0);
    wait_fifo(t);
    pid_of(t, "web");
    char out[4096];
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "version"), 0);
    /* at info, requests are not logged (marker: an error line after it) */
    raw(t, "frobnicate-1\n");
    ck_assert_int_eq(th_wait_file(a, "frobnicate-1", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(a, "control: version"), 0);
    ck_assert_int_eq(th_count_in_file(a, "web: STARTING -> RUNNING"), 1);   /* info is on */

    /* new file, debug */
    ck_assert_int_eq(th_config(t, NULL, "logfile = @DIR@/b.log\nloglevel = debug\n"
                               "[program:web]\n" SLEEPER), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "version"), 0);
    ck_assert_int_eq(th_wait_file(b, "control: version", WAIT), 0);
    raw(t, "frobnicate-2\n");
    ck_assert_int_eq(th_wait_file(b, "frobnicate-2", WAIT), 0);
    /* the old file got none of it */
    ck_assert_int_eq(th_count_in_file(a, "control: version"), 0);
    ck_assert_int_eq(th_count_in_file(a, "frobnicate-2"), 0);
    ck_assert_int_eq(th_count_in_file(t->errlog, "frobnicate"), 0);

    /* down to error: neither debug nor info lines any more (a state
     * change is logged at info) */
    ck_assert_int_eq(th_config(t, NULL, "logfile = @DIR@/b.log\nloglevel = error\n"
                               "[program:web]\n" SLEEPER), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "reload"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "stop web"), 0);
    ck_assert_int_eq(th_ctl(t, out, sizeof out, "version"), 0);
    raw(t, "frobnicate-3\n");
    ck_assert_int_eq(th_wait_file(b, "frobnicate-3", WAIT), 0);
    ck_assert_int_eq(th_count_in_file(b, "control: version"), 1);
    ck_assert_int_eq(th_count_in_file(b, "web: RUNNING -> STOPPING"), 0);
    ck_assert_int_eq(th_count_in_file(b, "web: STOPPING -> STOPPED"), 0);
    finish(t);
}
END_TEST

/* A logfile that is a FIFO without a reader: a reload (or reopen) to it
 * must not block tend (issue 12, 11). */
START_TEST(reload_to_fifo_logfile_does_not_freeze)
{
    struct th *t = th_start("[program:web]\n" SLEEPER);
    wait_fifo(t);
    pid_of(t, "web");
    ck_assert_int_eq(mkfifo(th_path(t, "log.fifo"), 0600), 0);
    ck_assert_int_eq(th_config(t, NULL, "logfile = @DIR@/log.fifo\n[program:web]\n" SLEEPER), 0);
    char out[4096];
    uint64_t t0 = th_now_ms();
    int rc = th_ctl(t, out, sizeof out, "-t 5 reload");
    ck_assert_msg(rc == 0 || rc == 1, "reload not answered (tendctl %d: %s)", rc, out);
    rc = th_ctl(t, out, sizeof out, "-t 5 reopen");
    ck_assert_msg(rc == 0 || rc == 1, "reopen not answered (tendctl %d: %s)", rc, out);
    rc = th_ctl(t, out, sizeof out, "-t 5 status web");
    ck_assert_msg(rc == 0, "tend did not answer (tendctl %d: %s)", rc, out);
    ck_assert_uint_lt(th_now_ms() - t0, 15000);
    finish(t);
}
END_TEST

static Suite *paths_suite(void)
{
    Suite *s = suite_create("paths");
    TCase *tc = tcase_create("accounts");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, user_drop_seen_in_proc);
    tcase_add_test(tc, control_group_lets_members_in);
    suite_add_tcase(s, tc);
    tc = tcase_create("pidfile");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, pidfile_written_and_removed);
    tcase_add_test(tc, pidfile_removed_after_reload);
    tcase_add_test(tc, pidfile_moved_by_reload);
    suite_add_tcase(s, tc);
    tc = tcase_create("signals");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, sighup_forward_with_config_does_not_reload);
    suite_add_tcase(s, tc);
    tc = tcase_create("stdio");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, stdin_file_is_read);
    tcase_add_test(tc, stdin_fifo_without_writer_does_not_freeze);
    tcase_add_test(tc, backups_zero_keeps_no_rotated_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("logging");
    tcase_set_timeout(tc, 40);
    tcase_add_test(tc, reload_moves_logfile_and_loglevel);
    tcase_add_test(tc, reload_to_fifo_logfile_does_not_freeze);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(paths_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
