/* test_loop.c - the event loop's timers, with memory and without.
 *
 * timer_arm cannot fail: when the heap cannot grow, timers wait in a list
 * and still fire in deadline order; once memory is back they move into the
 * heap. This program's malloc fails on demand (failalloc.h).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "supervisor/loop.h"
#include "failalloc.h"

#define NT 300   /* more than the 64 the heap holds from loop_new() */

static struct loop *loop;
static struct timer timers[NT];
static uint64_t fired_deadline[NT];
static int fired_index[NT], nfired;

static void on_fire(struct loop *l, struct timer *t)
{
    if (nfired < NT) {
        fired_deadline[nfired] = t->deadline;
        fired_index[nfired] = (int)(t - timers);
    }
    nfired++;
}

static void setup(void)
{
    loop = loop_new();
    ck_assert_ptr_nonnull(loop);
    nfired = 0;
    for (int i = 0; i < NT; i++)
        timer_init(&timers[i], on_fire, NULL);
}

static void teardown(void)
{
    failalloc_off();
    loop_free(loop);
}

/* Deadlines spread over 0..60 ms, many equal, in no order. */
static uint64_t delay_of(int i) { return (uint64_t)((i * 37) % 61); }

/* Run rounds until N timers fired or 5 s passed; allocations stay as they
 * are (the loop itself must not need any). */
static int run_until_fired(int n)
{
    uint64_t end = loop_now() + 5000;
    while (nfired < n && loop_now() < end)
        if (loop_run_once(loop) < 0)
            return -1;
    return 0;
}

static void check_fired_in_order(int n)
{
    ck_assert_int_eq(nfired, n);
    int seen[NT] = { 0 };
    for (int i = 0; i < n; i++) {
        if (i > 0)
            ck_assert_msg(fired_deadline[i - 1] <= fired_deadline[i],
                          "timer %d fired before an earlier deadline", i);
        ck_assert_int_eq(seen[fired_index[i]]++, 0);
        ck_assert(!timer_armed(&timers[fired_index[i]]));
    }
}

START_TEST(test_arm_many_with_memory)
{
    for (int i = 0; i < NT; i++)
        timer_arm(loop, &timers[i], delay_of(i));
    ck_assert_int_eq(run_until_fired(NT), 0);
    check_fired_in_order(NT);
}
END_TEST

START_TEST(test_arm_without_memory)
{
    failalloc_from(0);   /* from here on, every allocation fails */
    for (int i = 0; i < NT; i++)
        timer_arm(loop, &timers[i], delay_of(i));
    bool all_armed = true;
    for (int i = 0; i < NT; i++)
        all_armed = all_armed && timer_armed(&timers[i]);
    /* re-arm and disarm some of the listed ones (beyond the first 64) */
    timer_arm(loop, &timers[NT - 1], 0);
    timer_disarm(loop, &timers[NT - 2]);
    timer_disarm(loop, &timers[NT - 3]);
    timer_arm(loop, &timers[NT - 3], 30);
    int r = run_until_fired(NT - 1);
    long refused = failalloc_failed();
    failalloc_off();
    ck_assert(all_armed);
    ck_assert_int_gt(refused, 0);   /* the heap did try to grow */
    ck_assert_int_eq(r, 0);
    ck_assert(!timer_armed(&timers[NT - 2]));
    check_fired_in_order(NT - 1);
    for (int i = 0; i < nfired; i++)
        ck_assert_int_ne(fired_index[i], NT - 2);
}
END_TEST

START_TEST(test_listed_timers_move_to_heap)
{
    failalloc_from(0);
    for (int i = 0; i < NT; i++)
        timer_arm(loop, &timers[i], 1000 + delay_of(i));
    failalloc_off();
    /* one round with memory back empties the list into the heap */
    timer_arm(loop, &timers[0], 0);
    ck_assert_int_eq(loop_run_once(loop), 0);
    ck_assert_int_eq(nfired, 1);
    /* no memory again: re-arming a listed timer would need the heap to
     * grow; it has room now, so nothing is refused */
    failalloc_from(0);
    for (int i = 1; i < NT; i++)
        timer_arm(loop, &timers[i], delay_of(i));
    long refused = failalloc_failed();
    int r = run_until_fired(NT);
    failalloc_off();
    ck_assert_int_eq(refused, 0);
    ck_assert_int_eq(r, 0);
    ck_assert_int_eq(nfired, NT);
}
END_TEST

START_TEST(test_free_with_listed_timers)
{
    failalloc_from(0);
    for (int i = 0; i < NT; i++)
        timer_arm(loop, &timers[i], 60000);
    failalloc_off();
    loop_free(loop);
    loop = NULL;
    for (int i = 0; i < NT; i++)
        ck_assert(!timer_armed(&timers[i]));
}
END_TEST

static Suite *loop_suite(void)
{
    Suite *s = suite_create("loop");
    TCase *tc = tcase_create("timers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_arm_many_with_memory);
    tcase_add_test(tc, test_arm_without_memory);
    tcase_add_test(tc, test_listed_timers_move_to_heap);
    tcase_add_test(tc, test_free_with_listed_timers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(loop_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
