/* arena.h - a bump allocator for the memory of one call.
 *
 * A call's decoded request, its response's strings and repeated fields, and
 * whatever its handler allocates with ferry_call_alloc() come from the call's
 * arena and are released together when the reply has been sent. The first
 * block lives inside the arena struct, so small calls never reach malloc.
 * Not thread-safe: an arena belongs to one call.
 */
#ifndef FERRYI_ARENA_H
#define FERRYI_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define FERRYI_ARENA_INLINE 2048

typedef struct ferryi_arena_block ferryi_arena_block;

typedef struct ferryi_arena {
    unsigned char *cur;         /* next free byte */
    size_t left;                /* bytes free at cur */
    ferryi_arena_block *blocks; /* heap blocks, newest first */
    size_t used;                /* bytes of heap blocks */
    size_t limit;               /* most heap bytes allowed; 0 = no limit */
    int exhausted;              /* an allocation was refused by the limit */
    ProtobufCAllocator pb;      /* protobuf-c allocator drawing from this arena */
    _Alignas(max_align_t) unsigned char inline_block[FERRYI_ARENA_INLINE];
} ferryi_arena;

void ferryi_arena_init(ferryi_arena *a);

/* Caps the heap memory the arena may take at `limit` bytes (0 = no cap). */
void ferryi_arena_limit(ferryi_arena *a, size_t limit);

/* `size` bytes aligned for any type, or NULL when out of memory or over the
 * arena's limit (then a->exhausted is set). */
void *ferryi_arena_alloc(ferryi_arena *a, size_t size);

/* Releases every allocation; the arena can be used again. */
void ferryi_arena_reset(ferryi_arena *a);

/* Releases every allocation and the heap blocks. */
void ferryi_arena_fini(ferryi_arena *a);

#endif
