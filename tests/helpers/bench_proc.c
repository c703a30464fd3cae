/* bench_proc: process-tree chores for bench/run and bench/soak.
 *
 *   bench_proc run CMD [ARG...]       run CMD as a child subreaper; when CMD
 *                                      exits, kill and reap every descendant
 *                                      left, exit with CMD's status
 *   bench_proc kill PID...            stop, then SIGKILL PID and all its
 *                                      descendants; wait until they are gone
 *   bench_proc mem PID...             "RSS_KB PSS_KB" summed (smaps_rollup)
 *   bench_proc ctx PID...             voluntary+involuntary context switches,
 *                                      summed over every thread of each PID
 *   bench_proc count PID COMM         descendants of PID whose comm is COMM
 *   bench_proc wait PID COMM N MS     wait until count >= N; exit 1 on timeout
 *   bench_proc desc PID               descendants of PID, "pid comm"
 *
 * Orphans of a killed tree come back to the nearest subreaper, so `kill` is
 * meant to run below `run`, which reaps them. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

#define MAXP 65536

static pid_t child_pid;

/* Breadth-first list of root and its descendants. */
static int tree(pid_t root, pid_t *out, int max)
{
    int n = 0;
    out[n++] = root;
    for (int i = 0; i < n && n < max; i++) {
        int m = proc_children(out[i], out, n, max);
        if (m >= 0)
            n = m;
    }
    return n;
}

static int comm_is(pid_t p, const char *want)
{
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)p);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok)
        return 0;
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, want) == 0;
}

/* Gone or a zombie: either way it no longer runs. */
static int dead(pid_t p)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
    FILE *f = fopen(path, "re");
    if (!f)
        return 1;
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    char *r = ok ? strrchr(buf, ')') : NULL;
    return !r || r[2] == 'Z' || r[2] == 'X';
}

static int seen(const pid_t *v, int n, pid_t p)
{
    for (int i = 0; i < n; i++)
        if (v[i] == p)
            return 1;
    return 0;
}

/* SIGSTOP the trees until no new process appears (a stopped parent cannot
 * fork or respawn), then SIGKILL them all. */
static void kill_trees(pid_t *roots, int nroots)
{
    static pid_t all[MAXP], t[MAXP];
    int n = 0;
    for (int round = 0; round < 100; round++) {
        int added = 0;
        for (int r = 0; r < nroots; r++) {
            int m = tree(roots[r], t, MAXP);
            for (int i = 0; i < m && n < MAXP; i++)
                if (!seen(all, n, t[i])) {
                    all[n++] = t[i];
                    kill(t[i], SIGSTOP);
                    added++;
                }
        }
        if (!added)
            break;
        nap_us(2000);
    }
    for (int i = 0; i < n; i++) {
        kill(all[i], SIGKILL);
        kill(all[i], SIGCONT);
    }
    long end = now_ms() + 3000;
    for (int i = 0; i < n; i++)
        while (!dead(all[i]) && now_ms() < end)
            nap_us(1000);
}

static void on_signal(int sig)
{
    if (sig != SIGINT && child_pid > 0)
        kill(child_pid, sig);
}

static int cmd_run(char **argv)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
        perror("bench_proc: PR_SET_CHILD_SUBREAPER");
        return 1;
    }
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    child_pid = fork();
    if (child_pid == -1) {
        perror("bench_proc: fork");
        return 1;
    }
    if (child_pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "bench_proc: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0, st;
    pid_t w;
    for (;;) {
        w = waitpid(-1, &st, 0);
        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1 || w == child_pid)
            break;
    }
    if (w == child_pid)
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    /* Everything still below us: kill it, then reap until nothing is left. */
    static pid_t kids[MAXP];
    for (int round = 0; round < 20; round++) {
        int n = proc_children(getpid(), kids, 0, MAXP);
        if (n <= 0)
            break;
        kill_trees(kids, n);
        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            ;
    }
    while (waitpid(-1, &st, WNOHANG) > 0)
        ;
    return status;
}

static pid_t arg_pid(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v <= 0) {
        fprintf(stderr, "bench_proc: bad pid '%s'\n", s);
        exit(2);
    }
    return (pid_t)v;
}

static void mem(pid_t p, long *rss, long *pss)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)p);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    long v;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "Rss: %ld", &v) == 1)
            *rss += v;
        else if (sscanf(line, "Pss: %ld", &v) == 1)
            *pss += v;
    }
    fclose(f);
}

static long ctx(pid_t p)
{
    char path[64];
    long sum = 0;
    snprintf(path, sizeof path, "/proc/%d/task", (int)p);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sp[320], line[256];
        snprintf(sp, sizeof sp, "/proc/%d/task/%s/status", (int)p, e->d_name);
        FILE *f = fopen(sp, "re");
        if (!f)
            continue;
        long v;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
                sum += v;
        fclose(f);
    }
    closedir(d);
    return sum;
}

static int count(pid_t root, const char *comm)
{
    static pid_t t[MAXP];
    int n = tree(root, t, MAXP), c = 0;
    for (int i = 1; i < n; i++)
        c += comm_is(t[i], comm);
    return c;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_proc run|kill|mem|ctx|count|wait|desc ARGS\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argv + 2);
    if (strcmp(cmd, "kill") == 0) {
        static pid_t roots[1024];
        int n = 0;
        for (int i = 2; i < argc && n < 1024; i++)
            roots[n++] = arg_pid(argv[i]);
        kill_trees(roots, n);
        return 0;
    }
    if (strcmp(cmd, "mem") == 0) {
        long rss = 0, pss = 0;
        for (int i = 2; i < argc; i++)
            mem(arg_pid(argv[i]), &rss, &pss);
        printf("%ld %ld\n", rss, pss);
        return 0;
    }
    if (strcmp(cmd, "ctx") == 0) {
        long sum = 0;
        for (int i = 2; i < argc; i++)
            sum += ctx(arg_pid(argv[i]));
        printf("%ld\n", sum);
        return 0;
    }
    if (strcmp(cmd, "count") == 0 && argc == 4) {
        printf("%d\n", count(arg_pid(argv[2]), argv[3]));
        return 0;
    }
    if (strcmp(cmd, "wait") == 0 && argc == 6) {
        pid_t p = arg_pid(argv[2]);
        long end = now_ms() + atol(argv[5]);
        int want = atoi(argv[4]);
        while (count(p, argv[3]) < want) {
            if (now_ms() > end || dead(p))
                return 1;
            nap_us(5000);
        }
        return 0;
    }
    if (strcmp(cmd, "desc") == 0 && argc == 3) {
        static pid_t t[MAXP];
        int n = tree(arg_pid(argv[2]), t, MAXP);
        for (int i = 1; i < n; i++) {
            char path[64], buf[64] = "?";
            snprintf(path, sizeof path, "/proc/%d/comm", (int)t[i]);
            FILE *f = fopen(path, "re");
            if (f) {
                if (!fgets(buf, sizeof buf, f))
                    strcpy(buf, "?");
                fclose(f);
            }
            buf[strcspn(buf, "\n")] = '\0';
            printf("%d %s\n", (int)t[i], buf);
        }
        return 0;
    }
    fprintf(stderr, "bench_proc: unknown command or arguments: %s\n", cmd);
    return 2;
}
