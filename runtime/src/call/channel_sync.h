/* channel_sync.h - what the files that implement a channel share: the
 * types of a channel's ops, and call_async for channels that answer on the
 * caller's thread (the local channel, the mock). */
#ifndef FERRYI_CHANNEL_SYNC_H
#define FERRYI_CHANNEL_SYNC_H

#include "ferry/channel.h"

/* The function types of ferry_channel_ops' call and call_async, so that a
 * part whose ops live in another of its files declares them in one line
 * (`ferryi_call_op ferryi_balance_call;`) and the compiler holds each
 * declaration to the vtable's signature. */
typedef ferry_status ferryi_call_op(ferry_channel *ch, const ferry_method *m,
                                    const ProtobufCMessage *req, ProtobufCMessage **resp,
                                    const ferry_call_opts *opts);
typedef ferry_status ferryi_call_async_op(ferry_channel *ch, const ferry_method *m,
                                          const ProtobufCMessage *req, const ferry_call_opts *opts,
                                          const ferry_completion *done);

/* A call_async for channels that answer on the caller's thread, to put in
 * their ops as it is: runs the channel's own call (ch->ops->call) and
 * invokes `done` with its outcome before returning; the caller's
 * opts->info, if any, gets the same info. Returns FERRY_OK. */
ferryi_call_async_op ferryi_call_async_now;

#endif
