/* notify.c - sd_notify readiness sockets (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

/* Linux's PID_MAX_LIMIT on 64-bit: no pid is ever larger. */
#define NOTIFY_PID_MAX 4194304L
/* SCM_MAX_FD: the most descriptors one message can carry. */
#define NOTIFY_MAX_FDS 253

struct notify {
    struct loop *loop;
    struct watch w;
    int fd;
    notify_cb cb;
    void *arg;
    char *path;                 /* file to unlink on close; NULL when abstract */
    char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
    int depth;                  /* nested dispatches in progress */
    bool dead;                  /* closed from a callback: free when depth is 0 */
};

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, int e)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a, strerror(e));
}

static bool value_is(const char *v, size_t vlen, const char *want)
{
    return vlen == strlen(want) && memcmp(v, want, vlen) == 0;
}

/* STATUS= text: at most 127 bytes, never a cut UTF-8 sequence at the end,
 * control characters replaced so the text stays one printable line. */
static void copy_status(char *dst, size_t dstsize, const char *v, size_t vlen)
{
    size_t n = vlen;
    if (n > dstsize - 1) {
        n = dstsize - 1;
        /* v[n] is the first byte left out: if it continues a multibyte
         * sequence, drop the partial sequence before it too. */
        while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[n] = '\0';
}

/* MAINPID= value: decimal digits only, 1..NOTIFY_PID_MAX. 0 if invalid. */
static pid_t parse_pid(const char *v, size_t vlen)
{
    char tmp[16];
    if (vlen == 0 || vlen >= sizeof tmp)
        return 0;
    for (size_t i = 0; i < vlen; i++)
        if (v[i] < '0' || v[i] > '9')
            return 0;
    memcpy(tmp, v, vlen);
    tmp[vlen] = '\0';
    char *end;
    errno = 0;
    long x = strtol(tmp, &end, 10);
    if (errno || *end || x < 1 || x > NOTIFY_PID_MAX)
        return 0;
    return (pid_t)x;
}

static bool parse_line(const char *s, size_t len, struct notify_msg *m)
{
    const char *eq = memchr(s, '=', len);
    if (!eq)
        return false;
    size_t klen = (size_t)(eq - s);
    const char *v = eq + 1;
    size_t vlen = len - klen - 1;

    if (value_is(s, klen, "READY")) {
        if (!value_is(v, vlen, "1"))
            return false;
        m->ready = true;
    } else if (value_is(s, klen, "STOPPING")) {
        if (!value_is(v, vlen, "1"))
            return false;
        m->stopping = true;
    } else if (value_is(s, klen, "STATUS")) {
        copy_status(m->status, sizeof m->status, v, vlen);
        m->has_status = true;
    } else if (value_is(s, klen, "MAINPID")) {
        pid_t pid = parse_pid(v, vlen);
        if (!pid)
            return false;
        m->mainpid = pid;
    } else {
        return false;           /* WATCHDOG=, FDSTORE=, ERRNO=...: not ours */
    }
    return true;
}

bool notify_parse(const char *buf, size_t len, struct notify_msg *m)
{
    memset(m, 0, sizeof *m);
    bool any = false;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (parse_line(p, (size_t)(le - p), m))
            any = true;
        p = nl ? nl + 1 : end;
    }
    return any;
}

/* Close every descriptor a message carried (FDSTORE is not supported), and
 * find the sender's credentials. */
static bool scan_control(struct msghdr *mh, struct ucred *cred)
{
    bool have = false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < nfd; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (fd >= 0)
                    close(fd);
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS &&
                   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            memcpy(cred, CMSG_DATA(c), sizeof *cred);
            have = true;
        }
    }
    return have;
}

/* Receive and handle one datagram. Returns false when none is left (or the
 * socket failed). */
static bool receive_one(struct notify *n)
{
    char buf[NOTIFY_MAX_DATAGRAM];
    union {
        struct cmsghdr align;
        char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_MAX_FDS)];
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = ctl.b, .msg_controllen = sizeof ctl.b,
    };
    ssize_t r;
    do {
        /* MSG_TRUNC: the real length, so an oversized datagram is seen as
         * such; MSG_CMSG_CLOEXEC: passed fds never reach a child. */
        r = recvmsg(n->fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            log_warn("notify %s: recvmsg: %s", n->address, strerror(errno));
        return false;
    }

    struct ucred cred = { 0 };
    bool have_cred = scan_control(&mh, &cred);

    if ((size_t)r > sizeof buf || (mh.msg_flags & MSG_TRUNC)) {
        log_debug("notify %s: dropped a datagram of %zd bytes (max %d)", n->address, r,
                  NOTIFY_MAX_DATAGRAM);
        return true;
    }
    if (mh.msg_flags & MSG_CTRUNC)
        log_debug("notify %s: control data truncated", n->address);
    if (!have_cred || cred.pid <= 0) {
        log_debug("notify %s: dropped a datagram without sender credentials", n->address);
        return true;
    }
    struct notify_msg m;
    if (!notify_parse(buf, (size_t)r, &m))
        return true;
    n->cb(n->arg, cred.pid, &m);
    return true;
}

static void dispatch(struct notify *n, int max)
{
    n->depth++;
    for (int i = 0; i < max && !n->dead; i++)
        if (!receive_one(n))
            break;
    if (--n->depth == 0 && n->dead)
        free(n);
}

static void on_readable(struct loop *l, struct watch *w, uint32_t events)
{
    (void)l;
    (void)events;
    dispatch(w->arg, NOTIFY_BURST);
}

void notify_drain(struct notify *n)
{
    /* The queue is bounded by the kernel; the cap only guards a sender that
     * keeps writing while we read. */
    if (n && !n->dead)
        dispatch(n, 16 * NOTIFY_BURST);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Fill ADDR for PATH, or for the abstract fallback. Sets n->address and
 * returns the address length to bind with. */
static socklen_t make_address(struct notify *n, const char *path, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    size_t cap = sizeof addr->sun_path;
    if (path[0] == '@') {
        /* Asked for an abstract name: no file, no permissions to manage. */
        int len = snprintf(n->address, sizeof n->address, "%s", path);
        if (len < 0 || (size_t)len > cap)
            len = snprintf(n->address, sizeof n->address, "@tend/%ld/%016" PRIx64,
                           (long)getpid(), fnv1a(path));
        memcpy(addr->sun_path + 1, n->address + 1, (size_t)len - 1);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)len);
    }
    if (strlen(path) < cap) {
        memcpy(addr->sun_path, path, strlen(path) + 1);
        snprintf(n->address, sizeof n->address, "%s", path);
        return (socklen_t)sizeof *addr;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* The abstract name follows a leading NUL: cap - 1 bytes, no terminator. */
    int len = snprintf(n->address, sizeof n->address, "@tend/%ld/%s", (long)getpid(), base);
    if (len < 0 || (size_t)len > cap)
        len = snprintf(n->address, sizeof n->address, "@tend/%ld/%016" PRIx64,
                       (long)getpid(), fnv1a(path));
    memcpy(addr->sun_path + 1, n->address + 1, (size_t)len - 1);
    /* sd_notify clients connect with exactly the name's length: bind so. */
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)len);
}

/* Remove a socket left by an earlier run; refuse to remove anything else. */
static int remove_stale(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        set_err(err, errlen, "%s: %s", path, errno);
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: exists and is not a socket", path);
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        set_err(err, errlen, "%s: cannot remove the old socket: %s", path, errno);
        return -1;
    }
    return 0;
}

struct notify *notify_open(struct loop *l, const char *path, notify_cb cb, void *arg,
                           char *err, size_t errlen)
{
    struct notify *n = calloc(1, sizeof *n);
    if (!n) {
        set_err(err, errlen, "%s: %s", path, ENOMEM);
        return NULL;
    }
    n->loop = l;
    n->cb = cb;
    n->arg = arg;
    n->fd = -1;

    struct sockaddr_un addr;
    socklen_t alen = make_address(n, path, &addr);
    bool abstract = n->address[0] == '@';
    if (!abstract) {
        n->path = strdup(path);
        if (!n->path) {
            set_err(err, errlen, "%s: %s", path, ENOMEM);
            goto fail;
        }
        if (remove_stale(path, err, errlen) < 0)
            goto fail;
    }

    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (n->fd < 0) {
        set_err(err, errlen, "%s: socket: %s", path, errno);
        goto fail;
    }
    int one = 1;
    if (setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        set_err(err, errlen, "%s: SO_PASSCRED: %s", path, errno);
        goto fail;
    }
    if (bind(n->fd, (struct sockaddr *)&addr, alen) < 0) {
        set_err(err, errlen, "%s: bind: %s", n->address, errno);
        goto fail;
    }
    if (watch_add(l, &n->w, n->fd, EPOLLIN, on_readable, n) < 0) {
        set_err(err, errlen, "%s: epoll: %s", n->address, errno);
        if (n->path)
            unlink(n->path);
        goto fail;
    }
    if (abstract)
        log_debug("notify: %s does not fit a socket address, using %s", path, n->address);
    return n;

fail:
    if (n->fd >= 0)
        close(n->fd);
    free(n->path);
    free(n);
    return NULL;
}

const char *notify_address(const struct notify *n)
{
    return n->address;
}

void notify_close(struct notify *n)
{
    if (!n || n->dead)
        return;
    watch_del(n->loop, &n->w);
    close(n->fd);
    n->fd = -1;
    if (n->path && unlink(n->path) < 0 && errno != ENOENT)
        log_warn("notify: cannot remove %s: %s", n->path, strerror(errno));
    free(n->path);
    n->path = NULL;
    n->dead = true;
    if (n->depth == 0)
        free(n);
}
