/* exitwith: end in a chosen way, for exit status propagation tests.
 *
 *   exitwith CODE        exit(CODE) (CODE 0..255)
 *   exitwith CODE SIG    die by signal SIG (default disposition, unblocked,
 *                        no core file); CODE is used only if that fails
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static int number(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "exitwith: bad number '%s'\n", s);
        exit(99);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: exitwith CODE [SIGNAL]\n");
        return 99;
    }
    int code = number(argv[1], 0, 255);
    if (argc == 3) {
        int sig = number(argv[2], 1, 64);
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl); /* SIGQUIT/SIGABRT: no core file */
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, NULL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        kill(getpid(), sig);
        fprintf(stderr, "exitwith: signal %d did not kill me\n", sig);
    }
    return code;
}
