/* replyfifo.c - open a requester's reply FIFO: one inode, checked, then
 * reopened for writing (see replyfifo.h). */
#include "replyfifo.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* openat2(2)'s ABI, spelled out: musl's headers do not carry it. */
struct open_how_compat {
    uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_NO_SYMLINKS_ 0x04

static int open_retry(const char *path, int flags)
{
    int fd;
    do
        fd = open(path, flags);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* Fallback without /proc: a fresh walk that follows no symlink at all. */
static int open_no_symlinks(const char *path, int flags)
{
#ifdef SYS_openat2
    struct open_how_compat how = {
        .flags = (uint64_t)flags,
        .resolve = RESOLVE_NO_SYMLINKS_ | RESOLVE_NO_MAGICLINKS_,
    };
    long fd;
    do
        fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    return (int)fd;
#else
    (void)path;
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

static bool user_in_group(uid_t uid, gid_t gid)
{
    /* static musl reads /etc/passwd and /etc/group; glibc asks NSS */
    struct passwd *pw = getpwuid(uid);
    if (!pw)
        return false;
    if (pw->pw_gid == gid)
        return true;
    char name[256];
    if (snprintf(name, sizeof name, "%s", pw->pw_name) >= (int)sizeof name)
        return false;
    struct group *gr = getgrgid(gid);
    if (!gr || !gr->gr_mem)
        return false;
    for (char **m = gr->gr_mem; *m; m++)
        if (strcmp(*m, name) == 0)
            return true;
    return false;
}

bool replyfifo_owner_ok(const struct stat *fifo, const struct stat *ctl, uid_t euid, char *why,
                        size_t whylen)
{
    uid_t owner = fifo->st_uid;
    bool others_write = ctl->st_mode & S_IWOTH;
    bool group_write = ctl->st_mode & S_IWGRP;
    if (owner == 0 || owner == euid) {
        /* Whoever may send requests could make us write into a FIFO of
         * root's (or ours) that they cannot open themselves; with o+w on
         * the control FIFO that is anyone, so only a FIFO anyone may write
         * anyway is fair game. */
        if (!others_write || (fifo->st_mode & S_IWOTH))
            return true;
        snprintf(why, whylen, "owned by uid %ld (privileged) while every user may write the "
                 "control FIFO", (long)owner);
        return false;
    }
    if (others_write)
        return true;
    if (group_write && user_in_group(owner, ctl->st_gid))
        return true;
    if (group_write)
        snprintf(why, whylen, "owned by uid %ld, who is not in the control FIFO's group %ld",
                 (long)owner, (long)ctl->st_gid);
    else
        snprintf(why, whylen, "owned by uid %ld, who may not write the control FIFO",
                 (long)owner);
    return false;
}

int replyfifo_open(const char *path, const struct stat *ctl, char *why, size_t whylen)
{
    const int wflags = O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    struct stat st, st2;
    /* O_PATH opens nothing: no device driver runs, no FIFO end is taken */
    int pfd = open_retry(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (pfd < 0) {
        int e = errno;
        snprintf(why, whylen, "%s", strerror(e));
        errno = e;
        return -1;
    }
    if (fstat(pfd, &st) < 0) {
        int e = errno;
        snprintf(why, whylen, "fstat: %s", strerror(e));
        close(pfd);
        errno = e;
        return -1;
    }
    if (!S_ISFIFO(st.st_mode)) {
        snprintf(why, whylen, "%s", S_ISLNK(st.st_mode) ? "a symlink, not a FIFO" : "not a FIFO");
        close(pfd);
        errno = EINVAL;
        return -1;
    }
    if (!replyfifo_owner_ok(&st, ctl, geteuid(), why, whylen)) {
        close(pfd);
        errno = EPERM;
        return -1;
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    int fd = open_retry(proc, wflags);
    int e = errno;
    if (fd < 0 && e == ENOENT && access("/proc/self/fd", F_OK) < 0) {
        fd = open_no_symlinks(path, wflags);   /* no /proc mounted */
        e = errno;
    }
    close(pfd);
    if (fd < 0) {
        snprintf(why, whylen, "%s", e == ENOSYS ? "cannot reopen it safely without /proc"
                                                : strerror(e));
        errno = e;
        return -1;
    }
    if (fstat(fd, &st2) < 0 || !S_ISFIFO(st2.st_mode) || st2.st_dev != st.st_dev
        || st2.st_ino != st.st_ino) {
        snprintf(why, whylen, "replaced while being opened");
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}
