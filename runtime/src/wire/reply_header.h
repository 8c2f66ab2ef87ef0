/* reply_header.h - the reply header (ferry.wire.ReplyHeader) packed and
 * read by hand, as request_header.h does for the request's, with the same
 * promises: the bytes protobuf-c packs, the struct protobuf-c reads (freed
 * with ferry__wire__reply_header__free_unpacked() and the same allocator),
 * and anything but the usual header left to protobuf-c; the `identity`
 * block is identity_block.c's, on the same terms. tests/fuzz/fuzz_header.c
 * holds it to that. Pure functions, thread-safe.
 */
#ifndef FERRYI_REPLY_HEADER_H
#define FERRYI_REPLY_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/wire.pb-c.h"

size_t ferryi_reply_header_size(const Ferry__Wire__ReplyHeader *h);
size_t ferryi_reply_header_pack(const Ferry__Wire__ReplyHeader *h, uint8_t *out);
Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack(ProtobufCAllocator *alloc, size_t len,
                                                     const uint8_t *data);
/* The hand reader alone: NULL when it leaves `data` to protobuf-c. */
Ferry__Wire__ReplyHeader *ferryi_reply_header_unpack_fast(ProtobufCAllocator *alloc, size_t len,
                                                          const uint8_t *data);

#endif
