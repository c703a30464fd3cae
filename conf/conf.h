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
enum ready_mode { READY_STARTSECS, READY_NOTIFY };
enum sighup_mode { SIGHUP_RELOAD, SIGHUP_FORWARD };
enum on_fatal_mode { ON_FATAL_IGNORE, ON_FATAL_SHUTDOWN };

enum log_kind {
    LOG_INHERIT,   /* child writes straight to tend's own fd 1 / fd 2 */
    LOG_NONE,      /* /dev/null */
    LOG_FILE,      /* a file, appended and rotated; AUTO is resolved to this */
    LOG_STDOUT,    /* captured, written to tend's stdout */
    LOG_STDERR,    /* captured, written to tend's stderr */
};

struct log_target {
    enum log_kind kind;
    char *path;            /* LOG_FILE: absolute path; else NULL */
    uint64_t maxbytes;     /* 0 = never rotate */
    int backups;
    bool is_auto;          /* path came from AUTO (under childlogdir) */
};

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

    int priority;
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

    /* line of each key that can be the subject of a later error, 0 if unset */
    int line_command, line_depends_on, line_user, line_main;
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

    struct process_config *procs;  /* sorted by (priority, fullname) */
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

/* True when two process configs would run the same way (reload keeps the
 * process when true). Compares every setting, not names of files/lines. */
bool conf_process_same(const struct process_config *a, const struct process_config *b);

/* Signal by name ("TERM", "SIGTERM", "term") or number; -1 if unknown. */
int conf_signal_parse(const char *s);
/* "TERM" for SIGTERM (without SIG); "34" for unnamed ones (callers print
 * "SIG%s" either way).
 * Returns a static string. */
const char *conf_signal_name(int sig);

#endif
