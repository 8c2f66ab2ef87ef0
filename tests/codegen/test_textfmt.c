/* test_textfmt.c - the text-format encoder behind (ferry.method).fallback_default:
 * byte for byte against protoc --encode on the samples in textfmt/samples,
 * value by value through protobuf-c's decoder, and every kind of bad text
 * refused with its line, column, field and reason. The types are those of
 * textfmt/all.proto (proto3) and textfmt/legacy.proto (proto2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "all.pb-c.h"
#include "legacy.pb-c.h"
#include "textfmt.h"

static Google__Protobuf__FileDescriptorSet *set;
static fcg_arena arena;
static fcg_textfmt_schema *schema;

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    size_t cap = 1 << 16;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    *len = fread(buf, 1, cap, f);
    fclose(f);
    assert_true(*len < cap);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bytes = read_file(TEXTFMT_REFS_DIR, "textfmt.descset", &len);
    set = google__protobuf__file_descriptor_set__unpack(NULL, len, bytes);
    free(bytes);
    assert_non_null(set);
    fcg_arena_init(&arena);
    schema = fcg_textfmt_schema_new(&arena, set->file, set->n_file);
    assert_non_null(schema);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fcg_arena_fini(&arena);
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
    return 0;
}

/* Encodes `text` as `type`; fails the test with the error when refused. */
static const uint8_t *encode(const char *type, const char *text, size_t *len)
{
    const uint8_t *out;
    fcg_textfmt_error err;
    if (fcg_textfmt_encode(&arena, schema, type, text, strlen(text), &out, len, &err) != 0)
        fail_msg("refused at %u:%u: %s", err.line, err.column, err.what);
    assert_non_null(out);
    return out;
}

/* Encodes `text` and decodes it with protobuf-c as `desc`. */
static void *decode(const ProtobufCMessageDescriptor *desc, const char *text)
{
    char type[128];
    snprintf(type, sizeof type, ".%s", desc->name);
    size_t len;
    const uint8_t *bytes = encode(type, text, &len);
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, len, bytes);
    assert_non_null(msg);
    return msg;
}

static void *decode_all(const char *text)
{
    size_t len;
    const uint8_t *bytes = encode(".textfmt.test.All", text, &len);
    Textfmt__Test__All *all = textfmt__test__all__unpack(NULL, len, bytes);
    assert_non_null(all);
    return all;
}

/* `text` as `type` must be refused at line:column with exactly `what`. */
static void expect_refused(const char *type, const char *text, size_t len, unsigned line,
                           unsigned column, const char *what)
{
    const uint8_t *out = (const uint8_t *)"x";
    size_t out_len = 99;
    fcg_textfmt_error err;
    int rc = fcg_textfmt_encode(&arena, schema, type, text, len, &out, &out_len, &err);
    if (rc == 0)
        fail_msg("accepted: %s", text);
    assert_null(out);
    assert_int_equal(out_len, 0);
    if (strcmp(err.what, what) != 0 || err.line != line || err.column != column)
        fail_msg("for %s\n  got  %u:%u: %s\n  want %u:%u: %s", text, err.line, err.column, err.what,
                 line, column, what);
}

static void refused(const char *text, unsigned line, unsigned column, const char *what)
{
    expect_refused(".textfmt.test.All", text, strlen(text), line, column, what);
}

/* ---- against protoc ------------------------------------------------------ */

static void test_samples_match_protoc(void **state)
{
    (void)state;
    static const struct {
        const char *name, *type;
    } samples[] = {
        {"scalars", ".textfmt.test.All"},
        {"defaults", ".textfmt.test.All"},
        {"repeated", ".textfmt.test.All"},
        {"legacy", ".textfmt.legacy.Legacy"},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char name[64];
        size_t text_len, want_len, got_len;
        snprintf(name, sizeof name, "%s.txt", samples[i].name);
        char *text = (char *)read_file(TEXTFMT_SAMPLES_DIR, name, &text_len);
        snprintf(name, sizeof name, "%s.bin", samples[i].name);
        uint8_t *want = read_file(TEXTFMT_REFS_DIR, name, &want_len);
        const uint8_t *got;
        fcg_textfmt_error err;
        if (fcg_textfmt_encode(&arena, schema, samples[i].type, text, text_len, &got, &got_len,
                               &err) != 0)
            fail_msg("%s refused at %u:%u: %s", samples[i].name, err.line, err.column, err.what);
        if (got_len != want_len || memcmp(got, want, want_len) != 0)
            fail_msg("%s: %zu bytes differ from protoc's %zu", samples[i].name, got_len, want_len);
        free(text);
        free(want);
    }
}

/* ---- values, through protobuf-c ------------------------------------------ */

static void test_scalars(void **state)
{
    (void)state;
    size_t len;
    char *text = (char *)read_file(TEXTFMT_SAMPLES_DIR, "scalars.txt", &len);
    text[len] = '\0';
    Textfmt__Test__All *m = decode_all(text);
    free(text);
    assert_string_equal(m->first_declared, "last on the wire");
    assert_string_equal(m->s, "single 'quoted' and \"double\" joined");
    assert_int_equal(m->i32, INT32_MIN);
    assert_true(m->i64 == INT64_MAX);
    assert_int_equal(m->u32, UINT32_MAX);
    assert_true(m->u64 == UINT64_MAX);
    assert_int_equal(m->s32, -1);
    assert_true(m->s64 == INT64_MIN);
    assert_int_equal(m->f32, 15); /* 017 is octal */
    assert_int_equal(m->f64, 1);
    assert_int_equal(m->sf32, -5);
    assert_true(m->sf64 == -16);
    assert_true(m->fl == 1.5f);
    assert_true(m->db == -2.5e-3);
    assert_true(m->b);
    static const uint8_t by[] = {0x00, 0x01, 0xff, 0xc3, 0xa9, '\t', '\a', '?'};
    assert_int_equal(m->by.len, sizeof by);
    assert_memory_equal(m->by.data, by, sizeof by);
    assert_int_equal(m->color, TEXTFMT__TEST__COLOR__BELOW);
    assert_non_null(m->inner);
    assert_string_equal(m->inner->name, "in");
    assert_int_equal(m->inner->n, 3);
    assert_non_null(m->inner->child);
    assert_int_equal(m->inner->child->n, 4);
    textfmt__test__all__free_unpacked(m, NULL);
}

static void test_repeated_maps_oneof(void **state)
{
    (void)state;
    Textfmt__Test__All *m = decode_all("ri32: [1, -1, 300] ri32: 5\n"
                                       "rs: ['a', \"b\"] rs: \"c\"\n"
                                       "rcolor: [RED, 2, BELOW, 7]\n"
                                       "rinner [{name: \"x\"}, <n: 1>] rinner: {kids {n: 2}}\n"
                                       "unpacked: [4, 5] rb: [] rdb: [0.5, -inf]\n"
                                       "counts {key: \"a\" value: 1} counts: {key: \"b\"}\n"
                                       "by_id {key: 7 value {name: \"seven\"}}\n"
                                       "thing {name: \"t\"}");
    assert_int_equal(m->n_ri32, 4);
    assert_int_equal(m->ri32[0], 1);
    assert_int_equal(m->ri32[1], -1);
    assert_int_equal(m->ri32[2], 300);
    assert_int_equal(m->ri32[3], 5);
    assert_int_equal(m->n_rs, 3);
    assert_string_equal(m->rs[2], "c");
    assert_int_equal(m->n_rcolor, 4);
    assert_int_equal(m->rcolor[2], TEXTFMT__TEST__COLOR__BELOW);
    assert_int_equal(m->rcolor[3], 7); /* proto3 enums are open */
    assert_int_equal(m->n_rinner, 3);
    assert_string_equal(m->rinner[0]->name, "x");
    assert_int_equal(m->rinner[1]->n, 1);
    assert_int_equal(m->rinner[2]->n_kids, 1);
    assert_int_equal(m->rinner[2]->kids[0]->n, 2);
    assert_int_equal(m->n_unpacked, 2);
    assert_int_equal(m->n_rb, 0);
    assert_int_equal(m->n_rdb, 2);
    assert_true(m->rdb[1] < -1e308);
    assert_int_equal(m->n_counts, 2);
    assert_string_equal(m->counts[0]->key, "a");
    assert_int_equal(m->counts[0]->value, 1);
    assert_string_equal(m->counts[1]->key, "b");
    assert_int_equal(m->n_by_id, 1);
    assert_int_equal(m->by_id[0]->key, 7);
    assert_string_equal(m->by_id[0]->value->name, "seven");
    assert_int_equal(m->choice_case, TEXTFMT__TEST__ALL__CHOICE_THING);
    assert_string_equal(m->thing->name, "t");
    textfmt__test__all__free_unpacked(m, NULL);

    /* A oneof member at its default is still the member set. */
    m = decode_all("number: 0");
    assert_int_equal(m->choice_case, TEXTFMT__TEST__ALL__CHOICE_NUMBER);
    textfmt__test__all__free_unpacked(m, NULL);
}

static void test_proto2(void **state)
{
    (void)state;
    Textfmt__Legacy__Legacy *m = decode(&textfmt__legacy__legacy__descriptor,
                                        "id: 'L' count: 0 level: 2 packed: [3] plain: 4\n"
                                        "part {n: 1} parts {n: 2 note: ''} flag: false");
    assert_string_equal(m->id, "L");
    assert_true(m->has_count); /* written although 0 */
    assert_int_equal(m->count, 0);
    assert_int_equal(m->level, TEXTFMT__LEGACY__LEVEL__HIGH);
    assert_int_equal(m->n_packed, 1);
    assert_int_equal(m->n_plain, 1);
    assert_int_equal(m->part->n, 1);
    assert_int_equal(m->n_parts, 1);
    assert_non_null(m->parts[0]->note);
    assert_true(m->has_flag);
    textfmt__legacy__legacy__free_unpacked(m, NULL);

    /* Left out, an optional field keeps its IDL default. */
    m = decode(&textfmt__legacy__legacy__descriptor, "id: ''");
    assert_false(m->has_count);
    assert_int_equal(m->count, 7);
    textfmt__legacy__legacy__free_unpacked(m, NULL);
}

static void test_spellings(void **state)
{
    (void)state;
    Textfmt__Test__All *m = decode_all("fl: .5 db: 1e3 i32: 0x7fffffff u64: 0777 s32: -0x10;"
                                       "b: 1, rb: [t, f, True, False, 0]"
                                       "s: '\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\'\\\"' 'x'\n"
                                       "rs: ['\\101\\x42\\u00e9\\U0001F600\\ud83d\\ude00']"
                                       "rdb: [nan, Infinity, -INF, 2f, 7]");
    assert_true(m->fl == 0.5f);
    assert_true(m->db == 1000.0);
    assert_int_equal(m->i32, INT32_MAX);
    assert_true(m->u64 == 0777);
    assert_int_equal(m->s32, -16);
    assert_true(m->b);
    assert_int_equal(m->n_rb, 5);
    assert_true(m->rb[0] && !m->rb[1] && m->rb[2] && !m->rb[3] && !m->rb[4]);
    assert_string_equal(m->s, "\a\b\f\n\r\t\v\\?'\"x");
    assert_string_equal(m->rs[0], "AB\xc3\xa9\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
    assert_int_equal(m->n_rdb, 5);
    assert_true(m->rdb[0] != m->rdb[0]); /* nan */
    assert_true(m->rdb[1] > 1e308 && m->rdb[2] < -1e308);
    assert_true(m->rdb[3] == 2.0 && m->rdb[4] == 7.0);
    textfmt__test__all__free_unpacked(m, NULL);
}

static void test_empty(void **state)
{
    (void)state;
    size_t len = 99;
    encode(".textfmt.test.All", "", &len);
    assert_int_equal(len, 0);
    encode(".textfmt.test.All", "  # nothing but a comment\n\n", &len);
    assert_int_equal(len, 0);
    encode(".textfmt.test.All", "i32: 0 s: '' color: COLOR_UNSPECIFIED", &len);
    assert_int_equal(len, 0); /* proto3 defaults are not written */
}

/* ---- refusals ------------------------------------------------------------ */

static void test_refused_names_and_structure(void **state)
{
    (void)state;
    refused("inner { nme: 'x' }", 1, 9, "inner: textfmt.test.Inner has no field named \"nme\"");
    refused("rinner {} rinner { n: 1 nme: 2 }", 1, 25,
            "rinner[1]: textfmt.test.Inner has no field named \"nme\"");
    refused("i32 5", 1, 5, "i32: expected ':' after the field name, got \"5\"");
    refused(": 5", 1, 1, "expected a field name, got \":\"");
    refused("i32: 1 i32: 2", 1, 8, "i32: the field is given twice, but it is not repeated");
    refused("inner {} inner {}", 1, 10, "inner: the field is given twice, but it is not repeated");
    refused("word: 'a' number: 1", 1, 11,
            "number: word is already given, and only one field of oneof choice may be set");
    refused("i32: [1]", 1, 6, "i32: a list [...] needs a repeated field; this one is not");
    refused("ri32: [1 2]", 1, 10, "ri32: expected ',' or ']' in the list, got \"2\"");
    refused("ri32: [1,]", 1, 10, "ri32: expected a value after ',' in the list");
    refused("inner { n: 1", 1, 13,
            "inner: '}' is missing: the message opened at 1:7 is not closed");
    refused("inner < n: 1 }", 1, 14, "inner: expected a field name, got \"}\"");
    refused("inner: 5", 1, 8,
            "inner: expected '{' or '<' to start a textfmt.test.Inner, got \"5\"");
    refused("[textfmt.ext] {}", 1, 1, "extensions and Any expansions ([...]) are not supported");
    refused("i32: 1 }", 1, 8, "expected a field name, got \"}\"");
    refused("i32: 1 @", 1, 8, "unexpected character '@'");
    refused("u32: 4294967296 @", 1, 6, "u32: 4294967296 is out of range for uint32");
    refused("inner { n: -@ }", 1, 13, "inner.n: unexpected character '@'");
    refused("ri32: [1, @]", 1, 11, "ri32[1]: unexpected character '@'");
    refused("s: 'a' \x01", 1, 8, "unexpected byte 0x01 outside a string");
    /* Positions count lines and columns within the text. */
    refused("i32: 1\n  inner {\n    n: x\n  }", 3, 8,
            "inner.n: expected an integer (int32), got \"x\"");

    char deep[1024] = "";
    for (int i = 0; i < FCG_TEXTFMT_MAX_DEPTH; i++)
        strcat(deep, "child{");
    char text[1100];
    snprintf(text, sizeof text, "inner{%s", deep);
    const uint8_t *out;
    size_t len;
    fcg_textfmt_error err;
    assert_int_equal(fcg_textfmt_encode(&arena, schema, ".textfmt.test.All", text, strlen(text),
                                        &out, &len, &err),
                     -1);
    assert_non_null(strstr(err.what, "messages nest deeper than 64 levels"));
}

static void test_refused_values(void **state)
{
    (void)state;
    refused("i32: 'x'", 1, 6, "i32: expected an integer (int32), got the string 'x'");
    refused("i32: 1.5", 1, 6, "i32: expected an integer (int32), got \"1.5\"");
    refused("u32: 4294967296", 1, 6, "u32: 4294967296 is out of range for uint32");
    refused("u32: -1", 1, 6, "u32: -1 is out of range for uint32");
    refused("i32: -2147483649", 1, 6, "i32: -2147483649 is out of range for int32");
    refused("i64: 9223372036854775808", 1, 6, "i64: 9223372036854775808 is out of range for int64");
    refused("u64: 18446744073709551616", 1, 6,
            "u64: 18446744073709551616 is out of range for uint64");
    refused("sf32: 0x80000000", 1, 7, "sf32: 2147483648 is out of range for sfixed32");
    refused("f32: 09", 1, 6, "f32: invalid octal number 09");
    refused("i32: 12ab", 1, 6, "i32: invalid number \"12a\"");
    refused("i32: 0x", 1, 6, "i32: \"0x\" must be followed by hex digits");
    refused("fl: 1e39", 1, 5, "fl: 1e39 is out of range for float");
    refused("db: -1e400", 1, 5, "db: -1e400 is out of range for double");
    refused("db: 1e", 1, 5, "db: the exponent of a number needs digits");
    refused("db: 'x'", 1, 5, "db: expected a number (double), got the string 'x'");
    refused("b: yes", 1, 4, "b: expected true or false (bool), got \"yes\"");
    refused("b: 2", 1, 4, "b: expected true or false (bool), got \"2\"");
    refused("color: PURPLE", 1, 8, "color: textfmt.test.Color has no value named \"PURPLE\"");
    refused("color: 'RED'", 1, 8,
            "color: expected a value of enum textfmt.test.Color, got the "
            "string 'RED'");
    refused("color: 2147483648", 1, 8, "color: 2147483648 is out of range for an enum");
    refused("rcolor: [RED, BLUE]", 1, 15,
            "rcolor[1]: textfmt.test.Color has no value named \"BLUE\"");
    expect_refused(".textfmt.legacy.Legacy", "id: '' level: 3", 15, 1, 15,
                   "level: textfmt.legacy.Level has no value numbered 3 (it is a proto2 enum: only "
                   "its own values are allowed)");
    refused("s: 5", 1, 4, "s: expected a string (string), got \"5\"");
    refused("by: RED", 1, 5, "by: expected a string (bytes), got \"RED\"");
}

static void test_refused_strings(void **state)
{
    (void)state;
    refused("s: \"abc", 1, 4, "s: unterminated string: the closing \" is missing");
    refused("s: 'abc\n'", 1, 4,
            "s: unterminated string: the closing ' is missing (a string cannot span lines)");
    refused("s: 'a\\q'", 1, 6, "s: unknown escape \\q");
    refused("s: 'a\\", 1, 6, "s: a string ends in a lone backslash");
    refused("s: '\\x'", 1, 5, "s: \\x needs hex digits");
    refused("s: '\\400'", 1, 5, "s: octal escape \\400 is above \\377");
    refused("s: '\\u12'", 1, 5, "s: \\u needs 4 hex digits");
    refused("s: '\\ud800'", 1, 5, "s: \\u escape \\ud800 is not a Unicode code point");
    refused("s: '\\U00110000'", 1, 5, "s: \\U escape \\U00110000 is not a Unicode code point");
    refused("s: 'ok' '\\xff'", 1, 4,
            "s: the string is not valid UTF-8 (byte 2); use a bytes field for binary data");
    refused("s: 'a\\0b'", 1, 4,
            "s: the string holds a NUL byte (byte 1), which a C string cannot carry");
    refused("rs: ['\\xc0\\x80']", 1, 6,
            "rs[0]: the string is not valid UTF-8 (byte 0); use a bytes field for binary data");
    /* A NUL byte in the text itself, outside a string. */
    expect_refused(".textfmt.test.All", "i32: 1\0", 7, 1, 7,
                   "unexpected byte 0x00 outside a string");
    /* Any bytes are fine in a bytes field. */
    Textfmt__Test__All *m = decode_all("by: '\\xc0\\x80\\0'");
    assert_int_equal(m->by.len, 3);
    textfmt__test__all__free_unpacked(m, NULL);
}

static void test_refused_proto2_required(void **state)
{
    (void)state;
    expect_refused(".textfmt.legacy.Legacy", "count: 1", 8, 1, 9,
                   "required field id of textfmt.legacy.Legacy is missing");
    expect_refused(".textfmt.legacy.Legacy", "id: '' part { note: '' }", 24, 1, 24,
                   "part: required field n of textfmt.legacy.Legacy.Part is missing");
}

/* What the schema cannot describe: types missing from the request, groups. */
static void test_refused_schema(void **state)
{
    (void)state;
    const uint8_t *out;
    size_t len;
    fcg_textfmt_error err;
    assert_int_equal(fcg_textfmt_encode(&arena, schema, ".no.Such", "", 0, &out, &len, &err), -1);
    assert_int_equal(err.line, 0);
    assert_string_equal(err.what, ".no.Such is not a message type of the request");
    assert_int_equal(
        fcg_textfmt_encode(&arena, schema, ".textfmt.test.Color", "", 0, &out, &len, &err), -1);

    /* protoc-c cannot compile groups, so one is made by editing a field. */
    Google__Protobuf__FieldDescriptorProto *inner = NULL;
    for (size_t i = 0; i < set->n_file; i++)
        for (size_t j = 0; j < set->file[i]->n_message_type; j++)
            if (strcmp(set->file[i]->message_type[j]->name, "All") == 0)
                for (size_t k = 0; k < set->file[i]->message_type[j]->n_field; k++)
                    if (strcmp(set->file[i]->message_type[j]->field[k]->name, "inner") == 0)
                        inner = set->file[i]->message_type[j]->field[k];
    assert_non_null(inner);
    inner->type = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_GROUP;
    refused("Inner { n: 1 }", 1, 1, "Inner: group fields are not supported");
    inner->type = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE;
    char *type_name = inner->type_name;
    static char gone[] = ".textfmt.test.Gone";
    inner->type_name = gone;
    refused("inner { n: 1 }", 1, 7,
            "inner: its message type .textfmt.test.Gone is not in the "
            "request");
    inner->type_name = type_name;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_match_protoc),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_repeated_maps_oneof),
        cmocka_unit_test(test_proto2),
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_refused_names_and_structure),
        cmocka_unit_test(test_refused_values),
        cmocka_unit_test(test_refused_strings),
        cmocka_unit_test(test_refused_proto2_required),
        cmocka_unit_test(test_refused_schema),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
