/* logfmt.c - line framing, stamps, JSON and syslog records (see logfmt.h).
 *
 * Speed matters: every captured byte of a formatted stream passes through
 * logfmt_next (one memchr per line) and, for JSON, logfmt_json_escape,
 * which copies eight plain bytes at a time and decodes byte by byte only
 * around what needs escaping or validating.
 */
#include "logfmt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>   /* baseline on x86-64: 16 bytes per step */
#endif

/* memcpy for the short copies of a record (a line, a stamp, a name):
 * fixed-size copies the compiler inlines, as a libc memcpy call (musl's
 * especially) costs more than the copy itself at these sizes. */
static inline char *put(char *o, const char *p, size_t n)
{
    for (; n >= 16; n -= 16, p += 16, o += 16)
        memcpy(o, p, 16);
    if (n >= 8) {
        memcpy(o, p, 8);
        o += 8, p += 8, n -= 8;
    }
    if (n >= 4) {
        memcpy(o, p, 4);
        o += 4, p += 4, n -= 4;
    }
    while (n--)
        *o++ = *p++;
    return o;
}

/* ---- framing ---- */

/* memchr(P, '\n', N), inlined: most lines are short, and a libc call per
 * line (musl's byte-wise start especially) costs more than the search. */
static inline const char *find_nl(const char *p, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nl));
        if (m)
            return p + i + __builtin_ctz((unsigned)m);
    }
#endif
    for (; i < n; i++)
        if (p[i] == '\n')
            return p + i;
    return NULL;
}

size_t logfmt_next(const char *buf, size_t len, size_t max, bool final, struct logfmt_line *out)
{
    size_t scan = len < max + 2 ? len : max + 2;
    const char *nl = find_nl(buf, scan);
    if (nl) {
        size_t n = (size_t)(nl - buf);
        size_t content = n > 0 && buf[n - 1] == '\r' ? n - 1 : n;
        if (content <= max) {
            *out = (struct logfmt_line){ buf, content, false };
            return n + 1;
        }
    } else if (len < max + 2) {
        if (!final || len == 0)
            return 0;
        if (len <= max) {   /* the last line, without its newline */
            size_t content = buf[len - 1] == '\r' ? len - 1 : len;
            *out = (struct logfmt_line){ buf, content, false };
            return len;
        }
    }
    /* Cut at MAX; when that splits a UTF-8 character whose lead byte is
     * within the last 3 bytes, cut before it so both pieces stay valid. */
    size_t c = max;
    while (c > max - 3 && ((unsigned char)buf[c] & 0xC0) == 0x80)
        c--;
    if (((unsigned char)buf[c] & 0xC0) != 0xC0)
        c = max;
    *out = (struct logfmt_line){ buf, c, true };
    return c;
}

/* ---- JSON ---- */

/* 0: copied as is; 1: escaped; 2: the start of a multi-byte sequence. */
static inline int json_class(unsigned char c)
{
    if (c >= 0x80)
        return 2;
    return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

static const char hex[] = "0123456789abcdef";

/* Any byte in V that is not plain printable ASCII (or is '"' or '\\')? The
 * borrow trick can flag a byte above a real hit, never a word without one. */
static inline bool word_special(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\'), d = v ^ (ones * 0x7f);
    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b) |
            ((d - ones) & ~d) | v) & high;
}

/* Length of the valid UTF-8 sequence at P (N bytes available, P[0] >= 0x80),
 * or 0 with *BAD the length of its maximal invalid subpart (>= 1). */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *bad)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;        /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F;        /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;        /* <= U+10FFFF */
    } else {
        *bad = 1;             /* a continuation byte, C0, C1, F5..FF */
        return 0;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

size_t logfmt_json_escape(char *out, const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    char *o = out;
    size_t i = 0;
    while (i < n) {
#ifdef __SSE2__
        /* a signed compare with 0x20 flags control bytes and bytes >= 0x80 */
        const __m128i sp = _mm_set1_epi8(0x20), q = _mm_set1_epi8('"'),
                      bs = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f);
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, sp), _mm_cmpeq_epi8(v, q)),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, bs), _mm_cmpeq_epi8(v, del)));
            int m = _mm_movemask_epi8(bad);
            if (m) {
                /* copy the plain bytes before the first hit */
                int k = __builtin_ctz((unsigned)m);
                o = put(o, (const char *)s + i, (size_t)k);
                i += (size_t)k;
                break;
            }
            _mm_storeu_si128((__m128i *)o, v);
            o += 16;
            i += 16;
        }
#endif
        while (i + 8 <= n) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (word_special(v))
                break;
            memcpy(o, s + i, 8);
            o += 8;
            i += 8;
        }
        /* byte by byte up to the next 8-byte boundary of plain text */
        size_t stop = i + 8 < n ? i + 8 : n;
        while (i < stop) {
            unsigned char c = s[i];
            switch (json_class(c)) {
            case 0:
                *o++ = (char)c;
                i++;
                break;
            case 1:
                *o++ = '\\';
                switch (c) {
                case '"': *o++ = '"'; break;
                case '\\': *o++ = '\\'; break;
                case '\n': *o++ = 'n'; break;
                case '\r': *o++ = 'r'; break;
                case '\t': *o++ = 't'; break;
                case '\b': *o++ = 'b'; break;
                case '\f': *o++ = 'f'; break;
                default:
                    memcpy(o, "u00", 3);
                    o[3] = hex[c >> 4];
                    o[4] = hex[c & 15];
                    o += 5;
                }
                i++;
                break;
            default: {
                size_t bad = 0, k = utf8_seq(s + i, n - i, &bad);
                if (k) {
                    o = put(o, (const char *)s + i, k);
                    i += k;
                } else {
                    memcpy(o, "\xEF\xBF\xBD", 3);   /* U+FFFD */
                    o += 3;
                    i += bad;
                }
                if (i > stop)
                    stop = i;
            }
            }
        }
    }
    return (size_t)(o - out);
}

/* ---- timestamps ---- */

void logfmt_clock_init(struct logfmt_clock *c, enum logfmt_stamp kind)
{
    c->kind = kind;
    c->sec = -1;
    c->text[0] = '\0';
    c->len = 0;
}

static size_t put_ms(char *p, long nsec)
{
    unsigned ms = (unsigned)(nsec / 1000000) % 1000;
    p[0] = '.';
    p[1] = (char)('0' + ms / 100);
    p[2] = (char)('0' + ms / 10 % 10);
    p[3] = (char)('0' + ms % 10);
    return 4;
}

void logfmt_clock_set(struct logfmt_clock *c, const struct timespec *ts)
{
    if (c->kind == LOGFMT_STAMP_NONE)
        return;
    if (ts->tv_sec != c->sec) {
        c->sec = ts->tv_sec;
        if (c->kind == LOGFMT_STAMP_UNIX) {
            int m = snprintf(c->text, sizeof c->text, "%lld", (long long)ts->tv_sec);
            c->len = m > 0 ? (size_t)m : 0;
        } else {
            struct tm tm;
            time_t t = ts->tv_sec;
            if (!gmtime_r(&t, &tm))
                memset(&tm, 0, sizeof tm);
            c->len = strftime(c->text, sizeof c->text, "%Y-%m-%dT%H:%M:%S", &tm);
        }
    }
    size_t n = c->len;   /* the second's text, then the part that varies */
    if (c->kind == LOGFMT_STAMP_UNIX || c->kind == LOGFMT_STAMP_RFC3339MS)
        n += put_ms(c->text + n, ts->tv_nsec);
    if (c->kind != LOGFMT_STAMP_UNIX)
        c->text[n++] = 'Z';
    c->text[n] = '\0';
    /* c->len stays the second's length; the full stamp ends at the NUL */
}

static size_t clock_len(const struct logfmt_clock *c)
{
    if (c->kind == LOGFMT_STAMP_NONE || c->sec < 0)
        return 0;
    return c->len + (c->kind == LOGFMT_STAMP_ISO8601 ? 1 : c->kind == LOGFMT_STAMP_UNIX ? 4 : 5);
}

/* ---- records ---- */

void logfmt_init(struct logfmt *f, enum logfmt_format format, enum logfmt_stamp stamp,
                 const char *name, bool prefix, const char *stream)
{
    f->format = format;
    if (format == LOGFMT_JSON && stamp == LOGFMT_STAMP_NONE)
        stamp = LOGFMT_STAMP_RFC3339MS;   /* a JSON record always has its time */
    logfmt_clock_init(&f->clock, stamp);
    size_t nl = strlen(name);
    if (nl > LOGFMT_NAME_MAX)
        nl = LOGFMT_NAME_MAX;
    char *h = f->head;
    if (format == LOGFMT_JSON) {
        h += sprintf(h, "\", \"name\": \"");
        h += logfmt_json_escape(h, name, nl);
        h += sprintf(h, "\", \"stream\": \"%s\", \"message\": \"",
                     strcmp(stream, "stderr") ? "stdout" : "stderr");
    } else if (prefix) {
        memcpy(h, name, nl);
        h += nl;
        memcpy(h, " | ", 3);
        h += 3;
    }
    f->head_len = (size_t)(h - f->head);
}

size_t logfmt_record_max(const struct logfmt *f, size_t len)
{
    if (f->format == LOGFMT_JSON)
        return sizeof "{\"time\": \"" + LOGFMT_STAMP_MAX + f->head_len + LOGFMT_JSON_MAX(len) +
               sizeof "\", \"partial\": true}\n";
    return LOGFMT_STAMP_MAX + 1 + f->head_len + len + sizeof LOGFMT_CUT_MARK + 1;
}

size_t logfmt_record(const struct logfmt *f, const struct logfmt_line *l, char *out)
{
    char *o = out;
    size_t sl = clock_len(&f->clock);
    if (f->format == LOGFMT_JSON) {
        memcpy(o, "{\"time\": \"", 10);
        o += 10;
        o = put(o, f->clock.text, sl);
        o = put(o, f->head, f->head_len);
        o += logfmt_json_escape(o, l->p, l->len);
        if (l->cut) {
            memcpy(o, "\", \"partial\": true}\n", 20);
            o += 20;
        } else {
            memcpy(o, "\"}\n", 3);
            o += 3;
        }
        return (size_t)(o - out);
    }
    if (sl) {
        o = put(o, f->clock.text, sl);
        *o++ = ' ';
    }
    o = put(o, f->head, f->head_len);
    o = put(o, l->p, l->len);
    if (l->cut) {
        memcpy(o, LOGFMT_CUT_MARK, sizeof LOGFMT_CUT_MARK - 1);
        o += sizeof LOGFMT_CUT_MARK - 1;
    }
    *o++ = '\n';
    return (size_t)(o - out);
}

/* ---- syslog ---- */

size_t logfmt_syslog(char *out, size_t cap, int pri, const struct tm *tm, const char *tag,
                     const char *msg, size_t n, size_t *used)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int mon = tm->tm_mon >= 0 && tm->tm_mon < 12 ? tm->tm_mon : 0;
    size_t tl = strlen(tag);
    if (tl > 48)
        tl = 48;
    int h = snprintf(out, cap, "<%d>%.3s %2d %02d:%02d:%02d %.*s: ", pri, months + 3 * mon,
                     tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, (int)tl, tag);
    size_t hl = h > 0 && (size_t)h < cap ? (size_t)h : 0;
    size_t take = n < cap - hl ? n : cap - hl;
    memcpy(out + hl, msg, take);
    *used = take;
    return hl + take;
}
