/* test_validate_edges.c - validators of fields whose C spelling takes care
 * (rules/v1/edges.proto): each test gives one value that keeps its rule and
 * one that breaks it, with the violation's path and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules/v1/edges.ferry.h"

/* Validates `msg` with method `index` of the Edges service: FERRY_OK and
 * no violation when `path` is NULL, else exactly the one given. */
static void expect(size_t index, const ProtobufCMessage *msg, const char *path, const char *reason)
{
    ferry_violations out;
    ferry_status st = ferry_validate(&rules_v1_edges_desc.methods[index], msg, &out);
    if (out.total != (path != NULL ? 1u : 0u)) {
        char line[2048];
        ferry_violations_format(&out, line, sizeof line);
        fail_msg("expected %d violation(s), got %zu: %s", path != NULL, out.total, line);
    }
    if (path == NULL) {
        assert_int_equal(st, FERRY_OK);
        return;
    }
    assert_int_equal(st, FERRY_INVALID_ARGUMENT);
    assert_string_equal(out.v[0].path, path);
    assert_string_equal(out.v[0].reason, reason);
}

/* A rule on a member of a oneof named in camelCase holds when that member
 * is the one set, and only then. */
static void test_camel_case_oneof(void **state)
{
    (void)state;
    Rules__V1__Choice m = RULES__V1__CHOICE__INIT;
    m.my_choice_case = RULES__V1__CHOICE__MY_CHOICE_LABEL;
    m.label = "abc";
    expect(RULES_V1_EDGES_PICK_CHOICE, &m.base, NULL, NULL);
    m.label = "abcd";
    expect(RULES_V1_EDGES_PICK_CHOICE, &m.base, "label", "must be at most 3 characters long");
    m.my_choice_case = RULES__V1__CHOICE__MY_CHOICE_COUNT;
    m.count = 7;
    expect(RULES_V1_EDGES_PICK_CHOICE, &m.base, NULL, NULL);
}

/* The least and greatest int64 in `in` and `not_in` lists. */
static void test_int64_extremes(void **state)
{
    (void)state;
    Rules__V1__Extremes m = RULES__V1__EXTREMES__INIT;
    m.low = INT64_MIN;
    expect(RULES_V1_EDGES_STRETCH, &m.base, NULL, NULL);
    m.low = INT64_MAX;
    expect(RULES_V1_EDGES_STRETCH, &m.base, NULL, NULL);
    m.low = INT64_MIN + 1;
    expect(RULES_V1_EDGES_STRETCH, &m.base, "low",
           "must be one of -9223372036854775808, 9223372036854775807");
    m.low = INT64_MIN;
    m.other = INT64_MIN;
    expect(RULES_V1_EDGES_STRETCH, &m.base, "other", "must not be -9223372036854775808");
}

/* A deprecated field keeps its rules, and those of its message type. The
 * test sets members protoc-c declares deprecated, as a caller still may. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void test_deprecated_fields(void **state)
{
    (void)state;
    Rules__V1__Retired m = RULES__V1__RETIRED__INIT;
    Rules__V1__Choice choice = RULES__V1__CHOICE__INIT;
    choice.my_choice_case = RULES__V1__CHOICE__MY_CHOICE_LABEL;
    choice.label = "abc";
    m.code = "12345678";
    m.choice = &choice;
    expect(RULES_V1_EDGES_RETIRE, &m.base, NULL, NULL);
    m.code = "123456789";
    expect(RULES_V1_EDGES_RETIRE, &m.base, "code", "must be at most 8 characters long");
    m.code = "";
    choice.label = "abcd";
    expect(RULES_V1_EDGES_RETIRE, &m.base, "choice.label", "must be at most 3 characters long");
}
#pragma GCC diagnostic pop

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_camel_case_oneof),
        cmocka_unit_test(test_int64_extremes),
        cmocka_unit_test(test_deprecated_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
