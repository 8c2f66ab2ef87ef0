/* envelope.h - ferry's wire frame: magic, version, kind, header, body.
 *
 *   offset  size  field
 *   0       2     magic "FY"
 *   2       1     wire version (FERRYI_WIRE_VERSION)
 *   3       1     kind (FERRYI_KIND_REQUEST or FERRYI_KIND_REPLY)
 *   4       4     header length H, big-endian
 *   8       H     ferry.wire.RequestHeader or ReplyHeader (protobuf)
 *   8+H     ...   body: the method's message (protobuf)
 *
 * docs/wire.md is the full specification. Nothing here touches nng, so the
 * same code serves the client, the server, the golden-vector test and the
 * fuzz target. Pure functions, thread-safe.
 */
#ifndef FERRYI_ENVELOPE_H
#define FERRYI_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/ferry.h"
#include "ferry/wire.pb-c.h"

#define FERRYI_WIRE_VERSION 1
#define FERRYI_FRAME_PREFIX 8
#define FERRYI_KIND_REQUEST 1
#define FERRYI_KIND_REPLY   2
/* Longest method name accepted in a request header. */
#define FERRYI_METHOD_MAX 512
/* The largest header a frame may carry (metadata included); a peer refuses
 * a frame with a larger one before decoding it. */
#define FERRYI_HEADER_MAX 65536
/* Most metadata entries a request may carry; more is a protocol error. */
#define FERRYI_METADATA_MAX 64u
/* nng's req/rep protocols carry a request id (and a backtrace) with each
 * message; sockets set NNG_OPT_RECVMAXSZ this much above ferry's own limit,
 * so that ferry's check, with its clear error, is the one that applies. */
#define FERRYI_NNG_HEADER_ROOM 64u

/* A frame's parts, pointing into the frame's bytes. */
typedef struct ferryi_frame {
    unsigned kind;
    const uint8_t *header;
    size_t header_len;
    const uint8_t *body;
    size_t body_len;
} ferryi_frame;

/* Splits `buf` into header and body. Fails with FERRY_PROTOCOL_ERROR and a
 * reason in `why` when the bytes are not a frame of `want_kind`. */
ferry_status ferryi_frame_split(const uint8_t *buf, size_t len, unsigned want_kind,
                                ferryi_frame *out, char *why, size_t why_len);

/* Bytes a frame of header `hdr` and body `body` (NULL: empty) takes, or 0 when
 * it would not fit the 32-bit header length; the body's share in *body_len
 * unless it is NULL. */
size_t ferryi_frame_size(const ProtobufCMessage *hdr, const ProtobufCMessage *body,
                         size_t *body_len);

/* Writes the frame into `dst`, which holds exactly ferryi_frame_size() bytes. */
void ferryi_frame_write(uint8_t *dst, size_t dst_len, unsigned kind, const ProtobufCMessage *hdr,
                        const ProtobufCMessage *body);

/* Writes a frame whose body is already encoded: `body_len` bytes at `body`.
 * `dst` holds exactly FERRYI_FRAME_PREFIX + packed size of hdr + body_len. */
void ferryi_frame_write_raw(uint8_t *dst, unsigned kind, const ProtobufCMessage *hdr,
                            const uint8_t *body, size_t body_len);

/* Decodes and checks a request header: a valid ferry.wire.RequestHeader whose
 * method is 1 to FERRYI_METHOD_MAX bytes with a '/', and at most
 * FERRYI_METADATA_MAX metadata entries. On failure returns
 * FERRY_PROTOCOL_ERROR with the reason in `why`; on success *out is
 * allocated from `alloc`. */
ferry_status ferryi_request_header_decode(const ferryi_frame *f, ProtobufCAllocator *alloc,
                                          Ferry__Wire__RequestHeader **out, char *why,
                                          size_t why_len);

#endif
