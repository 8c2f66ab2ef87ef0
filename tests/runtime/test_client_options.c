/* test_client_options.c - what a remote channel refuses before anything
 * goes out: identity options that cannot prove a request, URLs it cannot
 * dial, TLS options on a URL that would carry them in the clear, and call
 * metadata over its limits; and an asynchronous call the breaker turns
 * away, which gets its fallback at once. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"

typedef struct keys {
    char dir[64], pub_path[128];
    ferry_key *client, *server, *client_public;
} keys;

static int setup(void **state)
{
    keys *k = calloc(1, sizeof *k);
    assert_non_null(k);
    snprintf(k->dir, sizeof k->dir, "/tmp/ferry-clientopts-XXXXXX");
    assert_non_null(mkdtemp(k->dir));
    assert_int_equal(ferry_key_generate(&k->client, "client"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&k->server, "server"), FERRY_OK);
    char sec[128];
    snprintf(sec, sizeof sec, "%s/client.key", k->dir);
    snprintf(k->pub_path, sizeof k->pub_path, "%s/client.pub", k->dir);
    assert_int_equal(ferry_key_write(k->client, sec, k->pub_path), FERRY_OK);
    assert_int_equal(ferry_key_load_public(&k->client_public, k->pub_path), FERRY_OK);
    unlink(sec);
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    keys *k = *state;
    ferry_key_free(k->client);
    ferry_key_free(k->server);
    ferry_key_free(k->client_public);
    unlink(k->pub_path);
    rmdir(k->dir);
    free(k);
    return 0;
}

/* Opens a channel to a URL nothing listens on with identity `id`. */
static ferry_status open_with(const ferry_client_identity *id)
{
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.identity = *id};
    ferry_status st = ferry_client_open(&ch, "ipc:///tmp/ferry-clientopts-nothing", &co);
    ferry_channel_close(ch);
    return st;
}

/* Identity options that could not prove a request are refused at the open:
 * a proof or a pinned server key without a key of the client's own, a key
 * without its secret half, a scheme ferry does not know, and a MAC without
 * the server's key to derive it from. The usable ones open. */
static void test_identity_options_refused(void **state)
{
    keys *k = *state;
    assert_int_equal(open_with(&(ferry_client_identity){.proof = FERRY_PROOF_SIGNED}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(open_with(&(ferry_client_identity){.server_key = k->server}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(open_with(&(ferry_client_identity){.key = k->client_public}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(open_with(&(ferry_client_identity){.key = k->client, .proof = (ferry_proof)9}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(
        open_with(&(ferry_client_identity){.key = k->client, .proof = FERRY_PROOF_MAC}),
        FERRY_INVALID_ARGUMENT);

    assert_int_equal(open_with(&(ferry_client_identity){0}), FERRY_OK);
    assert_int_equal(open_with(&(ferry_client_identity){.key = k->client}), FERRY_OK);
    assert_int_equal(open_with(&(ferry_client_identity){
                         .key = k->client, .proof = FERRY_PROOF_MAC, .server_key = k->server}),
                     FERRY_OK);
}

/* A pinned server key that is not a usable Ed25519 public key (here the
 * identity point, of small order) is refused at the open: no MAC keys can
 * be derived from it, and no reply could be checked against it. */
static void test_server_key_not_a_point_refused(void **state)
{
    keys *k = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/null.pub", k->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("ferry-public-key-v1 null AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", fp);
    assert_int_equal(fclose(fp), 0);
    ferry_key *null_key = NULL;
    assert_int_equal(ferry_key_load_public(&null_key, path), FERRY_OK);
    assert_int_equal(open_with(&(ferry_client_identity){
                         .key = k->client, .proof = FERRY_PROOF_MAC, .server_key = null_key}),
                     FERRY_INVALID_ARGUMENT);
    ferry_key_free(null_key);
    unlink(path);
}

/* A channel needs somewhere to put itself and a URL it can dial: no out
 * pointer, no URL, a URL too long to keep, and a transport nng does not
 * know are each refused. */
static void test_urls_refused(void **state)
{
    (void)state;
    assert_int_equal(ferry_client_open(NULL, "ipc:///tmp/x", NULL), FERRY_INVALID_ARGUMENT);
    ferry_channel *ch = (ferry_channel *)&ch;
    assert_int_equal(ferry_client_open(&ch, NULL, NULL), FERRY_INVALID_ARGUMENT);
    assert_null(ch); /* cleared on failure */
    char url[2048];
    memset(url, 'a', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    memcpy(url, "ipc:///", 7);
    assert_int_equal(ferry_client_open(&ch, url, NULL), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_client_open(&ch, "carrier-pigeon://loft", NULL), FERRY_INVALID_ARGUMENT);
    assert_null(ch);
}

/* TLS options with a URL that is not tls+tcp:// are refused rather than
 * ignored: the caller asked for TLS, and the calls would go in the clear. */
/* A size limit past the transport's is refused when the channel opens,
 * naming the option: SIZE_MAX (as "no limit") once wrapped to a 63-byte
 * limit at which every reply dropped the connection. The limit itself, and
 * 0 for the default, are taken; so for a balancing channel. */
static void test_max_message_range(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    static const char *const urls[] = {"ipc:///tmp/ferry-nowhere.sock",
                                       "ipc:///tmp/ferry-nowhere.sock,ipc:///tmp/ferry-b.sock"};
    for (int k = 0; k < 2; k++) {
        ferry_client_opts o = {.max_message = SIZE_MAX};
        assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_INVALID_ARGUMENT);
        assert_null(ch);
        assert_non_null(strstr(ferry_last_error(), "ferry_client_opts.max_message"));
        o.max_message = (size_t)FERRY_MAX_MESSAGE_LIMIT + 1;
        assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_INVALID_ARGUMENT);
        o.max_message = FERRY_MAX_MESSAGE_LIMIT;
        assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_OK);
        ferry_channel_close(ch);
        o.max_message = 0;
        assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_OK);
        ferry_channel_close(ch);
    }
}

/* A breaker's failure_ratio is a share: 50 (meant as 50%) or a NaN is
 * refused naming the option, where it was taken as the default before; 1
 * and 0 (the default) are taken. A negative retry budget is refused too. */
static void test_ratio_range(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    static const char *const urls[] = {"ipc:///tmp/ferry-nowhere.sock",
                                       "ipc:///tmp/ferry-nowhere.sock,ipc:///tmp/ferry-b.sock"};
    const double bad[] = {50.0, 1.0000001, -0.5, NAN};
    for (int k = 0; k < 2; k++) {
        ferry_client_opts o = {0};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            o.breaker.failure_ratio = bad[i];
            assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_INVALID_ARGUMENT);
            assert_null(ch);
            assert_non_null(strstr(ferry_last_error(), "breaker.failure_ratio"));
        }
        o.breaker.failure_ratio = 1.0;
        assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_OK);
        ferry_channel_close(ch);
        o.breaker.failure_ratio = 0.0;
        o.retry.budget_ratio = -1.0;
        assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_INVALID_ARGUMENT);
        assert_non_null(strstr(ferry_last_error(), "retry.budget_ratio"));
        o.retry.budget_ratio = 0.0;
        assert_int_equal(ferry_client_open(&ch, urls[k], &o), FERRY_OK);
        ferry_channel_close(ch);
    }
}

static void test_tls_options_on_plain_url_refused(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.tls = {.server_name = "example.test"}};
    assert_int_equal(ferry_client_open(&ch, "tcp://127.0.0.1:1", &co), FERRY_INVALID_ARGUMENT);
    assert_null(ch);
}

/* Calls Echo with `md` on a channel with options `co` (NULL: anonymous)
 * to a URL nothing listens on. */
static ferry_status call_as(const ferry_client_opts *co, const ferry_metadata *md, size_t n,
                            ferry_call_info *info)
{
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "ipc:///tmp/ferry-clientopts-nothing", co), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts o = {.deadline_ms = 50, .metadata = md, .n_metadata = n, .info = info};
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &o);
    assert_null(resp);
    ferry_channel_close(ch);
    return st;
}

static ferry_status call_with(const ferry_metadata *md, size_t n, ferry_call_info *info)
{
    return call_as(NULL, md, n, info);
}

/* Metadata the wire could not carry is refused before the call is sent,
 * each with its reason: more than 64 entries, an entry without a key, an
 * entry whose value has a length but no bytes, and entries that make the
 * request header larger than its limit. */
static void test_metadata_limits(void **state)
{
    (void)state;
    static ferry_metadata md[65];
    static uint8_t big[8192];
    ferry_call_info info;
    for (size_t i = 0; i < 65; i++)
        md[i] = (ferry_metadata){.key = "k", .value = (const uint8_t *)"v", .len = 1};
    assert_int_equal(call_with(md, 65, &info), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "65 metadata entries; the limit is 64");

    md[3].key = NULL;
    assert_int_equal(call_with(md, 4, &info), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "metadata entry 3 has no key or value");
    md[3] = (ferry_metadata){.key = "k", .value = NULL, .len = 2};
    assert_int_equal(call_with(md, 4, &info), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "metadata entry 3 has no key or value");

    for (size_t i = 0; i < 64; i++)
        md[i] = (ferry_metadata){.key = "k", .value = big, .len = sizeof big};
    assert_int_equal(call_with(md, 64, &info), FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "(its metadata) exceeds"));
}

/* The identity block counts toward the header's limit: metadata that
 * leaves an anonymous request just under it is refused with the block
 * added, before anything goes out. */
static void test_metadata_limit_counts_identity(void **state)
{
    keys *k = *state;
    static uint8_t big[65536];
    ferry_metadata md = {.key = "k", .value = big};
    ferry_call_info info;
    /* The longest value an anonymous request's header still carries. */
    size_t fits = 60000, too_long = sizeof big;
    while (fits + 1 < too_long) {
        md.len = (fits + too_long) / 2;
        if (call_with(&md, 1, &info) == FERRY_INVALID_ARGUMENT)
            too_long = md.len;
        else
            fits = md.len;
    }
    md.len = fits;
    ferry_client_opts co = {
        .identity = {.key = k->client, .server_key = k->server, .proof = FERRY_PROOF_MAC}};
    assert_int_equal(call_as(&co, &md, 1, &info), FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "(its metadata) exceeds"));
}

typedef struct async_result {
    int calls;
    ferry_status st;
    int empty;
    char message[FERRY_MESSAGE_MAX];
} async_result;

static void lookup_done(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                        const ferry_call_info *info)
{
    async_result *r = arg;
    r->calls++;
    r->st = st;
    r->empty = resp != NULL && resp->text[0] == '\0' && resp->payload.len == 0;
    snprintf(r->message, sizeof r->message, "%s", info->message);
    ferry_message_free(resp != NULL ? &resp->base : NULL);
}

/* An asynchronous call of a method with a fallback, turned away by an open
 * breaker, is completed at once, before the call returns, with the
 * fallback and the breaker's reason; the server never sees it. */
static void test_async_call_turned_away_gets_its_fallback(void **state)
{
    (void)state;
    ferry_client_opts co = {.retry = {.max_attempts = 1},
                            .breaker = {.window = 2, .min_calls = 2, .open_ms = 60000}};
    probe_link l;
    probe_link_open(&l, 2, &co);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.fail_status = FERRY_UNAVAILABLE;
    for (int i = 0; i < 2; i++) {
        Ferrytest__V1__EchoReply *resp = NULL;
        assert_int_equal(
            ferrytest_v1_probe_lookup(l.ch, &req, &resp, &(ferry_call_opts){.deadline_ms = 20000}),
            FERRY_FALLBACK);
        ferry_message_free(resp != NULL ? &resp->base : NULL);
    }
    ferry_breaker_stats b;
    assert_int_equal(
        ferry_client_breaker(l.ch, &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_LOOKUP], &b),
        FERRY_OK);
    assert_int_equal(b.state, FERRY_BREAKER_OPEN);

    uint64_t before = atomic_load(&probe_calls);
    async_result r = {0};
    req.fail_status = 0;
    assert_int_equal(ferrytest_v1_probe_lookup_async(l.ch, &req, NULL, lookup_done, &r), FERRY_OK);
    assert_int_equal(r.calls, 1); /* already completed */
    assert_int_equal(r.st, FERRY_FALLBACK);
    assert_true(r.empty);
    assert_non_null(strstr(r.message, "circuit breaker open"));
    assert_int_equal(atomic_load(&probe_calls), before);
    probe_link_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity_options_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_key_not_a_point_refused, setup, teardown),
        cmocka_unit_test(test_urls_refused),
        cmocka_unit_test(test_tls_options_on_plain_url_refused),
        cmocka_unit_test(test_max_message_range),
        cmocka_unit_test(test_ratio_range),
        cmocka_unit_test(test_metadata_limits),
        cmocka_unit_test_setup_teardown(test_metadata_limit_counts_identity, setup, teardown),
        cmocka_unit_test(test_async_call_turned_away_gets_its_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
