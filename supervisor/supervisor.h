/* supervisor.h - the one struct of tend's running state, passed explicitly.
 *
 * main.c owns it: start-up, reload (apply a new config like
 * `supervisorctl update`), shutdown and exit status. The supervisor owns the
 * process table: it builds it, resolves depends_on into pointers, reaps,
 * orders the shutdown and frees what a reload dropped. It changes processes
 * only through proc's API and hears of their changes through the host's
 * on_change hook (the status file and control are observers beside it).
 */
#ifndef TEND_SUPERVISOR_H
#define TEND_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../conf/conf.h"
#include "loop.h"
#include "proc.h"
#include "spawn.h"

struct control;
struct events;

struct supervisor {
    struct proc_host host;       /* what every process sees of us */
    struct loop *loop;
    struct tend_config *cfg;
    const char *config_path;     /* -c FILE, or NULL */
    char **main_argv;            /* tend -- COMMAND, or NULL */
    bool bare_main;              /* tend -- COMMAND without a config: tini's rules */
    const int *passed_fds;       /* inherited descriptors for a bare main program */
    size_t npassed_fds;
    struct process **procs;      /* in start order (priority, name) */
    size_t nprocs;
    struct process **dying;      /* dropped by a reload, still stopping */
    size_t ndying, capdying;
    struct tend_config **retired; /* old configs some process may still point into */
    size_t nretired, capretired;
    struct control *control;     /* NULL when running without a FIFO */
    bool has_rundir;             /* rundir made and locked (status file on) */
    int lock_fd;
    int devnull;                 /* /dev/null, the stdin of most programs */
    struct process *main;        /* the main program, or NULL */
    char *pidfile;               /* the pidfile tend wrote (owned), or NULL */
    ksigset_t orig_mask;         /* what tend was started with, for the */
    ksigset_t orig_ignored;      /* main program of tend -- CMD (tini's rule) */
    int tty_fd;                  /* >= 0: hand the terminal to the main program */
    int shutdown_signal;         /* the signal that began the shutdown, or 0 */
    bool shutting_down;
    bool finishing;              /* programs down: killing leftovers */
    bool finish_killing;         /* leftovers got SIGKILL */
    struct timer finish_timer;
    bool reloading;              /* mid-reload: the table is not whole yet */
    bool done;                   /* the loop may end */
    bool is_pid1;
    int exit_code;               /* what tend exits with */
    uint64_t started_at;         /* monotonic ms */
    bool status_dirty, status_warned; /* the status file (statusfile.c) */
    struct events *events;       /* event listeners (events.c), NULL when out of memory */
};

/* Fill in sv->host from the rest of SV (call once SV's loop and signal state
 * are set up, before any process exists). */
void supervisor_init_host(struct supervisor *sv);
/* Build the process table from sv->cfg. 0, or -1 when out of memory. */
int supervisor_build(struct supervisor *sv);

/* Find by fullname, or by bare process name when that is unique. */
struct process *supervisor_find(struct supervisor *sv, const char *name);

/* Read the config again and apply the difference. On error nothing changes
 * and every diagnostic is in D. Returns 0 or -1. */
int supervisor_reload(struct supervisor *sv, struct conf_diags *d);
/* Begin an orderly shutdown; tend exits with CODE once everything stopped
 * (the main program's status wins in main-program mode). */
void supervisor_shutdown(struct supervisor *sv, int code, const char *why);
/* Shutdown asked for by signal SIG: with a main program alive, it gets SIG
 * itself (not its stopsignal) and the rest follows its exit. A second SIGINT
 * kills everything at once. */
void supervisor_shutdown_signal(struct supervisor *sv, int sig);
/* Reopen tend's log and every captured log file. */
void supervisor_reopen(struct supervisor *sv);
/* Collect every exited child now (SIGCHLD, or before judging a timer). */
void supervisor_reap(struct supervisor *sv);
/* Start every autostart process (start-up). */
void supervisor_start_all(struct supervisor *sv);
/* Before the loop sleeps: free what reload dropped, write the status file. */
void supervisor_idle(struct supervisor *sv);
/* Free the process table (at exit, for leak checkers). */
void supervisor_teardown(struct supervisor *sv);
/* Write the pidfile PATH (NULL: none), removing the one written before. */
void supervisor_set_pidfile(struct supervisor *sv, const char *path);

#endif
