/* supervisor.h - the one struct of tend's running state, passed explicitly.
 *
 * main.c owns it: start-up, reload (apply a new config like
 * `supervisorctl update`), shutdown and exit status. Other rooms reach the
 * table through sv->procs and ask for whole-supervisor actions here.
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

struct observer { proc_observer cb; void *arg; };

struct supervisor {
    struct loop *loop;
    struct tend_config *cfg;
    const char *config_path;     /* -c FILE, or NULL */
    char **main_argv;            /* tend -- COMMAND, or NULL */
    struct process **procs;      /* in start order (priority, name) */
    size_t nprocs;
    struct observer observers[4];
    size_t nobservers;
    struct control *control;     /* NULL when running without a FIFO */
    bool has_rundir;             /* rundir made and locked (status file on) */
    int lock_fd;
    int devnull;                 /* /dev/null, the stdin of most programs */
    struct process *main;        /* the main program, or NULL */
    ksigset_t orig_mask;         /* what tend was started with, for the */
    ksigset_t orig_ignored;      /* main program of tend -- CMD (tini's rule) */
    int tty_fd;                  /* >= 0: hand the terminal to the main program */
    int shutdown_signal;         /* the signal that began the shutdown, or 0 */
    bool shutting_down;
    bool finishing;              /* programs down: killing leftovers */
    bool done;                   /* the loop may end */
    int sigint_count;
    bool is_pid1;
    int exit_code;               /* what tend exits with */
    uint64_t started_at;         /* monotonic ms */
};

/* Find by fullname, or by bare process name when that is unique. */
struct process *supervisor_find(struct supervisor *sv, const char *name);

/* Read the config again and apply the difference. On error nothing changes
 * and every diagnostic is in D. Returns 0 or -1. */
int supervisor_reload(struct supervisor *sv, struct conf_diags *d);
/* Begin an orderly shutdown; tend exits with CODE once everything stopped
 * (the main program's status wins in main-program mode). */
void supervisor_shutdown(struct supervisor *sv, int code, const char *why);
/* Reopen tend's log and every captured log file. */
void supervisor_reopen(struct supervisor *sv);
/* Collect every exited child now (SIGCHLD, or before judging a timer). */
void supervisor_reap(struct supervisor *sv);
/* Start every autostart process (start-up, after a reload). */
void supervisor_start_all(struct supervisor *sv);
/* Before the loop sleeps: free what reload dropped, write the status file. */
void supervisor_idle(struct supervisor *sv);
/* Free the process table (at exit, for leak checkers). */
void supervisor_teardown(struct supervisor *sv);
/* Called by proc on every state change (status file, ordering, main exit). */
void supervisor_state_changed(struct supervisor *sv, struct process *p, enum pstate old);

#endif
