/* values.c - value parsers: booleans, numbers, sizes, signals, modes,
 * exit codes, environments, users and groups. */
#include "conf/values.h"
#include "conf/util.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cf_parse_keyword(const char *s, const struct cf_keyword *tab, int *out)
{
    for (; tab->name; tab++) {
        if (!strcasecmp(s, tab->name)) {
            *out = tab->value;
            return 0;
        }
    }
    return -1;
}

int cf_parse_bool(const char *s, bool *out)
{
    static const struct cf_keyword tab[] = {
        {"true", 1}, {"yes", 1}, {"on", 1}, {"1", 1},
        {"false", 0}, {"no", 0}, {"off", 0}, {"0", 0}, {NULL, 0},
    };
    int v;
    if (cf_parse_keyword(s, tab, &v) < 0)
        return -1;
    *out = v;
    return 0;
}

/* A decimal integer with optional sign, no blanks inside, whole string. */
static int parse_long(const char *s, long *out)
{
    char *end;
    if (!*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

int cf_parse_int(const char *s, long min, long max, int *out)
{
    long v;
    if (parse_long(s, &v) < 0 || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int cf_parse_size(const char *s, uint64_t *out)
{
    static const struct { const char *suffix; uint64_t mult; } units[] = {
        {"kb", 1024ULL}, {"mb", 1024ULL * 1024}, {"gb", 1024ULL * 1024 * 1024},
    };
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    uint64_t mult = 1;
    if (*end) {
        size_t i;
        for (i = 0; i < sizeof units / sizeof units[0]; i++)
            if (!strncasecmp(end, units[i].suffix, 2))
                break;
        if (i == sizeof units / sizeof units[0])
            return -1;
        mult = units[i].mult;
        end += 2;
        while (isspace((unsigned char)*end))
            end++;
        if (*end)
            return -1;
    }
    if (v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

int cf_parse_octal(const char *s, unsigned max, mode_t *out)
{
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        s += 2;
    if (!*s)
        return -1;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '7')
            return -1;
        v = v * 8 + (unsigned long)(*p - '0');
        if (v > max)
            return -1;
    }
    *out = (mode_t)v;
    return 0;
}

int cf_parse_exitcodes(const char *s, uint8_t bits[32], char **err)
{
    uint8_t b[32] = {0};
    char *copy = cf_xstrdup(s), *save = NULL;
    int n = 0, rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = cf_trim(tok);
        int code;
        if (cf_parse_int(tok, 0, 255, &code) < 0) {
            *err = cf_xasprintf("'%s' is not an exit code (0-255)", tok);
            rc = -1;
            break;
        }
        b[code >> 3] |= (uint8_t)(1u << (code & 7));
        n++;
    }
    if (rc == 0 && n == 0) {
        *err = cf_xstrdup("no exit code given");
        rc = -1;
    }
    free(copy);
    if (rc == 0)
        memcpy(bits, b, sizeof b);
    return rc;
}

/* ---- signals ---- */
static const struct cf_keyword signals[] = {
    {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS},
    {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"POLL", SIGPOLL}, {"PWR", SIGPWR},
    {"SYS", SIGSYS}, {NULL, 0},
};

int conf_signal_parse(const char *s)
{
    int v;
    if (!s || !*s)
        return -1;
    if (isdigit((unsigned char)*s))
        return cf_parse_int(s, 1, SIGRTMAX, &v) == 0 ? v : -1;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    return cf_parse_keyword(s, signals, &v) == 0 ? v : -1;
}

const char *conf_signal_name(int sig)
{
    static char buf[16];
    for (const struct cf_keyword *k = signals; k->name; k++)
        if (k->value == sig)
            return k->name;
    snprintf(buf, sizeof buf, "%d", sig); /* callers add "SIG": SIG34 */
    return buf;
}

int cf_parse_signal(const char *s, int *out)
{
    int v = conf_signal_parse(s);
    if (v < 0)
        return -1;
    *out = v;
    return 0;
}

/* ---- environment ---- */
void cf_env_set(struct env_list *e, const char *key, const char *value)
{
    for (size_t i = 0; i < e->n; i++) {
        if (!strcmp(e->v[i].key, key)) {
            free(e->v[i].value);
            e->v[i].value = cf_xstrdup(value);
            return;
        }
    }
    e->v = cf_xrealloc(e->v, (e->n + 1) * sizeof *e->v);
    e->v[e->n].key = cf_xstrdup(key);
    e->v[e->n].value = cf_xstrdup(value);
    e->n++;
}

void cf_env_copy(struct env_list *dst, const struct env_list *src)
{
    for (size_t i = 0; i < src->n; i++)
        cf_env_set(dst, src->v[i].key, src->v[i].value);
}

bool cf_env_eq(const struct env_list *a, const struct env_list *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].key, b->v[i].key) || strcmp(a->v[i].value, b->v[i].value))
            return false;
    return true;
}

void cf_env_free(struct env_list *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].key);
        free(e->v[i].value);
    }
    free(e->v);
    e->v = NULL;
    e->n = 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The characters of a word for supervisord's shlex-based parser. */
static bool env_key_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("_./+-():", c));
}

int cf_parse_env(const char *s, struct env_list *out, char **err)
{
    struct env_list tmp = {0};
    const char *p = s;
    for (;;) {
        while (is_blank(*p) || *p == ',')
            p++;
        if (!*p)
            break;
        const char *k = p;
        while (env_key_char(*p))
            p++;
        if (p == k) {
            *err = cf_xasprintf("expected a variable name at '%.20s'", p);
            goto fail;
        }
        char *key = cf_xstrndup(k, (size_t)(p - k));
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=') {
            *err = cf_xasprintf("expected '=' after '%s'", key);
            free(key);
            goto fail;
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        char *val;
        if (*p == '"' || *p == '\'') {
            char q = *p++;
            const char *v = p;
            while (*p && *p != q)
                p++;
            if (!*p) {
                *err = cf_xasprintf("unterminated %c quote in the value of %s", q, key);
                free(key);
                goto fail;
            }
            val = cf_xstrndup(v, (size_t)(p - v));
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p && *p != ',' && *p != '\n' && *p != '\r') {
                *err = cf_xasprintf("expected ',' after the quoted value of %s", key);
                free(key);
                free(val);
                goto fail;
            }
        } else {
            const char *v = p;
            while (*p && *p != ',' && *p != '\n')
                p++;
            const char *e = p;
            while (e > v && is_blank(e[-1]))
                e--;
            val = cf_xstrndup(v, (size_t)(e - v));
            if (strchr(val, '"') || strchr(val, '\'')) {
                *err = cf_xasprintf("stray quote in the value of %s (quote the whole value)", key);
                free(key);
                free(val);
                goto fail;
            }
        }
        cf_env_set(&tmp, key, val);
        free(key);
        free(val);
    }
    cf_env_copy(out, &tmp);
    cf_env_free(&tmp);
    return 0;
fail:
    cf_env_free(&tmp);
    return -1;
}

/* ---- users and groups ---- */
/* getpwnam(3) lists these errnos as meaning "not found" too. */
static bool lookup_failed(int e)
{
    return e && e != ENOENT && e != ESRCH && e != EBADF && e != EPERM;
}

const struct conf_accounts *conf_accounts;

int cf_parse_user(const char *s, uid_t *uid, gid_t *gid, char **name, char **err)
{
    struct passwd *pw;
    long n;
    bool numeric = parse_long(s, &n) == 0;
    if (numeric && (n < 0 || n > (long)INT_MAX)) {
        *err = cf_xasprintf("'%s' is not a valid uid", s);
        return -1;
    }
    if (!conf_accounts) {
        *uid = (uid_t)-1;
        *gid = (gid_t)-1;
        *name = cf_xstrdup(s);
        return 0;
    }
    errno = 0; /* not before parse_long: musl's strtol sets EINVAL on a name */
    pw = numeric ? conf_accounts->by_uid((uid_t)n) : conf_accounts->by_name(s);
    if (!pw && numeric && !lookup_failed(errno)) {
        /* supervisord refuses it too: without an entry there is no group,
         * HOME or name to give the program */
        *err = cf_xasprintf("uid %ld has no passwd entry%s%s; a user must exist (as in "
                            "supervisord)", n, conf_accounts->user_source ? " in " : "",
                            conf_accounts->user_source ? conf_accounts->user_source : "");
        return -1;
    }
    if (!pw) {
        *err = lookup_failed(errno) ? cf_xasprintf("cannot look up user '%s': %s", s, strerror(errno))
                     : conf_accounts->user_source
                           ? cf_xasprintf("no such user '%s' in %s", s, conf_accounts->user_source)
                           : cf_xasprintf("no such user '%s'", s);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    *name = cf_xstrdup(pw->pw_name);
    return 0;
}

int cf_parse_group(const char *s, gid_t *gid, char **err)
{
    long n;
    if (parse_long(s, &n) == 0) {
        if (n < 0 || n > (long)INT_MAX) {
            *err = cf_xasprintf("'%s' is not a valid gid", s);
            return -1;
        }
        *gid = (gid_t)n;
        return 0;
    }
    if (!conf_accounts) {
        *gid = (gid_t)-1;
        return 0;
    }
    errno = 0;
    struct group *gr = conf_accounts->group_by_name(s);
    if (!gr) {
        *err = lookup_failed(errno) ? cf_xasprintf("cannot look up group '%s': %s", s, strerror(errno))
                     : conf_accounts->group_source
                           ? cf_xasprintf("no such group '%s' in %s", s, conf_accounts->group_source)
                           : cf_xasprintf("no such group '%s'", s);
        return -1;
    }
    *gid = gr->gr_gid;
    return 0;
}

bool cf_valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == ':' || *s == '/')
            return false;
    return true;
}
