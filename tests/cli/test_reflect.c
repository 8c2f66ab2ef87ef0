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

/* `ferry describe SERVICE` prints a .proto file: the package, the imports
 * it needs, the service with ferry's options, then the messages and enums
 * the methods reach, fields with their rules, oneofs as oneof blocks, maps
 * as map<K, V>, names relative to the package. */
static void test_describe_service(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "describe", rs->url, "ferrytest.rich.v1.Rich", NULL), 0);
    assert_contains(rs->out, "// ferrytest/rich/v1/rich.proto, API version 3\n"
                             "syntax = \"proto3\";\n\n"
                             "package ferrytest.rich.v1;\n\n"
                             "import \"ferry/options.proto\";\n"
                             "import \"google/protobuf/timestamp.proto\";\n");
    assert_contains(rs->out, "option (ferry.file) = {api_version: 3};\n");
    assert_contains(rs->out, "service Rich {\n"
                             "  rpc Echo(Everything) returns (Everything) {\n"
                             "    option (ferry.method) = {since: 1 idempotent: true "
                             "deadline_ms: 3000};\n  }\n");
    assert_contains(rs->out,
                    "option (ferry.method) = {since: 2 roles: \"tester\" read_only: true};");
    assert_contains(rs->out, "  string key = 1 [(ferry.field) = {required: true max_len: 64}];\n");
    assert_contains(rs->out, "  map<int64, Inner> by_int64 = 32;\n");
    assert_contains(rs->out, "  repeated int32 unpacked_int32 = 24 [packed = false];\n");
    assert_contains(rs->out, "  oneof choice {\n    string choice_text = 40;\n"
                             "    int64 choice_number = 41;\n    Inner choice_inner = 42;\n  }\n");
    assert_contains(rs->out, "  google.protobuf.Timestamp at = 50;\n");
    /* Imported, not declared again: a second google.protobuf.Timestamp would
     * not compile. */
    assert_null(strstr(rs->out, "message Timestamp"));
    assert_contains(rs->out, "\nenum Colour {\n  COLOUR_UNSPECIFIED = 0;\n"
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
    assert_null(strstr(rs->out, "message Everything"));
    assert_null(strstr(rs->out, "import \"google/protobuf/"));
    assert_contains(rs->out, "message HeaderReply {\n  string value = 1;\n}\n");
}

/* Runs protoc on the file `name` in rs->dir with ferry's IDL directory and
 * protobuf's own as import paths, writing C with protoc-c too when `c_out`;
 * its exit status. */
static int run_protoc(rich_server *rs, const char *name, int c_out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' -I. -I'%s' -I'%s' %s%s%s --descriptor_set_out=out.pb '%s' "
             "2>protoc.err",
             rs->dir, FERRY_PROTOC, FERRY_IDL_DIR, FERRY_PROTOBUF_INCLUDE,
             c_out ? "--c_out=. --plugin=protoc-gen-c='" : "", c_out ? FERRY_PROTOC_GEN_C : "",
             c_out ? "'" : "", name);
    int rc = system(cmd);
    if (rc != 0) {
        char path[256], err[4096];
        rich_path(rs, "protoc.err", path, sizeof path);
        cli_slurp(path, err, sizeof err);
        print_error("protoc on %s failed:\n%s\n", name, err);
    }
    return rc;
}

/* What describe printed, past its first line (the file it came from). */
static const char *past_first_line(const char *text)
{
    const char *nl = strchr(text, '\n');
    return nl != NULL ? nl + 1 : text;
}

/* A saved description is a .proto file: protoc (and protoc-c) compile it,
 * and describing the saved file prints the same service, methods and
 * types again. */
static void test_describe_output_compiles(void **state)
{
    rich_server *rs = *state;
    static const char *const targets[] = {"ferrytest.rich.v1.Rich", "ferrytest.rich.v1.Rich/Header",
                                          "ferry.health.v1.Health"};
    static char first[sizeof rs->out];
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        assert_int_equal(rich_run(rs, NULL, "describe", rs->url, targets[i], NULL), 0);
        snprintf(first, sizeof first, "%s", rs->out);
        char path[256];
        rich_write(rs, "described.proto", rs->out, path, sizeof path);
        assert_int_equal(run_protoc(rs, "described.proto", 1), 0);
        assert_int_equal(rich_run(rs, NULL, "describe", "--proto", path, "-I", rs->dir,
                                  "ipc:///nonexistent/ferry.sock", targets[i], NULL),
                         0);
        assert_string_equal(past_first_line(rs->out), past_first_line(first));
    }
}

/* What .proto syntax has beyond the rich schema: nested messages and enums
 * (and a nested name that hides an imported one), proto3 optional,
 * reserved numbers and names, json_name; then proto2's labels, defaults,
 * extension ranges and enum aliases. Each description compiles and
 * describes the same again. */
static void test_describe_nested_and_proto2(void **state)
{
    rich_server *rs = *state;
    static const char *const files[][4] = {
        {"nested.proto",
         "syntax = \"proto3\";\npackage a.b;\nimport \"google/protobuf/timestamp.proto\";\n"
         "message Outer {\n"
         "  message Inner { enum Mood { MOOD_UNSPECIFIED = 0; CALM = 1; }\n"
         "    Mood mood = 1; optional int32 maybe = 2 [json_name = \"perhaps\"]; }\n"
         "  message Timestamp { int32 x = 1; }\n"
         "  Inner inner = 1; google.protobuf.Timestamp at = 2; Timestamp local = 3;\n"
         "  map<string, Inner.Mood> moods = 4; reserved 9 to 11, 15; reserved \"gone\";\n"
         "  oneof pick { string a = 5; Inner b = 6; }\n"
         "}\n"
         "service Svc { rpc Get(Outer) returns (Outer.Inner); }\n",
         "a.b.Svc", "    optional int32 maybe = 2 [json_name = \"perhaps\"];\n"},
        {"two.proto",
         "syntax = \"proto2\";\npackage c;\n"
         "enum E { option allow_alias = true; A = 1; B = 1; C = 2; reserved 5 to 7; }\n"
         "message M { required string s = 1 [default = \"a\\\"b\"];\n"
         "  optional bytes b = 2 [default = \"\\001x\"]; optional E e = 3 [default = C];\n"
         "  repeated int32 r = 5 [packed = true]; extensions 100 to 199; }\n"
         "service S { rpc X(M) returns (M); }\n",
         "c.S", "  required string s = 1 [default = \"a\\\"b\"];\n"},
    };
    static char first[sizeof rs->out];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        rich_write(rs, files[i][0], files[i][1], path, sizeof path);
        assert_int_equal(rich_run(rs, NULL, "describe", "--proto", path, "-I", rs->dir,
                                  "ipc:///nonexistent/ferry.sock", files[i][2], NULL),
                         0);
        assert_contains(rs->out, files[i][3]);
        snprintf(first, sizeof first, "%s", rs->out);
        rich_write(rs, "described.proto", rs->out, path, sizeof path);
        /* protoc-c 1.4 refuses proto3 optional, which the first file has. */
        assert_int_equal(run_protoc(rs, "described.proto", i > 0), 0);
        assert_int_equal(rich_run(rs, NULL, "describe", "--proto", path, "-I", rs->dir,
                                  "ipc:///nonexistent/ferry.sock", files[i][2], NULL),
                         0);
        assert_string_equal(past_first_line(rs->out), past_first_line(first));
    }
}

/* Describes `svc` of the file `name` (with `text`; the files it imports
 * already written), checks the output holds each of `wants` (NULL-ended),
 * compiles it with protoc, and describes the saved output again to the
 * same text. */
static void describe_compiles(rich_server *rs, const char *name, const char *text, const char *svc,
                              const char *const *wants)
{
    static char first[sizeof rs->out];
    char path[256];
    rich_write(rs, name, text, path, sizeof path);
    assert_int_equal(rich_run(rs, NULL, "describe", "--proto", path, "-I", rs->dir,
                              "ipc:///nonexistent/ferry.sock", svc, NULL),
                     0);
    for (; *wants != NULL; wants++)
        if (strstr(rs->out, *wants) == NULL)
            fail_msg("describe of %s lacks \"%s\":\n%s", name, *wants, rs->out);
    snprintf(first, sizeof first, "%s", rs->out);
    rich_write(rs, "described.proto", rs->out, path, sizeof path);
    assert_int_equal(run_protoc(rs, "described.proto", 0), 0);
    assert_int_equal(rich_run(rs, NULL, "describe", "--proto", path, "-I", rs->dir,
                              "ipc:///nonexistent/ferry.sock", svc, NULL),
                     0);
    assert_string_equal(past_first_line(rs->out), past_first_line(first));
}

/* Only the service's own file's types are printed; every other file a type
 * comes from is imported, once: a file without a package using a
 * well-known type, a package using its sub-package's type, and the same
 * package's type of another file that a second import brings too (copied,
 * protoc found it defined twice). */
static void test_describe_imports_types_of_other_files(void **state)
{
    rich_server *rs = *state;
    char path[256];
    static const char *const nopkg[] = {"import \"google/protobuf/timestamp.proto\";\n",
                                        "  google.protobuf.Timestamp at = 1;\n", NULL};
    describe_compiles(rs, "nopkg.proto",
                      "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n"
                      "message M { google.protobuf.Timestamp at = 1; }\n"
                      "service S { rpc Get(M) returns (google.protobuf.Timestamp); }\n",
                      "S", nopkg);
    assert_null(strstr(rs->out, "message Timestamp"));

    rich_write(rs, "money.proto",
               "syntax = \"proto3\";\npackage acme.common;\n"
               "message Money { int64 units = 1; }\n",
               path, sizeof path);
    static const char *const sub[] = {"import \"money.proto\";\n", "  common.Money price = 1;\n",
                                      NULL};
    describe_compiles(rs, "acme.proto",
                      "syntax = \"proto3\";\npackage acme;\nimport \"money.proto\";\n"
                      "message Order { common.Money price = 1; }\n"
                      "service Shop { rpc Get(Order) returns (acme.common.Money); }\n",
                      "acme.Shop", sub);
    assert_null(strstr(rs->out, "message Money"));

    rich_write(rs, "shop_money.proto",
               "syntax = \"proto3\";\npackage shop;\n"
               "message Money { int64 units = 1; }\n",
               path, sizeof path);
    rich_write(rs, "box.proto",
               "syntax = \"proto3\";\npackage other;\n"
               "import \"shop_money.proto\";\nmessage Box { shop.Money m = 1; }\n",
               path, sizeof path);
    static const char *const same[] = {"import \"shop_money.proto\";\nimport \"box.proto\";\n",
                                       "rpc Get(Money) returns (other.Box);\n",
                                       "  Money total = 1;\n", NULL};
    describe_compiles(rs, "shop.proto",
                      "syntax = \"proto3\";\npackage shop;\nimport \"shop_money.proto\";\n"
                      "import \"box.proto\";\nmessage Cart { Money total = 1; other.Box b = 2; }\n"
                      "service Svc { rpc Get(Money) returns (other.Box);\n"
                      "  rpc Put(Cart) returns (Money); }\n",
                      "shop.Svc", same);
    assert_null(strstr(rs->out, "message Money"));
}

/* Names protoc would read as something else are fully qualified: a message
 * named like a scalar type or a keyword, a method named like its message,
 * and ferry's options where a symbol `ferry` is nearer than ferry's
 * package (`(ferry.field)` would be q.ferry.field); the messages named
 * ferry are reached, so describing the output again sees them too. */
static void test_describe_names_resolve_as_meant(void **state)
{
    rich_server *rs = *state;
    static const char *const words[] = {"  .k.string s = 1;\n",
                                        "  .k.stream t = 2;\n",
                                        "  .k.map.In u = 3;\n",
                                        "  .k.option o = 4;\n",
                                        "rpc Get(.k.stream) returns (.k.string)",
                                        "rpc M(.k.M) returns (.k.M)",
                                        NULL};
    describe_compiles(rs, "words.proto",
                      "syntax = \"proto3\";\npackage k;\n"
                      "message string { int32 x = 1; }\nmessage stream { int32 y = 1; }\n"
                      "message map { message In { int32 z = 1; } }\n"
                      "message option { int32 w = 1; }\n"
                      "message M { .k.string s = 1; .k.stream t = 2; .k.map.In u = 3;\n"
                      "  .k.option o = 4; }\n"
                      "service S { rpc Get(.k.stream) returns (.k.string);\n"
                      "  rpc M(.k.M) returns (.k.M); }\n",
                      "k.S", words);
    static const char *const ferry[] = {"  string s = 1 [(.ferry.field) = {min_len: 1}];\n",
                                        "option (.ferry.method) = {deadline_ms: 5};\n",
                                        "option (.ferry.service) = {api_version: 2};\n", NULL};
    describe_compiles(rs, "capture.proto",
                      "syntax = \"proto3\";\npackage q;\nimport \"ferry/options.proto\";\n"
                      "message ferry { int32 x = 1; }\n"
                      "message M { string s = 1 [(.ferry.field) = {min_len: 1}]; ferry f = 2; }\n"
                      "service S { option (.ferry.service) = {api_version: 2};\n"
                      "  rpc Get(M) returns (M) { option (.ferry.method) = {deadline_ms: 5}; } }\n",
                      "q.S", ferry);
    static const char *const nested[] = {"  string s = 1 [(.ferry.field) = {min_len: 1}];\n",
                                         "  string t = 1 [(ferry.field) = {max_len: 2}];\n", NULL};
    describe_compiles(rs, "nested_capture.proto",
                      "syntax = \"proto3\";\npackage r;\nimport \"ferry/options.proto\";\n"
                      "message M { message ferry { int32 x = 1; }\n"
                      "  string s = 1 [(.ferry.field) = {min_len: 1}]; N n = 2; }\n"
                      "message N { string t = 1 [(ferry.field) = {max_len: 2}]; }\n"
                      "service S { rpc Get(M) returns (M); }\n",
                      "r.S", nested);
}

/* Options protobuf has that describe prints: deprecated (service, method,
 * enum, field), idempotency_level, packed, json_name. */
static void test_describe_prints_standard_options(void **state)
{
    rich_server *rs = *state;
    static const char *const opts[] = {
        "  option deprecated = true;\n  rpc Get(M) returns (M) {\n",
        "    option idempotency_level = NO_SIDE_EFFECTS;\n",
        "  repeated int32 r = 1 [packed = false, deprecated = true, json_name = \"arr\"];\n",
        "enum E {\n  option deprecated = true;\n", NULL};
    describe_compiles(
        rs, "opts.proto",
        "syntax = \"proto3\";\npackage o;\n"
        "enum E { option deprecated = true; E_UNSPECIFIED = 0; }\n"
        "message M { repeated int32 r = 1 [packed = false, deprecated = true,\n"
        "  json_name = \"arr\"]; E e = 2; }\n"
        "service S { option deprecated = true;\n"
        "  rpc Get(M) returns (M) { option idempotency_level = NO_SIDE_EFFECTS; } }\n",
        "o.S", opts);
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
    assert_contains(rs->out, "rpc Echo(Everything)");
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
        cmocka_unit_test_setup_teardown(test_describe_output_compiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_nested_and_proto2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_imports_types_of_other_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_describe_names_resolve_as_meant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_prints_standard_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe_from_proto_files, setup, teardown),
        cmocka_unit_test(test_reflection_off_by_default),
        cmocka_unit_test_setup_teardown(test_get_files_lists_each_file_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
