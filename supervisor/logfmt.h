/* logfmt.h - line framing, timestamps, JSON and syslog records for captured
 * output. Pure functions over caller-owned memory: no allocation, no I/O
 * (the clock is read by the caller), so capture.c and log.c share them and
 * unit tests drive them directly.
 *
 * A *record* is one captured line as written out: text ("STAMP NAME | line")
 * or JSON ({"time": ..., "name": ..., "stream": ..., "message": ...}), always
 * ending with one '\n'. A line longer than the cut length becomes several
 * records; every one but the last is marked (text: LOGFMT_CUT_MARK at its
 * end, JSON: "partial": true).
 */
#ifndef TEND_LOGFMT_H
#define TEND_LOGFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum logfmt_stamp { LOGFMT_STAMP_NONE, LOGFMT_STAMP_ISO8601, LOGFMT_STAMP_RFC3339MS, LOGFMT_STAMP_UNIX };
enum logfmt_format { LOGFMT_TEXT, LOGFMT_JSON };

#define LOGFMT_CUT_MARK " [...]"     /* ends a text record whose line goes on */
#define LOGFMT_STAMP_MAX 32           /* longest stamp text */
#define LOGFMT_NAME_MAX 200           /* name bytes kept in prefixes and "name" */
#define LOGFMT_HEAD_MAX (LOGFMT_NAME_MAX * 6 + 64)

/* ---- framing ---- */

struct logfmt_line {
    const char *p;     /* the line's bytes, without "\n" or "\r\n" */
    size_t len;
    bool cut;          /* cut at the bounded length: the line goes on */
};

/* The next record in BUF[0..LEN): a complete line (its "\n", and a "\r"
 * before it, removed) of at most MAX bytes; or, when the first MAX + 2
 * bytes hold no line end, the first MAX bytes (cut, moved back to a UTF-8
 * character boundary when one is within 3 bytes); or, when FINAL (EOF),
 * what is left. Returns the bytes consumed, 0 when BUF holds no record yet
 * (keep the bytes, read more). A caller's buffer of MAX + 2 bytes therefore
 * always yields a record once full. MAX >= 4. */
size_t logfmt_next(const char *buf, size_t len, size_t max, bool final, struct logfmt_line *out);

/* ---- JSON ---- */

/* Room logfmt_json_escape needs for N input bytes (worst case \u00XX). */
#define LOGFMT_JSON_MAX(n) ((n) * 6)

/* IN[0..N) as the inside of a JSON string into OUT (room for
 * LOGFMT_JSON_MAX(N)): '"' '\\' escaped, control bytes (0x00-0x1f, 0x7f)
 * as \b \f \n \r \t or \u00XX, valid UTF-8 copied, each maximal invalid
 * subsequence (overlong, surrogate, > U+10FFFF, truncated, stray
 * continuation) replaced by U+FFFD. Returns the bytes written. */
size_t logfmt_json_escape(char *out, const char *in, size_t n);

/* ---- timestamps ---- */

/* Formats stamps, reformatting the date only when the second changes. */
struct logfmt_clock {
    enum logfmt_stamp kind;
    time_t sec;                       /* second of text[], -1 before the first */
    char text[LOGFMT_STAMP_MAX];      /* the stamp of the last logfmt_clock_set */
    size_t len;
};

void logfmt_clock_init(struct logfmt_clock *c, enum logfmt_stamp kind);
/* Make c->text the stamp of TS (UTC): iso8601 "2025-01-31T12:34:56Z",
 * rfc3339ms "2025-01-31T12:34:56.789Z", unix "1738326896.789". NONE: "". */
void logfmt_clock_set(struct logfmt_clock *c, const struct timespec *ts);

/* ---- records ---- */

/* How one stream's lines are written. */
struct logfmt {
    enum logfmt_format format;
    struct logfmt_clock clock;        /* JSON without a stamp kind: rfc3339ms */
    char head[LOGFMT_HEAD_MAX];       /* text: "NAME | " or ""; JSON: the name and stream fields */
    size_t head_len;
};

/* Set up F. NAME (cut to LOGFMT_NAME_MAX) is the prefix when PREFIX (text)
 * and the "name" field (JSON); STREAM is "stdout" or "stderr". */
void logfmt_init(struct logfmt *f, enum logfmt_format format, enum logfmt_stamp stamp,
                 const char *name, bool prefix, const char *stream);
/* Upper bound of logfmt_record's output for a line of LEN bytes. */
size_t logfmt_record_max(const struct logfmt *f, size_t len);
/* Write L as one record into OUT (room for logfmt_record_max), stamped
 * with F's clock (set it first); returns its length. */
size_t logfmt_record(const struct logfmt *f, const struct logfmt_line *l, char *out);

/* ---- syslog ---- */

/* supervisord's stdout_syslog: facility user, priority info. */
#define LOGFMT_SYSLOG_PRI 14
#define LOGFMT_SYSLOG_MAX 8192        /* one datagram; longer lines are sent in pieces */

/* An RFC 3164 datagram "<PRI>Mmm dd hh:mm:ss TAG: MSG" (TM local time,
 * TAG cut to 48 bytes) of at most CAP bytes, MSG cut to fit; *USED gets
 * how many bytes of MSG it holds. Returns its length. CAP >= 128. */
size_t logfmt_syslog(char *out, size_t cap, int pri, const struct tm *tm, const char *tag,
                     const char *msg, size_t n, size_t *used);

#endif
