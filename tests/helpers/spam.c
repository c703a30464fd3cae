/* spam - write numbered lines or bulk bytes, for capture tests and benches.
 *
 *   spam [-e] [-n LINES] [-l LEN] [-t TAG] [-1] [-b BYTES] [-c CHUNK]
 *        [-p TEXT] [-s SECONDS]
 *
 *   -e        write to stderr (default stdout)
 *   -n N      N lines "TAG NNNNNNNNN\n", numbered from 1, padded with TAG's
 *             first letter to LEN bytes (newline included) when -l is given
 *   -1        one write() per line (default: batches of up to CHUNK bytes)
 *   -b BYTES  BYTES bytes of 100-byte lines "TAG NNNNNNNNN ...\n" (a 1 MiB
 *             pattern written again and again; numbers repeat): throughput
 *   -c CHUNK  write() size (default 65536)
 *   -p TEXT   finally write TEXT without a newline
 *   -s SECS   stay alive SECS seconds after writing (-1: until killed)
 *
 * A short write is continued; a write error exits 1 with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int out_fd = 1;

static void put(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(out_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            dprintf(2, "spam: write: %s\n", strerror(errno));
            exit(1);
        }
        p += w;
        n -= (size_t)w;
    }
}

static long long num(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < -1) {
        dprintf(2, "spam: bad %s: %s\n", opt, s);
        exit(2);
    }
    return v;
}

/* One line into P (room for max(LEN, 64) + strlen(tag) bytes). */
static size_t fmt_line(char *p, const char *tag, long long i, long long len)
{
    int n = sprintf(p, "%s %09lld", tag, i);
    while (len > 0 && n < len - 1)
        p[n++] = tag[0] ? tag[0] : '.';
    p[n++] = '\n';
    return (size_t)n;
}

int main(int argc, char **argv)
{
    long long lines = 0, len = 0, bytes = 0, chunk = 65536, stay = 0;
    const char *tag = "line", *partial = NULL;
    int one = 0, opt;
    while ((opt = getopt(argc, argv, "en:l:t:1b:c:p:s:")) != -1) {
        switch (opt) {
        case 'e': out_fd = 2; break;
        case 'n': lines = num(optarg, "-n"); break;
        case 'l': len = num(optarg, "-l"); break;
        case 't': tag = optarg; break;
        case '1': one = 1; break;
        case 'b': bytes = num(optarg, "-b"); break;
        case 'c': chunk = num(optarg, "-c"); break;
        case 'p': partial = optarg; break;
        case 's': stay = num(optarg, "-s"); break;
        default:
            dprintf(2, "usage: spam [-e] [-n N] [-l LEN] [-t TAG] [-1] [-b BYTES] [-c CHUNK] "
                       "[-p TEXT] [-s SECS]\n");
            return 2;
        }
    }
    if (chunk < 1)
        chunk = 1;
    size_t linemax = (size_t)(len > 64 ? len : 64) + strlen(tag) + 16;
    size_t cap = (size_t)chunk + linemax;
    char *buf = malloc(cap);
    if (!buf) {
        dprintf(2, "spam: out of memory\n");
        return 1;
    }
    size_t used = 0;
    for (long long i = 1; i <= lines; i++) {
        used += fmt_line(buf + used, tag, i, len);
        if (one || used >= (size_t)chunk) {
            put(buf, used);
            used = 0;
        }
    }
    put(buf, used);
    if (bytes > 0) {
        size_t pat = 1 << 20;
        char *p = malloc(pat + 128);
        if (!p) {
            dprintf(2, "spam: out of memory\n");
            return 1;
        }
        size_t n = 0;
        for (long long i = 1; n < pat; i++)
            n += fmt_line(p + n, tag, i, 100);
        pat = n - n % 100;   /* whole lines, so the pattern repeats cleanly */
        long long left = bytes;
        size_t off = 0;
        while (left > 0) {
            size_t w = (size_t)chunk;
            if (w > pat - off)
                w = pat - off;
            if ((long long)w > left)
                w = (size_t)left;
            put(p + off, w);
            off = (off + w) % pat;
            left -= (long long)w;
        }
        free(p);
    }
    if (partial)
        put(partial, strlen(partial));
    free(buf);
    if (stay < 0)
        for (;;)
            pause();
    if (stay > 0)
        sleep((unsigned)stay);
    return 0;
}
