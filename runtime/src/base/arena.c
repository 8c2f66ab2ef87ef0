/* arena.c - bump allocation for one call's memory, freed all at once. */
/* MAP_ANONYMOUS is not POSIX.1-2008; every system ferry runs on has it. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "base/arena.h"

struct ferryi_arena_block {
    ferryi_arena_block *next;
    size_t size;
    int mapped; /* from mmap(), not malloc() */
    _Alignas(max_align_t) unsigned char data[];
};

#define ALIGN (_Alignof(max_align_t))

/* Blocks this large are mapped from the system and unmapped when the call
 * ends. From malloc() they would come from the arena of whichever thread ran
 * the call (nng's, or a worker's), and glibc gives back the free top of a
 * thread's arena only above a threshold it raises after large frees, to
 * 64 MiB: a burst of large calls would leave the process at its peak. */
#define MAP_MIN ((size_t)1 << 20)

static ferryi_arena_block *block_new(size_t want)
{
    ferryi_arena_block *b;
    if (sizeof *b + want >= MAP_MIN) {
        void *m = mmap(NULL, sizeof *b + want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        b = m;
        b->mapped = 1;
    } else {
        if ((b = malloc(sizeof *b + want)) == NULL)
            return NULL;
        b->mapped = 0;
    }
    b->size = want;
    return b;
}

static void block_free(ferryi_arena_block *b)
{
    if (b->mapped)
        munmap(b, sizeof *b + b->size);
    else
        free(b);
}

static void *pb_alloc(void *data, size_t size)
{
    return ferryi_arena_alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    /* Arena memory goes back all at once in ferryi_arena_reset(). */
    (void)data;
    (void)ptr;
}

void ferryi_arena_init(ferryi_arena *a)
{
    a->cur = a->inline_block;
    a->left = sizeof a->inline_block;
    a->blocks = NULL;
    a->used = 0;
    a->limit = 0;
    a->exhausted = 0;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
}

void *ferryi_arena_alloc(ferryi_arena *a, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ALIGN)
        return NULL;
    size_t rounded = (size + ALIGN - 1) & ~(ALIGN - 1);
    if (rounded > a->left) {
        size_t want = 8192;
        while (want < rounded && want < SIZE_MAX / 2)
            want *= 2;
        if (want < rounded)
            return NULL;
        if (a->limit != 0) {
            /* The limit is a byte budget: the block that would pass it is
             * cut to what is left, and only a request larger than that is
             * refused. */
            size_t room = a->used < a->limit ? a->limit - a->used : 0;
            if (rounded > room) {
                a->exhausted = 1;
                return NULL;
            }
            if (want > room)
                want = room;
        }
        ferryi_arena_block *b = block_new(want);
        if (b == NULL)
            return NULL;
        a->used += want;
        b->next = a->blocks;
        a->blocks = b;
        a->cur = b->data;
        a->left = want;
    }
    void *p = a->cur;
    a->cur += rounded;
    a->left -= rounded;
    return p;
}

void ferryi_arena_reset(ferryi_arena *a)
{
    ferryi_arena_block *b = a->blocks;
    while (b != NULL) {
        ferryi_arena_block *next = b->next;
        block_free(b);
        b = next;
    }
    a->blocks = NULL;
    a->used = 0;
    a->exhausted = 0;
    a->cur = a->inline_block;
    a->left = sizeof a->inline_block;
}

void ferryi_arena_limit(ferryi_arena *a, size_t limit)
{
    a->limit = limit;
}

void ferryi_arena_fini(ferryi_arena *a)
{
    ferryi_arena_reset(a);
}
