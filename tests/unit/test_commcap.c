/* test_commcap.c - supervisord's capture mode on one stream (commcap.h):
 * what goes to the log, what becomes an event, and what PROCESS_LOG sees,
 * with tokens split across chunks, the BoundIO limit and a full buffer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/commcap.h"

static char pieces[4096], comms[4096];

static void on_piece(void *arg, const char *d, size_t n)
{
    (void)arg;
    strncat(pieces, d, n);
    strcat(pieces, "|");
}

static void on_comm(void *arg, const char *d, size_t n)
{
    (void)arg;
    strncat(comms, d, n);
    strcat(comms, "|");
}

static const struct commcap_ops ops = {on_piece, on_comm};

/* Feed the chunks, return the log (static). */
static const char *feed(struct commcap *cc, const char *const *chunks)
{
    static char log[4096];
    log[0] = pieces[0] = comms[0] = 0;
    for (; *chunks; chunks++) {
        char buf[1024];
        size_t n = strlen(*chunks);
        memcpy(buf, *chunks, n);
        size_t k = commcap_feed(cc, buf, n, sizeof buf, &ops, NULL);
        strncat(log, buf, k);
    }
    return log;
}

START_TEST(test_one_chunk)
{
    struct commcap *cc = commcap_new(1024);
    const char *c[] = {"before <!--XSUPERVISOR:BEGIN-->hello\ncaptured<!--XSUPERVISOR:END--> after\n",
                       NULL};
    ck_assert_str_eq(feed(cc, c), "before  after\n");
    ck_assert_str_eq(comms, "hello\ncaptured|");
    ck_assert_str_eq(pieces, "before |hello\ncaptured| after\n|");
    commcap_free(cc);
}
END_TEST

START_TEST(test_split_tokens)
{
    struct commcap *cc = commcap_new(1024);
    const char *c[] = {"a<!--XSUPER", "VISOR:BEGIN-->x", "y<!--XSUPERVISOR:E", "ND-->b<", "c\n",
                       NULL};
    ck_assert_str_eq(feed(cc, c), "ab<c\n");
    ck_assert_str_eq(comms, "xy|");
    /* not a token after all: the kept-back start goes to the log */
    const char *d[] = {"<!--XSUP", "PER\n", NULL};
    ck_assert_str_eq(feed(cc, d), "<!--XSUPPER\n");
    ck_assert_str_eq(comms, "");
    commcap_free(cc);
}
END_TEST

/* supervisord's BoundIO: a write past maxbytes drops that many bytes from
 * the head first (a big write alone may pass maxbytes). */
START_TEST(test_bound)
{
    struct commcap *cc = commcap_new(8);
    const char *c[] = {"<!--XSUPERVISOR:BEGIN-->abcdef", "ghij", "<!--XSUPERVISOR:END-->", NULL};
    ck_assert_str_eq(feed(cc, c), "");
    ck_assert_str_eq(comms, "efghij|");
    const char *d[] = {"<!--XSUPERVISOR:BEGIN-->0123456789abc<!--XSUPERVISOR:END-->", NULL};
    ck_assert_str_eq(feed(cc, d), "");
    ck_assert_str_eq(comms, "0123456789abc|");
    commcap_free(cc);
}
END_TEST

/* A kept-back start that turns out to be text, with no room to spare:
 * the log gets it whole, a little later. */
START_TEST(test_room)
{
    struct commcap *cc = commcap_new(8);
    char buf[8] = "ab<!--";
    ck_assert_uint_eq(commcap_feed(cc, buf, 6, 6, &ops, NULL), 2);
    memcpy(buf, "xyz", 3);
    size_t k = commcap_feed(cc, buf, 3, 3, &ops, NULL);
    ck_assert_uint_eq(k, 3);
    ck_assert(!memcmp(buf, "<!-", 3));
    memcpy(buf, "\n", 1);
    k = commcap_feed(cc, buf, 1, 8, &ops, NULL);
    ck_assert_uint_eq(k, 5);
    ck_assert(!memcmp(buf, "-xyz\n", 5));
    commcap_free(cc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("commcap");
    TCase *tc = tcase_create("commcap");
    tcase_add_test(tc, test_one_chunk);
    tcase_add_test(tc, test_split_tokens);
    tcase_add_test(tc, test_bound);
    tcase_add_test(tc, test_room);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
