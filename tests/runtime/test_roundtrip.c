/* test_roundtrip.c - calls travel to a server and back over ipc and tcp with
 * their payload, metadata, client identity and deadline intact. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

static void roundtrip(const char *listen_url)
{
    char bound[256];
    ferry_server *srv = probe_serve(listen_url, 2, bound, sizeof bound);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.client_name = "roundtrip-test", .client_version = "9.8.7"};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);

    uint8_t payload[4096];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    char *keys[] = {"tenant", "absent"};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "héllo";
    req.payload.data = payload;
    req.payload.len = sizeof payload;
    req.md_keys = keys;
    req.n_md_keys = 2;
    ferry_metadata md[] = {{.key = "tenant", .value = (const uint8_t *)"acme", .len = 4}};
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .metadata = md, .n_metadata = 1, .info = &info};

    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_OK);
    assert_int_equal(info.status, FERRY_OK);
    assert_non_null(resp);
    assert_string_equal(resp->text, "héllo");
    assert_int_equal(resp->payload.len, sizeof payload);
    assert_memory_equal(resp->payload.data, payload, sizeof payload);
    assert_string_equal(resp->client_name, "roundtrip-test");
    assert_string_equal(resp->client_version, "9.8.7");
    assert_int_equal(resp->api_version, 3);
    assert_int_equal(resp->n_md_values, 2);
    assert_string_equal(resp->md_values[0], "acme");
    assert_string_equal(resp->md_values[1], "");
    /* The deadline travelled: the handler saw some, but no more than was set. */
    assert_true(resp->remaining_ms > 0 && resp->remaining_ms <= 20000);
    ferry_message_free(&resp->base);

    ferry_channel_close(ch);
    ferry_server_free(srv);
}

static void test_roundtrip_ipc(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    roundtrip(url);
    probe_url_free(url);
}

static void test_roundtrip_tcp(void **state)
{
    (void)state;
    roundtrip("tcp://127.0.0.1:0");
}

static void test_roundtrip_inproc(void **state)
{
    (void)state;
    roundtrip("inproc://ferry-roundtrip-test");
}

static void test_handler_status_and_message(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);

    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_NOT_FOUND;
    req.fail_message = "no sku 'x-1'";
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    Ferrytest__V1__EchoReply *resp = (void *)&req; /* must be reset to NULL */
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_NOT_FOUND);
    assert_null(resp);
    assert_int_equal(info.status, FERRY_NOT_FOUND);
    assert_string_equal(info.message, "no sku 'x-1'");

    /* FERRY_FALLBACK is the client's verdict: a handler returning it (or a
     * code outside the wire's range) has a bug, and its caller is told so. */
    req.fail_status = FERRY_FALLBACK;
    req.fail_message = "pretending";
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_INTERNAL);
    assert_null(resp);
    assert_non_null(strstr(info.message, "may not return: pretending"));
    req.fail_status = 9999;
    assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_INTERNAL);

    probe_link_close(&l);
}

/* ---- asynchronous calls ---- */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, ok;
    uint64_t seq_sum;
} waiter;

static void on_echo(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    waiter *w = arg;
    assert_int_equal(info->status, st);
    pthread_mutex_lock(&w->mu);
    if (st == FERRY_OK && resp != NULL && strcmp(resp->text, "async") == 0) {
        w->ok++;
        w->seq_sum += resp->seq;
    }
    w->done++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (resp != NULL)
        ferry_message_free(&resp->base);
}

static void test_async_many_in_flight(void **state)
{
    (void)state;
    enum { N = 200 };
    probe_link l;
    probe_link_open(&l, 4, NULL);

    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "async";
    req.sleep_ms = 5;
    ferry_call_opts opts = {.deadline_ms = 60000};
    uint64_t before = atomic_load(&probe_calls);
    for (int i = 0; i < N; i++)
        assert_int_equal(ferrytest_v1_probe_echo_async(l.ch, &req, &opts, on_echo, &w), FERRY_OK);
    pthread_mutex_lock(&w.mu);
    while (w.done < N)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.ok, N);
    /* Each handler run has its own sequence number: no call ran twice. */
    uint64_t expect = 0;
    for (uint64_t s = before + 1; s <= before + N; s++)
        expect += s;
    assert_int_equal(w.seq_sum, expect);

    probe_link_close(&l);
}

static void test_call_argument_checks(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "ipc:///nonexistent/ferry.sock", NULL), FERRY_OK);
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    /* A request of the wrong type is refused before anything is sent. */
    Ferrytest__V1__EchoReply wrong = FERRYTEST__V1__ECHO_REPLY__INIT;
    ProtobufCMessage *out = NULL;
    assert_int_equal(
        ferry_channel_call(ch, &ferrytest_v1_probe_desc.methods[0], &wrong.base, &out, &opts),
        FERRY_INVALID_ARGUMENT);
    assert_null(out);
    assert_non_null(strstr(info.message, "input type"));
    assert_int_equal(ferrytest_v1_probe_echo(ch, NULL, &resp, &opts), FERRY_INVALID_ARGUMENT);
    ferry_channel_close(ch);
    assert_int_equal(ferry_client_open(&ch, "nonsense://x", NULL), FERRY_INVALID_ARGUMENT);
    assert_null(ch);
    ferry_channel_close(NULL);
}

/* A call refused for its arguments says so in every field of the caller's
 * info and leaves no earlier call's violations in the caller's list, on
 * both kinds of call: the caller reads what this call did, not the last. */
static void test_refused_arguments_leave_nothing_stale(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "ipc:///nonexistent/ferry.sock", NULL), FERRY_OK);
    Ferrytest__V1__EchoReply wrong = FERRYTEST__V1__ECHO_REPLY__INIT;
    const ferry_method *echo = &ferrytest_v1_probe_desc.methods[0];
    ferry_violations v;
    memset(&v, 0, sizeof v);
    ferry_call_info info;
    memset(&info, 0xa5, sizeof info); /* an earlier call's leftovers */
    v.count = v.total = 2;
    ferry_call_opts opts = {.info = &info, .violations = &v};
    ProtobufCMessage *out = NULL;
    assert_int_equal(ferry_channel_call(ch, echo, &wrong.base, &out, &opts),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(v.count, 0);
    assert_int_equal(v.total, 0);
    assert_int_equal(info.status, FERRY_INVALID_ARGUMENT);
    assert_int_equal(info.attempts, 0);
    assert_int_equal(info.not_run, 0);

    v.count = v.total = 2;
    ferry_completion done = {.invoke = NULL};
    assert_int_equal(ferry_channel_call_async(ch, echo, &wrong.base, &opts, &done),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(info.status, FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "completion"));
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_ipc),
        cmocka_unit_test(test_roundtrip_tcp),
        cmocka_unit_test(test_roundtrip_inproc),
        cmocka_unit_test(test_handler_status_and_message),
        cmocka_unit_test(test_async_many_in_flight),
        cmocka_unit_test(test_call_argument_checks),
        cmocka_unit_test(test_refused_arguments_leave_nothing_stale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
