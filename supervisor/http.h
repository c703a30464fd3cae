/* http.h - a small HTTP/1.0-1.1 server inside tend's event loop.
 *
 * Serves [unix_http_server] and [inet_http_server] for supervisord's
 * XML-RPC interface (rpc.c). Every socket is non-blocking and close-on-exec;
 * nothing here waits. Limits: a request head of at most HTTP_MAX_HEAD bytes,
 * a body (Content-Length only; chunked bodies get 411) of at most
 * HTTP_MAX_BODY (413), HTTP_MAX_CONNS connections (the listeners pause at the
 * cap), and a deadline for each request: a client that has not sent a whole
 * request HTTP_REQUEST_MS after its first byte, or stays idle between
 * keep-alive requests for HTTP_IDLE_MS, or does not read its answer for
 * HTTP_IDLE_MS, is dropped. An idle server has no timer.
 *
 * Basic authentication when the section sets username: the password plain,
 * or "{SHA}" + hex SHA-1 as supervisord; a wrong one gets 401 and a log line.
 * Malformed requests get 400 and the connection is closed.
 *
 * The handler gets each whole request; it answers at once or later with
 * http_reply() (the connection reads nothing more meanwhile). A handler that
 * answers later may set a cancel hook: it is called if the connection goes
 * away first, after which the connection must not be used.
 */
#ifndef TEND_HTTP_H
#define TEND_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "../conf/conf.h"
#include "loop.h"

#define HTTP_MAX_HEAD (64 * 1024)
#define HTTP_MAX_BODY (4 * 1024 * 1024)
#define HTTP_MAX_CONNS 64
#define HTTP_REQUEST_MS 30000
#define HTTP_IDLE_MS 60000

struct http_server;
struct http_conn;

/* The parsed head of a request; pointers into the caller's buffer. */
struct http_head {
    const char *method; size_t method_len;
    const char *path; size_t path_len;
    int minor;                   /* HTTP/1.MINOR */
    bool has_length;
    size_t content_length;
    bool chunked;                /* Transfer-Encoding other than identity */
    bool conn_close, conn_keep_alive;
    const char *auth; size_t auth_len;   /* the Authorization value, or NULL */
};

/* Parse a request head from BUF (LEN bytes). Returns the length of the head
 * (through the blank line) when complete, 0 when more bytes are needed, -1
 * when malformed (or a Content-Length beyond SIZE_MAX/2). Pure: no I/O, no
 * allocation, for the fuzzer. */
long http_parse_head(const char *buf, size_t len, struct http_head *h);

/* Decode standard base64 (padding required, no blanks) from IN into OUT
 * (at most OUTLEN bytes). Returns the decoded length or -1. */
long http_base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen);
/* SHA-1 of DATA into OUT[20]. */
void http_sha1(const void *data, size_t len, unsigned char out[20]);
/* Does USER:PASS (a decoded Basic credential) match USERNAME and PASSWORD
 * (plain or "{SHA}hex")? Constant time in the password. */
bool http_check_password(const char *cred, size_t credlen, const char *username,
                         const char *password);

struct http_request {
    const char *method;          /* NUL-terminated copies valid during the call */
    const char *path;
    const char *body;            /* NUL-terminated; body_len bytes */
    size_t body_len;
};

/* Called for every authenticated, well-formed request. */
typedef void (*http_handler)(void *arg, struct http_conn *c, const struct http_request *r);

/* Open the listeners the config asks for ([unix_http_server] file with
 * chmod/chown, replacing a stale socket only when nobody answers on it;
 * [inet_http_server] port). Returns NULL with a message in ERR on failure
 * (another server on the socket, bind refused...). Copies what it needs from
 * CFG. */
struct http_server *http_open(struct loop *l, const struct tend_config *cfg, http_handler h,
                              void *arg, char *err, size_t errlen);
/* Close every connection (a last non-blocking write of what is queued), the
 * listeners, and remove the unix socket. NULL is fine. */
void http_close(struct http_server *s);
/* CB(ARG) runs whenever the last open connection has closed (to give back
 * what answering kept for the next call). */
void http_on_idle(struct http_server *s, void (*cb)(void *arg), void *arg);
/* The URL children get as SUPERVISOR_SERVER_URL: "unix:///path" when a
 * unix socket is served, else "http://host:port"; NULL without a server. */
const char *http_server_url(const struct http_server *s);

/* http_reply with the body in N PARTS, copied once into the answer. */
struct iovec;
void http_reply_parts(struct http_conn *c, int status, const char *ctype,
                      const struct iovec *parts, int n);
/* Answer the request C is processing. BODY (LEN bytes) is copied. C may be
 * freed before this returns (unless called from inside the handler): do not
 * use C afterwards. STATUS 200 with CTYPE "text/xml" for XML-RPC. */
void http_reply(struct http_conn *c, int status, const char *ctype, const char *body,
                size_t len);
/* Take BODY (malloc'd, LEN bytes) instead of copying it. */
void http_reply_take(struct http_conn *c, int status, const char *ctype, char *body, size_t len);
/* Streaming answers (supervisord's /logtail): a 200 head with CTYPE and no
 * length (chunked for HTTP/1.1, else ended by closing), then any number of
 * writes, until the client goes away (then the cancel hook is called). At
 * most HTTP_MAX_STREAM_QUEUE bytes wait for a slow reader; beyond, the
 * connection is dropped. Both return -1 when C is gone (cancel hook called,
 * or, inside the handler, C will close): do not use C afterwards. */
#define HTTP_MAX_STREAM_QUEUE (1024 * 1024)
int http_stream_begin(struct http_conn *c, const char *ctype);
int http_stream_write(struct http_conn *c, const char *data, size_t len);
/* Bytes written but not yet taken by the client. */
size_t http_stream_pending(const struct http_conn *c);

/* For an answer given later: CANCEL(ARG) is called if C closes first. */
void http_set_cancel(struct http_conn *c, void (*cancel)(void *arg), void *arg);

#endif
