/* build.c - conf_load(): raw sections (load.c) into the resolved model.
 *
 * Order: files are read; [group:x] sections map programs to groups;
 * [supervisor] sets the globals (its environment and childlogdir are needed
 * by programs); each [program:x] becomes numprocs process_configs, every
 * value expanded per copy (so %(process_num)d works everywhere, as in
 * supervisord) and parsed; then check.c runs the cross checks and the
 * processes are sorted in supervisord's order (see cf_sort_procs).
 *
 * A program's priority is its own; when unset, its group's; else 999.
 * Its order (start and stop level) is its group's priority, as supervisord
 * orders whole groups; a program outside groups is a group of its own.
 *
 * %(ENV_X)s sees, before tend's own environment, the variables that
 * [supervisor] environment sets (in every section but [supervisor] itself
 * and [include]), and in a program's keys that program's own environment
 * (but in environment, numprocs and numprocs_start): supervisord adds them
 * to its expansions in that order.
 */
#include "conf/check.h"
#include "conf/diag.h"
#include "conf/expand.h"
#include "conf/health.h"
#include "conf/load.h"
#include "conf/model.h"
#include "conf/resources.h"
#include "conf/util.h"
#include "conf/values.h"
#include "conf/words.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#define MAX_SECS 1000000
#define MAX_NUMPROCS 10000
#define MAX_PRIORITY 1000000

static const char *const supervisor_keys[] = {
    "log_timestamp", "log_format", "syslog_socket", "logfile_maxbytes", "logfile_backups",
    "logformat",
    "rundir", "control", "control_mode", "control_group", "logfile", "loglevel", "pidfile",
    "environment", "sighup", "childlogdir", "on_fatal", "environment_file", "identifier",
    "minfds", "minprocs", "cgroups", NULL,
};
/* supervisord's [supervisord] keys that tend has no use for. */
static const char *const supervisor_ignored[] = {
    "umask", "nodaemon", "silent", "nocleanup", "user", "directory", "strip_ansi", NULL,
};
static const char *const program_keys[] = {
    "log_timestamp", "log_format", "stdout_syslog", "stderr_syslog",
    "command", "numprocs", "numprocs_start", "process_name", "directory", "umask", "user",
    "environment", "priority", "depends_on", "autostart", "autorestart", "exitcodes",
    "startsecs", "startretries", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup",
    "ready_interval", "healthcheck", "healthcheck_interval", "healthcheck_timeout",
    "healthcheck_retries", "healthcheck_start_period", "healthcheck_action", "restart_delay",
    "backoff_max", "restart_limit_count", "restart_limit_interval", "environment_file",
    "ready", "main", "stdin", "stdout_logfile", "stderr_logfile", "stdout_logfile_maxbytes",
    "stdout_logfile_backups", "stderr_logfile_maxbytes", "stderr_logfile_backups",
    "redirect_stderr", "log_prefix", "stdout_events_enabled", "stderr_events_enabled",
    "stdout_capture_maxbytes", "stderr_capture_maxbytes",
    "rlimit_nofile", "rlimit_nproc", "rlimit_core", "rlimit_as", "rlimit_data", "rlimit_stack",
    "rlimit_memlock", "rlimit_fsize", "rlimit_cpu", "nice", "oom_score_adj", "memory_limit",
    "memory_check_interval", "memory_max", "memory_high", "pids_max", "cpu_max", "cpu_weight",
    NULL,
};
static const char *const program_ignored[] = {
    "serverurl", NULL,
};
static const char *const group_keys[] = {"programs", "priority", NULL};
/* [eventlistener:x]: a program's keys and these (issue 17) */
static const char *const listener_keys[] = {"events", "buffer_size", NULL};
static const char *const listener_ignored[] = {"result_handler", NULL};
const char *const conf_event_types[] = {
    "EVENT", "PROCESS_STATE", "PROCESS_STATE_STOPPED", "PROCESS_STATE_EXITED",
    "PROCESS_STATE_STARTING", "PROCESS_STATE_STOPPING", "PROCESS_STATE_BACKOFF",
    "PROCESS_STATE_FATAL", "PROCESS_STATE_RUNNING", "PROCESS_STATE_UNKNOWN",
    "PROCESS_COMMUNICATION", "PROCESS_COMMUNICATION_STDOUT", "PROCESS_COMMUNICATION_STDERR",
    "PROCESS_LOG", "PROCESS_LOG_STDOUT", "PROCESS_LOG_STDERR", "REMOTE_COMMUNICATION",
    "SUPERVISOR_STATE_CHANGE", "SUPERVISOR_STATE_CHANGE_RUNNING",
    "SUPERVISOR_STATE_CHANGE_STOPPING", "TICK", "TICK_5", "TICK_60", "TICK_3600",
    "PROCESS_GROUP", "PROCESS_GROUP_ADDED", "PROCESS_GROUP_REMOVED", NULL,
};
/* log_timestamp, log_format / logformat (issue 15) */
static const struct cf_keyword log_stamps[] = {
    {"none", LOG_STAMP_NONE}, {"iso8601", LOG_STAMP_ISO8601},
    {"rfc3339ms", LOG_STAMP_RFC3339MS}, {"unix", LOG_STAMP_UNIX}, {NULL, 0},
};
static const struct cf_keyword log_formats[] = {
    {"text", LOG_FORMAT_TEXT}, {"json", LOG_FORMAT_JSON}, {NULL, 0},
};
#define LOG_STAMPS_EXPECTED "none, iso8601, rfc3339ms or unix"
/* supervisord sections tend accepts and ignores (with one warning each). */
static const char *const ignored_sections[] = {
    "supervisorctl", NULL,
};
/* [unix_http_server] and [inet_http_server] (issue 16) */
static const char *const unix_http_keys[] = {"file", "chmod", "chown", "username", "password", NULL};
static const char *const inet_http_keys[] = {"port", "username", "password", NULL};
static const char *const ignored_prefixes[] = {
    "rpcinterface:", "fcgi-program:", "ctlplugin:", NULL,
};
static const char *const section_words[] = {
    "supervisor", "supervisord", "program", "group", "include", "unix_http_server",
    "inet_http_server", "supervisorctl", "rpcinterface", "eventlistener", "fcgi-program",
    "ctlplugin", NULL,
};

struct program {
    struct cf_section *sec;
    const char *name;               /* after "program:" */
    long group;                     /* index in c->groups, -1 when none */
    bool listener;                  /* [eventlistener:x] */
};

/* The variables of one expansion: fixed ones, then ENV_X for the
 * variables of environment = lines, the first match winning. v[0] is
 * always "here", set per key (a merged section has keys of several files). */
struct varset {
    struct cf_var *v;
    size_t n, cap;
    struct cf_strvec names;         /* owned "ENV_X" names */
};

static void vs_add(struct varset *vs, const char *name, const char *str, long num)
{
    cf_grow(&vs->v, &vs->cap, vs->n, sizeof *vs->v);
    vs->v[vs->n++] = (struct cf_var){name, str, num};
}

static void vs_add_env(struct varset *vs, const struct env_list *e)
{
    for (size_t i = 0; i < e->n; i++) {
        char *name = cf_xasprintf("ENV_%s", e->v[i].key);
        cf_strvec_push(&vs->names, name);
        vs_add(vs, name, e->v[i].value, 0);
    }
}

static void vs_free(struct varset *vs)
{
    free(vs->v);
    cf_strv_free(vs->names.v);
    memset(vs, 0, sizeof *vs);
}

struct build {
    struct tend_config *c;
    struct conf_diags *d;
    struct cf_doc doc;
    char node[256];
    struct program *progs;
    struct program *groups;         /* [group:x] sections, built after [supervisor] */
    size_t ngroup_secs;
    size_t nprogs;
    struct cf_procinfo *info;       /* parallel to c->procs */
    size_t cap;
    int *group_prio_set;
};

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

static void unknown_key(struct build *b, const struct cf_section *s, const struct cf_kv *kv,
                        const char *const *known, const char *const *ignored)
{
    /* tend always runs in the foreground: nodaemon = true is what it does
     * anyway, and nearly every containerised supervisord.conf says it. */
    bool fg;
    if (!strcmp(kv->key, "nodaemon") && cf_parse_bool(kv->value, &fg) == 0 && fg)
        return;
    if (ignored && in_list(kv->key, ignored)) {
        cf_diag_once(b->d, CONF_WARNING, kv->file, kv->line,
                     "'%s' is not supported by tend, ignored", kv->key);
        return;
    }
    const char *near = cf_closest(kv->key, known);
    if (!near && ignored)
        near = cf_closest(kv->key, ignored);
    if (near)
        cf_diag_once(b->d, CONF_WARNING, kv->file, kv->line,
                     "unknown key '%s' in [%s]; did you mean %s?", kv->key, s->name, near);
    else
        cf_diag_once(b->d, CONF_WARNING, kv->file, kv->line, "unknown key '%s' in [%s]",
                     kv->key, s->name);
}

/* Expanded value of KV, or NULL after reporting the error. */
static char *expand(struct build *b, const struct cf_kv *kv, struct varset *vs)
{
    char *err = NULL;
    vs->v[0].str = kv->dir;
    char *v = cf_expand(kv->value, vs->v, vs->n, &err);
    if (!v) {
        cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "%s: %s", kv->key, err);
        free(err);
    }
    return v;
}

static void bad_value(struct build *b, const struct cf_kv *kv, const char *v,
                      const char *expected)
{
    cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "%s: invalid value '%s' (expected %s)",
                 kv->key, v, expected);
}

static char *path_value(const struct cf_kv *kv, const char *v)
{
    return cf_path_join(kv->dir, v);
}

/* ---- [unix_http_server], [inet_http_server] ---- */

/* "HOST:PORT", ":PORT", "*:PORT" (every address) or "PORT"; "[::1]:PORT". */
static int parse_host_port(const char *v, char **host, int *port)
{
    const char *colon = strrchr(v, ':');
    const char *ps = colon ? colon + 1 : v;
    if (cf_parse_int(ps, 1, 65535, port) < 0)
        return -1;
    if (!colon || colon == v || (colon == v + 1 && v[0] == '*')) {
        *host = cf_xstrdup("");
        return 0;
    }
    if (v[0] == '[') {
        if (colon[-1] != ']' || colon - v < 3)
            return -1;
        *host = cf_xstrndup(v + 1, (size_t)(colon - v - 2));
    } else {
        *host = cf_xstrndup(v, (size_t)(colon - v));
    }
    return 0;
}

static void build_http(struct build *b, struct cf_section *s, bool is_unix)
{
    struct http_server_config *h = is_unix ? &b->c->unix_http : &b->c->inet_http;
    const char *const *keys = is_unix ? unix_http_keys : inet_http_keys;
    if (h->enabled) {
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "[%s] given twice", s->name);
        return;
    }
    h->enabled = true;
    h->chmod = 0700;
    h->chown_gid = (gid_t)-1;
    h->srcfile = cf_xstrdup(s->file);
    h->line = s->line;
    struct varset vs = {0};
    vs_add(&vs, "here", NULL, 0);
    vs_add(&vs, "host_node_name", b->node, 0);
    vs_add_env(&vs, &b->c->environment);
    for (size_t i = 0; i < s->nkv; i++) {
        const struct cf_kv *kv = &s->kv[i];
        const char *k = kv->key;
        if (!in_list(k, keys)) {
            unknown_key(b, s, kv, keys, NULL);
            continue;
        }
        char *v = expand(b, kv, &vs);
        if (!v)
            continue;
        char *err = NULL;
        if (!strcmp(k, "file")) {
            free(h->file);
            h->file = NULL;
            if (!*v)
                bad_value(b, kv, v, "a path");
            else
                h->file = path_value(kv, v);
        } else if (!strcmp(k, "chmod")) {
            if (cf_parse_octal(v, 0777, &h->chmod) < 0)
                bad_value(b, kv, v, "an octal mode such as 0700");
        } else if (!strcmp(k, "chown")) {
            char *colon = strchr(v, ':');
            char *uname = NULL;
            if (colon)
                *colon = '\0';
            gid_t ugid;
            if (cf_parse_user(v, &h->chown_uid, &ugid, &uname, &err) < 0 ||
                (colon && cf_parse_group(colon + 1, &h->chown_gid, &err) < 0)) {
                cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "chown: %s", err);
                free(err);
            } else {
                h->chown_set = true;
            }
            free(uname);
        } else if (!strcmp(k, "port")) {
            free(h->host);
            h->host = NULL;
            if (parse_host_port(v, &h->host, &h->port) < 0)
                bad_value(b, kv, v, "HOST:PORT, *:PORT or :PORT with a port from 1 to 65535");
        } else {
            char **dst = !strcmp(k, "username") ? &h->username : &h->password;
            free(*dst);
            *dst = cf_xstrdup(v);
        }
        free(v);
    }
    vs_free(&vs);
    if (is_unix && !h->file)
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "[%s] needs file = PATH", s->name);
    if (!is_unix && !h->host)
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "[%s] needs port = HOST:PORT", s->name);
    if (h->password && !h->username)
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "[%s]: password without username",
                     s->name);
    if (h->password && !strncmp(h->password, "{SHA}", 5)) {
        const char *x = h->password + 5;
        size_t n = strspn(x, "0123456789abcdefABCDEF");
        if (n != 40 || x[n])
            cf_diag_once(b->d, CONF_ERROR, s->file, s->line,
                         "[%s]: a {SHA} password needs 40 hex digits", s->name);
    }
    if (!is_unix && h->host && !h->username)
        cf_diag_once(b->d, CONF_WARNING, s->file, s->line,
                     "[%s] has no username: anyone who reaches port %d controls tend", s->name,
                     h->port);
}

/* ---- [supervisor] ---- */
static void build_supervisor(struct build *b, struct cf_section *s)
{
    static const struct cf_keyword levels[] = {
        {"error", 0}, {"warn", 1}, {"warning", 1}, {"info", 2}, {"debug", 3},
        {"critical", 10}, {"trace", 13}, {"blather", 13}, {NULL, 0},
    };
    static const struct cf_keyword sighups[] = {
        {"reload", SIGHUP_RELOAD}, {"forward", SIGHUP_FORWARD}, {NULL, 0},
    };
    static const struct cf_keyword fatals[] = {
        {"ignore", ON_FATAL_IGNORE}, {"shutdown", ON_FATAL_SHUTDOWN}, {NULL, 0},
    };
    struct tend_config *c = b->c;
    /* its own environment is not seen here: supervisord adds it after */
    struct varset vs = {0};
    vs_add(&vs, "here", NULL, 0);
    vs_add(&vs, "host_node_name", b->node, 0);
    for (size_t i = 0; i < s->nkv; i++) {
        const struct cf_kv *kv = &s->kv[i];
        const char *k = kv->key;
        if (!in_list(k, supervisor_keys)) {
            unknown_key(b, s, kv, supervisor_keys, supervisor_ignored);
            continue;
        }
        char *v = expand(b, kv, &vs);
        if (!v)
            continue;
        if (cf_supervisor_health_key(c, k, v, kv->file, kv->line, kv->dir, b->d) ||
            cf_supervisor_resources_key(c, k, v, kv->file, kv->line, b->d)) {
            free(v);
            continue;
        }
        int iv;
        char *err = NULL;
        char **pathp = !strcmp(k, "rundir") ? &c->rundir : !strcmp(k, "control") ? &c->control
                     : !strcmp(k, "logfile") ? &c->logfile : !strcmp(k, "pidfile") ? &c->pidfile
                     : !strcmp(k, "childlogdir") ? &c->childlogdir : NULL;
        if (pathp) {
            if (!*v)
                bad_value(b, kv, v, "a path");
            else
                *pathp = path_value(kv, v);
        } else if (!strcmp(k, "control_mode")) {
            if (cf_parse_octal(v, 0777, &c->control_mode) < 0)
                bad_value(b, kv, v, "an octal mode such as 0660");
        } else if (!strcmp(k, "control_group")) {
            if (cf_parse_group(v, &c->control_group, &err) < 0) {
                cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "control_group: %s", err);
                free(err);
            } else {
                c->control_group_set = true;
            }
        } else if (!strcmp(k, "loglevel")) {
            if (cf_parse_keyword(v, levels, &iv) < 0) {
                bad_value(b, kv, v, "error, warn, info or debug");
            } else if (iv >= 10) {
                c->loglevel = iv - 10;
                cf_diag_once(b->d, CONF_WARNING, kv->file, kv->line,
                             "loglevel '%s' is supervisord's; tend uses '%s'", v,
                             iv == 10 ? "error" : "debug");
            } else {
                c->loglevel = iv;
            }
        } else if (!strcmp(k, "environment")) {
            if (cf_parse_env(v, &c->environment, &err) < 0) {
                cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "environment: %s", err);
                free(err);
            }
        } else if (!strcmp(k, "sighup")) {
            if (cf_parse_keyword(v, sighups, &iv) < 0)
                bad_value(b, kv, v, "reload or forward");
            else
                c->sighup = (enum sighup_mode)iv;
        } else if (!strcmp(k, "log_timestamp")) {
            if (cf_parse_keyword(v, log_stamps, &iv) < 0)
                bad_value(b, kv, v, LOG_STAMPS_EXPECTED);
            else
                c->log_timestamp = (enum log_stamp)iv;
        } else if (!strcmp(k, "log_format") || !strcmp(k, "logformat")) {
            if (cf_parse_keyword(v, log_formats, &iv) < 0)
                bad_value(b, kv, v, "text or json");
            else if (k[3] == '_')
                c->log_format = (enum log_format)iv;
            else
                c->logformat = (enum log_format)iv;
        } else if (!strcmp(k, "syslog_socket")) {
            free(c->syslog_socket);
            c->syslog_socket = NULL;
            if (!*v)
                bad_value(b, kv, v, "a path");
            else
                c->syslog_socket = path_value(kv, v);
        } else if (!strcmp(k, "logfile_maxbytes")) {
            if (cf_parse_size(v, &c->logfile_maxbytes) < 0)
                bad_value(b, kv, v, "a size such as 50MB, 512KB or 1GB");
        } else if (!strcmp(k, "logfile_backups")) {
            if (cf_parse_int(v, 0, 1000, &c->logfile_backups) < 0)
                bad_value(b, kv, v, "an integer from 0 to 1000");
        } else if (!strcmp(k, "identifier")) {
            if (!*v || strpbrk(v, " \t\n")) {
                bad_value(b, kv, v, "a word without spaces");
            } else {
                free(c->identifier);
                c->identifier = cf_xstrdup(v);
            }
        } else if (!strcmp(k, "on_fatal")) {
            if (cf_parse_keyword(v, fatals, &iv) < 0)
                bad_value(b, kv, v, "ignore or shutdown");
            else
                c->on_fatal = (enum on_fatal_mode)iv;
        }
        free(v);
    }
    vs_free(&vs);
}

/* ---- [group:x] ---- */
static void build_group(struct build *b, struct cf_section *s, const char *name)
{
    struct tend_config *c = b->c;
    if (!cf_valid_name(name)) {
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "invalid group name '%s' (%s)", name,
                     CF_NAME_RULE);
        return;
    }
    struct group_config g = {.name = cf_xstrdup(name), .priority = 999,
                             .file = cf_xstrdup(s->file), .line = s->line};
    struct varset vs = {0};
    vs_add(&vs, "here", NULL, 0);
    vs_add(&vs, "host_node_name", b->node, 0);
    vs_add(&vs, "group_name", name, 0);
    vs_add_env(&vs, &c->environment);
    bool have_programs = false, prio_set = false;
    for (size_t i = 0; i < s->nkv; i++) {
        const struct cf_kv *kv = &s->kv[i];
        if (!in_list(kv->key, group_keys)) {
            unknown_key(b, s, kv, group_keys, NULL);
            continue;
        }
        char *v = expand(b, kv, &vs);
        if (!v)
            continue;
        if (!strcmp(kv->key, "priority")) {
            if (cf_parse_int(v, -MAX_PRIORITY, MAX_PRIORITY, &g.priority) < 0)
                bad_value(b, kv, v, "an integer");
            else
                prio_set = true;
        } else {
            have_programs = true;
            struct cf_strvec pv = {0};
            char *save = NULL;
            for (char *w = strtok_r(v, ", \t\n", &save); w; w = strtok_r(NULL, ", \t\n", &save))
                cf_strvec_push(&pv, cf_xstrdup(w));
            if (pv.n == 0)
                bad_value(b, kv, v, "a list of program names");
            cf_strv_free(g.programs);
            g.programs = cf_strvec_finish(&pv);
        }
        free(v);
    }
    vs_free(&vs);
    if (!have_programs)
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "[%s] has no programs = setting",
                     s->name);
    if (!g.programs)
        g.programs = cf_xcalloc(1, sizeof *g.programs);
    c->groups = cf_xrealloc(c->groups, (c->ngroups + 1) * sizeof *c->groups);
    b->group_prio_set = cf_xrealloc(b->group_prio_set, (c->ngroups + 1) * sizeof(int));
    b->group_prio_set[c->ngroups] = prio_set;
    c->groups[c->ngroups++] = g;
}

/* Map every program of every group; report unknown and doubly used names. */
static void assign_groups(struct build *b)
{
    struct tend_config *c = b->c;
    const char **names = cf_xcalloc(b->nprogs + 1, sizeof *names);
    for (size_t i = 0; i < b->nprogs; i++)
        names[i] = b->progs[i].name;
    for (size_t gi = 0; gi < c->ngroups; gi++) {
        struct group_config *g = &c->groups[gi];
        const struct cf_section *gs = NULL;
        for (size_t i = 0; i < b->doc.nsec && !gs; i++)
            if (!strncmp(b->doc.sec[i].name, "group:", 6) &&
                !strcmp(b->doc.sec[i].name + 6, g->name) && b->doc.sec[i].line == g->line &&
                !strcmp(b->doc.sec[i].file, g->file))
                gs = &b->doc.sec[i];
        const struct cf_kv *kv = gs ? cf_section_get(gs, "programs") : NULL;
        int line = kv ? kv->line : g->line;
        for (size_t k = 0; g->programs[k]; k++) {
            const char *pn = g->programs[k];
            size_t i;
            for (i = 0; i < b->nprogs; i++)
                if (!strcmp(b->progs[i].name, pn))
                    break;
            if (i == b->nprogs) {
                const char *near = cf_closest(pn, names);
                cf_diag_once(b->d, CONF_ERROR, g->file, line,
                             "[group:%s] lists '%s', but there is no [program:%s]%s%s%s", g->name,
                             pn, pn, near ? "; did you mean " : "", near ? near : "",
                             near ? "?" : "");
                continue;
            }
            struct program *p = &b->progs[i];
            if (p->listener) {      /* supervisord: "names unknown program" */
                cf_diag_once(b->d, CONF_ERROR, g->file, line,
                             "[group:%s] lists '%s', which is an [eventlistener:%s]: a group "
                             "holds programs only (as in supervisord)", g->name, pn, pn);
                continue;
            }
            if (p->group >= 0 && (size_t)p->group != gi) {
                const struct group_config *o = &c->groups[p->group];
                cf_diag_once(b->d, CONF_ERROR, g->file, line,
                             "program '%s' is already in [group:%s] (%s:%d)", pn, o->name,
                             o->file, o->line);
                continue;
            }
            p->group = (long)gi;
        }
    }
    /* An ungrouped program is its own group: its name must not be a group's. */
    for (size_t i = 0; i < b->nprogs; i++) {
        if (b->progs[i].group >= 0)
            continue;
        for (size_t gi = 0; gi < c->ngroups; gi++)
            if (!strcmp(c->groups[gi].name, b->progs[i].name))
                cf_diag_once(b->d, CONF_ERROR, c->groups[gi].file, c->groups[gi].line,
                             "[group:%s] has the name of [program:%s], which is not in it",
                             c->groups[gi].name, b->progs[i].name);
    }
    free(names);
}

/* ---- [program:x] ---- */
static int parse_log(struct build *b, const struct cf_section *s, const struct cf_kv *kv,
                     const char *v, struct log_target *l)
{
    free(l->path);
    l->path = NULL;
    l->is_auto = false;
    if (!*v) {
        bad_value(b, kv, v, "a file, AUTO, NONE, inherit, /dev/stdout or /dev/stderr");
        return -1;
    }
    if (!strcasecmp(v, "AUTO")) {
        l->kind = LOG_FILE;
        l->is_auto = true;          /* path set once the process name is known */
    } else if (!strcasecmp(v, "NONE")) {
        l->kind = LOG_NONE;
    } else if (!strcasecmp(v, "inherit")) {
        l->kind = LOG_INHERIT;
    } else if (!strcmp(v, "/dev/stdout")) {
        l->kind = LOG_STDOUT;
    } else if (!strcmp(v, "/dev/stderr")) {
        l->kind = LOG_STDERR;
    } else {
        l->kind = LOG_FILE;
        l->path = path_value(kv, v);
    }
    return 0;
}

struct pstate {                      /* what a copy learns besides the model */
    bool startsecs_set, priority_set;
    const struct cf_kv *killasgroup, *stderr_log, *process_name, *depends_on, *main;
    char *depends;
    struct env_list env;
};

/* The boolean and integer keys of [program:x]. True when KV was one of them. */
static bool program_number_key(struct build *b, const struct cf_section *s,
                               const struct cf_kv *kv, const char *v, struct process_config *p,
                               struct pstate *st)
{
    const char *k = kv->key;
    int iv;
    bool bv;
    struct {
        const char *key;
        bool *out;
    } bools[] = {
        {"autostart", &p->autostart}, {"stopasgroup", &p->stopasgroup},
        {"killasgroup", &p->killasgroup}, {"main", &p->main},
        {"redirect_stderr", &p->redirect_stderr}, {"log_prefix", &p->log_prefix},
        {"stdout_syslog", &p->stdout_log.syslog}, {"stderr_syslog", &p->stderr_log.syslog},
        {"stdout_events_enabled", &p->stdout_log.events},
        {"stderr_events_enabled", &p->stderr_log.events},
    };
    struct {
        const char *key;
        int *out;
        long min, max;
    } ints[] = {
        {"priority", &p->priority, -MAX_PRIORITY, MAX_PRIORITY},
        {"startsecs", &p->startsecs, 0, MAX_SECS},
        {"stopwaitsecs", &p->stopwaitsecs, 0, MAX_SECS},
        {"stdout_logfile_backups", &p->stdout_log.backups, 0, 1000},
        {"stderr_logfile_backups", &p->stderr_log.backups, 0, 1000},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        if (strcmp(k, bools[i].key))
            continue;
        if (cf_parse_bool(v, &bv) < 0) {
            bad_value(b, kv, v, "true or false");
            return true;
        }
        *bools[i].out = bv;
        if (!strcmp(k, "killasgroup")) {
            st->killasgroup = kv;
        } else if (!strcmp(k, "main")) {
            p->line_main = kv->line;
            st->main = kv;
        }
        return true;
    }
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(k, ints[i].key))
            continue;
        if (cf_parse_int(v, ints[i].min, ints[i].max, &iv) < 0) {
            char range[64];
            snprintf(range, sizeof range, "an integer from %ld to %ld", ints[i].min, ints[i].max);
            bad_value(b, kv, v, range);
            return true;
        }
        *ints[i].out = iv;
        if (!strcmp(k, "startsecs"))
            st->startsecs_set = true;
        else if (!strcmp(k, "priority"))
            st->priority_set = true;
        return true;
    }
    return false;
}

static void program_key(struct build *b, const struct cf_section *s, const struct cf_kv *kv,
                        const char *v, struct process_config *p, struct pstate *st)
{
    static const struct cf_keyword restarts[] = {
        {"unexpected", RESTART_UNEXPECTED}, {"true", RESTART_TRUE}, {"yes", RESTART_TRUE},
        {"on", RESTART_TRUE}, {"1", RESTART_TRUE}, {"false", RESTART_FALSE},
        {"no", RESTART_FALSE}, {"off", RESTART_FALSE}, {"0", RESTART_FALSE}, {NULL, 0},
    };
    static const struct cf_keyword readies[] = {
        {"startsecs", READY_STARTSECS}, {"notify", READY_NOTIFY}, {NULL, 0},
    };
    const char *k = kv->key;
    char *err = NULL;
    int iv;
    if (cf_health_key(p, k, v, kv->file, kv->line, kv->dir, b->d))
        return;             /* issue 14's keys, and ready = PROBE */
    if (cf_resources_key(p, k, v, kv->file, kv->line, b->d))
        return;             /* issue 18's */
    if (program_number_key(b, s, kv, v, p, st))
        return;
    if (!strcmp(k, "command")) {
        p->line_command = kv->line;
        char **argv = cf_split_words(v, &err);
        if (!argv) {
            cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "command: %s", err);
            free(err);
            return;
        }
        cf_strv_free(p->argv);
        p->argv = argv;
        free(p->command);
        p->command = cf_xstrdup(v);
        for (char *c = p->command; *c; c++)      /* continuation lines read as one */
            if (*c == '\n')
                *c = ' ';
    } else if (!strcmp(k, "directory")) {
        if (!*v)
            bad_value(b, kv, v, "a directory");
        else
            p->directory = path_value(kv, v);
    } else if (!strcmp(k, "umask")) {
        if (cf_parse_octal(v, 0777, &p->umask) < 0)
            bad_value(b, kv, v, "an octal umask such as 022");
        else
            p->umask_set = true;
    } else if (!strcmp(k, "user")) {
        p->line_user = kv->line;
        char *name = NULL;
        if (cf_parse_user(v, &p->uid, &p->gid, &name, &err) < 0) {
            cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "user: %s", err);
            free(err);
        } else {
            free(p->user);
            p->user = name;
        }
    } else if (!strcmp(k, "depends_on")) {
        p->line_depends_on = kv->line;
        st->depends_on = kv;
        st->depends = cf_xstrdup(v);
    } else if (!strcmp(k, "autorestart")) {
        if (cf_parse_keyword(v, restarts, &iv) < 0)
            bad_value(b, kv, v, "true, false or unexpected");
        else
            p->autorestart = (enum autorestart)iv;
    } else if (!strcmp(k, "exitcodes")) {
        if (cf_parse_exitcodes(v, p->exitcodes, &err) < 0) {
            cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "exitcodes: %s", err);
            free(err);
        }
    } else if (!strcmp(k, "stopsignal")) {
        if (cf_parse_signal(v, &p->stopsignal) < 0)
            bad_value(b, kv, v, "a signal name such as TERM or a number");
    } else if (!strcmp(k, "ready")) {
        if (cf_parse_keyword(v, readies, &iv) < 0)
            bad_value(b, kv, v, "startsecs or notify");
        else
            p->ready = (enum ready_mode)iv;
    } else if (!strcmp(k, "stdin")) {
        free(p->stdin_path);
        p->stdin_path = NULL;
        p->stdin_pipe = false;
        if (!*v)
            bad_value(b, kv, v, "a file, pipe or NONE");
        else if (!strcasecmp(v, "pipe"))
            p->stdin_pipe = true;     /* held by tend: sendProcessStdin */
        else if (strcasecmp(v, "NONE"))
            p->stdin_path = path_value(kv, v);
    } else if (!strcmp(k, "stdout_logfile")) {
        parse_log(b, s, kv, v, &p->stdout_log);
    } else if (!strcmp(k, "stderr_logfile")) {
        if (parse_log(b, s, kv, v, &p->stderr_log) == 0)
            st->stderr_log = kv;
    } else if (!strcmp(k, "log_timestamp")) {
        if (cf_parse_keyword(v, log_stamps, &iv) < 0)
            bad_value(b, kv, v, LOG_STAMPS_EXPECTED);
        else
            p->stdout_log.stamp = p->stderr_log.stamp = (enum log_stamp)iv;
    } else if (!strcmp(k, "log_format")) {
        if (cf_parse_keyword(v, log_formats, &iv) < 0)
            bad_value(b, kv, v, "text or json");
        else
            p->stdout_log.format = p->stderr_log.format = (enum log_format)iv;
    } else if (!strcmp(k, "stdout_logfile_maxbytes") || !strcmp(k, "stderr_logfile_maxbytes")) {
        struct log_target *l = k[3] == 'o' ? &p->stdout_log : &p->stderr_log;
        if (cf_parse_size(v, &l->maxbytes) < 0)
            bad_value(b, kv, v, "a size such as 50MB, 512KB or 1GB");
    } else if (!strcmp(k, "stdout_capture_maxbytes") || !strcmp(k, "stderr_capture_maxbytes")) {
        struct log_target *l = k[3] == 'o' ? &p->stdout_log : &p->stderr_log;
        if (cf_parse_size(v, &l->capture_maxbytes) < 0)
            bad_value(b, kv, v, "a size such as 1MB or 0 (off)");
    }
}

/* buffer_size (and result_handler, not supported) of [eventlistener:x]. */
static void listener_key(struct build *b, const struct cf_section *s, const struct cf_kv *kv,
                         struct varset *vs, struct process_config *p)
{
    if (!in_list(kv->key, listener_keys)) {
        unknown_key(b, s, kv, listener_keys, listener_ignored);
        return;
    }
    char *v = expand(b, kv, vs);
    if (v && cf_parse_int(v, 1, 1000000, &p->buffer_size) < 0)
        bad_value(b, kv, v, "an integer from 1 to 1000000");
    free(v);
}

/* events = (required: a comma-separated list of event types) and the
 * rules of listeners (stdout is the protocol, so no redirect_stderr). */
static void listener_finish(struct build *b, const struct cf_section *s,
                            const struct cf_kv *kv, struct varset *vs, struct process_config *p)
{
    p->stdin_pipe = true;
    free(p->stdin_path);
    p->stdin_path = NULL;
    if (p->redirect_stderr) {
        const struct cf_kv *r = cf_section_get(s, "redirect_stderr");
        cf_diag_once(b->d, CONF_ERROR, r ? r->file : s->file, r ? r->line : s->line,
                     "redirect_stderr = true is not allowed in [%s] (its stdout is the "
                     "event listener protocol)", s->name);
    }
    if (!kv) {
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line,
                     "[%s] has no events = setting (e.g. events = PROCESS_STATE)", s->name);
        return;
    }
    char *v = expand(b, kv, vs);
    if (!v)
        return;
    struct cf_strvec ev = {0};
    bool bad = false;
    for (char *save = NULL, *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t' || *t == '\n')
            t++;
        size_t n = strlen(t);
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\n'))
            t[--n] = 0;
        if (!n)
            continue;
        if (!in_list(t, conf_event_types)) {
            const char *near = cf_closest(t, conf_event_types);
            cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line,
                         "events: unknown event type '%s'%s%s%s", t,
                         near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
            bad = true;
            continue;
        }
        cf_strvec_push(&ev, cf_xstrdup(t));
    }
    free(v);
    cf_strv_free(p->events);
    p->events = cf_strvec_finish(&ev);
    if (!p->events[0] && !bad)
        cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "events: no event type given");
}

/* Build copy NUM of program PR into P. Returns 0, or -1 when the copy has
 * no usable name (it is then dropped). */
static int build_copy(struct build *b, const struct program *pr, int num, int numprocs,
                      struct process_config *p, struct cf_procinfo *info)
{
    struct tend_config *c = b->c;
    struct cf_section *s = pr->sec;
    const char *group = pr->group >= 0 ? c->groups[pr->group].name : pr->name;
    struct varset vs = {0};
    vs_add(&vs, "here", s->dir, 0);
    vs_add(&vs, "program_name", pr->name, 0);
    vs_add(&vs, "group_name", group, 0);
    vs_add(&vs, "host_node_name", b->node, 0);
    vs_add(&vs, "process_num", NULL, num);
    vs_add(&vs, "numprocs", NULL, numprocs);
    struct pstate st = {0};
    cf_process_init(p);
    cf_log_defaults(c, p);
    p->program = cf_xstrdup(pr->name);
    p->group = cf_xstrdup(group);
    p->file = cf_xstrdup(s->file);
    p->line = s->line;
    p->process_num = num;
    p->numprocs = numprocs;

    /* environment first: the other keys see its variables as ENV_X, ahead
     * of [supervisor]'s; it sees only [supervisor]'s itself */
    const struct cf_kv *kv = cf_section_get(s, "environment");
    size_t nfixed = vs.n;
    vs_add_env(&vs, &c->environment);
    if (kv) {
        char *v = expand(b, kv, &vs), *err = NULL;
        if (v && cf_parse_env(v, &st.env, &err) < 0) {
            cf_diag_once(b->d, CONF_ERROR, kv->file, kv->line, "environment: %s", err);
            free(err);
        }
        free(v);
    }
    vs.n = nfixed;
    vs_add_env(&vs, &st.env);
    vs_add_env(&vs, &c->environment);

    const struct cf_kv *events_kv = NULL;
    if (pr->listener) {
        p->listener = true;
        p->priority = -1;           /* supervisord: listeners start first, stop last */
        p->buffer_size = 10;
    }
    for (size_t i = 0; i < s->nkv; i++) {
        kv = &s->kv[i];
        if (pr->listener && (in_list(kv->key, listener_keys) ||
                             in_list(kv->key, listener_ignored))) {
            if (!strcmp(kv->key, "events"))
                events_kv = kv;
            else
                listener_key(b, s, kv, &vs, p);
            continue;
        }
        if (!in_list(kv->key, program_keys)) {
            unknown_key(b, s, kv, program_keys, program_ignored);
            continue;
        }
        if (!strcmp(kv->key, "numprocs") || !strcmp(kv->key, "numprocs_start") ||
            !strcmp(kv->key, "environment"))
            continue;               /* read before */
        if (!strcmp(kv->key, "process_name")) {
            st.process_name = kv;
            continue;
        }
        /* cpu_max = 50% as the contract writes it, not only 50%% */
        char *v = cf_resources_literal(kv->key, kv->value) ? cf_xstrdup(kv->value)
                                                           : expand(b, kv, &vs);
        if (!v)
            continue;
        program_key(b, s, kv, v, p, &st);
        free(v);
    }

    if (pr->listener)
        listener_finish(b, s, events_kv, &vs, p);

    /* The process name. */
    const struct cf_kv *pn = st.process_name;
    const char *pname_raw = pn ? pn->value : "%(program_name)s";
    const char *nfile = pn ? pn->file : s->file;
    int nline = pn ? pn->line : s->line;
    char *err = NULL;
    char *name = NULL;
    vs.v[0].str = pn ? pn->dir : s->dir;
    if (numprocs > 1 && !strstr(pname_raw, "%(process_num)"))
        cf_diag_once(b->d, CONF_ERROR, nfile, nline,
                     "numprocs = %d needs %%(process_num) in process_name (e.g. "
                     "process_name = %%(program_name)s_%%(process_num)02d)", numprocs);
    else if (!(name = cf_expand(pname_raw, vs.v, vs.n, &err))) {
        cf_diag_once(b->d, CONF_ERROR, nfile, nline, "process_name: %s", err);
        free(err);
    } else if (!cf_valid_name(name)) {
        cf_diag_once(b->d, CONF_ERROR, nfile, nline, "process_name '%s' is not a valid name (%s)",
                     name, CF_NAME_RULE);
        free(name);
        name = NULL;
    }
    vs_free(&vs);
    if (!name) {
        cf_env_free(&st.env);
        free(st.depends);
        return -1;
    }
    p->name = name;
    p->fullname = strcmp(group, name) ? cf_xasprintf("%s:%s", group, name) : cf_xstrdup(name);

    /* a command that failed to expand or split has had its error already */
    if (!p->argv && !cf_section_get(s, "command"))
        cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "[%s] has no command", s->name);
    if (!st.priority_set && pr->group >= 0 && b->group_prio_set[pr->group])
        p->priority = c->groups[pr->group].priority;
    p->order = pr->group >= 0 ? c->groups[pr->group].priority : p->priority;
    if (p->ready == READY_NOTIFY && !st.startsecs_set)
        p->startsecs = 90;
    if (!st.killasgroup)
        p->killasgroup = p->stopasgroup;
    else if (p->stopasgroup && !p->killasgroup)
        cf_diag_once(b->d, CONF_ERROR, st.killasgroup->file, st.killasgroup->line,
                     "killasgroup = false contradicts stopasgroup = true (the group is "
                     "signalled anyway)");
    if (p->redirect_stderr && st.stderr_log) {
        cf_diag_once(b->d, CONF_WARNING, st.stderr_log->file, st.stderr_log->line,
                     "stderr_logfile is ignored: redirect_stderr = true sends stderr to stdout's "
                     "destination");
        free(p->stderr_log.path);
        p->stderr_log.kind = LOG_INHERIT;
        p->stderr_log.path = NULL;
        p->stderr_log.is_auto = false;
    }
    cf_env_copy(&p->environment, &c->environment);
    cf_env_copy(&p->environment, &st.env);
    cf_health_finish(c, p, &st.env, st.startsecs_set);
    cf_env_free(&st.env);
    cf_log_finish(c, p);
    info->depends_on = st.depends;
    info->depends_file = st.depends_on ? st.depends_on->file : s->file;
    info->main_file = st.main ? st.main->file : s->file;
    return 0;
}

static void build_program(struct build *b, const struct program *pr)
{
    struct tend_config *c = b->c;
    struct cf_section *s = pr->sec;
    const char *group = pr->group >= 0 ? c->groups[pr->group].name : pr->name;
    struct varset vs = {0};
    vs_add(&vs, "here", s->dir, 0);
    vs_add(&vs, "program_name", pr->name, 0);
    vs_add(&vs, "group_name", group, 0);
    vs_add(&vs, "host_node_name", b->node, 0);
    vs_add_env(&vs, &c->environment);
    int numprocs = 1, start = 0;
    const struct cf_kv *kv;
    if ((kv = cf_section_get(s, "numprocs"))) {
        char *v = expand(b, kv, &vs);
        if (v && cf_parse_int(v, 1, MAX_NUMPROCS, &numprocs) < 0) {
            bad_value(b, kv, v, "an integer from 1 to 10000");
            numprocs = 1;
        }
        free(v);
    }
    if ((kv = cf_section_get(s, "numprocs_start"))) {
        char *v = expand(b, kv, &vs);
        if (v && cf_parse_int(v, 0, MAX_SECS, &start) < 0)
            bad_value(b, kv, v, "an integer from 0 to 1000000");
        free(v);
    }
    vs_free(&vs);
    c->nprograms++;
    for (int k = 0; k < numprocs; k++) {
        cf_grow(&c->procs, &b->cap, c->nprocs, sizeof *c->procs);
        b->info = cf_xrealloc(b->info, b->cap * sizeof *b->info);
        struct process_config *p = &c->procs[c->nprocs];
        memset(&b->info[c->nprocs], 0, sizeof *b->info);
        if (build_copy(b, pr, start + k, numprocs, p, &b->info[c->nprocs]) < 0) {
            cf_process_free(p);
            break;                  /* the other copies would fail the same way */
        }
        c->nprocs++;
    }
}

/* AUTO log files: <childlogdir>/<name>-stdout.log, NAME the process name,
 * or the fullname (`web:app`) when two processes share a name. The ':' is
 * kept: as '_' it would collide with a program named `web_app`. */
static void resolve_auto_logs(struct tend_config *c)
{
    for (size_t i = 0; i < c->nprocs; i++) {
        struct process_config *p = &c->procs[i];
        bool shared = false;
        for (size_t j = 0; j < c->nprocs && !shared; j++)
            shared = j != i && !strcmp(c->procs[j].name, p->name);
        const char *base = shared ? p->fullname : p->name;
        struct log_target *logs[2] = {&p->stdout_log, &p->stderr_log};
        for (int k = 0; k < 2; k++) {
            if (logs[k]->is_auto && !logs[k]->path)
                logs[k]->path = cf_xasprintf("%s/%s-%s.log", c->childlogdir, base,
                                             k ? "stderr" : "stdout");
        }
    }
}

static void classify_sections(struct build *b, struct cf_section **sup)
{
    struct cf_doc *doc = &b->doc;
    /* load.c merged repeated sections already */
    for (size_t i = 0; i < doc->nsec; i++) {
        struct cf_section *s = &doc->sec[i];
        const char *n = s->name;
        /* supervisord strips the name after "program:" (and "group:") */
        const char *after = strchr(n, ':');
        if (after)
            for (after++; *after == ' ' || *after == '\t'; after++)
                ;
        if (!strcmp(n, "supervisor") || !strcmp(n, "supervisord")) {
            *sup = s;
        } else if (!strncmp(n, "program:", 8)) {
            if (!cf_valid_name(after)) {
                cf_diag_once(b->d, CONF_ERROR, s->file, s->line, "invalid program name '%s' (%s)",
                             after, CF_NAME_RULE);
                continue;
            }
            b->progs = cf_xrealloc(b->progs, (b->nprogs + 1) * sizeof *b->progs);
            b->progs[b->nprogs++] = (struct program){s, after, -1, false};
        } else if (!strncmp(n, "eventlistener:", 14)) {
            if (!cf_valid_name(after)) {
                cf_diag_once(b->d, CONF_ERROR, s->file, s->line,
                             "invalid event listener name '%s' (%s)", after, CF_NAME_RULE);
                continue;
            }
            b->progs = cf_xrealloc(b->progs, (b->nprogs + 1) * sizeof *b->progs);
            b->progs[b->nprogs++] = (struct program){s, after, -1, true};
        } else if (!strncmp(n, "group:", 6)) {
            /* built after [supervisor], whose environment they see */
            b->groups = cf_xrealloc(b->groups, (b->ngroup_secs + 1) * sizeof *b->groups);
            b->groups[b->ngroup_secs++] = (struct program){s, after, -1, false};
        } else if (!strcmp(n, "include")) {
            continue;               /* load.c read it */
        } else if (!strcmp(n, "unix_http_server") || !strcmp(n, "inet_http_server")) {
            continue;               /* built after [supervisor], whose environment they see */
        } else {
            bool ignored = in_list(n, ignored_sections);
            for (const char *const *pfx = ignored_prefixes; *pfx && !ignored; pfx++)
                ignored = !strncmp(n, *pfx, strlen(*pfx));
            if (ignored) {
                cf_diag_once(b->d, CONF_WARNING, s->file, s->line,
                             "[%s] is a supervisord section tend does not use; ignored", n);
                continue;
            }
            const char *colon = strchr(n, ':');
            char *word = colon ? cf_xstrndup(n, (size_t)(colon - n)) : cf_xstrdup(n);
            const char *near = cf_closest(word, section_words);
            if (near)
                cf_diag_once(b->d, CONF_WARNING, s->file, s->line,
                             "unknown section [%s] ignored; did you mean [%s%s]?", n, near,
                             colon ? colon : "");
            else
                cf_diag_once(b->d, CONF_WARNING, s->file, s->line, "unknown section [%s] ignored",
                             n);
            free(word);
        }
    }
}

/* Order of a file among those read (by its first section); unknown last. */
static size_t file_rank(const struct cf_doc *doc, const char *file)
{
    if (!file)
        return (size_t)-1;
    for (size_t i = 0; i < doc->nsec; i++)
        if (!strcmp(doc->sec[i].file, file))
            return i;
    return (size_t)-2;
}

/* Sort the diagnostics from index FROM on by file, then line (stable), so
 * that they read like the files do. */
static void sort_diags(const struct cf_doc *doc, struct conf_diags *d, size_t from)
{
    for (size_t i = from + 1; i < d->n; i++) {
        struct conf_diag x = d->v[i];
        size_t rx = file_rank(doc, x.file);
        size_t j = i;
        while (j > from) {
            size_t rj = file_rank(doc, d->v[j - 1].file);
            if (rj < rx || (rj == rx && d->v[j - 1].line <= x.line))
                break;
            d->v[j] = d->v[j - 1];
            j--;
        }
        d->v[j] = x;
    }
}

struct tend_config *conf_load(const char *path, struct conf_diags *d)
{
    struct build b = {.d = d};
    int errors_before = d->nerrors;
    size_t diags_before = d->n;
    struct utsname un;
    snprintf(b.node, sizeof b.node, "%s", uname(&un) == 0 ? un.nodename : "localhost");
    if (cf_read_files(path, &b.doc, d) < 0) {
        cf_doc_free(&b.doc);
        return NULL;
    }
    struct tend_config *c = b.c = cf_config_new();
    c->path = cf_xstrdup(path);
    c->file = cf_abspath(path);
    free(c->files);
    c->files = b.doc.files;
    c->nfiles = b.doc.nfiles;
    b.doc.files = NULL;
    b.doc.nfiles = 0;

    struct cf_section *sup = NULL;
    classify_sections(&b, &sup);
    if (sup)
        build_supervisor(&b, sup);
    for (size_t i = 0; i < b.doc.nsec; i++)
        if (!strcmp(b.doc.sec[i].name, "unix_http_server") ||
            !strcmp(b.doc.sec[i].name, "inet_http_server"))
            build_http(&b, &b.doc.sec[i], b.doc.sec[i].name[0] == 'u');
    for (size_t i = 0; i < b.ngroup_secs; i++)
        build_group(&b, b.groups[i].sec, b.groups[i].name);
    free(b.groups);
    cf_fill_paths(c);
    assign_groups(&b);
    for (size_t i = 0; i < b.nprogs; i++)
        build_program(&b, &b.progs[i]);
    resolve_auto_logs(c);
    cf_check_procs(c, b.info, d);
    cf_sort_procs(c);

    for (size_t i = 0; i < c->nprocs; i++)
        free(b.info[i].depends_on);
    free(b.info);
    free(b.progs);
    free(b.group_prio_set);
    sort_diags(&b.doc, d, diags_before);
    cf_doc_free(&b.doc);
    if (d->nerrors > errors_before) {
        conf_free(c);
        return NULL;
    }
    return c;
}
