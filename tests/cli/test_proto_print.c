/* test_proto_print.c - `ferry describe`'s printer (clients/ferry/
 * proto_print.c) over schemas protoc would never write but a hostile
 * server can send: each written as protobuf's text format, encoded by
 * protoc --encode into a FileDescriptorSet, then indexed and printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pbschema.h"
#include "proto_print.h"

/* `textpb` (a FileDescriptorSet in text format, which may set ferry's
 * options as [ferry.field] etc.) encoded by protoc, into `s`. */
static void load(pb_schema *s, const char *textpb)
{
    char dir[] = "/tmp/ferry-proto-print-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[128], out[128], cmd[1024];
    snprintf(in, sizeof in, "%s/set.txtpb", dir);
    snprintf(out, sizeof out, "%s/set.pb", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs(textpb, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "'%s' -I'%s' -I'%s' --encode=google.protobuf.FileDescriptorSet "
             "google/protobuf/descriptor.proto ferry/options.proto <'%s' >'%s' 2>/dev/null",
             FERRY_PROTOC, FERRY_PROTOBUF_INCLUDE, FERRY_IDL_DIR, in, out);
    assert_int_equal(system(cmd), 0);
    static uint8_t buf[1 << 16];
    f = fopen(out, "rb");
    assert_non_null(f);
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unlink(in);
    unlink(out);
    rmdir(dir);
    char err[512];
    pbs_init(s);
    assert_int_equal(pbs_add_set(s, buf, len, err, sizeof err), 0);
    assert_int_equal(pbs_index(s, err, sizeof err), 0);
}

/* Prints service `svc` of `textpb`: cli_proto_print()'s result, the text
 * in `out` (or the reason in `out`). */
static int describe(const char *textpb, const char *svc, char *out, size_t outlen)
{
    pb_schema s;
    load(&s, textpb);
    const pbs_svc *sv = pbs_service_find(&s, svc);
    assert_non_null(sv);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    char err[512] = "";
    int rv = cli_proto_print(f, &s, sv, NULL, err, sizeof err);
    fclose(f);
    snprintf(out, outlen, "%s", rv == 0 ? text : err);
    free(text);
    pbs_fini(&s);
    return rv;
}

#define FILE_HEAD "file { name: \"h.proto\" package: \"pkg\" syntax: \"proto2\" "
#define SERVICE                                                                                    \
    "service { name: \"S\" method { name: \"Get\" input_type: \".pkg.M\" "                         \
    "output_type: \".pkg.M\" } } }"

/* A "map entry" whose value is `repeated` the entry itself is no map: read
 * as a plain repeated message (before, describe recursed until the stack
 * ran out), and printed as one so the output still compiles. */
static void test_map_entry_holding_itself_is_a_message(void **state)
{
    (void)state;
    static const char set[] =
        FILE_HEAD "message_type { name: \"M\" "
                  "field { name: \"v\" number: 1 label: LABEL_REPEATED type: TYPE_MESSAGE "
                  "type_name: \".pkg.M.VEntry\" } "
                  "nested_type { name: \"VEntry\" options { map_entry: true } "
                  "field { name: \"key\" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING } "
                  "field { name: \"value\" number: 2 label: LABEL_REPEATED type: TYPE_MESSAGE "
                  "type_name: \".pkg.M.VEntry\" } } } " SERVICE;
    pb_schema s;
    load(&s, set);
    const pbs_type *m = pbs_find(&s, "pkg.M");
    assert_non_null(m);
    assert_false(pbs_is_map(&s, m->msg->field[0], NULL));
    pbs_fini(&s);
    char out[4096];
    assert_int_equal(describe(set, "pkg.S", out, sizeof out), 0);
    assert_non_null(strstr(out, "  repeated M.VEntry v = 1;\n"));
    assert_non_null(strstr(out, "  message VEntry {\n"));
    assert_non_null(strstr(out, "    repeated M.VEntry value = 2;\n"));
}

/* A map key that protobuf does not allow (double) is no map either. */
static void test_map_entry_with_a_float_key_is_a_message(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(
        describe(FILE_HEAD
                 "message_type { name: \"M\" "
                 "field { name: \"v\" number: 1 label: LABEL_REPEATED type: TYPE_MESSAGE "
                 "type_name: \".pkg.M.VEntry\" } "
                 "nested_type { name: \"VEntry\" options { map_entry: true } "
                 "field { name: \"key\" number: 1 label: LABEL_OPTIONAL type: TYPE_DOUBLE } "
                 "field { name: \"value\" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 "
                 "} } } " SERVICE,
                 "pkg.S", out, sizeof out),
        0);
    assert_non_null(strstr(out, "  repeated M.VEntry v = 1;\n"));
}

/* Reserved and extension ranges that are not ranges of field numbers are
 * refused naming the message (before, an end of INT32_MIN overflowed). */
static void test_hostile_ranges_are_refused(void **state)
{
    (void)state;
    static const char *const ranges[] = {
        "reserved_range { start: 1 end: -2147483648 }",
        "reserved_range { start: 5 end: 5 }",
        "reserved_range { start: 0 end: 3 }",
        "extension_range { start: 100 end: 536870913 }",
        "extension_range { start: -2147483648 end: 1 }",
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        char set[1024], out[4096];
        snprintf(set, sizeof set, FILE_HEAD "message_type { name: \"M\" %s } " SERVICE, ranges[i]);
        assert_int_equal(describe(set, "pkg.S", out, sizeof out), -1);
        assert_non_null(strstr(out, "the schema's message 'pkg.M' has a "));
        assert_non_null(strstr(out, "outside field numbers 1 to 536870911"));
    }
    char out[4096];
    assert_int_equal(describe(FILE_HEAD "enum_type { name: \"E\" value { name: \"A\" number: 0 } "
                                        "reserved_range { start: 7 end: -2147483648 } } "
                                        "message_type { name: \"M\" field { name: \"e\" number: 1 "
                                        "label: LABEL_OPTIONAL type: TYPE_ENUM type_name: "
                                        "\".pkg.E\" } } " SERVICE,
                              "pkg.S", out, sizeof out),
                     -1);
    assert_non_null(strstr(
        out, "the schema's enum 'E' has a reserved range 7 to -2147483648 that is reversed"));
}

/* Strings that are not UTF-8 keep their bytes as octal escapes (before,
 * they became ""). */
static void test_strings_that_are_not_utf8_keep_their_bytes(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(
        describe(FILE_HEAD "dependency: \"ferry/options.proto\" message_type { name: \"M\" "
                           "field { name: \"s\" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING "
                           "default_value: \"\\377a\\n\" options { [ferry.field] { in: \"\\376\" "
                           "in: \"caf\\303\\251\" } } } } " SERVICE,
                 "pkg.S", out, sizeof out),
        0);
    assert_non_null(strstr(out, "optional string s = 1 [default = \"\\377a\\012\", "
                                "(ferry.field) = {in: \"\\376\" in: \"café\"}];\n"));
}

/* ferry's field rules nest (items of items ...): a server's nesting
 * deeper than messages may nest is refused, not followed. */
static void test_ferry_options_nested_too_deep_are_refused(void **state)
{
    (void)state;
    char set[8192], rules[4096] = "", out[4096];
    for (int i = 0; i < PBS_MAX_DEPTH + 2; i++)
        strcat(rules, "items { ");
    strcat(rules, "min_len: 1 ");
    for (int i = 0; i < PBS_MAX_DEPTH + 2; i++)
        strcat(rules, "} ");
    snprintf(set, sizeof set,
             FILE_HEAD "dependency: \"ferry/options.proto\" message_type { name: \"M\" "
                       "field { name: \"s\" number: 1 label: LABEL_REPEATED type: TYPE_STRING "
                       "options { [ferry.field] { %s } } } } " SERVICE,
             rules);
    assert_int_equal(describe(set, "pkg.S", out, sizeof out), -1);
    assert_non_null(strstr(out, "the schema's ferry options (rules nested deeper than 64) given in "
                                "'pkg.M' cannot be written"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_entry_holding_itself_is_a_message),
        cmocka_unit_test(test_map_entry_with_a_float_key_is_a_message),
        cmocka_unit_test(test_hostile_ranges_are_refused),
        cmocka_unit_test(test_strings_that_are_not_utf8_keep_their_bytes),
        cmocka_unit_test(test_ferry_options_nested_too_deep_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
