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

/* Validates the Verbose encoded in `pb` (edges.proto: its fields are set by
 * number, their names being 240 characters and more) and expects either no
 * violation (reason NULL) or `total` of them, the first with a path that
 * starts with the long name (the runtime cuts paths to 127 bytes) and the
 * reason `reason`. */
static void expect_verbose(const char *pb, size_t len, size_t total, const char *reason)
{
    Rules__V1__Verbose *m = rules__v1__verbose__unpack(NULL, len, (const uint8_t *)pb);
    assert_non_null(m);
    ferry_violations out;
    ferry_status st =
        ferry_validate(&rules_v1_edges_desc.methods[RULES_V1_EDGES_RAMBLE], &m->base, &out);
    rules__v1__verbose__free_unpacked(m, NULL);
    if (reason == NULL) {
        assert_int_equal(st, FERRY_OK);
        return;
    }
    assert_int_equal(st, FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, total);
    assert_memory_equal(out.v[0].path, "field_with_a_name_far_longer", 28);
    assert_string_equal(out.v[0].reason, reason);
}

/* Wire bytes of a Verbose: field 1 (string), 2 (one item) and 3 (one entry). */
#define ANSWER(s)       "\012" s
#define ITEM(s)         "\022\001" s
#define ENTRY(k, v)     "\032\006\012\001" k "\022\001" v
#define VERBOSE(a, ...) ANSWER(a) __VA_ARGS__, sizeof(ANSWER(a) __VA_ARGS__) - 1

/* Rules on fields named with 240 characters and more: required and `in` on
 * a string (an empty one breaks both), `in` on the items of a list and on the
 * keys and values of a map. */
static void test_long_names(void **state)
{
    (void)state;
    expect_verbose(VERBOSE("\003yes", ITEM("a") ENTRY("k", "v")), 0, NULL);
    expect_verbose(VERBOSE("\000", ITEM("a") ENTRY("k", "v")), 2, "must not be empty");
    expect_verbose(VERBOSE("\005maybe", ITEM("a") ENTRY("k", "v")), 1,
                   "must be one of \"yes\", \"no\"");
    expect_verbose(VERBOSE("\002no", ITEM("b") ENTRY("k", "v")), 1, "must be \"a\"");
    expect_verbose(VERBOSE("\002no", ITEM("a") ENTRY("j", "v")), 1, "key must be \"k\"");
    expect_verbose(VERBOSE("\002no", ITEM("a") ENTRY("k", "w")), 1, "must be \"v\"");
}

/* Bounds and lists of a float field hold for the floats nearest to the
 * values written: 0.1f and 0.3f are within [0.1, 0.3], and 0.1f is 0.1. */
static void test_float_values(void **state)
{
    (void)state;
    Rules__V1__Measure m = RULES__V1__MEASURE__INIT;
    m.ratio = 0.3f;
    m.step = 0.1f;
    expect(RULES_V1_EDGES_WEIGH, &m.base, NULL, NULL);
    m.ratio = 0.1f;
    m.step = 0.25f;
    expect(RULES_V1_EDGES_WEIGH, &m.base, NULL, NULL);
    m.ratio = 0.31f;
    expect(RULES_V1_EDGES_WEIGH, &m.base, "ratio", "must be at most 0.3");
    m.ratio = 0.099f;
    expect(RULES_V1_EDGES_WEIGH, &m.base, "ratio", "must be at least 0.1");
    m.ratio = 0.2f;
    m.step = 0.2f;
    expect(RULES_V1_EDGES_WEIGH, &m.base, "step", "must be one of 0.1, 0.25");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_camel_case_oneof),  cmocka_unit_test(test_int64_extremes),
        cmocka_unit_test(test_deprecated_fields), cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_float_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
