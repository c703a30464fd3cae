/* memhog - holds resident memory, for memory_limit and accounting tests.
 *
 *   memhog [-o FILE] START_MB [STEP_MB MS]
 *
 * Touches START_MB megabytes at once, then (with STEP_MB) STEP_MB more
 * every MS milliseconds, for ever. Appends "ready PID" to FILE once START_MB
 * is resident. Ends on any signal (default dispositions).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void hold(size_t mb)
{
    for (size_t i = 0; i < mb; i++) {
        char *p = malloc(1 << 20);
        if (!p)
            return;
        memset(p, 0x5a, 1 << 20);  /* resident, not just reserved */
    }
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int i = 1;
    if (argc > 2 && !strcmp(argv[1], "-o")) {
        out = argv[2];
        i = 3;
    }
    if (i >= argc)
        return 2;
    hold((size_t)atol(argv[i]));
    if (out) {
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dprintf(fd, "ready %d\n", (int)getpid());
            close(fd);
        }
    }
    long step = i + 2 < argc ? atol(argv[i + 1]) : 0, ms = i + 2 < argc ? atol(argv[i + 2]) : 0;
    for (;;) {
        if (step > 0 && ms > 0) {
            struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
            hold((size_t)step);
        } else {
            pause();
        }
    }
}
