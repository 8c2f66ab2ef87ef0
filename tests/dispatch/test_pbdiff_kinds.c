/* test_pbdiff_kinds.c - the shadow comparison on each kind of field it
 * walks, beyond the scalars test_pbdiff.c covers: map entries on either
 * side only (scalar and message values), map values that differ inside,
 * repeated fields of different lengths, a message on either side only,
 * oneof members, long strings, and two messages of different types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch/dispatch.h"
#include "twin.h"

typedef Ferrytest__Dispatch__V1__Record Record;
typedef Ferrytest__Dispatch__V1__Part Part;
typedef Ferrytest__Dispatch__V1__Record__ScoresEntry Score;
typedef Ferrytest__Dispatch__V1__Record__SlotsEntry Slot;

static char out[1024];

static size_t diff(const Record *a, const Record *b)
{
    return ferryi_pbdiff(&a->base, &b->base, "a", "b", out, sizeof out);
}

static Score score(const char *key, int32_t value)
{
    Score s = FERRYTEST__DISPATCH__V1__RECORD__SCORES_ENTRY__INIT;
    s.key = (char *)key;
    s.value = value;
    return s;
}

/* A map key on one side only is a difference on either side, named by its
 * key; the other keys, in any order, are equal. */
static void test_map_key_on_one_side(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    Score sa[] = {score("x", 1), score("y", 2)}, sb[] = {score("y", 2), score("x", 1)};
    Score *pa[] = {&sa[0], &sa[1]}, *pb[] = {&sb[0], &sb[1]};
    a.scores = pa;
    a.n_scores = 2;
    b.scores = pb;
    b.n_scores = 2;
    assert_int_equal(diff(&a, &b), 0); /* order is not a difference */

    b.n_scores = 1; /* b: y only */
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "scores[\"x\"]: a 1, b (absent)");
    assert_int_equal(diff(&b, &a), 1);
    assert_string_equal(out, "scores[\"x\"]: a (absent), b 1");

    sb[1] = score("z", 3); /* b: y and z; a: x and y */
    b.n_scores = 2;
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "scores[\"x\"]: a 1, b (absent); scores[\"z\"]: a (absent), b 3");
}

/* A map whose values are messages: an entry on one side only shows as
 * set against absent, and entries under the same key are compared field
 * by field, down the path. */
static void test_map_of_messages(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    Part p1 = FERRYTEST__DISPATCH__V1__PART__INIT, p2 = FERRYTEST__DISPATCH__V1__PART__INIT;
    p1.name = "bolt";
    p2.name = "nut";
    Slot s1 = FERRYTEST__DISPATCH__V1__RECORD__SLOTS_ENTRY__INIT;
    Slot s2 = FERRYTEST__DISPATCH__V1__RECORD__SLOTS_ENTRY__INIT;
    s1.key = 2;
    s1.value = &p1;
    s2.key = 2;
    s2.value = &p2;
    Slot *pa[] = {&s1}, *pb[] = {&s2};
    a.slots = pa;
    a.n_slots = 1;
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "slots[2]: a (set), b (absent)");
    b.slots = pb;
    b.n_slots = 1;
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "slots[2].name: a \"bolt\", b \"nut\"");
}

/* Repeated fields: entries compared by position, and a length that differs
 * is one more difference, counted in words ("1 entry", "2 entries"). */
static void test_repeated_lengths(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    char *ta[] = {"red", "green"}, *tb[] = {"red"};
    a.tags = ta;
    a.n_tags = 2;
    b.tags = tb;
    b.n_tags = 1;
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "tags: a 2 entries, b 1 entry");
    tb[0] = "blue";
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "tags[0]: a \"red\", b \"blue\"; tags: a 2 entries, b 1 entry");
}

/* A message field set on one side only is a difference whichever side
 * has it. */
static void test_message_on_either_side(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    Part p = FERRYTEST__DISPATCH__V1__PART__INIT;
    b.main = &p;
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "main: a (not set), b (set)");
}

/* Oneof members: the same member with another value differs in that
 * member; another member is a difference even when both values are zero. */
static void test_oneof_members(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    a.pick_case = b.pick_case = FERRYTEST__DISPATCH__V1__RECORD__PICK_WORD;
    a.word = "left";
    b.word = "right";
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "word: a \"left\", b \"right\"");
    b.word = "left";
    assert_int_equal(diff(&a, &b), 0);

    a.pick_case = FERRYTEST__DISPATCH__V1__RECORD__PICK_NUMBER;
    a.number = 0;
    b.word = "";
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "word: a (not set), b \"\"; number: a 0, b (not set)");
}

/* A long string is shown cut short, marked with "...", and the report
 * stays within its buffer. */
static void test_long_strings_cut(void **state)
{
    (void)state;
    static char long_a[600], long_b[600];
    memset(long_a, 'a', sizeof long_a - 1);
    memset(long_b, 'a', sizeof long_b - 1);
    long_b[sizeof long_b - 2] = 'b';
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    a.id = long_a;
    b.id = long_b;
    assert_int_equal(diff(&a, &b), 1);
    assert_non_null(strstr(out, "...\""));
    assert_true(strlen(out) < sizeof out);
    assert_true(strncmp(out, "id: a \"aaaa", 11) == 0);
}

/* Two messages of different types are one difference naming both types,
 * not a walk of one type's fields over the other's bytes. */
static void test_different_types(void **state)
{
    (void)state;
    Record r = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    Part p = FERRYTEST__DISPATCH__V1__PART__INIT;
    assert_int_equal(ferryi_pbdiff(&r.base, &p.base, "a", "b", out, sizeof out), 1);
    assert_string_equal(out,
                        "(message): a ferrytest.dispatch.v1.Record, b ferrytest.dispatch.v1.Part");
}

/* An unknown field is its number, wire type and bytes: the same number and
 * the same four bytes sent as a varint on one side and as a fixed32 on the
 * other are different values, and the diff says so on both sides. */
static void test_unknown_field_wire_type_matters(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    uint8_t bytes[4] = {0x81, 0x80, 0x80, 0x01};
    ProtobufCMessageUnknownField ua = {
        .tag = 60, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 4, .data = bytes};
    ProtobufCMessageUnknownField ub = {
        .tag = 60, .wire_type = PROTOBUF_C_WIRE_TYPE_32BIT, .len = 4, .data = bytes};
    a.base.n_unknown_fields = b.base.n_unknown_fields = 1;
    a.base.unknown_fields = &ua;
    b.base.unknown_fields = &ua;
    assert_int_equal(diff(&a, &b), 0);
    b.base.unknown_fields = &ub;
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "(unknown field 60): a 4 bytes, b (absent or different); (unknown "
                             "field 60): a (absent or different), b 4 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_key_on_one_side),
        cmocka_unit_test(test_map_of_messages),
        cmocka_unit_test(test_repeated_lengths),
        cmocka_unit_test(test_message_on_either_side),
        cmocka_unit_test(test_oneof_members),
        cmocka_unit_test(test_long_strings_cut),
        cmocka_unit_test(test_different_types),
        cmocka_unit_test(test_unknown_field_wire_type_matters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
