/* evlisten - an event listener for the torture test (tests/torture): speaks
 * supervisord's listener protocol on stdin/stdout and appends what it does
 * to a record file, one write(2) per line (O_APPEND, so lines of several
 * listeners never mix):
 *
 *   R PID POOL SERIAL POOLSERIAL   an event was received (before answering)
 *   A PID POOL SERIAL OK|FAIL      the answer about to be written
 *
 * and one line per event to stderr (for log capture).
 *
 *   evlisten RECORDFILE MODE
 *
 *   MODE 0  answers OK
 *   MODE 1  answers FAIL one time in four (tend must send it again)
 *   MODE 2  exits 3 without answering one time in twenty
 *   MODE 3  writes garbage instead of a result one time in twenty, then
 *           reads on without answering (tend calls it a protocol violation)
 *   MODE 4  says READY once, then never reads: tend stays BUSY with the
 *           event it sent, until the listener is stopped
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int rec = -1;

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            exit(1);
        s += w;
        n -= (size_t)w;
    }
}

/* One byte at a time: nothing of the next event is read ahead. */
static int getline0(char *buf, size_t len)
{
    size_t o = 0;
    for (;;) {
        char c;
        ssize_t r = read(0, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n')
            break;
        if (o + 1 < len)
            buf[o++] = c;
    }
    buf[o] = '\0';
    return 0;
}

static int readn(size_t n)
{
    char b[4096];
    while (n > 0) {
        ssize_t r = read(0, b, n < sizeof b ? n : sizeof b);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        n -= (size_t)r;
    }
    return 0;
}

static const char *field(const char *h, const char *key, char *out, size_t len)
{
    const char *p = strstr(h, key);
    if (!p)
        return NULL;
    p += strlen(key);
    size_t o = 0;
    while (*p && *p != ' ' && o + 1 < len)
        out[o++] = *p++;
    out[o] = '\0';
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: evlisten RECORDFILE MODE\n");
        return 2;
    }
    int mode = atoi(argv[2]);
    rec = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (rec < 0) {
        perror(argv[1]);
        return 1;
    }
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    char h[1024], serial[32], pool[128], ps[32], len[32], name[64], line[512];
    int pid = (int)getpid();
    if (mode == 4) {
        put(1, "READY\n");
        for (;;)
            pause();
    }
    for (;;) {
        put(1, "READY\n");
        if (getline0(h, sizeof h) < 0)
            return 0;
        if (!field(h, "serial:", serial, sizeof serial) || !field(h, "pool:", pool, sizeof pool) ||
            !field(h, "poolserial:", ps, sizeof ps) || !field(h, "len:", len, sizeof len) ||
            !field(h, "eventname:", name, sizeof name)) {
            fprintf(stderr, "evlisten: bad header '%s'\n", h);
            return 4;
        }
        if (readn((size_t)strtoul(len, NULL, 10)) < 0)
            return 0;
        snprintf(line, sizeof line, "R %d %s %s %s\n", pid, pool, serial, ps);
        put(rec, line);
        snprintf(line, sizeof line, "event %s %s %s\n", pool, serial, name);
        put(2, line);
        int r = rand() % 20;
        if (mode == 2 && r == 0)
            return 3;
        if (mode == 3 && r == 0) {
            put(1, "RESULT x\nhello there\n");
            while (readn(1) == 0)
                ;
            return 0;
        }
        int fail = mode == 1 && r < 5;
        snprintf(line, sizeof line, "A %d %s %s %s\n", pid, pool, serial, fail ? "FAIL" : "OK");
        put(rec, line);
        put(1, fail ? "RESULT 4\nFAIL" : "RESULT 2\nOK");
    }
}
