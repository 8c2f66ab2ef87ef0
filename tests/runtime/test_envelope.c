/* test_envelope.c - ferry's frames match the golden byte vectors of
 * docs/wire.md, and the frame reader refuses every malformed prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/envelope.h"
#include "ferrytest/v1/probe.pb-c.h"

/* docs/wire.md, "Vector 1: a request". */
static const uint8_t request_vector[] = {
    0x46, 0x59, 0x01, 0x01, 0x00, 0x00, 0x00, 0x36, /* "FY", v1, request, H=54 */
    0x0a, 0x17, 'f',  'e',  'r',  'r',  'y',  't',  'e', 's', 't', '.', /* method */
    'v',  '1',  '.',  'P',  'r',  'o',  'b',  'e',  '/', 'E', 'c', 'h',
    'o',  0x10, 0x03,                                              /* api_version 3 */
    0x1a, 0x04, 's',  'h',  'o',  'p',                             /* client_name */
    0x22, 0x03, '1',  '.',  '0',                                   /* client_version */
    0x28, 0x2a,                                                    /* call_id 42 */
    0x30, 0xe8, 0x07,                                              /* deadline_ms 1000 */
    0x3a, 0x09, 0x0a, 0x01, 'k',  0x12, 0x04, 'a',  'c', 'm', 'e', /* metadata k=acme */
    0x0a, 0x02, 'h',  'i',                                         /* body: text "hi" */
};

/* docs/wire.md, "Vector 2: a reply with an error". */
static const uint8_t reply_vector[] = {
    0x46, 0x59, 0x01, 0x02, 0x00, 0x00, 0x00, 0x16, /* "FY", v1, reply, H=22 */
    0x08, 0x2a,                                     /* call_id 42 */
    0x10, 0x05,                                     /* status 5 (not found) */
    0x1a, 0x0b, 'n',  'o',  ' ',  's',  'u',  'c',  'h', ' ', 's', 'k', 'u', /* message */
    0x20, 0x80, 0x80, 0x80, 0x02, /* max_request 4194304 */
};

static void test_request_vector(void **state)
{
    (void)state;
    Ferry__Wire__Metadata md = FERRY__WIRE__METADATA__INIT;
    md.key = "k";
    md.value.data = (uint8_t *)"acme";
    md.value.len = 4;
    Ferry__Wire__Metadata *mdp[] = {&md};
    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = "ferrytest.v1.Probe/Echo";
    h.api_version = 3;
    h.client_name = "shop";
    h.client_version = "1.0";
    h.call_id = 42;
    h.deadline_ms = 1000;
    h.n_metadata = 1;
    h.metadata = mdp;
    Ferrytest__V1__EchoRequest body = FERRYTEST__V1__ECHO_REQUEST__INIT;
    body.text = "hi";

    size_t n = ferryi_frame_size(&h.base, &body.base, NULL);
    assert_int_equal(n, sizeof request_vector);
    uint8_t buf[sizeof request_vector];
    ferryi_frame_write(buf, n, FERRYI_KIND_REQUEST, &h.base, &body.base);
    assert_memory_equal(buf, request_vector, n);

    /* And back. */
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_frame_split(request_vector, sizeof request_vector, FERRYI_KIND_REQUEST,
                                        &f, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__RequestHeader *got = NULL;
    assert_int_equal(ferryi_request_header_decode(&f, NULL, &got, why, sizeof why), FERRY_OK);
    assert_string_equal(got->method, "ferrytest.v1.Probe/Echo");
    assert_int_equal(got->call_id, 42);
    assert_int_equal(got->deadline_ms, 1000);
    assert_int_equal(got->n_metadata, 1);
    assert_string_equal(got->metadata[0]->key, "k");
    ferry__wire__request_header__free_unpacked(got, NULL);
    assert_int_equal(f.body_len, 4);
    assert_memory_equal(f.body, "\x0a\x02hi", 4);
}

static void test_reply_vector(void **state)
{
    (void)state;
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    h.call_id = 42;
    h.status = FERRY_NOT_FOUND;
    h.message = "no such sku";
    h.max_request = 4194304;
    size_t n = ferryi_frame_size(&h.base, NULL, NULL);
    assert_int_equal(n, sizeof reply_vector);
    uint8_t buf[sizeof reply_vector];
    ferryi_frame_write(buf, n, FERRYI_KIND_REPLY, &h.base, NULL);
    assert_memory_equal(buf, reply_vector, n);
}

static void test_split_refuses_malformed(void **state)
{
    (void)state;
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    const uint8_t *v = request_vector;
    /* Every truncation of the prefix, and of the header, is refused. */
    for (size_t len = 0; len < 8 + 0x36; len++)
        assert_int_equal(ferryi_frame_split(v, len, FERRYI_KIND_REQUEST, &f, why, sizeof why),
                         FERRY_PROTOCOL_ERROR);
    uint8_t bad[sizeof request_vector];
    memcpy(bad, v, sizeof bad);
    bad[0] = 'X';
    assert_int_equal(ferryi_frame_split(bad, sizeof bad, FERRYI_KIND_REQUEST, &f, why, sizeof why),
                     FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(why, "magic"));
    memcpy(bad, v, sizeof bad);
    bad[2] = 2;
    assert_int_equal(ferryi_frame_split(bad, sizeof bad, FERRYI_KIND_REQUEST, &f, why, sizeof why),
                     FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(why, "version 2"));
    assert_int_equal(
        ferryi_frame_split(v, sizeof request_vector, FERRYI_KIND_REPLY, &f, why, sizeof why),
        FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(why, "kind 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_vector),
        cmocka_unit_test(test_reply_vector),
        cmocka_unit_test(test_split_refuses_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
