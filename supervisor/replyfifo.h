/* replyfifo.h - open a requester's reply FIFO without being its deputy.
 *
 * tend (often root) writes replies into a FIFO named in the request, whose
 * writer it cannot identify. replyfifo_open() therefore:
 *
 *  1. opens PATH with O_PATH|O_NOFOLLOW: no device or FIFO open happens, a
 *     symlink as the last component is refused, and whatever the folders on
 *     the way pointed to at that moment, the fd now pins one inode;
 *  2. fstat()s that inode: it must be a FIFO (never a regular file, device,
 *     socket, folder or symlink), and its owner must pass
 *     replyfifo_owner_ok() against the control FIFO;
 *  3. reopens that same inode through /proc/self/fd/N with
 *     O_WRONLY|O_NONBLOCK|O_CLOEXEC|O_NOCTTY, with no second path walk
 *     (without /proc: openat2 with RESOLVE_NO_SYMLINKS, and the result must
 *     be the inode of step 2, else nothing is written);
 *  4. fstat()s the result once more (a FIFO, the same inode).
 *
 * The owner rule is in replyfifo_owner_ok() below and doc/security.md.
 */
#ifndef TEND_REPLYFIFO_H
#define TEND_REPLYFIFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Open PATH for replies. CTL is a fresh fstat() of the control FIFO (its
 * mode and group say who may send requests). Returns a non-blocking,
 * close-on-exec descriptor open for writing, or -1 with errno and a reason
 * in WHY (ready to follow "reply FIFO PATH: "):
 *   ENOENT  no such path (the requester gave up; not worth a warning)
 *   ENXIO   nobody has it open for reading (nothing to answer)
 *   EPERM   refused by the owner rule
 *   EINVAL  not a FIFO (or a symlink as last component)
 *   other   the system call's error. */
int replyfifo_open(const char *path, const struct stat *ctl, char *why, size_t whylen);

/* The owner rule. A FIFO carries no credentials, so a reply FIFO is
 * accepted only when its owner is someone who may write the control FIFO
 * anyway, and a privileged FIFO only when nobody gains by naming it:
 *   - owned by root or by EUID (tend's user): accepted unless others (o+w)
 *     may write the control FIFO; then only when the FIFO is itself
 *     writable by others;
 *   - owned by anyone else: accepted when others may write the control
 *     FIFO, or when the group may (g+w) and the owner is a member of the
 *     control FIFO's group (primary group or member list; looked up with
 *     getpwuid/getgrgid).
 * FIFO and CTL are fstat() results. Returns true, or false with a reason in
 * WHY. */
bool replyfifo_owner_ok(const struct stat *fifo, const struct stat *ctl, uid_t euid, char *why,
                        size_t whylen);

#endif
