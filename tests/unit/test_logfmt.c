/* test_logfmt.c - the line framer, the JSON encoder, stamps, records and
 * syslog datagrams (supervisor/logfmt.c). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/logfmt.h"

/* ---- framer ---- */

static size_t next(const char *s, size_t len, size_t max, bool final, struct logfmt_line *l)
{
    memset(l, 0xAA, sizeof *l);
    return logfmt_next(s, len, max, final, l);
}

START_TEST(test_frame_lines)
{
    struct logfmt_line l;
    const char *s = "one\ntwo\r\n\nthree";
    size_t n = strlen(s), pos = 0, used;
    used = next(s, n, 100, false, &l);
    ck_assert_uint_eq(used, 4);
    ck_assert_uint_eq(l.len, 3);
    ck_assert(!l.cut);
    ck_assert(memcmp(l.p, "one", 3) == 0);
    pos += used;
    used = next(s + pos, n - pos, 100, false, &l);   /* CRLF: both removed */
    ck_assert_uint_eq(used, 5);
    ck_assert_uint_eq(l.len, 3);
    ck_assert(memcmp(l.p, "two", 3) == 0);
    pos += used;
    used = next(s + pos, n - pos, 100, false, &l);   /* an empty line is a record */
    ck_assert_uint_eq(used, 1);
    ck_assert_uint_eq(l.len, 0);
    pos += used;
    /* a partial line waits for its end... */
    ck_assert_uint_eq(next(s + pos, n - pos, 100, false, &l), 0);
    /* ...or for EOF */
    used = next(s + pos, n - pos, 100, true, &l);
    ck_assert_uint_eq(used, 5);
    ck_assert_uint_eq(l.len, 5);
    ck_assert(!l.cut);
    ck_assert_uint_eq(next(s + n, 0, 100, true, &l), 0);
    /* a last line ending in a lone CR at EOF loses the CR; a CR inside stays */
    used = next("a\rb\r", 4, 100, true, &l);
    ck_assert_uint_eq(used, 4);
    ck_assert_uint_eq(l.len, 3);
}
END_TEST

START_TEST(test_frame_cut)
{
    struct logfmt_line l;
    char b[64];
    memset(b, 'x', sizeof b);
    /* a line of exactly MAX bytes (with its newline, or CRLF) is whole */
    b[10] = '\n';
    ck_assert_uint_eq(next(b, 11, 10, false, &l), 11);
    ck_assert_uint_eq(l.len, 10);
    ck_assert(!l.cut);
    b[10] = '\r';
    b[11] = '\n';
    ck_assert_uint_eq(next(b, 12, 10, false, &l), 12);
    ck_assert_uint_eq(l.len, 10);
    ck_assert(!l.cut);
    /* MAX + 1 bytes: cut at MAX, the rest a record of its own */
    memset(b, 'x', sizeof b);
    b[11] = '\n';
    ck_assert_uint_eq(next(b, 12, 10, false, &l), 10);
    ck_assert_uint_eq(l.len, 10);
    ck_assert(l.cut);
    ck_assert_uint_eq(next(b + 10, 2, 10, false, &l), 2);
    ck_assert_uint_eq(l.len, 1);
    ck_assert(!l.cut);
    /* no newline: nothing until MAX + 2 bytes are there, then a cut */
    memset(b, 'x', sizeof b);
    ck_assert_uint_eq(next(b, 11, 10, false, &l), 0);
    ck_assert_uint_eq(next(b, 12, 10, false, &l), 10);
    ck_assert(l.cut);
    ck_assert_uint_eq(next(b, 64, 10, false, &l), 10);
    /* at EOF a long rest is cut too */
    ck_assert_uint_eq(next(b, 11, 10, true, &l), 10);
    ck_assert(l.cut);
}
END_TEST

START_TEST(test_frame_cut_utf8)
{
    struct logfmt_line l;
    /* "é" (C3 A9) across the cut at 10: cut before its lead byte */
    char b[32];
    memset(b, 'a', sizeof b);
    b[9] = '\xC3';
    b[10] = '\xA9';
    ck_assert_uint_eq(next(b, 20, 10, false, &l), 9);
    ck_assert(l.cut);
    /* a 4-byte character starting 3 bytes before the cut */
    memset(b, 'a', sizeof b);
    memcpy(b + 7, "\xF0\x9F\x98\x80", 4);
    ck_assert_uint_eq(next(b, 20, 10, false, &l), 7);
    /* continuation bytes without a lead: invalid anyway, cut at MAX */
    memset(b, '\x80', sizeof b);
    ck_assert_uint_eq(next(b, 20, 10, false, &l), 10);
    /* a character ending exactly at the cut is not moved */
    memset(b, 'a', sizeof b);
    b[8] = '\xC3';
    b[9] = '\xA9';
    ck_assert_uint_eq(next(b, 20, 10, false, &l), 10);
}
END_TEST

/* Lines longer than the buffer, fed in odd chunk sizes, CRLF mixed in:
 * joining the pieces of every cut line gives back every line, in order. */
START_TEST(test_frame_stream)
{
    enum { BUF = 256, MAX = BUF - 2, NLINES = 2000 };
    srand(12345);
    size_t cap = 1 << 22, inlen = 0;
    char *in = malloc(cap);
    size_t *lens = malloc(NLINES * sizeof *lens);
    for (int i = 0; i < NLINES; i++) {
        size_t n = (size_t)(rand() % 4 == 0 ? rand() % 2000 : rand() % 80);
        lens[i] = n;
        for (size_t k = 0; k < n; k++)
            in[inlen++] = (char)('a' + (i + k) % 26);
        if (i % 3 == 0)
            in[inlen++] = '\r';
        in[inlen++] = '\n';
    }
    char buf[BUF];
    size_t len = 0, pos = 0;
    char *out = malloc(cap);
    size_t outlen = 0;
    int line = 0;
    size_t cur = 0;        /* bytes of the current line so far */
    while (pos < inlen || len) {
        size_t chunk = (size_t)(rand() % 97 + 1);
        if (chunk > BUF - len)
            chunk = BUF - len;
        if (chunk > inlen - pos)
            chunk = inlen - pos;
        memcpy(buf + len, in + pos, chunk);
        len += chunk;
        pos += chunk;
        bool final = pos == inlen;
        size_t off = 0, used;
        struct logfmt_line l;
        while ((used = logfmt_next(buf + off, len - off, MAX, final, &l))) {
            ck_assert_uint_le(l.len, MAX);
            memcpy(out + outlen, l.p, l.len);
            outlen += l.len;
            cur += l.len;
            if (!l.cut) {
                ck_assert_int_lt(line, NLINES);
                ck_assert_uint_eq(cur, lens[line]);
                out[outlen++] = '\n';
                line++;
                cur = 0;
            }
            off += used;
        }
        memmove(buf, buf + off, len - off);
        len -= off;
        ck_assert(len < BUF);   /* a full buffer always made progress */
        if (final && off == 0)
            break;
    }
    ck_assert_int_eq(line, NLINES);
    /* the input without its CRs */
    size_t j = 0;
    for (size_t i = 0; i < inlen; i++)
        if (in[i] != '\r')
            in[j++] = in[i];
    ck_assert_uint_eq(outlen, j);
    ck_assert(memcmp(in, out, j) == 0);
    free(in);
    free(out);
    free(lens);
}
END_TEST

/* ---- JSON ---- */

static char jbuf[1 << 16];

static const char *esc(const char *s, size_t n)
{
    size_t m = logfmt_json_escape(jbuf, s, n);
    ck_assert_uint_le(m, LOGFMT_JSON_MAX(n));
    jbuf[m] = '\0';
    return jbuf;
}

START_TEST(test_json_control_bytes)
{
    static const char *const want[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    };
    for (int c = 0; c < 32; c++) {
        char in[1] = { (char)c };
        ck_assert_str_eq(esc(in, 1), want[c]);
        /* the same byte in the middle of a long plain run (the 8-byte path) */
        char in2[40];
        memset(in2, 'k', sizeof in2);
        in2[c % 40] = (char)c;
        char expect[128];
        snprintf(expect, sizeof expect, "%.*s%s%.*s", c % 40, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
                 want[c], 39 - c % 40, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
        ck_assert_str_eq(esc(in2, sizeof in2), expect);
    }
    ck_assert_str_eq(esc("\x7f", 1), "\\u007f");
    ck_assert_str_eq(esc("say \"hi\" \\o/", 12), "say \\\"hi\\\" \\\\o/");
    ck_assert_str_eq(esc("plain text, 100% ASCII ~`{}", 27), "plain text, 100% ASCII ~`{}");
    ck_assert_str_eq(esc("", 0), "");
}
END_TEST

START_TEST(test_json_utf8)
{
    /* valid 2, 3 and 4 byte characters pass through; U+FFFF, U+10FFFF too */
    const char *ok = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF \xF4\x8F\xBF\xBF";
    ck_assert_str_eq(esc(ok, strlen(ok)), ok);
#define FFFD "\xEF\xBF\xBD"
    struct { const char *in; const char *out; } v[] = {
        { "\x80", FFFD },                             /* stray continuation */
        { "a\xBFz", "a" FFFD "z" },
        { "\xC0\xAF", FFFD FFFD },                    /* overlong '/' */
        { "\xC1\xBF", FFFD FFFD },
        { "\xE0\x80\x80", FFFD FFFD FFFD },           /* overlong, 3 bytes */
        { "\xED\xA0\x80", FFFD FFFD FFFD },           /* a surrogate */
        { "\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD },  /* > U+10FFFF */
        { "\xF5\x80", FFFD FFFD },
        { "\xFF\xFE", FFFD FFFD },
        { "\xE2\x82", FFFD },                         /* truncated at the end: one */
        { "\xE2\x82x", FFFD "x" },                    /* truncated before ASCII */
        { "\xF0\x9F\x98", FFFD },
        { "\xC3\n", FFFD "\\n" },
        { "\xC3\xA9\xA9", "\xC3\xA9" FFFD },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        ck_assert_str_eq(esc(v[i].in, strlen(v[i].in)), v[i].out);
}
END_TEST

/* A byte-at-a-time reference of the same rules. */
static size_t ref_escape(char *o, const unsigned char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            o[w++] = '\\';
            o[w++] = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            const char *short_esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                                  : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (short_esc) {
                memcpy(o + w, short_esc, 2);
                w += 2;
            } else {
                w += (size_t)sprintf(o + w, "\\u%04x", c);
            }
            i++;
        } else if (c < 0x80) {
            o[w++] = (char)c;
            i++;
        } else {
            size_t need = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                        : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
            size_t k = 1;
            bool good = need > 0;
            for (; good && k <= need; k++) {
                unsigned lo = 0x80, hi = 0xBF;
                if (k == 1 && c == 0xE0) lo = 0xA0;
                if (k == 1 && c == 0xED) hi = 0x9F;
                if (k == 1 && c == 0xF0) lo = 0x90;
                if (k == 1 && c == 0xF4) hi = 0x8F;
                if (i + k >= n || s[i + k] < lo || s[i + k] > hi)
                    good = false;
            }
            if (good) {
                memcpy(o + w, s + i, need + 1);
                w += need + 1;
                i += need + 1;
            } else {
                memcpy(o + w, FFFD, 3);
                w += 3;
                i += need ? k - 1 : 1;
            }
        }
    }
    return w;
}

START_TEST(test_json_random_vs_reference)
{
    static unsigned char in[512];
    static char a[512 * 6], b[512 * 6];
    srand(777);
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand() % 64 + (round % 10 == 0 ? 400 : 0));
        int mode = rand() % 4;
        for (size_t i = 0; i < n; i++) {
            int r = rand();
            in[i] = mode == 0 ? (unsigned char)r               /* any byte */
                  : mode == 1 ? (unsigned char)(r % 95 + 32)    /* printable */
                  : (r % 16 == 0) ? (unsigned char)(r >> 8) : (unsigned char)('a' + r % 26);
        }
        if (mode == 3 && n > 4)   /* real UTF-8 inside */
            memcpy(in + (size_t)rand() % (n - 4), "\xE2\x82\xAC", 3);
        size_t la = logfmt_json_escape(a, (const char *)in, n);
        size_t lb = ref_escape(b, in, n);
        ck_assert_uint_eq(la, lb);
        ck_assert(memcmp(a, b, la) == 0);
        for (size_t i = 0; i < la; i++)
            ck_assert((unsigned char)a[i] >= 0x20 && a[i] != 0x7f);
    }
}
END_TEST

/* ---- stamps and records ---- */

START_TEST(test_stamps)
{
    struct timespec ts = { 1700000000, 123456789 };   /* 2023-11-14 22:13:20.123 UTC */
    struct logfmt_clock c;
    logfmt_clock_init(&c, LOGFMT_STAMP_ISO8601);
    logfmt_clock_set(&c, &ts);
    ck_assert_str_eq(c.text, "2023-11-14T22:13:20Z");
    logfmt_clock_init(&c, LOGFMT_STAMP_RFC3339MS);
    logfmt_clock_set(&c, &ts);
    ck_assert_str_eq(c.text, "2023-11-14T22:13:20.123Z");
    ts.tv_nsec = 7000000;   /* same second, other ms: only the tail changes */
    logfmt_clock_set(&c, &ts);
    ck_assert_str_eq(c.text, "2023-11-14T22:13:20.007Z");
    ts.tv_sec++;
    logfmt_clock_set(&c, &ts);
    ck_assert_str_eq(c.text, "2023-11-14T22:13:21.007Z");
    logfmt_clock_init(&c, LOGFMT_STAMP_UNIX);
    logfmt_clock_set(&c, &ts);
    ck_assert_str_eq(c.text, "1700000001.007");
}
END_TEST

static char rec[1 << 16];

static const char *record(struct logfmt *f, const char *line, bool cut)
{
    struct logfmt_line l = { line, strlen(line), cut };
    size_t n = logfmt_record(f, &l, rec);
    ck_assert_uint_le(n, logfmt_record_max(f, l.len));
    rec[n] = '\0';
    return rec;
}

START_TEST(test_records)
{
    struct timespec ts = { 1700000000, 123456789 };
    struct logfmt f;
    logfmt_init(&f, LOGFMT_TEXT, LOGFMT_STAMP_ISO8601, "g:web", true, "stdout");
    logfmt_clock_set(&f.clock, &ts);
    ck_assert_str_eq(record(&f, "hello", false), "2023-11-14T22:13:20Z g:web | hello\n");
    ck_assert_str_eq(record(&f, "hel", true), "2023-11-14T22:13:20Z g:web | hel" LOGFMT_CUT_MARK "\n");
    logfmt_init(&f, LOGFMT_TEXT, LOGFMT_STAMP_UNIX, "web", false, "stdout");
    logfmt_clock_set(&f.clock, &ts);
    ck_assert_str_eq(record(&f, "x", false), "1700000000.123 x\n");
    logfmt_init(&f, LOGFMT_JSON, LOGFMT_STAMP_NONE, "web", true, "stderr");
    logfmt_clock_set(&f.clock, &ts);
    ck_assert_str_eq(record(&f, "a \"b\"\t\x01", false),
                     "{\"time\": \"2023-11-14T22:13:20.123Z\", \"name\": \"web\", \"stream\": "
                     "\"stderr\", \"message\": \"a \\\"b\\\"\\t\\u0001\"}\n");
    ck_assert_str_eq(record(&f, "", true),
                     "{\"time\": \"2023-11-14T22:13:20.123Z\", \"name\": \"web\", \"stream\": "
                     "\"stderr\", \"message\": \"\", \"partial\": true}\n");
    logfmt_init(&f, LOGFMT_JSON, LOGFMT_STAMP_ISO8601, "w", false, "stdout");
    logfmt_clock_set(&f.clock, &ts);
    ck_assert_str_eq(record(&f, "m", false),
                     "{\"time\": \"2023-11-14T22:13:20Z\", \"name\": \"w\", \"stream\": \"stdout\", "
                     "\"message\": \"m\"}\n");
    /* the worst case fits the bound: a long line of control bytes */
    static char worst[60000];
    memset(worst, 1, sizeof worst - 1);
    struct logfmt_line l = { worst, sizeof worst - 1, true };
    size_t max = logfmt_record_max(&f, l.len);
    char *big = malloc(max);
    size_t got = logfmt_record(&f, &l, big);
    ck_assert_uint_le(got, max);
    ck_assert_uint_gt(got, 6 * l.len);
    free(big);
}
END_TEST

START_TEST(test_syslog_datagram)
{
    struct tm tm = { .tm_year = 123, .tm_mon = 10, .tm_mday = 4, .tm_hour = 9, .tm_min = 3,
                     .tm_sec = 7 };
    char dg[256];
    size_t used;
    size_t n = logfmt_syslog(dg, sizeof dg, LOGFMT_SYSLOG_PRI, &tm, "web", "hello", 5, &used);
    dg[n] = '\0';
    ck_assert_str_eq(dg, "<14>Nov  4 09:03:07 web: hello");
    ck_assert_uint_eq(used, 5);
    /* a message longer than the datagram: cut, and told how much went */
    char big[400];
    memset(big, 'z', sizeof big);
    n = logfmt_syslog(dg, 128, LOGFMT_SYSLOG_PRI, &tm, "web", big, sizeof big, &used);
    ck_assert_uint_eq(n, 128);
    ck_assert_uint_eq(used, 128 - strlen("<14>Nov  4 09:03:07 web: "));
}
END_TEST

static Suite *logfmt_suite(void)
{
    Suite *s = suite_create("logfmt");
    TCase *tc = tcase_create("framer");
    tcase_add_test(tc, test_frame_lines);
    tcase_add_test(tc, test_frame_cut);
    tcase_add_test(tc, test_frame_cut_utf8);
    tcase_add_test(tc, test_frame_stream);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_json_control_bytes);
    tcase_add_test(tc, test_json_utf8);
    tcase_add_test(tc, test_json_random_vs_reference);
    suite_add_tcase(s, tc);
    tc = tcase_create("records");
    tcase_add_test(tc, test_stamps);
    tcase_add_test(tc, test_records);
    tcase_add_test(tc, test_syslog_datagram);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(logfmt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
