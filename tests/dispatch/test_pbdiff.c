/* test_pbdiff.c - the field-by-field comparison behind shadow mismatches,
 * on messages built in memory: each kind of field, how values are written,
 * and the cap on how much one diff describes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch/dispatch.h"
#include "examples/inventory/v2/inventory.pb-c.h"
#include "twin.h"

typedef Ferrytest__Dispatch__V1__Record Record;

static char out[1024];

static size_t diff(const Record *a, const Record *b)
{
    return ferryi_pbdiff(&a->base, &b->base, "a", "b", out, sizeof out);
}

static void test_identical_and_empty(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    assert_int_equal(diff(&a, &b), 0);
    assert_string_equal(out, "");
    a.ratio = b.ratio = NAN; /* NaN is NaN on both sides */
    assert_int_equal(diff(&a, &b), 0);
}

static void test_scalars(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    a.ratio = 0.25;
    b.ratio = 0.5;
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "ratio: a 0.25, b 0.5");
    b.ratio = 0.25;
    a.shade = FERRYTEST__DISPATCH__V1__SHADE__SHADE_DARK;
    b.shade = (Ferrytest__Dispatch__V1__Shade)9; /* a value the enum lacks */
    a.active = 1;
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "active: a true, b false; shade: a SHADE_DARK, b 9");
}

static void test_strings_and_bytes(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    a.id = "say \"hi\"\n";
    uint8_t x[] = {0, 1, 0xff}, y[] = {0};
    a.blob = (ProtobufCBinaryData){.len = sizeof x, .data = x};
    b.blob = (ProtobufCBinaryData){.len = sizeof y, .data = y};
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out,
                        "id: a \"say \\\"hi\\\"\\x0a\", b \"\"; blob: a \"\\x00\\x01\\xff\", b "
                        "\"\\x00\"");
}

static void test_nested_and_presence(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    Ferrytest__Dispatch__V1__Part pa = FERRYTEST__DISPATCH__V1__PART__INIT;
    Ferrytest__Dispatch__V1__Part pb = FERRYTEST__DISPATCH__V1__PART__INIT;
    a.main = &pa;
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "main: a (set), b (not set)");
    b.main = &pb;
    pb.name = "x";
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "main.name: a \"\", b \"x\"");
}

/* Proto2-style presence and a deep path, on inventory's own types. */
static void test_inventory_item(void **state)
{
    (void)state;
    Inventory__V2__Money ma = INVENTORY__V2__MONEY__INIT, mb = INVENTORY__V2__MONEY__INIT;
    Inventory__V2__Price pa = INVENTORY__V2__PRICE__INIT, pb = INVENTORY__V2__PRICE__INIT;
    Inventory__V2__Item a = INVENTORY__V2__ITEM__INIT, b = INVENTORY__V2__ITEM__INIT;
    ma.minor_units = 1299;
    mb.minor_units = 1300;
    ma.currency = mb.currency = "EUR";
    pa.amount = &ma;
    pb.amount = &mb;
    a.price = &pa;
    b.price = &pb;
    assert_int_equal(ferryi_pbdiff(&a.base, &b.base, "local", "remote", out, sizeof out), 1);
    assert_string_equal(out, "price.amount.minor_units: local 1299, remote 1300");
}

/* At most four differences are described; the rest are counted. */
static void test_many_differences(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    char *ta[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    char *tb[10] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    a.tags = ta;
    b.tags = tb;
    a.n_tags = b.n_tags = 10;
    assert_int_equal(diff(&a, &b), 10);
    assert_non_null(strstr(out, "tags[0]: a \"0\", b \"a\"; "));
    assert_non_null(strstr(out, "tags[3]: a \"3\", b \"d\"; and 6 more"));
    assert_null(strstr(out, "tags[4]"));
    /* A small buffer is cut, still terminated. */
    char small[16];
    assert_int_equal(ferryi_pbdiff(&a.base, &b.base, "a", "b", small, sizeof small), 10);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_unknown_fields_both_sides(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    uint8_t one = 1, two = 2;
    ProtobufCMessageUnknownField ua = {
        .tag = 50, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 1, .data = &one};
    ProtobufCMessageUnknownField ub = {
        .tag = 50, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 1, .data = &two};
    a.base.n_unknown_fields = b.base.n_unknown_fields = 1;
    a.base.unknown_fields = &ua;
    b.base.unknown_fields = &ua;
    assert_int_equal(diff(&a, &b), 0);
    b.base.unknown_fields = &ub;
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "(unknown field 50): a 1 byte, b (absent or different); (unknown "
                             "field 50): a (absent or different), b 1 byte");
}

/* Unknown fields as a decoder keeps them: the entries of `m`, in wire order,
 * each a varint of one byte (field number, value). */
typedef struct unknowns {
    ProtobufCMessageUnknownField f[4];
    uint8_t v[4];
} unknowns;

static void set_unknowns(Record *m, unknowns *u, size_t n, const unsigned (*entries)[2])
{
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        u->v[i] = (uint8_t)entries[i][1];
        u->f[i] = (ProtobufCMessageUnknownField){.tag = entries[i][0],
                                                 .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT,
                                                 .len = 1,
                                                 .data = &u->v[i]};
    }
    m->base.n_unknown_fields = n;
    m->base.unknown_fields = n > 0 ? u->f : NULL;
}

/* An unknown field only one side sends (a newer build's field) is a mismatch. */
static void test_unknown_field_on_one_side(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    unknowns ua;
    set_unknowns(&a, &ua, 1, (const unsigned[][2]){{50, 1}});
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "(unknown field 50): a 1 byte, b (absent or different)");
}

/* An unknown field sent twice by one side and once by the other differs,
 * whichever side has the duplicate, and the diff names the extra entry. */
static void test_unknown_field_duplicated(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    unknowns ua, ub;
    set_unknowns(&a, &ua, 2, (const unsigned[][2]){{50, 1}, {50, 1}});
    set_unknowns(&b, &ub, 1, (const unsigned[][2]){{50, 1}});
    assert_int_equal(diff(&a, &b), 1);
    assert_string_equal(out, "(unknown field 50 #2): a 1 byte, b (absent or different)");
    assert_int_equal(diff(&b, &a), 1);
    assert_string_equal(out, "(unknown field 50 #2): a (absent or different), b 1 byte");
}

/* One number's entries counted: three against two differ even when every
 * value of either side appears on the other. */
static void test_unknown_field_counts_differ(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    unknowns ua, ub;
    set_unknowns(&a, &ua, 3, (const unsigned[][2]){{50, 1}, {50, 2}, {50, 2}});
    set_unknowns(&b, &ub, 3, (const unsigned[][2]){{50, 1}, {50, 1}, {50, 2}});
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "(unknown field 50 #3): a 1 byte, b (absent or different); "
                             "(unknown field 50 #2): a (absent or different), b 1 byte");
}

/* Unknown fields of different numbers in another order are the same message:
 * encoders may write fields in any order. */
static void test_unknown_fields_reordered_across_numbers(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    unknowns ua, ub;
    set_unknowns(&a, &ua, 3, (const unsigned[][2]){{50, 1}, {51, 2}, {52, 3}});
    set_unknowns(&b, &ub, 3, (const unsigned[][2]){{52, 3}, {50, 1}, {51, 2}});
    assert_int_equal(diff(&a, &b), 0);
    assert_string_equal(out, "");
}

/* The entries of one unknown number in another order differ: they are a
 * repeated field's elements, or a singular field whose last entry wins. */
static void test_unknown_entries_of_one_number_keep_their_order(void **state)
{
    (void)state;
    Record a = FERRYTEST__DISPATCH__V1__RECORD__INIT, b = FERRYTEST__DISPATCH__V1__RECORD__INIT;
    unknowns ua, ub;
    set_unknowns(&a, &ua, 2, (const unsigned[][2]){{50, 1}, {50, 2}});
    set_unknowns(&b, &ub, 2, (const unsigned[][2]){{50, 2}, {50, 1}});
    assert_int_equal(diff(&a, &b), 2);
    assert_string_equal(out, "(unknown field 50 #2): a 1 byte, b (absent or different); "
                             "(unknown field 50 #1): a (absent or different), b 1 byte");
    /* Interleaved with another number, their own order is what counts. */
    set_unknowns(&a, &ua, 3, (const unsigned[][2]){{50, 1}, {51, 9}, {50, 2}});
    set_unknowns(&b, &ub, 3, (const unsigned[][2]){{51, 9}, {50, 1}, {50, 2}});
    assert_int_equal(diff(&a, &b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_and_empty),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_strings_and_bytes),
        cmocka_unit_test(test_nested_and_presence),
        cmocka_unit_test(test_inventory_item),
        cmocka_unit_test(test_many_differences),
        cmocka_unit_test(test_unknown_fields_both_sides),
        cmocka_unit_test(test_unknown_field_on_one_side),
        cmocka_unit_test(test_unknown_field_duplicated),
        cmocka_unit_test(test_unknown_field_counts_differ),
        cmocka_unit_test(test_unknown_fields_reordered_across_numbers),
        cmocka_unit_test(test_unknown_entries_of_one_number_keep_their_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
