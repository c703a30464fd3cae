/* procinfo.c - /proc and sigprobe report readers for the integration tests. */
#include "procinfo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* The text after the command name's closing parenthesis: field 3 onwards. */
static char *stat_fields(pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (th_read_file(path, buf, len) <= 0)
        return NULL;
    char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' ? rp + 2 : NULL;
}

long proc_stat_field(pid_t pid, int n)
{
    char buf[1024];
    char *p = stat_fields(pid, buf, sizeof buf);
    for (int i = 3; p && i < n; i++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtol(p, NULL, 10) : -1;
}

char proc_state(pid_t pid)
{
    char buf[1024];
    char *p = stat_fields(pid, buf, sizeof buf);
    return p ? *p : '?';
}

double proc_age(pid_t pid)
{
    long start = proc_stat_field(pid, 22);
    char buf[128];
    if (start < 0 || th_read_file("/proc/uptime", buf, sizeof buf) <= 0)
        return -1;
    return strtod(buf, NULL) - (double)start / (double)sysconf(_SC_CLK_TCK);
}

int sig_count(const char *path, int sig)
{
    char key[32];
    snprintf(key, sizeof key, "\nsig %d ", sig);
    return th_count_in_file(path, key);
}

int wait_sig(const char *path, int sig, int n, int timeout_ms)
{
    uint64_t deadline = th_now_ms() + (uint64_t)timeout_ms;
    while (sig_count(path, sig) < n) {
        if (th_now_ms() >= deadline)
            return -1;
        th_nap(2);
    }
    return 0;
}
