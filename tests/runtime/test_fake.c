/* test_fake.c - the fake server: the probe's real handlers behind a real
 * server and remote channel over inproc://, so the whole client path runs
 * (envelope, identity of the caller, deadlines, size limits, fallbacks),
 * and an outage can be staged and ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ferrytest/v1/probe.ferry-mock.h"
#include "probe.h"

static void test_calls_go_through_the_whole_client_path(void **state)
{
    (void)state;
    ferry_fake *fake = NULL;
    assert_int_equal(ferrytest_v1_probe_fake_start(&fake, &probe_handlers, NULL), FERRY_OK);
    assert_non_null(fake);
    assert_memory_equal(ferry_fake_url(fake), "inproc://", 9);

    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "over the envelope";
    char *keys[] = {"tenant"};
    req.md_keys = keys;
    req.n_md_keys = 1;
    ferry_metadata md[] = {{.key = "tenant", .value = (const uint8_t *)"blue", .len = 4}};
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .metadata = md, .n_metadata = 1, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ferry_fake_channel(fake), &req, &resp, &opts),
                     FERRY_OK);
    assert_string_equal(resp->text, "over the envelope");
    /* What only the remote path carries: the caller's name, the API
     * version, the metadata and the deadline, as the handler saw them. */
    assert_string_equal(resp->client_name, "ferry-fake");
    assert_int_equal(resp->api_version, 3);
    assert_int_equal(resp->n_md_values, 1);
    assert_string_equal(resp->md_values[0], "blue");
    assert_true(resp->remaining_ms > 0 && resp->remaining_ms <= 20000);
    ferry_message_free(&resp->base);

    ferry_server_counters c;
    ferry_server_get_counters(ferry_fake_server(fake), &c);
    assert_int_equal(c.handled, 1);
    ferry_fake_stop(fake);
}

static void test_deadlines_and_limits_hold(void **state)
{
    (void)state;
    ferry_service_impl impl;
    ferrytest_v1_probe_impl(&impl, &probe_handlers, NULL);
    ferry_fake_opts fo = {
        .client = {.client_name = "limited", .max_message = 1024, .connect_timeout_ms = 20000}};
    ferry_fake *fake = NULL;
    assert_int_equal(ferry_fake_start(&fake, &impl, 1, &fo), FERRY_OK);
    ferry_channel *ch = ferry_fake_channel(fake);

    /* Connected first: a first call under 100 ms would otherwise end as
     * "no connection" when the connection comes up late. */
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "fast";
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_OK);
    ferry_message_free(&resp->base);
    resp = NULL;

    /* A slow handler against a short deadline. */
    req.text = "slow";
    req.sleep_ms = 1000;
    opts.deadline_ms = 100;
    assert_int_equal(ferrytest_v1_probe_write(ch, &req, &resp, &opts), FERRY_DEADLINE_EXCEEDED);
    assert_null(resp);

    /* A request over the client's size limit never leaves. */
    uint8_t big[2048];
    memset(big, 'b', sizeof big);
    req.sleep_ms = 0;
    req.payload.data = big;
    req.payload.len = sizeof big;
    opts.deadline_ms = 20000;
    assert_int_equal(ferrytest_v1_probe_write(ch, &req, &resp, &opts), FERRY_RESOURCE_EXHAUSTED);
    assert_null(resp);

    /* A method without a handler is unimplemented, as on a real server. */
    req.payload.len = 0;
    assert_int_equal(ferrytest_v1_probe_missing(ch, &req, &resp, &opts), FERRY_UNIMPLEMENTED);
    ferry_fake_stop(fake);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Calls Echo until it succeeds, starting calls for at most `ms` of real
 * time (one call when 0), each under a 20 s deadline; returns the last
 * status. */
static ferry_status echo_until_ok(ferry_channel *ch, uint64_t ms)
{
    ferry_status st = FERRY_UNKNOWN;
    uint64_t start = now_ms();
    for (;;) {
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.text = "back?";
        Ferrytest__V1__EchoReply *resp = NULL;
        ferry_call_opts opts = {.deadline_ms = 20000};
        st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
        if (resp != NULL)
            ferry_message_free(&resp->base);
        if (st == FERRY_OK || now_ms() - start >= ms)
            break;
        probe_nap_ms(20);
    }
    return st;
}

static void test_down_and_up(void **state)
{
    (void)state;
    ferry_service_impl impl;
    ferrytest_v1_probe_impl(&impl, &probe_handlers, NULL);
    /* No breaker: this test is about the connection, not about the breaker's timing. */
    ferry_fake_opts fo = {.client = {.breaker = {.disabled = 1}, .connect_timeout_ms = 20000}};
    ferry_fake *fake = NULL;
    assert_int_equal(ferry_fake_start(&fake, &impl, 1, &fo), FERRY_OK);
    ferry_channel *ch = ferry_fake_channel(fake);
    assert_int_equal(echo_until_ok(ch, 0), FERRY_OK);

    ferry_fake_down(fake, 1000);
    assert_null(ferry_fake_server(fake));
    ferry_fake_down(fake, 1000); /* already down: nothing happens */

    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "anyone?";
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 2000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    /* Lookup declares an empty fallback; Echo has none. */
    assert_int_equal(ferrytest_v1_probe_lookup(ch, &req, &resp, &opts), FERRY_FALLBACK);
    assert_non_null(resp);
    assert_string_equal(resp->text, "");
    ferry_message_free(&resp->base);
    resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    assert_true(st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED);
    assert_null(resp);

    assert_int_equal(ferry_fake_up(fake), FERRY_OK);
    assert_int_equal(ferry_fake_up(fake), FERRY_OK); /* already up */
    assert_non_null(ferry_fake_server(fake));
    /* The same channel reconnects on its own; bounded generously. */
    assert_int_equal(echo_until_ok(ch, 20000), FERRY_OK);
    ferry_fake_stop(fake);
}

static void test_each_fake_has_its_own_address(void **state)
{
    (void)state;
    ferry_fake *a = NULL, *b = NULL;
    assert_int_equal(ferrytest_v1_probe_fake_start(&a, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_fake_start(&b, &probe_handlers, NULL), FERRY_OK);
    assert_string_not_equal(ferry_fake_url(a), ferry_fake_url(b));

    /* Other channels can use the address too. */
    ferry_channel *other = NULL;
    ferry_client_opts co = {.client_name = "other", .connect_timeout_ms = 20000};
    assert_int_equal(ferry_client_open(&other, ferry_fake_url(b), &co), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "hi";
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_echo(other, &req, &resp, &opts), FERRY_OK);
    assert_string_equal(resp->client_name, "other");
    ferry_message_free(&resp->base);
    ferry_channel_close(other);
    ferry_fake_stop(a);
    ferry_fake_stop(b);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    static char junk;
    ferry_fake *fake = (ferry_fake *)(void *)&junk; /* a failed start must clear it */
    ferry_service_impl impl;
    ferrytest_v1_probe_impl(&impl, &probe_handlers, NULL);
    assert_int_equal(ferry_fake_start(&fake, &impl, 0, NULL), FERRY_INVALID_ARGUMENT);
    assert_null(fake);
    assert_int_equal(ferry_fake_start(&fake, NULL, 1, NULL), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_fake_start(NULL, &impl, 1, NULL), FERRY_INVALID_ARGUMENT);
    /* Two impls of one service: the server refuses, nothing is left running. */
    ferry_service_impl twice[2] = {impl, impl};
    assert_int_equal(ferry_fake_start(&fake, twice, 2, NULL), FERRY_ALREADY_EXISTS);
    assert_null(fake);
    assert_int_equal(ferry_fake_up(NULL), FERRY_INVALID_ARGUMENT);
    assert_null(ferry_fake_channel(NULL));
    assert_null(ferry_fake_url(NULL));
    assert_null(ferry_fake_server(NULL));
    ferry_fake_down(NULL, 0);
    ferry_fake_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_go_through_the_whole_client_path),
        cmocka_unit_test(test_deadlines_and_limits_hold),
        cmocka_unit_test(test_down_and_up),
        cmocka_unit_test(test_each_fake_has_its_own_address),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
