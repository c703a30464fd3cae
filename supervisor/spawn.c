/* spawn.c - fork/exec with a step-by-step checked child setup. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

enum step { ST_PGRP = 1, ST_TTY, ST_SIGNALS, ST_FDS, ST_GROUPS, ST_SETGID, ST_SETUID,
            ST_CHDIR, ST_EXEC, ST_RLIMIT, ST_NICE, ST_OOM, ST_CGROUP };

static const char *const step_names[] = {
    [ST_PGRP] = "setpgid", [ST_TTY] = "tcsetpgrp", [ST_SIGNALS] = "signal setup",
    [ST_FDS] = "descriptor setup", [ST_GROUPS] = "initgroups", [ST_SETGID] = "setgid",
    [ST_SETUID] = "setuid", [ST_CHDIR] = "chdir", [ST_EXEC] = "exec",
    [ST_RLIMIT] = "setrlimit", [ST_NICE] = "nice", [ST_OOM] = "oom_score_adj",
    [ST_CGROUP] = "cgroup",
};

struct spawn_report { int step; int err; int arg; };

static const char *env_get(char *const *envp, const char *key)
{
    size_t k = strlen(key);
    for (; envp && *envp; envp++)
        if (!strncmp(*envp, key, k) && (*envp)[k] == '=')
            return *envp + k + 1;
    return NULL;
}

char *spawn_find_program(const char *name, char *const *envp)
{
    if (strchr(name, '/'))
        return strdup(name);
    const char *path = env_get(envp, "PATH");
    if (!path)
        path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int seen_eacces = 0;
    size_t nlen = strlen(name);
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        char *full = malloc(dlen + nlen + 3);
        if (!full)
            return NULL;
        if (dlen == 0)
            memcpy(full, ".", (dlen = 1));
        else
            memcpy(full, p, dlen);
        full[dlen] = '/';
        memcpy(full + dlen + 1, name, nlen + 1);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(full, X_OK) == 0)
                return full;
            seen_eacces = 1;
        }
        free(full);
        if (!*end)
            break;
        p = end;
    }
    errno = seen_eacces ? EACCES : ENOENT;
    return NULL;
}

bool ksig_ignored(int sig)
{
    struct ksigaction old;
    if (syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof old.mask) < 0)
        return false;
    return old.handler == SIG_IGN;
}

int ksig_set(int sig, void (*handler)(int))
{
    struct ksigaction ka = { .handler = handler };
    return (int)syscall(SYS_rt_sigaction, sig, &ka, NULL, sizeof ka.mask);
}

int ksig_mask(int how, const ksigset_t *set, ksigset_t *old)
{
    return (int)syscall(SYS_rt_sigprocmask, how, set, old, sizeof(ksigset_t));
}

/* glibc's internal signals (SIGCANCEL, SIGSETXID): never a caller's intent,
 * and a glibc program given them blocked or ignored breaks. */
#define LIBC_INTERNAL_SIGS (KSIG_BIT(32) | KSIG_BIT(33))

static void child_fail_arg(int fd, int step, int err, int arg)
{
    struct spawn_report r = { step, err, arg };
    ssize_t w;
    do
        w = write(fd, &r, sizeof r);
    while (w < 0 && errno == EINTR);
    _exit(step == ST_EXEC ? (err == ENOENT ? 127 : 126) : 1);
}

static void child_fail(int fd, int step, int err)
{
    child_fail_arg(fd, step, err, 0);
}

/* /proc/self/oom_score_adj = V, without stdio (the child may share tend's
 * memory). 0 or errno. */
static int write_oom_score_adj(int v)
{
    char buf[16], *e = buf + sizeof buf, *q = e;
    unsigned u = v < 0 ? (unsigned)-v : (unsigned)v;
    do
        *--q = (char)('0' + u % 10);
    while ((u /= 10) && q > buf + 1);
    if (v < 0)
        *--q = '-';
    int fd;
    do
        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    ssize_t w;
    do
        w = write(fd, q, (size_t)(e - q));
    while (w < 0 && errno == EINTR);
    int err = w < 0 ? errno : w != e - q ? EIO : 0;
    close(fd);
    return err;
}

/* Limits, nice and oom_score_adj: before the user switch, which may take
 * away the privilege to raise a hard limit or lower nice / oom_score_adj. */
static void child_resources(const struct spawn_req *r, int rep)
{
    for (size_t i = 0; i < r->nrlimits; i++) {
        struct rlimit rl = { (rlim_t)r->rlimits[i].soft, (rlim_t)r->rlimits[i].hard };
        if (setrlimit(r->rlimits[i].resource, &rl) < 0)
            child_fail_arg(rep, ST_RLIMIT, errno, (int)i);
    }
    if (r->nice_set && setpriority(PRIO_PROCESS, 0, r->nice) < 0)
        child_fail(rep, ST_NICE, errno);
    int err;
    if (r->oom_score_adj_set && (err = write_oom_score_adj(r->oom_score_adj)) != 0)
        child_fail(rep, ST_OOM, err);
}

/* Runs in the child: nothing here may allocate or touch tend's state. */
static void child_setup(const struct spawn_req *r, const char *file, int rep)
{
    /* before anything else, so all the child does and starts is counted */
    if (r->cgroup_set) {
        ssize_t w;
        do
            w = write(r->cgroup_fd, "0", 1);
        while (w < 0 && errno == EINTR);
        if (w != 1)
            child_fail(rep, ST_CGROUP, w < 0 ? errno : EIO);
    }
    if (setpgid(0, 0) < 0)
        child_fail(rep, ST_PGRP, errno);
    if (r->tty_fd >= 0 && tcsetpgrp(r->tty_fd, getpid()) < 0 && errno != ENOTTY)
        child_fail(rep, ST_TTY, errno);

    /* tend installs no handlers and ignores nothing (signals.c puts every
     * disposition back to default), so exec alone gives default
     * dispositions; only the main program gets back what its caller ignored
     * and blocked (tini's rule), less glibc's internal signals. */
    ksigset_t kmask = 0;
    if (r->keep_signals) {
        ksigset_t ign = r->orig_ignored & ~LIBC_INTERNAL_SIGS;
        for (int s = 1; s <= 64; s++)
            if ((ign & KSIG_BIT(s)) && s != SIGKILL && s != SIGSTOP)
                ksig_set(s, SIG_IGN);
        kmask = r->orig_mask & ~LIBC_INTERNAL_SIGS;
    }
    if (ksig_mask(SIG_SETMASK, &kmask, NULL) < 0)
        child_fail(rep, ST_SIGNALS, errno);

    for (int i = 0; i < 3; i++) {
        if (r->fd[i] == i) {
            /* kept as is: make sure it survives exec */
            int fl = fcntl(i, F_GETFD);
            if (fl >= 0 && (fl & FD_CLOEXEC))
                fcntl(i, F_SETFD, fl & ~FD_CLOEXEC);
        } else if (dup2(r->fd[i], i) < 0) {
            child_fail(rep, ST_FDS, errno);
        }
    }
    /* Anything else that is still inheritable is closed at exec. */
    if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0) {
        for (int fd = 3; fd < 1024; fd++)
            if (fd != rep)
                fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    for (size_t i = 0; i < r->nkeep_fds; i++)
        if (r->keep_fds[i] > 2 && r->keep_fds[i] != rep && fcntl(r->keep_fds[i], F_SETFD, 0) < 0)
            child_fail(rep, ST_FDS, errno);

    child_resources(r, rep);
    if (r->umask_set)
        umask(r->umask);
    /* Privileges first, as supervisord: the program's user must be able to
     * enter its directory, and root never walks a path on its behalf. */
    if (r->set_user) {
        if (initgroups(r->user, r->gid) < 0)
            child_fail(rep, ST_GROUPS, errno);
        if (setgid(r->gid) < 0)
            child_fail(rep, ST_SETGID, errno);
        if (setuid(r->uid) < 0)
            child_fail(rep, ST_SETUID, errno);
    }
    if (r->directory && chdir(r->directory) < 0)
        child_fail(rep, ST_CHDIR, errno);
    execve(file, r->argv, r->envp);
    child_fail(rep, ST_EXEC, errno);
}

struct child_args { const struct spawn_req *r; const char *file; int rep; };

static int child_main(void *arg)
{
    struct child_args *a = arg;
    child_setup(a->r, a->file, a->rep);
    return 127; /* not reached */
}

/* The child of clone(CLONE_VM|CLONE_VFORK) runs on this stack while the
 * parent is suspended, so one stack serves every spawn. */
static char child_stack[64 * 1024] __attribute__((aligned(16)));

pid_t spawn_process(const struct spawn_req *r, char *err, size_t errlen, int *exit_code)
{
    *exit_code = 0;
    char *file = r->path ? strdup(r->path) : spawn_find_program(r->argv[0], r->envp);
    int find_errno = file ? 0 : errno;
    if (!file) {
        if (find_errno == ENOENT)
            snprintf(err, errlen, "%s: command not found in PATH", r->argv[0]);
        else if (find_errno == EACCES)
            snprintf(err, errlen, "%s: found in PATH but not executable", r->argv[0]);
        else
            snprintf(err, errlen, "%s: %s", r->argv[0], strerror(find_errno));
        *exit_code = find_errno == ENOENT ? 127 : find_errno == EACCES ? 126 : 1;
        return -1;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        free(file);
        *exit_code = 1;
        return -1;
    }
    /* Sharing memory until exec saves copying tend's page tables and the
     * copy-on-write faults that follow (posix_spawn does the same). The
     * child only makes system calls; switching user goes through NSS, which
     * allocates, so that case takes a plain fork. */
    pid_t pid;
    struct child_args ca = { r, file, p[1] };
#if defined(__SANITIZE_ADDRESS__)
    /* ASan cannot follow a child running on another stack in shared memory. */
    bool use_fork = true;
#else
    bool use_fork = r->set_user;
#endif
    if (use_fork)
        pid = fork();
    else
        pid = clone(child_main, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                    &ca);
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        free(file);
        *exit_code = 1;
        return -1;
    }
    if (pid == 0)
        child_setup(r, file, p[1]); /* fork() only */
    close(p[1]);
    /* Also from the parent, so signals to the group work even before the
     * child got that far (EACCES once it exec'd: already done then). */
    setpgid(pid, pid);

    struct spawn_report rep;
    ssize_t n;
    do
        n = read(p[0], &rep, sizeof rep);
    while (n < 0 && errno == EINTR);
    close(p[0]);
    if (n == (ssize_t)sizeof rep) {
        /* The child has reported and is exiting right now: collect it here
         * so the reaper never sees a process that did not start. */
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        const char *what = file;
        if (rep.step == ST_EXEC)
            snprintf(err, errlen, "cannot execute %s: %s", what, strerror(rep.err));
        else if (rep.step == ST_CHDIR)
            snprintf(err, errlen, "cannot change directory to %s: %s", r->directory,
                     strerror(rep.err));
        else if (rep.step == ST_RLIMIT && rep.arg >= 0 && (size_t)rep.arg < r->nrlimits) {
            const struct spawn_rlimit *l = &r->rlimits[rep.arg];
            char soft[24] = "unlimited", hard[24] = "unlimited";
            if (l->soft != (unsigned long long)RLIM_INFINITY)
                snprintf(soft, sizeof soft, "%llu", l->soft);
            if (l->hard != (unsigned long long)RLIM_INFINITY)
                snprintf(hard, sizeof hard, "%llu", l->hard);
            snprintf(err, errlen, "cannot set %s = %s:%s for %s: %s", l->key, soft, hard, what,
                     strerror(rep.err));
        }
        else if (rep.step == ST_CGROUP)
            snprintf(err, errlen, "cannot enter cgroup %s: %s",
                     r->cgroup_path ? r->cgroup_path : "?", strerror(rep.err));
        else if (rep.step == ST_NICE)
            snprintf(err, errlen, "cannot set nice = %d for %s: %s", r->nice, what,
                     strerror(rep.err));
        else if (rep.step == ST_OOM)
            snprintf(err, errlen, "cannot set oom_score_adj = %d for %s: %s", r->oom_score_adj,
                     what, strerror(rep.err));
        else
            snprintf(err, errlen, "%s failed for %s: %s",
                     rep.step > 0 && rep.step <= ST_CGROUP ? step_names[rep.step] : "setup",
                     what, strerror(rep.err));
        *exit_code = rep.step == ST_EXEC
                         ? (rep.err == ENOENT ? 127 : 126) : 1;
        free(file);
        return -1;
    }
    free(file);
    return pid;
}
