/* health.c - probe specs, the readiness/health keys, the restart policy
 * and the environment_file lists (issue 14). */
#include "conf/health.h"
#include "conf/diag.h"
#include "conf/util.h"
#include "conf/values.h"
#include "conf/words.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MAX_MS 1000000000L              /* 1000000 s, as MAX_SECS in build.c */
#define MIN_INTERVAL_MS 10L

int cf_parse_ms(const char *s, long min_ms, long max_ms, int *out)
{
    long whole = 0, frac = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        whole = whole * 10 + (*p - '0');
        if (whole > MAX_MS / 1000 + 1)
            return -1;
    }
    if (*p == '.') {
        int n = 0;
        for (p++; isdigit((unsigned char)*p); p++, n++)
            if (n < 3)
                frac = frac * 10 + (*p - '0');
            else if (*p != '0')
                return -1;          /* finer than a millisecond */
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            frac *= 10;
    }
    if (*p)
        return -1;
    long ms = whole * 1000 + frac;
    if (ms < min_ms || ms > max_ms)
        return -1;
    *out = (int)ms;
    return 0;
}

/* ---- probe specs ---- */

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

static int parse_port(const char *s, size_t n, uint16_t *out)
{
    if (n == 0 || n > 5)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

/* HOST (as written, N bytes: "127.0.0.1", "localhost", "[::1]") into the
 * spec's address. Only numbers: resolving a name could block the loop. */
static int parse_host(const char *s, size_t n, struct probe_spec *o, char *err, size_t errlen)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return fail(err, errlen, "%s", n ? "host name too long" : "empty host");
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (buf[0] == '[') {
        if (buf[n - 1] != ']')
            return fail(err, errlen, "'%s': missing ']' after an IPv6 address", buf);
        buf[n - 1] = '\0';
        if (inet_pton(AF_INET6, buf + 1, o->addr) != 1)
            return fail(err, errlen, "'%s]' is not an IPv6 address", buf);
        o->family = AF_INET6;
        return 0;
    }
    if (!strcasecmp(buf, "localhost"))
        snprintf(buf, sizeof buf, "127.0.0.1");
    if (inet_pton(AF_INET, buf, o->addr) == 1) {
        o->family = AF_INET;
        return 0;
    }
    if (strchr(buf, ':'))
        return fail(err, errlen, "write an IPv6 address in brackets: [%s]", buf);
    return fail(err, errlen,
                "host '%s' is not a numeric address (tend resolves no names, a lookup could "
                "block; use an IP address or localhost)", buf);
}

/* "HOST:PORT" or "PORT" (tcp) / "HOST[:PORT]" (http, DEFPORT): the last
 * ':' outside brackets separates the port. */
static int parse_hostport(const char *s, size_t n, uint16_t defport, struct probe_spec *o,
                          char *err, size_t errlen)
{
    const char *colon = NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ']')
            colon = NULL;
        else if (s[i] == ':')
            colon = s + i;
    }
    if (!colon) {
        if (!defport) {     /* tcp:PORT */
            if (parse_port(s, n, &o->port) < 0)
                return fail(err, errlen, "%s", "expected tcp:PORT or tcp:HOST:PORT, PORT 1 to 65535");
            o->family = AF_INET;
            o->addr[0] = 127, o->addr[1] = 0, o->addr[2] = 0, o->addr[3] = 1;
            return 0;
        }
        o->port = defport;
        return parse_host(s, n, o, err, errlen);
    }
    size_t hl = (size_t)(colon - s);
    if (parse_port(colon + 1, n - hl - 1, &o->port) < 0)
        return fail(err, errlen, "%s", "the port must be a number from 1 to 65535");
    return parse_host(s, hl, o, err, errlen);
}

int conf_probe_parse(const char *text, const char *dir, struct probe_spec *out, char *err,
                     size_t errlen)
{
    struct probe_spec o = {.kind = PROBE_NONE};
    int rc = -1;
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!strncasecmp(s, "tcp:", 4)) {
        o.kind = PROBE_TCP;
        rc = parse_hostport(s + 4, n - 4, 0, &o, err, errlen);
    } else if (!strncasecmp(s, "unix:", 5)) {
        o.kind = PROBE_UNIX;
        if (n == 5) {
            rc = fail(err, errlen, "%s", "expected unix:PATH");
        } else {
            char *rel = cf_xstrndup(s + 5, n - 5);
            o.path = cf_path_join(dir ? dir : ".", rel);
            free(rel);
            struct sockaddr_un sa;
            if (strlen(o.path) >= sizeof sa.sun_path)
                rc = fail(err, errlen, "socket path '%s' is too long (at most 107 bytes)",
                          o.path);
            else
                rc = 0;
        }
    } else if (!strncasecmp(s, "http://", 7)) {
        o.kind = PROBE_HTTP;
        const char *hp = s + 7, *end = s + n;
        const char *slash = memchr(hp, '/', (size_t)(end - hp));
        const char *hend = slash ? slash : end;
        rc = parse_hostport(hp, (size_t)(hend - hp), 80, &o, err, errlen);
        if (rc == 0) {
            o.host = cf_xstrndup(hp, (size_t)(hend - hp));
            o.path = slash ? cf_xstrndup(slash, (size_t)(end - slash)) : cf_xstrdup("/");
            for (const char *c = o.path; *c && rc == 0; c++)
                if ((unsigned char)*c <= ' ' || *c == 0x7f)
                    rc = fail(err, errlen, "%s",
                              "the URL path must not contain blanks or control characters");
            if (strchr(o.host, '@'))
                rc = fail(err, errlen, "%s", "user:password@ in the URL is not supported");
        }
    } else if (!strncasecmp(s, "https://", 8)) {
        rc = fail(err, errlen, "%s",
                  "https is not supported (use exec:curl -fsS https://...)");
    } else if (!strncasecmp(s, "exec:", 5)) {
        o.kind = PROBE_EXEC;
        char *cmd = cf_xstrndup(s + 5, n - 5), *werr = NULL;
        o.argv = cf_split_words(cmd, &werr);
        free(cmd);
        if (!o.argv) {
            rc = fail(err, errlen, "exec: %s", werr ? werr : "bad command");
            free(werr);
        } else {
            rc = 0;
        }
    } else {
        rc = fail(err, errlen, "%s",
                  "expected a probe: tcp:PORT, tcp:HOST:PORT, unix:PATH, "
                  "http://HOST:PORT/PATH or exec:COMMAND");
    }
    if (rc < 0) {
        conf_probe_free(&o);
        *out = o;
        return -1;
    }
    o.text = cf_xstrndup(s, n);
    for (char *c = o.text; *c; c++)     /* continuation lines read as one */
        if (*c == '\n')
            *c = ' ';
    *out = o;
    return 0;
}

void conf_probe_copy(struct probe_spec *dst, const struct probe_spec *src)
{
    *dst = *src;
    dst->text = cf_xstrdup(src->text);
    dst->host = cf_xstrdup(src->host);
    dst->path = cf_xstrdup(src->path);
    dst->argv = src->argv ? cf_strv_dup(src->argv) : NULL;
}

void conf_probe_free(struct probe_spec *p)
{
    free(p->text);
    free(p->host);
    free(p->path);
    cf_strv_free(p->argv);
    memset(p, 0, sizeof *p);
    p->kind = PROBE_NONE;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool strv_eq(char *const *a, char *const *b)
{
    if (!a || !b)
        return a == b;
    size_t n = cf_strv_len(a);
    if (n != cf_strv_len(b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i], b[i]))
            return false;
    return true;
}

bool conf_probe_same(const struct probe_spec *a, const struct probe_spec *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == PROBE_NONE)
        return true;
    return a->family == b->family && !memcmp(a->addr, b->addr, sizeof a->addr) &&
           a->port == b->port && str_eq(a->host, b->host) && str_eq(a->path, b->path) &&
           strv_eq(a->argv, b->argv);
}

/* ---- restart policy ---- */

uint64_t conf_backoff_delay_ms(const struct process_config *p, unsigned crashes)
{
    uint64_t base = p->restart_delay_ms > 0 ? (uint64_t)p->restart_delay_ms : 0;
    if (p->backoff_max_ms <= 0 || crashes < 2)
        return base;
    /* 1 s for the second crash in a row, doubling; the shift is capped far
     * above any backoff_max so it never overflows */
    unsigned sh = crashes - 2 > 30 ? 30 : crashes - 2;
    uint64_t grow = 1000ULL << sh;
    if (grow > (uint64_t)p->backoff_max_ms)
        grow = (uint64_t)p->backoff_max_ms;
    return grow > base ? grow : base;
}

/* ---- the model ---- */

void cf_health_init(struct process_config *p)
{
    p->ready_probe.kind = PROBE_NONE;
    p->healthcheck.kind = PROBE_NONE;
    p->ready_interval_ms = 500;
    p->healthcheck_interval_ms = 10000;
    p->healthcheck_timeout_ms = 5000;
    p->healthcheck_retries = 3;
    p->healthcheck_start_period_ms = 0;
    p->healthcheck_action = HEALTH_RESTART;
    p->restart_delay_ms = 0;
    p->backoff_max_ms = 60000;
    p->restart_limit_count = 0;
    p->restart_limit_interval_ms = 60000;
}

void cf_health_free(struct process_config *p)
{
    conf_probe_free(&p->ready_probe);
    conf_probe_free(&p->healthcheck);
    cf_strv_free(p->environment_files);
    p->environment_files = NULL;
    p->environment_files_nsup = 0;
    cf_env_free(&p->environment_own);
}


bool cf_health_same(const struct process_config *a, const struct process_config *b)
{
    return conf_probe_same(&a->ready_probe, &b->ready_probe) &&
           a->ready_interval_ms == b->ready_interval_ms &&
           conf_probe_same(&a->healthcheck, &b->healthcheck) &&
           a->healthcheck_interval_ms == b->healthcheck_interval_ms &&
           a->healthcheck_timeout_ms == b->healthcheck_timeout_ms &&
           a->healthcheck_retries == b->healthcheck_retries &&
           a->healthcheck_start_period_ms == b->healthcheck_start_period_ms &&
           a->healthcheck_action == b->healthcheck_action &&
           a->restart_delay_ms == b->restart_delay_ms && a->backoff_max_ms == b->backoff_max_ms &&
           a->restart_limit_count == b->restart_limit_count &&
           a->restart_limit_interval_ms == b->restart_limit_interval_ms &&
           (a->environment_files && b->environment_files
                ? strv_eq(a->environment_files, b->environment_files)
                : cf_strv_len(a->environment_files) == cf_strv_len(b->environment_files)) &&
           a->environment_files_nsup == b->environment_files_nsup &&
           cf_env_eq(&a->environment_own, &b->environment_own);
}

static const char *secs(char buf[32], int ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, 32, "%d", ms / 1000);
    else if (ms % 100 == 0)
        snprintf(buf, 32, "%d.%d", ms / 1000, ms % 1000 / 100);
    else if (ms % 10 == 0)
        snprintf(buf, 32, "%d.%02d", ms / 1000, ms % 1000 / 10);
    else
        snprintf(buf, 32, "%d.%03d", ms / 1000, ms % 1000);
    return buf;
}

void cf_health_dump(const struct process_config *p, FILE *out)
{
    static const char *const actions[] = {"restart", "stop", "none"};
    char b[32];
    if (p->ready == READY_PROBE)
        fprintf(out, "ready_interval = %s\n", secs(b, p->ready_interval_ms));
    if (p->healthcheck.kind != PROBE_NONE) {
        fprintf(out, "healthcheck = %s\n", p->healthcheck.text);
        fprintf(out, "healthcheck_interval = %s\n", secs(b, p->healthcheck_interval_ms));
        fprintf(out, "healthcheck_timeout = %s\n", secs(b, p->healthcheck_timeout_ms));
        fprintf(out, "healthcheck_retries = %d\n", p->healthcheck_retries);
        fprintf(out, "healthcheck_start_period = %s\n",
                secs(b, p->healthcheck_start_period_ms));
        fprintf(out, "healthcheck_action = %s\n", actions[p->healthcheck_action]);
    } else {
        fprintf(out, "healthcheck = (none)\n");
    }
    fprintf(out, "restart_delay = %s\n", secs(b, p->restart_delay_ms));
    fprintf(out, "backoff_max = %s\n", secs(b, p->backoff_max_ms));
    fprintf(out, "restart_limit_count = %d\n", p->restart_limit_count);
    fprintf(out, "restart_limit_interval = %s\n", secs(b, p->restart_limit_interval_ms));
    fprintf(out, "environment_file =");
    for (size_t i = 0; p->environment_files && p->environment_files[i]; i++)
        fprintf(out, "%s%s", i ? ", " : " ", p->environment_files[i]);
    fputc('\n', out);
}

/* ---- keys ---- */

static void bad(struct conf_diags *d, const char *file, int line, const char *key, const char *v,
                const char *expected)
{
    cf_diag_once(d, CONF_ERROR, file, line, "%s: invalid value '%s' (expected %s)", key, v,
                 expected);
}

/* "a.env, -/etc/b.env": each entry made absolute (the '-' kept in front),
 * checked, and added to LIST. */
static void envfile_list(const char *v, const char *file, int line, const char *dir,
                         struct conf_diags *d, char ***list)
{
    struct cf_strvec sv = {0};
    for (size_t i = 0; *list && (*list)[i]; i++)
        cf_strvec_push(&sv, cf_xstrdup((*list)[i]));
    char *copy = cf_xstrdup(v), *save = NULL;
    size_t added = 0;
    for (char *w = strtok_r(copy, ",\n", &save); w; w = strtok_r(NULL, ",\n", &save)) {
        w = cf_trim(w);
        bool optional = *w == '-';
        if (optional)
            w = cf_trim(w + 1);
        if (!*w) {
            cf_diag_once(d, CONF_ERROR, file, line, "environment_file: an empty path");
            continue;
        }
        char *abs = cf_path_join(dir, w);
        char *entry = optional ? cf_xasprintf("-%s", abs) : cf_xstrdup(abs);
        free(abs);
        char err[512];
        int rc = cf_envfile_check(entry, err, sizeof err);
        if (rc < 0)
            cf_diag_once(d, CONF_ERROR, file, line, "environment_file: %s", err);
        else if (rc > 0)
            cf_diag_once(d, CONF_WARNING, file, line,
                         "environment_file: %s (the program will fail to start while it is "
                         "missing; a leading '-' makes it optional)", err);
        cf_strvec_push(&sv, entry);
        added++;
    }
    if (!added)
        cf_diag_once(d, CONF_ERROR, file, line, "environment_file: an empty path");
    free(copy);
    cf_strv_free(*list);
    *list = cf_strvec_finish(&sv);
}

bool cf_supervisor_health_key(struct tend_config *c, const char *key, const char *v,
                              const char *file, int line, const char *dir,
                              struct conf_diags *d)
{
    if (strcmp(key, "environment_file"))
        return false;
    envfile_list(v, file, line, dir, d, &c->environment_files);
    return true;
}

static bool probe_key(struct probe_spec *ps, const char *key, const char *v, const char *file,
                      int line, const char *dir, struct conf_diags *d)
{
    static const char *const schemes[] = {"tcp:", "unix:", "http:", "https:", "exec:"};
    char err[512];
    conf_probe_free(ps);
    const char *s = v + strspn(v, " \t\n");
    bool scheme = false;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !scheme; i++)
        scheme = !strncasecmp(s, schemes[i], strlen(schemes[i]));
    if (!scheme) {
        bad(d, file, line, key, v,
            !strcmp(key, "ready") ? "startsecs, notify or a probe: tcp:PORT, unix:PATH, "
                                    "http://HOST:PORT/PATH or exec:COMMAND"
                                  : "a probe: tcp:PORT, unix:PATH, http://HOST:PORT/PATH or "
                                    "exec:COMMAND");
        return false;
    }
    if (conf_probe_parse(v, dir, ps, err, sizeof err) < 0) {
        cf_diag_once(d, CONF_ERROR, file, line, "%s: '%s': %s", key, v, err);
        return false;
    }
    return true;
}

bool cf_health_key(struct process_config *p, const char *key, const char *v, const char *file,
                   int line, const char *dir, struct conf_diags *d)
{
    static const struct cf_keyword actions[] = {
        {"restart", HEALTH_RESTART}, {"stop", HEALTH_STOP}, {"none", HEALTH_NONE}, {NULL, 0},
    };
    /* seconds keys: field, smallest value, what to say */
    const struct {
        const char *key;
        int *out;
        long min;
        const char *expected;
    } times[] = {
        {"ready_interval", &p->ready_interval_ms, MIN_INTERVAL_MS,
         "seconds from 0.01 to 1000000, such as 0.5"},
        {"healthcheck_interval", &p->healthcheck_interval_ms, MIN_INTERVAL_MS,
         "seconds from 0.01 to 1000000, such as 10"},
        {"healthcheck_timeout", &p->healthcheck_timeout_ms, 1,
         "seconds from 0.001 to 1000000, such as 5"},
        {"healthcheck_start_period", &p->healthcheck_start_period_ms, 0,
         "seconds from 0 to 1000000"},
        {"restart_delay", &p->restart_delay_ms, 0, "seconds from 0 to 1000000"},
        {"backoff_max", &p->backoff_max_ms, 0, "seconds from 0 to 1000000"},
        {"restart_limit_interval", &p->restart_limit_interval_ms, 1,
         "seconds from 0.001 to 1000000"},
    };
    int iv;
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        if (strcmp(key, times[i].key))
            continue;
        if (cf_parse_ms(v, times[i].min, MAX_MS, &iv) < 0)
            bad(d, file, line, key, v, times[i].expected);
        else
            *times[i].out = iv;
        return true;
    }
    if (!strcmp(key, "ready")) {
        if (!strcasecmp(v, "startsecs") || !strcasecmp(v, "notify")) {
            conf_probe_free(&p->ready_probe);
            return false;           /* build.c's */
        }
        if (probe_key(&p->ready_probe, key, v, file, line, dir, d))
            p->ready = READY_PROBE;
        return true;
    }
    if (!strcmp(key, "healthcheck")) {
        probe_key(&p->healthcheck, key, v, file, line, dir, d);
        return true;
    }
    if (!strcmp(key, "healthcheck_retries")) {
        if (cf_parse_int(v, 1, 1000000, &iv) < 0)
            bad(d, file, line, key, v, "an integer from 1 to 1000000");
        else
            p->healthcheck_retries = iv;
        return true;
    }
    if (!strcmp(key, "healthcheck_action")) {
        if (cf_parse_keyword(v, actions, &iv) < 0)
            bad(d, file, line, key, v, "restart, stop or none");
        else
            p->healthcheck_action = (enum health_action)iv;
        return true;
    }
    if (!strcmp(key, "startretries")) {
        if (!strcasecmp(v, "forever"))
            p->startretries = CONF_RETRIES_FOREVER;
        else if (cf_parse_int(v, 0, 1000000, &iv) < 0)
            bad(d, file, line, key, v, "an integer from 0 to 1000000, or forever");
        else
            p->startretries = iv;
        return true;
    }
    if (!strcmp(key, "restart_limit_count")) {
        if (cf_parse_int(v, 0, 1000000, &iv) < 0)
            bad(d, file, line, key, v, "an integer from 0 to 1000000");
        else
            p->restart_limit_count = iv;
        return true;
    }
    if (!strcmp(key, "environment_file")) {
        envfile_list(v, file, line, dir, d, &p->environment_files);
        return true;
    }
    return false;
}

void cf_health_finish(const struct tend_config *c, struct process_config *p,
                      const struct env_list *own, bool startsecs_set)
{
    if (p->ready == READY_PROBE && !startsecs_set)
        p->startsecs = 90;
    struct cf_strvec sv = {0};
    size_t nsup = 0;
    for (size_t i = 0; c && c->environment_files && c->environment_files[i]; i++, nsup++)
        cf_strvec_push(&sv, cf_xstrdup(c->environment_files[i]));
    for (size_t i = 0; p->environment_files && p->environment_files[i]; i++)
        cf_strvec_push(&sv, cf_xstrdup(p->environment_files[i]));
    cf_strv_free(p->environment_files);
    p->environment_files = cf_strvec_finish(&sv);
    p->environment_files_nsup = nsup;
    cf_env_free(&p->environment_own);
    if (own)
        cf_env_copy(&p->environment_own, own);
}
