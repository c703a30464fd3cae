/* notify.h - sd_notify readiness sockets.
 *
 * One unix datagram socket per `ready = notify` process, whose address the
 * child gets as NOTIFY_SOCKET. Each datagram is newline-separated KEY=VALUE
 * (systemd's protocol); READY=1, STOPPING=1, STATUS= and MAINPID= are
 * understood, other keys ignored. The sender's pid comes from the kernel
 * (SO_PASSCRED / SCM_CREDENTIALS), never from the message: deciding whether
 * that pid may speak for the process is the caller's job (proc.c).
 * Datagrams without credentials, larger than NOTIFY_MAX_DATAGRAM or with
 * nothing understood in them are dropped; descriptors passed along
 * (FDSTORE) are closed at once. The module never blocks: every wakeup drains
 * what is queued, at most NOTIFY_BURST datagrams (the loop is level
 * triggered, so the rest comes next round and a flood cannot starve it).
 */
#ifndef TEND_NOTIFY_H
#define TEND_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"

#define NOTIFY_MAX_DATAGRAM 4096
#define NOTIFY_BURST 64

struct notify;

struct notify_msg {
    bool ready;                /* READY=1 */
    bool stopping;             /* STOPPING=1 */
    bool has_status;           /* STATUS= given (possibly empty) */
    char status[128];          /* NUL-terminated, control characters replaced */
    pid_t mainpid;             /* MAINPID=, 0 = not given (or invalid) */
};

/* Called for every valid message. SENDER is the pid from SCM_CREDENTIALS.
 * The callback may call notify_close() on the socket it came from. */
typedef void (*notify_cb)(void *arg, pid_t sender, const struct notify_msg *m);

/* Create a unix datagram socket bound at PATH (a stale socket file is
 * unlinked first; anything else there is an error; the directory must
 * exist), close-on-exec, non-blocking, SO_PASSCRED on, registered in L.
 * If PATH does not fit sun_path, bind the abstract address
 * "@tend/<pid>/<basename>" instead (see notify_address()). A PATH starting
 * with '@' names an abstract address directly (no file; useful without a
 * rundir, or for a program under another user that cannot reach the
 * rundir); one too long is replaced by "@tend/<pid>/<hash>". Returns NULL
 * with a message in ERR. */
struct notify *notify_open(struct loop *l, const char *path, notify_cb cb, void *arg,
                           char *err, size_t errlen);

/* The value for NOTIFY_SOCKET: the path, or "@..." for an abstract address.
 * Owned by N. */
const char *notify_address(const struct notify *n);

/* Handle every datagram queued right now (no blocking). For a caller that
 * must see a READY/MAINPID sent just before an exit it is about to judge:
 * call it from the reaper before acting on the exit. */
void notify_drain(struct notify *n);

/* Unregister from the loop, close the socket, unlink the file. NULL is a
 * no-op. */
void notify_close(struct notify *n);

/* Parse one datagram of LEN bytes into M (zeroed first). Returns true when
 * at least one known key was understood. Exposed for tests. */
bool notify_parse(const char *buf, size_t len, struct notify_msg *m);

#endif
