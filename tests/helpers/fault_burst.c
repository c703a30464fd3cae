/* fault_burst - many short-lived processes at once, for signal-storm tests.
 *
 *   fault_burst N
 *
 * Ignores SIGUSR1 (and so do its children: a storm of forwarded SIGUSR1
 * must not end them early), forks N children, each of which exits 0 after
 * 0..9 ms, prints "burst N" and exits 0 without waiting for them. Children
 * that already exited become zombies handed to the subreaper (tend) along
 * with the living ones, which exit there a few ms later: a burst of N
 * SIGCHLD/reaps for the supervisor. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *end;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end || n < 1 || n > 5000) {
        fprintf(stderr, "usage: fault_burst N (1..5000)\n");
        return 98;
    }
    if (signal(SIGUSR1, SIG_IGN) == SIG_ERR) {
        perror("fault_burst: signal");
        return 70;
    }
    long made = 0;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "fault_burst: fork: %s\n", strerror(errno));
            break;
        }
        if (pid == 0) {
            struct timespec ts = { 0, (i % 10) * 1000000L };
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
            _exit(0);
        }
        made++;
    }
    printf("burst %ld\n", made);
    fflush(stdout);
    return made == n ? 0 : 1;
}
