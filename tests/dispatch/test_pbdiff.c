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

#include "dispatch.h"
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
