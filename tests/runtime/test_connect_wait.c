/* test_connect_wait.c - a call on a channel that has never connected waits
 * for a connection once, whatever its retry policy, and its message says how
 * long it waited; then its fallback answers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

/* A channel to an address nobody serves, with the default retry policy
 * (three attempts for idempotent methods). */
static ferry_channel *open_nowhere(char **url, uint32_t connect_timeout_ms)
{
    *url = probe_ipc_url();
    ferry_client_opts co = {.connect_timeout_ms = connect_timeout_ms};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, *url, &co), FERRY_OK);
    return ch;
}

static void expect_message(const ferry_call_info *info, const char *url, const char *within)
{
    char want[400];
    snprintf(want, sizeof want, "no connection to %s %s", url, within);
    if (strstr(info->message, want) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", info->message, want);
}

/* Before the fix each of the three attempts waited the connect timeout, and
 * the message named one of them. */
static void test_idempotent_call_waits_once(void **state)
{
    (void)state;
    char *url = NULL;
    ferry_channel *ch = open_nowhere(&url, 300);
    ferry_call_info info;
    assert_int_equal(probe_echo(ch, 0, 20000, &info), FERRY_UNAVAILABLE);
    assert_int_equal(info.attempts, 1);
    expect_message(&info, url, "within 300 ms");
    ferry_channel_close(ch);
    probe_url_free(url);
}

/* The fallback answers after the one wait, and says what it answers for. */
static void test_fallback_after_one_wait(void **state)
{
    (void)state;
    char *url = NULL;
    ferry_channel *ch = open_nowhere(&url, 300);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_lookup(ch, &req, &resp, &opts), FERRY_FALLBACK);
    assert_non_null(resp);
    ferry_message_free(&resp->base);
    assert_int_equal(info.attempts, 1);
    assert_non_null(strstr(info.message, "fallback after unavailable"));
    expect_message(&info, url, "within 300 ms");
    ferry_channel_close(ch);
    probe_url_free(url);
}

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    ferry_call_info info;
} waiter;

static void on_echo(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    waiter *w = arg;
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->info = *info;
    w->done = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* The asynchronous path shares the rule. */
static void test_async_call_waits_once(void **state)
{
    (void)state;
    char *url = NULL;
    ferry_channel *ch = open_nowhere(&url, 300);
    waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_echo_async(ch, &req, &opts, on_echo, &w), FERRY_OK);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(w.st, FERRY_UNAVAILABLE);
    assert_int_equal(w.info.attempts, 1);
    expect_message(&w.info, url, "within 300 ms");
    ferry_channel_close(ch);
    probe_url_free(url);
}

/* A deadline shorter than the connect timeout bounds the wait, and the
 * message names the wait there was. */
static void test_deadline_bounds_the_wait(void **state)
{
    (void)state;
    char *url = NULL;
    ferry_channel *ch = open_nowhere(&url, 60000);
    ferry_call_info info;
    ferry_status st = probe_echo(ch, 0, 200, &info);
    assert_true(st == FERRY_UNAVAILABLE || st == FERRY_DEADLINE_EXCEEDED);
    assert_int_equal(info.attempts, 1);
    expect_message(&info, url, "within the call's 200 ms deadline");
    ferry_channel_close(ch);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotent_call_waits_once),
        cmocka_unit_test(test_fallback_after_one_wait),
        cmocka_unit_test(test_async_call_waits_once),
        cmocka_unit_test(test_deadline_bounds_the_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
