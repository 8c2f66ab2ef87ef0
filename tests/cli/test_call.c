/* test_call.c - `ferry call` run as a program against a server of the rich
 * schema that answers what it is sent: every kind of field goes out as JSON
 * and comes back equal, with the schema from reflection or from --proto;
 * the request from stdin; metadata; the exit status of a good call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cli_run.h"
#include "rich_server.h"

#define ECHO "ferrytest.rich.v1.Rich/Echo"

static int setup(void **state)
{
    *state = rich_start(1);
    return 0;
}

static int teardown(void **state)
{
    rich_stop(*state);
    return 0;
}

/* Sends `json` to Echo (by reflection) and checks the reply is `json`. */
static void round_trip(rich_server *rs, const char *json)
{
    int rc = rich_run(rs, NULL, "call", rs->url, ECHO, json, NULL);
    if (rc != 0)
        fail_msg("ferry call exited %d: %s", rc, rs->err);
    assert_json_equal(rs->out, json);
}

/* Every scalar kind, at values that need each encoding's full width:
 * negative varints, zigzag, fixed widths, 64-bit integers as strings,
 * floats that print short, base64 bytes, an enum by name. */
static void test_scalars_round_trip(void **state)
{
    round_trip(*state,
               "{\"fDouble\": -2.5e-300, \"fFloat\": 0.1, \"fInt32\": -2147483648,"
               " \"fInt64\": \"-9223372036854775808\", \"fUint32\": 4294967295,"
               " \"fUint64\": \"18446744073709551615\", \"fSint32\": -7,"
               " \"fSint64\": \"-9000000000\", \"fFixed32\": 4000000000,"
               " \"fFixed64\": \"12345678901234567890\", \"fSfixed32\": -12,"
               " \"fSfixed64\": \"-34\", \"fBool\": true, \"fString\": \"caf\\u00e9 \\\"q\\\"\","
               " \"fBytes\": \"AAEC/f7/\", \"colour\": \"BLUE\"}");
}

/* A nested, recursive message with an enum inside. */
static void test_nested_round_trip(void **state)
{
    round_trip(*state,
               "{\"inner\": {\"label\": \"root\", \"colour\": \"GREEN\", \"children\":"
               " [{\"label\": \"a\", \"children\": [{\"label\": \"a1\"}]}, {\"label\": \"b\"}]}}");
}

/* Repeated fields, packed (numbers, zigzag, doubles, enums) and not, and
 * repeated strings, bytes and messages. */
static void test_repeated_round_trip(void **state)
{
    round_trip(
        *state,
        "{\"packedInt32\": [1, -1, 300, 0], \"packedSint64\": [\"-1\", \"5\", \"0\"],"
        " \"packedDouble\": [1.5, -0.25], \"packedColours\": [\"RED\", \"BLUE\"],"
        " \"unpackedInt32\": [7, -8], \"unpackedFixed64\": [\"1\", \"18446744073709551615\"],"
        " \"strings\": [\"x\", \"\"], \"blobs\": [\"\", \"/w==\"],"
        " \"inners\": [{\"label\": \"one\"}, {}]}");
}

/* Maps keyed by string, int32, int64, uint32, bool and sint64, with
 * scalar, message, enum and bytes values. */
static void test_maps_round_trip(void **state)
{
    round_trip(*state, "{\"byName\": {\"a\": 1, \"b\": -2}, \"byInt32\": {\"-5\": \"minus five\"},"
                       " \"byInt64\": {\"9000000000\": {\"label\": \"big\"}},"
                       " \"byUint32\": {\"7\": \"RED\"}, \"byBool\": {\"true\": \"AQ==\"},"
                       " \"bySint64\": {\"-3\": 0.5}}");
}

/* Each member of a oneof, one at a time. */
static void test_oneof_round_trip(void **state)
{
    round_trip(*state, "{\"choiceText\": \"t\"}");
    round_trip(*state, "{\"choiceNumber\": \"-42\"}");
    round_trip(*state, "{\"choiceInner\": {\"label\": \"in\"}}");
}

/* Timestamp and Duration as their strings, wrappers as bare values. */
static void test_well_known_types_round_trip(void **state)
{
    round_trip(*state, "{\"at\": \"1972-01-01T10:00:20.021Z\", \"took\": \"-1.000340012s\","
                       " \"maybeInt64\": \"-5\", \"maybeString\": \"s\", \"maybeBool\": false,"
                       " \"maybeDouble\": 0, \"maybeUint32\": 9, \"maybeBytes\": \"AA==\"}");
}

/* Struct, Value and ListValue as the JSON they hold, null as a Value's
 * null_value (in a field, a list, a map), FieldMask as lowerCamel paths. */
static void test_json_well_known_types_round_trip(void **state)
{
    round_trip(*state, "{\"st\": {\"a\": 1, \"b\": [true, null, \"x\", {\"c\": -2.5}], \"d\": {}},"
                       " \"val\": 1.5, \"list\": [1, \"two\", null, []],"
                       " \"mask\": \"a,fooBar.bazQux,x2\", \"vals\": [null, {\"k\": \"v\"}, false],"
                       " \"byValue\": {\"n\": null, \"s\": \"t\"}}");
    round_trip(*state, "{\"val\": null}");
    round_trip(*state, "{\"val\": {\"nested\": {\"deeper\": [\"s\"]}}}");
    round_trip(*state, "{\"val\": \"text\", \"st\": {}, \"list\": [], \"mask\": \"\"}");
}

/* NaN and the infinities travel as protobuf's strings. */
static void test_special_floats_round_trip(void **state)
{
    round_trip(*state, "{\"fDouble\": \"NaN\", \"fFloat\": \"-Infinity\","
                       " \"packedDouble\": [\"Infinity\", 1]}");
}

/* Input in the other forms the mapping accepts (.proto names, 64-bit
 * integers as numbers, enums by number, a timestamp with an offset, an
 * integral real for an int32) comes back in the canonical form. */
static void test_accepted_forms_come_back_canonical(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(
        rich_run(rs, NULL, "call", rs->url, ECHO,
                 "{\"f_int64\": 5, \"colour\": 2, \"f_int32\": 3.0,"
                 " \"at\": \"1972-01-01T12:00:20+02:00\", \"by_name\": {\"k\": \"4\"}}",
                 NULL),
        0);
    assert_json_equal(rs->out, "{\"fInt32\": 3, \"fInt64\": \"5\", \"colour\": \"GREEN\","
                               " \"byName\": {\"k\": 4}, \"at\": \"1972-01-01T10:00:20Z\"}");
}

/* An integer's string may be any JSON number of integral value, as
 * protojson reads it: an exponent ("1e2"), a fraction of zeros, exactly
 * (no rounding through a double) up to the 64-bit limits. */
static void test_integer_strings_in_exponent_form(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, ECHO,
                              "{\"fInt32\": \"1e2\", \"fInt64\": \"-92233720368547758.08e2\","
                              " \"fUint64\": \"1844674407370955161.5E1\", \"fUint32\": \"2.0\","
                              " \"fSint64\": \"12500e-2\", \"byInt32\": {\"1E1\": \"x\"}}",
                              NULL),
                     0);
    assert_json_equal(rs->out, "{\"fInt32\": 100, \"fInt64\": \"-9223372036854775808\","
                               " \"fUint64\": \"18446744073709551615\", \"fUint32\": 2,"
                               " \"fSint64\": \"125\", \"byInt32\": {\"10\": \"x\"}}");
}

/* The reply prints its fields in declaration order, whatever the order of
 * the request's keys, two spaces per level. */
static void test_reply_is_printed_in_declaration_order(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(
        rich_run(rs, NULL, "call", rs->url, ECHO, "{\"colour\": \"RED\", \"fInt32\": 1}", NULL), 0);
    assert_string_equal(rs->out, "{\n  \"fInt32\": 1,\n  \"colour\": \"RED\"\n}\n");
}

/* With --proto the schema comes from the files, not the server: it works
 * against a server without reflection. */
static void test_proto_files_instead_of_reflection(void **state)
{
    (void)state;
    rich_server *rs = rich_start(0);
    const char *json = "{\"fSint64\": \"-2\", \"byBool\": {\"false\": \"\"},"
                       " \"took\": \"3s\", \"packedColours\": [\"GREEN\"]}";
    int rc = rich_run(rs, NULL, "call", "--proto", RICH_PROTO, "-I", RICH_PROTO_ROOT, rs->url, ECHO,
                      json, NULL);
    if (rc != 0)
        fail_msg("ferry call exited %d: %s", rc, rs->err);
    assert_json_equal(rs->out, json);
    rich_stop(rs);
}

/* -d @- reads the request from stdin; -d @FILE from a file. */
static void test_request_from_stdin_and_file(void **state)
{
    rich_server *rs = *state;
    char path[300];
    rich_write(rs, "req.json", "{\"fString\": \"from a file\"}\n", path, sizeof path);
    assert_int_equal(rich_run(rs, path, "call", rs->url, ECHO, "-d", "@-", NULL), 0);
    assert_json_equal(rs->out, "{\"fString\": \"from a file\"}");
    char arg[310];
    snprintf(arg, sizeof arg, "@%s", path);
    assert_int_equal(rich_run(rs, NULL, "call", "-d", arg, rs->url, ECHO, NULL), 0);
    assert_json_equal(rs->out, "{\"fString\": \"from a file\"}");
}

/* Without a request the call sends an empty message, and an empty reply
 * prints as {}. */
static void test_no_request_is_empty(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, ECHO, NULL), 0);
    assert_string_equal(rs->out, "{}\n");
}

/* -H KEY:VALUE reaches the handler as metadata. */
static void test_metadata_reaches_the_handler(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", "-H", "x-colour:deep blue", "-H", "x-other:1",
                              rs->url, "ferrytest.rich.v1.Rich/Header", "{\"key\": \"x-colour\"}",
                              NULL),
                     0);
    assert_json_equal(rs->out, "{\"value\": \"deep blue\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scalars_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maps_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oneof_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_well_known_types_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_well_known_types_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_floats_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_forms_come_back_canonical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_strings_in_exponent_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_is_printed_in_declaration_order, setup,
                                        teardown),
        cmocka_unit_test(test_proto_files_instead_of_reflection),
        cmocka_unit_test_setup_teardown(test_request_from_stdin_and_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_request_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_reaches_the_handler, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
