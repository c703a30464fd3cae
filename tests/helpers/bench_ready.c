/* bench_ready: time from starting a supervisor until its N programs run.
 *
 *   bench_ready [-t TIMEOUT_MS] [-p POLL_US] [-c COMM] [-s STATUSFILE] [-o LOG]
 *               N -- CMD...
 *
 * Forks and execs CMD (stdout and stderr to LOG, default /dev/null), then
 * polls until
 *   -c: N descendants of CMD have exec'd COMM (e.g. "sleep"): the same
 *       yardstick for every supervisor;
 *   -s: STATUSFILE has N lines whose second field is RUNNING (tend's
 *       <rundir>/status).
 * Polls every POLL_US (default 1000): polling harder steals enough CPU from
 * the supervisor on a 2-core machine to slow it measurably (~10%).
 * Prints "COMM_US STATUS_US PID" (-1 for a condition not asked for or not met
 * in time) and exits, leaving CMD running: the caller kills the tree
 * (bench_proc kill PID). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

#define MAXP 65536
#define PIDBITS (1 << 22) /* the kernel's pid_max ceiling */

static unsigned char confirmed[PIDBITS / 8];

static int comm_is(pid_t p, const char *want)
{
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)p);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, want) == 0;
}

/* Descendants of root that exec'd comm. A pid once seen with comm stays
 * counted (programs here never exec again), which keeps each poll cheap. */
static int count_comm(pid_t root, const char *comm)
{
    static pid_t t[MAXP];
    int n = 0, c = 0;
    t[n++] = root;
    for (int i = 0; i < n && n < MAXP; i++) {
        pid_t p = t[i];
        int known = p < PIDBITS && (confirmed[p / 8] >> (p % 8) & 1);
        if (i > 0 && (known || comm_is(p, comm))) {
            if (!known && p < PIDBITS)
                confirmed[p / 8] |= (unsigned char)(1 << (p % 8));
            c++;
            continue; /* a program's own children are not programs */
        }
        int m = proc_children(p, t, n, MAXP);
        if (m >= 0)
            n = m;
    }
    return c;
}

static int count_running(const char *file)
{
    static char buf[1 << 20];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return 0;
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    buf[len] = '\0';
    int c = 0;
    for (char *line = buf; *line;) {
        char *nl = strchr(line, '\n');
        char *sp = strchr(line, ' ');
        if (sp && (!nl || sp < nl) && strncmp(sp + 1, "RUNNING ", 8) == 0)
            c++;
        if (!nl)
            break;
        line = nl + 1;
    }
    return c;
}

int main(int argc, char **argv)
{
    const char *comm = NULL, *status = NULL, *log = "/dev/null";
    long timeout_ms = 30000, poll_us = 1000;
    int opt;
    while ((opt = getopt(argc, argv, "+t:p:c:s:o:")) != -1) {
        switch (opt) {
        case 't': timeout_ms = atol(optarg); break;
        case 'p': poll_us = atol(optarg); break;
        case 'c': comm = optarg; break;
        case 's': status = optarg; break;
        case 'o': log = optarg; break;
        default: return 2;
        }
    }
    if (optind + 2 >= argc || strcmp(argv[optind + 1], "--") != 0) {
        fprintf(stderr, "usage: bench_ready [-t MS] [-p US] [-c COMM] [-s FILE] [-o LOG] N -- CMD...\n");
        return 2;
    }
    int want = atoi(argv[optind]);
    char **cmd = argv + optind + 2;
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out == -1) {
        perror(log);
        return 1;
    }
    fflush(stdout);
    double t0 = now_us();
    pid_t pid = fork();
    if (pid == -1) {
        perror("bench_ready: fork");
        return 1;
    }
    if (pid == 0) {
        dup2(out, 1);
        dup2(out, 2);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    double t_comm = -1, t_status = -1, end = t0 + timeout_ms * 1000.0;
    for (;;) {
        double t = now_us();
        if (comm && t_comm < 0 && count_comm(pid, comm) >= want)
            t_comm = now_us() - t0;
        if (status && t_status < 0 && count_running(status) >= want)
            t_status = now_us() - t0;
        if ((!comm || t_comm >= 0) && (!status || t_status >= 0))
            break;
        if (t > end)
            break;
        nap_us(poll_us);
    }
    printf("%.0f %.0f %d\n", t_comm, t_status, (int)pid);
    return 0;
}
