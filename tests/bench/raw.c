/* raw.c - the floor: plain nng req0/rep0, as fast as nng allows.
 *
 * The server is a rep0 socket with many contexts, each an aio-callback loop
 * that sends every request straight back. The throughput client keeps
 * `in_flight` req0 contexts busy, each an aio-callback loop; the latency
 * client does one round trip at a time. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "bench.h"

#define SERVER_CTXS 64

/* ---- server ---- */

typedef struct srv_ctx {
    nng_ctx ctx;
    nng_aio *aio;
    int sending;
} srv_ctx;

static void srv_cb(void *arg)
{
    srv_ctx *c = arg;
    int rv = nng_aio_result(c->aio);
    if (rv == NNG_ECLOSED)
        return;
    if (c->sending) {
        if (rv != 0)
            nng_msg_free(nng_aio_get_msg(c->aio));
        c->sending = 0;
        nng_ctx_recv(c->ctx, c->aio);
        return;
    }
    if (rv != 0) {
        nng_ctx_recv(c->ctx, c->aio);
        return;
    }
    c->sending = 1; /* the request message goes back as the reply */
    nng_ctx_send(c->ctx, c->aio);
}

/* Writes the URL the listener got (the port for tcp://...:0). */
static void print_ready(nng_listener l, const char *url)
{
    nng_sockaddr sa;
    if (strncmp(url, "tcp://", 6) == 0 && nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa) == 0 &&
        sa.s_family == NNG_AF_INET) {
        const uint8_t *p = (const uint8_t *)&sa.s_in.sa_port;
        printf("ready tcp://127.0.0.1:%u\n", (unsigned)(p[0] << 8 | p[1]));
    } else {
        printf("ready %s\n", url);
    }
    fflush(stdout);
}

int bench_raw_serve(const char *url)
{
    nng_socket s;
    nng_listener l;
    static srv_ctx ctxs[SERVER_CTXS];
    if (nng_rep0_open(&s) != 0)
        return 1;
    for (int i = 0; i < SERVER_CTXS; i++) {
        if (nng_ctx_open(&ctxs[i].ctx, s) != 0 || nng_aio_alloc(&ctxs[i].aio, srv_cb, &ctxs[i]))
            return 1;
        nng_ctx_recv(ctxs[i].ctx, ctxs[i].aio);
    }
    if (nng_listen(s, url, &l, 0) != 0) {
        fprintf(stderr, "ferry-bench: raw server cannot listen on %s\n", url);
        return 1;
    }
    print_ready(l, url);
    for (;;)
        pause();
}

/* ---- clients ---- */

static int dial(nng_socket *s, const char *url)
{
    if (nng_req0_open(s) != 0)
        return -1;
    nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    if (nng_dial(*s, url, NULL, 0) != 0) {
        fprintf(stderr, "ferry-bench: cannot dial %s\n", url);
        nng_close(*s);
        return -1;
    }
    return 0;
}

/* One round trip on `ctx`; 0 on success. */
static int roundtrip(nng_ctx ctx, nng_aio *aio, size_t payload)
{
    nng_msg *m;
    if (nng_msg_alloc(&m, payload) != 0)
        return -1;
    memset(nng_msg_body(m), 'x', payload);
    nng_aio_set_msg(aio, m);
    nng_ctx_send(ctx, aio);
    nng_aio_wait(aio);
    if (nng_aio_result(aio) != 0) {
        nng_msg_free(m);
        return -1;
    }
    nng_ctx_recv(ctx, aio);
    nng_aio_wait(aio);
    if (nng_aio_result(aio) != 0)
        return -1;
    nng_msg_free(nng_aio_get_msg(aio));
    return 0;
}

int bench_raw_latency(const char *url, size_t payload, double seconds, bench_latency *out)
{
    nng_socket s;
    if (dial(&s, url) != 0)
        return -1;
    nng_ctx ctx;
    nng_aio *aio;
    if (nng_ctx_open(&ctx, s) != 0 || nng_aio_alloc(&aio, NULL, NULL) != 0)
        return -1;
    nng_aio_set_timeout(aio, 10000);
    int rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++) /* warm-up */
        rc = roundtrip(ctx, aio, payload);
    bench_samples lat = {0};
    double start = bench_now_s(), end = start + seconds, t0 = start;
    while (rc == 0 && t0 < end) {
        rc = roundtrip(ctx, aio, payload);
        double t1 = bench_now_s();
        bench_samples_add(&lat, (t1 - t0) * 1e6);
        t0 = t1;
    }
    out->calls_per_s = (double)lat.n / (t0 - start);
    out->p99_us = bench_quantile(lat.v, lat.n, 0.99);
    out->p50_us = bench_quantile(lat.v, lat.n, 0.50);
    bench_samples_free(&lat);
    nng_aio_free(aio);
    nng_close(s);
    return rc;
}

typedef struct loop {
    nng_ctx ctx;
    nng_aio *aio;
    int sending;
    size_t payload;
    atomic_uint_fast64_t *done;
    atomic_int *stop;
    atomic_int *running;
    atomic_int *failed;
} loop;

static void loop_send(loop *l)
{
    nng_msg *m;
    if (atomic_load(l->stop) || nng_msg_alloc(&m, l->payload) != 0) {
        atomic_fetch_sub(l->running, 1);
        return;
    }
    memset(nng_msg_body(m), 'x', l->payload);
    l->sending = 1;
    nng_aio_set_msg(l->aio, m);
    nng_ctx_send(l->ctx, l->aio);
}

static void loop_cb(void *arg)
{
    loop *l = arg;
    int rv = nng_aio_result(l->aio);
    if (rv != 0) {
        if (l->sending)
            nng_msg_free(nng_aio_get_msg(l->aio));
        atomic_store(l->failed, 1);
        atomic_fetch_sub(l->running, 1);
        return;
    }
    if (l->sending) {
        l->sending = 0;
        nng_ctx_recv(l->ctx, l->aio);
        return;
    }
    nng_msg_free(nng_aio_get_msg(l->aio));
    atomic_fetch_add(l->done, 1);
    loop_send(l);
}

int bench_raw_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                         double *calls_per_s)
{
    nng_socket s;
    if (dial(&s, url) != 0)
        return -1;
    atomic_uint_fast64_t done = 0;
    atomic_int stop = 0, running = (int)in_flight, failed = 0;
    loop *loops = calloc(in_flight, sizeof *loops);
    for (unsigned i = 0; i < in_flight; i++) {
        loop *l = &loops[i];
        *l = (loop){.payload = payload, .done = &done, .stop = &stop, .running = &running,
                    .failed = &failed};
        nng_ctx_open(&l->ctx, s);
        nng_aio_alloc(&l->aio, loop_cb, l);
        nng_aio_set_timeout(l->aio, 10000);
    }
    for (unsigned i = 0; i < in_flight; i++)
        loop_send(&loops[i]);
    bench_sleep_s(0.2); /* warm-up */
    uint64_t first = atomic_load(&done);
    double t0 = bench_now_s();
    bench_sleep_s(seconds);
    uint64_t last = atomic_load(&done);
    double t1 = bench_now_s();
    atomic_store(&stop, 1);
    while (atomic_load(&running) > 0)
        bench_sleep_s(0.001);
    for (unsigned i = 0; i < in_flight; i++)
        nng_aio_free(loops[i].aio);
    free(loops);
    nng_close(s);
    *calls_per_s = (double)(last - first) / (t1 - t0);
    return atomic_load(&failed) ? -1 : 0;
}
