/* metrics.c - the Prometheus text exposition of tend's processes. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "loop.h"

void metrics_usage(const struct usage_snap *s, const struct process *p, struct usage *out)
{
    unsigned long long memory_current;
    if (p->host->cgroups && cgroup_usage(p->host->cgroups, p, s, out, &memory_current))
        return;                 /* its cgroup knows every process, setsid or not */
    /* after the main pid exited, what is left of its group still counts
     * while tend stops it */
    bool live = p->pid > 0 || p->state == PS_STOPPING;
    usage_of(s, p->pid, live ? p->pgid : 0, out);
}

/* A label value with \, " and newline escaped, as the format wants. */
static void label(char *out, size_t size, const char *s)
{
    size_t n = 0;
    for (; *s && n + 3 < size; s++) {
        if (*s == '\\' || *s == '"') {
            out[n++] = '\\';
            out[n++] = *s;
        } else if (*s == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
}

enum fam { F_STATE, F_UP, F_PID, F_RESTARTS, F_SINCE, F_CPU, F_RSS, F_PROCS, F_MEM, F_COUNT };

static const struct {
    const char *name, *type, *help;
} fams[F_COUNT] = {
    [F_STATE] = {"tend_process_state", "gauge", "1 for the state the process is in, else 0."},
    [F_UP] = {"tend_process_up", "gauge", "1 when the process is RUNNING."},
    [F_PID] = {"tend_process_pid", "gauge", "Pid of the process, 0 when none."},
    [F_RESTARTS] = {"tend_process_restarts_total", "counter",
                    "Automatic restarts since tend started the process."},
    [F_SINCE] = {"tend_process_state_since_seconds", "gauge",
                 "Unix time of the last state change."},
    [F_CPU] = {"tend_process_cpu_seconds_total", "counter",
               "CPU time of the process's processes, waited-for children included."},
    [F_RSS] = {"tend_process_resident_memory_bytes", "gauge",
               "Resident memory of all the process's processes."},
    [F_PROCS] = {"tend_process_processes", "gauge", "Live processes of the process."},
    [F_MEM] = {"tend_process_memory_current_bytes", "gauge",
               "memory.current of the process's cgroup (with the memory controller only)."},
};

void metrics_emit(struct supervisor *sv, void (*line)(void *arg, const char *text), void *arg)
{
    char buf[1024];
    struct usage_snap *snap = usage_scan();     /* NULL: zeros, still a valid exposition */
    struct usage *u = calloc(sv->nprocs + 1, sizeof *u);
    for (size_t i = 0; u && i < sv->nprocs; i++)
        metrics_usage(snap, sv->procs[i], &u[i]);
    usage_free(snap);
    bool any_mem = false;       /* the family only where some cgroup has it */
    for (size_t i = 0; u && i < sv->nprocs; i++)
        any_mem = any_mem || u[i].has_memory_current;

    line(arg, "# HELP tend_up 1 while tend answers.");
    line(arg, "# TYPE tend_up gauge");
    line(arg, "tend_up 1");
    line(arg, "# HELP tend_uptime_seconds Seconds since tend started.");
    line(arg, "# TYPE tend_uptime_seconds gauge");
    snprintf(buf, sizeof buf, "tend_uptime_seconds %.3f",
             (double)(loop_now() - sv->started_at) / 1000.0);
    line(arg, buf);
    line(arg, "# HELP tend_processes Processes in the configuration.");
    line(arg, "# TYPE tend_processes gauge");
    snprintf(buf, sizeof buf, "tend_processes %zu", sv->nprocs);
    line(arg, buf);

    for (int f = 0; f < F_COUNT; f++) {
        if (!u && (f == F_CPU || f == F_RSS || f == F_PROCS))
            continue;           /* out of memory: leave out what is not known */
        if (f == F_MEM && !any_mem)
            continue;
        snprintf(buf, sizeof buf, "# HELP %s %s", fams[f].name, fams[f].help);
        line(arg, buf);
        snprintf(buf, sizeof buf, "# TYPE %s %s", fams[f].name, fams[f].type);
        line(arg, buf);
        for (size_t i = 0; i < sv->nprocs; i++) {
            const struct process *p = sv->procs[i];
            char name[300], group[300], lbl[640];
            label(name, sizeof name, p->cfg->fullname);
            label(group, sizeof group, p->cfg->group);
            snprintf(lbl, sizeof lbl, "name=\"%s\",group=\"%s\"", name, group);
            const char *fn = fams[f].name;
            switch (f) {
            case F_STATE:
                for (int s = 0; s < PS_COUNT; s++) {
                    snprintf(buf, sizeof buf, "%s{%s,state=\"%s\"} %d", fn, lbl,
                             pstate_name((enum pstate)s), p->state == (enum pstate)s);
                    line(arg, buf);
                }
                continue;
            case F_UP:
                snprintf(buf, sizeof buf, "%s{%s} %d", fn, lbl, p->state == PS_RUNNING);
                break;
            case F_PID:
                snprintf(buf, sizeof buf, "%s{%s} %ld", fn, lbl, (long)p->pid);
                break;
            case F_RESTARTS:
                snprintf(buf, sizeof buf, "%s{%s} %u", fn, lbl, p->restarts);
                break;
            case F_SINCE:
                snprintf(buf, sizeof buf, "%s{%s} %lld", fn, lbl, (long long)p->since);
                break;
            case F_CPU:
                snprintf(buf, sizeof buf, "%s{%s} %.2f", fn, lbl, u[i].cpu_seconds);
                break;
            case F_RSS:
                snprintf(buf, sizeof buf, "%s{%s} %llu", fn, lbl,
                         (unsigned long long)u[i].rss_bytes);
                break;
            case F_PROCS:
                snprintf(buf, sizeof buf, "%s{%s} %u", fn, lbl, u[i].procs);
                break;
            case F_MEM:
                if (!u[i].has_memory_current)
                    continue;   /* no memory controller for this one */
                snprintf(buf, sizeof buf, "%s{%s} %llu", fn, lbl,
                         (unsigned long long)u[i].memory_current);
                break;
            }
            line(arg, buf);
        }
    }
    free(u);
}
