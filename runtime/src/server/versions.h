/* versions.h - a server's API version ranges and its call statistics (the
 * public side is ferry/versions.h).
 *
 * Services are added before serving and then only read. The per-method
 * totals are atomic counters; the client rows live in a bounded hash table
 * under one mutex, so that a flood of invented client names cannot grow
 * memory without end. */
#ifndef FERRYI_VERSIONS_H
#define FERRYI_VERSIONS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/ferry.h"
#include "ferry/versions.h"

/* Longest client name or version kept, terminating NUL included. */
#define FERRYI_STATS_TEXT_MAX 64

/* One hosted service: its range and per-method totals. */
typedef struct ferryi_vsvc {
    const ferry_service_desc *desc;
    uint32_t min, max;
    const ferry_service_desc *newer;       /* a newer major version hosted, or NULL */
    atomic_uint_fast64_t *calls, *refused; /* desc->n_methods each */
} ferryi_vsvc;

/* Calls of one method by one kind of client. */
typedef struct ferryi_vrow {
    const ferry_method *method; /* NULL: an empty slot */
    uint64_t hash;
    uint32_t api_version;
    char name[FERRYI_STATS_TEXT_MAX];
    char version[FERRYI_STATS_TEXT_MAX];
    uint64_t calls, refused;
    uint64_t first_ms, last_ms; /* wall clock */
} ferryi_vrow;

typedef struct ferryi_versions {
    ferryi_vsvc *svcs;
    size_t n_svcs;
    uint64_t started_ms;          /* wall clock */
    atomic_uint_fast64_t unknown; /* calls of methods not hosted */

    pthread_mutex_t mu; /* guards what follows */
    ferryi_vrow *rows;  /* open addressing; cap is 0 or a power of two */
    size_t cap, used, limit;
    uint64_t overflow; /* calls that found no row */
} ferryi_versions;

void ferryi_versions_init(ferryi_versions *v);
void ferryi_versions_fini(ferryi_versions *v);

/* Adds the service `d` with the default range 1..d->api_version. */
ferry_status ferryi_versions_add(ferryi_versions *v, const ferry_service_desc *d);

/* The service entry of `d`, or NULL. */
ferryi_vsvc *ferryi_versions_find(ferryi_versions *v, const ferry_service_desc *d);

/* Checks a call of method `m` of hosted service `d` by a client of API
 * version `api` (0: not stated, not checked) and counts it under the
 * client's name and version. Sets *min and *max to the service's range. Returns FERRY_OK, or
 * FERRY_UNSUPPORTED_VERSION with the reason in `why`. */
ferry_status ferryi_versions_admit(ferryi_versions *v, const ferry_service_desc *d,
                                   const ferry_method *m, uint32_t api, const char *name,
                                   const char *version, uint32_t *min, uint32_t *max, char *why,
                                   size_t why_len);

/* For a call of `method`, which the server does not host, by a client of API
 * version `api`: writes the reason into `why` (the method is newer than the
 * server, its service is not served, or simply unknown), sets *min and *max
 * to the range of the service it names when that is hosted (else 0), and
 * counts it. */
void ferryi_versions_unknown(ferryi_versions *v, const char *method, uint32_t api, uint32_t *min,
                             uint32_t *max, char *why, size_t why_len);

/* What ferry_server_set_api_range(), ferry_server_get_api_range() and
 * ferry_server_set_stats_limit() do to a server's versions (server.c checks
 * the server first): FERRY_OK, FERRY_NOT_FOUND for a service not hosted, or
 * FERRY_INVALID_ARGUMENT for a range that leaves out the service's own
 * version. */
ferry_status ferryi_versions_set_range(ferryi_versions *v, const char *service, uint32_t min,
                                       uint32_t max);
ferry_status ferryi_versions_get_range(ferryi_versions *v, const char *service, uint32_t *min,
                                       uint32_t *max);
void ferryi_versions_set_limit(ferryi_versions *v, size_t rows);

#endif
