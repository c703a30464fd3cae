/* harness.h - drive the real tend binary from integration tests.
 *
 * Binaries come from the environment: TEND_BIN, TENDCTL_BIN, TEND_HELPERS
 * (folder of the helper programs), TEND_SRCDIR (the source tree).
 *
 * Every function calls th_init() itself, so a test may just call th_start().
 * th_init() makes the test process a child subreaper (orphans of tend's
 * programs come back to us), sets SIGCHLD to SIG_DFL, registers an atexit
 * cleanup and starts a watchdog in its own session: when the test process
 * dies, however it dies (failed assertion, check's timeout SIGKILL), the
 * watchdog SIGKILLs every process carrying this test's TEND_TEST_MARK
 * environment variable (set for each tend we start, inherited by its
 * programs). So a failing test leaves nothing running.
 *
 * Nothing here sleeps for a fixed time: waits poll in short steps against a
 * monotonic deadline. On a failed wait the status file and the end of
 * tend's stderr are printed to stderr, to explain the failure.
 *
 * Strings returned as `const char *` live in a small ring of static buffers
 * (valid for the next 16 such calls): fine inside one printf-style call.
 */
#ifndef TEND_TEST_HARNESS_H
#define TEND_TEST_HARNESS_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct th {
    pid_t pid;                 /* tend's pid (and process group), 0 if not started */
    bool exited;               /* tend has been reaped */
    int wstatus;               /* its raw wait status once exited */
    char dir[256];             /* fresh temporary folder (/tmp/tend-test-*), removed by th_free */
    char rundir[PATH_MAX];     /* DIR/run */
    char control[PATH_MAX];    /* DIR/run/control */
    char statusfile[PATH_MAX]; /* DIR/run/status */
    char conf[PATH_MAX];       /* DIR/tend.ini */
    char outlog[PATH_MAX];     /* DIR/tend.out: tend's stdout */
    char errlog[PATH_MAX];     /* DIR/tend.err: tend's stderr */
    char mark[64];             /* value of TEND_TEST_MARK for this tend */
    char cgroup[256];          /* where cgroup2 is writable: the cgroup of tend's own
                                  the harness made (removed by th_free), else "" */
};

/* Options for th_start_opts; a zeroed struct means th_start's defaults. */
struct th_opts {
    const char *const *args;   /* extra argv after `-c CONF` (NULL-terminated) */
    bool no_conf;              /* pass no `-c CONF` (args say everything) */
    const char *const *env;    /* "K=V" set or "K" unset in tend's env (NULL-term.) */
    const sigset_t *sigmask;   /* tend starts with this mask (default: empty) */
    const int *ignore;         /* signals tend starts ignored (0-terminated) */
    const char *stdin_path;    /* default /dev/null */
    bool same_pgrp;            /* keep tend in the test's process group */
    bool no_rundir;            /* do not prepend [supervisor] rundir=DIR/run */
    int inherit_fds;           /* tend starts with fds 3..3+N-1 open (/dev/null),
                                  as a careless parent would leave them */
    bool as_nobody;            /* tend runs as uid/gid 65534 (when we are root) */
};

void th_init(void);
const char *th_tend_bin(void);
const char *th_tendctl_bin(void);
const char *th_srcdir(void);              /* TEND_SRCDIR, or "." */
const char *th_helper(const char *name);  /* absolute path of helpers/NAME */

/* Format into a ring buffer (for building paths and config fragments). */
const char *th_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* DIR/NAME of a harness's folder. */
const char *th_path(const struct th *t, const char *name);
/* S quoted for tend's POSIX-shell-like command splitting: 'it'\''s'. */
const char *th_q(const char *s);

/* Make a fresh folder, write DIR/tend.ini = "[supervisor]\nrundir=DIR/run\n"
 * followed by the printf-formatted body (the body may continue the
 * [supervisor] section; every "@DIR@" in it becomes the folder), then
 * start TEND_BIN -c DIR/tend.ini in its own
 * process group, stdout/stderr to DIR/tend.out / DIR/tend.err. Aborts the
 * test (ck_abort) when any of that fails. Does not wait for tend to be up. */
struct th *th_start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct th *th_start_args(const char *const extra_argv[], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* FMT may be NULL: no config file is written (use with no_conf). */
struct th *th_start_opts(const struct th_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Make the folder and write the config, without starting tend. */
struct th *th_new(const struct th_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* (Re)write T's config as th_new does (@DIR@ replaced). 0 or -1. */
int th_config(struct th *t, const struct th_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Start tend for a th from th_new (again after it exited). 0 or -1. */
int th_spawn(struct th *t, const struct th_opts *o);

/* Status file lines: `NAME STATE pid=N exit=X restarts=N since=T`. */
struct th_proc {
    char name[128];
    char state[32];
    pid_t pid;
    char exit[32];
    int restarts;
    long long since;
};
/* Read NAME's line from the status file: 0, or -1 (no file / no such line
 * / malformed line). Any out pointer may be NULL. */
int th_status(struct th *t, const char *name, char *state, size_t statelen,
              pid_t *pid, char *exit, size_t exitlen, int *restarts);
int th_proc(struct th *t, const char *name, struct th_proc *out);
/* NAME's pid in the status file (0 when not running), or -1 when NAME is
 * not there. */
pid_t th_pid(struct th *t, const char *name);
/* Wait until NAME is in STATE: 0, or -1 at the deadline (or when tend has
 * exited and the final status file does not show it). */
int th_wait_state(struct th *t, const char *name, const char *state, int timeout_ms);
/* Wait until NAME has at least MIN restarts: 0 or -1. */
int th_wait_restarts(struct th *t, const char *name, int min, int timeout_ms);
/* Hold for MS and fail (-1) as soon as NAME leaves STATE; 0 if it stayed. */
int th_stays_state(struct th *t, const char *name, const char *state, int ms);

/* Run TENDCTL_BIN -s CONTROL followed by the words of the formatted line
 * (split at blanks; no quoting). Captures stdout+stderr into OUT (may be
 * NULL). Returns the exit status as a shell gives it, -1 if it could not
 * run or exceeded 30 s (then it is killed). */
int th_ctl(struct th *t, char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with an exact argv after `tendctl -s CONTROL` (NULL-terminated). */
int th_ctlv(struct th *t, char *out, size_t outlen, const char *const argv[]);
/* Run any argv (argv[0] a path), capture stdout+stderr, with a deadline.
 * Returns the shell exit status, or -1 (could not run / timed out). */
int th_run(const char *const argv[], char *out, size_t outlen, int timeout_ms);

/* Send SIG to tend, wait for it to exit: its status as a shell gives it
 * (code, or 128+signal). After TIMEOUT_MS: SIGKILL its group, return -1. */
int th_stop(struct th *t, int sig, int timeout_ms);
/* Wait for tend to exit on its own: shell status, or -1 at the deadline
 * (tend is left running). */
int th_wait_exit(struct th *t, int timeout_ms);
/* cgroup2 is mounted and writable here (as root on a host): each tend then
 * starts in a fresh cgroup of its own below the test's (never the test
 * process itself), so with `cgroups = auto` it is not delegated and divides
 * nothing unless a test asks (`cgroups = on`). NULL when writable, else why
 * not (for a skip message). */
const char *th_cgroup_unavailable(void);

/* Has tend exited (reaps it if so)? */
bool th_exited(struct th *t);
/* Kill tend and everything it started (by process group, by pid, by mark),
 * reap, remove the folder, free T. NULL is fine. */
void th_free(struct th *t);
/* Print the status file and the end of tend's stderr to stderr. */
void th_dump(struct th *t, const char *why);

/* Poll PATH until it contains SUBSTRING (NULL: until it exists): 0 or -1. */
int th_wait_file(const char *path, const char *substring, int timeout_ms);
/* Read a whole file (NUL-terminated, cut at LEN-1): bytes read or -1. */
ssize_t th_read_file(const char *path, char *buf, size_t len);
/* A whole file of any size, NUL-terminated (malloc'd; NULL when missing);
 * its length in *LEN when LEN is not NULL. */
char *th_slurp(const char *path, size_t *len);
/* Number of occurrences of NEEDLE in the file at PATH (0 when missing). */
int th_count_in_file(const char *path, const char *needle);
/* Create/replace PATH with the formatted text (mode 0644, or 0755 if EXEC). 0/-1. */
int th_write_file(const char *path, bool exec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "KEY value" report lines (as the probe helper writes): copy the value of
 * the first line starting with KEY and a blank into OUT. 0 or -1. */
int th_kv(const char *text, const char *key, char *out, size_t outlen);

/* /proc/PID exists and is not a zombie. */
bool th_pid_alive(pid_t pid);
/* How many live processes (not zombies, not this one) have NEEDLE in their
 * command line (its words joined by blanks). */
int th_count_procs_with(const char *needle);
/* Wait until PID is gone (reaping our own children meanwhile): 0 or -1. */
int th_wait_gone(pid_t pid, int timeout_ms);
/* waitpid(-1, WNOHANG) until nothing is left to reap; an exit of a tend
 * we started is recorded in its struct th. */
void th_reap(void);
/* Monotonic milliseconds. */
uint64_t th_now_ms(void);
/* One short polling step (sleeps MS); only for polling loops. */
void th_nap(int ms);

#endif
