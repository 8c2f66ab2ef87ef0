/* test_reply_header.c - what every reply header carries, as a peer written
 * from docs/wire.md reads it: a message that is valid UTF-8 whatever the
 * handler wrote, the call id of any request whose header decodes, and the
 * hosted service's API range on refusals that come before the method runs.
 * Requests are sent with a plain nng req0 socket, as such a peer would. */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/envelope.h"
#include "probe.h"

/* Sends a request frame with header `h` and body `body` to `url` and returns
 * the reply's header (free with ferry__wire__reply_header__free_unpacked). */
static Ferry__Wire__ReplyHeader *call_raw(const char *url, const Ferry__Wire__RequestHeader *h,
                                          const ProtobufCMessage *body)
{
    size_t n = ferryi_frame_size(&h->base, body, NULL);
    assert_true(n > 0);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    ferryi_frame_write(buf, n, FERRYI_KIND_REQUEST, &h->base, body);
    void *reply = NULL;
    size_t got = probe_raw_call(url, buf, n, &reply, 20000);
    free(buf);
    assert_non_null(reply);
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_frame_split(reply, got, FERRYI_KIND_REPLY, &f, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__ReplyHeader *rh = ferry__wire__reply_header__unpack(NULL, f.header_len, f.header);
    assert_non_null(rh);
    free(reply);
    return rh;
}

/* Whether `s` is valid UTF-8, by glibc's strict converter (a second
 * decoder, not ferry's). */
static int valid_utf8(const char *s)
{
    iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(s);
    char *in = (char *)s;
    size_t out_cap = 4 * (in_left + 1);
    char *out = malloc(out_cap);
    char *o = out;
    size_t out_left = out_cap;
    size_t rv = iconv(cd, &in, &in_left, &o, &out_left);
    iconv_close(cd);
    free(out);
    return rv != (size_t)-1 && in_left == 0;
}

/* A handler's message with bytes that are not UTF-8, and one cut in the
 * middle of a character by the message limit, reach the client as valid
 * UTF-8. */
static void test_message_always_utf8(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 1, NULL);
    char longer[400];
    memset(longer, 'a', sizeof longer);
    /* A three-byte character across the 255-byte cut. */
    memcpy(longer + 253, "\xe2\x82\xac", 3);
    longer[sizeof longer - 1] = '\0';
    const char *messages[] = {"bad \xff\xfe bytes \xc0\xaf end", longer, "\xed\xa0\x80 surrogate"};
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
        h.method = "ferrytest.v1.Probe/Echo";
        h.call_id = 5;
        Ferrytest__V1__EchoRequest body = FERRYTEST__V1__ECHO_REQUEST__INIT;
        body.fail_status = FERRY_NOT_FOUND;
        body.fail_message = (char *)messages[i];
        Ferry__Wire__ReplyHeader *rh = call_raw(l.bound, &h, &body.base);
        assert_int_equal(rh->status, FERRY_NOT_FOUND);
        assert_true(strlen(rh->message) > 0);
        assert_true(valid_utf8(rh->message));
        ferry__wire__reply_header__free_unpacked(rh, NULL);
    }
    probe_link_close(&l);
}

/* A header that decodes but names no method is refused with its call id. */
static void test_protocol_error_keeps_call_id(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 1, NULL);
    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = "no-slash-here";
    h.call_id = 77;
    Ferry__Wire__ReplyHeader *rh = call_raw(l.bound, &h, NULL);
    assert_int_equal(rh->status, FERRY_PROTOCOL_ERROR);
    assert_int_equal(rh->call_id, 77);
    ferry__wire__reply_header__free_unpacked(rh, NULL);
    probe_link_close(&l);
}

/* A request over the server's size limit, for a hosted service, is refused
 * with that service's range of API versions (the probe serves 1..3). */
static void test_oversize_refusal_carries_range(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server_opts o = {.workers = 1, .max_message = 1024};
    ferry_server *srv = probe_serve_opts(url, &o, bound, sizeof bound);
    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = "ferrytest.v1.Probe/Echo";
    h.call_id = 9;
    Ferrytest__V1__EchoRequest body = FERRYTEST__V1__ECHO_REQUEST__INIT;
    uint8_t payload[1024] = {0}; /* with the header, over the limit by less than nng's slack */
    body.payload.data = payload;
    body.payload.len = sizeof payload;
    Ferry__Wire__ReplyHeader *rh = call_raw(bound, &h, &body.base);
    assert_int_equal(rh->status, FERRY_RESOURCE_EXHAUSTED);
    assert_int_equal(rh->call_id, 9);
    assert_int_equal(rh->api_min, 1);
    assert_int_equal(rh->api_max, 3);
    ferry__wire__reply_header__free_unpacked(rh, NULL);
    ferry_server_free(srv);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_always_utf8),
        cmocka_unit_test(test_protocol_error_keeps_call_id),
        cmocka_unit_test(test_oversize_refusal_carries_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
