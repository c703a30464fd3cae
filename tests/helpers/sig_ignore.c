/* sig_ignore - a program that ignores the polite stop signals, so only
 * SIGKILL ends it: tests tend's escalation after stopwaitsecs.
 *
 *   sig_ignore [READYFILE]
 *
 * Ignores SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 and SIGUSR2, then (when
 * READYFILE is given) writes "ready PID\n" to it, and waits forever.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const int ign[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2 };
    for (size_t i = 0; i < sizeof ign / sizeof ign[0]; i++) {
        if (signal(ign[i], SIG_IGN) == SIG_ERR) {
            perror("sig_ignore: signal");
            return 70;
        }
    }
    if (argc > 1) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
        FILE *f = fopen(tmp, "we");
        if (!f || fprintf(f, "ready %d\n", (int)getpid()) < 0 || fclose(f) != 0 ||
            rename(tmp, argv[1]) != 0) {
            perror(argv[1]);
            return 70;
        }
    }
    for (;;)
        pause();
}
