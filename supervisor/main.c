/* main.c - tend's command line, start-up and shutdown sequence. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "../conf/conf.h"
#include "capture.h"
#include "cgroup.h"
#include "control.h"
#include "limits.h"
#include "log.h"
#include "loop.h"
#include "memwatch.h"
#include "proc.h"
#include "rpc.h"
#include "rundir.h"
#include "signals.h"
#include "statusfile.h"
#include "supervisor.h"

#define EXIT_USAGE 2
#define DEFAULT_CONFIG "/etc/tend.ini"

/* Which C library, hence where `user =` names are looked up (README). */
#ifdef __GLIBC__
#define LIBC_NAME "glibc"
#else
#define LIBC_NAME "musl"
#endif

static void usage(FILE *out)
{
    fputs("usage: tend [-c FILE] [--check] [-v|-q] [--version] [-h] [-- COMMAND [ARG...]]\n"
          "  -c FILE      configuration (default $TEND_CONFIG, else " DEFAULT_CONFIG ")\n"
          "  --check      validate the configuration, print a summary, start nothing\n"
          "  -v           more messages (debug); with --check, print every program\n"
          "  -q           fewer messages (warnings and errors only)\n"
          "  --version    print the version\n"
          "  -h, --help   this help\n"
          "  -- COMMAND   run COMMAND as the main program: tend exits with its status\n",
          out);
}

/* 0-2 must exist, so that nothing tend opens lands on them. */
static void std_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (n >= 0 && n != fd) {
            dup2(n, fd);
            close(n);
        }
    }
}

/* supervisord's XML-RPC interface ([unix_http_server], [inet_http_server]) */
static struct rpc *rpc_server;
static struct memwatch *memwatch;   /* memory_limit (issue 18) */

#define MAX_PASSED_FDS 1024
static int passed_fds[MAX_PASSED_FDS];
static size_t npassed_fds;

/* Descriptors inherited above 2. `tend -- CMD` without a config is tini:
 * they go to the main program (socket activation: LISTEN_FDS), tend keeps
 * them close-on-exec meanwhile and never touches them otherwise. In every
 * other mode they were not meant for our programs and are closed. */
static void inherited_fds(bool pass)
{
    if (!pass) {
        if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
            for (int fd = 3; fd < 1024; fd++)
                close(fd);
        return;
    }
    for (int fd = 3; fd < MAX_PASSED_FDS && npassed_fds < MAX_PASSED_FDS; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0)
            continue;
        if (!(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
            continue;
        passed_fds[npassed_fds++] = fd;
    }
}

struct options {
    const char *config;
    bool config_given;
    bool check;
    int verbose;   /* -1 quiet, 0, 1 verbose */
    char **main_argv;
};

static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tend: -- needs a COMMAND\n");
                return -1;
            }
            o->main_argv = &argv[i + 1];
            return 0;
        } else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
            if (++i >= argc) {
                fprintf(stderr, "tend: %s needs a FILE\n", a);
                return -1;
            }
            o->config = argv[i];
            o->config_given = true;
        } else if (!strncmp(a, "--config=", 9)) {
            o->config = a + 9;
            o->config_given = true;
        } else if (!strncmp(a, "-c", 2) && a[2]) {
            o->config = a + 2;
            o->config_given = true;
        } else if (!strcmp(a, "--check")) {
            o->check = true;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = 1;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->verbose = -1;
        } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("tend %s (%s)\n", TEND_VERSION, LIBC_NAME);
            exit(0);
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "tend: unknown option: %s\n", a);
            return -1;
        }
    }
    return 0;
}

static struct tend_config *load_config(struct options *o, struct conf_diags *d)
{
    if (!o->config_given) {
        const char *env = getenv("TEND_CONFIG");
        if (env && *env) {
            o->config = env;
            o->config_given = true;
        } else if (!o->main_argv) {
            o->config = DEFAULT_CONFIG;
            o->config_given = true;
        }
    }
    struct tend_config *c = o->config ? conf_load(o->config, d) : conf_default(d);
    if (c && o->main_argv && conf_add_main_command(c, o->main_argv, d) < 0) {
        conf_free(c);
        c = NULL;
    }
    return c;
}

/* Rundir, lock and control FIFO. Running `tend -- CMD` without a config is
 * a drop-in for tini: it must not fail for lack of a rundir. */
static int setup_rundir(struct supervisor *sv, bool optional)
{
    char err[512];
    bool locked;
    bool shared = (sv->cfg->control_mode & 022) != 0;
    sv->lock_fd = rundir_open(sv->cfg->rundir, shared, err, sizeof err, &locked);
    if (sv->lock_fd < 0) {
        if (optional) {
            log_warn("%s; running without a control FIFO", err);
            return 0;
        }
        log_error("%s", err);
        return -1;
    }
    sv->has_rundir = true;
    sv->control = control_open(sv, err, sizeof err);
    if (!sv->control) {
        if (optional) {
            log_warn("%s; running without a control FIFO", err);
            return 0;
        }
        log_error("%s", err);
        return -1;
    }
    return 0;
}

/* The supervisor's struct, the event loop and the signal state. Fatal
 * errors here happen before any program runs. */
static void init_supervisor(struct supervisor *sv, const struct options *o,
                            struct tend_config *cfg)
{
    sv->cfg = cfg;
    sv->config_path = o->config;
    sv->main_argv = o->main_argv;
    sv->bare_main = o->main_argv && !o->config;
    sv->passed_fds = passed_fds;
    sv->npassed_fds = npassed_fds;
    sv->tty_fd = -1;
    sv->lock_fd = -1;
    sv->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    sv->is_pid1 = getpid() == 1;
    sv->started_at = loop_now();
    if (!sv->is_pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_warn("cannot become a child subreaper: %s (orphans will not be reaped)",
                 strerror(errno));
    sv->loop = loop_new();
    if (!sv->loop)
        log_fatal("cannot create the event loop: %s", strerror(errno));
    if (signals_setup(sv) < 0)
        log_fatal("cannot set up signal handling: %s", strerror(errno));
    capture_setup(sv->loop);
    log_attach(sv->loop);   /* queued log lines are written from the loop from now on */
    loop_on_idle(sv->loop, (void (*)(void *))supervisor_idle, sv);
    /* The status file hears of a change before control answers a client
     * about it: an answered client may read the file next. */
    statusfile_attach(sv);
    memwatch = memwatch_attach(sv);
}

/* After the loop: last log lines and replies out, files tend made removed,
 * everything freed (for leak checkers). Returns tend's exit status. */
static int run_down(struct supervisor *sv)
{
    capture_flush_all(1000);
    rpc_close(rpc_server);  /* last answers (shutdown's) written, socket removed */
    rpc_server = NULL;
    supervisor_idle(sv);
    statusfile_remove(sv); /* it describes a running tend */
    if (sv->control) {
        control_flush(sv->control);
        control_close(sv->control);
    }
    supervisor_set_pidfile(sv, NULL); /* the one tend wrote last (reload may move it) */
    log_info("tend exits with status %d", sv->exit_code);
    int code = sv->exit_code;
    supervisor_teardown(sv);
    cgroup_close(sv->host.cgroups);    /* every process is gone: their cgroups too */
    sv->host.cgroups = NULL;
    memwatch_free(memwatch);
    memwatch = NULL;
    capture_teardown();
    conf_free(sv->cfg);
    log_attach(NULL); /* what is still queued is written at exit, without the loop */
    loop_free(sv->loop);
    return code;
}

int main(int argc, char **argv)
{
    std_fds();
    conf_use_system_accounts();
    struct options o = { 0 };
    if (parse_args(argc, argv, &o) < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }

    struct conf_diags d = { 0 };
    struct tend_config *cfg = load_config(&o, &d);
    conf_diags_print(&d, stderr);
    conf_diags_free(&d);
    if (!cfg)
        return EXIT_USAGE;
    inherited_fds(o.main_argv && !o.config && !o.check);
    if (o.check) {
        conf_summary(cfg, stdout);
        if (o.verbose > 0)
            conf_dump(cfg, stdout);
        conf_free(cfg);
        return 0;
    }

    /* tend -- CMD alone stands in for tini: quiet unless something is wrong. */
    int level = o.config ? cfg->loglevel : LOG_WARN;
    log_set_level(o.verbose > 0 ? LOG_DEBUG : o.verbose < 0 ? LOG_WARN : level);
    log_configure(cfg->logfile_maxbytes, cfg->logfile_backups, cfg->logformat == LOG_FORMAT_JSON);
    if (cfg->logfile && log_open(cfg->logfile) < 0) {
        fprintf(stderr, "tend: cannot open logfile %s: %s\n", cfg->logfile, strerror(errno));
        conf_free(cfg);
        return 1;
    }

    char lim_err[256];
    if (limits_raise(cfg, lim_err, sizeof lim_err) < 0) {
        log_error("%s", lim_err);
        conf_free(cfg);
        return 1;
    }

    static struct supervisor sv;
    init_supervisor(&sv, &o, cfg);

    if (o.main_argv && isatty(0) && tcgetpgrp(0) == getpgrp())
        sv.tty_fd = 0;
    /* As a tini stand-in (no config) the rundir is optional, so the main
     * program starts first and the rundir is made while it runs. */
    bool rundir_optional = o.main_argv && !o.config;
    if (!rundir_optional && setup_rundir(&sv, false) < 0) {
        conf_free(cfg);
        return 1;
    }
    char rpc_err[512];
    rpc_server = rpc_open(&sv, rpc_err, sizeof rpc_err);
    if (!rpc_server && rpc_err[0]) {
        log_error("%s", rpc_err);
        if (sv.control)
            control_close(sv.control);
        conf_free(cfg);
        return 1;
    }
    /* after the rundir: its errors come first, and cgroups are not touched
     * by a tend that cannot start */
    bool cg_fatal;
    char cg_err[1024];
    sv.host.cgroups = cgroup_setup(&sv, cg_err, sizeof cg_err, &cg_fatal);
    if (cg_fatal) {
        log_error("%s", cg_err);
        rpc_close(rpc_server);
        if (sv.control)
            control_close(sv.control);
        conf_free(cfg);
        return 1;
    }
    cgroup_warn_keys(sv.host.cgroups, cfg);
    supervisor_set_pidfile(&sv, cfg->pidfile);

    supervisor_init_host(&sv);
    sv.host.server_url = rpc_server_url(rpc_server);
    if (supervisor_build(&sv) < 0)
        log_fatal("out of memory building the process table");
    log_info("tend %s started (pid %d%s), %zu process%s from %s", TEND_VERSION, (int)getpid(),
             sv.is_pid1 ? ", as PID 1" : "", sv.nprocs, sv.nprocs == 1 ? "" : "es",
             o.config ? o.config : "the command line");
    supervisor_start_all(&sv);
    if (rundir_optional) {
        setup_rundir(&sv, true);
        sv.host.rundir = sv.has_rundir ? sv.cfg->rundir : NULL;
    }
    if (sv.nprocs == 0 && !sv.control)
        supervisor_shutdown(&sv, 0, "nothing to supervise");

    while (!sv.done) {
        if (loop_run_once(sv.loop) < 0)
            log_fatal("event loop failed: %s", strerror(errno));
    }

    return run_down(&sv);
}
