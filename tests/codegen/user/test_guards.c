/* test_guards.c - the headers of a/b.proto and a_b.proto, whose paths differ
 * only in '/' and '_', included together: each has an include guard of its
 * own, so both declare their services. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "a/b.ferry-mock.h"
#include "a/b.ferry.h"
#include "a_b.ferry-mock.h"
#include "a_b.ferry.h"

static void test_both_headers_declare(void **state)
{
    (void)state;
    assert_string_equal(guards_slash_slash_desc.full_name, "guards.slash.Slash");
    assert_string_equal(guards_underscore_underscore_desc.full_name,
                        "guards.underscore.Underscore");
    ferry_channel *ch = NULL;
    assert_int_equal(guards_slash_slash_mock_open(&ch), FERRY_OK);
    ferry_channel_close(ch);
    assert_int_equal(guards_underscore_underscore_mock_open(&ch), FERRY_OK);
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_headers_declare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
