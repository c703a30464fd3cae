/* control.h - the control FIFO server inside tend.
 *
 * control_open() creates (or reuses, when it is already our FIFO) the FIFO
 * cfg->control with mode control_mode and group control_group, refusing a
 * path that is a symlink, not a FIFO, or owned by another user. It keeps the
 * FIFO open read-write (so it never sees EOF), reads request lines (the
 * grammar of request.h) in the event loop and executes them.
 *
 * A line still without its newline 200 ms after its last byte is taken as
 * a request as it is (logged), so it cannot glue itself to the next one.
 *
 * Replies go to the client's own FIFO, opened by replyfifo_open() (only a
 * FIFO, only one whose owner may write the control FIFO) and written
 * without ever blocking: what the pipe does not take is buffered (at most
 * 1 MiB per client) and written as it drains; a client that reads nothing
 * for 10 s, or goes away, is dropped. start/stop/restart/wait replies finish
 * later, from a proc observer, so a waiting client never holds up the loop.
 * At most 256 requests are in progress at once; more are refused (logged,
 * and answered `error: too many clients` when possible). A fire-and-forget
 * request that fails is logged.
 */
#ifndef TEND_CONTROL_H
#define TEND_CONTROL_H

#include <stddef.h>

struct supervisor;
struct control;

/* Create and register the FIFO. Returns NULL with a message in ERR. */
struct control *control_open(struct supervisor *sv, char *err, size_t errlen);
/* Unregister, close and unlink the FIFO, drop every pending reply, free C.
 * Not from inside a control callback (at exit, after the loop). */
void control_close(struct control *c);
/* At shutdown: fail pending waits and give queued replies a last, bounded
 * (about half a second), chance to be written. */
void control_flush(struct control *c);

#endif
