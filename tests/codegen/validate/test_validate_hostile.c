/* test_validate_hostile.c - requests built to make a validator work hard
 * or write where it should not: deep nesting stops at the depth limit,
 * huge repeated fields cost time in proportion (no pairwise comparison of
 * every item), a flood of violations fills the list and counts the rest,
 * and hostile map keys and long paths stay within their arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules/v1/rules.ferry.h"

/* A chain of 100000 nested nodes: the validator goes 32 deep, reports that
 * once, and returns (no stack overflow, no walk of the rest). */
static void test_deep_nesting_is_cut(void **state)
{
    (void)state;
    enum { N = 100000 };
    Rules__V1__Node *n = calloc(N, sizeof *n);
    assert_non_null(n);
    for (size_t i = 0; i < N; i++) {
        rules__v1__node__init(&n[i]);
        n[i].name = i == N - 1 ? "" : "n"; /* the only rule broken is out of reach */
        n[i].child = i + 1 < N ? &n[i + 1] : NULL;
    }
    ferry_violations out;
    const ferry_method *walk = &rules_v1_rules_desc.methods[RULES_V1_RULES_WALK];
    assert_int_equal(ferry_validate(walk, &n[0].base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 1);
    assert_string_equal(out.v[0].reason,
                        "is nested deeper than the 32 messages a request may nest");
    /* The path is cut to its array, marked with "...". */
    assert_true(strlen(out.v[0].path) < FERRY_VIOLATION_PATH_MAX);
    assert_non_null(strstr(out.v[0].path, "..."));
    free(n);
}

/* Fixture of a valid Everything with a huge repeated field set by tests. */
static Rules__V1__Everything base_request(Rules__V1__Line *line, char **tags)
{
    Rules__V1__Everything m = RULES__V1__EVERYTHING__INIT;
    rules__v1__line__init(line);
    line->sku = "A";
    line->qty = 1;
    m.name = "anna";
    m.id = "123e4567-e89b-12d3-a456-426614174000";
    m.email = "a@b.c";
    m.host = "h";
    m.link = "a:b";
    m.addr = m.addr4 = "10.0.0.1";
    m.addr6 = "::";
    m.size = "S";
    static uint8_t blob[1];
    m.blob.data = blob;
    m.blob.len = 1;
    m.u32 = 1;
    m.nonzero = 1;
    m.step = 1;
    m.paint = 1;
    m.line = line;
    tags[0] = "a";
    m.tags = tags;
    m.n_tags = 1;
    m.agreed = 1;
    return m;
}

/* 2 million distinct scores checked for duplicates in well under the
 * test's time limit (a pairwise check would take hours), and the one
 * duplicate among them found. */
static void test_huge_unique_field_is_sorted_not_paired(void **state)
{
    (void)state;
    enum { N = 2000000 };
    int32_t *scores = malloc(N * sizeof *scores);
    assert_non_null(scores);
    for (int32_t i = 0; i < N; i++)
        scores[i] = (int32_t)(((int64_t)i * 7919) % N); /* a permutation: 7919 is prime to N */
    Rules__V1__Line line;
    char *tags[1];
    Rules__V1__Everything m = base_request(&line, tags);
    m.scores = scores;
    m.n_scores = N;
    const ferry_method *check = &rules_v1_rules_desc.methods[RULES_V1_RULES_CHECK];
    assert_int_equal(ferry_validate(check, &m.base, NULL), FERRY_OK);
    scores[N - 1] = scores[0];
    ferry_violations out;
    assert_int_equal(ferry_validate(check, &m.base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 1);
    assert_string_equal(out.v[0].path, "scores");
    free(scores);
}

/* A million violations: the list keeps the first 16 and counts them all;
 * the message line says how many were left out. */
static void test_flood_of_violations_is_counted(void **state)
{
    (void)state;
    enum { N = 1000000 };
    int32_t *scores = malloc(N * sizeof *scores);
    assert_non_null(scores);
    for (int32_t i = 0; i < N; i++)
        scores[i] = -1 - i;
    Rules__V1__Line line;
    char *tags[1];
    Rules__V1__Everything m = base_request(&line, tags);
    m.scores = scores;
    m.n_scores = N;
    ferry_violations out;
    const ferry_method *check = &rules_v1_rules_desc.methods[RULES_V1_RULES_CHECK];
    assert_int_equal(ferry_validate(check, &m.base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.count, FERRY_VIOLATIONS_MAX);
    assert_int_equal(out.total, N);
    assert_string_equal(out.v[15].path, "scores[15]");
    char text[4096];
    ferry_violations_format(&out, text, sizeof text);
    char tail[64];
    snprintf(tail, sizeof tail, "; and %d more", N - FERRY_VIOLATIONS_MAX);
    assert_non_null(strstr(text, tail));
    free(scores);
}

/* A map key with quotes, control bytes and a length past the path's array
 * is escaped and cut: the path cannot be forged and stays terminated. */
static void test_hostile_map_key(void **state)
{
    (void)state;
    Rules__V1__Line line;
    char *tags[1];
    Rules__V1__Everything m = base_request(&line, tags);
    char key[600];
    memset(key, '"', sizeof key - 1);
    key[0] = '\n';
    key[sizeof key - 1] = '\0';
    Rules__V1__Everything__StockEntry e = RULES__V1__EVERYTHING__STOCK_ENTRY__INIT;
    e.key = key;
    Rules__V1__Everything__StockEntry *stock[] = {&e};
    m.stock = stock;
    m.n_stock = 1;
    ferry_violations out;
    const ferry_method *check = &rules_v1_rules_desc.methods[RULES_V1_RULES_CHECK];
    assert_int_equal(ferry_validate(check, &m.base, &out), FERRY_INVALID_ARGUMENT);
    assert_int_equal(out.total, 1);
    assert_memory_equal(out.v[0].path, "stock[\"\\x0a\\\"\\\"", 15);
    assert_int_equal(strlen(out.v[0].path), FERRY_VIOLATION_PATH_MAX - 1);
    assert_string_equal(out.v[0].path + FERRY_VIOLATION_PATH_MAX - 4, "...");
}

/* A too-small buffer gets a terminated prefix and the needed length. */
static void test_format_into_small_buffer(void **state)
{
    (void)state;
    ferry_violations list = {.count = 1, .total = 1};
    strcpy(list.v[0].path, "sku");
    strcpy(list.v[0].reason, "must not be empty");
    char small[8];
    size_t need = ferry_violations_format(&list, small, sizeof small);
    assert_int_equal(need, strlen("sku: must not be empty"));
    assert_string_equal(small, "sku: mu");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_nesting_is_cut),
        cmocka_unit_test(test_huge_unique_field_is_sorted_not_paired),
        cmocka_unit_test(test_flood_of_violations_is_counted),
        cmocka_unit_test(test_hostile_map_key),
        cmocka_unit_test(test_format_into_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
