/* test_request_limit.c - once a channel has heard the server's max_request,
 * a request over it, by far more than the room nng keeps above the limit, is
 * refused locally with resource exhausted and both sizes, and never sent:
 * sent, it would only reach the caller as a reset connection. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"

#define SERVER_MAX (64u * 1024u)
#define OVER       (256u * 1024u) /* far past the server's limit and nng's room */

typedef struct limited {
    char *url;
    char bound[256];
    char dir[64], keyring[96];
    ferry_key *server, *alice;
    ferry_server *srv;
    ferry_channel *ch;
} limited;

/* A server with a small limit (and identity, as servers of methods with
 * roles have) and a channel that allows far more, proving its requests with
 * `proof`, which has made one call and so heard the server's limit. */
static void open_limited(limited *l, ferry_proof proof)
{
    memset(l, 0, sizeof *l);
    snprintf(l->dir, sizeof l->dir, "/tmp/ferry-limit-XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    snprintf(l->keyring, sizeof l->keyring, "%s/keyring", l->dir);
    assert_int_equal(ferry_key_generate(&l->server, "probe-server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&l->alice, "alice"), FERRY_OK);
    char a[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(l->alice, a);
    FILE *fp = fopen(l->keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "alice %s\n", a);
    assert_int_equal(fclose(fp), 0);

    l->url = probe_ipc_url();
    assert_int_equal(
        ferry_server_new(&l->srv, &(ferry_server_opts){.workers = 2, .max_message = SERVER_MAX}),
        FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(l->srv, &probe_handlers, NULL), FERRY_OK);
    ferry_server_identity sid = {.key = l->server, .keyring_path = l->keyring};
    assert_int_equal(ferry_server_set_identity(l->srv, &sid), FERRY_OK);
    assert_int_equal(ferry_server_listen(l->srv, l->url, l->bound, sizeof l->bound), FERRY_OK);
    ferry_client_opts co = {.max_message = 16u * 1024u * 1024u,
                            .identity = {.key = l->alice, .proof = proof, .server_key = l->server}};
    assert_int_equal(ferry_client_open(&l->ch, l->bound, &co), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(l->ch, "small", &info), FERRY_OK);
}

static void close_limited(limited *l)
{
    ferry_channel_close(l->ch);
    ferry_server_free(l->srv);
    probe_url_free(l->url);
    ferry_key_free(l->server);
    ferry_key_free(l->alice);
    unlink(l->keyring);
    rmdir(l->dir);
}

static Ferrytest__V1__EchoRequest big_request(uint8_t **payload)
{
    *payload = calloc(1, OVER);
    assert_non_null(*payload);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.payload.data = *payload;
    req.payload.len = OVER;
    return req;
}

/* The message names the request's size and the server's limit. */
static void expect_refused(const ferry_call_info *info, ferry_status st)
{
    assert_int_equal(st, FERRY_RESOURCE_EXHAUSTED);
    char limit[64];
    snprintf(limit, sizeof limit, "exceeds the server's limit of %u bytes", SERVER_MAX);
    if (strstr(info->message, limit) == NULL || strstr(info->message, "request of ") == NULL)
        fail_msg("message \"%s\" does not name both sizes", info->message);
    unsigned long size = strtoul(info->message + strlen("request of "), NULL, 10);
    assert_true(size > OVER);
}

static void expect_not_sent(limited *l, uint64_t received_before)
{
    ferry_server_counters c;
    ferry_server_get_counters(l->srv, &c);
    assert_int_equal(c.received, received_before);
}

static uint64_t received(limited *l)
{
    ferry_server_counters c;
    ferry_server_get_counters(l->srv, &c);
    return c.received;
}

static void test_sync_call_refused_locally(void **state)
{
    (void)state;
    limited l;
    open_limited(&l, FERRY_PROOF_SIGNED);
    uint64_t before = received(&l);
    uint8_t *payload = NULL;
    Ferrytest__V1__EchoRequest req = big_request(&payload);
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    expect_refused(&info, ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts));
    assert_null(resp);
    assert_int_equal(info.attempts, 0);
    expect_not_sent(&l, before);
    /* The channel is still healthy: nothing was sent to reset it. */
    assert_int_equal(probe_echo_text(l.ch, "after", &info), FERRY_OK);
    free(payload);
    close_limited(&l);
}

static void on_echo(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    (void)st;
    (void)resp;
    (void)info;
    *(int *)arg = 1; /* must not happen: a refused call has no completion */
}

static void test_async_call_refused_locally(void **state)
{
    (void)state;
    limited l;
    open_limited(&l, FERRY_PROOF_SIGNED);
    uint64_t before = received(&l);
    uint8_t *payload = NULL;
    Ferrytest__V1__EchoRequest req = big_request(&payload);
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    int completed = 0;
    expect_refused(&info, ferrytest_v1_probe_echo_async(l.ch, &req, &opts, on_echo, &completed));
    assert_int_equal(completed, 0);
    expect_not_sent(&l, before);
    free(payload);
    close_limited(&l);
}

/* With a mac proof the request is proved before its size is known; the
 * check still comes before anything is sent. */
static void test_mac_call_refused_locally(void **state)
{
    (void)state;
    limited l;
    open_limited(&l, FERRY_PROOF_MAC);
    uint64_t before = received(&l);
    uint8_t *payload = NULL;
    Ferrytest__V1__EchoRequest req = big_request(&payload);
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    expect_refused(&info, ferrytest_v1_probe_write(l.ch, &req, &resp, &opts));
    expect_not_sent(&l, before);
    free(payload);
    close_limited(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_call_refused_locally),
        cmocka_unit_test(test_async_call_refused_locally),
        cmocka_unit_test(test_mac_call_refused_locally),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
