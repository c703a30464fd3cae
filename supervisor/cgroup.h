/* cgroup.h - cgroup v2: one cgroup per process, containment, limits.
 *
 * [supervisor] cgroups = auto | on | off | PATH decides at start-up where
 * tend divides (its base): its own cgroup, found from /proc/self/cgroup and
 * the cgroup2 mount in /proc/self/mountinfo, or PATH. `auto` uses it only
 * when it is tend's to divide: the root of the hierarchy or of tend's
 * cgroup namespace ("0::/"), or a cgroup delegated to it (the
 * trusted.delegate or user.delegate xattr systemd sets with Delegate=yes).
 * Then tend moves itself into the leaf BASE/tend (the no-internal-process
 * rule), enables the memory, pids and cpu controllers below BASE where it
 * may, and removes the empty cgroups a dead tend left (never a live one's:
 * a live tend is in BASE/tend).
 *
 * Each process runs in BASE/NAME.tend (NAME its full name), made before its
 * spawn with memory_max, memory_high, pids_max, cpu_max and cpu_weight
 * written, entered by the child before exec (spawn.h). cgroup.events is
 * watched with epoll (EPOLLPRI; never polled): when the cgroup empties, the
 * process hears proc_check_group(), and a process that is down has its
 * cgroup removed; a run that ended with memory.events' oom_kill grown is
 * logged as "OOM killed" and named in the state's reason (proc.c asks
 * cgroup_oom_kills()). proc.c asks cgroup_populated() before it calls a stopped
 * program STOPPED and cgroup_kill() when stopwaitsecs has run out.
 *
 * This module never changes a struct process: it keeps its own table,
 * learns of changes as an observer and acts through proc.h.
 */
#ifndef TEND_CGROUP_H
#define TEND_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "usage.h"

struct cgroups;
struct process;
struct supervisor;
struct tend_config;

/* Decide and set up, per the config. Returns the manager, or NULL when
 * cgroups are not used: then with *FATAL false an info line said why
 * (nothing for `off`); with *FATAL true (cgroups = on or PATH that cannot
 * be had) ERR holds the reason and tend must exit 1. */
struct cgroups *cgroup_setup(struct supervisor *sv, char *err, size_t errlen, bool *fatal);
/* One warning per controller key the config uses whose controller is not
 * available (CG may be NULL: cgroups are not used at all). */
void cgroup_warn_keys(const struct cgroups *cg, const struct tend_config *c);
/* The same for one program a reload or `add` brings in (added or changed):
 * WARNED (0 at first) holds the keys already warned about in this pass. */
struct process_config;
void cgroup_warn_program(const struct cgroups *cg, const struct process_config *p,
                         unsigned *warned);
/* Make P's cgroup for a spawn and write its limits. Returns a descriptor
 * of its cgroup.procs for the child to write (the caller closes it), or -1
 * with the reason in ERR (a failed start). */
int cgroup_prepare(struct cgroups *cg, struct process *p, char *err, size_t errlen);
/* Its cgroup path (for messages), or NULL. */
const char *cgroup_path_of(struct cgroups *cg, const struct process *p);
/* Does P's cgroup still hold a process? False when it has none. */
bool cgroup_populated(struct cgroups *cg, const struct process *p);
/* Send SIG to every process of P's cgroup outside process group PGID:
 * what left it (setsid, setpgid) hears the stop signal that the group or
 * the leader gets, as under systemd's KillMode=control-group. Returns how
 * many were signalled. */
unsigned cgroup_signal_escaped(struct cgroups *cg, const struct process *p, pid_t pgid, int sig);
/* SIGKILL everything in P's cgroup (cgroup.kill). */
void cgroup_kill(struct cgroups *cg, const struct process *p);
/* P's usage from its cgroup: CPU from cpu.stat, processes from
 * cgroup.procs (their memory from SNAP), *MEMORY_CURRENT from
 * memory.current (0 without the memory controller; OUT's has_memory_current
 * says whether there is one). False when P has no
 * cgroup (then nothing is written). */
bool cgroup_usage(struct cgroups *cg, const struct process *p, const struct usage_snap *snap,
                  struct usage *out, unsigned long long *memory_current);
/* The figures a cgroup directory (DIRFD) has: cpu.stat's usage_usec (no
 * controller needed), memory.current and memory.events' oom_kill (only
 * where the memory controller is enabled for it). A file that is missing
 * or unreadable leaves its has_ flag false. */
struct cgroup_stats {
    bool has_cpu, has_memory_current, has_oom_kill;
    unsigned long long cpu_usec, memory_current, oom_kill;
};
void cgroup_dir_stats(int dirfd, struct cgroup_stats *out);
/* How many processes the OOM killer killed in P's cgroup since its run
 * began (memory.events oom_kill; 0 without the memory controller). proc.c
 * asks when the run ends, to say so in the state's reason. */
unsigned long long cgroup_oom_kills(struct cgroups *cg, const struct process *p);
/* At exit: remove every cgroup tend made, move tend back to its base and
 * remove its leaf. Frees CG (NULL is fine). */
void cgroup_close(struct cgroups *cg);

#endif
