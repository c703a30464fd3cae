/* fsutil.h - write fully, write atomically, and open log paths safely.
 *
 * Log paths (program log files, AUTO folders, [supervisor] logfile) are
 * opened by tend, often as root, in folders other users may own. They are
 * therefore resolved here one component at a time (openat with O_PATH |
 * O_NOFOLLOW), never by the kernel in one go. The rule, after
 * fs.protected_symlinks: a symlink met anywhere on the way (the last
 * component too) is followed only when it is owned by root or by tend's own
 * euid, since an attacker's symlink is owned by the attacker; at most 40
 * symlinks per path. Any other symlink is refused: -1 with errno EPERM and
 * WHY = "refusing to follow symlink /x/y owned by uid N". A trusted symlink
 * is followed by resolving its target the same way, so it cannot lead
 * through someone else's symlink either; symlinks inside /proc (the magic
 * /proc/self/fd/N) are left to the kernel, which jumps straight to the
 * object. Folders made on the way are 0755 (less the umask).
 *
 * WHY (may be NULL) receives a reason for the failure, ready to follow
 * "cannot open PATH: ": strerror's text, "COMPONENT: strerror" when a
 * folder on the way failed, or the refusal above. Every fd returned is
 * close-on-exec; the caller closes it.
 */
#ifndef TEND_FSUTIL_H
#define TEND_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* write() all of it, retrying EINTR and short writes. 0 or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);

/* Write LEN bytes to PATH through PATH.tmp + rename. 0 or -1 with errno. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* The folder DIR as an O_PATH fd for the *at() calls (renameat, openat),
 * resolved by the rule above; with CREATE, missing folders are made.
 * Returns the fd, or -1 with errno and WHY. */
int fs_open_dir(const char *dir, bool create, char *why, size_t whylen);

/* mkdir -p DIR by the rule above. 0, or -1 with errno and WHY. */
int fs_mkdir_p(const char *dir, char *why, size_t whylen);

/* The folder holding PATH's last component, as fs_open_dir() opens it;
 * *BASE points into PATH at that last component (not resolved: renameat
 * on it renames a symlink itself, as rename(2) does). */
int fs_open_parent(const char *path, bool create, const char **base, char *why, size_t whylen);

/* open(PATH, FLAGS | O_CLOEXEC | O_NOCTTY, MODE) by the rule above, the last
 * component included; with MKDIRS, missing parent folders are made. Pass
 * O_NONBLOCK so that a FIFO without a reader fails (ENXIO) instead of
 * waiting. Returns the fd, or -1 with errno and WHY. */
int fs_open_log(const char *path, int flags, mode_t mode, bool mkdirs, char *why, size_t whylen);

#endif
