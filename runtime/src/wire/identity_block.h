/* identity_block.h - a frame header's identity block (ferry.wire.Identity)
 * packed and read by hand, for the request and reply header codecs.
 *
 * Every call with identity on carries one each way, and protobuf-c's
 * reflection cost more than the rest of the header: the block was sized
 * twice and packed once on the sending side, and read through descriptors
 * on the other (about 7,000 instructions of a mac call). The promise is the
 * headers' own (headers.h): the bytes protobuf-c would write, and a
 * block read here only when it is as ferry's peers send it (each field at
 * most once, one-byte tags, no unknown fields); anything else makes the
 * header's fast reader give up, so that protobuf-c reads the whole header.
 *
 * Pure functions, thread-safe.
 */
#ifndef FERRYI_IDENTITY_BLOCK_H
#define FERRYI_IDENTITY_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/wire.pb-c.h"

/* pbcodec.h's reader. Declared here rather than taken from there:
 * pbtable.h's walks pack and read the block through the functions below. */
typedef struct ferryi_pb_reader ferryi_pb_reader;

/* Bytes the block takes inside its header: tag, length and fields; 0 when
 * `id` is NULL (the field is left out). */
size_t ferryi_identity_block_size(const Ferry__Wire__Identity *id);

/* Writes the block, under header tag `tag`, at `p`; returns the end. */
uint8_t *ferryi_identity_block_put(uint8_t *p, uint8_t tag, const Ferry__Wire__Identity *id);

/* Reads the block whose length prefix is at r->at into a new Identity
 * allocated with r->alloc, and moves past it; NULL when the block is not
 * as ferry's peers send it (or memory ran out). Freed with the header. */
Ferry__Wire__Identity *ferryi_identity_block_get(ferryi_pb_reader *r);

#endif
