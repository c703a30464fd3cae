/* signals.c - signalfd dispatch: reap, shut down, reload, reopen, forward. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "supervisor.h"

static struct watch sig_watch;

static void forward(struct supervisor *sv, int sig)
{
    if (sv->main) {
        if (sv->main->pid > 0) {
            if (kill(sv->main->pid, sig) < 0 && errno != ESRCH)
                log_warn("cannot forward SIG%s to %s: %s", conf_signal_name(sig),
                         sv->main->cfg->fullname, strerror(errno));
        } else {
            log_debug("SIG%s: main program not running, dropped", conf_signal_name(sig));
        }
        return;
    }
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        if (p->pid > 0 && kill(p->pid, sig) < 0 && errno != ESRCH)
            log_warn("cannot forward SIG%s to %s: %s", conf_signal_name(sig), p->cfg->fullname,
                     strerror(errno));
    }
}

/* The kernel raises SIGPIPE for tend's own writes as sent by tend itself. */
static bool sent_by_other(const struct signalfd_siginfo *si)
{
    int code = si->ssi_code;
    return (code == SI_USER || code == SI_QUEUE || code == SI_TKILL) &&
           si->ssi_pid != (uint32_t)getpid();
}

static void on_signal(struct loop *l, struct watch *w, uint32_t events)
{
    struct supervisor *sv = w->arg;
    (void)l;
    (void)events;
    struct signalfd_siginfo si[16];
    for (;;) {
        ssize_t n = read(w->fd, si, sizeof si);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN: drained */
        }
        for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++) {
            int sig = (int)si[i].ssi_signo;
            switch (sig) {
            case SIGCHLD:
                supervisor_reap(sv);
                break;
            case SIGTERM:
            case SIGINT:
            case SIGQUIT:
                /* tend -- CMD alone is tini: the command decides (a JVM's
                 * thread dump on SIGQUIT must not end the container), and
                 * the runtime, not tend, owns the grace period: no SIGKILL */
                if (sv->bare_main)
                    forward(sv, sig);
                else
                    supervisor_shutdown_signal(sv, sig);
                break;
            case SIGHUP:
                /* tend -- CMD alone has nothing to reload: behave as tini. */
                if (sv->cfg->sighup == SIGHUP_FORWARD || sv->bare_main) {
                    forward(sv, sig);
                } else {
                    struct conf_diags d = { 0 };
                    if (supervisor_reload(sv, &d) < 0) {
                        log_error("SIGHUP: configuration not reloaded, the old one stays:");
                        for (size_t k = 0; k < d.n; k++)
                            log_error("%s:%d: %s", d.v[k].file ? d.v[k].file : "-",
                                      d.v[k].line, d.v[k].msg);
                    }
                    conf_diags_free(&d);
                }
                break;
            case SIGUSR2:
                if (sv->bare_main)
                    forward(sv, sig); /* no log file to reopen */
                else
                    supervisor_reopen(sv);
                break;
            case SIGPIPE:
                /* One tend's own write raised (a reader went away) is
                 * tend's business; one another process sent is forwarded. */
                if (sent_by_other(&si[i]))
                    forward(sv, sig);
                break;
            case SIGSEGV:
            case SIGBUS:
            case SIGFPE:
            case SIGILL:
            case SIGTRAP:
            case SIGSYS:
                log_warn("ignored SIG%s sent by pid %u", conf_signal_name(sig),
                         (unsigned)si[i].ssi_pid);
                break;
            default:
                forward(sv, sig);
                break;
            }
        }
    }
}

int signals_setup(struct supervisor *sv)
{
    /* Every signal, the C library's reserved ones included: tend is single
     * threaded and uses none of them, and a program built with the other C
     * library may use 32-34 as ordinary real-time signals, so they are
     * forwarded like any other. Hence the raw calls: libc wrappers and
     * sigset_t helpers refuse those numbers. */
    ksigset_t all = ~0ULL & ~(KSIG_BIT(SIGKILL) | KSIG_BIT(SIGSTOP));
    if (ksig_mask(SIG_BLOCK, &all, &sv->orig_mask) < 0)
        return -1;
    /* An ignored signal never reaches the signalfd (and an ignored SIGCHLD
     * would make the kernel reap for us): back to default, still blocked,
     * so children inherit nothing ignored. What was ignored is kept for
     * the main program (tini's rule). */
    sv->orig_ignored = 0;
    for (int s = 1; s <= 64; s++) {
        if (s == SIGKILL || s == SIGSTOP || !ksig_ignored(s))
            continue;
        sv->orig_ignored |= KSIG_BIT(s);
        ksig_set(s, SIG_DFL);
    }
    int fd = (int)syscall(SYS_signalfd4, -1, &all, sizeof all, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (watch_add(sv->loop, &sig_watch, fd, EPOLLIN, on_signal, sv) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}
