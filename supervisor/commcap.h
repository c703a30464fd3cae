/* commcap.h - supervisord's capture mode on one output stream of a program
 * (stdout_capture_maxbytes / stderr_capture_maxbytes > 0; issue 17).
 *
 * What the program writes between <!--XSUPERVISOR:BEGIN--> and
 * <!--XSUPERVISOR:END--> does not go to its log: it is kept in a bounded
 * buffer (supervisord's BoundIO: a write that would pass maxbytes first drops
 * as many bytes from the buffer's head as it adds) and handed over as one
 * PROCESS_COMMUNICATION event at the end token. The tokens themselves go
 * nowhere. Every piece supervisord would pass to its _log() (the text
 * around the tokens, and the captured text as it comes) is handed over too,
 * for PROCESS_LOG events, in stream order.
 *
 * A chunk that ends with the start of a token keeps that start back until
 * the next chunk says whether it is one; supervisord does the same, and, as
 * in supervisord, what is kept back when the stream ends is dropped. Unlike
 * supervisord, a chunk of at most a token's length is not held back.
 * Pure: no I/O, no logging; allocation failure passes chunks through as they
 * are (capture off until the next token). */
#ifndef TEND_COMMCAP_H
#define TEND_COMMCAP_H

#include <stddef.h>
#include <stdint.h>

#define COMMCAP_BEGIN "<!--XSUPERVISOR:BEGIN-->"
#define COMMCAP_END "<!--XSUPERVISOR:END-->"

struct commcap;

struct commcap_ops {
    /* a piece supervisord logs (or captures): PROCESS_LOG data */
    void (*piece)(void *arg, const char *data, size_t n);
    /* a complete capture: PROCESS_COMMUNICATION data */
    void (*comm)(void *arg, const char *data, size_t n);
};

/* NULL when out of memory. MAXBYTES > 0. */
struct commcap *commcap_new(uint64_t maxbytes);
void commcap_free(struct commcap *cc);

/* Feed BUF[0..N), as read. BUF is rewritten with what goes to the log
 * (at most ROOM >= N bytes: the rest comes first the next time) and its
 * length is returned. OPS' callbacks run before it returns. */
size_t commcap_feed(struct commcap *cc, char *buf, size_t n, size_t room,
                    const struct commcap_ops *ops, void *arg);

#endif
