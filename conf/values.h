/* values.h - one parser per configuration value type (internal).
 *
 * Every parser takes the whole (already expanded) value, checks it to its
 * end and its range, and returns 0 with the result stored, or -1 leaving the
 * output untouched. Parsers that can fail for several reasons return the
 * reason in *err (malloc'd, caller frees); the caller names key and value.
 */
#ifndef TEND_CONF_VALUES_H
#define TEND_CONF_VALUES_H

#include "conf/conf.h"

int cf_parse_bool(const char *s, bool *out);          /* true/yes/on/1, false/no/off/0 */
int cf_parse_int(const char *s, long min, long max, int *out);
int cf_parse_size(const char *s, uint64_t *out);      /* 123, 10KB, 50MB, 1GB (1024-based) */
int cf_parse_octal(const char *s, unsigned max, mode_t *out);  /* 022, 0o22 */
int cf_parse_exitcodes(const char *s, uint8_t bits[32], char **err);  /* "0,2" */
int cf_parse_signal(const char *s, int *out);         /* TERM, SIGTERM, term, 15 */

/* A keyword table ends with a NULL name; matching ignores case. */
struct cf_keyword { const char *name; int value; };
int cf_parse_keyword(const char *s, const struct cf_keyword *tab, int *out);

/* Environment "KEY=val,KEY2=\"v, w\"": supervisord's syntax. Quoted values
 * ('...' or "...") may hold commas; pairs are separated by commas or
 * newlines; keys are made of what supervisord's tokenizer takes as a word:
 * letters, digits and _ . / + - ( ) :  (KEY.NAME). Appends to OUT (a later
 * key replaces an earlier one). */
int cf_parse_env(const char *s, struct env_list *out, char **err);
void cf_env_set(struct env_list *e, const char *key, const char *value);
void cf_env_copy(struct env_list *dst, const struct env_list *src);
/* Same keys and values in the same order. */
bool cf_env_eq(const struct env_list *a, const struct env_list *b);
void cf_env_free(struct env_list *e);

/* A user name or uid that exists; *name gets the canonical user name. */
int cf_parse_user(const char *s, uid_t *uid, gid_t *gid, char **name, char **err);
/* A group name or gid; names must exist. */
int cf_parse_group(const char *s, gid_t *gid, char **err);

/* Name of a program, group or process: what supervisord accepts (anything
 * but blanks, ':' and '/', which would break "group:name" and log file
 * names), minus control characters; not empty. */
bool cf_valid_name(const char *s);
#define CF_NAME_RULE "a name may not hold blanks, ':', '/' or control characters"


#endif
