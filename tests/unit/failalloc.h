/* failalloc.h - make malloc fail on demand in a unit test program.
 *
 * Included by exactly one file of a test program. It defines malloc,
 * calloc, realloc, free and strdup; the program's own definitions win over
 * the C library's (and AddressSanitizer's) for every caller, tend's modules
 * included, and forward to the next definition (dlsym(RTLD_NEXT)), so the
 * sanitizers still see every block and LeakSanitizer still checks at exit.
 *
 *   failalloc_from(N)  the next N allocations succeed, every later one fails
 *                      (as a process out of memory would see it)
 *   failalloc_off()    allocations succeed again
 *   failalloc_failed() allocations refused since failalloc_from
 *   failalloc_live()   blocks allocated through these functions and not
 *                      freed: equal before and after a failed call shows
 *                      the call gave back what it took
 *
 * Set the countdown just before the call under test and switch it off
 * before any check assertion (check allocates when it reports).
 */
#ifndef TEND_TEST_FAILALLOC_H
#define TEND_TEST_FAILALLOC_H

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void *(*fa_malloc)(size_t);
static void *(*fa_calloc)(size_t, size_t);
static void *(*fa_realloc)(void *, size_t);
static void (*fa_free)(void *);
/* volatile: the compiler knows malloc and may move plain stores past it */
static volatile long fa_left = -1;   /* allocations still allowed; -1: no limit */
static volatile long fa_failed, fa_live;
static int fa_resolving;
/* dlsym may allocate before the real functions are known */
static _Alignas(max_align_t) char fa_boot[4096];
static size_t fa_boot_used;

static inline void failalloc_from(long n) { fa_failed = 0; fa_left = n; }
static inline void failalloc_off(void) { fa_left = -1; }
static inline long failalloc_failed(void) { return fa_failed; }
static inline long failalloc_live(void) { return fa_live; }

static void fa_resolve(void)
{
    if (fa_free || fa_resolving)
        return;
    fa_resolving = 1;
    fa_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    fa_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    fa_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    fa_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    fa_resolving = 0;
}

static void *fa_bootstrap(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof fa_boot - fa_boot_used)
        return NULL;
    void *p = fa_boot + fa_boot_used;
    fa_boot_used += n;
    return p;   /* zeroed: static storage, never reused */
}

static int fa_refuse(void)
{
    if (fa_left < 0)
        return 0;
    if (fa_left == 0) {
        fa_failed++;
        return 1;
    }
    fa_left--;
    return 0;
}

static void *fa_count(void *p)
{
    if (p)
        fa_live++;
    return p;
}

void *malloc(size_t n)
{
    fa_resolve();
    if (!fa_malloc)
        return fa_bootstrap(n);
    return fa_refuse() ? NULL : fa_count(fa_malloc(n));
}

void *calloc(size_t a, size_t b)
{
    fa_resolve();
    if (!fa_calloc)
        return b && a > (size_t)-1 / b ? NULL : fa_bootstrap(a * b);
    return fa_refuse() ? NULL : fa_count(fa_calloc(a, b));
}

void *realloc(void *p, size_t n)
{
    fa_resolve();
    if (fa_refuse())
        return NULL;   /* P stays valid, as with the real realloc */
    void *q = fa_realloc(p, n);
    if (!p)
        fa_count(q);
    return q;
}

void free(void *p)
{
    if (!p || ((char *)p >= fa_boot && (char *)p < fa_boot + sizeof fa_boot))
        return;
    fa_resolve();
    fa_live--;
    fa_free(p);
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    return p ? memcpy(p, s, n) : NULL;
}

#endif
