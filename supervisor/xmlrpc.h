/* xmlrpc.h - XML-RPC method calls in (libexpat), responses and faults out.
 *
 * The decoder takes a whole <methodCall> document and builds a tree of
 * values; it never trusts its input: a DOCTYPE (hence entity definitions)
 * is refused, nesting is limited to XMLRPC_MAX_DEPTH and the number of
 * values to XMLRPC_MAX_VALUES, integers are range-checked. The encoder
 * appends to a growable buffer that remembers running out of memory (then
 * the result is dropped as a whole by the caller). Strings are written
 * escaped, with bytes that XML 1.0 cannot carry (control characters,
 * invalid UTF-8) replaced by U+FFFD, so any log text can be sent.
 */
#ifndef TEND_XMLRPC_H
#define TEND_XMLRPC_H

#include <stdbool.h>
#include <stddef.h>

#define XMLRPC_MAX_DEPTH 32
#define XMLRPC_MAX_VALUES 100000

enum xv_type { XV_NIL, XV_INT, XV_BOOL, XV_DOUBLE, XV_STRING, XV_BASE64, XV_DATETIME,
               XV_ARRAY, XV_STRUCT };

/* One value. Strings are NUL-terminated (slen bytes; base64 and datetime
 * kept as their text). Arrays hold n items; structs n items named keys[i]. */
struct xv {
    enum xv_type type;
    long long i;                /* int, bool (0/1) */
    double d;
    char *s;
    size_t slen;
    struct xv *items;
    char **keys;
    size_t n;
};

struct xcall {
    char *method;
    struct xv *params;
    size_t nparams;
};

/* Decode BODY (LEN bytes). 0, or -1 with a message in ERR (OUT then empty).
 * Free OUT with xcall_free in both cases. */
int xmlrpc_decode_call(const char *body, size_t len, struct xcall *out, char *err,
                       size_t errlen);
void xcall_free(struct xcall *c);
void xv_clear(struct xv *v);
const char *xv_type_name(enum xv_type t);
/* Member NAME of struct V, or NULL. */
const struct xv *xv_member(const struct xv *v, const char *name);

/* ---- encoding ---- */
struct xbuf {
    char *p;
    size_t len, cap;
    bool oom;                   /* an append failed: the content is incomplete */
};

void xb_add(struct xbuf *b, const char *s, size_t n);
/* Room for N more bytes at once (an answer whose size is known roughly
 * grows without copies); a failure is left for the next append. */
void xb_reserve(struct xbuf *b, size_t n);
void xb_puts(struct xbuf *b, const char *s);
void xb_printf(struct xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* S (N bytes) escaped for XML text, invalid bytes replaced. */
void xb_escaped(struct xbuf *b, const char *s, size_t n);
void xb_free(struct xbuf *b);
/* Free what is kept between calls (the parser, spare buffers): tend's idle
 * memory stays what it was before any call. */
void xmlrpc_release(void);

/* One <value> each. */
void xe_int(struct xbuf *b, long long v);
void xe_bool(struct xbuf *b, bool v);
void xe_double(struct xbuf *b, double v);
void xe_string(struct xbuf *b, const char *s);
void xe_string_n(struct xbuf *b, const char *s, size_t n);
void xe_struct_begin(struct xbuf *b);
void xe_member(struct xbuf *b, const char *name);    /* then one value, then: */
void xe_member_end(struct xbuf *b);
void xe_struct_end(struct xbuf *b);
void xe_array_begin(struct xbuf *b);
void xe_array_end(struct xbuf *b);
/* The struct {faultCode, faultString} as a value (also what multicall lists). */
void xe_fault_value(struct xbuf *b, int code, const char *msg);

/* Whole documents: a response carrying VALUE (one encoded <value>), or a fault. */
void xmlrpc_response(struct xbuf *out, const char *value, size_t len);
/* What xmlrpc_response puts around VALUE (for an answer sent in parts). */
#define XMLRPC_RESPONSE_HEAD "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
#define XMLRPC_RESPONSE_TAIL "\n</param>\n</params>\n</methodResponse>\n"
void xmlrpc_fault(struct xbuf *out, int code, const char *msg);

#endif
