/* test_reflect.c - the reflection service as `ferry list` and `ferry
 * describe` show it: the hosted services, a service's methods with ferry's
 * options, the messages they carry with validation rules; and a server that
 * was not asked to host it exposes nothing (unimplemented). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cli_run.h"
#include "ferry/reflection/v1/reflection.ferry.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "rich_server.h"

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

/* `ferry list` prints every hosted service, one a line, in the order they
 * were added (reflection included). */
static void test_list_prints_hosted_services(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "list", rs->url, NULL), 0);
    assert_string_equal(rs->out, "ferrytest.rich.v1.Rich\nferry.health.v1.Health\n"
                                 "ferry.reflection.v1.Reflection\n");
}

/* `ferry list --long` adds each service's API version and .proto file. */
static void test_list_long_has_versions_and_files(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "list", "--long", rs->url, NULL), 0);
    assert_contains(rs->out,
                    "ferrytest.rich.v1.Rich\tAPI version 3\tferrytest/rich/v1/rich.proto\n");
    assert_contains(rs->out,
                    "ferry.health.v1.Health\tAPI version 1\tferry/health/v1/health.proto\n");
}

/* `ferry describe SERVICE` prints its methods with ferry's options, then
 * the messages and enums they reach, imported ones included, fields with
 * their rules. */
static void test_describe_service(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "describe", rs->url, "ferrytest.rich.v1.Rich", NULL), 0);
    assert_contains(rs->out, "// ferrytest/rich/v1/rich.proto, API version 3\n"
                             "service ferrytest.rich.v1.Rich {\n"
                             "  rpc Echo(ferrytest.rich.v1.Everything) returns "
                             "(ferrytest.rich.v1.Everything) {\n"
                             "    option (ferry.method) = {since: 1 idempotent: true "
                             "deadline_ms: 3000};\n  }\n");
    assert_contains(rs->out,
                    "option (ferry.method) = {since: 2 roles: \"tester\" read_only: true};");
    assert_contains(rs->out, "  string key = 1 [(ferry.field) = {required: true max_len: 64}];\n");
    assert_contains(rs->out, "  map<int64, ferrytest.rich.v1.Inner> by_int64 = 32;\n");
    assert_contains(rs->out, "  repeated int32 unpacked_int32 = 24;\n");
    assert_contains(rs->out, "  int64 choice_number = 41;  // oneof choice\n");
    assert_contains(rs->out, "  google.protobuf.Timestamp at = 50;\n");
    assert_contains(rs->out, "\nmessage google.protobuf.Timestamp {\n  int64 seconds = 1;\n");
    assert_contains(rs->out, "\nenum ferrytest.rich.v1.Colour {\n  COLOUR_UNSPECIFIED = 0;\n"
                             "  RED = 1;\n  GREEN = 2;\n  BLUE = -3;\n}\n");
}

/* `ferry describe SERVICE/METHOD` prints that method alone and what it
 * carries. */
static void test_describe_method(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "describe", rs->url, "ferrytest.rich.v1.Rich/Header", NULL),
                     0);
    assert_contains(rs->out, "rpc Header(");
    assert_null(strstr(rs->out, "rpc Echo("));
    assert_null(strstr(rs->out, "message ferrytest.rich.v1.Everything"));
    assert_contains(rs->out, "message ferrytest.rich.v1.HeaderReply {\n  string value = 1;\n}\n");
}

/* Describing what the server lacks exits 1 and says what is missing. */
static void test_describe_unknown_method(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "describe", rs->url, "ferrytest.rich.v1.Rich/Nope", NULL),
                     1);
    assert_contains(rs->err, "ferry describe: ferrytest.rich.v1.Rich has no method 'Nope'");
    assert_int_equal(rich_run(rs, NULL, "describe", rs->url, "no.Such", NULL), 1);
    assert_contains(rs->err, "the server hosts no service 'no.Such'");
}

/* --proto describes from the files, without asking the server. */
static void test_describe_from_proto_files(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "describe", "--proto", RICH_PROTO, "-I", RICH_PROTO_ROOT,
                              "ipc:///nonexistent/ferry.sock", "ferrytest.rich.v1.Rich/Echo", NULL),
                     0);
    assert_contains(rs->out, "rpc Echo(ferrytest.rich.v1.Everything)");
}

/* Reflection is off unless the server hosts it: list and describe get
 * unimplemented and exit 1. */
static void test_reflection_off_by_default(void **state)
{
    (void)state;
    rich_server *rs = rich_start(0);
    assert_int_equal(rich_run(rs, NULL, "list", rs->url, NULL), 1);
    assert_contains(rs->err, "unimplemented");
    assert_contains(rs->err, "does not host the reflection service");
    assert_int_equal(rich_run(rs, NULL, "describe", rs->url, "ferrytest.rich.v1.Rich", NULL), 1);
    assert_contains(rs->err, "unimplemented");
    rich_stop(rs);
}

/* The reflection service hands out the descriptors the generator embedded:
 * the file defining the service first, then the imported files its types
 * come from, each once (options.proto is imported but holds no type the
 * methods use). */
static void test_get_files_lists_each_file_once(void **state)
{
    rich_server *rs = *state;
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, rs->url, NULL), FERRY_OK);
    Ferry__Reflection__V1__GetFilesRequest req = FERRY__REFLECTION__V1__GET_FILES_REQUEST__INIT;
    req.service = "ferrytest.rich.v1.Rich";
    Ferry__Reflection__V1__GetFilesReply *resp = NULL;
    assert_int_equal(ferry_reflection_v1_reflection_get_files(ch, &req, &resp, NULL), FERRY_OK);
    const char *names[] = {"ferrytest/rich/v1/rich.proto",   "google/protobuf/any.proto",
                           "google/protobuf/duration.proto", "google/protobuf/field_mask.proto",
                           "google/protobuf/struct.proto",   "google/protobuf/timestamp.proto",
                           "google/protobuf/wrappers.proto"};
    const size_t n = sizeof names / sizeof names[0];
    assert_int_equal(resp->n_files, n);
    for (size_t i = 0; i < n; i++) {
        Google__Protobuf__FileDescriptorProto *f = google__protobuf__file_descriptor_proto__unpack(
            NULL, resp->files[i].len, resp->files[i].data);
        assert_non_null(f);
        assert_string_equal(f->name, names[i]);
        assert_null(f->source_code_info);
        protobuf_c_message_free_unpacked(&f->base, NULL);
    }
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
}

/* Output that cannot be written (stdout on /dev/full) is an error, exit
 * 2 with a message, whichever subcommand printed it. */
static void test_unwritable_stdout_exits_2(void **state)
{
    rich_server *rs = *state;
    struct stat st;
    if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode))
        skip();
    cli_set_stdout("/dev/full");
    assert_int_equal(rich_run(rs, NULL, "list", rs->url, NULL), 2);
    assert_contains(rs->err, "ferry list: cannot write to standard output");
    assert_int_equal(rich_run(rs, NULL, "describe", rs->url, "ferrytest.rich.v1.Rich", NULL), 2);
    assert_contains(rs->err, "ferry describe: cannot write to standard output");
    assert_int_equal(rich_run(rs, NULL, "health", rs->url, NULL), 2);
    assert_contains(rs->err, "ferry health: cannot write to standard output");
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, "ferrytest.rich.v1.Rich/Echo", "{}", NULL),
                     2);
    assert_contains(rs->err, "ferry call: cannot write to standard output");
    assert_int_equal(rich_run(rs, NULL, "--version", NULL), 2);
    assert_contains(rs->err, "cannot write to standard output");
    cli_set_stdout(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_prints_hosted_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_stdout_exits_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_long_has_versions_and_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_from_proto_files, setup, teardown),
        cmocka_unit_test(test_reflection_off_by_default),
        cmocka_unit_test_setup_teardown(test_get_files_lists_each_file_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
