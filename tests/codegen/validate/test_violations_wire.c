/* test_violations_wire.c - violations in the reply header, both ways: what
 * a server writes reads back the same, and what a hostile peer writes (too
 * many entries, overlong or missing strings, a total below the count) is
 * cut to the caller's fixed list without overrunning it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "call/validate.h"

/* A list written into a header, packed, unpacked and read back is the same
 * list, total included. */
static void test_round_trip(void **state)
{
    (void)state;
    ferry_violations in = {.count = 2, .total = 40};
    strcpy(in.v[0].path, "lines[2].qty");
    strcpy(in.v[0].reason, "must be greater than 0");
    strcpy(in.v[1].path, "attrs[\"k\\\"\"]");
    strcpy(in.v[1].reason, "key must be at most 3 characters long");
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    Ferry__Wire__Violation vs[FERRY_VIOLATIONS_MAX];
    Ferry__Wire__Violation *vp[FERRY_VIOLATIONS_MAX];
    char text[FERRY_VIOLATIONS_MAX][FERRYI_VIOLATION_TEXT];
    ferryi_violations_to_wire(&in, &h, vs, vp, text);
    uint8_t buf[4096];
    size_t n = ferry__wire__reply_header__pack(&h, buf);
    Ferry__Wire__ReplyHeader *back = ferry__wire__reply_header__unpack(NULL, n, buf);
    assert_non_null(back);
    ferry_violations out;
    ferryi_violations_from_wire(back, &out);
    assert_int_equal(out.count, 2);
    assert_int_equal(out.total, 40);
    assert_string_equal(out.v[0].path, "lines[2].qty");
    assert_string_equal(out.v[1].path, "attrs[\"k\\\"\"]");
    assert_string_equal(out.v[1].reason, "key must be at most 3 characters long");
    ferry__wire__reply_header__free_unpacked(back, NULL);
}

/* A peer's 100 entries with 1000-byte strings, one without strings, and a
 * total of 3: the list keeps 16, each string cut and marked, the total
 * raised to what the peer sent. */
static void test_hostile_peer(void **state)
{
    (void)state;
    enum { N = 100 };
    char *longtext = malloc(1001);
    assert_non_null(longtext);
    memset(longtext, 'x', 1000);
    longtext[1000] = '\0';
    Ferry__Wire__Violation vs[N];
    Ferry__Wire__Violation *vp[N];
    for (int i = 0; i < N; i++) {
        ferry__wire__violation__init(&vs[i]);
        vs[i].path = longtext;
        vs[i].reason = longtext;
        vp[i] = &vs[i];
    }
    vs[1].path = NULL;
    vs[1].reason = NULL;
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    h.violations = vp;
    h.n_violations = N;
    h.violations_total = 3;
    ferry_violations out;
    ferryi_violations_from_wire(&h, &out);
    assert_int_equal(out.count, FERRY_VIOLATIONS_MAX);
    assert_int_equal(out.total, N);
    assert_int_equal(strlen(out.v[0].path), FERRY_VIOLATION_PATH_MAX - 1);
    assert_string_equal(out.v[0].path + FERRY_VIOLATION_PATH_MAX - 4, "...");
    assert_int_equal(strlen(out.v[0].reason), FERRY_VIOLATION_REASON_MAX - 1);
    assert_string_equal(out.v[1].path, "");
    free(longtext);
}

/* A reason cut inside a multi-byte character still goes out as UTF-8: the
 * stray byte becomes '?', as in every string of the reply header. */
static void test_cut_reason_stays_utf8(void **state)
{
    (void)state;
    ferry_violations in = {.count = 1, .total = 1};
    strcpy(in.v[0].path, "p");
    memset(in.v[0].reason, 'a', sizeof in.v[0].reason);
    /* The last two bytes: the first byte of "é" and the terminator. */
    in.v[0].reason[FERRY_VIOLATION_REASON_MAX - 2] = (char)0xc3;
    in.v[0].reason[FERRY_VIOLATION_REASON_MAX - 1] = '\0';
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    Ferry__Wire__Violation vs[FERRY_VIOLATIONS_MAX];
    Ferry__Wire__Violation *vp[FERRY_VIOLATIONS_MAX];
    char text[FERRY_VIOLATIONS_MAX][FERRYI_VIOLATION_TEXT];
    ferryi_violations_to_wire(&in, &h, vs, vp, text);
    size_t len = strlen(h.violations[0]->reason);
    assert_int_equal(len, FERRY_VIOLATION_REASON_MAX - 1);
    assert_int_equal(h.violations[0]->reason[len - 1], '?');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hostile_peer),
        cmocka_unit_test(test_cut_reason_stays_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
