/* test_mock_match_kinds.c - ferry_mock_match() (what a mock's expected
 * request checks) on the twin's Record, a field of every kind: doubles set
 * or not and compared as C compares them, long strings shown cut, a message
 * expected but missing, and repeated messages entry by entry. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ferry/mock.h>

#include "twin.h"

typedef Ferrytest__Dispatch__V1__Record Record;
typedef Ferrytest__Dispatch__V1__Part Part;

static char why[256];

static bool match(const Record *got, const Record *want)
{
    why[0] = '\0';
    return ferry_mock_match(&got->base, &want->base, why, sizeof why);
}

/* A double is set when it is not zero; a set one must be equal, as C
 * compares doubles: NaN equals nothing, not even NaN. */
static void test_doubles(void **state)
{
    (void)state;
    Record got = FERRYTEST__DISPATCH__V1__RECORD__INIT,
           want = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    got.ratio = 0.75;
    assert_true(match(&got, &want)); /* 0.0 in want: not set, anything goes */
    want.ratio = 0.75;
    assert_true(match(&got, &want));
    want.ratio = 0.5;
    assert_false(match(&got, &want));
    assert_string_equal(why, "ratio is 0.75, expected 0.5");
    got.ratio = want.ratio = NAN;
    assert_false(match(&got, &want));
    assert_non_null(strstr(why, "ratio is nan, expected nan"));
}

/* A long string is shown cut to its first 57 characters, and a message
 * the expectation sets but the request lacks is named as missing. */
static void test_long_strings_and_missing_messages(void **state)
{
    (void)state;
    static char long_id[100];
    memset(long_id, 'x', sizeof long_id - 1);
    Record got = FERRYTEST__DISPATCH__V1__RECORD__INIT,
           want = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    got.id = "short";
    want.id = long_id;
    assert_false(match(&got, &want));
    assert_non_null(strstr(why, "id is \"short\", expected \"xxxxxxxx"));
    assert_non_null(strstr(why, "...\""));
    assert_true(strlen(why) < 100);

    want.id = "";
    Part p = FERRYTEST__DISPATCH__V1__PART__INIT;
    p.name = "bolt";
    want.main = &p;
    assert_false(match(&got, &want));
    assert_string_equal(why, "main is not set, expected a message");
    got.main = &p;
    assert_true(match(&got, &want));
}

/* Repeated messages are matched entry by entry, each by the same rule, and
 * a difference names the entry's place and field. */
static void test_repeated_messages(void **state)
{
    (void)state;
    Part a = FERRYTEST__DISPATCH__V1__PART__INIT, b = FERRYTEST__DISPATCH__V1__PART__INIT;
    Part c = FERRYTEST__DISPATCH__V1__PART__INIT;
    a.name = "bolt";
    a.count = 4;
    b.name = "nut";
    b.count = 9;
    c.count = 8; /* only the count is expected */
    Part *gp[] = {&a, &b}, *wp[] = {&a, &c};
    Record got = FERRYTEST__DISPATCH__V1__RECORD__INIT,
           want = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    got.parts = gp;
    got.n_parts = 2;
    want.parts = wp;
    want.n_parts = 2;
    assert_false(match(&got, &want));
    assert_string_equal(why, "parts[1].count is 9, expected 8");
    c.count = 9;
    assert_true(match(&got, &want));
    want.n_parts = 1;
    assert_false(match(&got, &want)); /* the same length, too */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_long_strings_and_missing_messages),
        cmocka_unit_test(test_repeated_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
