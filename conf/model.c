/* model.c - defaults, freeing, comparing, printing the model, and the
 * main program given on tend's command line. */
#include "conf/model.h"
#include "conf/health.h"
#include "conf/resources.h"
#include "conf/util.h"
#include "conf/values.h"
#include "conf/words.h"

#include <ctype.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tend_config *cf_config_new(void)
{
    struct tend_config *c = cf_xcalloc(1, sizeof *c);
    c->control_mode = 0600;
    c->loglevel = 2;
    c->sighup = SIGHUP_RELOAD;
    c->on_fatal = ON_FATAL_IGNORE;
    c->logfile_maxbytes = CF_DEFAULT_MAXBYTES;   /* supervisord's defaults */
    c->logfile_backups = CF_DEFAULT_BACKUPS;
    c->files = cf_xcalloc(1, sizeof *c->files);
    c->identifier = cf_xstrdup("supervisor");
    return c;
}

void cf_fill_paths(struct tend_config *c)
{
    if (!c->rundir) {
        if (geteuid() == 0) {
            c->rundir = cf_xstrdup("/run/tend");
        } else {
            const char *x = getenv("XDG_RUNTIME_DIR");
            c->rundir = cf_xasprintf("%s/tend-%u", x && *x ? x : "/tmp", (unsigned)getuid());
        }
    }
    if (!c->control)
        c->control = cf_xasprintf("%s/control", c->rundir);
    if (!c->childlogdir)
        c->childlogdir = cf_xasprintf("%s/logs", c->rundir);
    if (!c->syslog_socket)
        c->syslog_socket = cf_xstrdup("/dev/log");
}

void cf_process_init(struct process_config *p)
{
    memset(p, 0, sizeof *p);
    p->numprocs = 1;
    p->priority = 999;
    p->order = 999;
    p->autostart = true;
    p->autorestart = RESTART_UNEXPECTED;
    p->exitcodes[0] = 1;                 /* exit code 0 */
    p->startsecs = 1;
    p->startretries = 3;
    p->stopsignal = SIGTERM;
    p->stopwaitsecs = 10;
    p->ready = READY_STARTSECS;
    cf_health_init(p);
    cf_resources_init(p);
    p->stdout_log = (struct log_target){.kind = LOG_INHERIT, .maxbytes = CF_DEFAULT_MAXBYTES,
                                        .backups = CF_DEFAULT_BACKUPS};
    p->stderr_log = p->stdout_log;
}

void cf_log_defaults(const struct tend_config *c, struct process_config *p)
{
    p->stdout_log.stamp = p->stderr_log.stamp = c->log_timestamp;
    p->stdout_log.format = p->stderr_log.format = c->log_format;
}

void cf_log_finish(const struct tend_config *c, struct process_config *p)
{
    struct log_target *logs[2] = {&p->stdout_log, &p->stderr_log};
    for (int i = 0; i < 2; i++) {
        free(logs[i]->syslog_socket);
        logs[i]->syslog_socket = logs[i]->syslog ? cf_xstrdup(c->syslog_socket) : NULL;
    }
}

void cf_process_free(struct process_config *p)
{
    free(p->name);
    free(p->program);
    free(p->group);
    free(p->fullname);
    free(p->file);
    free(p->command);
    cf_strv_free(p->argv);
    free(p->directory);
    free(p->user);
    cf_env_free(&p->environment);
    cf_strv_free(p->depends_on);
    free(p->stdin_path);
    cf_strv_free(p->events);
    free(p->stdout_log.path);
    free(p->stderr_log.path);
    free(p->stdout_log.syslog_socket);
    free(p->stderr_log.syslog_socket);
    cf_health_free(p);
    memset(p, 0, sizeof *p);
}

void conf_free(struct tend_config *c)
{
    if (!c)
        return;
    free(c->file);
    free(c->path);
    cf_strv_free(c->files);
    free(c->rundir);
    free(c->control);
    free(c->logfile);
    free(c->pidfile);
    free(c->cgroups_path);
    cf_env_free(&c->environment);
    cf_strv_free(c->environment_files);
    free(c->childlogdir);
    free(c->syslog_socket);
    free(c->identifier);
    struct http_server_config *hs[2] = {&c->unix_http, &c->inet_http};
    for (int i = 0; i < 2; i++) {
        free(hs[i]->file);
        free(hs[i]->host);
        free(hs[i]->username);
        free(hs[i]->password);
        free(hs[i]->srcfile);
    }
    for (size_t i = 0; i < c->nprocs; i++)
        cf_process_free(&c->procs[i]);
    free(c->procs);
    for (size_t i = 0; i < c->ngroups; i++) {
        free(c->groups[i].name);
        cf_strv_free(c->groups[i].programs);
        free(c->groups[i].file);
    }
    free(c->groups);
    free(c);
}

int conf_process_cmp(const struct process_config *p, const struct process_config *q)
{
    if (p->order != q->order)
        return p->order < q->order ? -1 : 1;
    int r = strcmp(p->group, q->group);
    if (r)
        return r;
    if (p->priority != q->priority)
        return p->priority < q->priority ? -1 : 1;
    r = strcmp(p->name, q->name);
    return r ? r : strcmp(p->fullname, q->fullname);
}

static int proc_cmp(const void *a, const void *b)
{
    return conf_process_cmp(a, b);
}

void cf_sort_procs(struct tend_config *c)
{
    if (c->nprocs > 1)
        qsort(c->procs, c->nprocs, sizeof *c->procs, proc_cmp);
}

struct tend_config *conf_default(struct conf_diags *d)
{
    (void)d;
    struct tend_config *c = cf_config_new();
    cf_fill_paths(c);
    return c;
}

int conf_add_main_command(struct tend_config *c, char *const argv[], struct conf_diags *d)
{
    if (!argv || !argv[0] || !argv[0][0]) {
        conf_diag_add(d, CONF_ERROR, NULL, 0, "the main command is empty");
        return -1;
    }
    for (size_t i = 0; i < c->nprocs; i++) {
        const struct process_config *q = &c->procs[i];
        if (q->main) {
            conf_diag_add(d, CONF_ERROR, q->file, q->line_main ? q->line_main : q->line,
                          "[program:%s] has main = true, so 'tend -- COMMAND' cannot add "
                          "another main program", q->program);
            return -1;
        }
    }
    /* The name: basename of argv[0], reduced to the characters of a name. */
    const char *base = strrchr(argv[0], '/');
    base = base && base[1] ? base + 1 : argv[0];
    char *name = cf_xstrdup(base);
    for (char *s = name; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
            *s = '_';
    for (int n = 2;; n++) {
        bool taken = false;
        for (size_t i = 0; i < c->nprocs && !taken; i++)
            taken = !strcmp(c->procs[i].fullname, name) || !strcmp(c->procs[i].program, name) ||
                    !strcmp(c->procs[i].group, name);
        if (!taken)
            break;
        char *base2 = cf_xstrdup(name);
        char *dash = strrchr(base2, '-');
        if (n > 2 && dash)
            *dash = '\0';
        free(name);
        name = cf_xasprintf("%s-%d", base2, n);
        free(base2);
    }

    c->procs = cf_xrealloc(c->procs, (c->nprocs + 1) * sizeof *c->procs);
    struct process_config *p = &c->procs[c->nprocs++];
    cf_process_init(p);
    cf_log_defaults(c, p);
    p->name = name;
    p->program = cf_xstrdup(name);
    p->group = cf_xstrdup(name);
    p->fullname = cf_xstrdup(name);
    p->argv = cf_strv_dup(argv);
    p->command = cf_join_words(argv);
    p->main = true;
    p->autorestart = RESTART_FALSE;      /* the main program is never restarted */
    p->depends_on = cf_xcalloc(1, sizeof *p->depends_on);
    cf_env_copy(&p->environment, &c->environment);
    cf_health_finish(c, p, NULL, true);     /* [supervisor]'s environment files */
    c->nprograms++;
    cf_sort_procs(c);
    return 0;
}

/* ---- comparing ---- */
static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool strv_eq(char *const *a, char *const *b)
{
    size_t n = cf_strv_len(a);
    if (n != cf_strv_len(b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i], b[i]))
            return false;
    return true;
}

static bool log_eq(const struct log_target *a, const struct log_target *b)
{
    return a->kind == b->kind && str_eq(a->path, b->path) && a->maxbytes == b->maxbytes &&
           a->backups == b->backups && a->is_auto == b->is_auto && a->stamp == b->stamp &&
           a->format == b->format && a->syslog == b->syslog &&
           str_eq(a->syslog_socket, b->syslog_socket) && a->events == b->events &&
           a->capture_maxbytes == b->capture_maxbytes;
}


bool conf_process_same(const struct process_config *a, const struct process_config *b)
{
    return str_eq(a->name, b->name) && str_eq(a->program, b->program) &&
           str_eq(a->group, b->group) && str_eq(a->fullname, b->fullname) &&
           str_eq(a->command, b->command) && strv_eq(a->argv, b->argv) &&
           a->process_num == b->process_num && a->numprocs == b->numprocs &&
           str_eq(a->directory, b->directory) && a->umask_set == b->umask_set &&
           (!a->umask_set || a->umask == b->umask) && str_eq(a->user, b->user) &&
           (!a->user || (a->uid == b->uid && a->gid == b->gid)) &&
           cf_env_eq(&a->environment, &b->environment) && a->priority == b->priority && a->order == b->order &&
           strv_eq(a->depends_on, b->depends_on) && a->autostart == b->autostart &&
           a->autorestart == b->autorestart &&
           !memcmp(a->exitcodes, b->exitcodes, sizeof a->exitcodes) &&
           a->startsecs == b->startsecs && a->startretries == b->startretries &&
           a->stopsignal == b->stopsignal && a->stopwaitsecs == b->stopwaitsecs &&
           a->stopasgroup == b->stopasgroup && a->killasgroup == b->killasgroup &&
           a->ready == b->ready && a->main == b->main && str_eq(a->stdin_path, b->stdin_path) &&
           log_eq(&a->stdout_log, &b->stdout_log) && log_eq(&a->stderr_log, &b->stderr_log) &&
           a->redirect_stderr == b->redirect_stderr && a->log_prefix == b->log_prefix &&
           cf_health_same(a, b) && a->listener == b->listener &&
           strv_eq(a->events, b->events) && a->buffer_size == b->buffer_size &&
           a->stdin_pipe == b->stdin_pipe && cf_resources_same(a, b);
}

/* ---- printing ---- */
static const char *yes(bool b)
{
    return b ? "true" : "false";
}

static void dump_env(FILE *out, const struct env_list *e)
{
    for (size_t i = 0; i < e->n; i++) {
        bool quote = strpbrk(e->v[i].value, ", \t\n'") != NULL || !e->v[i].value[0];
        fprintf(out, "%s%s=%s%s%s", i ? "," : "", e->v[i].key, quote ? "\"" : "",
                e->v[i].value, quote ? "\"" : "");
    }
    fputc('\n', out);
}

static const char *const stamp_names[] = {"none", "iso8601", "rfc3339ms", "unix"};
static const char *const format_names[] = {"text", "json"};

static void dump_log(FILE *out, const char *which, const struct log_target *l)
{
    static const char *const kinds[] = {"inherit", "NONE", "", "/dev/stdout", "/dev/stderr"};
    fprintf(out, "%s_logfile = %s%s\n", which, l->kind == LOG_FILE ? l->path : kinds[l->kind],
            l->is_auto ? " (AUTO)" : "");
    if (l->kind == LOG_FILE) {
        fprintf(out, "%s_logfile_maxbytes = %" PRIu64 "\n", which, l->maxbytes);
        fprintf(out, "%s_logfile_backups = %d\n", which, l->backups);
    }
}

static void dump_syslog(FILE *out, const char *which, const struct log_target *l)
{
    if (l->syslog)
        fprintf(out, "%s_syslog = true (%s)\n", which, l->syslog_socket);
    else
        fprintf(out, "%s_syslog = false\n", which);
}

void conf_dump(const struct tend_config *c, FILE *out)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    static const char *const restarts[] = {"false", "true", "unexpected"};
    fprintf(out, "[supervisor]\n");
    fprintf(out, "rundir = %s\n", c->rundir);
    fprintf(out, "control = %s\n", c->control);
    fprintf(out, "control_mode = %04o\n", (unsigned)c->control_mode);
    if (c->control_group_set)
        fprintf(out, "control_group = %u\n", (unsigned)c->control_group);
    fprintf(out, "logfile = %s\n", c->logfile ? c->logfile : "(stderr)");
    fprintf(out, "loglevel = %s\n", levels[c->loglevel & 3]);
    fprintf(out, "pidfile = %s\n", c->pidfile ? c->pidfile : "(none)");
    fprintf(out, "environment = ");
    dump_env(out, &c->environment);
    fprintf(out, "sighup = %s\n", c->sighup == SIGHUP_FORWARD ? "forward" : "reload");
    fprintf(out, "childlogdir = %s\n", c->childlogdir);
    fprintf(out, "on_fatal = %s\n", c->on_fatal == ON_FATAL_SHUTDOWN ? "shutdown" : "ignore");
    fprintf(out, "environment_file =");
    for (size_t i = 0; c->environment_files && c->environment_files[i]; i++)
        fprintf(out, "%s%s", i ? ", " : " ", c->environment_files[i]);
    fputc('\n', out);
    fprintf(out, "log_timestamp = %s\nlog_format = %s\n", stamp_names[c->log_timestamp & 3],
            format_names[c->log_format & 1]);
    fprintf(out, "syslog_socket = %s\n", c->syslog_socket);
    fprintf(out, "logfile_maxbytes = %" PRIu64 "\nlogfile_backups = %d\nlogformat = %s\n",
            c->logfile_maxbytes, c->logfile_backups, format_names[c->logformat & 1]);
    if (c->unix_http.enabled) {
        const struct http_server_config *h = &c->unix_http;
        fprintf(out, "\n[unix_http_server]\nfile = %s\nchmod = %04o\n", h->file,
                (unsigned)h->chmod);
        if (h->chown_set)
            fprintf(out, "chown = %d:%d\n", (int)h->chown_uid, (int)h->chown_gid);
        fprintf(out, "username = %s\npassword = %s\n", h->username ? h->username : "(none)",
                h->password ? "(set)" : "(none)");
    }
    if (c->inet_http.enabled) {
        const struct http_server_config *h = &c->inet_http;
        fprintf(out, "\n[inet_http_server]\nport = %s%s%s:%d\n",
                strchr(h->host, ':') ? "[" : "", *h->host ? h->host : "*",
                strchr(h->host, ':') ? "]" : "", h->port);
        fprintf(out, "username = %s\npassword = %s\n", h->username ? h->username : "(none)",
                h->password ? "(set)" : "(none)");
    }
    for (size_t i = 0; i < c->ngroups; i++) {
        const struct group_config *g = &c->groups[i];
        fprintf(out, "\n[group:%s]\nprograms = ", g->name);
        for (size_t k = 0; g->programs[k]; k++)
            fprintf(out, "%s%s", k ? "," : "", g->programs[k]);
        fprintf(out, "\npriority = %d\n", g->priority);
    }
    for (size_t i = 0; i < c->nprocs; i++) {
        const struct process_config *p = &c->procs[i];
        /* a listener is its own kind of process (as supervisord's pools) */
        fprintf(out, "\n[%s %s]\n", p->listener ? "eventlistener" : "process", p->fullname);
        fprintf(out, "program = %s\ngroup = %s\nname = %s\n", p->program, p->group, p->name);
        if (p->file)
            fprintf(out, "defined_at = %s:%d\n", p->file, p->line);
        fprintf(out, "command = %s\n", p->command);
        for (size_t k = 0; p->argv && p->argv[k]; k++)
            fprintf(out, "argv[%zu] = %s\n", k, p->argv[k]);
        fprintf(out, "process_num = %d\nnumprocs = %d\n", p->process_num, p->numprocs);
        fprintf(out, "directory = %s\n", p->directory ? p->directory : "(inherit)");
        if (p->umask_set)
            fprintf(out, "umask = %03o\n", (unsigned)p->umask);
        else
            fprintf(out, "umask = (inherit)\n");
        if (p->user)
            fprintf(out, "user = %s (uid %u, gid %u)\n", p->user, (unsigned)p->uid,
                    (unsigned)p->gid);
        else
            fprintf(out, "user = (inherit)\n");
        fprintf(out, "environment = ");
        dump_env(out, &p->environment);
        fprintf(out, "priority = %d\n", p->priority);
        fprintf(out, "depends_on =");
        for (size_t k = 0; p->depends_on && p->depends_on[k]; k++)
            fprintf(out, "%s%s", k ? ", " : " ", p->depends_on[k]);
        fprintf(out, "\nautostart = %s\n", yes(p->autostart));
        fprintf(out, "autorestart = %s\n", restarts[p->autorestart]);
        fprintf(out, "exitcodes =");
        int n = 0;
        for (int code = 0; code < 256; code++)
            if (conf_exitcode_expected(p, code))
                fprintf(out, "%s%d", n++ ? "," : " ", code);
        fprintf(out, "\nready = %s\n", p->ready == READY_PROBE ? p->ready_probe.text
                                       : p->ready == READY_NOTIFY ? "notify" : "startsecs");
        fprintf(out, "startsecs = %d\n", p->startsecs);
        if (p->startretries == CONF_RETRIES_FOREVER)
            fprintf(out, "startretries = forever\n");
        else
            fprintf(out, "startretries = %d\n", p->startretries);
        fprintf(out, "stopsignal = %s\nstopwaitsecs = %d\n", conf_signal_name(p->stopsignal),
                p->stopwaitsecs);
        fprintf(out, "stopasgroup = %s\nkillasgroup = %s\n", yes(p->stopasgroup),
                yes(p->killasgroup));
        fprintf(out, "main = %s\n", yes(p->main));
        fprintf(out, "stdin = %s\n", p->stdin_pipe ? "pipe" : p->stdin_path ? p->stdin_path : "NONE");
        dump_log(out, "stdout", &p->stdout_log);
        dump_log(out, "stderr", &p->stderr_log);
        fprintf(out, "redirect_stderr = %s\nlog_prefix = %s\n", yes(p->redirect_stderr),
                yes(p->log_prefix));
        /* what came after the dump's first version goes after log_prefix,
         * so that readers of the older dump (which stop there) still work */
        dump_syslog(out, "stdout", &p->stdout_log);
        dump_syslog(out, "stderr", &p->stderr_log);
        fprintf(out, "log_timestamp = %s\nlog_format = %s\n",
                stamp_names[p->stdout_log.stamp & 3], format_names[p->stdout_log.format & 1]);
        fprintf(out, "order = %d\n", p->order);
        cf_health_dump(p, out);
        /* issue 17: only when set, so that older dumps read the same */
        if (p->stdout_log.events || p->stderr_log.events)
            fprintf(out, "stdout_events_enabled = %s\nstderr_events_enabled = %s\n",
                    yes(p->stdout_log.events), yes(p->stderr_log.events));
        if (p->listener) {
            fprintf(out, "events = ");
            for (char **e = p->events; e && *e; e++)
                fprintf(out, "%s%s", e == p->events ? "" : ",", *e);
            fprintf(out, "\nbuffer_size = %d\n", p->buffer_size);
        }
        cf_resources_dump(p, out);
    }
}

void conf_summary(const struct tend_config *c, FILE *out)
{
    const char *name = c->path ? c->path : c->file ? c->file : "(no file)";
    fprintf(out, "%s: %zu program%s (%zu process%s), %zu group%s, %zu file%s: OK\n", name,
            c->nprograms, c->nprograms == 1 ? "" : "s", c->nprocs, c->nprocs == 1 ? "" : "es",
            c->ngroups, c->ngroups == 1 ? "" : "s", c->nfiles, c->nfiles == 1 ? "" : "s");
}
