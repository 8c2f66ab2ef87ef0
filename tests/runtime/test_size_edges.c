/* test_size_edges.c - size limits at their exact edge: a frame of exactly
 * the limit passes and one byte more does not, for a request the server
 * reads, a request the client sends, and a reply the server sends back. The
 * refusals name the size they saw, which is how the test finds the payload
 * that makes a frame exactly the limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wire/envelope.h"
#include "probe.h"

#define LIMIT 4096u

/* The status of the reply frame `buf`, or -1 when it is not one. */
static int reply_status(const void *buf, size_t len)
{
    ferryi_frame f;
    char why[256];
    if (ferryi_frame_split(buf, len, FERRYI_KIND_REPLY, &f, why, sizeof why) != FERRY_OK)
        return -1;
    Ferry__Wire__ReplyHeader *h = ferry__wire__reply_header__unpack(NULL, f.header_len, f.header);
    if (h == NULL)
        return -1;
    int st = (int)h->status;
    ferry__wire__reply_header__free_unpacked(h, NULL);
    return st;
}

/* Sends a raw Echo request frame of exactly `size` bytes to `url` and
 * returns the status of the reply. */
static int raw_echo_of_size(const char *url, size_t size)
{
    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = "ferrytest.v1.Probe/Echo";
    h.api_version = 1;
    h.call_id = 1;
    h.deadline_ms = 20000;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    static uint8_t payload[2 * LIMIT];
    memset(payload, 'p', sizeof payload);
    req.payload.data = payload;
    /* The payload that makes the frame `size` bytes: its length prefix
     * grows with it, so step down until the frame fits exactly. */
    size_t p = size;
    size_t got = 0;
    do {
        req.payload.len = --p;
        got = ferryi_frame_size(&h.base, &req.base, NULL);
    } while (got > size);
    assert_int_equal(got, size);
    uint8_t *frame = malloc(size);
    assert_non_null(frame);
    ferryi_frame_write(frame, size, FERRYI_KIND_REQUEST, &h.base, &req.base);
    void *reply = NULL;
    size_t n = probe_raw_call(url, frame, size, &reply, 20000);
    free(frame);
    int st = reply_status(reply, n);
    free(reply);
    return st;
}

/* A request frame of exactly the server's max_message is served; one
 * byte more is refused as too large. */
static void test_server_request_edge(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve_opts(
        url,
        &(ferry_server_opts){.workers = 2, .max_message = LIMIT, .serve_roles_without_identity = 1},
        bound, sizeof bound);
    assert_int_equal(raw_echo_of_size(bound, LIMIT), FERRY_OK);
    assert_int_equal(raw_echo_of_size(bound, LIMIT + 1), FERRY_RESOURCE_EXHAUSTED);
    assert_int_equal(raw_echo_of_size(bound, LIMIT - 1), FERRY_OK);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* The size the refusal in `info` names ("request of N bytes", "reply of N
 * bytes"). */
static size_t size_named(const ferry_call_info *info, const char *what)
{
    const char *at = strstr(info->message, what);
    assert_non_null(at);
    return (size_t)strtoul(at + strlen(what), NULL, 10);
}

static ferry_status echo(ferry_channel *ch, size_t payload, uint32_t reply_bytes,
                         ferry_call_info *info)
{
    static uint8_t bytes[2 * LIMIT];
    memset(bytes, 'q', sizeof bytes);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.payload.data = bytes;
    req.payload.len = payload;
    req.reply_bytes = reply_bytes;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_status st = ferrytest_v1_probe_echo(
        ch, &req, &resp, &(ferry_call_opts){.deadline_ms = 20000, .info = info});
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    return st;
}

/* A client sends a request of exactly its max_message and refuses one a
 * byte larger without sending it; and a reply of exactly the client's
 * limit comes back while one a byte larger is refused by the server. */
static void test_client_request_and_reply_edges(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv =
        probe_serve_opts(url, &(ferry_server_opts){.workers = 2, .serve_roles_without_identity = 1},
                         bound, sizeof bound);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {.max_message = LIMIT, .wait_for_ready = 1};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);
    ferry_call_info info;

    /* Requests: learn the frame's overhead from a refusal, then go to the edge. */
    assert_int_equal(echo(ch, LIMIT, 0, &info), FERRY_RESOURCE_EXHAUSTED);
    size_t over = size_named(&info, "request of ") - LIMIT;
    assert_int_equal(echo(ch, LIMIT - over + 1, 0, &info), FERRY_RESOURCE_EXHAUSTED);
    assert_int_equal(size_named(&info, "request of "), LIMIT + 1);
    assert_non_null(strstr(info.message, "this client's limit of 4096 bytes"));
    assert_int_equal(echo(ch, LIMIT - over, 0, &info), FERRY_OK);

    /* Replies: the same from the server's refusal. */
    assert_int_equal(echo(ch, 0, LIMIT, &info), FERRY_RESOURCE_EXHAUSTED);
    over = size_named(&info, "reply of ") - LIMIT;
    assert_int_equal(echo(ch, 0, (uint32_t)(LIMIT - over + 1), &info), FERRY_RESOURCE_EXHAUSTED);
    assert_int_equal(size_named(&info, "reply of "), LIMIT + 1);
    assert_int_equal(echo(ch, 0, (uint32_t)(LIMIT - over), &info), FERRY_OK);

    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* A server with identity and a client of `proof` limited to LIMIT: every
 * reply size near the limit comes back, or is refused by the server as over
 * the client's limit, counting the reply's identity block; none is sent too
 * large for the client to read, which would drop the connection and leave
 * the call failing as unavailable after its handler ran. */
static void proved_reply_edges(ferry_proof proof, int pin)
{
    char dir[] = "/tmp/ferry-size-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char keyring[64];
    snprintf(keyring, sizeof keyring, "%s/keyring", dir);
    ferry_key *server_key = NULL, *client_key = NULL;
    assert_int_equal(ferry_key_generate(&server_key, "server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&client_key, "client"), FERRY_OK);
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(client_key, b64);
    FILE *fp = fopen(keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "client %s\n", b64);
    assert_int_equal(fclose(fp), 0);

    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 2}), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_set_identity(
                         srv, &(ferry_server_identity){.key = server_key, .keyring_path = keyring}),
                     FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, bound, sizeof bound), FERRY_OK);
    ferry_channel *ch = NULL;
    ferry_client_opts co = {
        .max_message = LIMIT,
        .wait_for_ready = 1,
        .identity = {.key = client_key, .proof = proof, .server_key = pin ? server_key : NULL}};
    assert_int_equal(ferry_client_open(&ch, bound, &co), FERRY_OK);

    unsigned ok = 0, refused = 0;
    for (uint32_t bytes = LIMIT - 400; bytes <= LIMIT; bytes++) {
        ferry_call_info info;
        ferry_status st = echo(ch, 0, bytes, &info);
        if (st == FERRY_OK) {
            ok++;
            continue;
        }
        if (st != FERRY_RESOURCE_EXHAUSTED)
            fail_msg("reply of %u payload bytes: %s: %s", bytes, ferry_status_str(st),
                     info.message);
        assert_non_null(strstr(info.message, "client's limit"));
        assert_true(size_named(&info, "reply of ") > LIMIT);
        refused++;
    }
    assert_true(ok > 0 && refused > 0);

    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
    ferry_key_free(server_key);
    ferry_key_free(client_key);
    unlink(keyring);
    rmdir(dir);
}

static void test_mac_reply_edges(void **state)
{
    (void)state;
    proved_reply_edges(FERRY_PROOF_MAC, 1);
}

static void test_signed_reply_edges(void **state)
{
    (void)state;
    proved_reply_edges(FERRY_PROOF_SIGNED, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_request_edge),
        cmocka_unit_test(test_client_request_and_reply_edges),
        cmocka_unit_test(test_mac_reply_edges),
        cmocka_unit_test(test_signed_reply_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
