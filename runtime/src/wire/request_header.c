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
    for (size_t i = 0; i < h->n_metadata; i++)
        n += ferryi_pb_len_size(entry_size(h->metadata[i]));
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
        p = ferryi_pb_put_len(p, TAG_METADATA, entry_size(md));
        p = ferryi_pb_put_string(p, TAG_MD_KEY, md->key);
        p = ferryi_pb_put_bytes(p, TAG_MD_VALUE, &md->value);
    }
    p = ferryi_identity_block_put(p, TAG_IDENTITY, h->identity);
    p = ferryi_pb_put_number(p, TAG_METHOD_ID, h->method_id);
    p = ferryi_pb_put_number(p, TAG_MAX_REPLY, h->max_reply);
    return (size_t)(p - out);
}

/* ---- reading ------------------------------------------------------------ */

/* One field of a metadata entry (a key and a value), read into `into`
 * (the entry); 0 for anything else. */
static int get_entry_field(ferryi_pb_reader *r, uint8_t tag, void *into)
{
    Ferry__Wire__Metadata *md = into;
    switch (tag) {
    case TAG_MD_KEY:
        return ferryi_pb_string(r, &md->key);
    case TAG_MD_VALUE:
        return ferryi_pb_bytes(r, &md->value);
    default:
        return 0;
    }
}

/* A request carries at most FERRYI_METADATA_MAX entries: the fast reader
 * takes all that a request may carry. */
_Static_assert(FERRYI_PB_ENTRIES_MAX == FERRYI_METADATA_MAX, "metadata read by hand");

/* One of the header's fields as ferry's peers send it, read into `into`
 * (a ferryi_pb_reading); 0 for anything else (protobuf-c is then asked). */
static int get_field(ferryi_pb_reader *r, uint8_t tag, void *into)
{
    static const Ferry__Wire__Metadata md_init = FERRY__WIRE__METADATA__INIT;
    ferryi_pb_reading *rd = into;
    Ferry__Wire__RequestHeader *h = rd->h;
    switch (tag) {
    case TAG_METHOD:
        return ferryi_pb_string(r, &h->method);
    case TAG_CLIENT_NAME:
        return ferryi_pb_string(r, &h->client_name);
    case TAG_CLIENT_VERSION:
        return ferryi_pb_string(r, &h->client_version);
    case TAG_METADATA:
        return ferryi_pb_header_entry(r, rd, &md_init, sizeof md_init, 2, get_entry_field);
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

static const Ferry__Wire__RequestHeader init = FERRY__WIRE__REQUEST_HEADER__INIT;

static const ferryi_pb_header_form form = {
    .init = &init,
    .size = sizeof init,
    .last = TAG_MAX_REPLY >> 3,
    .repeated = 1u << (TAG_METADATA >> 3),
    .n_entries_at = offsetof(Ferry__Wire__RequestHeader, n_metadata),
    .entries_at = offsetof(Ferry__Wire__RequestHeader, metadata),
    .strings =
        1u << (TAG_METHOD >> 3) | 1u << (TAG_CLIENT_NAME >> 3) | 1u << (TAG_CLIENT_VERSION >> 3),
    .entry_strings = 1u << (TAG_MD_KEY >> 3),
    .descriptor = &ferry__wire__request_header__descriptor,
};

Ferry__Wire__RequestHeader *ferryi_request_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                              const uint8_t *data)
{
    return ferryi_pb_header(&form, get_field, alloc, len, data);
}

int ferryi_request_header_holds_nul(const uint8_t *data, size_t len)
{
    return ferryi_pb_header_holds_nul(&form, data, len);
}

Ferry__Wire__RequestHeader *ferryi_request_header_unpack_strict(ProtobufCAllocator *alloc,
                                                                size_t len, const uint8_t *data,
                                                                int *holds_nul)
{
    Ferry__Wire__RequestHeader *h = ferryi_request_header_unpack_fast(alloc, len, data);
    return ferryi_pb_header_fallback(&form, h, alloc, len, data, holds_nul);
}

Ferry__Wire__RequestHeader *ferryi_request_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                         const uint8_t *data)
{
    Ferry__Wire__RequestHeader *h = ferryi_request_header_unpack_fast(alloc, len, data);
    return ferryi_pb_header_fallback(&form, h, alloc, len, data, NULL);
}
