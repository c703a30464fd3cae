/* util.h - small helpers shared by the conf/ modules (internal).
 *
 * Allocation wrappers abort on out of memory: the configuration is loaded
 * once at start or on reload and a half-built model is worse than dying.
 * Every name starts with cf_ so it cannot collide with the daemon's code.
 */
#ifndef TEND_CONF_UTIL_H
#define TEND_CONF_UTIL_H

#include <stddef.h>

void *cf_xmalloc(size_t n);
void *cf_xcalloc(size_t n, size_t size);
void *cf_xrealloc(void *p, size_t n);
/* Grow *v (of *cap elements of SIZE bytes) so that index N fits. */
void cf_grow(void *v, size_t *cap, size_t n, size_t size);
char *cf_xstrdup(const char *s);         /* NULL stays NULL */
char *cf_xstrndup(const char *s, size_t n);
char *cf_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing NULL-terminated vector of owned strings. */
struct cf_strvec { char **v; size_t n, cap; };
void cf_strvec_push(struct cf_strvec *sv, char *s);   /* takes ownership */
char **cf_strvec_finish(struct cf_strvec *sv);       /* NULL-terminated, never NULL */
void cf_strv_free(char **v);                          /* frees a NULL-terminated vector */
char **cf_strv_dup(char *const *v);
size_t cf_strv_len(char *const *v);

/* PATH when absolute, else DIR/PATH; always a new string. */
char *cf_path_join(const char *dir, const char *path);
/* The directory part of PATH ("." for a bare name). */
char *cf_dirname(const char *path);
/* Absolute form of PATH (relative to the current directory), without
 * resolving symlinks. */
char *cf_abspath(const char *path);

/* Edit distance counting a transposition as one edit. */
size_t cf_edit_distance(const char *a, const char *b);
/* The candidate closest to WORD when close enough to be a likely typo, or
 * NULL. CANDS is NULL-terminated. */
const char *cf_closest(const char *word, const char *const *cands);

/* Trim leading and trailing blanks (space, tab, newline) in place. */
char *cf_trim(char *s);

#endif
