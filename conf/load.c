/* load.c - our own line reader in front of inih, and [include].
 *
 * Debian's inih reads at most 199 characters a line and cuts longer ones in
 * two without a word, and its handler gets no line number. So we read the
 * physical lines ourselves (getline), and hand inih one short line for each:
 *   - comment lines (first non-blank ';' or '#') and blank lines: "";
 *   - inline comments (';' or '#' after a blank; quotes do not protect them,
 *     as in supervisord) are cut off first;
 *   - a value too long for inih (or holding our marker byte) is replaced by
 *     "\001N", the index of the full value in a per-file table;
 *   - syntax errors (no '=', a broken [header], a key before any section)
 *     are reported here and replaced by "", so inih itself never fails and
 *     we report every error, not the first.
 * inih calls the handler before it asks for the next line, so the reader's
 * line counter is the physical line of every key and continuation.
 *
 * Continuations, repeated keys and repeated sections follow configparser
 * (strict=False), which supervisord uses: an indented line continues a
 * value only when it is indented deeper than the key line (or header)
 * above it, so keys that are all indented alike are separate keys; a key
 * given again replaces the value; a section given again (also in another
 * file) is merged into the first. tend warns about the last two, naming
 * both places, since they are usually mistakes.
 *
 * [include] files = glob ...: as in supervisord, patterns are relative to
 * the directory of the including file and a pattern that matches nothing
 * (an empty conf.d/, or a missing literal file name) is only a warning.
 * Unlike supervisord, included files may include further files (each file
 * is read once; a second inclusion is skipped with a warning). A file that
 * matches but cannot be read is an error.
 */
#include "conf/load.h"
#include "conf/diag.h"
#include "conf/expand.h"
#include "conf/util.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#define TOKEN_MARK '\001'
#define MAX_KEY 64
#define MAX_SECTION 128
#define MAX_DEPTH 16

struct reader {
    FILE *fp;
    const char *file;       /* display path */
    const char *dir;        /* absolute directory */
    int lineno;
    char *buf;
    size_t cap;
    struct cf_doc *doc;
    struct conf_diags *d;
    long cur;               /* index of the current section in doc, -1 before any */
    long last;              /* index in it of the key a continuation extends */
    int indent;             /* indent of the last key or header line */
    bool cont;              /* the line handed out is a continuation line */
    bool have_key;          /* a key exists that a continuation would extend */
    bool skip;              /* inside a broken section header: ignore keys */
    struct cf_strvec tokens;
};

struct loader {
    struct cf_doc *doc;
    struct conf_diags *d;
    struct cf_strvec seen;  /* realpaths of files read */
};

const struct cf_kv *cf_section_get(const struct cf_section *s, const char *key)
{
    for (size_t i = 0; i < s->nkv; i++)
        if (!strcmp(s->kv[i].key, key))
            return &s->kv[i];
    return NULL;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Write "PREFIX" + VALUE into OUT (size NUM), or a token for VALUE. */
static void emit_value(struct reader *r, char *out, int num, const char *prefix,
                       const char *value)
{
    size_t need = strlen(prefix) + strlen(value) + 3;   /* "\n", NUL, margin */
    if (need < (size_t)num && !strchr(value, TOKEN_MARK)) {
        snprintf(out, (size_t)num, "%s%s\n", prefix, value);
        return;
    }
    cf_strvec_push(&r->tokens, cf_xstrdup(value));
    snprintf(out, (size_t)num, "%s%c%zu\n", prefix, TOKEN_MARK, r->tokens.n - 1);
}

static const char *detoken(struct reader *r, const char *v)
{
    if (v[0] != TOKEN_MARK)
        return v;
    char *end;
    unsigned long i = strtoul(v + 1, &end, 10);
    return i < r->tokens.n ? r->tokens.v[i] : v;
}

static bool is_supervisor(const char *name)
{
    return !strcmp(name, "supervisor") || !strcmp(name, "supervisord");
}

/* Whether a header NAME in FILE reopens section S. [supervisor] and
 * [supervisord] are one section. [include] is merged only within a file:
 * tend follows the includes of every file (supervisord only the main
 * file's, so merging across files would lose nothing there). */
static bool same_section(const struct cf_section *s, const char *name, const char *file)
{
    if (is_supervisor(s->name) || is_supervisor(name))
        return is_supervisor(s->name) && is_supervisor(name);
    return !strcmp(s->name, name) && (strcmp(name, "include") || !strcmp(s->file, file));
}

/* "line N" when FILE is the reader's file, else "FILE:N". */
static char *place(const struct reader *r, const char *file, int line)
{
    return strcmp(file, r->file) ? cf_xasprintf("%s:%d", file, line)
                                 : cf_xasprintf("line %d", line);
}

static void new_section(struct reader *r, const char *name)
{
    struct cf_doc *doc = r->doc;
    for (size_t i = 0; i < doc->nsec; i++) {
        if (same_section(&doc->sec[i], name, r->file)) {
            char *at = place(r, doc->sec[i].file, doc->sec[i].line);
            conf_diag_add(r->d, CONF_WARNING, r->file, r->lineno,
                          "[%s] is given again (first at %s): merged into it, later keys "
                          "winning", name, at);
            free(at);
            r->cur = (long)i;
            return;
        }
    }
    cf_grow(&doc->sec, &doc->cap, doc->nsec, sizeof *doc->sec);
    struct cf_section *s = &doc->sec[doc->nsec];
    memset(s, 0, sizeof *s);
    s->name = cf_xstrdup(name);
    s->file = cf_xstrdup(r->file);
    s->dir = cf_xstrdup(r->dir);
    s->line = r->lineno;
    r->cur = (long)doc->nsec++;
}

/* The ini_reader: one physical line in, one short line for inih out. */
static char *read_line(char *out, int num, void *stream)
{
    struct reader *r = stream;
    errno = 0;
    ssize_t n = getline(&r->buf, &r->cap, r->fp);
    if (n < 0) {
        if (ferror(r->fp))
            conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno + 1, "cannot read: %s",
                          strerror(errno ? errno : EIO));
        return NULL;
    }
    r->lineno++;
    r->cont = false;
    out[0] = '\0';
    char *line = r->buf;
    if ((size_t)n != strlen(line)) {
        conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno, "NUL byte in the line");
        return out;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (r->lineno == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
        line += 3;

    char *s = line;
    while (blank(*s))
        s++;
    if (*s == '\0' || *s == ';' || *s == '#')
        return out;                      /* blank or comment: keeps a value going */
    int indent = (int)(s - line);
    for (char *c = s + 1; *c; c++) {     /* inline comment */
        if ((*c == ';' || *c == '#') && isspace((unsigned char)c[-1])) {
            *c = '\0';
            break;
        }
    }
    s = cf_trim(s);

    if (r->have_key && indent > r->indent) {     /* continuation of the value above */
        if (!r->skip) {
            r->cont = true;
            emit_value(r, out, num, " ", s);
        }
        return out;
    }
    r->have_key = false;
    r->indent = indent;

    if (*s == '[') {
        char *close = strrchr(s, ']');
        if (!close || close[1] != '\0') {
            conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno,
                          "a section header must end with ']': %s", s);
            r->skip = true;
            return out;
        }
        *close = '\0';
        char *name = cf_trim(s + 1);
        if (!*name || strlen(name) > MAX_SECTION) {
            conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno, "%s section name",
                          *name ? "overlong" : "empty");
            r->skip = true;
            return out;
        }
        r->skip = false;
        r->last = -1;
        new_section(r, name);
        snprintf(out, (size_t)num, "[%s]\n", name);
        return out;
    }

    if (r->skip)
        return out;
    size_t klen = strcspn(s, "=:");
    if (!s[klen]) {
        conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno,
                      "expected 'key = value', got '%.40s'", s);
        return out;
    }
    char *val = cf_trim(s + klen + 1);
    s[klen] = '\0';
    char *key = cf_trim(s);
    if (!*key) {
        conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno, "a line with no key before '='");
        return out;
    }
    if (strlen(key) > MAX_KEY) {
        conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno, "overlong key '%.20s...'", key);
        return out;
    }
    if (r->cur < 0) {
        conf_diag_add(r->d, CONF_ERROR, r->file, r->lineno,
                      "'%s' comes before any [section]", key);
        return out;
    }
    r->have_key = true;
    char prefix[MAX_KEY + 2];
    snprintf(prefix, sizeof prefix, "%s=", key);
    emit_value(r, out, num, prefix, val);
    return out;
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
    struct reader *r = user;
    (void)section;
    if (r->cur < 0)
        return 1;
    struct cf_section *s = &r->doc->sec[r->cur];
    const char *v = detoken(r, value);
    if (r->cont) {
        if (r->last < 0 || (size_t)r->last >= s->nkv)
            return 1;
        struct cf_kv *kv = &s->kv[r->last];
        char *joined = cf_xasprintf("%s%s%s", kv->value, kv->value[0] ? "\n" : "", v);
        free(kv->value);
        kv->value = joined;
        return 1;
    }
    char *key = cf_xstrdup(name);
    for (char *c = key; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    struct cf_kv *kv = (struct cf_kv *)cf_section_get(s, key);
    if (kv) {
        /* configparser keeps the last value, in the first one's place */
        char *at = place(r, kv->file, kv->line);
        conf_diag_add(r->d, CONF_WARNING, r->file, r->lineno,
                      "duplicate key '%s' in [%s]: this value replaces the one at %s", key,
                      s->name, at);
        free(at);
        free(key);
        free(kv->value);
        free(kv->file);
        free(kv->dir);
    } else {
        cf_grow(&s->kv, &s->cap, s->nkv, sizeof *s->kv);
        kv = &s->kv[s->nkv++];
        kv->key = key;
    }
    kv->value = cf_xstrdup(v);
    kv->line = r->lineno;
    kv->file = cf_xstrdup(r->file);
    kv->dir = cf_xstrdup(r->dir);
    r->last = kv - s->kv;
    return 1;
}

static void read_file(struct loader *ld, const char *display, int depth,
                      const char *from_file, int from_line);

static void do_includes(struct loader *ld, size_t first, size_t last, int depth)
{
    for (size_t i = first; i < last; i++) {
        struct cf_section *s = &ld->doc->sec[i];
        if (strcmp(s->name, "include"))
            continue;
        /* Copy what we need: reading more files moves doc->sec. */
        char *file = cf_xstrdup(s->file), *dir = cf_xstrdup(s->dir);
        const struct cf_kv *kv = cf_section_get(s, "files");
        int hline = s->line;
        char *value = kv ? cf_xstrdup(kv->value) : NULL;
        int line = kv ? kv->line : hline;
        for (size_t k = 0; k < s->nkv; k++)
            if (strcmp(s->kv[k].key, "files"))
                conf_diag_add(ld->d, CONF_WARNING, file, s->kv[k].line,
                              "unknown key '%s' in [include]%s", s->kv[k].key,
                              cf_closest(s->kv[k].key, (const char *const[]){"files", NULL})
                                  ? "; did you mean files?" : "");
        if (!value) {
            conf_diag_add(ld->d, CONF_ERROR, file, hline, "[include] has no files = setting");
            free(file);
            free(dir);
            continue;
        }
        struct utsname un;
        const char *node = uname(&un) == 0 ? un.nodename : "localhost";
        struct cf_var vars[] = {{"here", dir, 0}, {"host_node_name", node, 0}};
        char *err = NULL;
        char *exp = cf_expand(value, vars, 2, &err);
        if (!exp) {
            conf_diag_add(ld->d, CONF_ERROR, file, line, "files: %s", err);
            free(err);
        } else {
            char *fdir = cf_dirname(file);
            char *save = NULL;
            for (char *pat = strtok_r(exp, " \t\n", &save); pat;
                 pat = strtok_r(NULL, " \t\n", &save)) {
                char *full = cf_path_join(fdir, pat);
                glob_t g;
                int rc = glob(full, 0, NULL, &g);
                if (rc == GLOB_NOMATCH) {
                    conf_diag_add(ld->d, CONF_WARNING, file, line,
                                  "no file matches include pattern '%s'", pat);
                } else if (rc != 0) {
                    conf_diag_add(ld->d, CONF_ERROR, file, line,
                                  "cannot expand include pattern '%s'", pat);
                } else {
                    for (size_t m = 0; m < g.gl_pathc; m++)
                        read_file(ld, g.gl_pathv[m], depth + 1, file, line);
                }
                if (rc != GLOB_NOMATCH)
                    globfree(&g);
                free(full);
            }
            free(fdir);
            free(exp);
        }
        free(value);
        free(file);
        free(dir);
    }
}

static void read_file(struct loader *ld, const char *display, int depth,
                      const char *from_file, int from_line)
{
    struct conf_diags *d = ld->d;
    if (depth > MAX_DEPTH) {
        conf_diag_add(d, CONF_ERROR, from_file, from_line,
                      "includes nested deeper than %d files: %s", MAX_DEPTH, display);
        return;
    }
    /* Non-blocking open, so a FIFO named as a config cannot hang tend; it
     * is refused by the regular-file check right after. */
    int fd = open(display, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        conf_diag_add(d, CONF_ERROR, from_file ? from_file : display, from_file ? from_line : 0,
                      from_file ? "cannot open included file %s: %s" : "%scannot open: %s",
                      from_file ? display : "", strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        conf_diag_add(d, CONF_ERROR, from_file ? from_file : display, from_file ? from_line : 0,
                      "%s is not a regular file", display);
        close(fd);
        return;
    }
    /* tend as root runs the commands this file names: anyone who can
     * write it can run commands as root. */
    if (geteuid() == 0 && ((st.st_mode & 022) || st.st_uid != 0))
        conf_diag_add(d, CONF_WARNING, display, 0,
                      "%s (mode %04o, owner uid %u), and tend runs its commands as root",
                      st.st_mode & 002   ? "writable by every user"
                      : st.st_mode & 020 ? "writable by its group"
                                         : "not owned by root",
                      (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *fp = fdopen(fd, "re");
    if (!fp) {
        conf_diag_add(d, CONF_ERROR, display, 0, "cannot read: %s", strerror(errno));
        close(fd);
        return;
    }
    char *real = realpath(display, NULL);
    if (!real)
        real = cf_abspath(display);
    for (size_t i = 0; i < ld->seen.n; i++) {
        if (!strcmp(ld->seen.v[i], real)) {
            conf_diag_add(d, CONF_WARNING, from_file, from_line,
                          "%s is already read; not including it again", display);
            free(real);
            fclose(fp);
            return;
        }
    }
    cf_strvec_push(&ld->seen, real);
    struct cf_doc *doc = ld->doc;
    cf_grow(&doc->files, &doc->fcap, doc->nfiles + 1, sizeof *doc->files);
    doc->files[doc->nfiles++] = cf_abspath(display);
    doc->files[doc->nfiles] = NULL;

    char *abs = cf_abspath(display);
    char *dir = cf_dirname(abs);
    free(abs);
    struct reader r = {
        .fp = fp, .file = display, .dir = dir, .doc = doc, .d = d, .cur = -1, .last = -1,
    };
    size_t first = doc->nsec;
    ini_parse_stream(read_line, &r, on_value, &r);
    fclose(fp);
    free(r.buf);
    cf_strv_free(r.tokens.v);
    free(dir);
    do_includes(ld, first, doc->nsec, depth);
}

int cf_read_files(const char *path, struct cf_doc *doc, struct conf_diags *d)
{
    struct loader ld = {.doc = doc, .d = d};
    int before = d->nerrors;
    read_file(&ld, path, 0, NULL, 0);
    cf_strv_free(ld.seen.v);
    return doc->nfiles == 0 && d->nerrors > before ? -1 : 0;
}

void cf_doc_free(struct cf_doc *doc)
{
    for (size_t i = 0; i < doc->nsec; i++) {
        struct cf_section *s = &doc->sec[i];
        for (size_t k = 0; k < s->nkv; k++) {
            free(s->kv[k].key);
            free(s->kv[k].value);
            free(s->kv[k].file);
            free(s->kv[k].dir);
        }
        free(s->kv);
        free(s->name);
        free(s->file);
        free(s->dir);
    }
    free(doc->sec);
    for (size_t i = 0; i < doc->nfiles; i++)
        free(doc->files[i]);
    free(doc->files);
    memset(doc, 0, sizeof *doc);
}
