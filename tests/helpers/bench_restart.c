/* bench_restart: crash-to-restart latency of supervisors.
 *
 *   bench_restart ROUNDS GAP_MS TIMEOUT_MS PARENT[,PARENT...]...
 *
 * Each argument after TIMEOUT_MS is one supervisor: the process (or the
 * list of processes, e.g. runit's runsv of each service) whose children are
 * its programs. Each round, for each supervisor in turn (interleaved, so all
 * see the same machine), take its next PARENT (round robin), wait until
 * GAP_MS passed since that supervisor's last kill, SIGKILL the child of
 * PARENT that has run longest, and time until PARENT forks a new process.
 * With as many programs as rounds, every program crashes once: this is the
 * latency of a crash, not of a crash loop (every supervisor, tend included,
 * slows the restarts of a program that keeps crashing).
 *
 * The fork is seen through the kernel's process-events connector (netlink,
 * root only), which stamps it with CLOCK_MONOTONIC: the measurer sleeps, so
 * it steals no CPU from the supervisor on a small machine (a spinning
 * measurer delayed restarts by a whole scheduler slice, ~3 ms here). Without
 * the connector it polls /proc/PARENT/task/../children every 20 us.
 * Prints one line per PARENT: "MEDIAN_US MIN_US MAX_US TIMEOUTS METHOD"
 * (METHOD: connector or poll); with BENCH_VERBOSE set, every sample to
 * stderr as well. */
#include <dirent.h>
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

#define MAXKIDS 4096
#define MAXPAR 16

/* Start time of p in clock ticks since boot (0 when gone); *state gets the
 * state letter, so a zombie is never picked as the victim. */
static unsigned long long start_time(pid_t p, char *state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    char *r = ok ? strrchr(buf, ')') : NULL;
    if (!r)
        return 0;
    *state = r[2];
    /* field 22 is starttime; r points at the end of field 2 */
    unsigned long long v = 0;
    char *s = r + 2;
    for (int field = 3; field < 22 && s; field++) {
        s = strchr(s, ' ');
        if (s)
            s++;
    }
    if (s)
        v = strtoull(s, NULL, 10);
    return v;
}

/* Subscribe to process events; -1 when the kernel or our privileges do not
 * allow it. */
static int connector_open(void)
{
    int s = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (s == -1)
        return -1;
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC,
                              .nl_pid = (unsigned)getpid() };
    int big = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) == -1) {
        close(s);
        return -1;
    }
    /* nlmsghdr, then cn_msg, then the operation, packed one after the other. */
    union {
        struct nlmsghdr align;
        char b[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))];
    } req;
    memset(&req, 0, sizeof req);
    struct nlmsghdr *nl = &req.align;
    struct cn_msg *cn = NLMSG_DATA(nl);
    enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
    nl->nlmsg_len = NLMSG_LENGTH(sizeof *cn + sizeof op);
    nl->nlmsg_type = NLMSG_DONE;
    nl->nlmsg_pid = (unsigned)getpid();
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->len = sizeof op;
    memcpy(cn->data, &op, sizeof op);
    if (send(s, &req, nl->nlmsg_len, 0) != (ssize_t)nl->nlmsg_len) {
        close(s);
        return -1;
    }
    /* Prove events flow: a fork of our own must show up. */
    double t0 = now_us();
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    int ok = 0;
    while (!ok && now_us() - t0 < 500000) {
        struct pollfd pfd = { s, POLLIN, 0 };
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        char buf[8192];
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
            continue;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            struct proc_event *ev = (struct proc_event *)((struct cn_msg *)NLMSG_DATA(h))->data;
            if (ev->what == PROC_EVENT_FORK && ev->event_data.fork.child_pid == c)
                ok = 1;
        }
    }
    while (waitpid(c, NULL, 0) == -1 && errno == EINTR)
        ;
    if (!ok) {
        close(s);
        return -1;
    }
    return s;
}

/* Wait for a fork by parent at or after t0 (us); returns its time, or -1. */
static double connector_wait(int s, pid_t parent, double t0, double timeout)
{
    for (;;) {
        double left = t0 + timeout - now_us();
        if (left <= 0)
            return -1;
        struct pollfd pfd = { s, POLLIN, 0 };
        int r = poll(&pfd, 1, (int)(left / 1000) + 1);
        if (r <= 0)
            continue;
        char buf[65536];
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
            continue; /* ENOBUFS: events were lost; ours may still come */
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            struct proc_event *ev = (struct proc_event *)((struct cn_msg *)NLMSG_DATA(h))->data;
            if (ev->what != PROC_EVENT_FORK || ev->event_data.fork.parent_tgid != parent ||
                ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid)
                continue;
            double t = ev->timestamp_ns / 1e3;
            if (t >= t0)
                return t;
        }
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_restart ROUNDS GAP_MS TIMEOUT_MS PARENT...\n");
        return 2;
    }
    int rounds = atoi(argv[1]);
    double gap = atof(argv[2]) * 1000, timeout = atof(argv[3]) * 1000;
    int npar = argc - 4;
    int verbose = getenv("BENCH_VERBOSE") != NULL;
    if (rounds < 1 || npar > MAXPAR) {
        fprintf(stderr, "bench_restart: bad arguments\n");
        return 2;
    }
    static pid_t plist[MAXPAR][MAXKIDS];
    int plen[MAXPAR] = { 0 };
    pid_t par[MAXPAR];
    double last[MAXPAR] = { 0 };
    int timeouts[MAXPAR] = { 0 };
    double *lat = calloc((size_t)npar * (size_t)rounds, sizeof *lat);
    int nlat[MAXPAR] = { 0 };
    if (!lat)
        return 1;
    for (int i = 0; i < npar; i++)
        for (char *tok = strtok(argv[4 + i], ","); tok && plen[i] < MAXKIDS; tok = strtok(NULL, ","))
            plist[i][plen[i]++] = atoi(tok);
    static pid_t snap[MAXKIDS], cur[MAXKIDS];
    int cs = getenv("BENCH_POLL") ? -1 : connector_open();
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < npar; i++) {
            if (plen[i] == 0) {
                timeouts[i]++;
                continue;
            }
            par[i] = plist[i][r % plen[i]];
            double wait_until = last[i] + gap;
            while (now_us() < wait_until)
                nap_us(1000);
            /* Victim: the oldest child that is running (not a zombie). */
            pid_t victim = 0;
            int n = 0;
            double give_up = now_us() + timeout;
            while (!victim && now_us() < give_up) {
                n = proc_children(par[i], snap, 0, MAXKIDS);
                if (n < 0) {
                    fprintf(stderr, "bench_restart: %d is gone\n", (int)par[i]);
                    return 1;
                }
                unsigned long long best = ~0ULL;
                for (int k = 0; k < n; k++) {
                    char st = '?';
                    unsigned long long t = start_time(snap[k], &st);
                    if (t && st != 'Z' && t < best) {
                        best = t;
                        victim = snap[k];
                    }
                }
                if (!victim)
                    nap_us(1000);
            }
            if (!victim) {
                timeouts[i]++;
                continue;
            }
            double t0 = now_us();
            if (kill(victim, SIGKILL) == -1) {
                perror("bench_restart: kill");
                continue;
            }
            last[i] = t0;
            int found = 0;
            double t1 = t0;
            if (cs != -1) {
                t1 = connector_wait(cs, par[i], t0, timeout);
                found = t1 >= 0;
                if (!found)
                    t1 = now_us();
            }
            while (cs == -1 && !found) {
                int m = proc_children(par[i], cur, 0, MAXKIDS);
                t1 = now_us();
                for (int k = 0; k < m && !found; k++) {
                    int old = 0;
                    for (int j = 0; j < n && !old; j++)
                        old = cur[k] == snap[j];
                    found = !old;
                }
                if (t1 - t0 > timeout)
                    break;
                if (!found)
                    nap_us(20);
            }
            if (verbose)
                fprintf(stderr, "bench_restart: parent %d victim %d: %.1f us%s\n",
                        (int)par[i], (int)victim, t1 - t0, found ? "" : " (timeout)");
            if (found)
                lat[i * rounds + nlat[i]++] = t1 - t0;
            else
                timeouts[i]++;
        }
    for (int i = 0; i < npar; i++) {
        double *v = lat + i * rounds;
        int n = nlat[i];
        if (n == 0) {
            printf("-1 -1 -1 %d %s\n", timeouts[i], cs != -1 ? "connector" : "poll");
            continue;
        }
        qsort(v, (size_t)n, sizeof *v, cmp);
        double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        printf("%.1f %.1f %.1f %d %s\n", med, v[0], v[n - 1], timeouts[i],
               cs != -1 ? "connector" : "poll");
    }
    free(lat);
    return 0;
}
