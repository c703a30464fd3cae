/* loop.c - epoll + a binary min-heap of monotonic deadlines.
 *
 * The heap is an array that doubles when full. When it cannot (out of
 * memory) timer_arm still succeeds: the timer goes into an intrusive list
 * sorted by deadline (through its lnext/lprev), which every round consults
 * next to the heap's top and tries to empty into the heap. The list is
 * empty in normal operation, where it costs one pointer test.
 */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define HEAP_FIRST 64   /* timers the heap holds from loop_new() */

struct loop {
    int epfd;
    /* the round being dispatched, so watch_del can cancel pending events */
    struct epoll_event *round;
    int round_n;
    void (*idle_cb)(void *);
    void *idle_arg;
    struct timer **heap;
    size_t nheap, capheap;
    struct timer *listed;   /* timers the heap had no room for, by deadline */
};

uint64_t loop_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
    struct loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->heap = malloc(HEAP_FIRST * sizeof *l->heap);
    if (!l->heap) {
        free(l);
        return NULL;
    }
    l->capheap = HEAP_FIRST;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        int e = errno;
        free(l->heap);
        free(l);
        errno = e;
        return NULL;
    }
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    close(l->epfd);
    for (size_t i = 0; i < l->nheap; i++)
        l->heap[i]->slot = -1;
    for (struct timer *t = l->listed; t; t = t->lnext)
        t->slot = -1;
    free(l->heap);
    free(l);
}

int watch_add(struct loop *l, struct watch *w, int fd, uint32_t events, watch_cb cb, void *arg)
{
    struct epoll_event ev = { .events = events, .data.ptr = w };
    w->fd = fd;
    w->events = events;
    w->cb = cb;
    w->arg = arg;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -1;
    w->active = true;
    return 0;
}

int watch_mod(struct loop *l, struct watch *w, uint32_t events)
{
    if (!w->active || w->events == events)
        return 0;
    struct epoll_event ev = { .events = events, .data.ptr = w };
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
        return -1;
    w->events = events;
    return 0;
}

void watch_del(struct loop *l, struct watch *w)
{
    if (!w->active)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    w->active = false;
    /* The owner may free W right after this: forget its pending events. */
    for (int i = 0; i < l->round_n; i++)
        if (l->round[i].data.ptr == w)
            l->round[i].data.ptr = NULL;
}

/* ---- timers: min-heap on deadline ---- */

static void heap_set(struct loop *l, size_t i, struct timer *t)
{
    l->heap[i] = t;
    t->slot = (int)i;
}

static void heap_up(struct loop *l, size_t i)
{
    struct timer *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (l->heap[parent]->deadline <= t->deadline)
            break;
        heap_set(l, i, l->heap[parent]);
        i = parent;
    }
    heap_set(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
    struct timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && l->heap[c + 1]->deadline < l->heap[c]->deadline)
            c++;
        if (t->deadline <= l->heap[c]->deadline)
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

static bool heap_grow(struct loop *l)
{
    size_t cap = l->capheap ? l->capheap * 2 : HEAP_FIRST;
    struct timer **h = realloc(l->heap, cap * sizeof *h);
    if (!h)
        return false;
    l->heap = h;
    l->capheap = cap;
    return true;
}

/* T into the heap; the caller made room. */
static void heap_push(struct loop *l, struct timer *t)
{
    heap_set(l, l->nheap++, t);
    heap_up(l, l->nheap - 1);
}

/* ---- the overflow list: sorted by deadline, FIFO among equals ---- */

static void list_insert(struct loop *l, struct timer *t)
{
    struct timer **pp = &l->listed, *prev = NULL;
    while (*pp && (*pp)->deadline <= t->deadline) {
        prev = *pp;
        pp = &(*pp)->lnext;
    }
    t->lnext = *pp;
    t->lprev = prev;
    if (t->lnext)
        t->lnext->lprev = t;
    *pp = t;
    t->slot = TIMER_LISTED;
}

static void list_unlink(struct loop *l, struct timer *t)
{
    if (t->lprev)
        t->lprev->lnext = t->lnext;
    else
        l->listed = t->lnext;
    if (t->lnext)
        t->lnext->lprev = t->lprev;
    t->lnext = t->lprev = NULL;
    t->slot = -1;
}

/* Move listed timers into the heap while it can grow. */
static void list_drain(struct loop *l)
{
    while (l->listed && (l->nheap < l->capheap || heap_grow(l))) {
        struct timer *t = l->listed;
        list_unlink(l, t);
        heap_push(l, t);
    }
}

/* The armed timer with the nearest deadline, or NULL. */
static struct timer *timer_first(const struct loop *l)
{
    struct timer *h = l->nheap ? l->heap[0] : NULL, *o = l->listed;
    if (o && (!h || o->deadline < h->deadline))
        return o;
    return h;
}

void timer_init(struct timer *t, timer_cb cb, void *arg)
{
    t->deadline = 0;
    t->cb = cb;
    t->arg = arg;
    t->slot = -1;
    t->lnext = t->lprev = NULL;
}

void timer_disarm(struct loop *l, struct timer *t)
{
    if (t->slot == TIMER_LISTED) {
        list_unlink(l, t);
        return;
    }
    if (t->slot < 0)
        return;
    size_t i = (size_t)t->slot;
    t->slot = -1;
    l->nheap--;
    if (i == l->nheap)
        return;
    struct timer *m = l->heap[l->nheap];
    heap_set(l, i, m);
    heap_up(l, i);
    heap_down(l, (size_t)m->slot);
}

void timer_arm_at(struct loop *l, struct timer *t, uint64_t deadline)
{
    timer_disarm(l, t);
    t->deadline = deadline;
    if (l->nheap == l->capheap && !heap_grow(l)) {
        list_insert(l, t);   /* out of memory: arming still succeeds */
        return;
    }
    heap_push(l, t);
}

void timer_arm(struct loop *l, struct timer *t, uint64_t delay_ms)
{
    timer_arm_at(l, t, loop_now() + delay_ms);
}

void loop_on_idle(struct loop *l, void (*cb)(void *arg), void *arg)
{
    l->idle_cb = cb;
    l->idle_arg = arg;
}

int loop_run_once(struct loop *l)
{
    struct epoll_event evs[64];
    int timeout = -1;
    if (l->idle_cb)
        l->idle_cb(l->idle_arg);
    if (l->listed)
        list_drain(l);
    struct timer *first = timer_first(l);
    if (first) {
        uint64_t now = loop_now(), d = first->deadline;
        timeout = d <= now ? 0 : (d - now > 86400000 ? 86400000 : (int)(d - now));
    }
    int n = epoll_wait(l->epfd, evs, 64, timeout);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        return -1;
    }
    l->round = evs;
    l->round_n = n;
    for (int i = 0; i < n; i++) {
        struct watch *w = evs[i].data.ptr;
        if (w)
            w->cb(l, w, evs[i].events);
    }
    l->round = NULL;
    l->round_n = 0;
    uint64_t now = loop_now();
    struct timer *t;
    while ((t = timer_first(l)) && t->deadline <= now) {
        timer_disarm(l, t);
        t->cb(l, t);
    }
    return 0;
}
