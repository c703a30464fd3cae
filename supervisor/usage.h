/* usage.h - what a program uses, read from /proc: CPU seconds (children it
 * waited for included), resident memory and the number of processes, summed
 * over its process group and every descendant of its pid.
 *
 * A snapshot is one pass over /proc (one read of /proc/PID/stat each),
 * taken only when someone asks (status -l, --json, metrics, memory_limit's
 * timer); it never blocks on anything but procfs. Nothing here touches a
 * struct process.
 */
#ifndef TEND_USAGE_H
#define TEND_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct usage {
    double cpu_seconds;         /* user + system, with waited-for children */
    uint64_t rss_bytes;
    unsigned procs;             /* live (not zombie) processes */
    bool has_memory_current;    /* from a cgroup with the memory controller: */
    uint64_t memory_current;    /* its memory.current (page cache, kernel too) */
};

struct usage_snap;

/* Scan /proc. Returns NULL with errno when /proc cannot be read or memory
 * runs out (callers then report zeros). Free with usage_free. */
struct usage_snap *usage_scan(void);
void usage_free(struct usage_snap *s);
/* The usage of the processes in group PGID (when > 0) and of PID and its
 * descendants (when > 0; PID must be a child of tend, as programs are),
 * and of the descendants of every orphan re-parented to tend that is in
 * group PGID. A process that left the group (setsid) and whose parent in
 * the program is gone cannot be told from any other: not counted (its
 * cgroup counts it, where there is one).
 * All zeros when neither is running. */
void usage_of(const struct usage_snap *s, pid_t pid, pid_t pgid, struct usage *out);

/* The memory and count of the N processes in PIDS (a cgroup's). */
void usage_of_pids(const struct usage_snap *s, const pid_t *pids, size_t n, struct usage *out);

#endif
