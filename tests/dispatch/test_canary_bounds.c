/* test_canary_bounds.c - the canary's bounds on synchronous calls, with
 * enough calls to tell an off-by-one: at canary:0 not one call of 1000
 * goes to the remote side (one in a hundred would, near certainly, if 0
 * let through what draws 0), and at canary:100 every call does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "twin.h"

/* Not one of 1000 calls at canary:0 reaches the remote side. */
static void test_canary_0_stays_local(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "canary:0");
    for (int i = 0; i < 1000; i++)
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
    assert_int_equal(t.local.counts, 1000);
    assert_int_equal(t.remote.counts, 0);
    twin_close(&t);
}

/* Every call at canary:100 goes to the remote side. */
static void test_canary_100_goes_remote(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "canary:100");
    for (int i = 0; i < 300; i++)
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
    assert_int_equal(t.local.counts, 0);
    assert_int_equal(t.remote.counts, 300);
    twin_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canary_0_stays_local),
        cmocka_unit_test(test_canary_100_goes_remote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
