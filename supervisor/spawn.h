/* spawn.h - fork and exec one child, set up step by step.
 *
 * The child enters its cgroup first (when asked), then gets exactly fds 0, 1, 2 (the descriptors named in the request,
 * plus keep_fds for the command of `tend -- CMD` alone),
 * its own process group, an empty signal mask and default dispositions (or
 * the mask and ignored set tend was started with, for `tend -- CMD`), then
 * resource limits, nice and oom_score_adj (while still privileged), umask, user (initgroups, setgid, setuid), directory (as that user), and
 * exec. Each step is checked; a failing step and
 * its errno come back to the parent through a close-on-exec pipe, so
 * spawn() returns only once the child has exec'd or died: never a
 * half-started child. The parent blocks only for that fork-to-exec window.
 */
#ifndef TEND_SPAWN_H
#define TEND_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The kernel's view of signal state, beyond the C library's reach: glibc
 * refuses to touch its internal signals (32, 33) and musl its own (32-34),
 * yet a process can inherit them blocked or ignored, and a program built
 * with the other library uses them as ordinary real-time signals (glibc's
 * SIGRTMIN is 34). Bit SIG-1 stands for signal SIG, as in the kernel. */
typedef unsigned long long ksigset_t;
#define KSIG_BIT(sig) (1ULL << ((sig) - 1))

/* One setrlimit of the child; KEY names it in the error ("rlimit_nofile"). */
struct spawn_rlimit { const char *key; int resource; unsigned long long soft, hard; };
#define SPAWN_MAX_RLIMITS 16

struct spawn_req {
    char *const *argv;          /* argv[0] is looked up in PATH when bare */
    const char *path;           /* argv[0] already resolved, or NULL */
    char *const *envp;          /* complete environment of the child */
    const char *directory;      /* NULL = tend's */
    bool umask_set;
    mode_t umask;
    bool set_user;              /* initgroups, setgid, setuid */
    const char *user;
    uid_t uid;
    gid_t gid;
    int fd[3];                  /* what becomes 0, 1, 2 */
    bool keep_signals;          /* main program: keep tend's original mask/ignored set */
    ksigset_t orig_mask;        /* with keep_signals */
    ksigset_t orig_ignored;
    int tty_fd;                 /* >= 0: make the child the foreground group there */
    const int *keep_fds;        /* descriptors above 2 the child keeps (tini's rule */
    size_t nkeep_fds;           /* for tend -- CMD: socket activation), else none */
    struct spawn_rlimit rlimits[SPAWN_MAX_RLIMITS];   /* issue 18 */
    size_t nrlimits;
    bool nice_set, oom_score_adj_set;
    int nice, oom_score_adj;
    bool cgroup_set;            /* first of all, the child writes "0" to */
    int cgroup_fd;              /* this cgroup.procs (cgroup.h) */
    const char *cgroup_path;    /* for the message */
};

struct ksigaction { void (*handler)(int); unsigned long flags; void (*restorer)(void); unsigned long mask; };
/* True when SIG is ignored (raw rt_sigaction query). */
bool ksig_ignored(int sig);
/* Set SIG's disposition to HANDLER (SIG_DFL/SIG_IGN) through the raw call. */
int ksig_set(int sig, void (*handler)(int));
/* rt_sigprocmask(HOW, SET, OLD) on kernel sets; -1 with errno on failure. */
int ksig_mask(int how, const ksigset_t *set, ksigset_t *old);

/* Returns the pid, or -1 with *EXIT_CODE = 127 (not found) / 126 (cannot
 * run) / 1 (other setup failure) and a message naming the step, the file
 * and the reason in ERR. */
pid_t spawn_process(const struct spawn_req *r, char *err, size_t errlen, int *exit_code);

/* Resolve a bare command name against PATH (from ENVP if it sets PATH,
 * else tend's). Returns a malloc'd path, or NULL with errno (ENOENT, EACCES). */
char *spawn_find_program(const char *name, char *const *envp);

#endif
