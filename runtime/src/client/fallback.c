/* fallback.c - what a remote channel returns when a method's service cannot
 * be reached: the application's function, else the IDL's response (empty,
 * or the default the generator encoded from the IDL's text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/grow.h"
#include "client/fallback.h"
#include "base/log.h"

void ferryi_fallbacks_init(ferryi_fallbacks *f)
{
    pthread_mutex_init(&f->mu, NULL);
    f->v = NULL;
    f->n = f->cap = 0;
}

void ferryi_fallbacks_fini(ferryi_fallbacks *f)
{
    free(f->v);
    pthread_mutex_destroy(&f->mu);
}

static ferryi_fallback_entry *find(ferryi_fallbacks *f, const ferry_method *m)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].m == m)
            return &f->v[i];
    return NULL;
}

ferry_status ferryi_fallback_set(ferryi_fallbacks *f, const ferry_method *m, ferry_fallback_fn fn,
                                 void *arg)
{
    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&f->mu);
    ferryi_fallback_entry *e = find(f, m);
    if (fn == NULL) {
        if (e != NULL)
            *e = f->v[--f->n];
    } else if (e != NULL) {
        e->fn = fn;
        e->arg = arg;
    } else {
        e = ferryi_push(&f->v, &f->n, &f->cap, sizeof *e, 4);
        if (e == NULL)
            st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", m->full_name);
        else
            *e = (ferryi_fallback_entry){.m = m, .fn = fn, .arg = arg};
    }
    pthread_mutex_unlock(&f->mu);
    return st;
}

int ferryi_fallback_wants_request(ferryi_fallbacks *f, const ferry_method *m)
{
    pthread_mutex_lock(&f->mu);
    int yes = find(f, m) != NULL;
    pthread_mutex_unlock(&f->mu);
    return yes;
}

/* A caller-owned copy of `msg`, through the wire encoding; NULL when out of memory. */
static ProtobufCMessage *copy_out(const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return NULL;
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *out = protobuf_c_message_unpack(msg->descriptor, NULL, n, buf);
    free(buf);
    return out;
}

/* The IDL's default response of `m`, unpacked from the bytes the generator
 * encoded; NULL when out of memory or when the bytes do not decode (a
 * descriptor not made by protoc-gen-ferry). */
static ProtobufCMessage *idl_default(const ferry_method *m)
{
    size_t len = m->opts.fallback_default_len;
    const uint8_t *pb = m->opts.fallback_default_pb;
    ProtobufCMessage *out = protobuf_c_message_unpack(m->output, NULL, pb != NULL ? len : 0,
                                                      pb != NULL ? pb : (const uint8_t *)"");
    if (out == NULL)
        ferryi_log(FERRYI_LOG_WARN, "fallback",
                   "the default response of %s (%zu bytes) cannot be unpacked as %s", m->full_name,
                   len, m->output->name);
    return out;
}

ferry_status ferryi_fallback_apply(ferryi_fallbacks *f, const ferry_method *m,
                                   const ProtobufCMessage *req, ferry_status cause,
                                   ProtobufCMessage **resp, ferry_call_info *info)
{
    if (cause != FERRY_UNAVAILABLE && cause != FERRY_DEADLINE_EXCEEDED)
        return cause;
    pthread_mutex_lock(&f->mu);
    ferryi_fallback_entry *e = find(f, m);
    ferryi_fallback_entry app = e != NULL ? *e : (ferryi_fallback_entry){0};
    pthread_mutex_unlock(&f->mu);

    ProtobufCMessage *out = NULL;
    if (app.fn != NULL) {
        ferryi_arena arena;
        ferryi_arena_init(&arena);
        ProtobufCMessage *r = ferryi_arena_alloc(&arena, m->output->sizeof_message);
        if (r != NULL) {
            protobuf_c_message_init(m->output, r);
            if (app.fn(app.arg, m, req, cause, r) == FERRY_OK && protobuf_c_message_check(r))
                out = copy_out(r);
        }
        ferryi_arena_fini(&arena);
    } else if (m->opts.fallback == FERRY_FALLBACK_EMPTY) {
        out = protobuf_c_message_unpack(m->output, NULL, 0, (const uint8_t *)"");
    } else if (m->opts.fallback == FERRY_FALLBACK_DEFAULT) {
        out = idl_default(m);
    }
    if (out == NULL)
        return cause;
    char was[FERRY_MESSAGE_MAX];
    snprintf(was, sizeof was, "%s", info->message);
    snprintf(info->message, sizeof info->message, "fallback after %s: %s", ferry_status_str(cause),
             was);
    *resp = out;
    return FERRY_FALLBACK;
}
