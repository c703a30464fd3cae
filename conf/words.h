/* words.h - split a command into argv the way a POSIX shell splits words,
 * without running a shell (internal).
 *
 * Blanks (space, tab, newline) separate words. '...' keeps everything
 * literally; "..." keeps everything except that a backslash escapes
 * \ " $ ` and newline; outside quotes a backslash makes the next character
 * literal (backslash-newline disappears). No globbing, no variables, no
 * operators: '|', '>', '&&' are plain characters.
 */
#ifndef TEND_CONF_WORDS_H
#define TEND_CONF_WORDS_H

/* Returns a NULL-terminated vector (free with cf_strv_free), or NULL with
 * *err set (malloc'd) for an unterminated quote, a trailing backslash or
 * an empty command. */
char **cf_split_words(const char *s, char **err);

/* The reverse: one string that cf_split_words turns back into ARGV,
 * quoting only where needed (for display). */
char *cf_join_words(char *const argv[]);

#endif
