/* procinfo.h - what integration tests read about processes: /proc/PID/stat
 * fields, and the reports of the sigprobe helper (one "sig N T" line per
 * signal received). Shared by every suite that needs them. */
#ifndef TEND_TEST_PROCINFO_H
#define TEND_TEST_PROCINFO_H

#include <sys/types.h>

/* Field N (1-based, as in proc(5)) of /proc/PID/stat, or -1. */
long proc_stat_field(pid_t pid, int n);
/* State letter of PID ('?' when gone). */
char proc_state(pid_t pid);
/* Seconds since PID started (from its starttime and /proc/uptime), or -1. */
double proc_age(pid_t pid);

/* How many times the sigprobe report at PATH recorded signal SIG. */
int sig_count(const char *path, int sig);
/* Wait until the report has SIG at least N times: 0, or -1 after TIMEOUT_MS. */
int wait_sig(const char *path, int sig, int n, int timeout_ms);

#endif
