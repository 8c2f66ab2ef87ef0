/* test_async_stages.c - asynchronous calls through the dispatcher take the
 * routes synchronous ones take and are counted alike: the canary's share
 * and its bounds, a remote outage answered by the local side or by the
 * IDL's fallback, and the shadow stage, which shadows only what may be
 * shadowed. */
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
enum { PEEK = FERRYTEST_DISPATCH_V1_TWIN_PEEK };

/* What one asynchronous call's completion saw. */
typedef struct got {
    atomic_int calls;
    ferry_status st;
    char id[64];
    int64_t amount;
    char message[FERRY_MESSAGE_MAX];
} got;

static void record_done(void *arg, ferry_status st, Ferrytest__Dispatch__V1__Record *resp,
                        const ferry_call_info *info)
{
    got *g = arg;
    g->st = st;
    snprintf(g->id, sizeof g->id, "%s", resp != NULL ? resp->id : "(none)");
    g->amount = resp != NULL ? resp->amount : -1;
    snprintf(g->message, sizeof g->message, "%s", info != NULL ? info->message : "");
    ferry_message_free((ProtobufCMessage *)resp);
    atomic_fetch_add(&g->calls, 1); /* last: publishes the rest */
}

static void count_done(void *arg, ferry_status st, Ferrytest__Dispatch__V1__CountReply *resp,
                       const ferry_call_info *info)
{
    (void)info;
    got *g = arg;
    g->st = st;
    ferry_message_free((ProtobufCMessage *)resp);
    atomic_fetch_add(&g->calls, 1);
}

/* Waits (up to 40 s) for the completion, which may run on another thread. */
static void await_done(got *g)
{
    for (int i = 0; i < 8000 && atomic_load(&g->calls) == 0; i++)
        twin_nap_ms(5);
    assert_int_equal(atomic_load(&g->calls), 1);
}

static void count_async(twin *t, uint64_t token)
{
    Ferrytest__Dispatch__V1__CountRequest req = FERRYTEST__DISPATCH__V1__COUNT_REQUEST__INIT;
    req.token = token;
    got g = {.st = FERRY_UNKNOWN};
    assert_int_equal(ferrytest_dispatch_v1_twin_count_async(t->ch, &req, NULL, count_done, &g),
                     FERRY_OK);
    await_done(&g);
    assert_int_equal(g.st, FERRY_OK);
}

/* Starts Get (or Peek) of `id` and waits for its completion into *g. */
static void read_async(twin *t, int method, const char *id, got *g)
{
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    req.id = (char *)id;
    memset(g, 0, sizeof *g);
    ferry_call_opts opts = {.deadline_ms = 30000};
    ferry_status st =
        method == GET ? ferrytest_dispatch_v1_twin_get_async(t->ch, &req, &opts, record_done, g)
                      : ferrytest_dispatch_v1_twin_peek_async(t->ch, &req, &opts, record_done, g);
    assert_int_equal(st, FERRY_OK);
    await_done(g);
}

/* At canary:30, about 30% of asynchronous calls go to the remote side
 * (the seed is fixed, so the same calls every run), and each is counted
 * where it was answered. */
static void test_async_canary_share(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "canary:30");
    const int n = 1000;
    for (int i = 0; i < n; i++)
        count_async(&t, (uint64_t)i);
    uint64_t remote = t.remote.counts, local = t.local.counts;
    assert_int_equal(remote + local, n);
    /* Expected 300, standard deviation about 14.5: 5 of them either way. */
    assert_in_range(remote, 228, 372);
    ferry_dispatch_stats s = twin_stats(t.ch, COUNT, FERRY_STAGE_CANARY);
    assert_int_equal(s.calls, n);
    assert_int_equal(s.answered_remote, remote);
    assert_int_equal(s.answered_local, local);
    twin_close(&t);
}

/* canary:0 sends no asynchronous call to the remote side and canary:100
 * sends every one. 1000 calls at 0%: one going remote by an off-by-one
 * (1 in 100) would show with near certainty. */
static void test_async_canary_bounds(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "canary:0");
    for (int i = 0; i < 1000; i++)
        count_async(&t, (uint64_t)i);
    assert_int_equal(t.local.counts, 1000);
    assert_int_equal(t.remote.counts, 0);
    assert_int_equal(ferry_dispatcher_configure(t.ch, "canary:100"), FERRY_OK);
    for (int i = 0; i < 100; i++)
        count_async(&t, (uint64_t)i);
    assert_int_equal(t.local.counts, 1000);
    assert_int_equal(t.remote.counts, 100);
    twin_close(&t);
}

/* With the remote down, an asynchronous call at remote+local-fallback is
 * answered by the local side with FERRY_FALLBACK, saying why; the remote
 * error, the fallback and the local answer are counted. */
static void test_async_remote_down_local_fallback(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "remote+local-fallback");
    got g;
    read_async(&t, GET, "x", &g);
    assert_int_equal(g.st, FERRY_OK);
    assert_int_equal(t.remote.gets, 1);

    twin_stop_server(&t);
    read_async(&t, GET, "y", &g);
    assert_int_equal(g.st, FERRY_FALLBACK);
    assert_string_equal(g.id, "y"); /* the local side's real answer */
    assert_int_equal(g.amount, 5);
    assert_non_null(strstr(g.message, "answered locally after the remote failed"));
    assert_int_equal(t.local.gets, 1);
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_REMOTE);
    assert_int_equal(s.fallbacks, 1);
    assert_int_equal(s.remote_errors, 1);
    assert_int_equal(s.answered_local, 1);
    assert_int_equal(s.answered_remote, 1);
    twin_close(&t);
}

/* With the remote down and no local fallback, an asynchronous Peek gets
 * the IDL's empty fallback from the remote channel, counted as a fallback
 * answered remotely; the local side never runs. */
static void test_async_remote_down_idl_fallback(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "remote");
    got g;
    read_async(&t, GET, "x", &g);
    assert_int_equal(g.st, FERRY_OK);
    twin_stop_server(&t);
    read_async(&t, PEEK, "y", &g);
    assert_int_equal(g.st, FERRY_FALLBACK);
    assert_string_equal(g.id, ""); /* the empty response */
    assert_int_equal(t.local.gets + t.local.peeks, 0);
    ferry_dispatch_stats s = twin_stats(t.ch, PEEK, FERRY_STAGE_REMOTE);
    assert_int_equal(s.fallbacks, 1);
    assert_int_equal(s.remote_errors, 1);
    assert_int_equal(s.answered_remote, 1);
    twin_close(&t);
}

/* At the shadow stage an asynchronous call is answered locally; a
 * read-only method is shadowed to the remote and compared, a method with
 * side effects is not shadowed and is counted as skipped. */
static void test_async_shadow_only_what_may_be_shadowed(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    got g;
    read_async(&t, GET, "x", &g);
    assert_int_equal(g.st, FERRY_OK);
    assert_int_equal(t.local.gets, 1);
    /* The shadow call is compared after the caller's answer: wait for it. */
    ferry_dispatch_stats s;
    for (int i = 0; i < 4000; i++) {
        s = twin_stats(t.ch, GET, FERRY_STAGE_SHADOW);
        if (s.matches + s.mismatches > 0)
            break;
        twin_nap_ms(5);
    }
    assert_int_equal(s.shadowed, 1);
    assert_int_equal(s.matches, 1);
    assert_int_equal(t.remote.gets, 1);

    count_async(&t, 7);
    assert_int_equal(t.local.counts, 1);
    s = twin_stats(t.ch, COUNT, FERRY_STAGE_SHADOW);
    assert_int_equal(s.shadow_skipped, 1);
    assert_int_equal(s.shadowed, 0);
    assert_int_equal(t.remote.counts, 0);
    twin_close(&t);
}

/* A dispatcher whose remote channel has no server and whose breaker has
 * opened: it refuses every call at once, before sending, and so refuses an
 * asynchronous call without starting it. The routes are then `spec`. */
static void open_refusing(twin *t, const char *spec)
{
    memset(t, 0, sizeof *t);
    char url[64];
    snprintf(url, sizeof url, "ipc:///tmp/ferry-nobody-listens-%d", (int)getpid());
    ferry_channel *remote = NULL;
    ferry_client_opts co = {
        .retry = {.max_attempts = 1},
        .breaker = {.window = 1, .min_calls = 1, .failure_ratio = 1.0, .open_ms = 600000},
        .connect_timeout_ms = 50,
        .default_deadline_ms = 30000};
    assert_int_equal(ferry_client_open(&remote, url, &co), FERRY_OK);
    ferry_dispatch_opts o = {.spec = "remote", .seed = 42};
    assert_int_equal(
        ferrytest_dispatch_v1_twin_dispatcher_open(&t->ch, &twin_handlers, &t->local, remote, &o),
        FERRY_OK);
    /* One failure opens the breaker for ten minutes. */
    twin_get(t->ch, "x", FERRY_UNAVAILABLE);
    assert_int_equal(ferry_dispatcher_configure(t->ch, spec), FERRY_OK);
}

/* An asynchronous call whose remote refuses it at once (not started, so
 * its completion never runs) ends as a synchronous call ends: at
 * remote+local-fallback the local side answers, through the completion,
 * with FERRY_FALLBACK and the remote's reason. */
static void test_async_remote_refused_at_start_local_fallback(void **state)
{
    (void)state;
    twin t;
    open_refusing(&t, "remote+local-fallback");
    got g;
    read_async(&t, GET, "y", &g);
    assert_int_equal(g.st, FERRY_FALLBACK);
    assert_string_equal(g.id, "y");
    assert_non_null(strstr(g.message, "answered locally after the remote failed"));
    assert_non_null(strstr(g.message, "breaker"));
    assert_int_equal(t.local.gets, 1);
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_REMOTE);
    assert_int_equal(s.fallbacks, 1);
    assert_int_equal(s.remote_errors, 2); /* the call that opened the breaker, and this one */
    assert_int_equal(s.answered_local, 1);
    assert_int_equal(s.answered_remote, 1);
    ferry_channel_close(t.ch);
}

/* Without a local fallback the refusal stands: the asynchronous call is not
 * started, its completion never runs, and the caller's info says why. */
static void test_async_remote_refused_at_start_stands(void **state)
{
    (void)state;
    twin t;
    open_refusing(&t, "remote");
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    req.id = "y";
    got g;
    memset(&g, 0, sizeof g);
    ferry_call_info info;
    memset(&info, 0, sizeof info);
    ferry_call_opts opts = {.deadline_ms = 30000, .info = &info};
    assert_int_equal(ferrytest_dispatch_v1_twin_get_async(t.ch, &req, &opts, record_done, &g),
                     FERRY_UNAVAILABLE);
    assert_int_equal(atomic_load(&g.calls), 0);
    assert_int_equal(info.status, FERRY_UNAVAILABLE);
    assert_non_null(strstr(info.message, "breaker"));
    assert_int_equal(t.local.gets, 0);
    ferry_dispatch_stats s = twin_stats(t.ch, GET, FERRY_STAGE_REMOTE);
    assert_int_equal(s.remote_errors, 2);
    assert_int_equal(s.answered_remote, 2);
    ferry_channel_close(t.ch);
}

/* When the remote refuses an asynchronous call at once and the local
 * fallback answers with an error, the local side has still run: the call
 * was started after all, and its completion gets that answer. */
static void test_async_refused_at_start_local_error_completes(void **state)
{
    (void)state;
    twin t;
    open_refusing(&t, "remote+local-fallback");
    atomic_store(&t.local.variant, TWIN_NOT_FOUND);
    got g;
    read_async(&t, GET, "y", &g);
    assert_int_equal(g.st, FERRY_NOT_FOUND);
    assert_int_equal(t.local.gets, 1);
    ferry_channel_close(t.ch);
}

/* An asynchronous call whose remote fails after it started is answered
 * locally with what the caller gave the call, as a synchronous call is:
 * its metadata and its deadline (the caller's memory is gone by then). */
static void test_async_fallback_keeps_metadata_and_deadline(void **state)
{
    (void)state;
    twin t;
    memset(&t, 0, sizeof t);
    char url[64];
    snprintf(url, sizeof url, "ipc:///tmp/ferry-nobody-listens-%d", (int)getpid());
    ferry_channel *remote = NULL;
    ferry_client_opts co = {
        .retry = {.max_attempts = 1}, .breaker = {.disabled = 1}, .connect_timeout_ms = 50};
    assert_int_equal(ferry_client_open(&remote, url, &co), FERRY_OK);
    ferry_dispatch_opts o = {.spec = "remote+local-fallback", .seed = 42};
    assert_int_equal(
        ferrytest_dispatch_v1_twin_dispatcher_open(&t.ch, &twin_handlers, &t.local, remote, &o),
        FERRY_OK);
    Ferrytest__Dispatch__V1__GetRequest req = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
    req.id = "y";
    char who[] = "alice";
    ferry_metadata md = {.key = "who", .value = (const uint8_t *)who, .len = 5};
    ferry_call_opts opts = {.deadline_ms = 20000, .metadata = &md, .n_metadata = 1};
    got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(ferrytest_dispatch_v1_twin_get_async(t.ch, &req, &opts, record_done, &g),
                     FERRY_OK);
    memset(who, 'x', 5); /* the caller's memory, changed once the call is made */
    await_done(&g);
    assert_int_equal(g.st, FERRY_FALLBACK);
    assert_int_equal(t.local.gets, 1);
    assert_true(atomic_load(&t.local.last_who_alice));
    assert_true(atomic_load(&t.local.last_remaining_ms) <= 20000);
    assert_true(atomic_load(&t.local.last_remaining_ms) > 0);
    ferry_channel_close(t.ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_canary_share),
        cmocka_unit_test(test_async_canary_bounds),
        cmocka_unit_test(test_async_remote_down_local_fallback),
        cmocka_unit_test(test_async_remote_down_idl_fallback),
        cmocka_unit_test(test_async_remote_refused_at_start_local_fallback),
        cmocka_unit_test(test_async_remote_refused_at_start_stands),
        cmocka_unit_test(test_async_refused_at_start_local_error_completes),
        cmocka_unit_test(test_async_fallback_keeps_metadata_and_deadline),
        cmocka_unit_test(test_async_shadow_only_what_may_be_shadowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
