/* bench_time: wall time of commands, measured with fork/exec/wait and
 * CLOCK_MONOTONIC (finer and cheaper than a shell's `time`).
 *
 *   bench_time N CMD [ARG...] [:: CMD [ARG...]]...
 *
 * Runs every command once to warm caches, then N rounds, each round running
 * the commands one after the other (interleaved, so drift of the machine hits
 * all of them alike). stdin, stdout and stderr are /dev/null. Prints one line
 * per command: "MEDIAN_US MIN_US FAILS" (FAILS: runs that did not exit 0). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

#define MAXCMD 16

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run; returns elapsed microseconds, *ok = exited 0. */
static double run(char **argv, int devnull, int *ok)
{
    double t0 = now_us();
    pid_t p = fork();
    if (p == -1) {
        perror("bench_time: fork");
        exit(1);
    }
    if (p == 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(p, &st, 0) == -1)
        if (errno != EINTR) {
            perror("bench_time: waitpid");
            exit(1);
        }
    double t1 = now_us();
    *ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return t1 - t0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_time N CMD [ARG...] [:: CMD...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    if (n < 1 || n > 100000) {
        fprintf(stderr, "bench_time: bad count '%s'\n", argv[1]);
        return 2;
    }
    char **cmds[MAXCMD];
    int ncmd = 0;
    cmds[ncmd++] = argv + 2;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "::") == 0) {
            argv[i] = NULL;
            if (ncmd == MAXCMD || i + 1 >= argc) {
                fprintf(stderr, "bench_time: bad command list\n");
                return 2;
            }
            cmds[ncmd++] = argv + i + 1;
        }
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull == -1) {
        perror("bench_time: /dev/null");
        return 1;
    }
    double *t = calloc((size_t)ncmd * (size_t)n, sizeof *t);
    int fails[MAXCMD] = { 0 };
    if (!t) {
        perror("bench_time: calloc");
        return 1;
    }
    int ok;
    for (int c = 0; c < ncmd; c++)
        run(cmds[c], devnull, &ok);
    for (int r = 0; r < n; r++)
        for (int c = 0; c < ncmd; c++) {
            t[c * n + r] = run(cmds[c], devnull, &ok);
            fails[c] += !ok;
        }
    for (int c = 0; c < ncmd; c++) {
        double *v = t + c * n;
        qsort(v, (size_t)n, sizeof *v, cmp);
        double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        printf("%.1f %.1f %d\n", med, v[0], fails[c]);
    }
    free(t);
    return 0;
}
