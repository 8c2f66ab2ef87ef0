/* headers.h - the two frame headers, the request's
 * (ferry.wire.RequestHeader) and the reply's (ferry.wire.ReplyHeader),
 * packed and read without protobuf-c's reflection, which every call paid
 * for twice: the header is read field by field through descriptors, each
 * message initialised from a template, each length scanned twice.
 * headers.c describes each header once, as a table of its fields, which
 * pbtable.h's walks pack and read.
 *
 * Both directions give exactly what protobuf-c would, for either header:
 *  - the _size() and _pack() functions write the bytes
 *    protobuf_c_message_pack() writes, field for field in the same order;
 *  - the _unpack() functions read the headers ferry's peers send (each
 *    field at most once, one-byte tags, no unknown fields) themselves and
 *    hand anything else to protobuf-c, so that a header either decodes to
 *    what protobuf-c makes of it or is refused where protobuf-c refuses it.
 *    The result is freed with ferry__wire__request_header__free_unpacked()
 *    (ferry__wire__reply_header__free_unpacked()) and the same allocator,
 *    like protobuf-c's.
 * tests/fuzz/fuzz_header.c holds them to that. A header's `identity` block
 * is packed and read by identity_block.c, on the same terms.
 *
 * Pure functions, thread-safe.
 */
#ifndef FERRYI_HEADERS_H
#define FERRYI_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/wire.pb-c.h"

/* Bytes the _pack() function writes for `h`. */
size_t ferryi_request_header_size(const Ferry__Wire__RequestHeader *h);
size_t ferryi_reply_header_size(const Ferry__Wire__ReplyHeader *h);

/* Writes `h` into `out`, which holds the _size() function's bytes;
 * returns the bytes written. */
size_t ferryi_request_header_pack(const Ferry__Wire__RequestHeader *h, uint8_t *out);
size_t ferryi_reply_header_pack(const Ferry__Wire__ReplyHeader *h, uint8_t *out);

/* Reads a header of `len` bytes with `alloc` (NULL: malloc); NULL when the
 * bytes are no such header (or memory ran out). */
Ferry__Wire__RequestHeader *ferryi_request_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                         const uint8_t *data);
Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                     const uint8_t *data);

/* Whether the request header in data[0..len) holds a NUL byte in its
 * method, client name or version, or a metadata key; or the reply header
 * one in its message or a violation's path or reason. A peer never sends
 * one (docs/wire.md, "Frame"): ferry refuses such a header. */
int ferryi_request_header_holds_nul(const uint8_t *data, size_t len);
int ferryi_reply_header_holds_nul(const uint8_t *data, size_t len);

/* As the _unpack() functions, but a header with such a NUL is refused:
 * NULL with *holds_nul set. The hand-written reader refuses those strings
 * itself, so only a header it leaves to protobuf-c (rare: ferry's peers
 * write the usual form) is read a second time for the check. */
Ferry__Wire__RequestHeader *ferryi_request_header_unpack_strict(ProtobufCAllocator *alloc,
                                                                size_t len, const uint8_t *data,
                                                                int *holds_nul);
Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_strict(ProtobufCAllocator *alloc, size_t len,
                                                            const uint8_t *data, int *holds_nul);

/* The part of the _unpack() function that reads the usual headers itself:
 * NULL when it leaves `data` to protobuf-c. For the fuzz target, which
 * compares the two. */
Ferry__Wire__RequestHeader *ferryi_request_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                              const uint8_t *data);
Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                          const uint8_t *data);

#endif
