/* metrics.h - every figure of tend in the Prometheus text exposition format
 * (version 0.0.4), for `tendctl metrics` and node_exporter's textfile
 * collector; and the per-process usage of status -l / --json.
 *
 * Reads processes (never changes one) and /proc through usage.h.
 */
#ifndef TEND_METRICS_H
#define TEND_METRICS_H

#include "proc.h"
#include "supervisor.h"
#include "usage.h"

/* The usage of P from snapshot S (NULL: zeros): from its cgroup when it has
 * one (cgroup.h), else its process group and its descendants. */
void metrics_usage(const struct usage_snap *s, const struct process *p, struct usage *out);

/* Call LINE once per line (without newline) of the exposition: HELP and
 * TYPE, then the samples of each family, labels name and group. */
void metrics_emit(struct supervisor *sv, void (*line)(void *arg, const char *text), void *arg);

#endif
