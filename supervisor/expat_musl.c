/* expat_musl.c - the two glibc symbols Debian's libexpat.a needs under musl.
 *
 * tend's default build is static against musl, linking Debian's libexpat.a
 * (built for glibc) as it links libinih.a. Of all its libc references only
 * two are missing from musl: __fprintf_chk (fortified fprintf, used for
 * expat's debug statistics) and arc4random_buf (its hash salt). Both are
 * provided here with their documented meaning; glibc builds do not get them.
 */
#if !defined(__GLIBC__)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
void arc4random_buf(void *buf, size_t n);

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
    (void)flag;
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

void arc4random_buf(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, GRND_NONBLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* no entropy yet (early boot): a salt from the clock and pid */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20)
                ^ ((unsigned long)getpid() << 8);
            for (; n > 0; n--, p++) {
                x = x * 6364136223846793005UL + 1442695040888963407UL;
                *p = (unsigned char)(x >> 56);
            }
            return;
        }
        p += r;
        n -= (size_t)r;
    }
}
#else
typedef int tend_expat_musl_unused;
#endif
