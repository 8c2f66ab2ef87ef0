/* arena.h - one-shot memory for a generator run: everything the model holds
 * is allocated here and released at once by fcg_arena_fini(). */
#ifndef FCG_ARENA_H
#define FCG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct fcg_arena_block fcg_arena_block;

typedef struct fcg_arena {
    fcg_arena_block *head; /* newest block first */
    int failed;            /* nonzero once an allocation failed */
    ProtobufCAllocator pb; /* protobuf-c allocator drawing from this arena */
} fcg_arena;

void fcg_arena_init(fcg_arena *a);
void fcg_arena_fini(fcg_arena *a);

/* Zeroed memory aligned for any type; NULL (and a->failed set) when out of
 * memory. */
void *fcg_arena_alloc(fcg_arena *a, size_t size);

/* Copies of `n` bytes of `s` (NUL-terminated), of a string, of a format. */
char *fcg_arena_strndup(fcg_arena *a, const char *s, size_t n);
char *fcg_arena_strdup(fcg_arena *a, const char *s);
char *fcg_arena_printf(fcg_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* FCG_ARENA_H */
