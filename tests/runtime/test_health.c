/* test_health.c - a server's health statuses (ferry/health.h) and the
 * health service answering them over ipc://, as a probe sees them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/health/v1/health.ferry.h"
#include "probe.h"

#define PROBE_SVC "ferrytest.v1.Probe"

typedef struct fixture {
    char *url;
    char bound[256];
    ferry_server *srv;
    ferry_channel *ch;
} fixture;

/* A probe server that hosts the health service (unless `with_health` is 0)
 * and a channel to it. */
static fixture *start(int with_health)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    f.url = probe_ipc_url();
    ferry_server_opts so = {.workers = 2, .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&f.srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(f.srv, &probe_handlers, NULL), FERRY_OK);
    if (with_health)
        assert_int_equal(ferry_server_add_health(f.srv), FERRY_OK);
    assert_int_equal(ferry_server_listen(f.srv, f.url, f.bound, sizeof f.bound), FERRY_OK);
    ferry_client_opts co = {.wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&f.ch, f.bound, &co), FERRY_OK);
    return &f;
}

static int setup(void **state)
{
    *state = start(1);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->ch);
    ferry_server_free(f->srv);
    probe_url_free(f->url);
    return 0;
}

/* Asks the health service about `service` ("" for the server) over the
 * wire; returns the call's status and the answer in *h. */
static ferry_status check(fixture *f, const char *service, int *h, ferry_call_info *info)
{
    Ferry__Health__V1__CheckRequest req = FERRY__HEALTH__V1__CHECK_REQUEST__INIT;
    req.service = (char *)service;
    Ferry__Health__V1__CheckReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = info};
    ferry_status st = ferry_health_v1_health_check(f->ch, &req, &resp, &opts);
    if (st == FERRY_OK) {
        *h = resp->status;
        ferry_message_free(&resp->base);
    }
    return st;
}

/* A server and each service it hosts start out serving. */
static void test_serving_from_the_start(void **state)
{
    fixture *f = *state;
    int h = 0;
    assert_int_equal(check(f, "", &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
    assert_int_equal(check(f, PROBE_SVC, &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
    assert_int_equal(check(f, "ferry.health.v1.Health", &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
}

/* A service set NOT_SERVING answers so; the server as a whole and the
 * other services stay serving; set back, it serves again. */
static void test_service_not_serving(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_set_health(f->srv, PROBE_SVC, FERRY_HEALTH_NOT_SERVING),
                     FERRY_OK);
    int h = 0;
    assert_int_equal(check(f, PROBE_SVC, &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__NOT_SERVING);
    assert_int_equal(check(f, "", &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
    assert_int_equal(check(f, "ferry.health.v1.Health", &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
    assert_int_equal(ferry_server_set_health(f->srv, PROBE_SVC, FERRY_HEALTH_SERVING), FERRY_OK);
    assert_int_equal(check(f, PROBE_SVC, &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
}

/* The server set NOT_SERVING takes every service with it. */
static void test_server_not_serving(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_set_health(f->srv, NULL, FERRY_HEALTH_NOT_SERVING), FERRY_OK);
    int h = 0;
    assert_int_equal(check(f, "", &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__NOT_SERVING);
    assert_int_equal(check(f, PROBE_SVC, &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__NOT_SERVING);
    assert_int_equal(ferry_server_set_health(f->srv, "", FERRY_HEALTH_SERVING), FERRY_OK);
    assert_int_equal(check(f, PROBE_SVC, &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
}

/* A service the server does not host: not found, with its name, over the
 * wire and from the API; and DRAINING is not the application's to set. */
static void test_unknown_service_and_bad_status(void **state)
{
    fixture *f = *state;
    int h = 0;
    ferry_call_info info;
    assert_int_equal(check(f, "nosuch.v1.Service", &h, &info), FERRY_NOT_FOUND);
    assert_non_null(strstr(info.message, "nosuch.v1.Service"));
    assert_int_equal(ferry_server_set_health(f->srv, "nosuch.v1.Service", FERRY_HEALTH_SERVING),
                     FERRY_NOT_FOUND);
    ferry_health got;
    assert_int_equal(ferry_server_get_health(f->srv, "nosuch.v1.Service", &got), FERRY_NOT_FOUND);
    assert_int_equal(ferry_server_set_health(f->srv, PROBE_SVC, FERRY_HEALTH_DRAINING),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_set_health(f->srv, PROBE_SVC, (ferry_health)0),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_set_health(NULL, NULL, FERRY_HEALTH_SERVING),
                     FERRY_INVALID_ARGUMENT);
}

/* The health service is added once, before the server listens. */
static void test_added_once_before_listening(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_add_health(f->srv), FERRY_FAILED_PRECONDITION);
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, NULL), FERRY_OK);
    assert_int_equal(ferry_server_add_health(srv), FERRY_OK);
    assert_int_equal(ferry_server_add_health(srv), FERRY_ALREADY_EXISTS);
    ferry_server_free(srv);
}

/* Once a shutdown begins, everything is DRAINING, whatever was set, and
 * the health service still answers so while a call finishes, although
 * other new calls are refused. */
static void test_draining_during_shutdown(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_set_health(f->srv, PROBE_SVC, FERRY_HEALTH_NOT_SERVING),
                     FERRY_OK);
    probe_gate_shut(); /* the slow call runs until the test has seen the drain */
    probe_bg_call slow;
    uint64_t before = atomic_load(&probe_calls);
    probe_bg_start(&slow, f->ch, PROBE_HELD, 60000);
    assert_true(probe_wait_calls(before + 1)); /* the slow call is running */
    probe_bg_shutdown shut;
    probe_bg_shutdown_start(&shut, f->srv, 20000);
    ferry_health got = FERRY_HEALTH_SERVING;
    for (int i = 0; i < 2000 && got != FERRY_HEALTH_DRAINING; i++) {
        probe_nap_ms(10);
        assert_int_equal(ferry_server_get_health(f->srv, "", &got), FERRY_OK);
    }
    assert_int_equal(got, FERRY_HEALTH_DRAINING);
    assert_int_equal(ferry_server_get_health(f->srv, PROBE_SVC, &got), FERRY_OK);
    assert_int_equal(got, FERRY_HEALTH_DRAINING);
    int h = 0;
    assert_int_equal(check(f, "", &h, NULL), FERRY_OK);
    assert_int_equal(h, FERRY__HEALTH__V1__SERVING_STATUS__DRAINING);
    ferry_call_info info;
    assert_int_equal(probe_echo(f->ch, 0, 20000, &info), FERRY_UNAVAILABLE);
    /* Refused unrun, by a server that answered: reached, not unreachable. */
    assert_true(info.not_run && info.answered && info.server_draining);
    probe_gate_open();
    assert_int_equal(probe_bg_join(&slow), FERRY_OK);
    probe_bg_shutdown_join(&shut);
}

/* A server that does not host the health service answers probes with
 * unimplemented: health is opt-in. */
static void test_off_by_default(void **state)
{
    (void)state;
    fixture *f = start(0);
    int h = 0;
    assert_int_equal(check(f, "", &h, NULL), FERRY_UNIMPLEMENTED);
    void *s = f;
    teardown(&s);
}

/* The names `ferry health` prints. */
static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(ferry_health_str(FERRY_HEALTH_SERVING), "serving");
    assert_string_equal(ferry_health_str(FERRY_HEALTH_NOT_SERVING), "not serving");
    assert_string_equal(ferry_health_str(FERRY_HEALTH_DRAINING), "draining");
    assert_string_equal(ferry_health_str((ferry_health)9), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serving_from_the_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_not_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_not_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_service_and_bad_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_added_once_before_listening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_draining_during_shutdown, setup, teardown),
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
