/* request.h - the control FIFO's request grammar, shared by tend and tendctl.
 *
 * A request is one line of at most REQ_MAX bytes including its newline, so
 * that writers never interleave (PIPE_BUF):
 *
 *     [@REPLY_FIFO ]VERB [ARG...]
 *
 * Words are separated by blanks (space or tab); there is no quoting, so an
 * argument can never contain a blank. REPLY_FIFO is an absolute path. The
 * reply written there is zero or more text lines followed by one final line,
 * `ok` or `error: MESSAGE`.
 *
 * Verbs (NAME: fullname, unique bare process name, `group:*`, `group:name`,
 * a group name, or `all`):
 *   status [-j|-jl] [NAME...] one line per process; -j: machine records;
 *                             -jl: with CPU, RSS and PROCS (usage.h)
 *   metrics                   every figure in the Prometheus text format
 *   start|stop|restart NAME...  one `NAME: started|stopped|ERROR (why)` line each,
 *                             once every process has reached its goal
 *   signal SIG NAME...        SIG by name (with or without SIG) or number
 *   pid [NAME...]             tend's pid, or each process's (0 = not running)
 *   reload | reopen | shutdown | version
 *   wait NAME STATE [SECONDS] `ok` once NAME is in STATE (at once if it is),
 *                             `error: timed out ...` after SECONDS (default 10)
 *   logfile NAME [stdout|stderr]  the absolute path of the captured log file
 *
 * Machine status record (status -j), one line per process, fields separated
 * by one TAB, no field contains a TAB or newline:
 *   NAME STATE PID EXIT RESTARTS SINCE FINE DESCRIPTION STATUS_TEXT HEALTH
 * PID 0 when none; EXIT `-`, a number or a signal name (`SIGKILL`); SINCE Unix
 * seconds of the last state change; FINE 1 when RUNNING or finished as
 * expected (proc_finished_ok), else 0; DESCRIPTION as proc_describe();
 * STATUS_TEXT the program's sd_notify STATUS= (may be empty); HEALTH
 * `healthy`, `unhealthy` or empty (no healthcheck, or no answer yet). A
 * record without HEALTH (an older tend) parses with HEALTH empty. With -jl
 * three more fields follow: CPU (seconds, decimal), RSS (bytes) and PROCS.
 *
 * Everything here is pure (no I/O), so it is unit tested directly.
 */
#ifndef TEND_REQUEST_H
#define TEND_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define REQ_MAX 4096            /* bytes per request line, newline included */
#define REQ_MAXARGS 512

enum req_verb {
    VERB_STATUS, VERB_START, VERB_STOP, VERB_RESTART, VERB_SIGNAL, VERB_PID,
    VERB_RELOAD, VERB_REOPEN, VERB_SHUTDOWN, VERB_VERSION, VERB_WAIT, VERB_LOGFILE,
    VERB_METRICS,
};
#define VERB_COUNT 13

struct request {
    char *reply;                /* reply FIFO path, NULL for fire-and-forget */
    enum req_verb verb;
    const char *verb_name;
    int argc;                   /* arguments after the verb */
    char *argv[REQ_MAXARGS + 1];
    char buf[REQ_MAX + 1];      /* the words point in here */
};

/* Parse LINE (LEN bytes, without its newline; must be < REQ_MAX). Returns 0,
 * 1 for an empty (blank) line, or -1 with a message in ERR. Even on -1,
 * R->reply is set when the line named a valid reply FIFO, so the error can
 * be answered there. */
int request_parse(const char *line, size_t len, struct request *r, char *err, size_t errlen);

/* The verb named S, or -1. */
int request_verb(const char *s);
const char *request_verb_name(enum req_verb v);

/* True for an acceptable reply path: absolute, shorter than PATH_MAX, no
 * control characters or blanks. */
bool request_reply_path_ok(const char *path);

/* Format a request line into BUF (newline included, NUL terminated). REPLY
 * may be NULL. Returns the length, or -1 when an argument is empty or holds
 * a blank/control character (errno EINVAL) or the line would exceed REQ_MAX
 * (errno E2BIG). */
int request_format(char *buf, size_t size, const char *reply, const char *verb,
                   char *const argv[], int argc);

/* ---- status records ---- */
struct status_rec {
    char *name, *state;
    long pid;
    char *exit;
    unsigned long restarts;
    long long since;
    bool fine;
    char *desc, *text;
    char *health;               /* "healthy", "unhealthy", or "" (none known) */
    bool has_usage;             /* the three below are known (status -jl) */
    double cpu_seconds;
    unsigned long long rss_bytes;
    unsigned long procs;
    bool has_memory_current;    /* its cgroup's memory.current is known */
    unsigned long long memory_current;
};

/* Split a machine record in place (LINE is modified). Returns 0 or -1. */
int status_rec_parse(char *line, struct status_rec *r);
/* Format a machine record (without newline); TAB/newline/control characters
 * in the strings become spaces. Returns the length or -1 if it did not fit. */
int status_rec_format(char *buf, size_t size, const struct status_rec *r);
/* The width of the name column for the longest name NAMELEN, as
 * supervisorctl: max(NAMELEN, 30) + 3. */
int status_name_width(size_t namelen);
/* The human line, supervisorctl-aligned: name padded to NAMEWIDTH, state
 * padded to 10, description, then ` "STATUS_TEXT"` when there is one. */
int status_rec_text(char *buf, size_t size, const struct status_rec *r, int namewidth);
/* Append R as a JSON object to BUF (NUL terminated), with cpu_seconds,
 * rss_bytes and procs when it has them, and memory_current_bytes when
 * that is known too. Returns the new length or -1 if it
 * did not fit. */
int status_rec_json(char *buf, size_t size, const struct status_rec *r);

/* "  cpu=1.25s rss=10.4MB procs=3" for status -l (R has usage), else "". */
int status_rec_usage_text(char *buf, size_t size, const struct status_rec *r);

/* Is LINE a final reply line? 1 for `ok`, -1 for `error: ...`, 0 otherwise. */
int reply_final(const char *line);

#endif
