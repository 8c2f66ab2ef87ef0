/* registry.c - hash table from method full name to its implementation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "call/registry.h"

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

void ferryi_registry_init(ferryi_registry *r)
{
    memset(r, 0, sizeof *r);
}

void ferryi_registry_fini(ferryi_registry *r)
{
    free(r->impls);
    free(r->slots);
    memset(r, 0, sizeof *r);
}

static ferryi_registry_slot *probe(ferryi_registry_slot *slots, size_t cap, const char *name)
{
    size_t i = (size_t)hash_name(name) & (cap - 1);
    while (slots[i].name != NULL && strcmp(slots[i].name, name) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(ferryi_registry *r, size_t need)
{
    if ((r->used + need) * 2 <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : 16;
    while ((r->used + need) * 2 > cap)
        cap *= 2;
    ferryi_registry_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].name != NULL)
            *probe(slots, cap, r->slots[i].name) = r->slots[i];
    free(r->slots);
    r->slots = slots;
    r->cap = cap;
    return 0;
}

ferry_status ferryi_registry_add(ferryi_registry *r, const ferry_service_impl *impl)
{
    const ferry_service_desc *d = impl->desc;
    if (d == NULL || impl->invoke == NULL || impl->handlers == NULL ||
        (d->n_methods > 0 && d->methods == NULL))
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "service %s: the implementation needs a descriptor, an invoke "
                            "function and a handler table",
                            d != NULL && d->full_name != NULL ? d->full_name : "(unnamed)");
    for (size_t i = 0; i < d->n_methods; i++) {
        if (d->methods[i].full_name == NULL || d->methods[i].index != i)
            return ferryi_error(FERRY_INVALID_ARGUMENT,
                                "service %s: method %zu of its descriptor is malformed",
                                d->full_name, i);
        if (ferryi_registry_find(r, d->methods[i].full_name, NULL) != NULL)
            return ferryi_error(FERRY_ALREADY_EXISTS, "method %s is already hosted",
                                d->methods[i].full_name);
    }
    if (grow(r, d->n_methods) != 0)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", d->full_name);
    ferry_service_impl *impls = realloc(r->impls, (r->n_impls + 1) * sizeof *impls);
    if (impls == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", d->full_name);
    r->impls = impls;
    r->impls[r->n_impls] = *impl;
    for (size_t i = 0; i < d->n_methods; i++) {
        ferryi_registry_slot *s = probe(r->slots, r->cap, d->methods[i].full_name);
        s->name = d->methods[i].full_name;
        s->impl = r->n_impls;
        s->method = &d->methods[i];
        r->used++;
    }
    r->n_impls++;
    return FERRY_OK;
}

const ferry_method *ferryi_registry_find(const ferryi_registry *r, const char *name,
                                         const ferry_service_impl **impl)
{
    if (r->cap == 0)
        return NULL;
    const ferryi_registry_slot *s = probe(r->slots, r->cap, name);
    if (s->name == NULL)
        return NULL;
    if (impl != NULL)
        *impl = &r->impls[s->impl];
    return s->method;
}

const char *ferryi_registry_first_with_roles(const ferryi_registry *r)
{
    for (size_t i = 0; i < r->cap; i++)
        if (r->slots[i].name != NULL && r->slots[i].method->opts.n_roles > 0)
            return r->slots[i].name;
    return NULL;
}
