/* fuzz_xmlrpc.c - libFuzzer target for what tend reads from an XML-RPC
 * client: the HTTP request head (supervisor/httpparse.c, with the Basic
 * credential decoding behind it) and the XML-RPC decoder
 * (supervisor/xmlrpc.c, libexpat).
 *
 * The first byte chooses: even, the rest is an HTTP request head; odd, an
 * XML-RPC document. Properties checked beyond "no crash, no sanitizer
 * report":
 *   - a parsed head lies inside the input, ends with a blank line, and its
 *     method, path and Authorization value point inside it;
 *   - a refused document always says why; an accepted one has a method name;
 *   - every string value, encoded again with xe_string inside a call and
 *     decoded, comes back (bytes XML cannot carry replaced by U+FFFD, which
 *     the encoder never produces from valid UTF-8 text).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/http.h"
#include "supervisor/xmlrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *base, size_t len, const char *p, size_t plen)
{
    if (p && (p < base || p + plen > base + len))
        abort();
}

static void fuzz_head(const char *buf, size_t len)
{
    struct http_head h;
    long n = http_parse_head(buf, len, &h);
    if (n <= 0)
        return;
    if ((size_t)n > len || buf[n - 1] != '\n')
        abort();
    inside(buf, (size_t)n, h.method, h.method_len);
    inside(buf, (size_t)n, h.path, h.path_len);
    inside(buf, (size_t)n, h.auth, h.auth_len);
    if (h.auth && h.auth_len > 6) {
        unsigned char cred[768];
        long c = http_base64_decode(h.auth + 6, h.auth_len - 6, cred, sizeof cred);
        if (c > (long)sizeof cred)
            abort();
        if (c >= 0) {
            http_check_password((const char *)cred, (size_t)c, "user", "pass");
            http_check_password((const char *)cred, (size_t)c, "user",
                                "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3");
        }
    }
}

static void roundtrip(const struct xv *v)
{
    if (v->type == XV_STRING) {
        struct xbuf b = {0};
        xb_puts(&b, "<methodCall><methodName>m</methodName><params><param>");
        xe_string_n(&b, v->s, v->slen);
        xb_puts(&b, "</param></params></methodCall>");
        if (b.oom)
            abort();
        struct xcall c;
        char err[256];
        if (xmlrpc_decode_call(b.p, b.len, &c, err, sizeof err) < 0)
            abort();      /* the encoder wrote something the decoder refuses */
        if (c.nparams != 1 || c.params[0].type != XV_STRING)
            abort();
        /* the decoder gives UTF-8 (expat), so the text survives unchanged */
        if (c.params[0].slen != v->slen || memcmp(c.params[0].s, v->s, v->slen))
            abort();
        xcall_free(&c);
        xb_free(&b);
    }
    for (size_t i = 0; i < v->n; i++)
        roundtrip(&v->items[i]);
}

static void fuzz_xml(const char *buf, size_t len)
{
    struct xcall c;
    char err[256];
    err[0] = '\0';
    if (xmlrpc_decode_call(buf, len, &c, err, sizeof err) < 0) {
        if (!err[0] || c.method)
            abort();
        return;
    }
    if (!c.method)
        abort();
    for (size_t i = 0; i < c.nparams; i++)
        roundtrip(&c.params[i]);
    xcall_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_xml((const char *)data + 1, size - 1);
    else
        fuzz_head((const char *)data + 1, size - 1);
    return 0;
}
