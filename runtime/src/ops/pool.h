/* pool.h - blocks of one size kept for reuse (pool.c): what a traced or
 * intercepted asynchronous call keeps while in flight (channel.c,
 * intercept.c). */
#ifndef FERRYI_POOL_H
#define FERRYI_POOL_H

#include <pthread.h>
#include <stddef.h>

#include "ferry/channel.h"

/* A pool of blocks of `size` bytes; at most `max` are kept. Static, with
 * FERRYI_POOL_INIT: it lives as long as the program. */
typedef struct ferryi_pool {
    pthread_mutex_t mu;
    void *free; /* blocks kept, linked through their first bytes */
    size_t n, max, size;
} ferryi_pool;

#define FERRYI_POOL_INIT(block_size, keep)                                                         \
    {                                                                                              \
        .mu = PTHREAD_MUTEX_INITIALIZER, .max = (keep), .size = (block_size)                       \
    }

/* A block of the pool's size (uninitialised), or NULL without memory. */
void *ferryi_pool_get(ferryi_pool *p);

/* Hands `block` (from ferryi_pool_get() of `p`, or NULL) back. */
void ferryi_pool_put(ferryi_pool *p, void *block);

/* An asynchronous call that a block follows while in flight (a traced
 * call's span, an intercepted call's event) is started and ended by these
 * two; the block holds the caller's completion. Inline: they run on every
 * such call. */

/* Starts the call on `ch` with `invoke` as its completion and `block` as
 * that completion's argument. When the call does not start, its
 * completion never runs, so the block goes back to `p` here. */
static inline ferry_status
ferryi_pool_call_async(ferryi_pool *p, void *block,
                       void (*invoke)(const ferry_completion *, ferry_status, ProtobufCMessage *,
                                      const ferry_call_info *),
                       ferry_channel *ch, const ferry_method *m, const ProtobufCMessage *req,
                       const ferry_call_opts *opts)
{
    ferry_completion wrap = {.invoke = invoke, .arg = block};
    ferry_status st = ch->ops->call_async(ch, m, req, opts, &wrap);
    if (st != FERRY_OK)
        ferryi_pool_put(p, block);
    return st;
}

/* Ends the call: `block` goes back to `p` before the caller's completion
 * `user` (copied out of it first) runs, so that a completion that starts
 * another call can have the block again. */
static inline void ferryi_pool_complete(ferryi_pool *p, void *block, const ferry_completion *user,
                                        ferry_status st, ProtobufCMessage *resp,
                                        const ferry_call_info *info)
{
    ferry_completion u = *user;
    ferryi_pool_put(p, block);
    u.invoke(&u, st, resp, info);
}

#endif
