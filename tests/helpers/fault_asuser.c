/* fault_asuser - exec a program as another user and with lowered limits,
 * for fault-injection tests (RLIMIT_NPROC is not enforced for root).
 *
 *   FAULT_EXEC=PROGRAM [FAULT_UID=N] [FAULT_NOFILE=N] [FAULT_NPROC=N] \
 *       fault_asuser [ARG...]
 *
 * Sets the soft limits asked for, drops to uid and gid N (no supplementary
 * groups) when FAULT_UID is given, removes the FAULT_* variables and execs
 * PROGRAM with argv[0] = PROGRAM and the remaining arguments unchanged: a
 * stand-in for TEND_BIN. Exits 127 with a message when any step fails. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void fail(const char *what)
{
    fprintf(stderr, "fault_asuser: %s: %s\n", what, strerror(errno));
    exit(127);
}

static long number(const char *name)
{
    const char *s = getenv(name);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0) {
        fprintf(stderr, "fault_asuser: bad %s '%s'\n", name, s);
        exit(127);
    }
    return v;
}

static void soft_limit(int res, const char *name)
{
    long v = number(name);
    if (v < 0)
        return;
    struct rlimit rl;
    if (getrlimit(res, &rl) < 0)
        fail("getrlimit");
    rl.rlim_cur = (rlim_t)v;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
        rl.rlim_cur = rl.rlim_max;
    if (setrlimit(res, &rl) < 0)
        fail(name);
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *prog = getenv("FAULT_EXEC");
    if (!prog) {
        fprintf(stderr, "fault_asuser: FAULT_EXEC is not set\n");
        return 127;
    }
    char *file = strdup(prog);
    if (!file)
        fail("strdup");
    long uid = number("FAULT_UID");
    soft_limit(RLIMIT_NOFILE, "FAULT_NOFILE");
    soft_limit(RLIMIT_NPROC, "FAULT_NPROC");
    if (uid >= 0) {
        if (setgroups(0, NULL) < 0)
            fail("setgroups");
        if (setgid((gid_t)uid) < 0)
            fail("setgid");
        if (setuid((uid_t)uid) < 0)
            fail("setuid");
    }
    unsetenv("FAULT_EXEC");
    unsetenv("FAULT_UID");
    unsetenv("FAULT_NOFILE");
    unsetenv("FAULT_NPROC");
    argv[0] = file;
    execv(file, argv);
    fail(file);
}
