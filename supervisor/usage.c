/* usage.c - per-program CPU, memory and process counts from /proc. */
#include "usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pinfo {
    pid_t pid, ppid, pgid;
    pid_t top;                  /* its ancestor that is tend's child (or itself), 0: none */
    pid_t top_pgid;             /* that ancestor's process group, 0: none */
    bool zombie;
    unsigned long long ticks;   /* utime + stime + cutime + cstime */
    unsigned long long rss;     /* pages */
};

struct usage_snap {
    struct pinfo *v;
    size_t n;
    long tck;
    long page;
};

/* Fields of /proc/PID/stat after the command name (which may hold blanks
 * and parentheses: the last ')' ends it). 0 or -1. */
static int read_stat(int dirfd, const char *name, struct pinfo *pi)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "%s/stat", name);
    int fd;
    do
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* field 3 is the state; we want 4 ppid, 5 pgrp, 14-17 times, 24 rss */
    unsigned long long f[25] = {0};
    char state = 0;
    int field = 3;
    while (*p && field <= 24) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (field == 3) {
            state = *p;
        } else {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p)
                return -1;
            f[field] = v < 0 ? 0 : (unsigned long long)v;
        }
        while (*p && *p != ' ')
            p++;
        field++;
    }
    if (field <= 24)
        return -1;
    pi->pid = (pid_t)atoi(name);
    pi->ppid = (pid_t)f[4];
    pi->pgid = (pid_t)f[5];
    pi->zombie = state == 'Z' || state == 'X';
    pi->ticks = f[14] + f[15] + f[16] + f[17];
    pi->rss = pi->zombie ? 0 : f[24];
    return 0;
}

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const struct pinfo *)a)->pid, y = ((const struct pinfo *)b)->pid;
    return (x > y) - (x < y);
}

static pid_t top_of(const struct usage_snap *s, const struct pinfo *e, pid_t self);
static const struct pinfo *find(const struct usage_snap *s, pid_t pid);

struct usage_snap *usage_scan(void)
{
    struct usage_snap *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->tck = sysconf(_SC_CLK_TCK);
    s->page = sysconf(_SC_PAGESIZE);
    if (s->tck <= 0)
        s->tck = 100;
    if (s->page <= 0)
        s->page = 4096;
    DIR *d = opendir("/proc");
    if (!d) {
        free(s);
        return NULL;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        if (s->n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            struct pinfo *nv = realloc(s->v, nc * sizeof *nv);
            if (!nv) {
                closedir(d);
                usage_free(s);
                errno = ENOMEM;
                return NULL;
            }
            s->v = nv;
            cap = nc;
        }
        if (read_stat(dirfd(d), e->d_name, &s->v[s->n]) == 0)
            s->n++;             /* a process gone meanwhile is just skipped */
    }
    closedir(d);
    qsort(s->v, s->n, sizeof *s->v, by_pid);
    pid_t self = getpid();
    for (size_t i = 0; i < s->n; i++)
        s->v[i].top = top_of(s, &s->v[i], self);
    /* an orphan re-parented to tend (subreaper) is tend's child too: what
     * descends from it belongs to the program whose process group it is in */
    for (size_t i = 0; i < s->n; i++) {
        const struct pinfo *t = s->v[i].top > 0 ? find(s, s->v[i].top) : NULL;
        s->v[i].top_pgid = t ? t->pgid : 0;
    }
    return s;
}

void usage_free(struct usage_snap *s)
{
    if (!s)
        return;
    free(s->v);
    free(s);
}

static const struct pinfo *find(const struct usage_snap *s, pid_t pid)
{
    struct pinfo key = { .pid = pid };
    return bsearch(&key, s->v, s->n, sizeof *s->v, by_pid);
}

/* Programs are tend's children: E belongs to the one it descends from. The
 * walk up is bounded: a snapshot is not atomic. */
static pid_t top_of(const struct usage_snap *s, const struct pinfo *e, pid_t self)
{
    for (int depth = 0; e && depth < 256; depth++) {
        if (e->ppid == self)
            return e->pid;
        if (e->ppid <= 1 || e->ppid == e->pid)
            return 0;
        e = find(s, e->ppid);
    }
    return 0;
}

void usage_of(const struct usage_snap *s, pid_t pid, pid_t pgid, struct usage *out)
{
    *out = (struct usage){0};
    if (!s || (pid <= 0 && pgid <= 0))
        return;
    unsigned long long ticks = 0, pages = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct pinfo *e = &s->v[i];
        if (!((pgid > 0 && (e->pgid == pgid || e->top_pgid == pgid)) ||
              (pid > 0 && e->top == pid)))
            continue;
        ticks += e->ticks;
        pages += e->rss;
        if (!e->zombie)
            out->procs++;
    }
    out->cpu_seconds = (double)ticks / (double)s->tck;
    out->rss_bytes = pages * (unsigned long long)s->page;
}

void usage_of_pids(const struct usage_snap *s, const pid_t *pids, size_t n, struct usage *out)
{
    *out = (struct usage){0};
    unsigned long long ticks = 0, pages = 0;
    for (size_t i = 0; s && i < n; i++) {
        const struct pinfo *e = find(s, pids[i]);
        if (!e)
            continue;
        ticks += e->ticks;
        pages += e->rss;
        if (!e->zombie)
            out->procs++;
    }
    if (s) {
        out->cpu_seconds = (double)ticks / (double)s->tck;
        out->rss_bytes = pages * (unsigned long long)s->page;
    }
}
