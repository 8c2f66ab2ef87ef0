/* request_header.c - the request header packed and read by hand
 * (headers.h says why, and what it promises). */
#include <stdlib.h>
#include <string.h>

#include "wire/envelope.h"
#include "wire/headers.h"
#include "wire/identity_block.h"
#include "wire/pbcodec.h"

/* The header's fields (idl/ferry/wire.proto) and their tags. */
enum {
    TAG_METHOD = FERRYI_PB_TAG(1, 2),
    TAG_API_VERSION = FERRYI_PB_TAG(2, 0),
    TAG_CLIENT_NAME = FERRYI_PB_TAG(3, 2),
    TAG_CLIENT_VERSION = FERRYI_PB_TAG(4, 2),
    TAG_CALL_ID = FERRYI_PB_TAG(5, 0),
    TAG_DEADLINE_MS = FERRYI_PB_TAG(6, 0),
    TAG_METADATA = FERRYI_PB_TAG(7, 2),
    TAG_IDENTITY = FERRYI_PB_TAG(8, 2),
    TAG_METHOD_ID = FERRYI_PB_TAG(9, 0),
    TAG_MAX_REPLY = FERRYI_PB_TAG(10, 0),
    /* Inside a metadata entry (ferry.wire.Metadata). */
    TAG_MD_KEY = FERRYI_PB_TAG(1, 2),
    TAG_MD_VALUE = FERRYI_PB_TAG(2, 2),
};

/* ---- packing ------------------------------------------------------------ */

/* Headers that carry unknown fields are never built by ferry; should one
 * be, protobuf-c packs it, unknown fields and all. */
static int plain(const Ferry__Wire__RequestHeader *h)
{
    if (h->base.n_unknown_fields != 0)
        return 0;
    for (size_t i = 0; i < h->n_metadata; i++)
        if (h->metadata[i]->base.n_unknown_fields != 0)
            return 0;
    return 1;
}

static size_t entry_size(const Ferry__Wire__Metadata *md)
{
    return ferryi_pb_string_size(md->key) + ferryi_pb_bytes_size(&md->value);
}

size_t ferryi_request_header_size(const Ferry__Wire__RequestHeader *h)
{
    if (!plain(h))
        return protobuf_c_message_get_packed_size(&h->base);
    size_t n = ferryi_pb_string_size(h->method) + ferryi_pb_number_size(h->api_version) +
               ferryi_pb_string_size(h->client_name) + ferryi_pb_string_size(h->client_version) +
               ferryi_pb_number_size(h->call_id) + ferryi_pb_number_size(h->deadline_ms) +
               ferryi_identity_block_size(h->identity) + ferryi_pb_number_size(h->method_id) +
               ferryi_pb_number_size(h->max_reply);
    for (size_t i = 0; i < h->n_metadata; i++) {
        size_t e = entry_size(h->metadata[i]);
        n += 1 + ferryi_pb_varint_size(e) + e;
    }
    return n;
}

size_t ferryi_request_header_pack(const Ferry__Wire__RequestHeader *h, uint8_t *out)
{
    if (!plain(h))
        return protobuf_c_message_pack(&h->base, out);
    uint8_t *p = out;
    p = ferryi_pb_put_string(p, TAG_METHOD, h->method);
    p = ferryi_pb_put_number(p, TAG_API_VERSION, h->api_version);
    p = ferryi_pb_put_string(p, TAG_CLIENT_NAME, h->client_name);
    p = ferryi_pb_put_string(p, TAG_CLIENT_VERSION, h->client_version);
    p = ferryi_pb_put_number(p, TAG_CALL_ID, h->call_id);
    p = ferryi_pb_put_number(p, TAG_DEADLINE_MS, h->deadline_ms);
    for (size_t i = 0; i < h->n_metadata; i++) {
        const Ferry__Wire__Metadata *md = h->metadata[i];
        *p++ = TAG_METADATA;
        p = ferryi_pb_put_varint(p, entry_size(md));
        p = ferryi_pb_put_string(p, TAG_MD_KEY, md->key);
        p = ferryi_pb_put_bytes(p, TAG_MD_VALUE, &md->value);
    }
    p = ferryi_identity_block_put(p, TAG_IDENTITY, h->identity);
    p = ferryi_pb_put_number(p, TAG_METHOD_ID, h->method_id);
    p = ferryi_pb_put_number(p, TAG_MAX_REPLY, h->max_reply);
    return (size_t)(p - out);
}

/* ---- reading ------------------------------------------------------------ */

/* One metadata entry: a key and a value, each at most once, nothing else. */
static Ferry__Wire__Metadata *get_entry(ferryi_pb_reader *outer)
{
    static const Ferry__Wire__Metadata init = FERRY__WIRE__METADATA__INIT;
    ferryi_pb_reader r;
    Ferry__Wire__Metadata *md = ferryi_pb_sub(outer, &r, &init, sizeof init);
    if (md == NULL)
        return NULL;
    int have_key = 0, have_value = 0, ok = 1;
    while (ok && r.at < r.end) {
        uint8_t tag = *r.at++;
        if (tag == TAG_MD_KEY && !have_key) {
            ok = have_key = ferryi_pb_string(&r, &md->key);
        } else if (tag == TAG_MD_VALUE && !have_value) {
            ok = have_value = ferryi_pb_bytes(&r, &md->value);
        } else {
            ok = 0;
        }
    }
    if (!ok) {
        ferry__wire__metadata__free_unpacked(md, r.alloc);
        return NULL;
    }
    return md;
}

/* What get_field() reads into: the header, and its metadata entries until
 * the header is whole. */
typedef struct reading {
    Ferry__Wire__RequestHeader *h;
    Ferry__Wire__Metadata *md[FERRYI_METADATA_MAX];
    size_t n_md;
} reading;

/* One of the header's fields as ferry's peers send it, read into `into`
 * (a reading); 0 for anything else (protobuf-c is then asked). */
static int get_field(ferryi_pb_reader *r, uint8_t tag, void *into)
{
    reading *rd = into;
    Ferry__Wire__RequestHeader *h = rd->h;
    switch (tag) {
    case TAG_METHOD:
        return ferryi_pb_string(r, &h->method);
    case TAG_CLIENT_NAME:
        return ferryi_pb_string(r, &h->client_name);
    case TAG_CLIENT_VERSION:
        return ferryi_pb_string(r, &h->client_version);
    case TAG_METADATA:
        if (rd->n_md == FERRYI_METADATA_MAX || (rd->md[rd->n_md] = get_entry(r)) == NULL)
            return 0;
        rd->n_md++;
        return 1;
    case TAG_IDENTITY:
        return (h->identity = ferryi_identity_block_get(r)) != NULL;
    case TAG_CALL_ID:
        return ferryi_pb_varint(r, &h->call_id);
    case TAG_API_VERSION:
        return ferryi_pb_u32(r, &h->api_version);
    case TAG_DEADLINE_MS:
        return ferryi_pb_u32(r, &h->deadline_ms);
    case TAG_METHOD_ID:
        return ferryi_pb_u32(r, &h->method_id);
    case TAG_MAX_REPLY:
        return ferryi_pb_u32(r, &h->max_reply);
    default: /* a known field with another wire type */
        return 0;
    }
}

Ferry__Wire__RequestHeader *ferryi_request_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                              const uint8_t *data)
{
    static const Ferry__Wire__RequestHeader init = FERRY__WIRE__REQUEST_HEADER__INIT;
    ferryi_pb_reader r = {.at = data, .end = data + len, .alloc = alloc};
    reading rd; /* not initialised as a whole: md is written as it fills */
    rd.h = ferryi_pb_dup(alloc, &init, sizeof init);
    if (rd.h == NULL)
        return NULL;
    rd.n_md = 0;
    int ok = ferryi_pb_fields(&r, 10, 1u << 7, get_field, &rd);
    if (ok && rd.n_md > 0) {
        ok = (rd.h->metadata = ferryi_pb_dup(alloc, rd.md, rd.n_md * sizeof *rd.md)) != NULL;
        rd.h->n_metadata = ok ? rd.n_md : 0;
    }
    if (!ok) {
        for (size_t i = 0; i < rd.n_md; i++)
            ferry__wire__metadata__free_unpacked(rd.md[i], alloc);
        ferry__wire__request_header__free_unpacked(rd.h, alloc);
        return NULL;
    }
    return rd.h;
}

Ferry__Wire__RequestHeader *ferryi_request_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                         const uint8_t *data)
{
    Ferry__Wire__RequestHeader *h = ferryi_request_header_unpack_fast(alloc, len, data);
    return h != NULL ? h : ferry__wire__request_header__unpack(alloc, len, data);
}
