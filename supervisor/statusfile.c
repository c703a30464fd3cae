/* statusfile.c - the atomic status file. */
#include "statusfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rundir.h"
#include "supervisor.h"

static bool dirty;
static bool warned;

void statusfile_mark(struct supervisor *sv)
{
    (void)sv;
    dirty = true;
}

static void status_path(struct supervisor *sv, char *buf, size_t len)
{
    snprintf(buf, len, "%s/status", sv->cfg->rundir);
}

void statusfile_flush(struct supervisor *sv)
{
    if (!dirty || !sv->has_rundir || sv->done)
        return;
    dirty = false;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    for (size_t i = 0; i < sv->nprocs; i++) {
        struct process *p = sv->procs[i];
        char ex[32];
        proc_exit_string(p, ex, sizeof ex);
        fprintf(f, "%s %s pid=%d exit=%s restarts=%u since=%lld\n", p->cfg->fullname,
                pstate_name(p->state), (int)p->pid, ex, p->restarts, (long long)p->since);
    }
    fclose(f);
    char path[4096];
    status_path(sv, path, sizeof path);
    if (write_file_atomic(path, buf, len, 0644) < 0) {
        if (!warned)
            log_error("cannot write %s: %s", path, strerror(errno));
        warned = true;
        dirty = true; /* try again on the next change */
    } else if (warned) {
        log_info("status file %s written again", path);
        warned = false;
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
