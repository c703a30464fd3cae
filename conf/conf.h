/* conf.h - the configuration model of tend.
 *
 * conf_load() reads an INI file (supervisord's dialect, through inih with our
 * own line reader), follows [include] globs, expands %(...)s, validates every
 * value and cross-checks names and depends_on. It returns a fully resolved
 * model: one struct process_config per process (numprocs already expanded),
 * ready for the daemon to use without looking at INI again.
 *
 * Errors and warnings are collected, never printed, in struct conf_diags, each
 * with the file and physical line it is about. conf/ knows nothing of
 * processes at run time and includes nothing from supervisor/.
 */
#ifndef TEND_CONF_H
#define TEND_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define TEND_VERSION "0.1.0"

/* ---- diagnostics ---- */
enum conf_severity { CONF_WARNING, CONF_ERROR };

struct conf_diag {
    enum conf_severity severity;
    char *file;        /* NULL when not about a file (e.g. the command line) */
    int line;          /* physical line, 1-based; 0 when not about a line */
    char *msg;         /* without the "FILE:LINE: " prefix */
};

struct conf_diags {
    struct conf_diag *v;
    size_t n, cap;
    int nerrors, nwarnings;
};

/* Append a diagnostic (printf-style). Never fails: out of memory aborts. */
void conf_diag_add(struct conf_diags *d, enum conf_severity sev, const char *file,
                   int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Print every diagnostic as "FILE:LINE: error: msg" / "FILE:LINE: warning: msg"
 * (or without FILE:LINE when unknown), one per line. */
void conf_diags_print(const struct conf_diags *d, FILE *out);
void conf_diags_free(struct conf_diags *d);

/* ---- values ---- */
struct env_var { char *key, *value; };
struct env_list { struct env_var *v; size_t n; };

enum autorestart { RESTART_FALSE, RESTART_TRUE, RESTART_UNEXPECTED };
enum ready_mode { READY_STARTSECS, READY_NOTIFY, READY_PROBE };
enum health_action { HEALTH_RESTART, HEALTH_STOP, HEALTH_NONE };

/* A probe (ready = PROBE, healthcheck = PROBE), parsed and checked at load
 * time so the daemon never parses text or resolves a name: tcp and http
 * hold a numeric address (no DNS: a lookup would block the event loop). */
enum probe_kind { PROBE_NONE, PROBE_TCP, PROBE_UNIX, PROBE_HTTP, PROBE_EXEC };
struct probe_spec {
    enum probe_kind kind;  /* PROBE_NONE: no probe (everything else empty) */
    char *text;            /* as written, for messages and --check -v */
    int family;            /* tcp, http: AF_INET or AF_INET6 */
    uint8_t addr[16];      /* tcp, http: the address, network order */
    uint16_t port;         /* tcp, http: host order */
    char *host;            /* http: the Host header ("127.0.0.1:8080") */
    char *path;            /* unix: absolute socket path; http: "/health" */
    char **argv;           /* exec: NULL-terminated, split like command */
};

/* startretries = forever */
#define CONF_RETRIES_FOREVER (-1)
enum sighup_mode { SIGHUP_RELOAD, SIGHUP_FORWARD };
enum on_fatal_mode { ON_FATAL_IGNORE, ON_FATAL_SHUTDOWN };

enum log_kind {
    LOG_INHERIT,   /* child writes straight to tend's own fd 1 / fd 2 */
    LOG_NONE,      /* /dev/null */
    LOG_FILE,      /* a file, appended and rotated; AUTO is resolved to this */
    LOG_STDOUT,    /* captured, written to tend's stdout */
    LOG_STDERR,    /* captured, written to tend's stderr */
};

/* log_timestamp, log_format (issue 15) */
enum log_stamp { LOG_STAMP_NONE, LOG_STAMP_ISO8601, LOG_STAMP_RFC3339MS, LOG_STAMP_UNIX };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

struct log_target {
    enum log_kind kind;
    char *path;            /* LOG_FILE: absolute path; else NULL */
    uint64_t maxbytes;     /* 0 = never rotate */
    int backups;
    bool is_auto;          /* path came from AUTO (under childlogdir) */
    /* the program's log_timestamp and log_format, copied to both streams;
     * any of these (or syslog) means the stream is captured by tend, an
     * inherit target then being tend's stdout or stderr */
    enum log_stamp stamp;
    enum log_format format;
    bool syslog;           /* stdout_syslog / stderr_syslog */
    bool events;           /* stdout_events_enabled / stderr_events_enabled: PROCESS_LOG
                              events (issue 17); an inherit target is then captured */
    uint64_t capture_maxbytes; /* stdout_capture_maxbytes / stderr_: > 0 turns on
                              supervisord's capture mode (PROCESS_COMMUNICATION events;
                              supervisor/commcap.h); captured like events */
    char *syslog_socket;   /* when syslog: [supervisor] syslog_socket, else NULL */
};

/* [unix_http_server] / [inet_http_server] (issue 16): where tend serves
 * supervisord's XML-RPC interface. Strings owned by the config. */
struct http_server_config {
    bool enabled;          /* the section is present */
    char *file;            /* unix: absolute socket path */
    mode_t chmod;          /* unix: 0700 */
    bool chown_set;        /* unix: chown = USER[:GROUP] */
    uid_t chown_uid;
    gid_t chown_gid;       /* (gid_t)-1: keep the group */
    char *host;            /* inet: address to bind; "" = every address */
    int port;              /* inet: 1..65535 */
    char *username;        /* NULL: no authentication */
    char *password;        /* plain, or "{SHA}" + 40 hex digits of SHA-1 */
    char *srcfile;         /* where the section is, for messages */
    int line;
};

/* Resource limits (issue 18): rlimit_* keys, in conf_rlimit_keys order. */
#define CONF_NRLIMITS 9
#define CONF_RLIM_INFINITY UINT64_MAX
struct conf_rlimit { bool set; uint64_t soft, hard; };
/* "rlimit_nofile", ... (index I < CONF_NRLIMITS) and its RLIMIT_* number. */
const char *conf_rlimit_key(int i);
int conf_rlimit_resource(int i);

/* One process to supervise. numprocs copies of a program are separate
 * process_configs sharing program/group. Every string is owned by the config. */
struct process_config {
    char *name;            /* process name, process_name expanded ("web_00") */
    char *program;         /* [program:X] section name */
    char *group;           /* group name: [group:g] if listed there, else program */
    char *fullname;        /* as tendctl shows it: "g:name", "x:x_00", or "x" */
    char *file;            /* file and line of the [program:X] header, */
    int line;              /* for messages at run time */

    char *command;         /* as written (expanded), for display */
    char **argv;           /* NULL-terminated, split like a shell, no shell */
    int process_num, numprocs;

    char *directory;       /* NULL = inherit */
    bool umask_set;
    mode_t umask;
    char *user;            /* NULL = do not switch */
    uid_t uid;             /* resolved at load time when user is set */
    gid_t gid;

    struct env_list environment;   /* [supervisor] then program, merged */

    int priority;          /* its own; else its [group:g]'s, if set; else 999 */
    /* Start and stop level, as supervisord orders whole groups: the
     * priority of its [group:g] (999 unless set), or its own priority
     * outside groups. Shutdown stops the highest order first, every
     * process of one order together, before the next order is signalled. */
    int order;
    char **depends_on;     /* NULL-terminated list of fullnames of processes */
    bool autostart;
    enum autorestart autorestart;
    uint8_t exitcodes[32]; /* bit set of expected exit codes 0..255 */
    int startsecs;         /* for READY_NOTIFY: the readiness timeout */
    int startretries;
    int stopsignal;
    int stopwaitsecs;
    bool stopasgroup, killasgroup;
    enum ready_mode ready;
    bool main;             /* the main program (config key or tend -- CMD) */

    char *stdin_path;      /* NULL = /dev/null */
    struct log_target stdout_log, stderr_log;
    bool redirect_stderr;
    bool log_prefix;

    /* readiness, health, restart policy (issue 14); times in ms */
    struct probe_spec ready_probe;      /* ready = PROBE (READY_PROBE), else PROBE_NONE */
    int ready_interval_ms;              /* 500 */
    struct probe_spec healthcheck;      /* PROBE_NONE: no healthcheck */
    int healthcheck_interval_ms;        /* 10000 */
    int healthcheck_timeout_ms;         /* 5000 */
    int healthcheck_retries;            /* 3 failures in a row: unhealthy */
    int healthcheck_start_period_ms;    /* 0: failures after RUNNING that do not count */
    enum health_action healthcheck_action;  /* HEALTH_RESTART */
    int restart_delay_ms;               /* 0 */
    int backoff_max_ms;                 /* 60000; 0: no growth */
    int restart_limit_count;            /* 0: no limit */
    int restart_limit_interval_ms;      /* 60000 */
    /* environment_file: [supervisor]'s first (environment_files_nsup of
     * them), then the program's; absolute, a leading '-' marks an optional
     * file. Read at each start by conf_env_resolve(), never kept. */
    char **environment_files;           /* NULL-terminated, never NULL once loaded */
    size_t environment_files_nsup;
    struct env_list environment_own;    /* the program's own environment = */

    /* resources (issue 18), applied in the child before exec */
    struct conf_rlimit rlimits[CONF_NRLIMITS];
    bool nice_set, oom_score_adj_set;
    int nice;                           /* -20..19 */
    int oom_score_adj;                  /* -1000..1000 */
    uint64_t memory_limit;              /* bytes of RSS summed; 0: none */
    int memory_check_interval_ms;       /* 10000 */
    /* cgroup v2 controller keys (issue 18); 0 / "" = unset */
    uint64_t memory_max, memory_high;   /* bytes; CONF_RLIM_INFINITY = "max" */
    uint64_t pids_max;                  /* CONF_RLIM_INFINITY = "max" */
    char cpu_max[48];                   /* as cpu.max takes it: "50000 100000", "max 100000" */
    int cpu_weight;                     /* 1..10000 */

    /* line of each key that can be the subject of a later error, 0 if unset */
    int line_command, line_depends_on, line_user, line_main;

    /* [eventlistener:x] and stdin = pipe (issue 17) */
    bool listener;         /* an event listener: its stdin and stdout speak the protocol */
    char **events;         /* listener: conf_event_types names it subscribes to */
    int buffer_size;       /* listener: events waiting per pool (10) */
    bool stdin_pipe;       /* stdin is a pipe held by tend (stdin = pipe; listeners) */
};

static inline bool conf_exitcode_expected(const struct process_config *p, int code)
{
    return code >= 0 && code < 256 && (p->exitcodes[code >> 3] >> (code & 7)) & 1;
}

struct group_config {
    char *name;
    char **programs;       /* NULL-terminated program names */
    int priority;
    char *file;
    int line;
};

struct tend_config {
    char *file;            /* absolute path of the main file, NULL without -c */
    char **files;          /* every file read, main first; NULL-terminated */
    size_t nfiles;

    char *rundir;          /* always set (default resolved) */
    char *control;         /* always set */
    mode_t control_mode;
    bool control_group_set;
    gid_t control_group;
    char *logfile;         /* NULL = stderr */
    int loglevel;          /* 0 error, 1 warn, 2 info, 3 debug */
    char *pidfile;         /* NULL = none */
    struct env_list environment;
    enum sighup_mode sighup;
    char *childlogdir;     /* always set */
    enum on_fatal_mode on_fatal;
    char **environment_files;   /* [supervisor] environment_file; NULL-terminated */
    /* logging (issue 15): program defaults, syslog, tend's own log */
    enum log_stamp log_timestamp;  /* default of [program:x] log_timestamp */
    enum log_format log_format;    /* default of [program:x] log_format */
    char *syslog_socket;           /* always set: /dev/log unless given */
    uint64_t logfile_maxbytes;     /* rotation of logfile: 50MB, 0 = never */
    int logfile_backups;           /* 10 */
    enum log_format logformat;     /* tend's own lines: text or json */
    struct http_server_config unix_http, inet_http;  /* issue 16 */
    char *identifier;              /* server: of event envelopes ("supervisor") */
    long minfds, minprocs;         /* issue 18: 0 = leave tend's limits alone */
    enum conf_cgroups { CGROUPS_AUTO, CGROUPS_ON, CGROUPS_OFF, CGROUPS_PATH } cgroups;
    char *cgroups_path;            /* CGROUPS_PATH: absolute, under the cgroup2 mount */

    /* sorted by (order, group, priority, name): supervisord's start order
     * (groups by priority and name, then their processes by priority and
     * name) */
    struct process_config *procs;
    size_t nprocs;
    struct group_config *groups;
    size_t ngroups;
    size_t nprograms;      /* [program:x] sections */
    char *path;            /* the main file as given to conf_load (for messages), or NULL */
};

/* User and group names (user =, control_group =) are looked up through
 * these hooks, so that libconf itself references no NSS function and a
 * program that only needs paths from the config (tendctl) links statically
 * without glibc's NSS caveats. Until conf_use_system_accounts() is called,
 * names are kept unresolved (uid and gid -1) and only numbers are checked.
 * tend calls it once at start-up; so do the tests. */
struct passwd;
struct group;
struct conf_accounts {
    struct passwd *(*by_name)(const char *name);
    struct passwd *(*by_uid)(uid_t uid);
    struct group *(*group_by_name)(const char *name);
    /* Where names are looked up, for "no such user" messages; NULL when
     * that is the system's usual database (NSS). */
    const char *user_source, *group_source;
};
extern const struct conf_accounts *conf_accounts;
void conf_use_system_accounts(void);

/* Load PATH and everything it includes. Returns NULL when any error was
 * found (every error is in D, not just the first). Warnings do not fail. */
struct tend_config *conf_load(const char *path, struct conf_diags *d);

/* A configuration with defaults only and no programs (tend -- CMD alone). */
struct tend_config *conf_default(struct conf_diags *d);

/* Add the main program given on tend's command line (argv as given, PATH
 * lookup at spawn). It is named after basename(argv[0]) (sanitised; made
 * unique). Fails, with an error in D, when the config already has a
 * program with main = true. Returns 0 or -1. */
int conf_add_main_command(struct tend_config *c, char *const argv[], struct conf_diags *d);

void conf_free(struct tend_config *c);

/* One-line summary for --check: "FILE: N programs (M processes), G groups, F files". */
void conf_summary(const struct tend_config *c, FILE *out);
/* The resolved configuration of every process, for --check -v. */
void conf_dump(const struct tend_config *c, FILE *out);

/* Start order, as conf sorts procs: (order, group, priority, name). */
int conf_process_cmp(const struct process_config *p, const struct process_config *q);
/* True when two process configs would run the same way (reload keeps the
 * process when true). Compares every setting, not names of files/lines. */
bool conf_process_same(const struct process_config *a, const struct process_config *b);

/* supervisord's event type names, as events = takes them (NULL-terminated;
 * an index into it is an event type of supervisor/events.h). */
extern const char *const conf_event_types[];

/* ---- probes, restart policy, environment files (issue 14) ---- */

/* Parse TEXT ("tcp:8080", "tcp:[::1]:80", "unix:run/s.sock",
 * "http://127.0.0.1:8080/health", "exec:pg_isready -q") into OUT; relative
 * unix paths resolve against DIR. Returns 0, or -1 with a message (without
 * the key name) in ERR; OUT is then PROBE_NONE. */
int conf_probe_parse(const char *text, const char *dir, struct probe_spec *out,
                     char *err, size_t errlen);
void conf_probe_copy(struct probe_spec *dst, const struct probe_spec *src);
void conf_probe_free(struct probe_spec *p);   /* leaves PROBE_NONE */
bool conf_probe_same(const struct probe_spec *a, const struct probe_spec *b);

/* The wait before automatic restart number CRASHES (1 for the first exit
 * after RUNNING, counting crashes in a row) of P: at least
 * restart_delay, growing 0, 1 s, 2 s, 4 s... capped at backoff_max
 * (backoff_max = 0: always restart_delay). Milliseconds. */
uint64_t conf_backoff_delay_ms(const struct process_config *p, unsigned crashes);

/* Read one environment file: KEY=VALUE lines, blank lines and '#'
 * comments skipped, an optional "export ", 'single' quotes literal,
 * "double" quotes with \n \" \\ \$ escapes (both may span lines), unquoted
 * values trimmed and ended by " #". Variables are added to OUT (a later
 * key replaces an earlier one). PATH starting with '-' is optional: a
 * missing file is no error. Returns 0, or -1 with "PATH: reason" or
 * "PATH:LINE: reason" in ERR; OUT may then hold part of the file. A value
 * never appears in ERR. Blocks only on reading the file. */
int conf_envfile_read(const char *path, struct env_list *out, char *err, size_t errlen);

/* The variables to set over tend's own environment for one start of P, in
 * the contract's order: [supervisor]'s environment files < its environment
 * < the program's environment files < its environment. Reads the files
 * (each start: a changed file counts at the next start). Returns 0, or -1
 * with ERR as conf_envfile_read (a failed start). OUT starts empty; free
 * it with conf_env_free. */
int conf_env_resolve(const struct process_config *p, struct env_list *out,
                     char *err, size_t errlen);
void conf_env_free(struct env_list *e);

/* Signal by name ("TERM", "SIGTERM", "term") or number; -1 if unknown. */
int conf_signal_parse(const char *s);
/* "TERM" for SIGTERM (without SIG); "34" for unnamed ones (callers print
 * "SIG%s" either way).
 * Returns a static string. */
const char *conf_signal_name(int sig);

#endif
