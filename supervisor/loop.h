/* loop.h - the one place tend waits.
 *
 * An epoll set of watched descriptors plus a min-heap of deadlines on the
 * monotonic clock. loop_run_once() sleeps in epoll_wait until the nearest
 * deadline or an event, then runs the callbacks of ready descriptors first
 * and expired timers after (so a child's exit is seen before its startsecs
 * timer is judged). With no timers armed it sleeps without a timeout: tend
 * uses no CPU while nothing happens.
 *
 * Callers own struct watch and struct timer (embed them in their objects);
 * the loop only links to them. A callback may add, modify or remove any
 * watch or timer, including its own.
 *
 * Arming a timer never fails: the heap has room for 64 timers from
 * loop_new() and doubles when full; when it cannot grow (out of memory) the
 * timer waits in a list sorted by deadline instead, and moves into the heap
 * when a later round can grow it. Timers fire in deadline order either way.
 */
#ifndef TEND_LOOP_H
#define TEND_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct watch;
struct timer;

typedef void (*watch_cb)(struct loop *l, struct watch *w, uint32_t events);
typedef void (*timer_cb)(struct loop *l, struct timer *t);

struct watch {
    int fd;
    uint32_t events;      /* EPOLLIN / EPOLLOUT ... currently registered */
    watch_cb cb;
    void *arg;
    bool active;
};

struct timer {
    uint64_t deadline;    /* monotonic ms */
    timer_cb cb;
    void *arg;
    int slot;             /* index in the heap, TIMER_LISTED in the overflow
                           * list, -1 when not armed */
    struct timer *lnext, *lprev;  /* the overflow list (loop.c only) */
};

#define TIMER_LISTED (-2)

/* A new loop, its timer heap reserved. NULL with errno when out of memory
 * or epoll_create1 fails. */
struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Monotonic milliseconds. */
uint64_t loop_now(void);

/* Watch FD for EVENTS (EPOLLIN, EPOLLOUT). Returns 0 or -1 with errno. */
int watch_add(struct loop *l, struct watch *w, int fd, uint32_t events, watch_cb cb, void *arg);
int watch_mod(struct loop *l, struct watch *w, uint32_t events);
/* Stop watching (safe on an inactive watch). Call before closing the fd. */
void watch_del(struct loop *l, struct watch *w);

void timer_init(struct timer *t, timer_cb cb, void *arg);
/* Arm (or re-arm) T to fire DELAY_MS from now. Cannot fail (see above). */
void timer_arm(struct loop *l, struct timer *t, uint64_t delay_ms);
void timer_arm_at(struct loop *l, struct timer *t, uint64_t deadline);
void timer_disarm(struct loop *l, struct timer *t);
static inline bool timer_armed(const struct timer *t) { return t->slot != -1; }

/* Call CB(ARG) each time before the loop goes to sleep: a place to batch
 * work that many events in one round would otherwise repeat (status file). */
void loop_on_idle(struct loop *l, void (*cb)(void *arg), void *arg);

/* Wait for and dispatch one round of events and timers. Returns 0, or -1
 * on an unexpected epoll error (EINTR is retried). */
int loop_run_once(struct loop *l);

#endif
