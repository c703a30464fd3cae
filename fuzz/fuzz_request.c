/* fuzz_request.c - libFuzzer target for the control request grammar
 * (supervisor/request.h): request_parse on any line, a format/parse round
 * trip on what parsed, and the status record and reply helpers tendctl runs
 * on what tend writes back.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   - a parsed request has argc words, each non-empty and blank-free, and a
 *     valid reply path when it has one;
 *   - request_format of a parsed request, parsed again, gives the same one;
 *   - a status record that parses formats again and parses to the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct request r1, r2;

static void same_request(const struct request *a, const struct request *b)
{
    if (a->verb != b->verb || a->argc != b->argc)
        abort();
    if (!a->reply != !b->reply || (a->reply && strcmp(a->reply, b->reply)))
        abort();
    for (int i = 0; i < a->argc; i++)
        if (strcmp(a->argv[i], b->argv[i]))
            abort();
}

static void fuzz_request(const char *line, size_t len)
{
    char err[256];
    err[0] = '\0';
    int rc = request_parse(line, len, &r1, err, sizeof err);
    if (rc < 0 && !err[0])
        abort();    /* every refusal says why */
    if (rc < 0 && r1.reply && !request_reply_path_ok(r1.reply))
        abort();
    if (rc != 0)
        return;
    if (r1.reply && !request_reply_path_ok(r1.reply))
        abort();
    if (r1.argv[r1.argc] != NULL || request_verb(r1.verb_name) != (int)r1.verb)
        abort();
    for (int i = 0; i < r1.argc; i++)
        if (!r1.argv[i][0] || strpbrk(r1.argv[i], " \t"))
            abort();
    static char line2[REQ_MAX + 1];
    int n = request_format(line2, sizeof line2, r1.reply, r1.verb_name, r1.argv, r1.argc);
    if (n < 0)
        return;     /* e.g. a DEL byte: tend accepts it, tendctl never sends it */
    if (n > REQ_MAX || line2[n - 1] != '\n')
        abort();
    if (request_parse(line2, (size_t)n - 1, &r2, err, sizeof err) != 0)
        abort();
    same_request(&r1, &r2);
}

static void fuzz_status(const char *text, size_t len)
{
    static char a[REQ_MAX * 2], b[REQ_MAX * 2], c[REQ_MAX * 4];
    memcpy(a, text, len);
    a[len] = '\0';
    (void)reply_final(a);
    struct status_rec s1, s2;
    if (status_rec_parse(a, &s1) != 0)
        return;
    (void)status_rec_text(c, sizeof c, &s1, status_name_width(strlen(s1.name)));
    c[0] = '\0';
    (void)status_rec_json(c, sizeof c, &s1);
    int n = status_rec_format(b, sizeof b, &s1);
    if (n < 0)
        return;
    if (status_rec_parse(b, &s2) != 0)
        abort();
    if (s1.pid != s2.pid || s1.restarts != s2.restarts || s1.since != s2.since ||
        s1.fine != s2.fine)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= REQ_MAX)
        return -1;
    /* An exact-size heap copy, so ASan sees any read past the line. */
    char *line = malloc(size ? size : 1);
    if (!line)
        abort();
    memcpy(line, data, size);
    fuzz_request(line, size);
    if (!memchr(line, '\0', size))
        fuzz_status(line, size);
    free(line);
    return 0;
}
