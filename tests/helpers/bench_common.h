/* bench_common.h - what the bench_* helpers share: monotonic clocks, a
 * nap that survives signals, and a process's children from /proc. Header
 * only, so each helper stays one program built from one .c file. */
#ifndef TEND_BENCH_COMMON_H
#define TEND_BENCH_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

static inline double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline long now_ms(void)
{
    return (long)(now_us() / 1000);
}

static inline void nap_us(long us)
{
    struct timespec ts = { us / 1000000L, (us % 1000000L) * 1000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Append the children of P (of every thread of it) to OUT[N..MAX). Returns
 * the new count, or -1 when P's task folder cannot be read (P is gone). */
static inline int proc_children(pid_t p, pid_t *out, int n, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)p);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char cp[320];
        snprintf(cp, sizeof cp, "/proc/%d/task/%s/children", (int)p, e->d_name);
        FILE *f = fopen(cp, "re");
        if (!f)
            continue;
        int c;
        while (n < max && fscanf(f, "%d", &c) == 1)
            out[n++] = c;
        fclose(f);
    }
    closedir(d);
    return n;
}

#endif
