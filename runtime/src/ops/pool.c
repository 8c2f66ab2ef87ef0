/* pool.c - blocks of one size kept for reuse (pool.h).
 *
 * An asynchronous call's block is allocated on the thread that starts the
 * call and freed on the one that completes it. The allocator's per-thread
 * caches do not help then: every such pair went through its shared arena
 * and that arena's lock, and cost more than the rest of the wrapper. A
 * short list under a mutex of its own is cheaper. Blocks kept stay
 * reachable from the pool, so leak checkers do not count them. */
#include <stdlib.h>

#include "ops/pool.h"

void *ferryi_pool_get(ferryi_pool *p)
{
    pthread_mutex_lock(&p->mu);
    void *b = p->free;
    if (b != NULL) {
        p->free = *(void **)b;
        p->n--;
    }
    pthread_mutex_unlock(&p->mu);
    return b != NULL ? b : malloc(p->size);
}

void ferryi_pool_put(ferryi_pool *p, void *block)
{
    if (block == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->n < p->max) {
        *(void **)block = p->free;
        p->free = block;
        p->n++;
        block = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    free(block); /* the pool is full */
}
