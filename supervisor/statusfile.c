/* statusfile.c - the atomic status file, an observer of every process. */
#include "statusfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rundir.h"
#include "supervisor.h"

static void observer(void *arg, struct process *p, enum proc_event ev, enum pstate old)
{
    (void)p;
    (void)ev;
    (void)old;
    statusfile_mark(arg);
}

void statusfile_attach(struct supervisor *sv)
{
    proc_observe(&sv->host, observer, sv);
    statusfile_mark(sv);
}

void statusfile_mark(struct supervisor *sv)
{
    sv->status_dirty = true;
}

static void status_path(struct supervisor *sv, char *buf, size_t len)
{
    snprintf(buf, len, "%s/status", sv->cfg->rundir);
}

void statusfile_flush(struct supervisor *sv)
{
    if (!sv->status_dirty || !sv->has_rundir || sv->done)
        return;
    sv->status_dirty = false;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        sv->status_dirty = true;
        return;
    }
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        char ex[32];
        proc_exit_string(p, ex, sizeof ex);
        fprintf(f, "%s %s pid=%d exit=%s restarts=%u since=%lld\n", p->cfg->fullname,
                pstate_name(p->state), (int)p->pid, ex, p->restarts, (long long)p->since);
    }
    if (fclose(f) != 0) {
        free(buf);
        sv->status_dirty = true;
        return;
    }
    char path[4096];
    status_path(sv, path, sizeof path);
    if (write_file_atomic(path, buf, len, 0644) < 0) {
        if (!sv->status_warned)
            log_error("cannot write %s: %s", path, strerror(errno));
        sv->status_warned = true;
        sv->status_dirty = true; /* try again on the next change */
    } else if (sv->status_warned) {
        log_info("status file %s written again", path);
        sv->status_warned = false;
    }
    free(buf);
}

void statusfile_remove(struct supervisor *sv)
{
    if (!sv->has_rundir)
        return;
    char path[4096];
    status_path(sv, path, sizeof path);
    unlink(path);
}
