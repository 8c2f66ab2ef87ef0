/* arena.c - one-shot memory for a generator run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct fcg_arena_block {
    fcg_arena_block *next;
    size_t used;
    size_t cap;
    max_align_t data[]; /* cap bytes */
};

enum { BLOCK_SIZE = 64 * 1024 };

static void *pb_alloc(void *data, size_t size)
{
    return fcg_arena_alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    (void)data; /* released with the arena */
    (void)ptr;
}

void fcg_arena_init(fcg_arena *a)
{
    a->head = NULL;
    a->failed = 0;
    a->pb.alloc = pb_alloc;
    a->pb.free = pb_free;
    a->pb.allocator_data = a;
}

void fcg_arena_fini(fcg_arena *a)
{
    fcg_arena_block *b = a->head;
    while (b != NULL) {
        fcg_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

void *fcg_arena_alloc(fcg_arena *a, size_t size)
{
    const size_t align = sizeof(max_align_t);
    if (size > SIZE_MAX - align) {
        a->failed = 1;
        return NULL;
    }
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    fcg_arena_block *b = a->head;
    if (b == NULL || b->cap - b->used < size) {
        size_t cap = size > BLOCK_SIZE ? size : BLOCK_SIZE;
        b = malloc(sizeof *b + cap);
        if (b == NULL) {
            a->failed = 1;
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *fcg_arena_strndup(fcg_arena *a, const char *s, size_t n)
{
    char *p = fcg_arena_alloc(a, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *fcg_arena_strdup(fcg_arena *a, const char *s)
{
    return fcg_arena_strndup(a, s, strlen(s));
}

char *fcg_arena_printf(fcg_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        a->failed = 1;
        return NULL;
    }
    char *p = fcg_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
