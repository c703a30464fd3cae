/* fsutil.c - write fully, write atomically, open log paths safely (see fsutil.h). */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#define MAX_LINKS 40   /* the kernel's own limit per lookup */

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* ---- component-by-component resolution ---- */

struct walk {
    int dir;                   /* the folder reached so far (O_PATH) */
    char rest[2 * PATH_MAX];   /* what is left to resolve, from pos */
    size_t pos;
    char shown[PATH_MAX];      /* the folder reached, as a path, for messages */
    bool abs;
    int links;
    char *why;
    size_t whylen;
};

enum { STEP_ERR = -1, STEP_SPLICED = -2, STEP_KERNEL = -3 };

static void why_set(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_set(struct walk *w, const char *fmt, ...)
{
    if (!w->why || !w->whylen)
        return;
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why, w->whylen, fmt, ap);
    va_end(ap);
    errno = e;
}

/* Append S to BUF (holding *N bytes of LEN), cutting it to fit. */
static void append(char *buf, size_t len, size_t *n, const char *s)
{
    size_t k = strlen(s);
    if (k > len - 1 - *n)
        k = len - 1 - *n;
    memcpy(buf + *n, s, k);
    *n += k;
    buf[*n] = '\0';
}

/* The path of NAME in the current folder, for messages. */
static const char *joined(const struct walk *w, const char *name, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    append(buf, len, &n, w->shown);
    append(buf, len, &n, w->shown[0] || w->abs ? "/" : "");
    append(buf, len, &n, name);
    return buf;
}

/* Fail with errno E, naming NAME (a folder on the way). */
static int fail_at(struct walk *w, const char *name, int e)
{
    char p[PATH_MAX];
    errno = e;
    why_set(w, "%s: %s", joined(w, name, p, sizeof p), strerror(e));
    return STEP_ERR;
}

static int set_root(struct walk *w, bool abs)
{
    int fd = open(abs ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        why_set(w, "%s: %s", abs ? "/" : ".", strerror(errno));
        return -1;
    }
    if (w->dir >= 0)
        close(w->dir);
    w->dir = fd;
    w->abs = abs;
    w->shown[0] = '\0';
    return 0;
}

/* Descend into the folder FD, named NAME. */
static void enter(struct walk *w, int fd, const char *name)
{
    char p[PATH_MAX];
    close(w->dir);
    w->dir = fd;
    memcpy(w->shown, joined(w, name, p, sizeof p), sizeof w->shown);
}

/* NAME in the current folder is the symlink LFD (stat ST): apply the rule.
 * STEP_SPLICED: its target now heads w->rest. STEP_KERNEL: it lives in
 * /proc, open it through the kernel. STEP_ERR: refused or failed. */
static int follow(struct walk *w, int lfd, const char *name, const struct stat *st)
{
    char p[PATH_MAX];
    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        errno = EPERM;
        why_set(w, "refusing to follow symlink %s owned by uid %u",
                joined(w, name, p, sizeof p), (unsigned)st->st_uid);
        return STEP_ERR;
    }
    if (++w->links > MAX_LINKS)
        return fail_at(w, name, ELOOP);
    struct statfs sf;
    if (fstatfs(w->dir, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
        return STEP_KERNEL;   /* magic links (fd/N, cwd) have no usable text */
    char target[PATH_MAX];
    ssize_t n = readlinkat(lfd, "", target, sizeof target);
    if (n < 0)
        return fail_at(w, name, errno);
    if (n == 0 || (size_t)n >= sizeof target)
        return fail_at(w, name, n == 0 ? ENOENT : ENAMETOOLONG);
    /* rest = target + what followed the link (empty or starting with '/') */
    const char *remain = w->rest + w->pos;
    size_t rl = strlen(remain);
    if ((size_t)n + rl + 1 > sizeof w->rest)
        return fail_at(w, name, ENAMETOOLONG);
    memmove(w->rest + n, remain, rl + 1);
    memcpy(w->rest, target, (size_t)n);
    w->pos = 0;
    if (target[0] == '/' && set_root(w, true) < 0)
        return STEP_ERR;
    return STEP_SPLICED;
}

/* Step into the folder NAME (made when missing and CREATE). */
static int step_dir(struct walk *w, const char *name, bool create)
{
    if (!strcmp(name, "..")) {   /* never a symlink */
        int fd = openat(w->dir, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return fail_at(w, name, errno);
        enter(w, fd, name);
        return 0;
    }
    for (int tries = 0; tries < 3; tries++) {
        int fd = openat(w->dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT || !create)
                return fail_at(w, name, errno);
            if (mkdirat(w->dir, name, 0755) < 0 && errno != EEXIST)
                return fail_at(w, name, errno);
            continue;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
            int e = errno;
            close(fd);
            return fail_at(w, name, e);
        }
        if (S_ISDIR(st.st_mode)) {
            enter(w, fd, name);
            return 0;
        }
        if (!S_ISLNK(st.st_mode)) {
            close(fd);
            return fail_at(w, name, ENOTDIR);
        }
        int r = follow(w, fd, name, &st);
        close(fd);
        if (r != STEP_KERNEL)
            return r == STEP_SPLICED ? 0 : STEP_ERR;
        fd = openat(w->dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return fail_at(w, name, errno);
        enter(w, fd, name);
        return 0;
    }
    return fail_at(w, name, EAGAIN);   /* it keeps changing under us */
}

/* Open the last component NAME: the fd, STEP_SPLICED, or STEP_ERR. */
static int step_file(struct walk *w, const char *name, int flags, mode_t mode)
{
    flags |= O_CLOEXEC | O_NOCTTY;
    for (int tries = 0; tries < 3; tries++) {
        int fd = openat(w->dir, name, flags | O_NOFOLLOW, mode);
        if (fd >= 0)
            return fd;
        if (errno != ELOOP) {
            why_set(w, "%s", strerror(errno));
            return STEP_ERR;
        }
        /* a symlink: look at that very object, it may be swapped meanwhile */
        int lfd = openat(w->dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (lfd < 0) {
            if (errno == ENOENT)
                continue;
            return fail_at(w, name, errno);
        }
        struct stat st;
        if (fstat(lfd, &st) < 0) {
            int e = errno;
            close(lfd);
            return fail_at(w, name, e);
        }
        if (!S_ISLNK(st.st_mode)) {
            close(lfd);
            continue;
        }
        int r = follow(w, lfd, name, &st);
        close(lfd);
        if (r != STEP_KERNEL)
            return r;
        fd = openat(w->dir, name, flags, mode);
        if (fd < 0)
            why_set(w, "%s", strerror(errno));
        return fd < 0 ? STEP_ERR : fd;
    }
    return fail_at(w, name, EAGAIN);
}

/* Resolve PATH. FLAGS < 0: PATH is a folder, its O_PATH fd is returned;
 * else its last component is opened with FLAGS and MODE. */
static int resolve(const char *path, int flags, mode_t mode, bool create, char *why,
                   size_t whylen)
{
    struct walk w = { .dir = -1, .why = why, .whylen = whylen };
    size_t len = strlen(path);
    if (len == 0 || len >= PATH_MAX) {
        errno = len ? ENAMETOOLONG : ENOENT;
        why_set(&w, "%s", strerror(errno));
        return -1;
    }
    memcpy(w.rest, path, len + 1);
    if (set_root(&w, path[0] == '/') < 0)
        return -1;
    for (;;) {
        char *p = w.rest + w.pos;
        p += strspn(p, "/");
        if (!*p) {
            if (flags < 0)
                return w.dir;
            close(w.dir);   /* a file was asked for: "/", "x/" or "x/." */
            errno = EISDIR;
            why_set(&w, "%s", strerror(errno));
            return -1;
        }
        size_t n = strcspn(p, "/");
        char name[NAME_MAX + 1];
        if (n > NAME_MAX) {
            close(w.dir);
            errno = ENAMETOOLONG;
            why_set(&w, "%s", strerror(errno));
            return -1;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        w.pos = (size_t)(p + n - w.rest);
        bool last = p[n] == '\0';   /* no slash after it: a file may be asked for */
        if (!strcmp(name, "."))
            continue;
        int r;
        if (last && flags >= 0 && strcmp(name, "..")) {
            r = step_file(&w, name, flags, mode);
            if (r >= 0) {
                close(w.dir);
                return r;
            }
            if (r == STEP_SPLICED)
                continue;
        } else {
            r = step_dir(&w, name, create);
            if (r == 0)
                continue;
        }
        int e = errno;
        close(w.dir);
        errno = e;
        return -1;
    }
}

int fs_open_dir(const char *dir, bool create, char *why, size_t whylen)
{
    return resolve(dir, -1, 0, create, why, whylen);
}

int fs_mkdir_p(const char *dir, char *why, size_t whylen)
{
    int fd = resolve(dir, -1, 0, true, why, whylen);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int fs_open_parent(const char *path, bool create, const char **base, char *why, size_t whylen)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!**base) {
        errno = EISDIR;
        if (why && whylen)
            snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (!slash)
        return resolve(".", -1, 0, false, why, whylen);
    char dir[PATH_MAX];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) {
        errno = ENAMETOOLONG;
        if (why && whylen)
            snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    return resolve(n ? dir : "/", -1, 0, create, why, whylen);
}

int fs_open_log(const char *path, int flags, mode_t mode, bool mkdirs, char *why, size_t whylen)
{
    return resolve(path, flags, mode, mkdirs, why, whylen);
}
