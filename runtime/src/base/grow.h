/* grow.h - one more entry at the end of an array that doubles as it fills:
 * the one copy of what breakers, fallbacks, health statuses and the mock's
 * method records each did by hand. Not thread-safe: callers hold the lock
 * that guards their array. */
#ifndef FERRYI_GROW_H
#define FERRYI_GROW_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Appends a zeroed entry of `size` bytes to the array whose pointer is at
 * `array_at` (a `T **` for an array of `T`; *cap entries, the first *n in
 * use) and returns it, *n counting it. When the array is full it moves to
 * twice as many entries (`first` when it had none), and *array_at and *cap
 * follow. NULL when out of memory, with the array, *n and *cap left as they
 * were. The array's pointer is read and written with memcpy, so that any
 * `T **` may be passed without breaking C's aliasing rules. */
static inline void *ferryi_push(void *array_at, size_t *n, size_t *cap, size_t size, size_t first)
{
    char *v;
    memcpy(&v, array_at, sizeof v);
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : first;
        char *grown = realloc(v, grown_cap * size);
        if (grown == NULL)
            return NULL;
        v = grown;
        memcpy(array_at, &v, sizeof v);
        *cap = grown_cap;
    }
    char *e = v + (*n)++ * size;
    memset(e, 0, size);
    return e;
}

#endif
