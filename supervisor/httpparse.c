/* httpparse.c - the pure parts of http.h: the request-head parser, base64,
 * SHA-1 and Basic passwords. No I/O, no allocation (the fuzzer links only
 * this file). */
#include "http.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
        else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
        else { f = b ^ c ^ d; k = 0xca62c1d6; }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d; d = c; c = rol(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

void http_sha1(const void *data, size_t len, unsigned char out[20])
{
    uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    const unsigned char *p = data;
    size_t left = len;
    while (left >= 64) {
        sha1_block(h, p);
        p += 64;
        left -= 64;
    }
    unsigned char tail[128] = {0};
    memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tl = left + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha1_block(h, tail);
    if (tl == 128)
        sha1_block(h, tail + 64);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long http_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen)
{
    if (inlen % 4)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < inlen; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + j];
            if (c == '=' && i + 4 == inlen && j >= 2) {
                v[j] = 0;
                pad++;
            } else if (pad || (v[j] = b64val(c)) < 0) {
                return -1;
            }
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        for (int j = 0; j < 3 - pad; j++) {
            if (n >= outlen)
                return -1;
            out[n++] = (unsigned char)(x >> (16 - 8 * j));
        }
    }
    return (long)n;
}

static bool const_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = 0;
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ (i < blen ? b[i] : 0));
    return diff == 0 && alen == blen;
}

bool http_check_password(const char *cred, size_t credlen, const char *username,
                         const char *password)
{
    const char *colon = memchr(cred, ':', credlen);
    if (!colon || !username)
        return false;
    size_t ulen = (size_t)(colon - cred);
    const char *pass = colon + 1;
    size_t plen = credlen - ulen - 1;
    bool user_ok = ulen == strlen(username) && memcmp(cred, username, ulen) == 0;
    const char *want = password ? password : "";
    if (!strncmp(want, "{SHA}", 5)) {
        unsigned char dig[20];
        char hex[41];
        http_sha1(pass, plen, dig);
        for (int i = 0; i < 20; i++)
            snprintf(hex + 2 * i, 3, "%02x", dig[i]);
        char lower[41] = {0};
        for (int i = 0; i < 40 && want[5 + i]; i++)
            lower[i] = (char)tolower((unsigned char)want[5 + i]);
        return const_eq(hex, 40, lower, strlen(lower)) && user_ok;
    }
    return const_eq(pass, plen, want, strlen(want)) && user_ok;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

/* Is the comma-separated header value V (LEN) holding TOKEN? */
static bool has_token(const char *v, size_t len, const char *token)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < len && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e > s && ieq(v + s, e - s, token))
            return true;
    }
    return false;
}

static bool tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

long http_parse_head(const char *buf, size_t len, struct http_head *h)
{
    memset(h, 0, sizeof *h);
    /* find the end: CRLFCRLF (bare LF tolerated) */
    size_t end = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n') { end = i + 2; break; }
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') { end = i + 3; break; }
    }
    if (!end)
        return len > HTTP_MAX_HEAD ? -1 : 0;
    /* skip blank lines before the request line (RFC 9112 2.2) */
    size_t p = 0;
    while (p < end && (buf[p] == '\r' || buf[p] == '\n'))
        p++;
    if (p >= end)
        return -1;
    /* request line: METHOD SP TARGET SP HTTP/1.x */
    size_t ms = p;
    while (p < end && tchar((unsigned char)buf[p]))
        p++;
    if (p == ms || p >= end || buf[p] != ' ')
        return -1;
    h->method = buf + ms;
    h->method_len = p - ms;
    size_t ts = ++p;
    while (p < end && (unsigned char)buf[p] > ' ' && buf[p] != 0x7f)
        p++;
    if (p == ts || p >= end || buf[p] != ' ')
        return -1;
    h->path = buf + ts;
    h->path_len = p - ts;
    p++;
    if (end - p < 9 || memcmp(buf + p, "HTTP/1.", 7) || !isdigit((unsigned char)buf[p + 7]))
        return -1;
    h->minor = buf[p + 7] - '0';
    p += 8;
    if (buf[p] == '\r')
        p++;
    if (buf[p] != '\n')
        return -1;
    p++;
    /* header fields */
    while (p < end) {
        size_t ls = p;
        while (p < end && buf[p] != '\n')
            p++;
        size_t le = p;          /* at '\n' */
        p++;
        if (le > ls && buf[le - 1] == '\r')
            le--;
        if (le == ls)
            break;              /* the blank line */
        if (buf[ls] == ' ' || buf[ls] == '\t')
            return -1;          /* obsolete line folding */
        size_t ns = ls;
        while (ns < le && tchar((unsigned char)buf[ns]))
            ns++;
        if (ns == ls || ns >= le || buf[ns] != ':')
            return -1;
        const char *name = buf + ls;
        size_t nlen = ns - ls;
        size_t vs = ns + 1;
        while (vs < le && (buf[vs] == ' ' || buf[vs] == '\t'))
            vs++;
        size_t ve = le;
        while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
            ve--;
        for (size_t k = vs; k < ve; k++)
            if ((unsigned char)buf[k] < ' ' && buf[k] != '\t')
                return -1;
        const char *v = buf + vs;
        size_t vlen = ve - vs;
        if (ieq(name, nlen, "Content-Length")) {
            if (vlen == 0 || vlen > 18)
                return -1;
            size_t n = 0;
            for (size_t k = 0; k < vlen; k++) {
                if (!isdigit((unsigned char)v[k]))
                    return -1;
                n = n * 10 + (size_t)(v[k] - '0');
            }
            if (h->has_length && h->content_length != n)
                return -1;
            h->has_length = true;
            h->content_length = n;
        } else if (ieq(name, nlen, "Transfer-Encoding")) {
            if (!ieq(v, vlen, "identity"))
                h->chunked = true;
        } else if (ieq(name, nlen, "Connection")) {
            if (has_token(v, vlen, "close"))
                h->conn_close = true;
            if (has_token(v, vlen, "keep-alive"))
                h->conn_keep_alive = true;
        } else if (ieq(name, nlen, "Authorization")) {
            h->auth = v;
            h->auth_len = vlen;
        }
    }
    return (long)end;
}

