/* rundir.c - run folder checks, lock, pidfile. */
#include "rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p for the parents of DIR (not DIR itself), mode 0755. */
static void make_parents(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return;
        *s = '/';
    }
}

int rundir_open(const char *rundir, bool shared, char *err, size_t errlen, bool *locked)
{
    *locked = false;
    mode_t want = shared ? 0711 : 0700;
    make_parents(rundir);
    if (mkdir(rundir, want) == 0) {
        chmod(rundir, want); /* past the umask */
    } else if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create rundir %s: %s", rundir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(rundir, &st) < 0) {
        snprintf(err, errlen, "rundir %s: %s", rundir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "rundir %s is not a directory%s", rundir,
                 S_ISLNK(st.st_mode) ? " (a symlink)" : "");
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "rundir %s is owned by uid %u, not by us (uid %u)", rundir,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & 022) {
        snprintf(err, errlen, "rundir %s is writable by others (mode %04o)", rundir,
                 (unsigned)(st.st_mode & 07777));
        return -1;
    }
    if ((st.st_mode & 07777) != want)
        chmod(rundir, want);

    char path[4096];
    snprintf(path, sizeof path, "%s/lock", rundir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_SETLK, &fl) < 0) {
        int e = errno;
        if (e == EAGAIN || e == EACCES) {
            struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
            *locked = true;
            if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK)
                snprintf(err, errlen, "already running (pid %d) with rundir %s", (int)q.l_pid,
                         rundir);
            else
                snprintf(err, errlen, "already running with rundir %s", rundir);
        } else {
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
        }
        close(fd);
        return -1;
    }
    /* The holder's pid comes from F_GETLK: nothing to write (a write here
     * costs milliseconds when /run is not a tmpfs). */
    return fd;
}

int pidfile_write(const char *path)
{
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    return write_file_atomic(path, pid, (size_t)n, 0644);
}
