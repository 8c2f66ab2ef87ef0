/* grow.h - room for one more entry in an array that doubles as it fills:
 * the one copy of what breakers, fallbacks, health statuses and the mock's
 * method records each did by hand. Not thread-safe: callers hold the lock
 * that guards their array. */
#ifndef FERRYI_GROW_H
#define FERRYI_GROW_H

#include <stddef.h>
#include <stdlib.h>

/* The array `v` (*cap entries of `size` bytes, the first `n` in use) with
 * room for one more entry: `v` itself while it has some, else `v` moved to
 * twice as many entries (`first` when it had none) and *cap updated. NULL
 * when out of memory, with `v` and *cap left as they were. */
static inline void *ferryi_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return v;
    size_t grown_cap = *cap ? *cap * 2 : first;
    void *grown = realloc(v, grown_cap * size);
    if (grown != NULL)
        *cap = grown_cap;
    return grown;
}

#endif
