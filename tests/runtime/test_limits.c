/* test_limits.c - size limits hold on both sides: an oversized request fails
 * at the client in at most one round trip, and never turns into nng's
 * reconnect-and-resend loop; an oversized reply becomes a clear error. */
#define _GNU_SOURCE /* POLLRDHUP */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/wire.pb-c.h"

#include "probe.h"

static ferry_server *serve_with_limit(const char *url, size_t max, char *bound, size_t len)
{
    return probe_serve_opts(url, &(ferry_server_opts){.workers = 2, .max_message = max}, bound,
                            len);
}

static ferry_status echo_bytes(ferry_channel *ch, size_t n, uint32_t reply_bytes,
                               ferry_call_info *info)
{
    uint8_t *payload = calloc(1, n ? n : 1);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.payload.data = payload;
    req.payload.len = n;
    req.reply_bytes = reply_bytes;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = info};
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &opts);
    if (resp != NULL)
        ferry_message_free(&resp->base);
    free(payload);
    return st;
}

/* Client and server agree on the limit: the client refuses locally. */
static void test_oversized_request_refused_locally(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = serve_with_limit(url, 64 * 1024, bound, sizeof bound);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.max_message = 64 * 1024};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);

    ferry_call_info info;
    assert_int_equal(echo_bytes(ch, 100 * 1024, 0, &info), FERRY_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(info.message, "exceeds this client's limit of 65536 bytes"));
    ferry_server_counters c;
    ferry_server_get_counters(srv, &c);
    assert_int_equal(c.received, 0); /* zero round trips */

    assert_int_equal(echo_bytes(ch, 1000, 0, &info), FERRY_OK);
    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* Calls a small Echo until one gets through (up to ~10 s): the channel
 * reconnects in the background after the server dropped its connection. */
static ferry_status small_call_gets_through(ferry_channel *ch, ferry_call_info *info)
{
    ferry_status st = FERRY_UNAVAILABLE;
    for (int i = 0; i < 200 && (st = echo_bytes(ch, 100, 0, info)) == FERRY_UNAVAILABLE; i++)
        probe_nap_ms(50);
    return st;
}

/* The server's limit is smaller than the client's: the first oversized call
 * fails in one round trip, nng does not resend it in a loop, and once the
 * client has heard the server's limit it refuses locally.
 *
 * No waiting for a loop to show itself: were the failed request still
 * queued in nng, its resend would go out first on every new connection and
 * the server would drop each of them, so a later small call could only get
 * through after many reconnects. The connections counted once a small call
 * has been answered tell a loop from none. */
static void test_oversized_request_no_resend_loop(void **state)
{
    (void)state;
    char bound[256];
    ferry_server *srv = serve_with_limit("tcp://127.0.0.1:0", 8 * 1024, bound, sizeof bound);
    ferry_channel *ch = NULL;
    /* Without ferry's own retries, to see what the transport does. */
    ferry_client_opts co = {.retry = {.max_attempts = 1}};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);

    ferry_call_info info;
    ferry_status st = echo_bytes(ch, 16 * 1024, 0, &info);
    assert_int_equal(st, FERRY_UNAVAILABLE); /* not a timeout */
    assert_non_null(strstr(info.message, "size limit"));
    assert_int_equal(info.attempts, 1);

    ferry_server_counters c;
    ferry_server_get_counters(srv, &c);
    assert_int_equal(c.received, 0);

    /* The client reconnects; a small call works and teaches it the limit. */
    assert_int_equal(small_call_gets_through(ch, &info), FERRY_OK);
    ferry_server_get_counters(srv, &c);
    assert_true(c.connections <= 3); /* the first, and at most two reconnects */
    assert_int_equal(echo_bytes(ch, 16 * 1024, 0, &info), FERRY_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(info.message, "the server's limit of 8192 bytes"));
    ferry_channel_close(ch);

    /* With the default retry policy the idempotent Echo is tried again a
     * bounded number of times, never in a loop. */
    ferry_server_get_counters(srv, &c);
    uint64_t conns = c.connections;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    assert_int_equal(echo_bytes(ch, 16 * 1024, 0, &info), FERRY_UNAVAILABLE);
    assert_true(info.attempts >= 1 && info.attempts <= 3);
    assert_int_equal(small_call_gets_through(ch, &info), FERRY_OK);
    ferry_server_get_counters(srv, &c);
    assert_true(c.connections - conns <= 2u * 3u + 1u);
    ferry_channel_close(ch);
    ferry_server_free(srv);
}

static void test_oversized_reply(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = serve_with_limit(url, 64 * 1024, bound, sizeof bound);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.max_message = 16 * 1024};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);
    ferry_call_info info;

    /* Larger than the client accepts: the server refuses to send it. */
    assert_int_equal(echo_bytes(ch, 0, 32 * 1024, &info), FERRY_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(info.message, "client's limit"));
    /* Larger than the server sends. */
    ferry_channel_close(ch);
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    assert_int_equal(echo_bytes(ch, 0, 100 * 1024, &info), FERRY_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(info.message, "server's limit"));
    /* The connection survived both. */
    assert_int_equal(echo_bytes(ch, 0, 1024, &info), FERRY_OK);

    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* A small request that would decode into a lot of memory (many empty
 * repeated strings) is refused before its handler runs. */
static void test_decoded_size_bounded(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server_opts o = {.workers = 2, .max_message = 128 * 1024, .max_call_memory = 128 * 1024};
    ferry_server *srv = probe_serve_opts(url, &o, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);

    size_t n = 40000; /* 80 KB on the wire, over 320 KB of pointers decoded */
    char **keys = calloc(n, sizeof *keys);
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = "";
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.md_keys = keys;
    req.n_md_keys = n;
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    uint64_t before = atomic_load(&probe_calls);
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(info.message, "bytes a call may use"));
    assert_int_equal(atomic_load(&probe_calls), before); /* the handler never ran */
    /* The server goes on serving. */
    assert_int_equal(echo_bytes(ch, 10, 0, &info), FERRY_OK);

    free(keys);
    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* max_call_memory is a byte budget: a call that needs less than the limit
 * to decode its request is served, whatever the sizes of the blocks the
 * server takes its memory in; one that needs more is refused. */
static void test_call_memory_is_a_byte_budget(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server_opts o = {.workers = 2, .max_message = 6000, .max_call_memory = 6000};
    ferry_server *srv = probe_serve_opts(url, &o, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    ferry_call_info info;
    /* About 5,000 bytes decoded: more than a call holds before it takes
     * memory from the heap, less than the budget. */
    assert_int_equal(echo_bytes(ch, 5000, 0, &info), FERRY_OK);
    /* 1,500 empty strings: 3,000 bytes on the wire, over 12,000 decoded. */
    size_t n = 1500;
    char **keys = calloc(n, sizeof *keys);
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = "";
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.md_keys = keys;
    req.n_md_keys = n;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &opts), FERRY_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(info.message, "bytes a call may use"));
    free(keys);
    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* Appends the varint `v` to `out` at *n; returns its length. */
static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        out[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        out[n] |= v != 0 ? 0x80 : 0;
        n++;
    } while (v != 0);
    return n;
}

/* Echo with a tree `levels` Tree messages deep (EchoRequest.tree being the
 * first), written as bytes: the client's own message would need as many
 * frames to pack it. */
static ferry_status echo_tree(ferry_channel *ch, size_t levels, Ferrytest__V1__EchoReply **resp,
                              ferry_call_info *info)
{
    size_t cap = levels * 6 + 16, len = 0;
    uint8_t *buf = malloc(cap), *tmp = malloc(cap);
    assert_non_null(buf);
    assert_non_null(tmp);
    for (size_t i = 1; i < levels; i++) { /* the child of the Tree one level up */
        size_t o = 0;
        tmp[o++] = 0x0a; /* Tree.child */
        o += put_varint(tmp + o, len);
        memcpy(tmp + o, buf, len);
        len += o;
        uint8_t *t = buf;
        buf = tmp;
        tmp = t;
    }
    /* EchoRequest.tree, its length prefix kept in the unknown field's data. */
    size_t o = put_varint(tmp, len);
    memcpy(tmp + o, buf, len);
    ProtobufCMessageUnknownField tree = {
        .tag = 8, .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, .len = o + len, .data = tmp};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.base.n_unknown_fields = 1;
    req.base.unknown_fields = &tree;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = info};
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, resp, &opts);
    free(buf);
    free(tmp);
    return st;
}

/* protobuf-c reads a nested message by calling itself, so a request of a
 * recursive type nested tens of thousands of levels (a few bytes each)
 * would overflow the server's stack: the server refuses one that nests more
 * than FERRY_PB_DEPTH_MAX (100) levels before reading it, runs one of
 * exactly 100, and goes on serving. */
static void test_nesting_bounded(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    ferry_call_info info;
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(echo_tree(l.ch, 100, &resp, &info), FERRY_OK);
    size_t depth = 0;
    for (const Ferrytest__V1__Tree *t = resp->tree; t != NULL; t = t->child)
        depth++;
    assert_int_equal(depth, 100); /* and the reply, as deep, is read too */
    ferry_message_free(&resp->base);
    uint64_t before = atomic_load(&probe_calls);
    const size_t deep[] = {101, 50000};
    for (size_t i = 0; i < 2; i++) {
        resp = NULL;
        assert_int_equal(echo_tree(l.ch, deep[i], &resp, &info), FERRY_INVALID_ARGUMENT);
        assert_null(resp);
        assert_non_null(strstr(info.message, "nests messages more than 100 levels deep"));
    }
    assert_int_equal(atomic_load(&probe_calls), before); /* no handler ran */
    assert_int_equal(echo_bytes(l.ch, 10, 0, &info), FERRY_OK);
    probe_link_close(&l);
}

/* A deadline beyond what nng can wait (2^31 ms and more) is a long deadline,
 * not an expired one. */
static void test_huge_deadline(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 2, NULL);
    uint32_t deadlines[] = {0x7fffffffu, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < sizeof deadlines / sizeof deadlines[0]; i++) {
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.text = "long";
        ferry_call_info info;
        ferry_call_opts opts = {.deadline_ms = deadlines[i], .info = &info};
        Ferrytest__V1__EchoReply *resp = NULL;
        assert_int_equal(ferrytest_v1_probe_echo(l.ch, &req, &resp, &opts), FERRY_OK);
        assert_true(resp->remaining_ms > 1000u * 3600u * 24u);
        ferry_message_free(&resp->base);
    }
    probe_link_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_request_refused_locally),
        cmocka_unit_test(test_oversized_request_no_resend_loop),
        cmocka_unit_test(test_oversized_reply),
        cmocka_unit_test(test_decoded_size_bounded),
        cmocka_unit_test(test_call_memory_is_a_byte_budget),
        cmocka_unit_test(test_nesting_bounded),
        cmocka_unit_test(test_huge_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
