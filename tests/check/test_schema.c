/* test_schema.c - the checker library's other inputs and its report:
 * FileDescriptorSets, hostile ones included (no name, bad references, deep
 * nesting, malformed ferry options), .proto trees through protoc, and
 * findings as the API returns and prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry_check.h"
#include "google/protobuf/descriptor.pb-c.h"

typedef Google__Protobuf__FieldDescriptorProto field_proto;

static uint8_t *pack_set(Google__Protobuf__FileDescriptorProto **files, size_t n, size_t *len)
{
    Google__Protobuf__FileDescriptorSet set = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_SET__INIT;
    set.file = files;
    set.n_file = n;
    *len = google__protobuf__file_descriptor_set__get_packed_size(&set);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    google__protobuf__file_descriptor_set__pack(&set, buf);
    return buf;
}

static ferry_check_status load(Google__Protobuf__FileDescriptorProto **files, size_t n,
                               ferry_schema **out)
{
    size_t len;
    uint8_t *buf = pack_set(files, n, &len);
    ferry_check_status st = ferry_schema_from_descriptor_set(buf, len, out);
    free(buf);
    return st;
}

static void expect_refused(Google__Protobuf__FileDescriptorProto *f, const char *needle)
{
    ferry_schema *s = (ferry_schema *)1;
    ferry_check_status st = load(&f, 1, &s);
    if (st != FERRY_CHECK_BAD_INPUT || strstr(ferry_check_last_error(), needle) == NULL)
        print_error("status %d, message: %s\nwanted: %s\n", (int)st, ferry_check_last_error(),
                    needle);
    assert_int_equal(st, FERRY_CHECK_BAD_INPUT);
    assert_null(s);
    assert_non_null(strstr(ferry_check_last_error(), needle));
    for (const char *p = ferry_check_last_error(); *p != '\0'; p++)
        assert_true(*p == '\n' || ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f));
}

/* A file "a.proto" of package "a" holding message `m`. */
static void one_message(Google__Protobuf__FileDescriptorProto *f,
                        Google__Protobuf__DescriptorProto *m,
                        Google__Protobuf__DescriptorProto **slot)
{
    google__protobuf__file_descriptor_proto__init(f);
    f->name = "a.proto";
    f->package = "a";
    f->syntax = "proto3";
    *slot = m;
    f->message_type = slot;
    f->n_message_type = 1;
}

static void int_field(field_proto *fld, const char *name, int32_t number)
{
    google__protobuf__field_descriptor_proto__init(fld);
    fld->name = (char *)name;
    fld->has_number = 1;
    fld->number = number;
    fld->has_type = 1;
    fld->type = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32;
    fld->has_label = 1;
    fld->label = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL;
}

static void test_not_a_set(void **state)
{
    (void)state;
    ferry_schema *s = NULL;
    const uint8_t junk[] = "\xff\xff\xff\xff not a descriptor set";
    assert_int_equal(ferry_schema_from_descriptor_set(junk, sizeof junk, &s),
                     FERRY_CHECK_BAD_INPUT);
    assert_null(s);
    assert_string_equal(ferry_check_last_error(),
                        "the input is not a google.protobuf.FileDescriptorSet");

    /* No bytes: a set of no files, which compares without a difference. */
    assert_int_equal(ferry_schema_from_descriptor_set(junk, 0, &s), FERRY_CHECK_OK);
    ferry_check_report *r = NULL;
    assert_int_equal(ferry_check_compare(s, s, &r), FERRY_CHECK_OK);
    assert_int_equal(ferry_check_report_count(r), 0);
    assert_null(ferry_check_report_get(r, 0));
    ferry_check_report_free(r);
    ferry_schema_free(s);
}

static void test_hostile_files(void **state)
{
    (void)state;
    Google__Protobuf__FileDescriptorProto f, g;
    Google__Protobuf__DescriptorProto m = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT, *slot;
    one_message(&f, &m, &slot);
    f.name = NULL;
    expect_refused(&f, "a file of the descriptor set has no valid name");

    one_message(&f, &m, &slot);
    m.name = "M";
    g = f;
    Google__Protobuf__FileDescriptorProto *both[] = {&f, &g};
    ferry_schema *s = NULL;
    assert_int_equal(load(both, 2, &s), FERRY_CHECK_BAD_INPUT);
    assert_string_equal(ferry_check_last_error(), "the descriptor set holds a.proto twice");

    m.name = NULL;
    expect_refused(&f, "a.proto: a message in a has no valid name");
    m.name = "M\x1b[2J";
    expect_refused(&f, "a.proto: a message in a has no valid name");
    m.name = "M";
    f.syntax = "editions";
    expect_refused(&f, "a.proto: syntax \"editions\" is not supported by ferry check");
}

static void test_hostile_fields(void **state)
{
    (void)state;
    Google__Protobuf__FileDescriptorProto f;
    Google__Protobuf__DescriptorProto m = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT, *slot;
    one_message(&f, &m, &slot);
    m.name = "M";
    field_proto fld, *fields[] = {&fld};
    m.field = fields;
    m.n_field = 1;

    int_field(&fld, "x", 1);
    fld.has_oneof_index = 1;
    fld.oneof_index = 3;
    expect_refused(&f, "message a.M: a field is in a oneof that does not exist");

    /* Names end up in lock files, which refuse what is not an identifier. */
    Google__Protobuf__OneofDescriptorProto od = GOOGLE__PROTOBUF__ONEOF_DESCRIPTOR_PROTO__INIT,
                                           *ods[] = {&od};
    od.name = "bad name";
    m.oneof_decl = ods;
    m.n_oneof_decl = 1;
    int_field(&fld, "x", 1);
    fld.has_oneof_index = 1;
    fld.oneof_index = 0;
    expect_refused(&f, "message a.M: a oneof has no valid name");
    m.oneof_decl = NULL;
    m.n_oneof_decl = 0;

    int_field(&fld, "x", 0);
    expect_refused(&f, "message a.M: a field has no valid number");

    int_field(&fld, "x", 1);
    fld.has_type = 0;
    expect_refused(&f, "message a.M: a field has no valid type");

    int_field(&fld, "x", 1);
    fld.type = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE;
    expect_refused(&f, "message a.M: a field refers to no valid type");

    int_field(&fld, "x", 1);
    fld.name = NULL;
    expect_refused(&f, "message a.M: a field has no valid name");

    /* Two fields of one number: the checker could not tell them apart. */
    field_proto twin, *two[] = {&fld, &twin};
    int_field(&fld, "x", 1);
    int_field(&twin, "y", 1);
    m.field = two;
    m.n_field = 2;
    expect_refused(&f, "message a.M has two fields numbered 1");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    enum { DEPTH = 120 };
    Google__Protobuf__DescriptorProto msgs[DEPTH], *links[DEPTH];
    for (size_t i = 0; i < DEPTH; i++) {
        google__protobuf__descriptor_proto__init(&msgs[i]);
        msgs[i].name = "N";
        links[i] = &msgs[i];
        if (i > 0) {
            msgs[i - 1].nested_type = &links[i];
            msgs[i - 1].n_nested_type = 1;
        }
    }
    Google__Protobuf__FileDescriptorProto f;
    Google__Protobuf__DescriptorProto *slot;
    one_message(&f, &msgs[0], &slot);
    /* Refused before protobuf-c reads the bytes, which it does by calling
     * itself a level at a time (idl/pbdepth/pbdepth.h). */
    expect_refused(&f, "nests messages more than 100 levels deep");
}

static void test_malformed_option(void **state)
{
    (void)state;
    Google__Protobuf__FileDescriptorProto f;
    Google__Protobuf__DescriptorProto m = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT, *slot;
    one_message(&f, &m, &slot);
    m.name = "M";
    /* (ferry.method), field 51000: two bytes that end inside a varint. */
    uint8_t bad[] = {0x02, 0x08, 0xff};
    ProtobufCMessageUnknownField uf = {
        .tag = 51000, .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, .len = 3, .data = bad};
    Google__Protobuf__MethodOptions mo = GOOGLE__PROTOBUF__METHOD_OPTIONS__INIT;
    mo.base.n_unknown_fields = 1;
    mo.base.unknown_fields = &uf;
    Google__Protobuf__MethodDescriptorProto md = GOOGLE__PROTOBUF__METHOD_DESCRIPTOR_PROTO__INIT,
                                            *mds[] = {&md};
    md.name = "Get";
    md.input_type = ".a.M";
    md.output_type = ".a.M";
    md.options = &mo;
    Google__Protobuf__ServiceDescriptorProto sd = GOOGLE__PROTOBUF__SERVICE_DESCRIPTOR_PROTO__INIT,
                                             *sds[] = {&sd};
    sd.name = "S";
    sd.method = mds;
    sd.n_method = 1;
    f.service = sds;
    f.n_service = 1;
    expect_refused(&f, "a.proto: service S, method Get: option (ferry.method) is malformed");

    md.options = NULL;
    md.input_type = NULL;
    expect_refused(&f, "method Get: a request or response type is missing");
}

/* Files of protobuf and ferry themselves are the toolchain's, not the
 * schema's; a schema without source info has no lines. */
static void test_toolchain_and_no_lines(void **state)
{
    (void)state;
    Google__Protobuf__FileDescriptorProto f, tool = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    Google__Protobuf__DescriptorProto m = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT, *slot;
    one_message(&f, &m, &slot);
    m.name = "M";
    tool.name = "ferry/options.proto";
    tool.package = "ferry";
    Google__Protobuf__FileDescriptorProto *files[] = {&tool, &f};
    ferry_schema *with = NULL, *without = NULL;
    assert_int_equal(load(files, 2, &with), FERRY_CHECK_OK);
    char *text = ferry_schema_write_lock(with, NULL);
    assert_null(strstr(text, "ferry/options.proto"));
    assert_non_null(strstr(text, "{\"name\": \"M\", \"line\": 0}"));
    free(text);

    assert_int_equal(load(files, 1, &without), FERRY_CHECK_OK);
    ferry_check_report *r = NULL;
    assert_int_equal(ferry_check_compare(with, without, &r), FERRY_CHECK_OK);
    assert_int_equal(ferry_check_report_count(r), 1);
    assert_int_equal(ferry_check_report_breaking(r), 0);
    const ferry_check_finding *fd = ferry_check_report_get(r, 0);
    assert_string_equal(fd->rule, "TYPE_DELETED");
    assert_int_equal(fd->line, 0);
    char buf[512] = "";
    FILE *mem = fmemopen(buf, sizeof buf, "w");
    assert_non_null(mem);
    assert_int_equal(ferry_check_finding_print(fd, mem), 0);
    fclose(mem);
    assert_string_equal(buf, "safe TYPE_DELETED a.proto: message a.M: deleted; nothing that "
                             "remains reads it as this type: any order\n");
    ferry_check_report_free(r);
    ferry_schema_free(with);
    ferry_schema_free(without);
}

static void test_protos(void **state)
{
    (void)state;
    const char *imports[] = {INPUTS_DIR "/imports/lib", FERRY_IDL_DIR, FERRY_PROTOBUF_INCLUDE};
    ferry_protoc_opts opts = {.protoc = FERRY_PROTOC, .import_dirs = imports, .n_import_dirs = 3};
    ferry_schema *s = NULL;
    assert_int_equal(ferry_schema_load_protos(INPUTS_DIR "/imports/tree", &opts, &s),
                     FERRY_CHECK_OK);
    ferry_check_report *r = NULL;
    assert_int_equal(ferry_check_compare(s, s, &r), FERRY_CHECK_OK);
    assert_int_equal(ferry_check_report_count(r), 0);
    ferry_check_report_free(r);
    ferry_schema_free(s);

    opts.protoc = "/nonexistent/protoc";
    assert_int_equal(ferry_schema_load_protos(INPUTS_DIR "/imports/tree", &opts, &s),
                     FERRY_CHECK_SYSTEM);
    assert_null(s);
    assert_true(strncmp(ferry_check_last_error(), "cannot run /nonexistent/protoc: ", 32) == 0);

    assert_int_equal(ferry_schema_load_protos(INPUTS_DIR "/empty/README", &opts, &s),
                     FERRY_CHECK_BAD_INPUT);
    assert_non_null(
        strstr(ferry_check_last_error(), "README: neither a directory nor a .proto file"));
    assert_int_equal(ferry_schema_load_protos("/nonexistent", NULL, &s), FERRY_CHECK_SYSTEM);
    assert_string_equal(ferry_check_last_error(), "/nonexistent: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_a_set),        cmocka_unit_test(test_hostile_files),
        cmocka_unit_test(test_hostile_fields),   cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_malformed_option), cmocka_unit_test(test_toolchain_and_no_lines),
        cmocka_unit_test(test_protos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
