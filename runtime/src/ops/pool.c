/* pool.c - blocks of one size kept for reuse (pool.h).
 *
 * An asynchronous call's block is allocated on the thread that starts the
 * call and freed on the one that completes it. The allocator's per-thread
 * caches do not help then: every such pair went through its shared arena
 * and that arena's lock, and cost more than the rest of the wrapper. A
 * short list under a mutex of its own is cheaper, and cheaper still is a
 * block the thread kept for itself: a completion that starts the next call
 * (as asynchronous callers do) hands its block back and takes it again on
 * the same thread, without the lock. Blocks kept stay reachable from the
 * pool or from their thread, and a thread that ends hands its own back, so
 * leak checkers do not count them. */
#include <stdlib.h>

#include "ops/pool.h"

/* Pools a thread keeps a block of; there are two (channel.c, intercept.c). */
#define KEPT_MAX 4

typedef struct kept_block {
    ferryi_pool *pool;
    void *block;
} kept_block;

static _Thread_local kept_block kept[KEPT_MAX];
static _Thread_local int kept_registered;

/* A thread's kept blocks go back to their pools when it ends: its key's
 * value is its `kept`, which pthreads hands to hand_back(). */
static pthread_key_t kept_key;
static int kept_key_made;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;

static void shared_put(ferryi_pool *p, void *block)
{
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

static void hand_back(void *arg)
{
    kept_block *k = arg;
    for (int i = 0; i < KEPT_MAX; i++)
        if (k[i].block != NULL) {
            shared_put(k[i].pool, k[i].block);
            k[i].block = NULL;
        }
}

static void make_key(void)
{
    kept_key_made = pthread_key_create(&kept_key, hand_back) == 0;
}

void *ferryi_pool_get(ferryi_pool *p)
{
    for (int i = 0; i < KEPT_MAX; i++)
        if (kept[i].pool == p && kept[i].block != NULL) {
            void *b = kept[i].block;
            kept[i].block = NULL;
            return b;
        }
    pthread_mutex_lock(&p->mu);
    void *b = p->free;
    if (b != NULL) {
        p->free = *(void **)b;
        p->n--;
    }
    pthread_mutex_unlock(&p->mu);
    return b != NULL ? b : malloc(p->size);
}

/* The thread's slot for `p`: the one it has, else a free one; NULL when
 * all are taken by other pools, or the thread's end could not be hooked. */
static kept_block *slot_for(ferryi_pool *p)
{
    if (!kept_registered) {
        pthread_once(&kept_once, make_key);
        if (!kept_key_made || pthread_setspecific(kept_key, kept) != 0)
            return NULL;
        kept_registered = 1;
    }
    kept_block *unused = NULL;
    for (int i = 0; i < KEPT_MAX; i++) {
        if (kept[i].pool == p)
            return &kept[i];
        if (kept[i].pool == NULL && unused == NULL)
            unused = &kept[i];
    }
    if (unused != NULL)
        unused->pool = p;
    return unused;
}

void ferryi_pool_put(ferryi_pool *p, void *block)
{
    if (block == NULL)
        return;
    kept_block *k = slot_for(p);
    if (k != NULL && k->block == NULL) {
        k->block = block;
        return;
    }
    shared_put(p, block);
}
