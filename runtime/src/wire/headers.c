/* headers.c - the two frame headers packed and read by hand (headers.h
 * says why, and what it promises), each from a table of its fields
 * (idl/ferry/wire.proto). The functions follow headers.h: each of the
 * request's beside the reply's, the same walk over another table. */
#include "ferry/validate.h"
#include "wire/envelope.h"
#include "wire/headers.h"
#include "wire/pbtable.h"

/* Each message's table: FIELD() lists a field of the message type
 * MESSAGE names while the table is written. */
#define FIELD(number, kind, member) FERRYI_PB_FIELD(MESSAGE, number, FERRYI_PB_##kind, member)

/* A metadata entry: a key and a value. */
#define MESSAGE Ferry__Wire__Metadata
static const ferryi_pb_field metadata_fields[] = {FIELD(1, STRING, key), FIELD(2, BYTES, value)};
static const ferryi_pb_table metadata =
    FERRYI_PB_TABLE(metadata_fields, MESSAGE, FERRY__WIRE__METADATA__INIT, NULL);
#undef MESSAGE

#define MESSAGE Ferry__Wire__RequestHeader
static const ferryi_pb_field request_fields[] = {
    FIELD(1, STRING, method),         FIELD(2, U32, api_version),   FIELD(3, STRING, client_name),
    FIELD(4, STRING, client_version), FIELD(5, U64, call_id),       FIELD(6, U32, deadline_ms),
    FIELD(7, ENTRIES, metadata),      FIELD(8, IDENTITY, identity), FIELD(9, U32, method_id),
    FIELD(10, U32, max_reply),
};
static const ferryi_pb_table request =
    FERRYI_PB_TABLE(request_fields, MESSAGE, FERRY__WIRE__REQUEST_HEADER__INIT, &metadata);
#undef MESSAGE

/* A violation: a path and a reason. */
#define MESSAGE Ferry__Wire__Violation
static const ferryi_pb_field violation_fields[] = {FIELD(1, STRING, path),
                                                   FIELD(2, STRING, reason)};
static const ferryi_pb_table violation =
    FERRYI_PB_TABLE(violation_fields, MESSAGE, FERRY__WIRE__VIOLATION__INIT, NULL);
#undef MESSAGE

#define MESSAGE Ferry__Wire__ReplyHeader
static const ferryi_pb_field reply_fields[] = {
    FIELD(1, U64, call_id),        FIELD(2, U32, status),
    FIELD(3, STRING, message),     FIELD(4, U32, max_request),
    FIELD(5, U32, api_min),        FIELD(6, U32, api_max),
    FIELD(7, IDENTITY, identity),  FIELD(8, U64, proof_not_before_ms),
    FIELD(9, ENTRIES, violations), FIELD(10, U32, violations_total),
    FIELD(11, BOOL, draining),     FIELD(12, BOOL, not_run),
};
static const ferryi_pb_table reply =
    FERRYI_PB_TABLE(reply_fields, MESSAGE, FERRY__WIRE__REPLY_HEADER__INIT, &violation);
#undef MESSAGE

/* The fast reader takes all the metadata a request may carry
 * (FERRYI_METADATA_MAX), and every violation a reply carries (at most
 * FERRY_VIOLATIONS_MAX); more are left to protobuf-c, like anything
 * unusual. */
_Static_assert(FERRYI_PB_ENTRIES_MAX == FERRYI_METADATA_MAX, "metadata read by hand");
_Static_assert(FERRYI_PB_ENTRIES_MAX >= FERRY_VIOLATIONS_MAX, "violations read by hand");

size_t ferryi_request_header_size(const Ferry__Wire__RequestHeader *h)
{
    return ferryi_pb_header_size(&request, &h->base);
}

size_t ferryi_reply_header_size(const Ferry__Wire__ReplyHeader *h)
{
    return ferryi_pb_header_size(&reply, &h->base);
}

size_t ferryi_request_header_pack(const Ferry__Wire__RequestHeader *h, uint8_t *out)
{
    return ferryi_pb_header_pack(&request, &h->base, out);
}

size_t ferryi_reply_header_pack(const Ferry__Wire__ReplyHeader *h, uint8_t *out)
{
    return ferryi_pb_header_pack(&reply, &h->base, out);
}

Ferry__Wire__RequestHeader *ferryi_request_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                              const uint8_t *data)
{
    return ferryi_pb_header(&request, alloc, len, data);
}

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                          const uint8_t *data)
{
    return ferryi_pb_header(&reply, alloc, len, data);
}

int ferryi_request_header_holds_nul(const uint8_t *data, size_t len)
{
    return ferryi_pb_strings_hold_nul(&request, data, len);
}

int ferryi_reply_header_holds_nul(const uint8_t *data, size_t len)
{
    return ferryi_pb_strings_hold_nul(&reply, data, len);
}

Ferry__Wire__RequestHeader *ferryi_request_header_unpack_strict(ProtobufCAllocator *alloc,
                                                                size_t len, const uint8_t *data,
                                                                int *holds_nul)
{
    Ferry__Wire__RequestHeader *h = ferryi_request_header_unpack_fast(alloc, len, data);
    return ferryi_pb_header_fallback(&request, h, alloc, len, data, holds_nul);
}

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_strict(ProtobufCAllocator *alloc, size_t len,
                                                            const uint8_t *data, int *holds_nul)
{
    Ferry__Wire__ReplyHeader *h = ferryi_reply_header_unpack_fast(alloc, len, data);
    return ferryi_pb_header_fallback(&reply, h, alloc, len, data, holds_nul);
}

Ferry__Wire__RequestHeader *ferryi_request_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                         const uint8_t *data)
{
    return ferryi_request_header_unpack_strict(alloc, len, data, NULL);
}

Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                     const uint8_t *data)
{
    return ferryi_reply_header_unpack_strict(alloc, len, data, NULL);
}
