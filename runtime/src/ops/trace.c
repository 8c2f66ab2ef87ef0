/* trace.c - W3C trace context on calls and the spans they end as
 * (ferry/trace.h): the sink, traceparent read and written, the server
 * side's span (server.c, local.c) and the client side's (channel.c). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/log.h"
#include "ops/trace_client.h"

/* The sink and its argument, read for every span and written when a
 * program sets the sink. Readers take no lock (a read-write lock's reader
 * count is a cache line every thread ending a call writes): the pair lives
 * in a block that is never changed once published, and a new sink
 * publishes a new block. Old blocks stay on `sinks_all` rather than being
 * freed, since a reader may still hold one, and a pair set again reuses
 * its block: they are as many as the distinct sinks a program sets. */
typedef struct sink_pair {
    ferry_span_sink fn;
    void *arg;
    struct sink_pair *older; /* every block published, for keeping */
} sink_pair;

static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER; /* writers */
static sink_pair *sinks_all;                                /* under sink_mu */
static _Atomic(sink_pair *) sink_now;                       /* NULL: no sink */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static __thread int shadow_mark;

static const char traceparent_key[] = "traceparent";

/* Publishes (fn, arg) as the sink; the caller holds sink_mu. A block that
 * cannot be allocated leaves the sink as it was, and says so. */
static void publish(ferry_span_sink fn, void *arg)
{
    sink_pair *p = NULL;
    if (fn != NULL) {
        p = sinks_all;
        while (p != NULL && (p->fn != fn || p->arg != arg))
            p = p->older;
        if (p == NULL) {
            if ((p = malloc(sizeof *p)) == NULL) {
                ferryi_log(FERRYI_LOG_ERROR, "trace", "out of memory: the span sink is unchanged");
                return;
            }
            *p = (sink_pair){.fn = fn, .arg = arg, .older = sinks_all};
            sinks_all = p;
        }
    }
    atomic_store_explicit(&sink_now, p, memory_order_release);
}

void ferry_trace_set_sink(ferry_span_sink sink, void *arg)
{
    pthread_mutex_lock(&sink_mu);
    publish(sink, arg);
    pthread_mutex_unlock(&sink_mu);
}

/* FERRY_TRACE=log turns the log sink on, unless a program set a sink. */
static void env_init(void)
{
    const char *v = getenv("FERRY_TRACE");
    if (v == NULL || *v == '\0')
        return;
    if (strcmp(v, "log") == 0) {
        pthread_mutex_lock(&sink_mu);
        if (atomic_load_explicit(&sink_now, memory_order_relaxed) == NULL)
            publish(ferry_trace_log_sink, NULL);
        pthread_mutex_unlock(&sink_mu);
    } else {
        ferryi_log(FERRYI_LOG_WARN, "trace", "FERRY_TRACE=%.32s is not 'log'; tracing stays off",
                   v);
    }
}

int ferryi_trace_on(void)
{
    pthread_once(&env_once, env_init);
    return atomic_load_explicit(&sink_now, memory_order_relaxed) != NULL;
}

void ferryi_trace_mark_shadow(int on)
{
    shadow_mark = on;
}

/* Every byte's two hex digits: each traced call writes 25 bytes of ids
 * into its traceparent, a pair at a time. */
static const char hex_pairs[513] = "000102030405060708090a0b0c0d0e0f"
                                   "101112131415161718191a1b1c1d1e1f"
                                   "202122232425262728292a2b2c2d2e2f"
                                   "303132333435363738393a3b3c3d3e3f"
                                   "404142434445464748494a4b4c4d4e4f"
                                   "505152535455565758595a5b5c5d5e5f"
                                   "606162636465666768696a6b6c6d6e6f"
                                   "707172737475767778797a7b7c7d7e7f"
                                   "808182838485868788898a8b8c8d8e8f"
                                   "909192939495969798999a9b9c9d9e9f"
                                   "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
                                   "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
                                   "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                   "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
                                   "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void ferry_trace_hex(const uint8_t *id, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        memcpy(out + 2 * i, hex_pairs + 2 * id[i], 2);
    out[2 * n] = '\0';
}

void ferry_trace_log_sink(void *arg, const ferry_span *s)
{
    (void)arg;
    char trace[33], span[17], parent[17];
    ferry_trace_hex(s->trace_id, 16, trace);
    ferry_trace_hex(s->span_id, 8, span);
    ferry_trace_hex(s->parent_id, 8, parent);
    ferryi_log_call(FERRYI_LOG_INFO, "trace", &(ferryi_log_context){s->method_name, 0},
                    "span %s side=%s trace=%s parent=%s%s status=%s duration_us=%llu%s%s", span,
                    s->side == FERRY_SIDE_SERVER ? "server" : "client", trace, parent,
                    s->shadow ? " shadow" : "", ferry_status_str(s->status),
                    (unsigned long long)s->duration_us, s->message[0] != '\0' ? " msg=" : "",
                    s->message);
}

/* Hands `span` to the sink, if one is set. */
static void emit(const ferry_span *span)
{
    const sink_pair *p = atomic_load_explicit(&sink_now, memory_order_acquire);
    if (p != NULL)
        p->fn(p->arg, span);
}

/* `n` is 8 or 16: ids are checked a word at a time. */
static int all_zero(const uint8_t *p, size_t n)
{
    uint64_t any = 0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        any |= w;
    }
    return any == 0;
}

/* One more than the value of each lower-case hex digit, 0 for every other
 * byte: a server reads 50 digits of every traced call's traceparent, and a
 * lookup is cheaper than comparing each against two ranges. */
static const uint8_t hex_value[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

static int unhex(const char *s, uint8_t *out, size_t n)
{
    /* A digit that is none wraps to all ones at `- 1`: one test at the end
     * instead of two per byte. */
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned hi = hex_value[(uint8_t)s[2 * i]] - 1u, lo = hex_value[(uint8_t)s[2 * i + 1]] - 1u;
        seen |= hi | lo;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return seen <= 15;
}

int ferryi_traceparent_parse(const uint8_t *v, size_t len, uint8_t trace[16], uint8_t parent[8],
                             uint8_t *flags)
{
    if (len < 55 || (len > 55 && (len > FERRYI_TRACEPARENT_MAX || v[55] != '-')))
        return 0;
    const char *s = (const char *)v; /* read in place: 55 bytes are there */
    uint8_t version;
    if (s[2] != '-' || s[35] != '-' || s[52] != '-' || !unhex(s, &version, 1) || version == 0xff ||
        (version == 0 && len != 55) || !unhex(s + 3, trace, 16) || !unhex(s + 36, parent, 8) ||
        !unhex(s + 53, flags, 1))
        return 0;
    return !all_zero(trace, 16) && !all_zero(parent, 8);
}

/* The traceparent entry of `md`, or NULL. */
static const ferry_metadata *find_traceparent(const ferry_metadata *md, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (md[i].key != NULL && strcmp(md[i].key, traceparent_key) == 0)
            return &md[i];
    return NULL;
}

/* Ids need to be unique, not secret: a generator per thread
 * (xoshiro256**, seeded from the system's randomness once) instead of a
 * system call per id. */
static __thread uint64_t rng[4];
static __thread int rng_seeded;

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next_random(void)
{
    if (!rng_seeded) {
        do
            randombytes_buf(rng, sizeof rng);
        while (rng[0] == 0 && rng[1] == 0 && rng[2] == 0 && rng[3] == 0);
        rng_seeded = 1;
    }
    uint64_t out = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;
    rng[2] ^= rng[0];
    rng[3] ^= rng[1];
    rng[1] ^= rng[2];
    rng[0] ^= rng[3];
    rng[2] ^= t;
    rng[3] = rotl(rng[3], 45);
    return out;
}

/* `n` is 8 or 16 (span and trace ids): whole words, each copied with a
 * fixed-size memcpy the compiler turns into one store. */
static void new_id(uint8_t *id, size_t n)
{
    do {
        for (size_t i = 0; i + 8 <= n; i += 8) {
            uint64_t r = next_random();
            memcpy(id + i, &r, 8);
        }
    } while (all_zero(id, n));
}

/* Writes the traceparent that names span `t` ("00-TRACE-SPAN-FLAGS", 55
 * characters and a NUL) into `out`, which holds 56 bytes. By hand: it is
 * written for every traced call, and snprintf() cost more than the rest of
 * the trace. */
static void write_traceparent(char *out, const ferryi_trace *t)
{
    memcpy(out, "00-", 3);
    ferry_trace_hex(t->trace_id, 16, out + 3);
    out[35] = '-';
    ferry_trace_hex(t->span_id, 8, out + 36);
    out[52] = '-';
    ferry_trace_hex(&t->flags, 1, out + 53);
}

/* Fills `t` as a span whose parent is the context in `md` (a traceparent
 * entry), else `parent`'s trace, else nothing: a new trace. */
static void begin(ferryi_trace *t, const ferry_metadata *md, size_t n, const ferryi_trace *parent,
                  uint64_t start_us)
{
    memset(t, 0, sizeof *t);
    t->on = 1;
    t->flags = 1; /* sampled */
    const ferry_metadata *tp = find_traceparent(md, n);
    if (tp == NULL ||
        !ferryi_traceparent_parse(tp->value, tp->len, t->trace_id, t->parent_id, &t->flags)) {
        memset(t->parent_id, 0, sizeof t->parent_id);
        t->flags = 1;
        if (parent != NULL && parent->on) {
            memcpy(t->trace_id, parent->trace_id, sizeof t->trace_id);
            memcpy(t->parent_id, parent->span_id, sizeof t->parent_id);
            t->flags = parent->flags;
        } else {
            new_id(t->trace_id, sizeof t->trace_id);
        }
    }
    new_id(t->span_id, sizeof t->span_id);
    t->start_us = start_us;
    t->start_unix_us = ferryi_wall_us_at(start_us);
}

static void end(const ferryi_trace *t, ferry_call_side side, const char *method, ferry_status st,
                const char *message, int shadow, uint64_t now_us)
{
    ferry_span span = {
        .side = side,
        .method_name = method != NULL ? method : "",
        .start_unix_us = t->start_unix_us,
        .duration_us = now_us > t->start_us ? now_us - t->start_us : 0,
        .status = st,
        .message = message != NULL ? message : "",
        .shadow = shadow,
    };
    memcpy(span.trace_id, t->trace_id, sizeof span.trace_id);
    memcpy(span.span_id, t->span_id, sizeof span.span_id);
    memcpy(span.parent_id, t->parent_id, sizeof span.parent_id);
    emit(&span);
}

void ferryi_trace_server_begin(ferryi_trace *t, const ferry_metadata *md, size_t n,
                               uint64_t start_us)
{
    begin(t, md, n, NULL, start_us);
}

void ferryi_trace_server_end(const ferryi_trace *t, const char *method, ferry_status st,
                             const char *message, uint64_t now_us)
{
    if (t->on)
        end(t, FERRY_SIDE_SERVER, method, st, message, 0, now_us);
}

int ferry_call_trace_id(const ferry_call *call, char out[33])
{
    const ferryi_trace *t = call != NULL ? ferryi_call_trace(call) : NULL;
    if (t == NULL || !t->on) {
        out[0] = '\0';
        return 0;
    }
    ferry_trace_hex(t->trace_id, sizeof t->trace_id, out);
    return 1;
}

/* ---- the client side ---------------------------------------------------- */

const ferry_call_opts *ferryi_trace_client_begin(ferryi_client_span *s, const ferry_call_opts *opts)
{
    s->opts = opts != NULL ? *opts : (ferry_call_opts){0};
    s->shadow = shadow_mark;
    const ferry_metadata *md = s->opts.metadata;
    size_t n = s->opts.metadata != NULL ? s->opts.n_metadata : 0;
    const ferryi_trace *parent = s->opts.parent != NULL ? ferryi_call_trace(s->opts.parent) : NULL;
    begin(&s->t, md, n, parent, ferryi_now_us());
    /* The outgoing traceparent names this span: it replaces the caller's,
     * which is this span's parent. */
    write_traceparent(s->header, &s->t);
    s->md = n + 1 <= sizeof s->inline_md / sizeof s->inline_md[0] ? s->inline_md
                                                                  : malloc((n + 1) * sizeof *s->md);
    if (s->md == NULL)
        return opts; /* no memory for the entry: the call goes untraced onward */
    size_t k = 0;
    for (size_t i = 0; i < n && k < FERRYI_METADATA_MAX; i++)
        if (md[i].key == NULL || strcmp(md[i].key, traceparent_key) != 0)
            s->md[k++] = md[i];
    if (k == FERRYI_METADATA_MAX)
        return opts; /* full: the call goes as it was, its refusal says why */
    s->md[k++] = (ferry_metadata){
        .key = traceparent_key, .value = (const uint8_t *)s->header, .len = strlen(s->header)};
    s->opts.metadata = s->md;
    s->opts.n_metadata = k;
    if (s->opts.info == NULL)
        s->opts.info = &s->info;
    return &s->opts;
}

void ferryi_trace_client_end(ferryi_client_span *s, const char *method, ferry_status st,
                             const ferry_call_info *info)
{
    end(&s->t, FERRY_SIDE_CLIENT, method, st, info != NULL && st != FERRY_OK ? info->message : "",
        s->shadow, ferryi_now_us());
    if (s->md != s->inline_md)
        free(s->md);
    s->md = NULL;
}
