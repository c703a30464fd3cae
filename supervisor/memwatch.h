/* memwatch.h - memory_limit: a program whose processes together hold more
 * resident memory than its memory_limit is restarted, with a log line that
 * gives the figure.
 *
 * An observer of every process: a program with memory_limit gets a timer of
 * memory_check_interval while it is STARTING or RUNNING, and none otherwise,
 * so tend with no such program running arms nothing (0 wakeups when idle).
 * Each tick reads /proc (usage.h) for that program only. The restart goes
 * through proc_restart, as `tendctl restart` does.
 */
#ifndef TEND_MEMWATCH_H
#define TEND_MEMWATCH_H

#include "supervisor.h"

struct memwatch;

/* Start watching SV's processes. NULL when out of memory (logged; limits
 * are then not enforced). */
struct memwatch *memwatch_attach(struct supervisor *sv);
/* Stop watching and free (after the processes are gone, or before). */
void memwatch_free(struct memwatch *mw);

#endif
