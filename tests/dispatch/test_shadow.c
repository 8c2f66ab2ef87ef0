/* test_shadow.c - the shadow stage over a real socket: the caller gets the
 * local answer; the remote answer is compared field by field (identical,
 * scalars, repeated fields, maps in any order, oneofs, unknown fields,
 * statuses); remote failures are counted, not compared; side effects are
 * shadowed only when the route opts in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twin.h"

enum { GET = FERRYTEST_DISPATCH_V1_TWIN_GET, COUNT = FERRYTEST_DISPATCH_V1_TWIN_COUNT };
enum { TOUCH = FERRYTEST_DISPATCH_V1_TWIN_TOUCH };

/* Makes `n` Get calls with the remote answering as `v`; returns the stats. */
static ferry_dispatch_stats shadow_gets(twin *t, twin_variant v, int n)
{
    atomic_store(&t->remote.variant, v);
    for (int i = 0; i < n; i++) {
        Ferrytest__Dispatch__V1__Record *r = twin_get(t->ch, "r1", FERRY_OK);
        /* The caller always gets the local answer. */
        assert_int_equal(r->amount, 5);
        assert_int_equal(r->n_tags, 3);
        ferry_message_free((ProtobufCMessage *)r);
    }
    ferry_dispatcher_wait_shadows(t->ch);
    return twin_stats(t->ch, GET, FERRY_STAGE_SHADOW);
}

static char *last_diff(twin *t)
{
    static char buf[512];
    ferry_dispatcher_last_mismatch(t->ch, twin_method(GET), buf, sizeof buf);
    return buf;
}

static void test_identical(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_SAME, 20);
    assert_int_equal(s.calls, 20);
    assert_int_equal(s.answered_local, 20);
    assert_int_equal(s.shadowed, 20);
    assert_int_equal(s.matches, 20);
    assert_int_equal(s.mismatches, 0);
    assert_int_equal(s.remote_errors, 0);
    assert_int_equal(s.remote.count, 20);
    assert_int_equal(t.local.gets, 20);
    assert_int_equal(t.remote.gets, 20);
    assert_string_equal(last_diff(&t), "");
    twin_close(&t);
}

static void test_differing_scalar(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_SCALAR, 3);
    assert_int_equal(s.mismatches, 3);
    assert_int_equal(s.matches, 0);
    assert_string_equal(last_diff(&t), "amount: local 5, remote 6");
    twin_close(&t);
}

static void test_differing_repeated(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_REPEATED, 1);
    assert_int_equal(s.mismatches, 1);
    assert_string_equal(
        last_diff(&t),
        "tags: local 3 entries, remote 2 entries; parts[1].count: local 2, remote 20");
    twin_close(&t);
}

static void test_differing_map(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_MAP, 1);
    assert_int_equal(s.mismatches, 1);
    assert_string_equal(last_diff(&t),
                        "scores[\"b\"]: local 2, remote 20; scores[\"c\"]: local 3, "
                        "remote (absent); slots[2].name: local \"two\", remote \"deux\"");
    twin_close(&t);
}

/* Map entries in another order are the same map. */
static void test_map_order_is_no_mismatch(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_MAP_ORDER, 2);
    assert_int_equal(s.matches, 2);
    assert_int_equal(s.mismatches, 0);
    twin_close(&t);
}

static void test_unknown_fields(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_UNKNOWN, 1);
    assert_int_equal(s.mismatches, 1);
    assert_string_equal(last_diff(&t),
                        "(unknown field 99): local (absent or different), remote 1 byte");
    twin_close(&t);
}

static void test_oneof(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_ONEOF, 1);
    assert_int_equal(s.mismatches, 1);
    assert_string_equal(
        last_diff(&t),
        "word: local \"hello\", remote (not set); number: local (not set), remote 7");
    twin_close(&t);
}

/* A different status is a mismatch; the caller still gets the local answer. */
static void test_differing_status(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_dispatch_stats s = shadow_gets(&t, TWIN_NOT_FOUND, 1);
    assert_int_equal(s.mismatches, 1);
    assert_string_equal(last_diff(&t), "status: local ok, remote not found (no record r1 here)");
    /* The same error on both sides is a match. */
    atomic_store(&t.local.variant, TWIN_NOT_FOUND);
    assert_null(twin_get(t.ch, "r1", FERRY_NOT_FOUND));
    ferry_dispatcher_wait_shadows(t.ch);
    s = twin_stats(t.ch, GET, FERRY_STAGE_SHADOW);
    assert_int_equal(s.matches, 1);
    assert_int_equal(s.mismatches, 1);
    twin_close(&t);
}

/* A remote that cannot be reached is counted as remote errors; the caller
 * never notices. */
static void test_remote_down(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    twin_stop_server(&t);
    for (int i = 0; i < 3; i++)
        ferry_message_free((ProtobufCMessage *)twin_get(t.ch, "r1", FERRY_OK));
    ferry_dispatcher_wait_shadows(t.ch);
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_SHADOW);
    assert_int_equal(s.answered_local, 3);
    assert_int_equal(s.shadowed, 3);
    assert_int_equal(s.remote_errors, 3);
    assert_int_equal(s.matches + s.mismatches, 0);
    twin_close(&t);
}

static void touch(twin *t, uint64_t token)
{
    Ferrytest__Dispatch__V1__CountRequest req = FERRYTEST__DISPATCH__V1__COUNT_REQUEST__INIT;
    req.token = token;
    Ferrytest__Dispatch__V1__CountReply *resp = NULL;
    assert_int_equal(ferrytest_dispatch_v1_twin_touch(t->ch, &req, &resp, NULL), FERRY_OK);
    ferry_message_free((ProtobufCMessage *)resp);
}

/* Count has side effects: shadow runs it locally only. Touch is idempotent:
 * it is shadowed. */
static void test_side_effects_not_shadowed(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    for (int i = 0; i < 5; i++) {
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
        touch(&t, (uint64_t)i);
    }
    ferry_dispatcher_wait_shadows(t.ch);
    assert_int_equal(t.local.counts, 5);
    assert_int_equal(t.remote.counts, 0);
    ferry_dispatch_stats s = twin_stats(t.ch, COUNT, FERRY_STAGE_SHADOW);
    assert_int_equal(s.shadowed, 0);
    assert_int_equal(s.shadow_skipped, 5);
    assert_int_equal(s.answered_local, 5);
    assert_int_equal(t.local.touches, 5);
    assert_int_equal(t.remote.touches, 5);
    s = twin_stats(t.ch, TOUCH, FERRY_STAGE_SHADOW);
    assert_int_equal(s.matches, 5);
    twin_close(&t);
}

static void test_side_effects_opt_in(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow,Count=shadow+side-effects");
    for (int i = 0; i < 5; i++)
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
    ferry_dispatcher_wait_shadows(t.ch);
    assert_int_equal(t.local.counts, 5);
    assert_int_equal(t.remote.counts, 5);
    ferry_dispatch_stats s = twin_stats(t.ch, COUNT, FERRY_STAGE_SHADOW);
    assert_int_equal(s.shadowed, 5);
    assert_int_equal(s.matches, 5);
    twin_close(&t);
}

typedef struct got {
    atomic_int calls;
    ferry_status st;
    int64_t amount;
} got;

static void get_done(void *arg, ferry_status st, Ferrytest__Dispatch__V1__Record *resp,
                     const ferry_call_info *info)
{
    (void)info;
    got *g = arg;
    g->st = st;
    g->amount = resp != NULL ? resp->amount : -1;
    ferry_message_free((ProtobufCMessage *)resp);
    atomic_fetch_add(&g->calls, 1);
}

/* An asynchronous call is shadowed the same way. */
static void test_async_shadow(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    atomic_store(&t.remote.variant, TWIN_SCALAR);
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    req.id = "a";
    got g = {.st = FERRY_UNKNOWN};
    atomic_init(&g.calls, 0);
    assert_int_equal(ferrytest_dispatch_v1_twin_get_async(t.ch, &req, NULL, get_done, &g),
                     FERRY_OK);
    ferry_dispatcher_wait_shadows(t.ch);
    /* The local channel completes before its call returns. */
    assert_int_equal(atomic_load(&g.calls), 1);
    assert_int_equal(g.st, FERRY_OK);
    assert_int_equal(g.amount, 5);
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_SHADOW);
    assert_int_equal(s.mismatches, 1);
    twin_close(&t);
}

/* The caller never waits for the shadow call: with the remote handler held
 * (it cannot answer until released), calls return with the local answer;
 * beyond shadow_max_inflight (1 here) they are not shadowed but counted as
 * skipped. */
static void test_caller_never_waits(void **state)
{
    (void)state;
    twin t;
    ferry_dispatch_opts o = {.spec = "shadow", .shadow_max_inflight = 1};
    twin_open_with(&t, &o);
    atomic_store(&t.remote.hold, 1);
    for (int i = 0; i < 3; i++)
        ferry_message_free((ProtobufCMessage *)twin_get(t.ch, "r1", FERRY_OK));
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_SHADOW);
    assert_int_equal(s.answered_local, 3);
    assert_int_equal(s.shadowed, 1);
    assert_int_equal(s.shadow_skipped, 2);
    assert_int_equal(s.matches, 0); /* the held call has not answered */
    atomic_store(&t.remote.hold, 0);
    ferry_dispatcher_wait_shadows(t.ch);
    s = twin_stats(t.ch, GET, FERRY_STAGE_SHADOW);
    assert_int_equal(s.matches, 1);
    twin_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical),
        cmocka_unit_test(test_differing_scalar),
        cmocka_unit_test(test_differing_repeated),
        cmocka_unit_test(test_differing_map),
        cmocka_unit_test(test_map_order_is_no_mismatch),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_oneof),
        cmocka_unit_test(test_differing_status),
        cmocka_unit_test(test_remote_down),
        cmocka_unit_test(test_side_effects_not_shadowed),
        cmocka_unit_test(test_side_effects_opt_in),
        cmocka_unit_test(test_async_shadow),
        cmocka_unit_test(test_caller_never_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
