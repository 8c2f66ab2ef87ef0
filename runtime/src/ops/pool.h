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
 * call's span, an intercepted call's event) starts with the block as its
 * completion's argument; a call that does not start puts the block back
 * itself, after ending what the block follows (its completion never runs).
 * It ends with this, inline as it runs on every such call: */

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
