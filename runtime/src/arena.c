/* arena.c - bump allocation for one call's memory, freed all at once. */
#include <stdint.h>
#include <stdlib.h>

#include "arena.h"

struct ferryi_arena_block {
    ferryi_arena_block *next;
    size_t size;
    _Alignas(max_align_t) unsigned char data[];
};

#define ALIGN (_Alignof(max_align_t))

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
        if (a->limit != 0 && (want > a->limit || a->used > a->limit - want)) {
            a->exhausted = 1;
            return NULL;
        }
        ferryi_arena_block *b = malloc(sizeof *b + want);
        if (b == NULL)
            return NULL;
        a->used += want;
        b->next = a->blocks;
        b->size = want;
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
        free(b);
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
