/* test_errors.c - a server answers unknown methods, missing handlers and
 * malformed frames or bodies with a clear status, and keeps serving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/wire.pb-c.h"
#include "probe.h"

static int setup(void **state)
{
    probe_link *f = calloc(1, sizeof *f);
    probe_link_open(f, 2, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    probe_link *f = *state;
    probe_link_close(f);
    free(f);
    return 0;
}

/* The server still answers a good call. */
static void assert_still_serving(probe_link *f)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "still here";
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_echo(f->ch, &req, &resp, NULL), FERRY_OK);
    assert_string_equal(resp->text, "still here");
    ferry_message_free(&resp->base);
}

static void test_unknown_method(void **state)
{
    probe_link *f = *state;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_ghost_haunt(f->ch, &req, &resp, &opts), FERRY_UNIMPLEMENTED);
    assert_null(resp);
    assert_non_null(strstr(info.message, "ferrytest.v1.Ghost/Haunt"));
    assert_still_serving(f);
}

static void test_missing_handler(void **state)
{
    probe_link *f = *state;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_probe_missing(f->ch, &req, &resp, &opts), FERRY_UNIMPLEMENTED);
    assert_non_null(strstr(info.message, "ferrytest.v1.Probe/Missing"));
    assert_still_serving(f);
}

/* Sends raw bytes and returns the reply's status, or -1 for no reply. */
static int raw_status(probe_link *f, const void *buf, size_t len, char *msg, size_t msg_len)
{
    void *reply = NULL;
    size_t n = probe_raw_call(f->bound, buf, len, &reply, 10000);
    if (reply == NULL)
        return -1;
    assert_true(n >= 8);
    const uint8_t *r = reply;
    assert_int_equal(r[0], 'F');
    assert_int_equal(r[1], 'Y');
    assert_int_equal(r[3], 2); /* a reply */
    size_t hlen = (size_t)r[4] << 24 | (size_t)r[5] << 16 | (size_t)r[6] << 8 | r[7];
    assert_true(8 + hlen <= n);
    Ferry__Wire__ReplyHeader *h = ferry__wire__reply_header__unpack(NULL, hlen, r + 8);
    assert_non_null(h);
    int st = (int)h->status;
    snprintf(msg, msg_len, "%s", h->message);
    ferry__wire__reply_header__free_unpacked(h, NULL);
    free(reply);
    return st;
}

static void test_malformed_frames(void **state)
{
    probe_link *f = *state;
    char msg[FERRY_MESSAGE_MAX];

    assert_int_equal(raw_status(f, "hello", 5, msg, sizeof msg), FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(msg, "shorter"));

    assert_int_equal(raw_status(f, "GET / HTTP/1.1\r\n", 16, msg, sizeof msg),
                     FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(msg, "magic"));

    const uint8_t wrong_version[] = {'F', 'Y', 9, 1, 0, 0, 0, 0};
    assert_int_equal(raw_status(f, wrong_version, sizeof wrong_version, msg, sizeof msg),
                     FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(msg, "version 9"));

    const uint8_t a_reply[] = {'F', 'Y', 1, 2, 0, 0, 0, 0};
    assert_int_equal(raw_status(f, a_reply, sizeof a_reply, msg, sizeof msg), FERRY_PROTOCOL_ERROR);

    const uint8_t long_header[] = {'F', 'Y', 1, 1, 0xff, 0xff, 0xff, 0xff, 1, 2};
    assert_int_equal(raw_status(f, long_header, sizeof long_header, msg, sizeof msg),
                     FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(msg, "past the end"));

    /* A header over the limit is refused before it is decoded. */
    size_t big_len = 8 + 70000;
    uint8_t *big = calloc(1, big_len);
    assert_non_null(big);
    memcpy(big, (const uint8_t[]){'F', 'Y', 1, 1, 0, 0x01, 0x11, 0x70}, 8);
    assert_int_equal(raw_status(f, big, big_len, msg, sizeof msg), FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(msg, "exceeds the limit of 65536"));
    free(big);

    /* A header that is not protobuf. */
    const uint8_t junk_header[] = {'F', 'Y', 1, 1, 0, 0, 0, 3, 0xff, 0xff, 0xff};
    assert_int_equal(raw_status(f, junk_header, sizeof junk_header, msg, sizeof msg),
                     FERRY_PROTOCOL_ERROR);

    /* A valid header without a method. */
    const uint8_t no_method[] = {'F', 'Y', 1, 1, 0, 0, 0, 0};
    assert_int_equal(raw_status(f, no_method, sizeof no_method, msg, sizeof msg),
                     FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(msg, "method"));

    assert_still_serving(f);
}

/* Builds a frame of a valid Echo header and the given body bytes. */
static size_t echo_frame(uint8_t *buf, size_t cap, const uint8_t *body, size_t body_len)
{
    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = "ferrytest.v1.Probe/Echo";
    h.call_id = 77;
    size_t hlen = ferry__wire__request_header__get_packed_size(&h);
    assert_true(8 + hlen + body_len <= cap);
    buf[0] = 'F';
    buf[1] = 'Y';
    buf[2] = 1;
    buf[3] = 1;
    buf[4] = buf[5] = buf[6] = 0;
    buf[7] = (uint8_t)hlen;
    ferry__wire__request_header__pack(&h, buf + 8);
    if (body_len > 0)
        memcpy(buf + 8 + hlen, body, body_len);
    return 8 + hlen + body_len;
}

static void test_malformed_body(void **state)
{
    probe_link *f = *state;
    char msg[FERRY_MESSAGE_MAX];
    uint8_t buf[256];
    uint64_t before = atomic_load(&probe_calls);

    /* Field 1 (text) claims 100 bytes and has 2. */
    const uint8_t truncated[] = {0x0a, 100, 'h', 'i'};
    size_t n = echo_frame(buf, sizeof buf, truncated, sizeof truncated);
    assert_int_equal(raw_status(f, buf, n, msg, sizeof msg), FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(msg, "ferrytest.v1.EchoRequest"));

    /* A wire type protobuf does not have. */
    const uint8_t bad_wire_type[] = {0x0f, 0x01};
    n = echo_frame(buf, sizeof buf, bad_wire_type, sizeof bad_wire_type);
    assert_int_equal(raw_status(f, buf, n, msg, sizeof msg), FERRY_INVALID_ARGUMENT);

    /* The handler never ran for either. */
    assert_int_equal(atomic_load(&probe_calls), before);

    /* An empty body is a valid all-defaults request. */
    n = echo_frame(buf, sizeof buf, NULL, 0);
    assert_int_equal(raw_status(f, buf, n, msg, sizeof msg), FERRY_OK);
    assert_still_serving(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_body, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
