/* registry.h - the methods a server or local channel hosts, by full name.
 *
 * An open-addressing hash table from "package.Service/Method" to the service
 * implementation and method. Filled before serving starts, then only read:
 * lookups are safe from many threads once adds have stopped.
 */
#ifndef FERRYI_REGISTRY_H
#define FERRYI_REGISTRY_H

#include <stddef.h>

#include "ferry/ferry.h"

typedef struct ferryi_registry_slot {
    const char *name; /* the method's full name; NULL = empty slot */
    size_t impl;      /* index into impls */
    const ferry_method *method;
} ferryi_registry_slot;

typedef struct ferryi_registry {
    ferry_service_impl *impls; /* copies of the added implementations */
    size_t n_impls;
    ferryi_registry_slot *slots; /* capacity is a power of two */
    size_t cap;
    size_t used;
} ferryi_registry;

void ferryi_registry_init(ferryi_registry *r);
void ferryi_registry_fini(ferryi_registry *r);

/* Adds every method of `impl`. FERRY_ALREADY_EXISTS (with nothing added) when
 * a method's full name is taken; FERRY_INVALID_ARGUMENT for a malformed impl. */
ferry_status ferryi_registry_add(ferryi_registry *r, const ferry_service_impl *impl);

/* The method named `name` and its implementation, or NULL. */
const ferry_method *ferryi_registry_find(const ferryi_registry *r, const char *name,
                                         const ferry_service_impl **impl);

/* The full name of a hosted method that declares roles, or NULL. */
const char *ferryi_registry_first_with_roles(const ferryi_registry *r);

#endif
