/* test_lock.c - lock files: written and read back unchanged, and hostile
 * ones refused with a message naming the member at fault -- never a crash,
 * whatever the bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry_check.h"

#define HEAD "{\"format\": \"ferry-lock\", \"version\": 1, \"files\": ["

/* A small valid lock file. */
static const char valid[] = HEAD
    "\n"
    "  {\"name\": \"a.proto\", \"package\": \"a.v1\", \"syntax\": \"proto3\", \"messages\": [\n"
    "    {\"name\": \"M\", \"line\": 3, \"fields\": [\n"
    "      {\"name\": \"x\", \"number\": 1, \"type\": \"int32\", \"line\": 4},\n"
    "      {\"name\": \"m\", \"number\": 2, \"type\": \"message\", \"type_name\": \"a.v1.M\", "
    "\"label\": \"repeated\", \"line\": 5}\n"
    "    ], \"reserved\": [\n"
    "      {\"start\": 5, \"end\": 9, \"line\": 6}\n"
    "    ]}\n"
    "  ], \"enums\": [\n"
    "    {\"name\": \"E\", \"line\": 8, \"values\": [\n"
    "      {\"name\": \"E_ZERO\", \"number\": 0, \"line\": 9}\n"
    "    ]}\n"
    "  ], \"services\": [\n"
    "    {\"name\": \"S\", \"line\": 11, \"api_version\": 2, \"methods\": [\n"
    "      {\"name\": \"Get\", \"input\": \"a.v1.M\", \"output\": \"a.v1.M\", \"since\": 1, "
    "\"idempotent\": true, \"roles\": [\"shop\"], \"fallback\": \"empty\", \"line\": 12}\n"
    "    ]}\n"
    "  ]}\n"
    "]}\n";

/* Messages name untrusted text: no byte in them may control a terminal. */
static void assert_printable(const char *s)
{
    for (const char *p = s; *p != '\0'; p++)
        assert_true(*p == '\n' || ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f));
}

static void expect_refused(const char *text, size_t len, const char *needle)
{
    ferry_schema *s = (ferry_schema *)1;
    ferry_check_status st = ferry_schema_read_lock(text, len, "test.lock", &s);
    if (st != FERRY_CHECK_BAD_INPUT || strstr(ferry_check_last_error(), needle) == NULL)
        print_error("lock:\n%.*s\ngave status %d, message: %s\nwanted: %s\n", (int)len, text,
                    (int)st, ferry_check_last_error(), needle);
    assert_int_equal(st, FERRY_CHECK_BAD_INPUT);
    assert_null(s);
    assert_true(ferry_check_last_error()[0] != '\0');
    assert_non_null(strstr(ferry_check_last_error(), needle));
    assert_printable(ferry_check_last_error());
}

static void test_round_trip(void **state)
{
    (void)state;
    ferry_schema *s = NULL;
    assert_int_equal(ferry_schema_read_lock(valid, strlen(valid), "a.lock", &s), FERRY_CHECK_OK);
    size_t len = 0;
    char *text = ferry_schema_write_lock(s, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);

    ferry_schema *again = NULL;
    assert_int_equal(ferry_schema_read_lock(text, len, "b.lock", &again), FERRY_CHECK_OK);
    char *text2 = ferry_schema_write_lock(again, NULL);
    assert_string_equal(text, text2);

    /* What it read is what it compares: itself, without a difference. */
    ferry_check_report *r = NULL;
    assert_int_equal(ferry_check_compare(s, again, &r), FERRY_CHECK_OK);
    assert_int_equal(ferry_check_report_count(r), 0);
    ferry_check_report_free(r);

    free(text);
    free(text2);
    ferry_schema_free(s);
    ferry_schema_free(again);
}

/* One member of `valid` replaced: `from` must occur in it exactly once. */
static void expect_edit_refused(const char *from, const char *to, const char *needle)
{
    const char *at = strstr(valid, from);
    assert_non_null(at);
    assert_null(strstr(at + 1, from));
    size_t n = strlen(valid) - strlen(from) + strlen(to);
    char *text = malloc(n + 1);
    assert_non_null(text);
    size_t head = (size_t)(at - valid);
    memcpy(text, valid, head);
    memcpy(text + head, to, strlen(to));
    strcpy(text + head + strlen(to), at + strlen(from));
    expect_refused(text, n, needle);
    free(text);
}

static void test_not_json(void **state)
{
    (void)state;
    expect_refused("", 0, "test.lock:1:0: not a ferry lock file");
    expect_refused("hello", 5, "test.lock:1:5: not a ferry lock file: '[' or '{' expected");
    expect_refused("syntax = \"proto3\";\n", 19, "not a ferry lock file");
    expect_refused("\x00\x01\x02\xff", 4, "not a ferry lock file");
    expect_refused("{\"a\": \"\xc3\x28\"}", 12, "not a ferry lock file");
    expect_refused("[1, 2]", 6, "not an object");
    expect_refused(valid, strlen(valid) / 2, "not a ferry lock file");
    expect_refused("{\"format\": \"ferry-lock\", \"format\": \"x\"}", 39, "duplicate");
}

static void test_wrong_format(void **state)
{
    (void)state;
    expect_refused("{}", 2, "no \"format\": \"ferry-lock\"");
    expect_refused("{\"format\": \"other\"}", 19, "no \"format\": \"ferry-lock\"");
    expect_refused("{\"format\": \"ferry-lock\"}", 24, "test.lock: version: must be");
    expect_refused("{\"format\": \"ferry-lock\", \"version\": 2}", 38,
                   "lock format version 2 is not one this ferry reads (version 1)");
    expect_refused("{\"format\": \"ferry-lock\", \"version\": 1, \"files\": {}}", 51,
                   "test.lock: files: must be an array");
    expect_refused(HEAD "1]}", strlen(HEAD "1]}"), "files[0]: must be an object");
    expect_refused(HEAD "{\"name\": \"a\"}]}", strlen(HEAD "{\"name\": \"a\"}]}"),
                   "files[0].syntax: is missing");
}

static void test_bad_members(void **state)
{
    (void)state;
    expect_edit_refused("\"number\": 1,", "\"number\": \"1\",",
                        "files[0].messages[0].fields[0].number: must be an integer from 1 to "
                        "536870911");
    expect_edit_refused("\"number\": 1,", "\"number\": 0,", "fields[0].number: must be an integer");
    expect_edit_refused("\"number\": 1,", "\"number\": 536870912,", "must be an integer");
    expect_edit_refused("\"number\": 1,", "\"number\": 2,",
                        "message a.v1.M has two fields numbered 2");
    expect_edit_refused("\"name\": \"x\"", "\"name\": \"m\"",
                        "message a.v1.M has two fields named m");
    expect_edit_refused("\"type\": \"int32\"", "\"type\": \"int33\"",
                        "fields[0].type: must be a protobuf field type");
    expect_edit_refused("\"type\": \"int32\"", "\"type\": \"int32\", \"type_name\": \"a.v1.M\"",
                        "only message, group and enum fields have a \"type_name\"");
    expect_edit_refused("\"type_name\": \"a.v1.M\", ", "",
                        "fields[1]: a message, group or enum field needs \"type_name\"");
    expect_edit_refused("\"label\": \"repeated\"", "\"label\": \"many\"",
                        "fields[1].label: must be");
    expect_edit_refused("\"line\": 4}", "\"line\": 4, \"colour\": 1}",
                        "fields[0]: unknown member \"colour\"");
    expect_edit_refused("\"line\": 4}", "\"line\": 4, \"\\u001b[31m\": 1}",
                        "unknown member \"?[31m\"");
    expect_edit_refused("\"line\": 4}", "\"line\": -4}", "fields[0].line: must be an integer");
    expect_edit_refused("\"name\": \"x\"", "\"name\": \"x y\"",
                        "fields[0].name: must be a protobuf identifier");
    expect_edit_refused("\"name\": \"M\"", "\"name\": \"1M\"",
                        "messages[0].name: must be a protobuf name");
    expect_edit_refused("\"start\": 5, \"end\": 9", "\"start\": 9, \"end\": 5",
                        "reserved[0].end: must be an integer from 9");
    expect_edit_refused("\"package\": \"a.v1\"", "\"package\": \"a..v1\"",
                        "files[0].package: must be a protobuf name");
    expect_edit_refused("\"syntax\": \"proto3\"", "\"syntax\": \"editions\"",
                        "files[0].syntax: must be \"proto2\" or \"proto3\"");
    expect_edit_refused("\"name\": \"a.proto\"", "\"name\": \"a\\u0007.proto\"",
                        "files[0].name: must be a file name without control characters");
    expect_edit_refused("\"since\": 1", "\"since\": 0",
                        "services[0].methods[0].since: must be an integer from 1");
    expect_edit_refused("\"roles\": [\"shop\"]", "\"roles\": [\"\"]",
                        "methods[0].roles[0]: must be a non-empty string");
    expect_edit_refused("\"fallback\": \"empty\"", "\"fallback\": \"maybe\"",
                        "methods[0].fallback: must be");
    expect_edit_refused("\"idempotent\": true", "\"idempotent\": 1", "must be true or false");
    expect_edit_refused("\"api_version\": 2", "\"api_version\": 0",
                        "services[0].api_version: must be an integer from 1");
    expect_edit_refused("{\"name\": \"Get\",",
                        "{\"name\": \"Get\", \"input\": \"a.v1.M\", \"output\": \"a.v1.M\", "
                        "\"since\": 1}, {\"name\": \"Get\",",
                        "service a.v1.S has two methods named Get");
    expect_edit_refused("\"name\": \"E\"", "\"name\": \"M\"", "is defined twice");
}

/* What the generator refuses is refused in a lock file too, as an older
 * ferry may have written it. */
static void test_not_generated(void **state)
{
    (void)state;
    expect_edit_refused("\"since\": 1,", "\"server_streaming\": true, \"since\": 1,",
                        "methods[0].server_streaming: streaming is not supported by ferry");
    expect_edit_refused("\"since\": 1,", "\"client_streaming\": true, \"since\": 1,",
                        "methods[0].client_streaming: streaming is not supported by ferry");
    expect_edit_refused("\"line\": 4}", "\"proto3_optional\": true, \"line\": 4}",
                        "fields[0].proto3_optional: proto3 `optional` is not supported");
}

/* Extensions name the message they extend. */
static void test_bad_extension(void **state)
{
    (void)state;
    expect_edit_refused("\"services\": [",
                        "\"extensions\": [{\"name\": \"p\", \"number\": 100, \"type\": "
                        "\"int32\"}], \"services\": [",
                        "files[0].extensions[0].extendee: is missing");
    expect_edit_refused("\"services\": [",
                        "\"extensions\": [{\"name\": \"p\", \"extendee\": \"a.v1.M\", "
                        "\"number\": 100, \"type\": \"int32\", \"oneof\": \"o\"}], "
                        "\"services\": [",
                        "files[0].extensions[0]: unknown member \"oneof\"");
}

/* Every strict prefix of a lock file is refused; the whole is read. */
static void test_truncated(void **state)
{
    (void)state;
    size_t n = strlen(valid);
    for (size_t len = 0; len + 1 < n; len++) {
        ferry_schema *s = NULL;
        assert_int_equal(ferry_schema_read_lock(valid, len, "t.lock", &s), FERRY_CHECK_BAD_INPUT);
        assert_null(s);
        assert_true(ferry_check_last_error()[0] != '\0');
    }
}

/* Any byte replaced by any other: read or refused, and what is read can be
 * written and compared. */
static void test_mutated(void **state)
{
    (void)state;
    static const char subs[] = {'0', '9', '"', '{', '[', ']', ' ', 'x', '.', '\0', '\xff', '-'};
    size_t n = strlen(valid);
    char *text = malloc(n);
    assert_non_null(text);
    ferry_schema *base = NULL;
    assert_int_equal(ferry_schema_read_lock(valid, n, "v.lock", &base), FERRY_CHECK_OK);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof subs; k++) {
            memcpy(text, valid, n);
            text[i] = subs[k];
            ferry_schema *s = NULL;
            ferry_check_status st = ferry_schema_read_lock(text, n, "m.lock", &s);
            assert_true(st == FERRY_CHECK_OK || st == FERRY_CHECK_BAD_INPUT);
            if (st != FERRY_CHECK_OK) {
                assert_true(ferry_check_last_error()[0] != '\0');
                assert_printable(ferry_check_last_error());
                continue;
            }
            char *out = ferry_schema_write_lock(s, NULL);
            assert_non_null(out);
            free(out);
            ferry_check_report *r = NULL;
            assert_int_equal(ferry_check_compare(base, s, &r), FERRY_CHECK_OK);
            ferry_check_report_free(r);
            assert_int_equal(ferry_check_compare(s, base, &r), FERRY_CHECK_OK);
            ferry_check_report_free(r);
            ferry_schema_free(s);
        }
    }
    ferry_schema_free(base);
    free(text);
}

/* A read that succeeds after one that failed leaves no reason: the old one
 * cannot be taken for its own. */
static void test_success_leaves_no_reason(void **state)
{
    (void)state;
    ferry_schema *s = NULL;
    assert_int_equal(ferry_schema_load_lock("/nonexistent/y.lock", &s), FERRY_CHECK_SYSTEM);
    assert_non_null(strstr(ferry_check_last_error(), "y.lock"));
    assert_int_equal(ferry_schema_read_lock(valid, strlen(valid), "ok.lock", &s), FERRY_CHECK_OK);
    assert_string_equal(ferry_check_last_error(), "");
    ferry_schema_free(s);
}

static void test_load_file(void **state)
{
    (void)state;
    ferry_schema *s = (ferry_schema *)1;
    assert_int_equal(ferry_schema_load_lock("/nonexistent/x.lock", &s), FERRY_CHECK_SYSTEM);
    assert_null(s);
    assert_non_null(strstr(ferry_check_last_error(),
                           "/nonexistent/x.lock: cannot open: No such file or directory"));
    ferry_schema_free(NULL);
    ferry_check_report_free(NULL);
}

/* A field's validation rules are checked member by member: an unknown
 * rule, a value of the wrong kind, an enum name that is not one, and rules
 * nested past any sensible depth are refused, each naming its place. */
static void test_bad_rules(void **state)
{
    (void)state;
    const char *x = "\"number\": 1, \"type\": \"int32\",";
    expect_edit_refused(x, "\"number\": 1, \"type\": \"int32\", \"rules\": {\"gtt\": 1},",
                        "fields[0].rules.gtt: is not a validation rule");
    expect_edit_refused(x, "\"number\": 1, \"type\": \"int32\", \"rules\": {\"gt\": \"1\"},",
                        "fields[0].rules.gt: must be a number");
    expect_edit_refused(x, "\"number\": 1, \"type\": \"int32\", \"rules\": {\"min_len\": -1},",
                        "fields[0].rules.min_len: must be an integer from 0 to 4294967295");
    expect_edit_refused(x, "\"number\": 1, \"type\": \"int32\", \"rules\": {\"format\": \"X\"},",
                        "fields[0].rules.format: must name a value of its enum");
    expect_edit_refused(x, "\"number\": 1, \"type\": \"int32\", \"rules\": {\"in\": [1]},",
                        "fields[0].rules.in: must be an array of strings");
    expect_edit_refused(x, "\"number\": 1, \"type\": \"int32\", \"rules\": [],",
                        "fields[0].rules: must be an object");
    char deep[512] = "\"number\": 1, \"type\": \"int32\", \"rules\": ";
    for (int i = 0; i < 10; i++)
        strcat(deep, "{\"items\": ");
    strcat(deep, "{}");
    for (int i = 0; i < 10; i++)
        strcat(deep, "}");
    strcat(deep, ",");
    expect_edit_refused(x, deep, "nests rules more than 8 deep");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_wrong_format),  cmocka_unit_test(test_bad_members),
        cmocka_unit_test(test_truncated),     cmocka_unit_test(test_mutated),
        cmocka_unit_test(test_load_file),     cmocka_unit_test(test_success_leaves_no_reason),
        cmocka_unit_test(test_not_generated), cmocka_unit_test(test_bad_extension),
        cmocka_unit_test(test_bad_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
