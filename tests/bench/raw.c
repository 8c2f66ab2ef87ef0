/* raw.c - the floor: a plain nng req0/rep0 echo, as fast as nng allows.
 *
 * Server: one rep0 socket with SERVER_CTXS contexts, each an aio-callback
 * loop that sends every request straight back as its reply (no copy, no
 * allocation). Throughput client: `in_flight` req0 contexts on one socket,
 * each an aio-callback loop that sends the reply it got as its next request.
 * Latency client: one context, one round trip at a time, the caller waiting
 * on an aio without a callback, as ferry's synchronous calls do. Blocking
 * throughput client: `in_flight` threads doing the same, each on a context
 * of its own: the floor for ferry's synchronous client, which pays the
 * same two waits and thread wake-ups per call. Nothing of
 * ferry is used here; messages are reused, so the floor allocates nothing
 * per call.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "bench.h"

#define SERVER_CTXS 64

/* ------------------------------------------------------------------------
 * Server
 * ---------------------------------------------------------------------- */

typedef struct echo_ctx {
    nng_ctx ctx;
    nng_aio *aio;
    int sending;
} echo_ctx;

static void echo_cb(void *arg)
{
    echo_ctx *c = arg;
    int rv = nng_aio_result(c->aio);
    if (c->sending) {
        c->sending = 0;
        if (rv != 0) /* a failed send leaves the message with us */
            nng_msg_free(nng_aio_get_msg(c->aio));
        if (rv != NNG_ECLOSED)
            nng_ctx_recv(c->ctx, c->aio);
        return;
    }
    if (rv == NNG_ECLOSED)
        return;
    if (rv != 0) {
        nng_ctx_recv(c->ctx, c->aio);
        return;
    }
    /* The aio still holds the request: it goes back as the reply. */
    c->sending = 1;
    nng_ctx_send(c->ctx, c->aio);
}

/* Writes into `out` the URL listener `l` is bound to: `url` with the port
 * nng chose for tcp://host:0. */
static void bound_url(nng_listener l, const char *url, char *out, size_t out_len)
{
    nng_sockaddr sa;
    snprintf(out, out_len, "%s", url);
    const char *colon = strrchr(url, ':');
    if (strncmp(url, "tcp://", 6) != 0 || colon == NULL ||
        nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa) != 0 || sa.s_family != NNG_AF_INET)
        return;
    const uint8_t *port = (const uint8_t *)&sa.s_in.sa_port; /* network order */
    snprintf(out, out_len, "%.*s:%u", (int)(colon - url), url, (unsigned)(port[0] << 8 | port[1]));
}

int bench_raw_serve(const char *url)
{
    nng_socket sock;
    nng_listener l;
    char bound[512];
    echo_ctx *ctxs = calloc(SERVER_CTXS, sizeof *ctxs);
    int rv = ctxs == NULL ? NNG_ENOMEM : nng_rep0_open(&sock);
    if (rv != 0) {
        fprintf(stderr, "ferry-bench: raw server: cannot open a rep0 socket: %s\n",
                nng_strerror(rv));
        free(ctxs);
        return 1;
    }
    int n = 0; /* contexts set up */
    while (rv == 0 && n < SERVER_CTXS) {
        rv = nng_aio_alloc(&ctxs[n].aio, echo_cb, &ctxs[n]);
        if (rv == 0 && (rv = nng_ctx_open(&ctxs[n].ctx, sock)) != 0)
            nng_aio_free(ctxs[n].aio);
        if (rv == 0)
            n++;
        else
            fprintf(stderr, "ferry-bench: raw server: cannot set up a context: %s\n",
                    nng_strerror(rv));
    }
    if (rv == 0 && (rv = nng_listen(sock, url, &l, 0)) != 0)
        fprintf(stderr, "ferry-bench: raw server cannot listen on %s: %s\n", url, nng_strerror(rv));
    if (rv == 0) {
        for (int i = 0; i < n; i++)
            nng_ctx_recv(ctxs[i].ctx, ctxs[i].aio);
        bound_url(l, url, bound, sizeof bound);
        bench_say_ready(bound);
        bench_wait_for_parent();
    }
    nng_close(sock); /* fails every aio in flight with NNG_ECLOSED */
    for (int i = 0; i < n; i++)
        nng_aio_free(ctxs[i].aio);
    free(ctxs);
    return rv == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------
 * Clients
 * ---------------------------------------------------------------------- */

/* Opens a req0 socket connected to `url`; the connection is up on return. */
static int raw_dial(nng_socket *s, const char *url)
{
    int rv = nng_req0_open(s);
    if (rv != 0) {
        fprintf(stderr, "ferry-bench: raw: cannot open a req0 socket: %s\n", nng_strerror(rv));
        return -1;
    }
    /* As ferry does: no blind resends (and none would happen within a run). */
    if ((rv = nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
        (rv = nng_dial(*s, url, NULL, 0)) != 0) {
        fprintf(stderr, "ferry-bench: raw: cannot dial %s: %s\n", url, nng_strerror(rv));
        nng_close(*s);
        return -1;
    }
    return 0;
}

/* A message holding `payload` bytes, or NULL. */
static nng_msg *payload_msg(size_t payload)
{
    nng_msg *m = NULL;
    if (nng_msg_alloc(&m, payload) != 0) {
        fprintf(stderr, "ferry-bench: raw: out of memory for a %zu-byte message\n", payload);
        return NULL;
    }
    memset(nng_msg_body(m), 'x', payload);
    return m;
}

/* Checks the reply `m` to a request of `payload` bytes and readies it to be
 * sent as the next request. */
static int take_reply(nng_msg *m, size_t payload)
{
    if (nng_msg_len(m) != payload) {
        fprintf(stderr, "ferry-bench: raw: a reply of %zu bytes to a %zu-byte request\n",
                nng_msg_len(m), payload);
        return -1;
    }
    nng_msg_header_clear(m); /* req0 left the request id there; the next send adds its own */
    return 0;
}

/* One round trip of *m on `ctx`, waiting on `aio`. On return *m is the
 * reply (on success) or the message to free. */
static int roundtrip(nng_ctx ctx, nng_aio *aio, nng_msg **m, size_t payload)
{
    nng_aio_set_msg(aio, *m);
    nng_ctx_send(ctx, aio);
    nng_aio_wait(aio);
    int rv = nng_aio_result(aio);
    if (rv != 0) { /* the message is still ours */
        fprintf(stderr, "ferry-bench: raw: send failed: %s\n", nng_strerror(rv));
        return -1;
    }
    *m = NULL;
    nng_ctx_recv(ctx, aio);
    nng_aio_wait(aio);
    if ((rv = nng_aio_result(aio)) != 0) {
        fprintf(stderr, "ferry-bench: raw: receive failed: %s\n", nng_strerror(rv));
        return -1;
    }
    *m = nng_aio_get_msg(aio);
    return take_reply(*m, payload);
}

int bench_raw_latency(const char *url, size_t payload, double seconds, bench_latency *out)
{
    nng_socket s;
    nng_ctx ctx;
    nng_aio *aio = NULL;
    bench_samples lat = {0};
    int rc = -1;
    if (raw_dial(&s, url) != 0)
        return -1;
    nng_msg *m = payload_msg(payload);
    if (m == NULL || nng_ctx_open(&ctx, s) != 0 || nng_aio_alloc(&aio, NULL, NULL) != 0)
        goto done;
    nng_aio_set_timeout(aio, BENCH_CALL_TIMEOUT_MS);
    for (int i = 0; i < BENCH_WARMUP_CALLS; i++)
        if (roundtrip(ctx, aio, &m, payload) != 0)
            goto done;

    double start = bench_now_s(), end = start + seconds, t0 = start;
    while (t0 < end) {
        if (roundtrip(ctx, aio, &m, payload) != 0)
            goto done;
        double t1 = bench_now_s();
        if (bench_samples_add(&lat, (t1 - t0) * 1e6) != 0)
            goto done;
        t0 = t1;
    }
    bench_latency_from(&lat, t0 - start, out);
    rc = 0;
done:
    bench_samples_free(&lat);
    if (m != NULL)
        nng_msg_free(m);
    if (aio != NULL)
        nng_aio_free(aio);
    nng_close(s);
    return rc;
}

/* The throughput client: loops that share counters. */
typedef struct raw_pump {
    size_t payload;
    atomic_uint_fast64_t done; /* round trips completed */
    atomic_int stop;           /* set: loops end after their current round trip */
    atomic_int running;        /* loops not ended yet */
    atomic_int failed;
} raw_pump;

typedef struct raw_loop {
    raw_pump *p;
    nng_ctx ctx;
    nng_aio *aio;
    int sending;
} raw_loop;

static void loop_end(raw_loop *l, int failed)
{
    if (failed)
        atomic_store(&l->p->failed, 1);
    atomic_fetch_sub(&l->p->running, 1);
}

static void loop_send(raw_loop *l, nng_msg *m)
{
    l->sending = 1;
    nng_aio_set_msg(l->aio, m);
    nng_ctx_send(l->ctx, l->aio);
}

static void loop_cb(void *arg)
{
    raw_loop *l = arg;
    raw_pump *p = l->p;
    int rv = nng_aio_result(l->aio);
    if (rv != 0) {
        if (l->sending)
            nng_msg_free(nng_aio_get_msg(l->aio));
        if (!atomic_exchange(&p->failed, 1))
            fprintf(stderr, "ferry-bench: raw: %s failed: %s\n", l->sending ? "send" : "receive",
                    nng_strerror(rv));
        loop_end(l, 1);
        return;
    }
    if (l->sending) {
        l->sending = 0;
        nng_ctx_recv(l->ctx, l->aio);
        return;
    }
    nng_msg *m = nng_aio_get_msg(l->aio);
    atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
    int bad = take_reply(m, p->payload) != 0;
    if (bad || atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        nng_msg_free(m);
        loop_end(l, bad);
        return;
    }
    loop_send(l, m);
}

int bench_raw_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                         double *calls_per_s)
{
    nng_socket s;
    if (raw_dial(&s, url) != 0)
        return -1;
    raw_pump p = {.payload = payload};
    raw_loop *loops = calloc(in_flight, sizeof *loops);
    unsigned n = 0;
    for (; loops != NULL && n < in_flight; n++) {
        raw_loop *l = &loops[n];
        l->p = &p;
        if (nng_aio_alloc(&l->aio, loop_cb, l) != 0)
            break;
        if (nng_ctx_open(&l->ctx, s) != 0) {
            nng_aio_free(l->aio);
            break;
        }
        nng_aio_set_timeout(l->aio, BENCH_CALL_TIMEOUT_MS);
    }
    int rc = -1;
    if (n < in_flight) {
        fprintf(stderr, "ferry-bench: raw: cannot set up %u contexts\n", in_flight);
        goto done;
    }
    atomic_store(&p.running, (int)n);
    for (unsigned i = 0; i < n; i++) {
        nng_msg *m = payload_msg(payload);
        if (m == NULL)
            loop_end(&loops[i], 1);
        else
            loop_send(&loops[i], m);
    }
    bench_sleep_s(BENCH_WARMUP_SECONDS);
    uint64_t first = atomic_load(&p.done);
    double t0 = bench_now_s();
    bench_sleep_s(seconds);
    uint64_t last = atomic_load(&p.done);
    double t1 = bench_now_s();
    atomic_store(&p.stop, 1);
    while (atomic_load(&p.running) > 0)
        bench_sleep_s(0.001);
    *calls_per_s = (double)(last - first) / (t1 - t0);
    rc = atomic_load(&p.failed) ? -1 : 0;
done:
    nng_close(s);
    for (unsigned i = 0; i < n; i++)
        nng_aio_free(loops[i].aio);
    free(loops);
    return rc;
}

/* The blocking throughput client: threads that share a pump. */
typedef struct raw_caller {
    raw_pump *p;
    nng_socket s;
    pthread_t thread;
} raw_caller;

static void *caller_main(void *arg)
{
    raw_caller *c = arg;
    raw_pump *p = c->p;
    nng_ctx ctx;
    nng_aio *aio = NULL;
    nng_msg *m = payload_msg(p->payload);
    int failed = m == NULL || nng_ctx_open(&ctx, c->s) != 0 || nng_aio_alloc(&aio, NULL, NULL) != 0;
    if (!failed) {
        nng_aio_set_timeout(aio, BENCH_CALL_TIMEOUT_MS);
        while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
            if (roundtrip(ctx, aio, &m, p->payload) != 0) {
                failed = 1;
                break;
            }
            atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
        }
    }
    if (m != NULL)
        nng_msg_free(m);
    if (aio != NULL)
        nng_aio_free(aio);
    if (failed)
        atomic_store(&p->failed, 1);
    atomic_fetch_sub(&p->running, 1);
    return NULL;
}

int bench_raw_sync_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                              double *calls_per_s)
{
    nng_socket s;
    if (raw_dial(&s, url) != 0)
        return -1;
    raw_pump p = {.payload = payload};
    raw_caller *callers = calloc(in_flight, sizeof *callers);
    unsigned n = 0;
    atomic_store(&p.running, (int)in_flight);
    for (; callers != NULL && n < in_flight; n++) {
        callers[n] = (raw_caller){.p = &p, .s = s};
        if (pthread_create(&callers[n].thread, NULL, caller_main, &callers[n]) != 0)
            break;
    }
    int rc = -1;
    if (n == in_flight) {
        bench_sleep_s(BENCH_WARMUP_SECONDS);
        uint64_t first = atomic_load(&p.done);
        double t0 = bench_now_s();
        bench_sleep_s(seconds);
        uint64_t last = atomic_load(&p.done);
        double t1 = bench_now_s();
        *calls_per_s = (double)(last - first) / (t1 - t0);
        rc = 0;
    } else {
        fprintf(stderr, "ferry-bench: raw: cannot start %u threads\n", in_flight);
    }
    atomic_store(&p.stop, 1);
    for (unsigned i = 0; i < n; i++)
        pthread_join(callers[i].thread, NULL);
    nng_close(s);
    free(callers);
    return rc == 0 && !atomic_load(&p.failed) ? 0 : -1;
}
