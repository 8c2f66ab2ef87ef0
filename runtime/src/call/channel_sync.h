/* channel_sync.h - call_async for channels that answer on the caller's
 * thread (the local channel, the mock): run the synchronous call, then
 * complete at once. */
#ifndef FERRYI_CHANNEL_SYNC_H
#define FERRYI_CHANNEL_SYNC_H

#include "ferry/channel.h"

typedef ferry_status (*ferryi_sync_call_fn)(ferry_channel *ch, const ferry_method *m,
                                            const ProtobufCMessage *req, ProtobufCMessage **resp,
                                            const ferry_call_opts *opts);

/* Runs `call` and invokes `done` with its outcome before returning; the
 * caller's opts->info, if any, gets the same info. Returns FERRY_OK. */
ferry_status ferryi_call_async_now(ferryi_sync_call_fn call, ferry_channel *ch,
                                   const ferry_method *m, const ProtobufCMessage *req,
                                   const ferry_call_opts *opts, const ferry_completion *done);

#endif
