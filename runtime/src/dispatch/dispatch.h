/* dispatch.h - the dispatcher's internals shared by its files: routes packed
 * into one word (so a call reads its route with one atomic load), the field
 * by field comparison of shadow answers, and the JSON string writer. */
#ifndef FERRYI_DISPATCH_H
#define FERRYI_DISPATCH_H

#include <stdint.h>
#include <stdio.h>

#include "ferry/dispatch.h"
#include "ferry/ferry.h"

/* A route as one word: bits 0-1 the stage, 2-8 the canary percentage,
 * 9 side effects, 10 local fallback. */
static inline uint32_t ferryi_route_pack(const ferry_route *r)
{
    return ((uint32_t)r->stage & 3u) | ((r->canary_percent & 127u) << 2) |
           (r->side_effects ? 1u << 9 : 0) | (r->local_fallback ? 1u << 10 : 0);
}

static inline ferry_route ferryi_route_unpack(uint32_t w)
{
    ferry_route r = {
        .stage = (ferry_stage)(w & 3u),
        .canary_percent = (w >> 2) & 127u,
        .side_effects = (w >> 9) & 1u,
        .local_fallback = (w >> 10) & 1u,
    };
    return r;
}

/* Writes `r` as the spec grammar spells it ("canary:10+local-fallback")
 * into buf (at least 40 bytes). */
void ferryi_route_str(const ferry_route *r, char *buf, size_t len);

/* Parses a spec for `svc`: the service default into *def and one route per
 * method into routes (svc->n_methods entries). FERRY_OK, or
 * FERRY_INVALID_ARGUMENT with the reason recorded (base/error.h). */
ferry_status ferryi_spec_parse(const ferry_service_desc *svc, const char *spec, ferry_route *def,
                               ferry_route *routes);

/* Compares two messages of one descriptor field by field: scalars, strings
 * and bytes, nested messages, repeated fields element by element, maps as
 * sets of keys (their order does not matter), oneofs by their case, and
 * unknown fields. Returns the number of differences; describes the first
 * few in `out` as "path: <a_name> value, <b_name> value; ..." (always
 * NUL-terminated, truncated with "..." when long). */
size_t ferryi_pbdiff(const ProtobufCMessage *a, const ProtobufCMessage *b, const char *a_name,
                     const char *b_name, char *out, size_t out_len);

/* Writes `s` as a JSON string literal, quotes included. */
void ferryi_json_string(FILE *f, const char *s);

#endif
