/* cgroup.c - cgroup v2 per process (see cgroup.h). */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "conf/conf.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "supervisor.h"

#define LEAF "tend"             /* tend's own leaf below the base */
#define SUFFIX ".tend"          /* a process's cgroup: NAME.tend */

enum { C_MEMORY = 1, C_PIDS = 2, C_CPU = 4 };

struct cgproc {
    struct cgroups *cg;
    struct process *p;
    char *path;
    int dirfd;
    int events_fd;
    struct watch w;
    unsigned long long oom_base;    /* memory.events oom_kill when this run began */
    bool run_open;                  /* a run began and its end is not yet seen */
    struct cgproc *next;
};

struct cgroups {
    struct supervisor *sv;
    char *base;                 /* absolute directory tend divides */
    char *home;                 /* the cgroup tend was in (to go back at exit) */
    int controllers;            /* C_* enabled for the processes' cgroups */
    struct cgproc *list;
};

/* ---- small file helpers (cgroupfs: short reads and writes) ---- */

static int write_at(int dirfd, const char *file, const char *text)
{
    int fd;
    do
        fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    ssize_t n;
    do
        n = write(fd, text, strlen(text));
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static ssize_t read_fd(int fd, char *buf, size_t size)
{
    ssize_t n;
    do
        n = pread(fd, buf, size - 1, 0);
    while (n < 0 && errno == EINTR);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

static ssize_t read_at(int dirfd, const char *file, char *buf, size_t size)
{
    int fd;
    do
        fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        buf[0] = '\0';
        return -1;
    }
    ssize_t n = read_fd(fd, buf, size);
    close(fd);
    return n;
}

static int write_path(const char *dir, const char *file, const char *text)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return -1;
    int rc = write_at(d, file, text);
    int e = errno;
    close(d);
    errno = e;
    return rc;
}

/* Value of KEY in a "key value" file text (cgroup.events, cpu.stat). */
static bool kv_get(const char *text, const char *key, unsigned long long *out)
{
    size_t k = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (!strncmp(l, key, k) && l[k] == ' ') {
            *out = strtoull(l + k + 1, NULL, 10);
            return true;
        }
    return false;
}

/* ---- detection ---- */

/* Undo mountinfo's octal escapes (\040 for a blank) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* The cgroup2 mount: its mount point, the root of the hierarchy it shows,
 * and whether it is read-only. 0, or -1 when there is none. */
static int find_mount(char *mnt, size_t mlen, char *root, size_t rlen, bool *ro)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -1;
    char line[4096];
    int rc = -1;
    while (rc < 0 && fgets(line, sizeof line, f)) {
        char *sep = strstr(line, " - ");
        if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
            continue;
        char r[1024], m[1024], opts[512];
        if (sscanf(line, "%*s %*s %*s %1023s %1023s %511s", r, m, opts) != 3)
            continue;
        unescape(r);
        unescape(m);
        snprintf(mnt, mlen, "%s", m);
        snprintf(root, rlen, "%s", r);
        *ro = !strncmp(opts, "ro", 2) && (opts[2] == ',' || !opts[2]);
        rc = 0;
    }
    fclose(f);
    return rc;
}

/* tend's cgroup v2 path ("0::PATH"), or -1 (cgroup v1 only). */
static int own_cgroup(char *path, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -1;
    char line[4096];
    int rc = -1;
    while (rc < 0 && fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3))
            continue;
        line[strcspn(line, "\n")] = '\0';
        if (snprintf(path, len, "%s", line + 3) < (int)len)
            rc = 0;
    }
    fclose(f);
    return rc;
}

static bool delegated(const char *dir)
{
    char v[8];
    return getxattr(dir, "trusted.delegate", v, sizeof v) >= 0 ||
           getxattr(dir, "user.delegate", v, sizeof v) >= 0;
}

/* Is another, live tend dividing BASE? Its leaf holds a process not us. */
static bool base_in_use(const char *base)
{
    char path[4096], buf[4096];
    snprintf(path, sizeof path, "%s/" LEAF, base);
    int d = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return false;
    read_at(d, "cgroup.procs", buf, sizeof buf);
    close(d);
    char me[24];
    snprintf(me, sizeof me, "%d", (int)getpid());
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
        if (strcmp(l, me))
            return true;
    return false;
}

/* Remove the empty cgroups a dead tend left in BASE. */
static void remove_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= strlen(SUFFIX) || strcmp(e->d_name + n - strlen(SUFFIX), SUFFIX))
            continue;
        if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) == 0)
            log_info("cgroups: removed %s/%s, left by a tend that is gone", base, e->d_name);
        else
            log_warn("cgroups: %s/%s, left by a tend that is gone, still has processes",
                     base, e->d_name);
    }
    closedir(d);
}

static int enable_controllers(const char *base)
{
    char buf[512];
    int d = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return 0;
    read_at(d, "cgroup.controllers", buf, sizeof buf);
    static const struct { const char *name; int bit; } ctl[] = {
        {"memory", C_MEMORY}, {"pids", C_PIDS}, {"cpu", C_CPU},
    };
    int got = 0;
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        char w[32];
        size_t k = strlen(ctl[i].name);
        bool avail = false;
        for (const char *p = buf; (p = strstr(p, ctl[i].name)); p += k)
            if ((p == buf || p[-1] == ' ') && (p[k] == ' ' || p[k] == '\n' || !p[k]))
                avail = true;
        if (!avail)
            continue;
        snprintf(w, sizeof w, "+%s", ctl[i].name);
        if (write_at(d, "cgroup.subtree_control", w) == 0)
            got |= ctl[i].bit;
        else
            log_info("cgroups: cannot enable the %s controller in %s: %s", ctl[i].name, base,
                     strerror(errno));
    }
    close(d);
    return got;
}

/* Why not: info line (auto) or the error (on, PATH). */
static struct cgroups *refuse(bool insist, char *err, size_t errlen, bool *fatal,
                              const char *fmt, const char *a, const char *b)
{
    char msg[1024];
    if (snprintf(msg, sizeof msg, fmt, a, b) < 0)
        msg[0] = '\0';
    if (insist) {
        if (snprintf(err, errlen, "cgroups: %s", msg) < 0)
            err[0] = '\0';
        *fatal = true;
    } else {
        log_info("cgroups: not used: %s", msg);
    }
    return NULL;
}

static void observer(void *arg, struct process *p, enum proc_event ev, enum pstate old);

struct cgroups *cgroup_setup(struct supervisor *sv, char *err, size_t errlen, bool *fatal)
{
    const struct tend_config *c = sv->cfg;
    *fatal = false;
    err[0] = '\0';
    if (c->cgroups == CGROUPS_OFF)
        return NULL;
    bool insist = c->cgroups != CGROUPS_AUTO;
    char mnt[1024], root[1024], own[1024];
    bool ro = false;
    if (find_mount(mnt, sizeof mnt, root, sizeof root, &ro) < 0)
        return refuse(insist, err, errlen, fatal, "no cgroup2 hierarchy is mounted%s%s", "", "");
    if (own_cgroup(own, sizeof own) < 0)
        return refuse(insist, err, errlen, fatal, "tend has no cgroup v2 path%s%s", "", "");
    if (ro)
        return refuse(insist, err, errlen, fatal, "%s is mounted read-only%s", mnt, "");
    /* the mount shows the hierarchy from ROOT: tend's path is below it */
    const char *rel = own;
    size_t rl = strlen(root);
    if (strcmp(root, "/")) {
        if (strncmp(own, root, rl) || (own[rl] && own[rl] != '/'))
            return refuse(insist, err, errlen, fatal, "tend's cgroup %s is not under %s", own,
                          mnt);
        rel = own + rl;
    }
    char home[2048], base[2048];
    snprintf(home, sizeof home, "%s%s", mnt, strcmp(rel, "/") ? rel : "");
    /* a tend restarted in its own leaf (exec'd in place) divides its parent */
    size_t hl = strlen(home);
    if (hl > strlen("/" LEAF) && !strcmp(home + hl - strlen("/" LEAF), "/" LEAF))
        home[hl - strlen("/" LEAF)] = '\0';
    if (c->cgroups == CGROUPS_PATH) {
        size_t ml = strlen(mnt);
        if (strncmp(c->cgroups_path, mnt, ml) || (c->cgroups_path[ml] != '/' &&
                                                  c->cgroups_path[ml]))
            return refuse(true, err, errlen, fatal, "%s is not under the cgroup2 mount %s",
                          c->cgroups_path, mnt);
        if (mkdir(c->cgroups_path, 0755) < 0 && errno != EEXIST)
            return refuse(true, err, errlen, fatal, "cannot create %s: %s", c->cgroups_path,
                          strerror(errno));
        snprintf(base, sizeof base, "%s", c->cgroups_path);
    } else {
        snprintf(base, sizeof base, "%s", home);
        if (c->cgroups == CGROUPS_AUTO && strcmp(rel, "/") && !delegated(home))
            return refuse(false, err, errlen, fatal,
                          "%s is not delegated to tend%s", home, "");
    }
    char procs[2100];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", base);
    if (access(procs, W_OK) < 0)
        return refuse(insist, err, errlen, fatal, "%s is not writable: %s", base,
                      strerror(errno));
    if (base_in_use(base))
        return refuse(insist, err, errlen, fatal, "another tend divides %s%s", base, "");

    char leaf[2100], pid[24];
    snprintf(leaf, sizeof leaf, "%s/" LEAF, base);
    if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
        return refuse(insist, err, errlen, fatal, "cannot create %s: %s", leaf, strerror(errno));
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (write_path(leaf, "cgroup.procs", pid) < 0) {
        int e = errno;
        rmdir(leaf);
        return refuse(insist, err, errlen, fatal, "cannot move tend into %s: %s", leaf,
                      strerror(e));
    }
    struct cgroups *cg = calloc(1, sizeof *cg);
    if (!cg || !(cg->base = strdup(base)) || !(cg->home = strdup(home))) {
        if (cg)
            free(cg->base);
        free(cg);
        write_path(home, "cgroup.procs", pid);
        rmdir(leaf);
        snprintf(err, errlen, "cgroups: out of memory");
        *fatal = true;
        return NULL;
    }
    cg->sv = sv;
    proc_observe(&sv->host, observer, cg);
    remove_stale(base);
    cg->controllers = enable_controllers(base);
    log_info("cgroups: each process in a cgroup of its own under %s (controllers:%s%s%s%s)", base,
             cg->controllers & C_MEMORY ? " memory" : "", cg->controllers & C_PIDS ? " pids" : "",
             cg->controllers & C_CPU ? " cpu" : "", cg->controllers ? "" : " none");
    return cg;
}

void cgroup_warn_program(const struct cgroups *cg, const struct process_config *p,
                         unsigned *warned)
{
    static const struct { const char *key; int bit; } keys[] = {
        {"memory_max", C_MEMORY}, {"memory_high", C_MEMORY}, {"pids_max", C_PIDS},
        {"cpu_max", C_CPU}, {"cpu_weight", C_CPU},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if ((cg && (cg->controllers & keys[k].bit)) || (*warned & (1u << k)))
            continue;
        bool set = k == 0 ? p->memory_max : k == 1 ? p->memory_high : k == 2 ? p->pids_max
                 : k == 3 ? p->cpu_max[0] != 0 : p->cpu_weight != 0;
        if (!set)
            continue;
        log_warn("%s:%d: [program:%s] %s is ignored: %s", p->file, p->line, p->program,
                 keys[k].key,
                 !cg ? "cgroups are not used"
                     : keys[k].bit == C_MEMORY ? "the memory controller is not available"
                     : keys[k].bit == C_PIDS ? "the pids controller is not available"
                                             : "the cpu controller is not available");
        *warned |= 1u << k;     /* once per key */
    }
}

void cgroup_warn_keys(const struct cgroups *cg, const struct tend_config *c)
{
    unsigned warned = 0;
    for (size_t i = 0; i < c->nprocs; i++)
        cgroup_warn_program(cg, &c->procs[i], &warned);
}

/* ---- per process ---- */

static struct cgproc *find(struct cgroups *cg, const struct process *p)
{
    for (struct cgproc *e = cg->list; e; e = e->next)
        if (e->p == p)
            return e;
    return NULL;
}

static void on_events(struct loop *l, struct watch *w, uint32_t events);

/* Does E's cgroup hold a process? When it does, cgroup.events is watched
 * from now on (someone waits for it to empty); a spawn costs no watch. */
static bool populated(struct cgproc *e)
{
    char buf[256];
    unsigned long long v = 0;
    if (e->dirfd < 0)
        return false;
    if (e->events_fd < 0) {
        do
            e->events_fd = openat(e->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        while (e->events_fd < 0 && errno == EINTR);
        if (e->events_fd < 0)
            return false;
    }
    if (read_fd(e->events_fd, buf, sizeof buf) <= 0 || !kv_get(buf, "populated", &v) || !v)
        return false;
    if (!e->w.active &&
        watch_add(e->cg->sv->loop, &e->w, e->events_fd, EPOLLPRI, on_events, e) < 0)
        log_warn("cgroups: cannot watch %s/cgroup.events: %s", e->path, strerror(errno));
    return true;
}

/* Drop the entry and remove the cgroup (it must be empty: else it stays,
 * and a later start of the same name joins it). */
static void drop(struct cgroups *cg, struct cgproc *e)
{
    watch_del(cg->sv->loop, &e->w);
    if (e->events_fd >= 0)
        close(e->events_fd);
    if (e->dirfd >= 0)
        close(e->dirfd);
    if (rmdir(e->path) < 0 && errno != ENOENT)
        log_warn("cgroups: cannot remove %s: %s", e->path, strerror(errno));
    for (struct cgproc **pp = &cg->list; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    free(e->path);
    free(e);
}

static void on_events(struct loop *l, struct watch *w, uint32_t events)
{
    struct cgproc *e = w->arg;
    struct cgroups *cg = e->cg;
    struct process *p = e->p;
    if (populated(e))
        return;
    if (proc_alive(p))
        proc_check_group(p);    /* may end STOPPING: the observer drops E then */
    else
        drop(cg, e);
}

void cgroup_dir_stats(int dirfd, struct cgroup_stats *out)
{
    char buf[1024];
    *out = (struct cgroup_stats){0};
    if (read_at(dirfd, "cpu.stat", buf, sizeof buf) > 0)
        out->has_cpu = kv_get(buf, "usage_usec", &out->cpu_usec);
    if (read_at(dirfd, "memory.current", buf, sizeof buf) > 0) {
        char *end;
        errno = 0;
        out->memory_current = strtoull(buf, &end, 10);
        out->has_memory_current = !errno && end != buf && (*end == '\n' || !*end);
        if (!out->has_memory_current)
            out->memory_current = 0;
    }
    if (read_at(dirfd, "memory.events", buf, sizeof buf) > 0)
        out->has_oom_kill = kv_get(buf, "oom_kill", &out->oom_kill);
}

/* memory.events' oom_kill of E's cgroup; 0 without the memory controller. */
static unsigned long long oom_kills(const struct cgproc *e)
{
    char buf[512];
    unsigned long long v = 0;
    /* memory.events alone: this is read at every spawn */
    if (e->dirfd >= 0 && read_at(e->dirfd, "memory.events", buf, sizeof buf) > 0)
        kv_get(buf, "oom_kill", &v);
    return v;
}

unsigned long long cgroup_oom_kills(struct cgroups *cg, const struct process *p)
{
    struct cgproc *e = cg ? find(cg, p) : NULL;
    if (!e || !e->run_open)
        return 0;
    unsigned long long n = oom_kills(e);
    return n > e->oom_base ? n - e->oom_base : 0;
}

static void observer(void *arg, struct process *p, enum proc_event ev, enum pstate old)
{
    struct cgroups *cg = arg;
    struct cgproc *e = find(cg, p);
    if (!e)
        return;
    if (ev == PROC_EV_REMOVED) {
        if (populated(e))
            cgroup_kill(cg, p);  /* freed: nothing of it may stay behind */
        drop(cg, e);
        return;
    }
    if (!proc_alive(p) && e->run_open) {
        /* the run is over: did the OOM killer end it (or some of it)? */
        e->run_open = false;
        unsigned long long n = oom_kills(e);
        if (n > e->oom_base)
            log_warn("%s: OOM killed: the OOM killer killed %llu process%s in its cgroup %s",
                     p->cfg->fullname, n - e->oom_base, n - e->oom_base == 1 ? "" : "es",
                     e->path);
        e->oom_base = n;
    }
    if (!proc_alive(p) && !populated(e))
        drop(cg, e);
}

static int cg_write(struct cgproc *e, const char *file, const char *v, char *err, size_t errlen)
{
    if (write_at(e->dirfd, file, v) == 0)
        return 0;
    snprintf(err, errlen, "cannot write %s = %s in %s: %s", file, v, e->path, strerror(errno));
    return -1;
}

static void u64_text(char *buf, size_t size, uint64_t v)
{
    if (v == CONF_RLIM_INFINITY)
        snprintf(buf, size, "max");
    else
        snprintf(buf, size, "%" PRIu64, v);
}

int cgroup_prepare(struct cgroups *cg, struct process *p, char *err, size_t errlen)
{
    const struct process_config *c = p->cfg;
    struct cgproc *e = find(cg, p);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e || asprintf(&e->path, "%s/%s" SUFFIX, cg->base, c->fullname) < 0) {
            free(e);
            snprintf(err, errlen, "out of memory for its cgroup");
            return -1;
        }
        e->cg = cg;
        e->p = p;
        e->dirfd = e->events_fd = -1;
        e->next = cg->list;
        cg->list = e;
    }
    if (e->dirfd < 0) {
        if (mkdir(e->path, 0755) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create cgroup %s: %s", e->path, strerror(errno));
            drop(cg, e);
            return -1;
        }
        e->dirfd = open(e->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (e->dirfd < 0) {
            snprintf(err, errlen, "cannot open cgroup %s: %s", e->path, strerror(errno));
            drop(cg, e);
            return -1;
        }
    }
    e->oom_base = oom_kills(e);
    e->run_open = true;
    /* the limits of this run's config (a reload may have changed them) */
    char v[64];
    if (cg->controllers & C_MEMORY) {
        u64_text(v, sizeof v, c->memory_max ? c->memory_max : CONF_RLIM_INFINITY);
        if (cg_write(e, "memory.max", v, err, errlen) < 0)
            return -1;
        u64_text(v, sizeof v, c->memory_high ? c->memory_high : CONF_RLIM_INFINITY);
        if (cg_write(e, "memory.high", v, err, errlen) < 0)
            return -1;
    }
    if (cg->controllers & C_PIDS) {
        u64_text(v, sizeof v, c->pids_max ? c->pids_max : CONF_RLIM_INFINITY);
        if (cg_write(e, "pids.max", v, err, errlen) < 0)
            return -1;
    }
    if (cg->controllers & C_CPU) {
        if (cg_write(e, "cpu.max", c->cpu_max[0] ? c->cpu_max : "max", err, errlen) < 0)
            return -1;
        snprintf(v, sizeof v, "%d", c->cpu_weight ? c->cpu_weight : 100);
        if (cg_write(e, "cpu.weight", v, err, errlen) < 0)
            return -1;
    }
    int fd;
    do
        fd = openat(e->dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        snprintf(err, errlen, "cannot open %s/cgroup.procs: %s", e->path, strerror(errno));
    return fd;
}

const char *cgroup_path_of(struct cgroups *cg, const struct process *p)
{
    struct cgproc *e = cg ? find(cg, p) : NULL;
    return e ? e->path : NULL;
}

bool cgroup_populated(struct cgroups *cg, const struct process *p)
{
    struct cgproc *e = find(cg, p);
    return e && populated(e);
}

unsigned cgroup_signal_escaped(struct cgroups *cg, const struct process *p, pid_t pgid, int sig)
{
    struct cgproc *e = cg ? find(cg, p) : NULL;
    if (!e || e->dirfd < 0)
        return 0;
    int fd;
    do
        fd = openat(e->dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    unsigned n = 0;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) {
        pid_t g = getpgid((pid_t)pid);
        /* a process of the cgroup is never reused before it is reaped from
         * it: the pid is still this program's */
        if (pid > 0 && g >= 0 && g != pgid && kill((pid_t)pid, sig) == 0)
            n++;
    }
    fclose(f);
    return n;
}

void cgroup_kill(struct cgroups *cg, const struct process *p)
{
    struct cgproc *e = find(cg, p);
    if (e && e->dirfd >= 0 && write_at(e->dirfd, "cgroup.kill", "1") < 0)
        log_warn("%s: cannot write cgroup.kill in %s: %s", p->cfg->fullname, e->path,
                 strerror(errno));
}

bool cgroup_usage(struct cgroups *cg, const struct process *p, const struct usage_snap *snap,
                  struct usage *out, unsigned long long *memory_current)
{
    struct cgproc *e = cg ? find(cg, p) : NULL;
    if (!e || e->dirfd < 0)
        return false;
    char buf[8192];
    struct cgroup_stats st;
    *out = (struct usage){0};
    cgroup_dir_stats(e->dirfd, &st);
    out->cpu_seconds = (double)st.cpu_usec / 1e6;
    out->has_memory_current = st.has_memory_current;
    out->memory_current = st.memory_current;
    *memory_current = st.memory_current;
    pid_t pids[512];
    size_t n = 0;
    if (read_at(e->dirfd, "cgroup.procs", buf, sizeof buf) > 0)
        for (char *s = buf; *s && n < sizeof pids / sizeof pids[0];) {
            char *end;
            long x = strtol(s, &end, 10);
            if (end == s)
                break;
            pids[n++] = (pid_t)x;
            s = end + (*end == '\n');
        }
    struct usage u = {0};
    usage_of_pids(snap, pids, n, &u);
    out->rss_bytes = u.rss_bytes;
    out->procs = (unsigned)n;
    return true;
}

void cgroup_close(struct cgroups *cg)
{
    if (!cg)
        return;
    proc_unobserve(&cg->sv->host, observer, cg);
    while (cg->list) {
        struct cgproc *e = cg->list;
        if (populated(e)) {
            log_warn("%s: processes left in %s at exit: killing them", e->p->cfg->fullname,
                     e->path);
            write_at(e->dirfd, "cgroup.kill", "1");
        }
        drop(cg, e);
    }
    /* back where tend came from, so its leaf can go */
    char pid[24], leaf[4096];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    snprintf(leaf, sizeof leaf, "%s/" LEAF, cg->base);
    if (cg->controllers && strcmp(cg->home, cg->base) == 0) {
        /* the base held no process while its controllers were enabled */
        char off[64];
        snprintf(off, sizeof off, "%s%s%s", cg->controllers & C_MEMORY ? "-memory " : "",
                 cg->controllers & C_PIDS ? "-pids " : "", cg->controllers & C_CPU ? "-cpu" : "");
        write_path(cg->base, "cgroup.subtree_control", off);
    }
    if (write_path(cg->home, "cgroup.procs", pid) < 0 || rmdir(leaf) < 0)
        log_debug("cgroups: %s stays: %s", leaf, strerror(errno));
    free(cg->base);
    free(cg->home);
    free(cg);
}
