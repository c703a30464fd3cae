/* commcap.c - see commcap.h. */
#include "commcap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t len, cap;
};

struct commcap {
    uint64_t maxbytes;
    bool capturing;
    struct buf in;       /* a kept-back token start, then the chunk */
    struct buf out;      /* log bytes not yet handed back (no room) */
    struct buf cap;      /* the capture so far */
};

static bool buf_reserve(struct buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return true;
    size_t want = b->len + more;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < want)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np)
        return false;
    b->p = np;
    b->cap = nc;
    return true;
}

static bool buf_add(struct buf *b, const char *s, size_t n)
{
    if (!n)
        return true;
    if (!buf_reserve(b, n))
        return false;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

struct commcap *commcap_new(uint64_t maxbytes)
{
    struct commcap *cc = calloc(1, sizeof *cc);
    if (cc)
        cc->maxbytes = maxbytes;
    return cc;
}

void commcap_free(struct commcap *cc)
{
    if (!cc)
        return;
    free(cc->in.p);
    free(cc->out.p);
    free(cc->cap.p);
    free(cc);
}

/* The longest end of S[0..N) that begins TOKEN (shorter than TOKEN). */
static size_t prefix_at_end(const char *s, size_t n, const char *token, size_t tl)
{
    for (size_t k = tl - 1 < n ? tl - 1 : n; k > 0; k--)
        if (!memcmp(s + n - k, token, k))
            return k;
    return 0;
}

/* supervisord's BoundIO.write */
static bool bound_write(struct commcap *cc, const char *s, size_t n)
{
    struct buf *b = &cc->cap;
    if (b->len + n > cc->maxbytes && b->len) {
        size_t drop = n < b->len ? n : b->len;
        memmove(b->p, b->p + drop, b->len - drop);
        b->len -= drop;
    }
    return buf_add(b, s, n);
}

/* One piece of _log(): to the capture or to the log. */
static bool piece(struct commcap *cc, const char *s, size_t n, const struct commcap_ops *ops,
                  void *arg)
{
    if (!n)
        return true;
    if (ops->piece)
        ops->piece(arg, s, n);
    return cc->capturing ? bound_write(cc, s, n) : buf_add(&cc->out, s, n);
}

size_t commcap_feed(struct commcap *cc, char *buf, size_t n, size_t room,
                    const struct commcap_ops *ops, void *arg)
{
    if (!buf_add(&cc->in, buf, n))
        goto nomem;
    size_t pos = 0;
    for (;;) {
        const char *tok = cc->capturing ? COMMCAP_END : COMMCAP_BEGIN;
        size_t tl = strlen(tok);
        const char *hit = memmem(cc->in.p + pos, cc->in.len - pos, tok, tl);
        if (!hit) {
            size_t keep = prefix_at_end(cc->in.p + pos, cc->in.len - pos, tok, tl);
            if (!piece(cc, cc->in.p + pos, cc->in.len - pos - keep, ops, arg))
                goto nomem;
            if (keep)
                memmove(cc->in.p, cc->in.p + cc->in.len - keep, keep);
            cc->in.len = keep;
            break;
        }
        size_t at = (size_t)(hit - cc->in.p);
        if (!piece(cc, cc->in.p + pos, at - pos, ops, arg))
            goto nomem;
        if (cc->capturing) {
            if (ops->comm)
                ops->comm(arg, cc->cap.p ? cc->cap.p : "", cc->cap.len);
            cc->cap.len = 0;
        }
        cc->capturing = !cc->capturing;
        pos = at + tl;
    }
    size_t k = cc->out.len < room ? cc->out.len : room;
    if (k) {
        memcpy(buf, cc->out.p, k);
        memmove(cc->out.p, cc->out.p + k, cc->out.len - k);
        cc->out.len -= k;
    }
    return k;
nomem:
    /* what cannot be sorted goes to the log as it came */
    cc->in.len = cc->out.len = cc->cap.len = 0;
    cc->capturing = false;
    return n;
}
