/* tendctl.c - the control client: one request to tend's FIFO, one reply.
 *
 * Order of a request, chosen so that no answer is ever lost:
 *   1. make a private reply FIFO in a fresh 0700 folder and open it
 *      read-only non-blocking: from now on tend's O_WRONLY|O_NONBLOCK open
 *      of it succeeds, however fast tend is;
 *   2. write the request line with one write() (<= PIPE_BUF: atomic);
 *   3. learn that tend picked it up: data in the FIFO, or, for answers
 *      that take time (start, wait), a blocking open() of the same FIFO,
 *      which returns as soon as tend holds the write end (it is
 *      interrupted by SIGALRM now and then, to notice a reply tend already
 *      finished and closed; and by the timeout: exit 4);
 *   4. read until the final `ok` / `error:` line; EOF before it: exit 4.
 * The folder is removed on every exit path, signals included.
 *
 * Exit: 0 ok, 1 tend answered error, 2 usage, 3 status not running,
 * 4 tend unreachable.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../conf/conf.h"
#include "request.h"

enum { EX_OK = 0, EX_ERROR = 1, EX_USAGE = 2, EX_NOTRUNNING = 3, EX_UNREACHABLE = 4 };

#define PICKUP_STEP_MS 50      /* re-check for an already finished reply */

static char tmpdir[PATH_MAX];
static char replypath[PATH_MAX];
static volatile sig_atomic_t alarmed;
static volatile sig_atomic_t following;   /* tail -f: a signal ends it cleanly */

static void cleanup(void)
{
    if (replypath[0])
        unlink(replypath);
    if (tmpdir[0])
        rmdir(tmpdir);
    replypath[0] = tmpdir[0] = '\0';
}

static void on_fatal_signal(int sig)
{
    /* async-signal-safe: unlink, rmdir, _exit */
    if (replypath[0])
        unlink(replypath);
    if (tmpdir[0])
        rmdir(tmpdir);
    _exit(following ? EX_OK : 128 + sig);
}

static void on_alarm(int sig) { alarmed = 1; }

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("tendctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cleanup();
    exit(code);
}

static void usage(FILE *out)
{
    fputs("usage: tendctl [-c FILE | -s CONTROL] [-t SECONDS] VERB [ARG...]\n"
          "verbs:\n"
          "  status [-l] [--json] [NAME...]  show processes (exit 3 if one is not running);\n"
          "                                -l: with cpu, rss and procs\n"
          "  metrics                       every figure, Prometheus text format\n"
          "  start|stop|restart NAME...|all\n"
          "  signal SIG NAME...|all\n"
          "  pid [NAME...]                 tend's pid, or the processes'\n"
          "  wait NAME STATE               until NAME is in STATE (-t, default 10 s)\n"
          "  tail [-f] [-n N] NAME [stdout|stderr]\n"
          "  reload | reopen | shutdown | version\n"
          "NAME: name, group:name, group:*, all.  FIFO: -s, else -c FILE's control,\n"
          "else $TEND_CONTROL, else $TEND_CONFIG's, else /etc/tend.ini's.\n"
          "exit: 0 ok, 1 error from tend, 2 usage, 3 not running, 4 tend unreachable\n",
          out);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Remaining ms until DEADLINE (0 = none: -1 for poll). */
static int remaining(uint64_t deadline)
{
    if (!deadline)
        return -1;
    uint64_t now = now_ms();
    if (now >= deadline)
        return 0;
    uint64_t left = deadline - now;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* ---- finding the FIFO ---- */

static char *control_from_config(const char *path, bool explicit)
{
    struct conf_diags d = { 0 };
    struct tend_config *cfg = NULL;
    struct stat st;
    if (!explicit && stat(path, &st) < 0 && errno == ENOENT)
        cfg = conf_default(&d);   /* tend without a config uses the defaults too */
    else
        cfg = conf_load(path, &d);
    if (!cfg) {
        conf_diags_print(&d, stderr);
        conf_diags_free(&d);
        die(EX_USAGE, "cannot read configuration %s", path);
    }
    char *control = strdup(cfg->control);
    conf_free(cfg);
    conf_diags_free(&d);
    if (!control)
        die(EX_ERROR, "out of memory");
    return control;
}

static char *find_control(const char *opt_s, const char *opt_c)
{
    if (opt_s)
        return strdup(opt_s);
    if (opt_c)
        return control_from_config(opt_c, true);
    const char *e = getenv("TEND_CONTROL");
    if (e && *e)
        return strdup(e);
    e = getenv("TEND_CONFIG");
    if (e && *e)
        return control_from_config(e, true);
    return control_from_config("/etc/tend.ini", false);
}

/* ---- one request ---- */

struct reply {
    char **lines;
    size_t n, cap;
    int final;          /* 1 ok, -1 error */
    char *errmsg;       /* the final error line */
};

static void reply_add(struct reply *r, const char *line)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->lines = realloc(r->lines, r->cap * sizeof *r->lines);
        if (!r->lines)
            die(EX_ERROR, "out of memory");
    }
    if (!(r->lines[r->n++] = strdup(line)))
        die(EX_ERROR, "out of memory");
}

static void reply_free(struct reply *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->lines[i]);
    free(r->lines);
    free(r->errmsg);
    *r = (struct reply){ 0 };
}

typedef void (*line_cb)(const char *line, void *arg);

/* Make the private reply FIFO (tmpdir/reply, in a fresh 0700 folder):
 * $TMPDIR, else a memory file system when there is one, since a FIFO and
 * its folder are made and removed on every call, cheaply there. */
static void make_reply_fifo(void)
{
    const char *base = getenv("TMPDIR");
    struct stat bst;
    if (!base || base[0] != '/') {
        base = getenv("XDG_RUNTIME_DIR");
        if (!base || base[0] != '/' || access(base, W_OK | X_OK) != 0)
            base = NULL;
    }
    if (!base && stat("/dev/shm", &bst) == 0 && S_ISDIR(bst.st_mode)
        && (bst.st_mode & S_ISVTX) && access("/dev/shm", W_OK | X_OK) == 0)
        base = "/dev/shm";
    if (!base)
        base = "/tmp";
    static const char tmpl[] = "tendctl.XXXXXX"; /* mkdtemp(3)'s template */
    if ((size_t)snprintf(tmpdir, sizeof tmpdir, "%s/%s", base, tmpl) >= sizeof tmpdir)
        snprintf(tmpdir, sizeof tmpdir, "/tmp/%s", tmpl);
    if (!mkdtemp(tmpdir)) {
        tmpdir[0] = '\0';
        die(EX_ERROR, "cannot make a temporary folder in %s: %s", base, strerror(errno));
    }
    if ((size_t)snprintf(replypath, sizeof replypath, "%.*s/reply", PATH_MAX - 8, tmpdir)
        >= sizeof replypath)
        die(EX_ERROR, "temporary folder name too long");
    if (mkfifo(replypath, 0600) < 0) {
        int e = errno;
        replypath[0] = '\0';
        die(EX_ERROR, "mkfifo %s/reply: %s", tmpdir, strerror(e));
    }
    /* World-writable, yet private: only we can reach it through the 0700
     * folder. tend answers into a FIFO of root's or its own user's, when
     * everyone may send it requests, only if anyone could write into it
     * anyway (doc/security.md, the owner rule), so root's tendctl works
     * with control_mode = 0622 too. */
    if (chmod(replypath, 0622) < 0)
        die(EX_ERROR, "chmod %s: %s", replypath, strerror(errno));
}

/* Format the request into LINE, checked by the grammar tend uses. Its length. */
static int format_request(char *line, size_t size, const char *verb, char *argv[], int argc)
{
    int len = request_format(line, size, replypath, verb, argv, argc);
    if (len < 0) {
        if (errno == E2BIG)
            die(EX_USAGE, "request longer than %d bytes", REQ_MAX);
        die(EX_USAGE, "arguments must be non-empty words without blanks");
    }
    static struct request req;
    char err[512];
    if (request_parse(line, (size_t)len - 1, &req, err, sizeof err) != 0) {
        fprintf(stderr, "tendctl: %s\n", err);
        cleanup();
        exit(EX_USAGE);
    }
    return len;
}

/* Send LINE-forming VERB ARGV to CONTROL and collect the reply. PICKUP_MS
 * bounds the time until tend takes the request; TOTAL_MS (0 = none) the
 * whole exchange. Each text line goes to CB as it arrives (NULL: kept in R). */
static void request(const char *control, const char *verb, char *argv[], int argc,
                    uint64_t pickup_ms, uint64_t total_ms, struct reply *r, line_cb cb,
                    void *cbarg)
{
    char line[REQ_MAX + 2];
    uint64_t start = now_ms();
    uint64_t pickup_deadline = start + pickup_ms;
    uint64_t deadline = total_ms ? start + total_ms : 0;

    make_reply_fifo();
    int len = format_request(line, sizeof line, verb, argv, argc);

    /* (1) a reader exists before tend can look for one */
    int rfd = open(replypath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (rfd < 0)
        die(EX_ERROR, "open %s: %s", replypath, strerror(errno));

    int cfd = open(control, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (cfd < 0) {
        if (errno == ENOENT)
            die(EX_UNREACHABLE, "no control FIFO at %s (is tend running?)", control);
        if (errno == ENXIO)
            die(EX_UNREACHABLE, "tend is not running (nobody reads %s)", control);
        die(EX_UNREACHABLE, "cannot open %s: %s", control, strerror(errno));
    }
    struct stat st;
    if (fstat(cfd, &st) < 0 || !S_ISFIFO(st.st_mode))
        die(EX_UNREACHABLE, "%s is not a FIFO", control);
    /* (2) one write: atomic, never interleaved with another client's */
    ssize_t w;
    do
        w = write(cfd, line, (size_t)len);
    while (w < 0 && errno == EINTR);
    if (w < 0 && errno == EAGAIN)
        die(EX_UNREACHABLE, "tend is not reading %s (its pipe is full)", control);
    if (w < 0 && errno == EPIPE)
        die(EX_UNREACHABLE, "tend is not running (nobody reads %s)", control);
    if (w != len)
        die(EX_UNREACHABLE, "write %s: %s", control, w < 0 ? strerror(errno) : "short write");
    close(cfd);

    /* (3) wait until tend holds the reply open (or already wrote and left) */
    struct sigaction sa = { .sa_handler = on_alarm };   /* no SA_RESTART: open gets EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    for (;;) {
        int left = remaining(pickup_deadline);
        if (deadline && remaining(deadline) < left)
            left = remaining(deadline);
        int step = left < PICKUP_STEP_MS ? left : PICKUP_STEP_MS;
        /* Most answers come at once: their data is the proof of pick-up,
         * with a single wake-up (the fast path of `tendctl status`). */
        struct pollfd pf = { .fd = rfd, .events = POLLIN };
        int pr = poll(&pf, 1, step);
        if (pr > 0)
            break;      /* data or hang-up: tend came and maybe went */
        if (pr < 0 && errno != EINTR)
            die(EX_ERROR, "poll: %s", strerror(errno));
        left = remaining(pickup_deadline);
        if (deadline && remaining(deadline) < left)
            left = remaining(deadline);
        if (left == 0)
            die(EX_UNREACHABLE, "tend did not answer within %.1f s", (double)pickup_ms / 1000);
        step = left < PICKUP_STEP_MS ? left : PICKUP_STEP_MS;
        struct itimerval it = { .it_value = { step / 1000, (step % 1000) * 1000 } };
        alarmed = 0;
        setitimer(ITIMER_REAL, &it, NULL);
        int bfd = open(replypath, O_RDONLY | O_CLOEXEC);
        int e = errno;
        struct itimerval off = { 0 };
        setitimer(ITIMER_REAL, &off, NULL);
        if (bfd >= 0) {
            close(bfd);     /* tend is a writer now; rfd keeps the pipe */
            break;
        }
        if (e != EINTR)
            die(EX_ERROR, "open %s: %s", replypath, strerror(e));
    }
    /* tend has its end open: the name is no longer needed */
    cleanup();

    /* (4) read to the final line */
    char buf[65536];
    char *acc = NULL;
    size_t acclen = 0, acccap = 0;
    for (;;) {
        int left = remaining(deadline);
        if (left == 0)
            die(EX_UNREACHABLE, "no complete answer from tend within %.1f s",
                (double)total_ms / 1000);
        struct pollfd pf = { .fd = rfd, .events = POLLIN };
        int pr = poll(&pf, 1, left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            die(EX_ERROR, "poll: %s", strerror(errno));
        if (pr == 0)
            continue;
        ssize_t n = read(rfd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            die(EX_UNREACHABLE, "reading the reply: %s", strerror(errno));
        if (n == 0)
            die(EX_UNREACHABLE, "tend closed the reply without finishing it (did it exit?)");
        if (acclen + (size_t)n + 1 > acccap) {
            while (acclen + (size_t)n + 1 > acccap)
                acccap = acccap ? acccap * 2 : 65536;
            acc = realloc(acc, acccap);
            if (!acc)
                die(EX_ERROR, "out of memory");
        }
        memcpy(acc + acclen, buf, (size_t)n);
        acclen += (size_t)n;
        size_t startl = 0;
        for (size_t i = 0; i < acclen; i++) {
            if (acc[i] != '\n')
                continue;
            acc[i] = '\0';
            const char *l = acc + startl;
            startl = i + 1;
            int f = reply_final(l);
            if (f != 0) {
                r->final = f;
                if (f < 0 && !(r->errmsg = strdup(l)))
                    die(EX_ERROR, "out of memory");
                close(rfd);
                free(acc);
                return;
            }
            if (cb)
                cb(l, cbarg);
            else
                reply_add(r, l);
        }
        memmove(acc, acc + startl, acclen - startl);
        acclen -= startl;
    }
}

static void print_line(const char *line, void *arg)
{
    puts(line);
    fflush(stdout);     /* progress of start/stop shows as it happens */
}

static int finish(struct reply *r, int okcode)
{
    if (r->final < 0) {
        fflush(stdout);
        fprintf(stderr, "%s\n", r->errmsg);
        return EX_ERROR;
    }
    return okcode;
}

/* ---- verbs done here ---- */

static int cmd_status(const char *control, int argc, char **argv, uint64_t tmo)
{
    bool json = false, lng = false;
    char *names[REQ_MAXARGS + 2];
    int n = 0;
    names[n++] = "-j";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
            json = true;
        else if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--long") == 0)
            lng = true;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "tendctl: status: unknown option %s\n", argv[i]);
            return EX_USAGE;
        } else if (n < REQ_MAXARGS)
            names[n++] = argv[i];
        else {
            fprintf(stderr, "tendctl: too many names\n");
            return EX_USAGE;
        }
    }
    if (json || lng)
        names[0] = "-jl";   /* usage figures cost a pass over /proc: only when shown */
    struct reply r = { 0 };
    request(control, "status", names, n, tmo, tmo, &r, NULL, NULL);
    struct status_rec *recs = calloc(r.n + 1, sizeof *recs);
    bool *isrec = calloc(r.n + 1, sizeof *isrec);
    if (!recs || !isrec)
        die(EX_ERROR, "out of memory");
    size_t longest = 0;
    bool all_fine = true;
    for (size_t i = 0; i < r.n; i++) {
        isrec[i] = status_rec_parse(r.lines[i], &recs[i]) == 0;
        if (isrec[i]) {
            if (strlen(recs[i].name) > longest)
                longest = strlen(recs[i].name);
            if (!recs[i].fine)
                all_fine = false;
        }
    }
    int width = status_name_width(longest);
    if (json)
        fputs("[", stdout);
    bool first = true;
    for (size_t i = 0; i < r.n; i++) {
        char out[8192];
        if (!isrec[i]) {
            if (!json)
                puts(r.lines[i]);
            continue;
        }
        if (json) {
            out[0] = '\0';
            if (status_rec_json(out, sizeof out, &recs[i]) >= 0)
                printf("%s\n  %s", first ? "" : ",", out);
            first = false;
        } else if (status_rec_text(out, sizeof out, &recs[i], width) >= 0) {
            char extra[128] = "";
            if (lng)
                status_rec_usage_text(extra, sizeof extra, &recs[i]);
            printf("%s%s\n", out, extra);
        }
    }
    if (json)
        fputs(first ? "]\n" : "\n]\n", stdout);
    free(recs);
    free(isrec);
    int rc = finish(&r, all_fine ? EX_OK : EX_NOTRUNNING);
    reply_free(&r);
    return rc;
}

/* Copy FD from OFF to END (-1: to its end, growing or not) to stdout.
 * Returns the offset reached. */
static off_t copy_out(int fd, off_t off, off_t end)
{
    char buf[65536];
    while (end < 0 || off < end) {
        size_t want = end < 0 || end - off > (off_t)sizeof buf ? sizeof buf : (size_t)(end - off);
        ssize_t n = pread(fd, buf, want, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
        off += n;
    }
    fflush(stdout);
    return off;
}

/* Print the last N lines of FD from its current size; returns the offset read to. */
static off_t tail_last(int fd, long nlines)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return 0;
    off_t end = st.st_size, pos = end;
    long seen = 0;
    char buf[8192];
    /* walk back block by block until N+1 newlines (the last may end the file) */
    while (pos > 0 && nlines > 0) {
        size_t chunk = pos > (off_t)sizeof buf ? sizeof buf : (size_t)pos;
        pos -= (off_t)chunk;
        ssize_t n = pread(fd, buf, chunk, pos);
        if (n <= 0)
            break;
        bool found = false;
        for (ssize_t i = n - 1; i >= 0; i--) {
            if (buf[i] == '\n' && !(pos + i == end - 1)) {
                if (++seen == nlines) {
                    pos += i + 1;
                    found = true;
                    break;
                }
            }
        }
        if (found)
            break;
    }
    return copy_out(fd, nlines == 0 ? end : pos, end);
}

/* Copy from OFF to the end of FD; handle truncation. Returns the new offset. */
static off_t tail_more(int fd, off_t off)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size < off)
        off = 0;    /* truncated (copytruncate rotation) */
    return copy_out(fd, off, -1);
}

static int cmd_tail(const char *control, int argc, char **argv, uint64_t tmo)
{
    bool follow = false;
    long nlines = 10;
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "-f") == 0)
            follow = true;
        else if (strcmp(argv[i], "-n") == 0 || strncmp(argv[i], "-n", 2) == 0) {
            const char *v = argv[i][2] ? argv[i] + 2 : (i + 1 < argc ? argv[++i] : NULL);
            char *end;
            errno = 0;
            nlines = v ? strtol(v, &end, 10) : -1;
            if (!v || errno || end == v || *end || nlines < 0 || nlines > 100000000) {
                fprintf(stderr, "tendctl: tail: -n needs a number of lines\n");
                return EX_USAGE;
            }
        } else {
            fprintf(stderr, "tendctl: tail: unknown option %s\n", argv[i]);
            return EX_USAGE;
        }
    }
    if (argc - i < 1 || argc - i > 2) {
        fprintf(stderr, "usage: tendctl tail [-f] [-n N] NAME [stdout|stderr]\n");
        return EX_USAGE;
    }
    struct reply r = { 0 };
    request(control, "logfile", argv + i, argc - i, tmo, tmo, &r, NULL, NULL);
    if (r.final < 0) {
        int rc = finish(&r, EX_OK);
        reply_free(&r);
        return rc;
    }
    if (r.n != 1 || r.lines[0][0] != '/')
        die(EX_ERROR, "unexpected answer from tend to logfile");
    const char *path = r.lines[0];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && !(follow && errno == ENOENT))
        die(EX_ERROR, "cannot open %s: %s", path, strerror(errno));
    off_t off = fd >= 0 ? tail_last(fd, nlines) : 0;
    if (!follow) {
        if (fd >= 0)
            close(fd);
        reply_free(&r);
        return EX_OK;
    }

    following = 1;
    int in = inotify_init1(IN_CLOEXEC);
    if (in < 0)
        die(EX_ERROR, "inotify: %s", strerror(errno));
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    const char *base = strrchr(path, '/') + 1;
    /* the folder tells us when the name comes back after a rotation */
    if (inotify_add_watch(in, dir, IN_CREATE | IN_MOVED_TO) < 0)
        die(EX_ERROR, "inotify %s: %s", dir, strerror(errno));
    int wd = fd >= 0 ? inotify_add_watch(in, path, IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF
                                         | IN_DELETE_SELF) : -1;
    char ev[8192] __attribute__((aligned(8)));
    for (;;) {
        ssize_t n = read(in, ev, sizeof ev);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die(EX_ERROR, "inotify read: %s", n < 0 ? strerror(errno) : "EOF");
        bool reopen = false, more = false;
        for (char *p = ev; p < ev + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            if (e->wd == wd && (e->mask & (IN_MOVE_SELF | IN_DELETE_SELF)))
                more = true;     /* drain what was written before the rename */
            else if (e->wd == wd)
                more = true;
            else if (e->len && strcmp(e->name, base) == 0)
                reopen = true;
            p += sizeof *e + e->len;
        }
        if (more && fd >= 0)
            off = tail_more(fd, off);
        if (reopen) {
            int nfd = open(path, O_RDONLY | O_CLOEXEC);
            if (nfd >= 0) {
                if (fd >= 0) {
                    off = tail_more(fd, off);   /* the rest of the old file */
                    close(fd);
                    if (wd >= 0)
                        inotify_rm_watch(in, wd);
                }
                fd = nfd;
                wd = inotify_add_watch(in, path, IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF
                                       | IN_DELETE_SELF);
                off = tail_more(fd, 0);
            }
        }
    }
}

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0 && v <= 31536000))
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "control", required_argument, NULL, 's' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *opt_c = NULL, *opt_s = NULL;
    double tsecs = 10;
    bool t_given = false;
    int o;
    while ((o = getopt_long(argc, argv, "+c:s:t:hV", longopts, NULL)) != -1) {
        switch (o) {
        case 'c': opt_c = optarg; break;
        case 's': opt_s = optarg; break;
        case 't':
            if (!parse_seconds(optarg, &tsecs)) {
                fprintf(stderr, "tendctl: -t needs a number of seconds > 0\n");
                return EX_USAGE;
            }
            t_given = true;
            break;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("tendctl %s\n", TEND_VERSION); return EX_OK;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (opt_c && opt_s) {
        fprintf(stderr, "tendctl: -c and -s exclude each other\n");
        return EX_USAGE;
    }
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    const char *verb = argv[optind];
    char **args = argv + optind + 1;
    int nargs = argc - optind - 1;
    if (strcmp(verb, "help") == 0) {
        usage(stdout);
        return EX_OK;
    }
    if (strcmp(verb, "tail") != 0 && strcmp(verb, "status") != 0 && request_verb(verb) < 0) {
        fprintf(stderr, "tendctl: unknown verb '%s'\n", verb);
        usage(stderr);
        return EX_USAGE;
    }

    /* leave no FIFO behind, whatever ends us */
    struct sigaction sa = { .sa_handler = on_fatal_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);   /* EPIPE instead: we clean up and say so */

    uint64_t tmo = (uint64_t)(tsecs * 1000 + 0.5);
    char *control = find_control(opt_s, opt_c);

    int rc;
    if (strcmp(verb, "status") == 0) {
        rc = cmd_status(control, nargs, args, tmo);
    } else if (strcmp(verb, "tail") == 0) {
        rc = cmd_tail(control, nargs, args, tmo);
    } else if (strcmp(verb, "wait") == 0) {
        if (nargs != 2) {
            fprintf(stderr, "usage: tendctl [-t SECONDS] wait NAME STATE\n");
            free(control);
            return EX_USAGE;
        }
        char secs[32];
        snprintf(secs, sizeof secs, "%.3f", tsecs);
        char *wargs[3] = { args[0], args[1], secs };
        struct reply r = { 0 };
        /* tend times the wait; we allow a little more to hear its verdict */
        request(control, "wait", wargs, 3, tmo, tmo + 2000, &r, print_line, NULL);
        rc = finish(&r, EX_OK);
        reply_free(&r);
    } else {
        int v = request_verb(verb);
        bool waits = v == VERB_START || v == VERB_STOP || v == VERB_RESTART;
        struct reply r = { 0 };
        /* start/stop/restart: tend answers once startsecs/stopwaitsecs decided */
        request(control, verb, args, nargs, tmo, waits && !t_given ? 0 : tmo, &r, print_line,
                NULL);
        rc = finish(&r, EX_OK);
        reply_free(&r);
    }
    free(control);
    if (fflush(stdout) != 0 && rc == EX_OK)
        rc = EX_ERROR;
    cleanup();
    return rc;
}
