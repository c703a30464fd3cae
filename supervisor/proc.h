/* proc.h - one supervised process and its state machine.
 *
 * Only proc.c changes a process: its state, its config, its flags. Everyone
 * else asks through the functions below and learns of changes as an
 * observer. States, as supervisord:
 *
 *   STOPPED --start--> STARTING --startsecs/READY=1--> RUNNING
 *   STARTING --exit--> BACKOFF --1s,2s,3s..--> STARTING ... --> FATAL
 *   RUNNING --exit--> EXITED --autorestart--> STARTING (growing delay)
 *   any running --stop--> STOPPING --exit--> STOPPED (SIGKILL after stopwaitsecs;
 *                         STOPPED only once its process group is empty too)
 *
 * Dependencies (depends_on) are pointers, resolved by the owner of the table
 * (proc_set_deps, proc_link_dependents); proc never looks a name up. A
 * process starts only once every dependency is RUNNING (or finished as
 * expected) and not about to go down; it is stopped before its dependencies.
 * A process that tend stopped because a dependency went down starts again
 * once the dependencies are up again (a restart, a reload that changed one).
 *
 * proc knows nothing of the supervisor above it: what it needs (the loop,
 * shutdown, how tend was started) is in struct proc_host, which the owner
 * fills in and keeps current. Data flows down; news flows up through the
 * observers and the host's on_change hook.
 */
#ifndef TEND_PROC_H
#define TEND_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../conf/conf.h"
#include "loop.h"
#include "spawn.h"

struct capture;
struct probe;
struct process;

enum pstate {
    PS_STOPPED, PS_STARTING, PS_RUNNING, PS_BACKOFF, PS_STOPPING, PS_EXITED, PS_FATAL,
};
#define PS_COUNT 7

const char *pstate_name(enum pstate s);      /* "RUNNING" */
int pstate_parse(const char *s);             /* case-insensitive; -1 if unknown */

/* Observers hear of every change, after it happened: a new state (or, with
 * the state unchanged, a new pid or STATUS= text), or that the process is
 * about to be freed (PROC_EV_REMOVED: drop every pointer to it). */
enum proc_event { PROC_EV_STATE, PROC_EV_REMOVED };
typedef void (*proc_observer)(void *arg, struct process *p, enum proc_event ev,
                              enum pstate old);
#define PROC_MAX_OBSERVERS 8

struct proc_host {
    struct loop *loop;
    const char *rundir;         /* where notify sockets go; NULL: abstract sockets */
    int devnull;                /* /dev/null for stdin, shared; -1 to open per spawn */
    bool main_cmd;              /* tend -- CMD: the main program gets tend's stdin, */
    int tty_fd;                 /* terminal (>= 0) and original signal state */
    ksigset_t orig_mask, orig_ignored;
    bool bare_main;             /* tend -- CMD without a config (tini): the main program
                                   gets tend's environment as is, and PASSED_FDS */
    const int *passed_fds;
    size_t npassed_fds;
    bool shutting_down;         /* nothing starts any more */
    const char *server_url;     /* SUPERVISOR_SERVER_URL for programs, or NULL */
    struct cgroups *cgroups;    /* one cgroup per process (cgroup.h), or NULL */
    struct { proc_observer cb; void *arg; } observers[PROC_MAX_OBSERVERS];
    size_t nobservers;
    /* Called after the observers on every change: the owner's policy
     * (pending starts, shutdown order, the main program's exit). */
    void (*on_change)(void *arg, struct process *p, enum pstate old);
    /* Collect every exit that already happened (before a timer is judged). */
    void (*reap)(void *arg);
    void *arg;                  /* for on_change and reap */
    /* What an event listener writes to its stdout (the protocol, not a
     * log), as it is read; set by the events room. */
    void (*on_output)(void *arg, struct process *p, const char *buf, size_t n);
    /* What a program with stdout_events_enabled / stderr_events_enabled
     * writes (WHICH 1 or 2), as captured; names and pid are of that run
     * (its process may be gone by then). */
    void (*on_log)(void *arg, const char *name, const char *group, pid_t pid, int which,
                   const char *buf, size_t n);
    /* What such a program wrote between supervisord's capture tokens
     * (stdout_capture_maxbytes / stderr_), once the end token came. */
    void (*on_comm)(void *arg, const char *name, const char *group, pid_t pid, int which,
                    const char *buf, size_t n);
    void *output_arg;           /* for on_output, on_log and on_comm */
};

void proc_observe(struct proc_host *h, proc_observer cb, void *arg);
void proc_unobserve(struct proc_host *h, proc_observer cb, void *arg);

struct process {
    struct process_config *cfg;  /* read-only outside proc.c */
    struct proc_host *host;
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
    bool restart_after_stop;   /* start again once stopped (restart, reload) */
    bool is_main;
    bool pending_start;        /* start once its dependencies are up */
    uint64_t pending_at;       /* monotonic ms pending_start was last set */
    uint64_t gave_up_at;       /* monotonic ms a pending start last failed for a
                                  dependency that failed while it waited (0: never) */
    bool stop_pending;         /* stop once its dependents are down */
    bool dep_stopped;          /* stopped by tend for a dependency: start when it is up */
    bool held;                 /* stopped on request: no automatic start starts it
                                  as a dependency (a start asked for does) */
    bool ready_timed_out;      /* killed for not sending READY=1 in time */
    int stop_sig;              /* the signal STOPPING sent */
    int pending_sig;           /* the signal a pending stop will send */
    int spawn_failed_code;     /* 127/126/1 when the last spawn failed */
    struct process_config *next_cfg; /* reload: run with this once stopped */
    char *exe;                 /* argv[0] found in PATH for cfg; NULL: search again */
    struct process **deps;     /* depends_on, resolved (owned array) */
    size_t ndeps;
    struct process **dependents; /* who depends on us (owned array) */
    size_t ndependents;
    struct timer timer;        /* startsecs, backoff, stopwaitsecs */
    struct capture *out, *err; /* log capture streams of the current run */
    struct notify *notify;     /* sd_notify socket, ready = notify only */
    pid_t notify_mainpid;      /* MAINPID= (0 = the spawned pid) */
    struct probe *ready_probe; /* ready = PROBE: tried while STARTING */
    struct probe *health_probe; /* healthcheck: tried while RUNNING */
    char probe_reason[96];     /* why the last probe failed */
    unsigned health_failures;  /* failed health checks in a row */
    bool unhealthy;            /* health_failures reached healthcheck_retries */
    bool health_known;         /* a health check answered since RUNNING */
    uint64_t *restart_times;   /* ring of the last automatic restarts */
    size_t nrestart_times, restart_times_cap, restart_times_head;
    /* stdin = pipe and listeners (issue 17): tend's end of the child's
     * stdin (-1 when none) and what waits to be written to it; a
     * listener's stdout, read for host->on_output */
    int stdin_fd;
    struct watch stdin_watch;
    char *stdin_buf;
    size_t stdin_len, stdin_cap;
    int out_fd;
    struct watch out_watch;
    int out_log_fd;            /* a listener's stdout_logfile: tend's write end of
                                  the capture stream p->out (-1 when none) */
    pid_t last_pid;            /* the pid of the last run (EXITED keeps it) */
    bool oom_killed;           /* the OOM killer killed in its cgroup in the last run */
    char fatal_after_stop[160]; /* STOPPING ends FATAL with this reason, not STOPPED
                                   (an automatic restart over restart_limit_count) */
};

/* NULL when out of memory. */
struct process *proc_new(struct proc_host *h, struct process_config *cfg, bool is_main);
void proc_free(struct process *p);

/* Use CFG from now on (a reload found it the same in all that matters to a
 * running process); forgets the PATH lookup, which belongs to the old one. */
void proc_set_config(struct process *p, struct process_config *cfg);
/* A reload changed P's settings to CFG. A process that is up (or about to
 * come up again) is stopped and takes CFG once down; one that is down takes
 * it at once. Returns true when the caller should start it now (it is down
 * and CFG says autostart), false otherwise (a running one restarts by
 * itself once stopped, when CFG says autostart or it was running). */
bool proc_reconfigure(struct process *p, struct process_config *cfg);
/* A reload dropped P: stop it now, whatever depends on it (its dependents
 * are gone or changed too); it is never started again. */
void proc_remove(struct process *p);
/* Mark P as the main program (or not). */
void proc_set_main(struct process *p, bool is_main);
/* Take ownership of DEPS (N resolved depends_on; may be NULL with N 0). */
void proc_set_deps(struct process *p, struct process **deps, size_t n);
/* Rebuild every process's dependents from the deps of the N in V. 0, or -1
 * when out of memory (then dependents are left empty). */
int proc_link_dependents(struct process **v, size_t n);

/* Start a process that is not running (STOPPED, EXITED, FATAL, BACKOFF).
 * Returns 0 when it is now STARTING, waiting for its dependencies, or
 * already STARTING/RUNNING (*already set); -1 with a message in ERR when it
 * cannot start (removed, tend shutting down). */
int proc_start(struct process *p, bool *already, char *err, size_t errlen);
/* proc_start for a start nobody asked for (start-up, a reload): the same,
 * but dependencies stopped on request are not started, only waited for. */
int proc_autostart(struct process *p, bool *already, char *err, size_t errlen);
/* Stop: its dependents first, then the stop signal (STOPPING), or straight
 * to STOPPED when it was only waiting. *already set when it was not running. */
int proc_stop(struct process *p, bool *already);
/* The same with SIG instead of stopsignal. */
int proc_stop_with(struct process *p, int sig, bool *already);
/* Stop (dependents first) and start again once down: proc itself starts it,
 * so nothing rests in STOPPED on the way (pending_start is set when STOPPED
 * is announced). Down already: start it. -1 with ERR as proc_start. */
int proc_restart(struct process *p, char *err, size_t errlen);
/* An automatic restart tend decides for a program that is up (memory_limit,
 * WHY names it): counted in restarts and in restart_limit_count like a
 * crash's, so past the limit it is stopped and ends FATAL instead. 0 when
 * it restarts, 1 when it went for FATAL, -1 when P is not up (nothing
 * done). */
int proc_restart_auto(struct process *p, const char *why);
/* Act on a pending start or stop, or a start after a dependency's return. */
void proc_check_pending(struct process *p);
/* Send SIG to the process (its group when stopasgroup). -1 with errno. */
int proc_signal(struct process *p, int sig);
/* Queue BUF for the stdin pipe of P (stdin = pipe, listeners), written
 * without blocking as the pipe takes it. 0, or -1 with errno: EPIPE when
 * P has no stdin pipe open (not running, or the pipe was closed), ENOBUFS
 * when 1 MiB already waits. */
int proc_write_stdin(struct process *p, const char *buf, size_t len);
/* SIGKILL the process and its process group now (second Ctrl-C). */
void proc_kill_now(struct process *p);

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
/* True while something is still to happen without a request: alive, a
 * restart or retry timer, a pending start or stop. */
bool proc_busy(const struct process *p);
/* A finished program: EXITED with an expected code and not to be restarted. */
bool proc_finished_ok(const struct process *p);
/* "healthy", "unhealthy", or "" (no healthcheck, or none answered yet). */
const char *proc_health(const struct process *p);
/* "pid 1234, uptime 0:01:02" / "Exited too quickly (process log may have
 * details)" / "exit status 3" / "Not started"... as supervisorctl shows;
 * ", unhealthy (3 failures: HTTP status 503)" after an unhealthy one. */
void proc_describe(const struct process *p, char *buf, size_t len);
/* supervisord's `description` (getProcessInfo, supervisorctl status):
 * proc_describe's words for RUNNING, BACKOFF, FATAL; when it stopped
 * ("Dec 06 11:22 PM", local time) for STOPPED and EXITED, or "Not started";
 * "" for STARTING and STOPPING; a start that failed before exec in
 * supervisord's spawnerr words ("can't find command 'X'"). tendctl keeps
 * its documented "exit status N" / "Stopped" for EXITED and STOPPED. */
void proc_describe_supervisord(const struct process *p, char *buf, size_t len);
/* The last exit as the status file writes it: "-", "0", "3", "SIGKILL". */
void proc_exit_string(const struct process *p, char *buf, size_t len);

#endif
