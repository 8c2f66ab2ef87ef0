/* test_call_errors.c - each way `ferry call` refuses a request or reports a
 * failed call: one line on stderr naming the field or the status, and the
 * exit status (2 for what never left the tool, 10 + the status code for a
 * call that failed); never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Calls Echo with `json`; asserts exit status 2, nothing on stdout and
 * `message` on stderr. */
static void refused(rich_server *rs, const char *json, const char *message)
{
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, ECHO, json, NULL), 2);
    assert_string_equal(rs->out, "");
    assert_contains(rs->err, message);
}

/* Text that is not JSON says where it stops being JSON. */
static void test_bad_json(void **state)
{
    refused(*state, "{\"fInt32\": 1,", "ferry call: request: not JSON (line 1");
}

/* A key the message does not have is named with its path. */
static void test_unknown_field(void **state)
{
    refused(*state, "{\"inner\": {\"lable\": \"x\"}}",
            "ferry call: request.inner.lable: no such field in ferrytest.rich.v1.Inner");
}

/* A value of the wrong JSON type is named with its path, index included. */
static void test_wrong_type_names_the_path(void **state)
{
    refused(*state, "{\"inners\": [{}, {}, {\"label\": 3}]}",
            "ferry call: request.inners[2].label: expected a string, got a number");
}

/* Numbers beyond their field's range are refused, not wrapped. */
static void test_out_of_range_numbers(void **state)
{
    refused(*state, "{\"fInt32\": 2147483648}",
            "request.fInt32: 2147483648 is out of range for int32");
    refused(*state, "{\"fUint32\": -1}", "request.fUint32: -1 is negative");
    refused(*state, "{\"fUint64\": \"18446744073709551616\"}",
            "request.fUint64: '18446744073709551616' is out of range");
    refused(*state, "{\"fFloat\": 1e300}", "request.fFloat: 1e+300 is out of range for float");
    refused(*state, "{\"fInt64\": 1.5}", "request.fInt64: 1.5 is not an integer");
}

/* A 64-bit integer's string is a plain decimal: no spaces, no '+'. */
static void test_integer_strings_are_plain_decimals(void **state)
{
    refused(*state, "{\"fInt64\": \" 5\"}",
            "request.fInt64: ' 5' is not a number as JSON writes one");
    refused(*state, "{\"fUint64\": \"+5\"}",
            "request.fUint64: '+5' is not a number as JSON writes one");
    /* An exponent is read (test_call.c), but the value must be integral and
     * the text a JSON number. */
    refused(*state, "{\"fInt64\": \"1.5e0\"}", "request.fInt64: '1.5e0' is not an integer");
    refused(*state, "{\"fInt32\": \"1e-1\"}", "request.fInt32: '1e-1' is not an integer");
    refused(*state, "{\"fInt64\": \"1e19\"}", "request.fInt64: '1e19' is out of range");
    refused(*state, "{\"fInt64\": \"1e999999999999\"}",
            "request.fInt64: '1e999999999999' is out of range");
    refused(*state, "{\"fInt64\": \"1e\"}",
            "request.fInt64: '1e' is not a number as JSON writes one");
    refused(*state, "{\"fInt64\": \".5e1\"}",
            "request.fInt64: '.5e1' is not a number as JSON writes one");
    refused(*state, "{\"fUint64\": \"-1e0\"}", "request.fUint64: '-1e0' is negative");
}

/* An enum name the schema does not define. */
static void test_unknown_enum_name(void **state)
{
    refused(*state, "{\"packedColours\": [\"RED\", \"PINK\"]}",
            "request.packedColours[1]: 'PINK' is not a value of ferrytest.rich.v1.Colour");
}

/* Bytes that are not base64. */
static void test_bad_base64(void **state)
{
    refused(*state, "{\"fBytes\": \"not base64!\"}", "request.fBytes: 'not base64!' is not base64");
    /* Padding, when given, makes the length a multiple of four, no more. */
    refused(*state, "{\"fBytes\": \"AA===\"}", "request.fBytes: 'AA===' is not base64");
    refused(*state, "{\"fBytes\": \"AAAA==\"}", "request.fBytes: 'AAAA==' is not base64");
    refused(*state, "{\"fBytes\": \"AA=\"}", "request.fBytes: 'AA=' is not base64");
    refused(*state, "{\"blobs\": [\"AAA==\"]}", "request.blobs[0]: 'AAA==' is not base64");
}

/* A map key that is not of the key's type. */
static void test_bad_map_key(void **state)
{
    refused(*state, "{\"byInt32\": {\"seven\": \"x\"}}",
            "request.byInt32[\"seven\"]: 'seven' is not a number as JSON writes one");
    refused(*state, "{\"byBool\": {\"yes\": \"\"}}",
            "request.byBool[\"yes\"]: map key 'yes' is not true or false");
    /* null is no map value (only a google.protobuf.Value's, test_call.c). */
    refused(*state, "{\"byName\": {\"k\": null}}",
            "request.byName[\"k\"]: null is not a value of a map entry");
    refused(*state, "{\"byInt64\": {\"1\": null}}",
            "request.byInt64[\"1\"]: null is not a value of a map entry");
}

/* Two members of one oneof. */
static void test_two_oneof_members(void **state)
{
    refused(*state, "{\"choiceText\": \"a\", \"choiceNumber\": \"1\"}",
            "are members of one oneof: set one of them");
}

/* A field given by both of its names. */
static void test_field_given_twice(void **state)
{
    refused(*state, "{\"fInt32\": 1, \"f_int32\": 2}", "field f_int32 is given twice");
}

/* Timestamps and durations outside their forms or ranges. */
static void test_bad_well_known_values(void **state)
{
    refused(*state, "{\"at\": \"1972-02-30T00:00:00Z\"}",
            "request.at: '1972-02-30T00:00:00Z' is not a timestamp");
    refused(*state, "{\"at\": \"10000-01-01T00:00:00Z\"}", "is not a timestamp");
    refused(*state, "{\"took\": \"5 minutes\"}", "request.took: '5 minutes' is not a duration");
    refused(*state, "{\"maybeBool\": \"yes\"}",
            "request.maybeBool: expected true or false, got a string");
}

/* Struct, ListValue and FieldMask take one JSON form; Any none. */
static void test_bad_json_well_known_values(void **state)
{
    refused(*state, "{\"st\": [1]}",
            "request.st: expected an object (google.protobuf.Struct), got an array");
    refused(*state, "{\"list\": {}}",
            "request.list: expected an array (google.protobuf.ListValue), got an object");
    refused(*state, "{\"mask\": [\"a\"]}", "request.mask: expected a field mask string");
    refused(*state, "{\"mask\": \"a,foo_bar\"}",
            "request.mask: field mask path 'foo_bar' is not lowerCamel");
    refused(*state, "{\"mask\": \"a,,b\"}", "request.mask: 'a,,b' has an empty path");
    refused(*state, "{\"any\": {\"@type\": \"x\"}}",
            "request.any: google.protobuf.Any is not supported by ferry call's JSON mapping");
}

/* The request must be an object. */
static void test_request_not_an_object(void **state)
{
    refused(*state, "[1, 2]",
            "request: expected an object (ferrytest.rich.v1.Everything), got an array");
}

/* A method the service does not have is found out before any call: the
 * server's "no" (1), as for `describe`. */
static void test_unknown_method(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, "ferrytest.rich.v1.Rich/Ech", "{}", NULL),
                     1);
    assert_contains(rs->err, "ferry call: ferrytest.rich.v1.Rich has no method 'Ech'");
}

/* A service the server does not host: its reflection service says not
 * found, and the exit status is 10 + FERRY_NOT_FOUND. */
static void test_unknown_service(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, "ferrytest.rich.v2.Rich/Echo", "{}", NULL),
                     10 + FERRY_NOT_FOUND);
    assert_contains(rs->err, "not found: the server hosts no service 'ferrytest.rich.v2.Rich'");
}

/* A request that breaks the IDL's rules: the status, and each violation
 * with its field. */
static void test_validation_violations(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, "ferrytest.rich.v1.Rich/Header",
                              "{\"key\": \"\"}", NULL),
                     10 + FERRY_INVALID_ARGUMENT);
    assert_contains(rs->err, "invalid argument");
    assert_contains(rs->err, "ferry call: request.key: ");
}

/* A violation deep in the request is named by the JSON names the request
 * was given in, not the .proto ones the server writes. */
static void test_violations_by_json_names(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, "ferrytest.rich.v1.Rich/Header",
                              "{\"key\": \"k\", \"tagList\": [{\"tagName\": \"too long\"}]}", NULL),
                     10 + FERRY_INVALID_ARGUMENT);
    assert_contains(rs->err, "ferry call: request.tagList[0].tagName: ");
}

/* No server at the address: unavailable, with the usual hint, and exit
 * 3 (not reached), not 10 + unavailable (what a server would answer). The
 * address is said once. */
static void test_server_down(void **state)
{
    rich_server *rs = *state;
    char url[300];
    snprintf(url, sizeof url, "ipc://%s/nobody.sock", rs->dir);
    assert_int_equal(rich_run(rs, NULL, "call", "--deadline", "300", "--proto", RICH_PROTO, url,
                              ECHO, "{}", NULL),
                     3);
    assert_contains(rs->err, "is the server running at that address?");
    const char *first = strstr(rs->err, url);
    assert_non_null(first);
    assert_null(strstr(first + 1, url));
}

/* A port no server can listen on is refused before dialing, at once,
 * rather than waited on until the deadline. */
static void test_impossible_port(void **state)
{
    rich_server *rs = *state;
    static const char *const refusals[][2] = {
        {"tcp://127.0.0.1:99999", ": port 99999 is out of range 1-65535"},
        {"tcp://127.0.0.1:0", ": port 0 is out of range 1-65535"},
        {"tcp://[::1]:65536", ": port 65536 is out of range 1-65535"},
        {"tls+tcp://localhost:http", ": port 'http' is not a number"},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(rich_run(rs, NULL, "call", "--deadline", "30000", "--proto", RICH_PROTO,
                                  refusals[i][0], ECHO, "{}", NULL),
                         2);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_true(t1.tv_sec - t0.tv_sec < 10);
        assert_contains(rs->err, "not an address to connect to");
        assert_contains(rs->err, refusals[i][1]);
    }
}

/* Without reflection and without --proto there is no schema: the server's
 * answer (unimplemented) and what to do about it. */
static void test_no_reflection_no_schema(void **state)
{
    (void)state;
    rich_server *rs = rich_start(0);
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, ECHO, "{}", NULL),
                     10 + FERRY_UNIMPLEMENTED);
    assert_contains(rs->err, "unimplemented");
    assert_contains(rs->err, "pass the schema with --proto FILE");
    rich_stop(rs);
}

/* A --proto file that protoc cannot compile. */
static void test_bad_proto_file(void **state)
{
    rich_server *rs = *state;
    char path[300];
    rich_write(rs, "bad.proto", "syntax = \"proto3\"; message {", path, sizeof path);
    assert_int_equal(rich_run(rs, NULL, "call", "--proto", path, rs->url, ECHO, "{}", NULL), 2);
    assert_contains(rs->err, "ferry call: protoc could not compile the --proto files");
}

/* A reply whose bytes do not fit the type the schema gives it (here a
 * local schema that says the reply's field 14 is an int32, where the
 * server sends a string) is refused with the field's path, not printed. */
static void test_reply_that_does_not_fit_its_schema(void **state)
{
    rich_server *rs = *state;
    char path[300];
    rich_write(rs, "liar.proto",
               "syntax = \"proto3\";\npackage ferrytest.rich.v1;\n"
               "message Everything { string f_string = 14; }\n"
               "message Other { int32 f_string = 14; }\n"
               "service Rich { rpc Echo(Everything) returns (Other); }\n",
               path, sizeof path);
    assert_int_equal(
        rich_run(rs, NULL, "call", "--proto", path, rs->url, ECHO, "{\"fString\": \"s\"}", NULL),
        2);
    assert_string_equal(rs->out, "");
    assert_contains(rs->err, "the reply cannot be read: reply.fString: wire type 2");
}

/* Bad usage: a -H without a colon, a missing method. */
static void test_bad_usage(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", "-H", "novalue", rs->url, ECHO, NULL), 2);
    assert_contains(rs->err, "-H 'novalue' is not KEY:VALUE");
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, NULL), 2);
    assert_contains(rs->err, "give ADDRESS and SERVICE/METHOD");
    /* A bad value is named by the option it was given as. */
    assert_int_equal(rich_run(rs, NULL, "call", "--deadline", "0", rs->url, ECHO, NULL), 2);
    assert_contains(rs->err, "ferry call: --deadline '0' is not a number of milliseconds");
    assert_int_equal(rich_run(rs, NULL, "call", "--timeout", "x", rs->url, ECHO, NULL), 2);
    assert_contains(rs->err, "ferry call: --timeout 'x' is not a number of milliseconds");
}

/* -d @FILE that cannot be a request: a NUL byte (JSON holds none, and the
 * rest would be ignored), a directory, a missing file with the reason. The
 * same for `ferry dispatch`'s stats file. */
static void test_bad_request_files(void **state)
{
    rich_server *rs = *state;
    char path[300], arg[310];
    rich_path(rs, "nul.json", path, sizeof path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("{\"sku\": \"A\0B\"}", 1, 14, f), 14);
    assert_int_equal(fclose(f), 0);
    snprintf(arg, sizeof arg, "@%s", path);
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, ECHO, "-d", arg, NULL), 2);
    assert_contains(rs->err, "nul.json: holds a NUL byte at offset 10");

    snprintf(arg, sizeof arg, "@%s", rs->dir);
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, ECHO, "-d", arg, NULL), 2);
    assert_contains(rs->err, ": is a directory");

    rich_path(rs, "missing.json", path, sizeof path);
    snprintf(arg, sizeof arg, "@%s", path);
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, ECHO, "-d", arg, NULL), 2);
    assert_contains(rs->err, "missing.json: No such file or directory");

    assert_int_equal(rich_run(rs, NULL, "dispatch", path, NULL), 2);
    assert_contains(rs->err, "ferry dispatch: cannot open ");
    assert_contains(rs->err, "missing.json: No such file or directory");
    assert_int_equal(rich_run(rs, NULL, "dispatch", rs->dir, NULL), 2);
    assert_contains(rs->err, ": is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_request_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_type_names_the_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_strings_are_plain_decimals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_enum_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_map_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_oneof_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_given_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_well_known_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_json_well_known_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_not_an_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validation_violations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_violations_by_json_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_impossible_port, setup, teardown),
        cmocka_unit_test(test_no_reflection_no_schema),
        cmocka_unit_test_setup_teardown(test_bad_proto_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_that_does_not_fit_its_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
