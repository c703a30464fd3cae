/* load.h - reading INI files into raw sections (internal).
 *
 * cf_read_files() reads the main file and, recursively, the files named by
 * each [include] files= glob, through inih fed by our own line reader. The
 * reader handles supervisord's comments, continuation lines and lines of
 * any length, and keeps the physical line number of every section and key.
 * Values are kept as written (not expanded), continuation lines joined
 * with "\n".
 */
#ifndef TEND_CONF_LOAD_H
#define TEND_CONF_LOAD_H

#include "conf/conf.h"

struct cf_kv {
    char *key;          /* lower-cased, as configparser does */
    char *value;
    int line;           /* physical line of the key */
};

struct cf_section {
    char *name;         /* as written, "supervisord" kept */
    char *file;         /* display path of the file (as given or joined) */
    char *dir;          /* absolute directory of the file: %(here)s */
    int line;           /* line of the [header] */
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
