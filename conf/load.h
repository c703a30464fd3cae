/* load.h - reading INI files into raw sections (internal).
 *
 * cf_read_files() reads the main file and, recursively, the files named by
 * each [include] files= glob, through inih fed by our own line reader. The
 * reader handles supervisord's comments, continuation lines and lines of
 * any length, and keeps the physical line number of every section and key.
 * Values are kept as written (not expanded), continuation lines joined
 * with "\n".
 *
 * As supervisord's parser (configparser, strict=False) reads them: a line
 * continues the value above only when it is indented deeper than that
 * key's own line; a key repeated in a section replaces the earlier value;
 * a section repeated, in the same file or an included one, is merged into
 * the first one, later keys winning. Each of those is a warning. So a key
 * may come from another file than its section's header: every key carries
 * its own file and directory.
 */
#ifndef TEND_CONF_LOAD_H
#define TEND_CONF_LOAD_H

#include "conf/conf.h"

struct cf_kv {
    char *key;          /* lower-cased, as configparser does */
    char *value;
    int line;           /* physical line of the key */
    char *file;         /* display path of the file that holds the key */
    char *dir;          /* absolute directory of that file: its %(here)s */
};

struct cf_section {
    char *name;         /* as written, "supervisord" kept */
    char *file;         /* display path of the file of the first [header] */
    char *dir;          /* absolute directory of that file */
    int line;           /* line of the first [header] */
    struct cf_kv *kv;
    size_t nkv, cap;
};

struct cf_doc {
    struct cf_section *sec;
    size_t nsec, cap;
    char **files;       /* absolute paths of every file read, main first */
    size_t nfiles, fcap;
};

/* Read PATH and its includes into DOC. Problems go to D; returns -1 when
 * the main file cannot be read at all, else 0 (other errors are in D). */
int cf_read_files(const char *path, struct cf_doc *doc, struct conf_diags *d);
void cf_doc_free(struct cf_doc *doc);

/* The value of KEY in section S, or NULL. */
const struct cf_kv *cf_section_get(const struct cf_section *s, const char *key);

#endif
