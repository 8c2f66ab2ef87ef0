/* test_pbfield.c - single values as the shadow comparison and the mock's
 * request matching read them (pbfield.h), for every protobuf type: each
 * type's size in a message, comparison in the type's own order (unsigned
 * as unsigned, NaN equal to NaN and above every number, a NULL string as
 * ""), and text that tells any two different values apart when asked to. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/pbfield.h"

/* Every type a field can have, with the size of its value in a message. */
static const struct {
    ProtobufCType t;
    size_t size;
} types[] = {
    {PROTOBUF_C_TYPE_INT32, 4},
    {PROTOBUF_C_TYPE_SINT32, 4},
    {PROTOBUF_C_TYPE_SFIXED32, 4},
    {PROTOBUF_C_TYPE_ENUM, 4},
    {PROTOBUF_C_TYPE_UINT32, 4},
    {PROTOBUF_C_TYPE_FIXED32, 4},
    {PROTOBUF_C_TYPE_INT64, 8},
    {PROTOBUF_C_TYPE_SINT64, 8},
    {PROTOBUF_C_TYPE_SFIXED64, 8},
    {PROTOBUF_C_TYPE_UINT64, 8},
    {PROTOBUF_C_TYPE_FIXED64, 8},
    {PROTOBUF_C_TYPE_FLOAT, sizeof(float)},
    {PROTOBUF_C_TYPE_DOUBLE, sizeof(double)},
    {PROTOBUF_C_TYPE_BOOL, sizeof(protobuf_c_boolean)},
    {PROTOBUF_C_TYPE_STRING, sizeof(char *)},
    {PROTOBUF_C_TYPE_BYTES, sizeof(ProtobufCBinaryData)},
    {PROTOBUF_C_TYPE_MESSAGE, sizeof(ProtobufCMessage *)},
};

/* A repeated field's entries are found at multiples of its type's size,
 * so each type's size is the size protobuf-c's arrays use. */
static void test_value_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(ferryi_pb_value_size(types[i].t), types[i].size);
}

/* Unsigned 64-bit values compare as unsigned: 2^63 is above 1, and the
 * largest value above every other; signed ones as signed. */
static void test_integers_compare_in_their_own_order(void **state)
{
    (void)state;
    uint64_t big = UINT64_C(1) << 63, one = 1, max = UINT64_MAX;
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_UINT64, &big, &one) > 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_FIXED64, &one, &max) < 0);
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_UINT64, &max, &max), 0);
    int64_t neg = -1, pos = 1;
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_SINT64, &neg, &pos) < 0);
    uint32_t u_big = UINT32_MAX, u_one = 1;
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_FIXED32, &u_big, &u_one) > 0);
    int32_t s_neg = -5, s_pos = 5;
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_SFIXED32, &s_neg, &s_pos) < 0);
    protobuf_c_boolean t = 1, f = 0, t2 = 7;
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_BOOL, &t, &f) > 0);
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_BOOL, &t, &t2), 0); /* any nonzero */
}

/* Floats and doubles: NaN equals NaN and sorts above every number, even
 * infinity; other values in numeric order. */
static void test_floats_order_nan_last(void **state)
{
    (void)state;
    float fn = NAN, fi = INFINITY, f1 = 1.5f, f2 = 2.5f;
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_FLOAT, &fn, &fn), 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_FLOAT, &fn, &fi) > 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_FLOAT, &f1, &fn) < 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_FLOAT, &f1, &f2) < 0);
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_FLOAT, &f2, &f2), 0);
    double dn = NAN, di = -INFINITY, d1 = 0.1;
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_DOUBLE, &dn, &dn), 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_DOUBLE, &dn, &d1) > 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_DOUBLE, &di, &dn) < 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_DOUBLE, &d1, &di) > 0);
}

/* A NULL string equals the empty one; bytes compare byte by byte, and a
 * prefix sorts first; message values are not compared here. */
static void test_strings_bytes_and_messages(void **state)
{
    (void)state;
    const char *null = NULL, *empty = "", *a = "a", *b = "b";
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_STRING, &null, &empty), 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_STRING, &a, &b) < 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_STRING, &a, &null) > 0);
    uint8_t x[] = {1, 2, 3}, y[] = {1, 2, 4};
    ProtobufCBinaryData bx = {3, x}, by = {3, y}, prefix = {2, x}, none = {0, NULL};
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_BYTES, &bx, &by) < 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_BYTES, &prefix, &bx) < 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_BYTES, &bx, &prefix) > 0);
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_BYTES, &none, &none), 0);
    assert_true(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_BYTES, &none, &bx) < 0);
    int m1, m2;
    void *p1 = &m1, *p2 = &m2;
    assert_int_equal(ferryi_pb_value_cmp(PROTOBUF_C_TYPE_MESSAGE, &p1, &p2), 0);
}

static const char *str(ProtobufCType t, const void *v, bool exact)
{
    static char buf[64];
    ProtobufCFieldDescriptor f = {.name = "f", .id = 1, .type = t};
    memset(buf, 0, sizeof buf);
    assert_true(ferryi_pb_scalar_str(&f, v, exact, buf, sizeof buf));
    return buf;
}

/* Numbers are written in full, unsigned ones as unsigned; floats exactly
 * enough to tell two values apart when `exact` is asked for, and in six
 * digits otherwise. */
static void test_numbers_as_text(void **state)
{
    (void)state;
    uint64_t u64 = UINT64_MAX;
    assert_string_equal(str(PROTOBUF_C_TYPE_UINT64, &u64, false), "18446744073709551615");
    assert_string_equal(str(PROTOBUF_C_TYPE_FIXED64, &u64, true), "18446744073709551615");
    int64_t i64 = INT64_MIN;
    assert_string_equal(str(PROTOBUF_C_TYPE_SFIXED64, &i64, false), "-9223372036854775808");
    uint32_t u32 = UINT32_MAX;
    assert_string_equal(str(PROTOBUF_C_TYPE_FIXED32, &u32, false), "4294967295");
    int32_t i32 = INT32_MIN;
    assert_string_equal(str(PROTOBUF_C_TYPE_SINT32, &i32, false), "-2147483648");
    protobuf_c_boolean yes = 1;
    assert_string_equal(str(PROTOBUF_C_TYPE_BOOL, &yes, false), "true");

    float f1 = 0.1f, f2 = nextafterf(0.1f, 1.0f);
    char a[64], b[64];
    snprintf(a, sizeof a, "%s", str(PROTOBUF_C_TYPE_FLOAT, &f1, true));
    snprintf(b, sizeof b, "%s", str(PROTOBUF_C_TYPE_FLOAT, &f2, true));
    assert_string_not_equal(a, b);
    snprintf(a, sizeof a, "%s", str(PROTOBUF_C_TYPE_FLOAT, &f1, false));
    snprintf(b, sizeof b, "%s", str(PROTOBUF_C_TYPE_FLOAT, &f2, false));
    assert_string_equal(a, b); /* six digits cannot tell them apart */
    assert_string_equal(a, "0.1");

    double d1 = 0.1, d2 = nextafter(0.1, 1.0);
    snprintf(a, sizeof a, "%s", str(PROTOBUF_C_TYPE_DOUBLE, &d1, true));
    snprintf(b, sizeof b, "%s", str(PROTOBUF_C_TYPE_DOUBLE, &d2, true));
    assert_string_not_equal(a, b);
    assert_string_equal(str(PROTOBUF_C_TYPE_DOUBLE, &d1, false), "0.1");
}

/* An enum value without a descriptor, or one its enum lacks, is written as
 * its number; strings, bytes and messages are not written here at all. */
static void test_enums_and_non_scalars(void **state)
{
    (void)state;
    int32_t e = 3;
    assert_string_equal(str(PROTOBUF_C_TYPE_ENUM, &e, false), "3");
    char buf[16] = "unchanged";
    const char *s = "text";
    ProtobufCFieldDescriptor f = {.name = "f", .id = 1, .type = PROTOBUF_C_TYPE_STRING};
    assert_false(ferryi_pb_scalar_str(&f, &s, false, buf, sizeof buf));
    f.type = PROTOBUF_C_TYPE_BYTES;
    ProtobufCBinaryData bd = {0, NULL};
    assert_false(ferryi_pb_scalar_str(&f, &bd, false, buf, sizeof buf));
    f.type = PROTOBUF_C_TYPE_MESSAGE;
    void *p = NULL;
    assert_false(ferryi_pb_scalar_str(&f, &p, false, buf, sizeof buf));
    assert_string_equal(buf, "unchanged");
}

/* Strings, bytes and messages as a walk shows them: what ferryi_pb_value_str()
 * hands the walk's `bytes` (a NULL string as NULL), and its words for a
 * message; numbers as ferryi_pb_scalar_str() writes them. */
static void show_bytes(const uint8_t *s, size_t len, bool is_string, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%zu:%s", is_string ? "string" : "bytes", len,
             s != NULL ? (const char *)s : "NULL");
}

static void test_values_as_a_walk_shows_them(void **state)
{
    (void)state;
    const ferryi_pb_text how = {
        .exact = true, .bytes = show_bytes, .message_set = "set", .message_unset = "unset"};
    char buf[32];
    ProtobufCFieldDescriptor f = {.name = "f", .id = 1, .type = PROTOBUF_C_TYPE_STRING};
    const char *s = "text";
    ferryi_pb_value_str(&f, &s, &how, buf, sizeof buf);
    assert_string_equal(buf, "string:4:text");
    s = NULL;
    ferryi_pb_value_str(&f, &s, &how, buf, sizeof buf);
    assert_string_equal(buf, "string:0:NULL");
    f.type = PROTOBUF_C_TYPE_BYTES;
    ProtobufCBinaryData bd = {2, (uint8_t *)"ab"};
    ferryi_pb_value_str(&f, &bd, &how, buf, sizeof buf);
    assert_string_equal(buf, "bytes:2:ab");
    f.type = PROTOBUF_C_TYPE_MESSAGE;
    ProtobufCMessage m = {0};
    ProtobufCMessage *p = &m;
    ferryi_pb_value_str(&f, &p, &how, buf, sizeof buf);
    assert_string_equal(buf, "set");
    p = NULL;
    ferryi_pb_value_str(&f, &p, &how, buf, sizeof buf);
    assert_string_equal(buf, "unset");
    f.type = PROTOBUF_C_TYPE_FLOAT;
    float x = 0.1f;
    ferryi_pb_value_str(&f, &x, &how, buf, sizeof buf);
    assert_string_equal(buf, "0.100000001");
}

/* A message laid out as protobuf-c lays one out, for presence. */
typedef struct holder {
    ProtobufCMessage base;
    protobuf_c_boolean has_n;
    int32_t n;
    char *s;
    ProtobufCMessage *sub;
    uint32_t pick_case;
    int32_t picked;
} holder;

/* Presence: an optional number by its has_ flag, a string or message by
 * its pointer, a oneof member when it is its oneof's case; a plain proto3
 * field has none, an optional one and a oneof member do. */
static void test_presence(void **state)
{
    (void)state;
    const ProtobufCFieldDescriptor n = {.name = "n",
                                        .id = 1,
                                        .label = PROTOBUF_C_LABEL_OPTIONAL,
                                        .type = PROTOBUF_C_TYPE_INT32,
                                        .quantifier_offset = offsetof(holder, has_n),
                                        .offset = offsetof(holder, n)};
    const ProtobufCFieldDescriptor s = {.name = "s",
                                        .id = 2,
                                        .label = PROTOBUF_C_LABEL_OPTIONAL,
                                        .type = PROTOBUF_C_TYPE_STRING,
                                        .offset = offsetof(holder, s)};
    const ProtobufCFieldDescriptor sub = {.name = "sub",
                                          .id = 3,
                                          .label = PROTOBUF_C_LABEL_NONE,
                                          .type = PROTOBUF_C_TYPE_MESSAGE,
                                          .offset = offsetof(holder, sub)};
    const ProtobufCFieldDescriptor picked = {.name = "picked",
                                             .id = 5,
                                             .label = PROTOBUF_C_LABEL_NONE,
                                             .type = PROTOBUF_C_TYPE_INT32,
                                             .quantifier_offset = offsetof(holder, pick_case),
                                             .offset = offsetof(holder, picked),
                                             .flags = PROTOBUF_C_FIELD_FLAG_ONEOF};
    holder h = {0};
    const ProtobufCMessage *m = &h.base;
    assert_true(ferryi_pb_has_presence(&n));
    assert_true(ferryi_pb_has_presence(&picked));
    assert_false(ferryi_pb_has_presence(&sub));
    assert_false(ferryi_pb_present(m, &n));
    assert_false(ferryi_pb_present(m, &s));
    assert_false(ferryi_pb_present(m, &sub));
    assert_false(ferryi_pb_present(m, &picked));
    h.has_n = 1;
    h.s = "";
    h.sub = &h.base;
    h.pick_case = 4; /* another member of the oneof */
    assert_true(ferryi_pb_present(m, &n));
    assert_true(ferryi_pb_present(m, &s)); /* "" is there, not absent */
    assert_true(ferryi_pb_present(m, &sub));
    assert_false(ferryi_pb_present(m, &picked));
    h.pick_case = 5;
    assert_true(ferryi_pb_present(m, &picked));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_sizes),
        cmocka_unit_test(test_integers_compare_in_their_own_order),
        cmocka_unit_test(test_floats_order_nan_last),
        cmocka_unit_test(test_strings_bytes_and_messages),
        cmocka_unit_test(test_numbers_as_text),
        cmocka_unit_test(test_enums_and_non_scalars),
        cmocka_unit_test(test_values_as_a_walk_shows_them),
        cmocka_unit_test(test_presence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
