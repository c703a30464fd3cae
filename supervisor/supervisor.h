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
    struct tend_config *pending; /* read by supervisor_reread, applied a group at a
                                  * time (supervisorctl's reread/update); NULL: cfg */
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
    /* supervisorctl reload (supervisor_restart): every program but the main
     * one is stopping; this config applies once they are all down */
    struct tend_config *restart_cfg;
    bool restarting;
    bool restart_in_step, restart_again; /* restart_step is not re-entered */
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

/* supervisord's restart (supervisorctl's reload): the config is read again
 * (an error changes nothing, D says why), every program but the main one is
 * stopped in reverse priority order (dependents first), and once all are
 * down they are made anew from that config and the autostart ones started
 * in priority order, as a restarted supervisord would. Returns at once;
 * until the new table is in place, starts and reloads are refused
 * (sv->restarting). A shutdown cancels what is left of it. The main
 * program keeps running; tend itself stays the same process. */
int supervisor_restart(struct supervisor *sv, struct conf_diags *d);

/* supervisord's reread / add / remove (rpc.c), one group at a time.
 * supervisor_reread reads the config file again into sv->pending without
 * applying anything (a failure changes nothing; D says why). Groups are
 * compared by name: a pending group that is not running is ADDED, a running
 * one not in the pending config REMOVED, one whose programs differ CHANGED. */
enum group_diff { GROUP_SAME, GROUP_ADDED, GROUP_CHANGED, GROUP_REMOVED };
int supervisor_reread(struct supervisor *sv, struct conf_diags *d);
/* The config groups are added from: the pending one, else the one in use. */
const struct tend_config *supervisor_group_configs(const struct supervisor *sv);
bool supervisor_group_active(const struct supervisor *sv, const char *group);
enum group_diff supervisor_group_diff(const struct supervisor *sv, const char *group);
/* Make GROUP's programs of the pending config and start the autostart
 * ones: 0, -1 when that config has no GROUP, 1 when GROUP is active
 * already, -2 when out of memory (nothing changed). */
int supervisor_add_group(struct supervisor *sv, const char *group);
/* Drop the active GROUP: 0, -1 when there is none, 1 when one of its
 * programs is not stopped (STOPPED, EXITED, FATAL) or is the main program,
 * -2 when out of memory (nothing changed). */
int supervisor_remove_group(struct supervisor *sv, const char *group);
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
