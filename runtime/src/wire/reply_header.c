/* reply_header.c - the reply header packed and read by hand
 * (headers.h says why, and what it promises). */
#include <stdlib.h>
#include <string.h>

#include "ferry/validate.h"
#include "wire/headers.h"
#include "wire/identity_block.h"
#include "wire/pbcodec.h"

/* The header's fields (idl/ferry/wire.proto) and their tags. */
enum {
    TAG_CALL_ID = FERRYI_PB_TAG(1, 0),
    TAG_STATUS = FERRYI_PB_TAG(2, 0),
    TAG_MESSAGE = FERRYI_PB_TAG(3, 2),
    TAG_MAX_REQUEST = FERRYI_PB_TAG(4, 0),
    TAG_API_MIN = FERRYI_PB_TAG(5, 0),
    TAG_API_MAX = FERRYI_PB_TAG(6, 0),
    TAG_IDENTITY = FERRYI_PB_TAG(7, 2),
    TAG_NOT_BEFORE = FERRYI_PB_TAG(8, 0),
    TAG_VIOLATION = FERRYI_PB_TAG(9, 2),
    TAG_VIOLATIONS_TOTAL = FERRYI_PB_TAG(10, 0),
    TAG_DRAINING = FERRYI_PB_TAG(11, 0),
    TAG_NOT_RUN = FERRYI_PB_TAG(12, 0),
    /* Inside a violation (ferry.wire.Violation). */
    TAG_V_PATH = FERRYI_PB_TAG(1, 2),
    TAG_V_REASON = FERRYI_PB_TAG(2, 2),
};

/* ---- packing ------------------------------------------------------------ */

static int plain(const Ferry__Wire__ReplyHeader *h)
{
    if (h->base.n_unknown_fields != 0)
        return 0;
    for (size_t i = 0; i < h->n_violations; i++)
        if (h->violations[i]->base.n_unknown_fields != 0)
            return 0;
    return 1;
}

static size_t violation_size(const Ferry__Wire__Violation *v)
{
    return ferryi_pb_string_size(v->path) + ferryi_pb_string_size(v->reason);
}

size_t ferryi_reply_header_size(const Ferry__Wire__ReplyHeader *h)
{
    if (!plain(h))
        return protobuf_c_message_get_packed_size(&h->base);
    size_t n =
        ferryi_pb_number_size(h->call_id) + ferryi_pb_number_size(h->status) +
        ferryi_pb_string_size(h->message) + ferryi_pb_number_size(h->max_request) +
        ferryi_pb_number_size(h->api_min) + ferryi_pb_number_size(h->api_max) +
        ferryi_identity_block_size(h->identity) + ferryi_pb_number_size(h->proof_not_before_ms) +
        ferryi_pb_number_size(h->violations_total) + (h->draining ? 2 : 0) + (h->not_run ? 2 : 0);
    for (size_t i = 0; i < h->n_violations; i++)
        n += ferryi_pb_len_size(violation_size(h->violations[i]));
    return n;
}

size_t ferryi_reply_header_pack(const Ferry__Wire__ReplyHeader *h, uint8_t *out)
{
    if (!plain(h))
        return protobuf_c_message_pack(&h->base, out);
    uint8_t *p = out;
    p = ferryi_pb_put_number(p, TAG_CALL_ID, h->call_id);
    p = ferryi_pb_put_number(p, TAG_STATUS, h->status);
    p = ferryi_pb_put_string(p, TAG_MESSAGE, h->message);
    p = ferryi_pb_put_number(p, TAG_MAX_REQUEST, h->max_request);
    p = ferryi_pb_put_number(p, TAG_API_MIN, h->api_min);
    p = ferryi_pb_put_number(p, TAG_API_MAX, h->api_max);
    p = ferryi_identity_block_put(p, TAG_IDENTITY, h->identity);
    p = ferryi_pb_put_number(p, TAG_NOT_BEFORE, h->proof_not_before_ms);
    for (size_t i = 0; i < h->n_violations; i++) {
        const Ferry__Wire__Violation *v = h->violations[i];
        p = ferryi_pb_put_len(p, TAG_VIOLATION, violation_size(v));
        p = ferryi_pb_put_string(p, TAG_V_PATH, v->path);
        p = ferryi_pb_put_string(p, TAG_V_REASON, v->reason);
    }
    p = ferryi_pb_put_number(p, TAG_VIOLATIONS_TOTAL, h->violations_total);
    /* protobuf-c writes a true bool as the one byte 1 */
    p = ferryi_pb_put_number(p, TAG_DRAINING, h->draining ? 1 : 0);
    p = ferryi_pb_put_number(p, TAG_NOT_RUN, h->not_run ? 1 : 0);
    return (size_t)(p - out);
}

/* ---- reading ------------------------------------------------------------ */

/* One field of a violation (a path and a reason), read into `into` (the
 * violation); 0 for anything else. */
static int get_violation_field(ferryi_pb_reader *r, uint8_t tag, void *into)
{
    Ferry__Wire__Violation *v = into;
    switch (tag) {
    case TAG_V_PATH:
        return ferryi_pb_string(r, &v->path);
    case TAG_V_REASON:
        return ferryi_pb_string(r, &v->reason);
    default:
        return 0;
    }
}

/* The fast reader takes every violation a reply carries (at most
 * FERRY_VIOLATIONS_MAX); more are left to protobuf-c, like anything
 * unusual. */
_Static_assert(FERRYI_PB_ENTRIES_MAX >= FERRY_VIOLATIONS_MAX, "violations read by hand");

/* One of the header's fields as ferry's servers send it, read into `into`
 * (a ferryi_pb_reading); 0 for anything else (protobuf-c is then asked). */
static int get_field(ferryi_pb_reader *r, uint8_t tag, void *into)
{
    static const Ferry__Wire__Violation v_init = FERRY__WIRE__VIOLATION__INIT;
    ferryi_pb_reading *rd = into;
    Ferry__Wire__ReplyHeader *h = rd->h;
    switch (tag) {
    case TAG_CALL_ID:
        return ferryi_pb_varint(r, &h->call_id);
    case TAG_STATUS:
        return ferryi_pb_u32(r, &h->status);
    case TAG_MESSAGE:
        return ferryi_pb_string(r, &h->message);
    case TAG_MAX_REQUEST:
        return ferryi_pb_u32(r, &h->max_request);
    case TAG_API_MIN:
        return ferryi_pb_u32(r, &h->api_min);
    case TAG_API_MAX:
        return ferryi_pb_u32(r, &h->api_max);
    case TAG_IDENTITY:
        return (h->identity = ferryi_identity_block_get(r)) != NULL;
    case TAG_NOT_BEFORE:
        return ferryi_pb_varint(r, &h->proof_not_before_ms);
    case TAG_VIOLATION:
        return ferryi_pb_header_entry(r, rd, &v_init, sizeof v_init, 2, get_violation_field);
    case TAG_VIOLATIONS_TOTAL:
        return ferryi_pb_u32(r, &h->violations_total);
    case TAG_DRAINING:
        return ferryi_pb_bool(r, &h->draining);
    case TAG_NOT_RUN:
        return ferryi_pb_bool(r, &h->not_run);
    default: /* a known field with another wire type */
        return 0;
    }
}

static const Ferry__Wire__ReplyHeader init = FERRY__WIRE__REPLY_HEADER__INIT;

static const ferryi_pb_header_form form = {
    .init = &init,
    .size = sizeof init,
    .last = TAG_NOT_RUN >> 3,
    .repeated = 1u << (TAG_VIOLATION >> 3),
    .n_entries_at = offsetof(Ferry__Wire__ReplyHeader, n_violations),
    .entries_at = offsetof(Ferry__Wire__ReplyHeader, violations),
    .strings = 1u << (TAG_MESSAGE >> 3),
    .entry_strings = 1u << (TAG_V_PATH >> 3) | 1u << (TAG_V_REASON >> 3),
    .descriptor = &ferry__wire__reply_header__descriptor,
};

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                          const uint8_t *data)
{
    return ferryi_pb_header(&form, get_field, alloc, len, data);
}

int ferryi_reply_header_holds_nul(const uint8_t *data, size_t len)
{
    return ferryi_pb_header_holds_nul(&form, data, len);
}

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_strict(ProtobufCAllocator *alloc, size_t len,
                                                            const uint8_t *data, int *holds_nul)
{
    Ferry__Wire__ReplyHeader *h = ferryi_reply_header_unpack_fast(alloc, len, data);
    return ferryi_pb_header_fallback(&form, h, alloc, len, data, holds_nul);
}

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                     const uint8_t *data)
{
    Ferry__Wire__ReplyHeader *h = ferryi_reply_header_unpack_fast(alloc, len, data);
    return ferryi_pb_header_fallback(&form, h, alloc, len, data, NULL);
}
