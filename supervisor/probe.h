/* probe.h - readiness and health probes, run inside the event loop.
 *
 * A probe makes attempts of one struct probe_spec (conf.h): tcp: and unix:
 * succeed when a connection is accepted, http:// when a GET answers
 * 200-399 (only the status line is read), exec: when the command exits 0.
 * Nothing blocks: sockets are non-blocking with a deadline on the loop's
 * timer heap; an exec probe is a child in its own process group, reaped
 * by tend's reaper (probe_reaped) and killed with its group at the
 * deadline; its stdout and stderr go to tend's log at debug level. The
 * only wait is spawn's fork-to-exec window, as for any program.
 *
 * Each attempt ends with exactly one call of the callback: success, a
 * failure, or the timeout, each with a short reason ("connection refused",
 * "HTTP status 503", "exit status 1", "timed out after 5 s"). The callback
 * is never called from inside probe_run / probe_every; it may call any
 * function here on its own probe, probe_free included.
 *
 * A probe that is not running holds no descriptor and no armed timer:
 * programs without probes cost nothing.
 */
#ifndef TEND_PROBE_H
#define TEND_PROBE_H

#include <stdbool.h>
#include <sys/types.h>

#include "conf/conf.h"

struct loop;
struct probe;

/* REASON is only valid during the call. */
typedef void (*probe_done_cb)(void *arg, bool ok, const char *reason);

/* How an exec: probe runs: as the program does. Everything is copied. */
struct probe_exec {
    char *const *envp;          /* NULL: tend's environment */
    const char *directory;      /* NULL: tend's */
    bool umask_set;
    mode_t umask;
    bool set_user;              /* initgroups, setgid, setuid (tend as root) */
    const char *user;
    uid_t uid;
    gid_t gid;
};

/* A probe of SPEC (copied), named LABEL in log lines (the process's full
 * name). NULL on out of memory or a PROBE_NONE spec. */
struct probe *probe_new(struct loop *l, const struct probe_spec *spec, const char *label,
                        probe_done_cb cb, void *arg);

/* Set what the next exec attempts run with (call at each program start,
 * after its environment is built). Returns 0, or -1 on out of memory (the
 * old settings stay). Ignored by network probes. */
int probe_set_exec(struct probe *p, const struct probe_exec *x);

/* Start one attempt now, ending at most TIMEOUT_MS later. An attempt in
 * progress is dropped first without a callback. Returns 0; a failure to
 * even begin (no socket, spawn failed) is reported through the callback
 * like any failure. */
int probe_run(struct probe *p, unsigned timeout_ms);

/* Attempts repeatedly: the first FIRST_MS from now, each next one
 * INTERVAL_MS after the previous one ended (as Docker's HEALTHCHECK), each
 * limited to TIMEOUT_MS; the callback after each, until probe_cancel. */
void probe_every(struct probe *p, unsigned first_ms, unsigned interval_ms, unsigned timeout_ms);

/* Stop the attempt in progress (no callback; an exec probe's group is
 * killed) and the repetition. The probe can run again later. */
void probe_cancel(struct probe *p);
/* probe_cancel, then free. NULL is fine. */
void probe_free(struct probe *p);

/* An attempt is in progress. */
bool probe_busy(const struct probe *p);

/* For tend's reaper: true when PID was an exec probe's child (its status
 * is taken here), false for any other pid. */
bool probe_reaped(pid_t pid, int status);

#endif
