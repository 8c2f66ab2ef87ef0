/* reply_header.c - the reply header packed and read by hand
 * (reply_header.h; request_header.h says why). */
#include <stdlib.h>
#include <string.h>

#include "wire/identity_block.h"
#include "wire/pbcodec.h"
#include "wire/reply_header.h"

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

/* More violations than a reply carries (FERRY_VIOLATIONS_MAX) are left to
 * protobuf-c, like anything unusual. */
#define VIOLATIONS_READ_MAX 64

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
    for (size_t i = 0; i < h->n_violations; i++) {
        size_t v = violation_size(h->violations[i]);
        n += 1 + ferryi_pb_varint_size(v) + v;
    }
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
        *p++ = TAG_VIOLATION;
        p = ferryi_pb_put_varint(p, violation_size(v));
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

/* One violation: a path and a reason, each at most once, nothing else. */
static Ferry__Wire__Violation *get_violation(ferryi_pb_reader *outer)
{
    static const Ferry__Wire__Violation init = FERRY__WIRE__VIOLATION__INIT;
    ferryi_pb_reader r;
    Ferry__Wire__Violation *v = ferryi_pb_sub(outer, &r, &init, sizeof init);
    if (v == NULL)
        return NULL;
    int have_path = 0, have_reason = 0, ok = 1;
    while (ok && r.at < r.end) {
        uint8_t tag = *r.at++;
        if (tag == TAG_V_PATH && !have_path)
            ok = have_path = ferryi_pb_string(&r, &v->path);
        else if (tag == TAG_V_REASON && !have_reason)
            ok = have_reason = ferryi_pb_string(&r, &v->reason);
        else
            ok = 0;
    }
    if (!ok) {
        ferry__wire__violation__free_unpacked(v, r.alloc);
        return NULL;
    }
    return v;
}

/* The header's fields as ferry's servers send them, each read into `h`;
 * 0 at the first thing that is not (protobuf-c is then asked). */
static int get_fields(ferryi_pb_reader *r, Ferry__Wire__ReplyHeader *h, Ferry__Wire__Violation **vs,
                      size_t *n_vs)
{
    unsigned seen = 0;
    uint8_t tag;
    while (r->at < r->end) {
        if (!ferryi_pb_tag(r, 12, 1u << 9, &seen, &tag))
            return 0;
        int ok = 0;
        switch (tag) {
        case TAG_CALL_ID:
            ok = ferryi_pb_varint(r, &h->call_id);
            break;
        case TAG_STATUS:
            ok = ferryi_pb_u32(r, &h->status);
            break;
        case TAG_MESSAGE:
            ok = ferryi_pb_string(r, &h->message);
            break;
        case TAG_MAX_REQUEST:
            ok = ferryi_pb_u32(r, &h->max_request);
            break;
        case TAG_API_MIN:
            ok = ferryi_pb_u32(r, &h->api_min);
            break;
        case TAG_API_MAX:
            ok = ferryi_pb_u32(r, &h->api_max);
            break;
        case TAG_IDENTITY:
            ok = (h->identity = ferryi_identity_block_get(r)) != NULL;
            break;
        case TAG_NOT_BEFORE:
            ok = ferryi_pb_varint(r, &h->proof_not_before_ms);
            break;
        case TAG_VIOLATION:
            ok = *n_vs < VIOLATIONS_READ_MAX && (vs[*n_vs] = get_violation(r)) != NULL;
            *n_vs += ok;
            break;
        case TAG_VIOLATIONS_TOTAL:
            ok = ferryi_pb_u32(r, &h->violations_total);
            break;
        case TAG_DRAINING:
            ok = ferryi_pb_bool(r, &h->draining);
            break;
        case TAG_NOT_RUN:
            ok = ferryi_pb_bool(r, &h->not_run);
            break;
        default: /* a known field with another wire type */
            break;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                          const uint8_t *data)
{
    static const Ferry__Wire__ReplyHeader init = FERRY__WIRE__REPLY_HEADER__INIT;
    ferryi_pb_reader r = {.at = data, .end = data + len, .alloc = alloc};
    Ferry__Wire__ReplyHeader *h = ferryi_pb_dup(alloc, &init, sizeof init);
    if (h == NULL)
        return NULL;
    Ferry__Wire__Violation *vs[VIOLATIONS_READ_MAX];
    size_t n_vs = 0;
    int ok = get_fields(&r, h, vs, &n_vs);
    if (ok && n_vs > 0) {
        ok = (h->violations = ferryi_pb_dup(alloc, vs, n_vs * sizeof *vs)) != NULL;
        h->n_violations = ok ? n_vs : 0;
    }
    if (!ok) {
        for (size_t i = 0; i < n_vs; i++)
            ferry__wire__violation__free_unpacked(vs[i], alloc);
        ferry__wire__reply_header__free_unpacked(h, alloc);
        return NULL;
    }
    return h;
}

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                     const uint8_t *data)
{
    Ferry__Wire__ReplyHeader *h = ferryi_reply_header_unpack_fast(alloc, len, data);
    return h != NULL ? h : ferry__wire__reply_header__unpack(alloc, len, data);
}
