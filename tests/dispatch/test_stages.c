/* test_stages.c - each stage of the dispatcher over a real socket: which
 * side runs, what the caller gets, what is counted; the canary's share; the
 * remote stage's fallbacks while the server is down and its return once the
 * server is back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "twin.h"

enum { GET = FERRYTEST_DISPATCH_V1_TWIN_GET, COUNT = FERRYTEST_DISPATCH_V1_TWIN_COUNT };
enum { TOUCH = FERRYTEST_DISPATCH_V1_TWIN_TOUCH, PEEK = FERRYTEST_DISPATCH_V1_TWIN_PEEK };

static void free_record(Ferrytest__Dispatch__V1__Record *r)
{
    ferry_message_free((ProtobufCMessage *)r);
}

static void test_local_runs_only_local(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "local");
    for (int i = 0; i < 10; i++) {
        free_record(twin_get(t.ch, "x", FERRY_OK));
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
    }
    assert_int_equal(t.local.gets, 10);
    assert_int_equal(t.local.counts, 10);
    assert_int_equal(t.remote.gets + t.remote.counts, 0);
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_LOCAL);
    assert_int_equal(s.calls, 10);
    assert_int_equal(s.answered_local, 10);
    assert_int_equal(s.answered_remote, 0);
    assert_int_equal(s.local.count, 10);
    assert_int_equal(s.remote.count, 0);
    assert_true(s.local.p50_us <= s.local.p99_us && s.local.p99_us <= s.local.max_us);
    twin_close(&t);
}

static void test_remote_runs_only_remote(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "remote");
    for (int i = 0; i < 10; i++) {
        Ferrytest__Dispatch__V1__Record *r = twin_get(t.ch, "x", FERRY_OK);
        assert_string_equal(r->id, "x");
        assert_int_equal(r->n_scores, 3);
        free_record(r);
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
    }
    assert_int_equal(t.remote.gets, 10);
    assert_int_equal(t.remote.counts, 10);
    assert_int_equal(t.local.gets + t.local.counts, 0);
    ferry_dispatch_stats s = twin_stats(t.ch, COUNT, FERRY_STAGE_REMOTE);
    assert_int_equal(s.calls, 10);
    assert_int_equal(s.answered_remote, 10);
    assert_int_equal(s.remote.count, 10);
    assert_int_equal(s.remote_errors, 0);
    twin_close(&t);
}

/* Application errors pass through as they are, and are not remote errors. */
static void test_remote_answers_errors_as_they_are(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "remote");
    atomic_store(&t.remote.variant, TWIN_NOT_FOUND);
    assert_null(twin_get(t.ch, "x", FERRY_NOT_FOUND));
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_REMOTE);
    assert_int_equal(s.remote_errors, 0);
    assert_int_equal(s.answered_remote, 1);
    twin_close(&t);
}

static void test_canary_share(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "canary:30");
    const int n = 2000;
    for (int i = 0; i < n; i++)
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
    uint64_t remote = t.remote.counts, local = t.local.counts;
    assert_int_equal(remote + local, n);
    /* Expected 600, standard deviation about 20.5: the bounds are 5 of them
     * away, and the seed is fixed, so the outcome is the same every run. */
    assert_in_range(remote, 500, 700);
    ferry_dispatch_stats s = twin_stats(t.ch, COUNT, FERRY_STAGE_CANARY);
    assert_int_equal(s.calls, n);
    assert_int_equal(s.answered_remote, remote);
    assert_int_equal(s.answered_local, local);
    twin_close(&t);
}

static void test_canary_bounds(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "canary:0,Touch=canary:100");
    for (int i = 0; i < 200; i++) {
        twin_count(t.ch, (uint64_t)i, FERRY_OK);
        Ferrytest__Dispatch__V1__CountRequest req = FERRYTEST__DISPATCH__V1__COUNT_REQUEST__INIT;
        Ferrytest__Dispatch__V1__CountReply *resp = NULL;
        assert_int_equal(ferrytest_dispatch_v1_twin_touch(t.ch, &req, &resp, NULL), FERRY_OK);
        ferry_message_free((ProtobufCMessage *)resp);
    }
    assert_int_equal(t.local.counts, 200);
    assert_int_equal(t.remote.counts, 0);
    assert_int_equal(t.remote.touches, 200);
    assert_int_equal(t.local.touches, 0);
    twin_close(&t);
}

/* Calls until one gets `want`, for at most ~20 s: the client reconnects in
 * the background after the server comes back. */
static void await_status(ferry_channel *ch, ferry_status want)
{
    for (int i = 0; i < 400; i++) {
        Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
        req.id = "probe";
        Ferrytest__Dispatch__V1__Record *r = NULL;
        ferry_call_opts opts = {.deadline_ms = 2000};
        ferry_status st = ferrytest_dispatch_v1_twin_get(ch, &req, &r, &opts);
        free_record(r);
        if (st == want)
            return;
        twin_nap_ms(50);
    }
    fail_msg("no call got %s", ferry_status_str(want));
}

static void test_remote_down_local_fallback(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "remote+local-fallback");
    free_record(twin_get(t.ch, "x", FERRY_OK));
    assert_int_equal(t.remote.gets, 1);

    twin_stop_server(&t);
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    req.id = "y";
    Ferrytest__Dispatch__V1__Record *r = NULL;
    ferry_call_info info;
    /* The remote side gives up after its 2 s connect timeout; the local
     * side then answers within what is left. */
    ferry_call_opts opts = {.deadline_ms = 30000, .info = &info};
    assert_int_equal(ferrytest_dispatch_v1_twin_get(t.ch, &req, &r, &opts), FERRY_FALLBACK);
    assert_non_null(r);
    assert_string_equal(r->id, "y"); /* the local side's real answer */
    assert_int_equal(r->amount, 5);
    assert_non_null(strstr(info.message, "answered locally"));
    free_record(r);
    assert_int_equal(t.local.gets, 1);
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_REMOTE);
    assert_int_equal(s.fallbacks, 1);
    assert_int_equal(s.remote_errors, 1);
    assert_int_equal(s.answered_local, 1);
    assert_int_equal(s.answered_remote, 1);

    twin_start_server(&t);
    await_status(t.ch, FERRY_OK);
    uint64_t before = t.local.gets;
    free_record(twin_get(t.ch, "z", FERRY_OK));
    assert_int_equal(t.local.gets, before); /* back to remote */
    twin_close(&t);
}

/* Without a local fallback, the remote channel's own IDL fallback answers
 * Peek (FALLBACK_EMPTY) and Get fails. */
static void test_remote_down_idl_fallback(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "remote");
    free_record(twin_get(t.ch, "x", FERRY_OK));
    twin_stop_server(&t);
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    req.id = "y";
    Ferrytest__Dispatch__V1__Record *r = NULL;
    ferry_call_opts opts = {.deadline_ms = 30000};
    assert_int_equal(ferrytest_dispatch_v1_twin_peek(t.ch, &req, &r, &opts), FERRY_FALLBACK);
    assert_non_null(r);
    assert_string_equal(r->id, ""); /* the empty response */
    free_record(r);
    ferry_status st = ferrytest_dispatch_v1_twin_get(t.ch, &req, &r, &opts);
    assert_true(st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED);
    assert_null(r);
    assert_int_equal(t.local.gets + t.local.peeks, 0);
    ferry_dispatch_stats s = twin_stats(t.ch, PEEK, FERRY_STAGE_REMOTE);
    assert_int_equal(s.fallbacks, 1);
    assert_int_equal(s.remote_errors, 1);
    twin_close(&t);
}

/* Asynchronous calls take the same routes. */
typedef struct got {
    atomic_int calls;
    ferry_status st;
    uint64_t token;
} got;

static void count_done(void *arg, ferry_status st, Ferrytest__Dispatch__V1__CountReply *resp,
                       const ferry_call_info *info)
{
    (void)info;
    got *g = arg;
    g->st = st;
    g->token = resp != NULL ? resp->token : 0;
    ferry_message_free((ProtobufCMessage *)resp);
    atomic_fetch_add(&g->calls, 1); /* last: publishes st and token */
}

static void count_async(twin *t, uint64_t token)
{
    Ferrytest__Dispatch__V1__CountRequest req = FERRYTEST__DISPATCH__V1__COUNT_REQUEST__INIT;
    req.token = token;
    got g = {.st = FERRY_UNKNOWN};
    atomic_init(&g.calls, 0);
    /* Waits (at least 40 s) for the callback, which may run on another thread. */
    assert_int_equal(ferrytest_dispatch_v1_twin_count_async(t->ch, &req, NULL, count_done, &g),
                     FERRY_OK);
    for (int i = 0; i < 8000 && atomic_load(&g.calls) == 0; i++)
        twin_nap_ms(5);
    assert_int_equal(atomic_load(&g.calls), 1);
    assert_int_equal(g.st, FERRY_OK);
    assert_int_equal(g.token, token);
}

static void test_async_routes(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "local");
    count_async(&t, 1);
    assert_int_equal(t.local.counts, 1);
    assert_int_equal(ferry_dispatcher_configure(t.ch, "remote"), FERRY_OK);
    count_async(&t, 2);
    assert_int_equal(t.remote.counts, 1);
    assert_int_equal(twin_stats(t.ch, COUNT, FERRY_STAGE_LOCAL).answered_local, 1);
    assert_int_equal(twin_stats(t.ch, COUNT, FERRY_STAGE_REMOTE).answered_remote, 1);
    twin_close(&t);
}

/* Routes set one by one, read back, and a method of another service. */
static void test_routes_api(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    ferry_route r = {.stage = FERRY_STAGE_CANARY, .canary_percent = 25, .local_fallback = 1};
    assert_int_equal(ferry_dispatcher_set_route(t.ch, twin_method(COUNT), &r), FERRY_OK);
    ferry_route back;
    assert_int_equal(ferry_dispatcher_route(t.ch, twin_method(COUNT), &back), FERRY_OK);
    assert_int_equal(back.stage, FERRY_STAGE_CANARY);
    assert_int_equal(back.canary_percent, 25);
    assert_true(back.local_fallback);
    char spec[128];
    ferry_dispatcher_spec(t.ch, spec, sizeof spec);
    assert_string_equal(spec, "shadow,Count=canary:25+local-fallback");

    ferry_route bad = {.stage = FERRY_STAGE_LOCAL, .local_fallback = 1};
    assert_int_equal(ferry_dispatcher_set_route(t.ch, twin_method(COUNT), &bad),
                     FERRY_INVALID_ARGUMENT);
    bad = (ferry_route){.stage = FERRY_STAGE_CANARY, .canary_percent = 101};
    assert_int_equal(ferry_dispatcher_set_route(t.ch, twin_method(COUNT), &bad),
                     FERRY_INVALID_ARGUMENT);

    /* A method of another service is refused, with a reason. */
    static const ferry_service_desc other = {.name = "Other", .full_name = "x.Other"};
    ferry_method foreign = *twin_method(GET);
    foreign.service = &other;
    foreign.full_name = "x.Other/Get";
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferry_channel_call(t.ch, &foreign, &req.base, &resp, &opts),
                     FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "not a method of ferrytest.dispatch.v1.Twin"));
    assert_int_equal(ferry_dispatcher_route(t.ch, &foreign, &back), FERRY_INVALID_ARGUMENT);

    /* Another kind of channel is not a dispatcher. */
    ferry_channel *local = NULL;
    assert_int_equal(ferrytest_dispatch_v1_twin_local_open(&local, &twin_handlers, &t.local),
                     FERRY_OK);
    assert_int_equal(ferry_dispatcher_configure(local, "local"), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_dispatcher_spec(local, spec, sizeof spec), 0);
    assert_int_equal(ferry_dispatcher_write_stats(local, stdout, FERRY_STATS_TEXT),
                     FERRY_INVALID_ARGUMENT);
    ferry_channel_close(local);
    twin_close(&t);
}

/* The text and JSON reports carry the routes and the counters. */
static void test_write_stats(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "remote,Get=shadow");
    free_record(twin_get(t.ch, "x", FERRY_OK));
    twin_count(t.ch, 1, FERRY_OK);
    ferry_dispatcher_wait_shadows(t.ch);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(ferry_dispatcher_write_stats(t.ch, f, FERRY_STATS_JSON), FERRY_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\"service\": \"ferrytest.dispatch.v1.Twin\""));
    assert_non_null(strstr(buf, "\"spec\": \"remote,Get=shadow\""));
    assert_non_null(strstr(buf, "{\"stage\": \"shadow\", \"calls\": 1, \"answered_local\": 1"));
    assert_non_null(strstr(buf, "\"matches\": 1"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(ferry_dispatcher_write_stats(t.ch, f, FERRY_STATS_TEXT), FERRY_OK);
    fclose(f);
    assert_non_null(
        strstr(buf, "dispatcher ferrytest.dispatch.v1.Twin, routes: remote,Get=shadow"));
    assert_non_null(strstr(buf, "  Count              remote"));
    free(buf);
    twin_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_runs_only_local),
        cmocka_unit_test(test_remote_runs_only_remote),
        cmocka_unit_test(test_remote_answers_errors_as_they_are),
        cmocka_unit_test(test_canary_share),
        cmocka_unit_test(test_canary_bounds),
        cmocka_unit_test(test_remote_down_local_fallback),
        cmocka_unit_test(test_remote_down_idl_fallback),
        cmocka_unit_test(test_async_routes),
        cmocka_unit_test(test_routes_api),
        cmocka_unit_test(test_write_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
