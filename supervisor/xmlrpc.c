/* xmlrpc.c - XML-RPC decoding with libexpat, and encoding (see xmlrpc.h). */
#include "xmlrpc.h"

#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ---- values ---- */

void xv_clear(struct xv *v)
{
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        if (v->items)
            xv_clear(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

void xcall_free(struct xcall *c)
{
    free(c->method);
    for (size_t i = 0; i < c->nparams; i++)
        xv_clear(&c->params[i]);
    free(c->params);
    memset(c, 0, sizeof *c);
}

const char *xv_type_name(enum xv_type t)
{
    static const char *const names[] = {"nil", "int", "boolean", "double", "string", "base64",
                                        "dateTime.iso8601", "array", "struct"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const struct xv *xv_member(const struct xv *v, const char *name)
{
    if (v->type != XV_STRUCT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->keys[i], name))
            return &v->items[i];
    return NULL;
}

/* ---- decoding ---- */

enum el { E_NONE, E_METHODCALL, E_METHODNAME, E_PARAMS, E_PARAM, E_VALUE, E_TYPE, E_ARRAY,
          E_DATA, E_STRUCT, E_MEMBER, E_NAME };

struct frame {
    struct xv v;
    bool typed;
    char *key;                  /* struct frames: the name of the member being read */
    size_t cap;                 /* of v.items (and v.keys) */
};

struct dec {
    XML_Parser xp;
    struct xcall *call;
    size_t pcap;
    enum el els[XMLRPC_MAX_DEPTH * 3 + 8];   /* each value level: value, array, data */
    int depth;
    struct frame frames[XMLRPC_MAX_DEPTH + 1];
    int nframes;
    char *text;
    size_t tlen, tcap;
    size_t nvalues;
    bool seen_root;
    bool failed;
    char *err;
    size_t errlen;
};

static void fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct dec *d, const char *fmt, ...)
{
    if (d->failed)
        return;
    d->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, d->errlen, fmt, ap);
    va_end(ap);
    XML_StopParser(d->xp, XML_FALSE);
}

static enum xv_type type_of(const char *n)
{
    if (!strcmp(n, "int") || !strcmp(n, "i4") || !strcmp(n, "i8")) return XV_INT;
    if (!strcmp(n, "boolean")) return XV_BOOL;
    if (!strcmp(n, "string")) return XV_STRING;
    if (!strcmp(n, "double")) return XV_DOUBLE;
    if (!strcmp(n, "dateTime.iso8601")) return XV_DATETIME;
    if (!strcmp(n, "base64")) return XV_BASE64;
    if (!strcmp(n, "nil")) return XV_NIL;
    return (enum xv_type)-1;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct dec *d = ud;
    if (d->failed)
        return;
    enum el parent = d->depth ? d->els[d->depth - 1] : E_NONE;
    enum el e;
    if (d->depth >= XMLRPC_MAX_DEPTH * 3 + 8) {
        fail(d, "nested too deeply");
        return;
    }
    if (parent == E_NONE) {
        if (strcmp(name, "methodCall") || d->seen_root) {
            fail(d, "expected <methodCall>, found <%.40s>", name);
            return;
        }
        d->seen_root = true;
        e = E_METHODCALL;
    } else if (parent == E_METHODCALL && !strcmp(name, "methodName")) {
        e = E_METHODNAME;
        d->tlen = 0;
    } else if (parent == E_METHODCALL && !strcmp(name, "params")) {
        e = E_PARAMS;
    } else if (parent == E_PARAMS && !strcmp(name, "param")) {
        e = E_PARAM;
    } else if ((parent == E_PARAM || parent == E_DATA || parent == E_MEMBER) &&
               !strcmp(name, "value")) {
        if (parent == E_MEMBER && (d->nframes == 0 || !d->frames[d->nframes - 1].key)) {
            fail(d, "<member> without <name> before its <value>");
            return;
        }
        if (d->nframes > XMLRPC_MAX_DEPTH) {
            fail(d, "values nested too deeply");
            return;
        }
        if (++d->nvalues > XMLRPC_MAX_VALUES) {
            fail(d, "too many values");
            return;
        }
        struct frame *f = &d->frames[d->nframes++];
        memset(f, 0, sizeof *f);
        f->v.type = XV_STRING;
        d->tlen = 0;
        e = E_VALUE;
    } else if (parent == E_VALUE && type_of(name) != (enum xv_type)-1) {
        struct frame *f = &d->frames[d->nframes - 1];
        if (f->typed) {
            fail(d, "a <value> holds one type");
            return;
        }
        f->typed = true;
        f->v.type = type_of(name);
        d->tlen = 0;
        e = E_TYPE;
    } else if (parent == E_VALUE && (!strcmp(name, "array") || !strcmp(name, "struct"))) {
        struct frame *f = &d->frames[d->nframes - 1];
        if (f->typed) {
            fail(d, "a <value> holds one type");
            return;
        }
        f->typed = true;
        f->v.type = name[0] == 'a' ? XV_ARRAY : XV_STRUCT;
        e = name[0] == 'a' ? E_ARRAY : E_STRUCT;
    } else if (parent == E_ARRAY && !strcmp(name, "data")) {
        e = E_DATA;
    } else if (parent == E_STRUCT && !strcmp(name, "member")) {
        struct frame *f = &d->frames[d->nframes - 1];
        free(f->key);
        f->key = NULL;
        e = E_MEMBER;
    } else if (parent == E_MEMBER && !strcmp(name, "name")) {
        d->tlen = 0;
        e = E_NAME;
    } else {
        fail(d, "unexpected <%.40s>", name);
        return;
    }
    if (attrs && attrs[0]) {
        fail(d, "<%.40s> has attributes", name);
        return;
    }
    d->els[d->depth++] = e;
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    struct dec *d = ud;
    if (d->failed || len <= 0)
        return;
    if (d->tlen + (size_t)len + 1 > d->tcap) {
        size_t ncap = d->tcap ? d->tcap : 256;
        while (ncap < d->tlen + (size_t)len + 1)
            ncap *= 2;
        char *n = realloc(d->text, ncap);
        if (!n) {
            fail(d, "out of memory");
            return;
        }
        d->text = n;
        d->tcap = ncap;
    }
    memcpy(d->text + d->tlen, s, (size_t)len);
    d->tlen += (size_t)len;
}

static char *text_dup(struct dec *d)
{
    char *s = malloc(d->tlen + 1);
    if (!s) {
        fail(d, "out of memory");
        return NULL;
    }
    if (d->tlen)
        memcpy(s, d->text, d->tlen);
    s[d->tlen] = '\0';
    return s;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* Convert the text of a typed element into F's value. */
static void finish_scalar(struct dec *d, struct frame *f)
{
    char *t = text_dup(d);
    if (!t)
        return;
    if (f->v.type == XV_STRING || f->v.type == XV_BASE64 || f->v.type == XV_DATETIME) {
        f->v.s = t;             /* the text as it is */
        f->v.slen = d->tlen;
        return;
    }
    /* trim blanks around numbers */
    char *s = t;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    switch (f->v.type) {
    case XV_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!*s || *end || errno)
            fail(d, "invalid int '%.40s'", s);
        f->v.i = v;
        break;
    }
    case XV_BOOL:
        if (strcmp(s, "0") && strcmp(s, "1"))
            fail(d, "invalid boolean '%.40s'", s);
        f->v.i = s[0] == '1';
        break;
    case XV_DOUBLE: {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (!*s || *end || errno || !isfinite(v))
            fail(d, "invalid double '%.40s'", s);
        f->v.d = v;
        break;
    }
    case XV_NIL:
        if (d->tlen && !blank(d->text, d->tlen))
            fail(d, "<nil> holds text");
        break;
    default:
        break;
    }
    free(t);
}

static int append(struct dec *d, struct xv **items, char ***keys, size_t *n, size_t *cap,
                  struct xv *v, char *key)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        struct xv *ni = realloc(*items, nc * sizeof **items);
        if (!ni) {
            fail(d, "out of memory");
            return -1;
        }
        *items = ni;
        if (keys) {
            char **nk = realloc(*keys, nc * sizeof **keys);
            if (!nk) {
                fail(d, "out of memory");
                return -1;
            }
            *keys = nk;
        }
        *cap = nc;
    }
    (*items)[*n] = *v;
    if (keys)
        (*keys)[*n] = key;
    (*n)++;
    return 0;
}

static void on_end(void *ud, const XML_Char *name)
{
    struct dec *d = ud;
    if (d->failed || d->depth == 0)
        return;
    enum el e = d->els[--d->depth];
    switch (e) {
    case E_METHODNAME:
        free(d->call->method);
        d->call->method = text_dup(d);
        break;
    case E_TYPE:
        finish_scalar(d, &d->frames[d->nframes - 1]);
        break;
    case E_NAME: {
        struct frame *f = &d->frames[d->nframes - 1];
        free(f->key);
        f->key = text_dup(d);
        break;
    }
    case E_VALUE: {
        struct frame *f = &d->frames[d->nframes - 1];
        if (!f->typed) {
            f->v.type = XV_STRING;
            f->v.s = text_dup(d);
            f->v.slen = d->tlen;
            if (!f->v.s)
                return;
        }
        struct xv v = f->v;
        memset(&f->v, 0, sizeof f->v);
        free(f->key);
        f->key = NULL;
        d->nframes--;
        int r;
        if (d->nframes == 0) {
            r = append(d, &d->call->params, NULL, &d->call->nparams, &d->pcap, &v, NULL);
        } else {
            struct frame *p = &d->frames[d->nframes - 1];
            if (p->v.type == XV_STRUCT) {
                char *key = p->key;
                p->key = NULL;
                r = append(d, &p->v.items, &p->v.keys, &p->v.n, &p->cap, &v, key);
                if (r < 0)
                    free(key);
            } else {
                r = append(d, &p->v.items, NULL, &p->v.n, &p->cap, &v, NULL);
            }
        }
        if (r < 0)
            xv_clear(&v);
        break;
    }
    default:
        break;
    }
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                       const XML_Char *pubid, int has_internal_subset)
{
    fail(ud, "a DOCTYPE is not allowed");
}

static void on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                      int vlen, const XML_Char *base, const XML_Char *sysid,
                      const XML_Char *pubid, const XML_Char *notation)
{
    fail(ud, "entity declarations are not allowed");
}

static XML_Parser parser;     /* kept between calls, see xmlrpc_decode_call */

/* expat salts its hash tables (against collision floods) from the kernel
 * on every parser: one getrandom per call. One secret salt for the life of
 * tend does the same job. */
static unsigned long hash_salt(void)
{
    static unsigned long salt;
    while (!salt) {
        ssize_t r = getrandom(&salt, sizeof salt, GRND_NONBLOCK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != (ssize_t)sizeof salt) {
            struct timespec ts; /* no entropy yet (early boot) */
            clock_gettime(CLOCK_MONOTONIC, &ts);
            salt = (unsigned long)ts.tv_nsec * 2654435761u ^ (unsigned long)getpid() ^
                   (unsigned long)ts.tv_sec;
        }
    }
    return salt;
}

int xmlrpc_decode_call(const char *body, size_t len, struct xcall *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > INT_MAX) {
        snprintf(err, errlen, "request too large");
        return -1;
    }
    /* One parser, reset between calls: a new one per call costs a handful
     * of allocations that musl's malloc maps and unmaps every time. */
    if (parser && XML_ParserReset(parser, "UTF-8") != XML_TRUE) {
        XML_ParserFree(parser);
        parser = NULL;
    }
    if (!parser)
        parser = XML_ParserCreate("UTF-8");
    struct dec d = {.call = out, .err = err, .errlen = errlen};
    d.xp = parser;
    if (!d.xp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    XML_SetHashSalt(d.xp, hash_salt());
    XML_SetUserData(d.xp, &d);
    XML_SetElementHandler(d.xp, on_start, on_end);
    XML_SetCharacterDataHandler(d.xp, on_text);
    XML_SetStartDoctypeDeclHandler(d.xp, on_doctype);
    XML_SetEntityDeclHandler(d.xp, on_entity);
    if (XML_Parse(d.xp, body, (int)len, XML_TRUE) == XML_STATUS_ERROR && !d.failed) {
        d.failed = true;
        snprintf(err, errlen, "XML error at line %lu: %s",
                 (unsigned long)XML_GetCurrentLineNumber(d.xp),
                 XML_ErrorString(XML_GetErrorCode(d.xp)));
    }
    if (!d.failed && !out->method) {
        d.failed = true;
        snprintf(err, errlen, "no <methodName>");
    }
    for (int i = 0; i < d.nframes; i++) {
        xv_clear(&d.frames[i].v);
        free(d.frames[i].key);
    }
    free(d.text);
    if (len > 64 * 1024) { /* it keeps a copy of the input: not of a big one */
        XML_ParserFree(parser);
        parser = NULL;
    }
    if (d.failed) {
        xcall_free(out);
        return -1;
    }
    return 0;
}

/* ---- encoding ---- */

/* musl's malloc gives a freed block of an answer's size back to the kernel
 * at once (madvise, munmap), and the next answer faults it in again: the
 * last two buffers freed (up to XB_SPARE_MAX) wait for the next answers. */
#define XB_SPARE_MAX (256 * 1024)
static struct { char *p; size_t cap; } spare[2];

/* An empty B takes the smallest spare of at least NEED bytes, if any. */
static void spare_take(struct xbuf *b, size_t need)
{
    int best = -1;
    for (int i = 0; i < 2; i++)
        if (spare[i].p && spare[i].cap >= need && (best < 0 || spare[i].cap < spare[best].cap))
            best = i;
    if (best < 0)
        return;
    b->p = spare[best].p;
    b->cap = spare[best].cap;
    b->p[0] = '\0';
    spare[best].p = NULL;
    spare[best].cap = 0;
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns"))) /* keep the loop a loop */
#endif
void xb_add(struct xbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (!b->p)
        spare_take(b, n + 1);
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *p = realloc(b->p, nc);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = nc;
    }
    char *d = b->p + b->len;
    if (n <= 64) {
        /* most pieces are a few bytes: musl's memcpy (rep movsq) costs more
         * to start than the copy, and this is the hot path of every answer */
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
    b->len += n;
    b->p[b->len] = '\0';
}

void xb_reserve(struct xbuf *b, size_t n)
{
    if (!b->oom && !b->p)
        spare_take(b, n + 1);
    if (b->oom || b->len + n + 1 <= b->cap)
        return;
    char *p = realloc(b->p, b->len + n + 1);
    if (p) {
        b->p = p;
        b->cap = b->len + n + 1;
    }
}

void xb_puts(struct xbuf *b, const char *s)
{
    xb_add(b, s, strlen(s));
}

void xb_printf(struct xbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        xb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    xb_add(b, big, (size_t)n);
    free(big);
}

void xmlrpc_release(void)
{
    if (parser)
        XML_ParserFree(parser);
    parser = NULL;
    for (int i = 0; i < 2; i++) {
        free(spare[i].p);
        spare[i].p = NULL;
        spare[i].cap = 0;
    }
}

void xb_free(struct xbuf *b)
{
    if (b->p && b->cap <= XB_SPARE_MAX) {
        int k = spare[0].cap <= spare[1].cap ? 0 : 1; /* an empty one, else the smaller */
        if (!spare[k].p || spare[k].cap < b->cap) {
            free(spare[k].p);
            spare[k].p = b->p;
            spare[k].cap = b->cap;
            b->p = NULL;
        }
    }
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Length of the valid UTF-8 sequence at S (N bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
        cp == 0xffff)
        return 0;
    return len;
}

void xb_escaped(struct xbuf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0;             /* bytes at s[i - run .. i) to copy as they are */
    size_t i = 0;
    while (i < n) {
        const char *rep = NULL;
        size_t adv = 1;
        unsigned char c = s[i];
        if (c == '&') rep = "&amp;";
        else if (c == '<') rep = "&lt;";
        else if (c == '>') rep = "&gt;";
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') rep = "\xef\xbf\xbd";
        else if (c == '\r') rep = "&#13;";   /* kept through XML's line-end rules */
        else if (c >= 0x80) {
            adv = utf8_len(s + i, n - i);
            if (!adv) {
                rep = "\xef\xbf\xbd";
                adv = 1;
            }
        }
        if (rep) {
            xb_add(b, (const char *)s + i - run, run);
            run = 0;
            xb_puts(b, rep);
            i += adv;
        } else {
            run += adv;
            i += adv;
        }
    }
    xb_add(b, (const char *)s + i - run, run);
}

void xe_int(struct xbuf *b, long long v)
{
    /* by hand: getAllProcessInfo writes six per process, and musl's
     * snprintf is the costliest step of an answer */
    char tmp[24];
    char *end = tmp + sizeof tmp, *p = end;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    xb_add(b, "<value><int>", 12);
    xb_add(b, p, (size_t)(end - p));
    xb_add(b, "</int></value>", 14);
}

void xe_bool(struct xbuf *b, bool v)
{
    xb_puts(b, v ? "<value><boolean>1</boolean></value>" : "<value><boolean>0</boolean></value>");
}

void xe_double(struct xbuf *b, double v)
{
    xb_printf(b, "<value><double>%.17g</double></value>", v);
}

void xe_string_n(struct xbuf *b, const char *s, size_t n)
{
    xb_puts(b, "<value><string>");
    xb_escaped(b, s, n);
    xb_puts(b, "</string></value>");
}

void xe_string(struct xbuf *b, const char *s)
{
    xe_string_n(b, s ? s : "", s ? strlen(s) : 0);
}

void xe_struct_begin(struct xbuf *b) { xb_puts(b, "<value><struct>"); }
void xe_struct_end(struct xbuf *b) { xb_puts(b, "</struct></value>"); }
void xe_array_begin(struct xbuf *b) { xb_puts(b, "<value><array><data>"); }
void xe_array_end(struct xbuf *b) { xb_puts(b, "</data></array></value>"); }
void xe_member_end(struct xbuf *b) { xb_puts(b, "</member>"); }

void xe_member(struct xbuf *b, const char *name)
{
    xb_puts(b, "<member><name>");
    xb_escaped(b, name, strlen(name));
    xb_puts(b, "</name>");
}

void xe_fault_value(struct xbuf *b, int code, const char *msg)
{
    xe_struct_begin(b);
    xe_member(b, "faultCode");
    xe_int(b, code);
    xe_member_end(b);
    xe_member(b, "faultString");
    xe_string(b, msg);
    xe_member_end(b);
    xe_struct_end(b);
}

void xmlrpc_response(struct xbuf *out, const char *value, size_t len)
{
    xb_puts(out, XMLRPC_RESPONSE_HEAD);
    xb_add(out, value, len);
    xb_puts(out, XMLRPC_RESPONSE_TAIL);
}

void xmlrpc_fault(struct xbuf *out, int code, const char *msg)
{
    xb_puts(out, "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n");
    xe_fault_value(out, code, msg);
    xb_puts(out, "\n</fault>\n</methodResponse>\n");
}
