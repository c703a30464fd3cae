/* proc.h - the process table and the state machine.
 *
 * Only proc.c changes a process's state. Everything else (control requests,
 * the reaper, notify messages, timers) asks it to through the functions
 * below, and learns of changes through observers. States, as supervisord:
 *
 *   STOPPED --start--> STARTING --startsecs/READY=1--> RUNNING
 *   STARTING --exit--> BACKOFF --1s,2s,3s..--> STARTING ... --> FATAL
 *   RUNNING --exit--> EXITED --autorestart--> STARTING (growing delay)
 *   any running --stop--> STOPPING --exit--> STOPPED (SIGKILL after stopwaitsecs;
 *                         STOPPED only once its process group is empty too)
 *
 * A process holds a pointer to its current process_config; on reload the
 * supervisor swaps in the new config (proc_set_config) when it is the same.
 */
#ifndef TEND_PROC_H
#define TEND_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../conf/conf.h"
#include "loop.h"

struct supervisor;
struct capture;

enum pstate {
    PS_STOPPED, PS_STARTING, PS_RUNNING, PS_BACKOFF, PS_STOPPING, PS_EXITED, PS_FATAL,
};
#define PS_COUNT 7

const char *pstate_name(enum pstate s);      /* "RUNNING" */
int pstate_parse(const char *s);             /* case-insensitive; -1 if unknown */

struct process {
    struct process_config *cfg;
    struct supervisor *sv;
    enum pstate state;
    pid_t pid;                 /* 0 when not running */
    pid_t pgid;                /* its process group (the spawned pid) */
    int exit_status;           /* raw wait status of the last exit; -1 before one */
    unsigned restarts;         /* automatic restarts since tend started it */
    unsigned failed_starts;    /* exits during STARTING in a row */
    unsigned crashes;          /* exits after RUNNING within the stable window */
    time_t since;              /* wall-clock seconds of the last state change */
    uint64_t started_at;       /* monotonic ms of the last spawn */
    uint64_t running_at;       /* monotonic ms it became RUNNING */
    char reason[160];          /* why it is in its state (spawn error, exit) */
    char status_text[128];     /* sd_notify STATUS= */
    bool removed;              /* dropped by a reload; freed once stopped */
    bool kill_sent;            /* SIGKILL already sent in STOPPING */
    bool group_wait;           /* STOPPING: leader gone, its process group not yet */
    bool restart_after_stop;   /* 'restart' verb / changed by reload */
    bool is_main;
    bool pending_start;        /* start once its depends_on are RUNNING */
    bool stop_pending;         /* stop once its dependents are down */
    bool ready_timed_out;      /* killed for not sending READY=1 in time */
    int stop_sig;              /* the signal STOPPING sent */
    int spawn_failed_code;     /* 127/126/1 when the last spawn failed */
    struct process_config *next_cfg; /* reload: run with this once stopped */
    char *exe;                 /* argv[0] found in PATH, for exe_cfg only */
    const struct process_config *exe_cfg;
    struct timer timer;        /* startsecs, backoff, stopwaitsecs */
    struct capture *out, *err; /* log capture streams of the current run */
    struct notify *notify;     /* sd_notify socket, ready = notify only */
    pid_t notify_mainpid;      /* MAINPID= (0 = the spawned pid) */
};

/* Observers hear of every state change, after it happened. */
enum proc_event { PROC_EV_STATE, PROC_EV_REMOVED };
typedef void (*proc_observer)(void *arg, struct process *p, enum proc_event ev,
                              enum pstate old);
void proc_observe(struct supervisor *sv, proc_observer cb, void *arg);

struct process *proc_new(struct supervisor *sv, struct process_config *cfg);
void proc_free(struct process *p);

/* Start a process that is not running (STOPPED, EXITED, FATAL, BACKOFF).
 * Returns 0 when it is now STARTING (or already STARTING/RUNNING: *already
 * set), -1 with a message in ERR otherwise. */
int proc_start(struct process *p, bool *already, char *err, size_t errlen);
/* Stop: STOPPING (signal sent) or straight to STOPPED when not running.
 * Returns 0; *already set when it was not running. */
int proc_stop(struct process *p, bool *already);
/* Stop with SIG instead of stopsignal (the main program on tend's signal). */
int proc_stop_with(struct process *p, int sig, bool *already);
/* Act on pending starts/stops whose dependencies/dependents are ready. */
void proc_check_pending(struct process *p);
/* Stop, then start again once stopped. */
void proc_restart(struct process *p);
/* Send SIG to the process (its group when stopasgroup). -1 with errno. */
int proc_signal(struct process *p, int sig);

/* Called by the reaper with the raw wait status. */
void proc_exited(struct process *p, int status);
/* Called after each round of reaping: a STOPPING program whose leader is
 * gone becomes STOPPED once its process group is empty. */
void proc_check_group(struct process *p);
/* Called by notify when the program says READY=1. */
void proc_ready(struct process *p);

/* True for STARTING, RUNNING, STOPPING: a pid is alive, or (STOPPING) the
 * leader is gone but its process group is not. Only p->pid > 0 means there
 * is a pid to signal. */
bool proc_alive(const struct process *p);
/* A finished program: EXITED with an expected code and not to be restarted. */
bool proc_finished_ok(const struct process *p);
/* "pid 1234, uptime 0:01:02" / "Exited too quickly (process log may have
 * details)" / "exit status 3" / "Not started"... as supervisorctl shows. */
void proc_describe(const struct process *p, char *buf, size_t len);
/* The last exit as the status file writes it: "-", "0", "3", "SIGKILL". */
void proc_exit_string(const struct process *p, char *buf, size_t len);

#endif
