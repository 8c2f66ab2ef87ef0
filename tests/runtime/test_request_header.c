/* test_request_header.c - the limits of a request header (docs/wire.md,
 * "Frame"): more than 64 metadata entries is a protocol error (21), like a
 * method name that breaks the rules, refused with the request's call id
 * before anything else about the call is looked at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/envelope.h"
#include "probe.h"

/* A request header for Probe/Echo with `n` metadata entries k0, k1, ... */
typedef struct md_header {
    Ferry__Wire__RequestHeader h;
    Ferry__Wire__Metadata md[FERRYI_METADATA_MAX + 1];
    Ferry__Wire__Metadata *mdp[FERRYI_METADATA_MAX + 1];
    char keys[FERRYI_METADATA_MAX + 1][8];
} md_header;

static void md_header_init(md_header *m, size_t n, uint64_t call_id)
{
    assert_true(n <= FERRYI_METADATA_MAX + 1);
    ferry__wire__request_header__init(&m->h);
    m->h.method = "ferrytest.v1.Probe/Echo";
    m->h.call_id = call_id;
    for (size_t i = 0; i < n; i++) {
        ferry__wire__metadata__init(&m->md[i]);
        snprintf(m->keys[i], sizeof m->keys[i], "k%zu", i);
        m->md[i].key = m->keys[i];
        m->mdp[i] = &m->md[i];
    }
    m->h.n_metadata = n;
    m->h.metadata = m->mdp;
}

/* Encodes `h` alone as a request frame and decodes its header again. */
static ferry_status round_trip(const Ferry__Wire__RequestHeader *h, char *why, size_t why_len)
{
    size_t n = ferryi_frame_size(&h->base, NULL, NULL);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    ferryi_frame_write(buf, n, FERRYI_KIND_REQUEST, &h->base, NULL);
    ferryi_frame f;
    assert_int_equal(ferryi_frame_split(buf, n, FERRYI_KIND_REQUEST, &f, why, why_len), FERRY_OK);
    Ferry__Wire__RequestHeader *got = NULL;
    ferry_status st = ferryi_request_header_decode(&f, NULL, &got, why, why_len);
    assert_true(st == FERRY_OK ? got != NULL : got == NULL);
    ferry__wire__request_header__free_unpacked(got, NULL);
    free(buf);
    return st;
}

static void metadata_at_limit_decodes(void **state)
{
    (void)state;
    md_header m;
    md_header_init(&m, FERRYI_METADATA_MAX, 1);
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(round_trip(&m.h, why, sizeof why), FERRY_OK);
}

static void metadata_over_limit_is_protocol_error(void **state)
{
    (void)state;
    md_header m;
    md_header_init(&m, FERRYI_METADATA_MAX + 1, 1);
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(round_trip(&m.h, why, sizeof why), FERRY_PROTOCOL_ERROR);
    assert_string_equal(why, "request header carries 65 metadata entries; the limit is 64");
}

/* A server answers 21 with the call id, as a peer reading wire.md expects. */
static void server_refuses_over_limit_with_call_id(void **state)
{
    (void)state;
    probe_link l;
    probe_link_open(&l, 1, NULL);
    md_header m;
    md_header_init(&m, FERRYI_METADATA_MAX + 1, 4242);
    size_t n = ferryi_frame_size(&m.h.base, NULL, NULL);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    ferryi_frame_write(buf, n, FERRYI_KIND_REQUEST, &m.h.base, NULL);
    uint64_t ran = atomic_load(&probe_calls);
    void *reply = NULL;
    size_t got = probe_raw_call(l.bound, buf, n, &reply, 20000);
    free(buf);
    assert_non_null(reply);
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_frame_split(reply, got, FERRYI_KIND_REPLY, &f, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__ReplyHeader *rh = ferry__wire__reply_header__unpack(NULL, f.header_len, f.header);
    assert_non_null(rh);
    assert_int_equal(rh->status, FERRY_PROTOCOL_ERROR);
    assert_int_equal(rh->call_id, 4242);
    assert_non_null(strstr(rh->message, "65 metadata entries; the limit is 64"));
    assert_int_equal(atomic_load(&probe_calls), ran);
    ferry__wire__reply_header__free_unpacked(rh, NULL);
    free(reply);
    probe_link_close(&l);
}

/* `h` packed as a request frame, with the first `mark` byte of its header
 * turned into a NUL, and `extra` bytes appended to the header (an unknown
 * field, say); *n is its size. */
static uint8_t *frame_with_nul(const Ferry__Wire__RequestHeader *h, char mark, const uint8_t *extra,
                               size_t extra_len, size_t *n)
{
    size_t hlen = protobuf_c_message_get_packed_size(&h->base);
    *n = FERRYI_FRAME_PREFIX + hlen + extra_len;
    uint8_t *buf = malloc(*n);
    assert_non_null(buf);
    memcpy(buf, "FY", 2);
    buf[2] = FERRYI_WIRE_VERSION;
    buf[3] = FERRYI_KIND_REQUEST;
    size_t total = hlen + extra_len;
    for (int i = 0; i < 4; i++)
        buf[4 + i] = (uint8_t)(total >> (24 - 8 * i));
    protobuf_c_message_pack(&h->base, buf + FERRYI_FRAME_PREFIX);
    if (extra_len > 0)
        memcpy(buf + FERRYI_FRAME_PREFIX + hlen, extra, extra_len);
    uint8_t *at = memchr(buf + FERRYI_FRAME_PREFIX, mark, hlen);
    assert_non_null(at);
    *at = 0;
    return buf;
}

/* Decodes `h` as frame_with_nul() packs it; returns the status and the
 * reason in `why`. */
static ferry_status decode(const Ferry__Wire__RequestHeader *h, char mark, const uint8_t *extra,
                           size_t extra_len, char *why, size_t why_len)
{
    size_t n;
    uint8_t *buf = frame_with_nul(h, mark, extra, extra_len, &n);
    ferryi_frame f;
    assert_int_equal(ferryi_frame_split(buf, n, FERRYI_KIND_REQUEST, &f, why, why_len), FERRY_OK);
    Ferry__Wire__RequestHeader *got = NULL;
    ferry_status st = ferryi_request_header_decode(&f, NULL, &got, why, why_len);
    ferry__wire__request_header__free_unpacked(got, NULL);
    free(buf);
    return st;
}

/* A NUL byte in the method, a metadata key or the client's name is a
 * protocol error: the decoded C string would end at it, and what followed
 * would be read by no check and covered by no proof. So too when the header
 * also carries a field the hand-written reader leaves to protobuf-c. */
static void nul_in_strings_is_protocol_error(void **state)
{
    (void)state;
    md_header m;
    md_header_init(&m, 1, 7);
    static const uint8_t unknown_field[] = {0xf8, 0x01, 0x05}; /* field 31, varint 5 */
    char why[FERRY_MESSAGE_MAX];
    m.h.method = "ferrytest.v1.Probe/Echo@hidden";
    assert_int_equal(decode(&m.h, '@', NULL, 0, why, sizeof why), FERRY_PROTOCOL_ERROR);
    assert_non_null(strstr(why, "NUL byte"));
    assert_int_equal(decode(&m.h, '@', unknown_field, sizeof unknown_field, why, sizeof why),
                     FERRY_PROTOCOL_ERROR);
    m.h.method = "ferrytest.v1.Probe/Echo";
    m.md[0].key = "trace@id";
    assert_int_equal(decode(&m.h, '@', NULL, 0, why, sizeof why), FERRY_PROTOCOL_ERROR);
    m.md[0].key = "trace";
    m.h.client_name = "inventory@cli";
    assert_int_equal(decode(&m.h, '@', NULL, 0, why, sizeof why), FERRY_PROTOCOL_ERROR);
    /* A NUL in a metadata value is data like any other byte. */
    m.h.client_name = NULL;
    m.md[0].value = (ProtobufCBinaryData){.len = 3, .data = (uint8_t *)"a@b"};
    assert_int_equal(decode(&m.h, '@', NULL, 0, why, sizeof why), FERRY_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metadata_at_limit_decodes),
        cmocka_unit_test(metadata_over_limit_is_protocol_error),
        cmocka_unit_test(server_refuses_over_limit_with_call_id),
        cmocka_unit_test(nul_in_strings_is_protocol_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
