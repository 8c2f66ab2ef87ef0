/* pbdepth.h - how deep the messages in protobuf bytes nest, found before
 * protobuf-c reads them.
 *
 * protobuf-c reads a nested message by calling itself, one stack frame of
 * several hundred bytes a level, and sets no limit: bytes of a recursive
 * message type (a tree node holding its children) that nest some tens of
 * thousands of levels, a few bytes each, overflow the reading thread's
 * stack. A peer's request or reply, a server's descriptors or a hostile
 * schema file could do it in well under the size limits. The bytes are
 * walked once, without recursion, before protobuf-c is given them.
 *
 * Part of ferry_idl, which every part of ferry links: the runtime checks
 * bodies, the tools the descriptors they read.
 *
 * Thread safety: none needed; it keeps no state. */
#ifndef FERRY_PBDEPTH_H
#define FERRY_PBDEPTH_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The deepest nesting read: protobuf's own readers stop at 100 levels.
 * (Messages that quote it as text say 100.) */
#define FERRY_PB_DEPTH_MAX 100

/* 0 when a message in `data` (`len` bytes of a `d`) lies more than
 * FERRY_PB_DEPTH_MAX levels below the top one; 1 otherwise, malformed bytes
 * included (protobuf-c refuses those itself, at a depth it can read). */
int ferry_pb_depth_ok(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len);

#endif
