/* test_validate_rules.c - the generated validators, rule kind by rule kind:
 * a request that keeps every rule passes, and each test breaks one rule and
 * finds exactly its violation, with the field's path and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules/v1/legacy.ferry.h"
#include "rules/v1/rules.ferry.h"

static const ferry_method *check_method(void)
{
    return &rules_v1_rules_desc.methods[RULES_V1_RULES_CHECK];
}

/* A request that keeps every rule; tests change one field of it. */
typedef struct fixture {
    Rules__V1__Everything m;
    Rules__V1__Line line;
    char *tags[2];
    int32_t scores[2];
} fixture;

static Rules__V1__Everything *valid(fixture *f)
{
    rules__v1__everything__init(&f->m);
    rules__v1__line__init(&f->line);
    f->line.sku = "A1";
    f->line.qty = 3;
    Rules__V1__Everything *m = &f->m;
    m->name = "anna";
    m->id = "123e4567-e89b-12d3-a456-426614174000";
    m->email = "anna.b+x@example.org";
    m->host = "api.example.org";
    m->link = "https://example.org/a?b=c%20d";
    m->addr = "::1";
    m->addr4 = "192.0.2.1";
    m->addr6 = "2001:db8::1";
    m->size = "M";
    m->word = "user";
    static uint8_t blob[] = {1, 2};
    m->blob.data = blob;
    m->blob.len = sizeof blob;
    m->i32 = 4;
    m->i64 = -5;
    m->u32 = 1;
    m->u64 = 9;
    m->ratio = 0.5;
    m->temp = 20.0f;
    m->step = 2;
    m->nonzero = 7;
    m->colour = RULES__V1__COLOUR__COLOUR_BLUE;
    m->paint = RULES__V1__COLOUR__COLOUR_RED;
    m->line = &f->line;
    f->tags[0] = "a";
    f->tags[1] = "bc";
    m->tags = f->tags;
    m->n_tags = 2;
    f->scores[0] = 0;
    f->scores[1] = 5;
    m->scores = f->scores;
    m->n_scores = 2;
    m->agreed = 1;
    return m;
}

/* Validates `m` and expects exactly one violation: `path`, `reason`. */
static void expect_one(const Rules__V1__Everything *m, const char *path, const char *reason)
{
    ferry_violations out;
    assert_int_equal(ferry_validate(check_method(), &m->base, &out), FERRY_INVALID_ARGUMENT);
    if (out.total != 1) {
        char line[2048];
        ferry_violations_format(&out, line, sizeof line);
        fail_msg("expected one violation, got %zu: %s", out.total, line);
    }
    assert_int_equal(out.count, 1);
    assert_string_equal(out.v[0].path, path);
    assert_string_equal(out.v[0].reason, reason);
}

/* A request within every rule passes, and the list says so. */
static void test_valid_request_passes(void **state)
{
    (void)state;
    fixture f;
    ferry_violations out = {.count = 9, .total = 9};
    assert_int_equal(ferry_validate(check_method(), &valid(&f)->base, &out), FERRY_OK);
    assert_int_equal(out.count, 0);
    assert_int_equal(out.total, 0);
}

/* A method whose request type has no rules has no validator and passes. */
static void test_type_without_rules_passes(void **state)
{
    (void)state;
    const ferry_method *m = &rules_v1_rules_desc.methods[RULES_V1_RULES_FREE];
    assert_null(m->validate);
    Rules__V1__Plain p = RULES__V1__PLAIN__INIT;
    assert_int_equal(ferry_validate(m, &p.base, NULL), FERRY_OK);
}

/* required on a string: empty is refused. */
static void test_required_string(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->name = "";
    ferry_violations out;
    assert_int_equal(ferry_validate(check_method(), &m->base, &out), FERRY_INVALID_ARGUMENT);
    /* Empty also breaks min_len; both are listed, in rule order. */
    assert_int_equal(out.total, 2);
    assert_string_equal(out.v[0].path, "name");
    assert_string_equal(out.v[0].reason, "must not be empty");
    assert_string_equal(out.v[1].reason, "must be at least 2 characters long");
}

/* min_len and max_len count characters, not bytes. */
static void test_string_length_in_characters(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->name = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"; /* five characters, ten bytes */
    assert_int_equal(ferry_validate(check_method(), &m->base, NULL), FERRY_OK);
    m->name = "abcdef";
    expect_one(m, "name", "must be at most 5 characters long");
}

/* Each string format refuses a value that is not of it. */
static void test_formats(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->id = "123e4567-e89b-12d3-a456-42661417400g";
    expect_one(m, "id", "must be a UUID");
    m = valid(&f);
    m->email = "anna@@example.org";
    expect_one(m, "email", "must be an e-mail address");
    m = valid(&f);
    m->email = ".anna@example.org";
    expect_one(m, "email", "must be an e-mail address");
    m = valid(&f);
    m->host = "-api.example.org";
    expect_one(m, "host", "must be a hostname");
    m = valid(&f);
    m->link = "example.org/no-scheme";
    expect_one(m, "link", "must be an absolute URI");
    m = valid(&f);
    m->link = "https://example.org/a b";
    expect_one(m, "link", "must be an absolute URI");
    m = valid(&f);
    m->addr = "300.1.1.1";
    expect_one(m, "addr", "must be an IP address");
    m = valid(&f);
    m->addr4 = "::1";
    expect_one(m, "addr4", "must be an IPv4 address");
    m = valid(&f);
    m->addr6 = "192.0.2.1";
    expect_one(m, "addr6", "must be an IPv6 address");
}

/* in and not_in on strings. */
static void test_string_lists(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->size = "XL";
    expect_one(m, "size", "must be one of \"S\", \"M\", \"L\"");
    m = valid(&f);
    m->word = "root";
    expect_one(m, "word", "must not be one of \"admin\", \"root\"");
}

/* Bytes lengths count bytes. */
static void test_bytes_length(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->blob.len = 0;
    expect_one(m, "blob", "must be at least 1 byte long");
    static uint8_t big[5];
    m->blob.data = big;
    m->blob.len = sizeof big;
    expect_one(m, "blob", "must be at most 4 bytes long");
}

/* gt, gte, lt and lte on every kind of number, at their edges. */
static void test_numeric_ranges(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->i32 = -5;
    expect_one(m, "i32", "must be greater than -5");
    m->i32 = 5;
    expect_one(m, "i32", "must be less than 5");
    m = valid(&f);
    m->i64 = INT64_C(1000000000001);
    expect_one(m, "i64", "must be at most 1000000000000");
    m = valid(&f);
    m->u32 = 0;
    expect_one(m, "u32", "must be at least 1");
    m = valid(&f);
    m->u64 = 10;
    expect_one(m, "u64", "must be less than 10");
    m = valid(&f);
    m->ratio = 1.5;
    expect_one(m, "ratio", "must be at most 1");
    m = valid(&f);
    m->temp = -300.0f;
    expect_one(m, "temp", "must be greater than -273.15");
}

/* A NaN is within no bounds. */
static void test_nan_is_refused(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->ratio = __builtin_nan("");
    ferry_violations out;
    assert_int_equal(ferry_validate(check_method(), &m->base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 2);
    assert_string_equal(out.v[0].path, "ratio");
}

/* in on numbers, and required on a proto3 number (not zero). */
static void test_number_in_and_required(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->step = 3;
    expect_one(m, "step", "must be one of 1, 2, 4");
    m = valid(&f);
    m->nonzero = 0;
    expect_one(m, "nonzero", "must not be zero");
    m = valid(&f);
    m->agreed = 0;
    expect_one(m, "agreed", "must be true");
}

/* defined_only refuses a number the enum does not declare; in and not_in
 * take enum value names. */
static void test_enums(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->colour = (Rules__V1__Colour)3;
    expect_one(m, "colour", "must be a value rules.v1.Colour defines");
    m = valid(&f);
    m->paint = RULES__V1__COLOUR__COLOUR_BLUE;
    ferry_violations out;
    assert_int_equal(ferry_validate(check_method(), &m->base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 2);
    assert_string_equal(out.v[0].reason, "must be one of COLOUR_RED, 2");
    assert_string_equal(out.v[1].reason, "must not be COLOUR_BLUE");
}

/* required on a message field; rules inside it carry its path. */
static void test_nested_message(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->line = NULL;
    expect_one(m, "line", "is required");
    m = valid(&f);
    f.line.qty = 0;
    expect_one(m, "line.qty", "must be greater than 0");
}

/* skip: the nested message's rules are not checked. */
static void test_skip(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    Rules__V1__Line bad = RULES__V1__LINE__INIT;
    m->unchecked = &bad;
    assert_int_equal(ferry_validate(check_method(), &m->base, NULL), FERRY_OK);
}

/* Repeated: min and max items, unique, and rules on each item. */
static void test_repeated(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->n_tags = 0;
    expect_one(m, "tags", "must have at least 1 item");
    m = valid(&f);
    char *four[] = {"a", "b", "c", "d"};
    m->tags = four;
    m->n_tags = 4;
    expect_one(m, "tags", "must have at most 3 items");
    m = valid(&f);
    f.tags[1] = "a";
    expect_one(m, "tags", "must not contain the same value twice");
    m = valid(&f);
    f.tags[1] = "long";
    expect_one(m, "tags[1]", "must be at most 3 characters long");
    m = valid(&f);
    f.scores[1] = 0;
    expect_one(m, "scores", "must not contain the same value twice");
    m = valid(&f);
    f.scores[0] = -1;
    expect_one(m, "scores[0]", "must be at least 0");
}

/* unique on bytes compares contents. */
static void test_unique_bytes(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    uint8_t a[] = {1, 2}, b[] = {1, 2};
    ProtobufCBinaryData keys[] = {{sizeof a, a}, {sizeof b, b}};
    m->keys = keys;
    m->n_keys = 2;
    expect_one(m, "keys", "must not contain the same value twice");
    b[1] = 3;
    assert_int_equal(ferry_validate(check_method(), &m->base, NULL), FERRY_OK);
}

/* Repeated messages: each is validated under its index. */
static void test_repeated_messages(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    Rules__V1__Line l0 = RULES__V1__LINE__INIT, l1 = RULES__V1__LINE__INIT,
                    l2 = RULES__V1__LINE__INIT;
    l0.sku = l1.sku = l2.sku = "x";
    l0.qty = l1.qty = 1;
    l2.qty = 0;
    Rules__V1__Line *lines[] = {&l0, &l1, &l2};
    m->lines = lines;
    m->n_lines = 3;
    expect_one(m, "lines[2].qty", "must be greater than 0");
}

/* Maps: rules on keys and on values, the key in the path. */
static void test_maps(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    Rules__V1__Everything__StockEntry e1 = RULES__V1__EVERYTHING__STOCK_ENTRY__INIT;
    Rules__V1__Everything__StockEntry e2 = RULES__V1__EVERYTHING__STOCK_ENTRY__INIT;
    e1.key = "ab";
    e1.value = 1;
    e2.key = "long\"key";
    e2.value = 1;
    Rules__V1__Everything__StockEntry *stock[] = {&e1, &e2};
    m->stock = stock;
    m->n_stock = 2;
    expect_one(m, "stock[\"long\\\"key\"]", "key must be at most 3 characters long");
    e2.key = "cd";
    e2.value = -1;
    expect_one(m, "stock[\"cd\"]", "must be at least 0");

    m = valid(&f);
    Rules__V1__Line bad = RULES__V1__LINE__INIT;
    bad.sku = "s";
    Rules__V1__Everything__ByIdEntry b1 = RULES__V1__EVERYTHING__BY_ID_ENTRY__INIT;
    b1.key = 7;
    b1.value = &bad;
    Rules__V1__Everything__ByIdEntry *by_id[] = {&b1};
    m->by_id = by_id;
    m->n_by_id = 1;
    expect_one(m, "by_id[7].qty", "must be greater than 0");
    b1.key = 0;
    bad.qty = 1;
    expect_one(m, "by_id[0]", "key must be greater than 0");
}

/* A oneof member's rules hold only when it is the one set. */
static void test_oneof(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->contact_case = RULES__V1__EVERYTHING__CONTACT_PHONE;
    m->phone = "12";
    expect_one(m, "phone", "must be at least 3 characters long");
    Rules__V1__Line bad = RULES__V1__LINE__INIT;
    bad.sku = "s";
    m->contact_case = RULES__V1__EVERYTHING__CONTACT_FAVOURITE;
    m->favourite = &bad;
    expect_one(m, "favourite.qty", "must be greater than 0");
}

/* Recursive types: each level's violation names its whole path. */
static void test_recursive_paths(void **state)
{
    (void)state;
    Rules__V1__Node n[3];
    for (int i = 0; i < 3; i++) {
        rules__v1__node__init(&n[i]);
        n[i].name = "n";
        n[i].child = i < 2 ? &n[i + 1] : NULL;
    }
    n[2].name = "";
    ferry_violations out;
    const ferry_method *walk = &rules_v1_rules_desc.methods[RULES_V1_RULES_WALK];
    assert_int_equal(ferry_validate(walk, &n[0].base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 1);
    assert_string_equal(out.v[0].path, "child.child.name");
}

/* proto2: rules of an optional field hold when it is set; required asks
 * for it (and, for a string, for some text). */
static void test_proto2_presence(void **state)
{
    (void)state;
    const ferry_method *put = &rules_v1_old_desc.methods[RULES_V1_OLD_PUT];
    Rules__V1__Legacy l = RULES__V1__LEGACY__INIT;
    ferry_violations out;
    assert_int_equal(ferry_validate(put, &l.base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 2);
    assert_string_equal(out.v[0].path, "needed");
    assert_string_equal(out.v[0].reason, "is required");
    assert_string_equal(out.v[1].path, "label");
    assert_string_equal(out.v[1].reason, "is required");
    l.has_needed = 1;
    l.label = "";
    assert_int_equal(ferry_validate(put, &l.base, &out), FERRY_INVALID_ARGUMENT);
    assert_string_equal(out.v[0].reason, "must not be empty");
    l.label = "ok";
    assert_int_equal(ferry_validate(put, &l.base, &out), FERRY_OK);
    l.has_count = 1; /* count 0 now set: gte 1 applies */
    assert_int_equal(ferry_validate(put, &l.base, &out), FERRY_INVALID_ARGUMENT);
    assert_string_equal(out.v[0].path, "count");
}

/* A proto2 string with a [default] is not set while it points to protoc-c's
 * default (the INIT macro's and protobuf-c's value for an absent field):
 * required refuses it, and its other rules hold only once it is set, to the
 * default's text as to any other. */
static void test_proto2_string_default(void **state)
{
    (void)state;
    const ferry_method *name = &rules_v1_old_desc.methods[RULES_V1_OLD_NAME];
    Rules__V1__Named n = RULES__V1__NAMED__INIT;
    ferry_violations out;
    assert_int_equal(ferry_validate(name, &n.base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 1);
    assert_string_equal(out.v[0].path, "nickName");
    assert_string_equal(out.v[0].reason, "is required");
    Rules__V1__Named *absent = rules__v1__named__unpack(NULL, 0, (const uint8_t *)"");
    assert_non_null(absent);
    assert_int_equal(ferry_validate(name, &absent->base, &out), FERRY_INVALID_ARGUMENT);
    assert_string_equal(out.v[0].reason, "is required");
    rules__v1__named__free_unpacked(absent, NULL);
    n.nickname = "bob";
    assert_int_equal(ferry_validate(name, &n.base, &out), FERRY_OK);
    char anon[] = "anon"; /* the default's text, set */
    n.nickname = anon;
    assert_int_equal(ferry_validate(name, &n.base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 1);
    assert_string_equal(out.v[0].reason, "must be at most 3 characters long");
}

/* Every violation is found, and the line lists them in order. */
static void test_all_violations_listed(void **state)
{
    (void)state;
    fixture f;
    Rules__V1__Everything *m = valid(&f);
    m->size = "XL";
    f.line.qty = 0;
    f.scores[0] = -1;
    ferry_violations out;
    assert_int_equal(ferry_validate(check_method(), &m->base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 3);
    char line[512];
    ferry_violations_format(&out, line, sizeof line);
    assert_string_equal(line, "size: must be one of \"S\", \"M\", \"L\"; line.qty: must be greater "
                              "than 0; scores[0]: must be at least 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_request_passes),
        cmocka_unit_test(test_type_without_rules_passes),
        cmocka_unit_test(test_required_string),
        cmocka_unit_test(test_string_length_in_characters),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_string_lists),
        cmocka_unit_test(test_bytes_length),
        cmocka_unit_test(test_numeric_ranges),
        cmocka_unit_test(test_nan_is_refused),
        cmocka_unit_test(test_number_in_and_required),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_nested_message),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_repeated),
        cmocka_unit_test(test_unique_bytes),
        cmocka_unit_test(test_repeated_messages),
        cmocka_unit_test(test_maps),
        cmocka_unit_test(test_oneof),
        cmocka_unit_test(test_recursive_paths),
        cmocka_unit_test(test_proto2_presence),
        cmocka_unit_test(test_proto2_string_default),
        cmocka_unit_test(test_all_violations_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
