/* handlers.h - the @Svc@ service's handlers, apart from any transport: the
 * server (main.c), the local binding and the tests run the same functions.
 *
 * Ownership: @name@_store_new() returns a store the caller frees with
 * @name@_store_free(), after every server or channel using it is gone.
 * Thread safety: the handlers may run on several threads at once; the store
 * has its own lock. */
#ifndef @NAME@_HANDLERS_H
#define @NAME@_HANDLERS_H

#include "@stem@.ferry.h"

typedef struct @name@_store @name@_store;

/* A new, empty store of notes; NULL when out of memory. */
@name@_store *@name@_store_new(void);
void @name@_store_free(@name@_store *store);

/* The handler table; pass the store as the user pointer of
 * @prefix@_register() or @prefix@_local_open(). */
const @prefix@_handlers *@name@_handlers(void);

#endif /* @NAME@_HANDLERS_H */
