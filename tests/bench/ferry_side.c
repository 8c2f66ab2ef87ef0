/* ferry_side.c - the same echo through ferry: a generated client calling a
 * ferry_server (default options) in another process. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench.ferry.h"

/* ---- server ---- */

static ferry_status echo(void *user, ferry_call *call, const Bench__V1__EchoRequest *req,
                         Bench__V1__EchoReply *resp)
{
    (void)user;
    (void)call;
    resp->payload = req->payload; /* the request lives until the reply is sent */
    return FERRY_OK;
}

static const bench_v1_echo_handlers handlers = {.echo = echo};

int bench_ferry_serve(const char *url, int inline_handlers)
{
    ferry_server *srv = NULL;
    char bound[256];
    ferry_server_opts o = {.inline_handlers = inline_handlers};
    if (ferry_server_new(&srv, &o) != FERRY_OK ||
        bench_v1_echo_register(srv, &handlers, NULL) != FERRY_OK ||
        ferry_server_listen(srv, url, bound, sizeof bound) != FERRY_OK) {
        fprintf(stderr, "ferry-bench: ferry server cannot serve %s\n", url);
        return 1;
    }
    printf("ready %s\n", bound);
    fflush(stdout);
    for (;;)
        pause();
}

/* ---- clients ---- */

static ferry_channel *open_channel(const char *url)
{
    ferry_channel *ch = NULL;
    ferry_client_opts o = {.client_name = "ferry-bench", .default_deadline_ms = 10000};
    if (ferry_client_open(&ch, url, &o) != FERRY_OK)
        return NULL;
    return ch;
}

static int call_once(ferry_channel *ch, const Bench__V1__EchoRequest *req)
{
    Bench__V1__EchoReply *resp = NULL;
    ferry_status st = bench_v1_echo_echo(ch, req, &resp, NULL);
    if (st != FERRY_OK) {
        fprintf(stderr, "ferry-bench: call failed: %s\n", ferry_status_str(st));
        return -1;
    }
    ferry_message_free(&resp->base);
    return 0;
}

int bench_ferry_latency(const char *url, size_t payload, double seconds, bench_latency *out)
{
    ferry_channel *ch = open_channel(url);
    if (ch == NULL)
        return -1;
    uint8_t *buf = malloc(payload);
    memset(buf, 'x', payload);
    Bench__V1__EchoRequest req = BENCH__V1__ECHO_REQUEST__INIT;
    req.payload.data = buf;
    req.payload.len = payload;
    int rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++) /* warm-up */
        rc = call_once(ch, &req);
    bench_samples lat = {0};
    double start = bench_now_s(), end = start + seconds, t0 = start;
    while (rc == 0 && t0 < end) {
        rc = call_once(ch, &req);
        double t1 = bench_now_s();
        bench_samples_add(&lat, (t1 - t0) * 1e6);
        t0 = t1;
    }
    out->calls_per_s = (double)lat.n / (t0 - start);
    out->p99_us = bench_quantile(lat.v, lat.n, 0.99);
    out->p50_us = bench_quantile(lat.v, lat.n, 0.50);
    bench_samples_free(&lat);
    free(buf);
    ferry_channel_close(ch);
    return rc;
}

/* Throughput: `in_flight` asynchronous calls, each re-issued from its
 * completion until told to stop. */
typedef struct pump {
    ferry_channel *ch;
    Bench__V1__EchoRequest req;
    atomic_uint_fast64_t done;
    atomic_int stop, running, failed;
} pump;

static void on_echo(void *arg, ferry_status st, Bench__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    pump *p = arg;
    (void)info;
    if (resp != NULL)
        ferry_message_free(&resp->base);
    if (st != FERRY_OK)
        atomic_store(&p->failed, 1);
    else
        atomic_fetch_add(&p->done, 1);
    if (st != FERRY_OK || atomic_load(&p->stop) ||
        bench_v1_echo_echo_async(p->ch, &p->req, NULL, on_echo, p) != FERRY_OK)
        atomic_fetch_sub(&p->running, 1);
}

int bench_ferry_throughput(const char *url, size_t payload, unsigned in_flight, double seconds,
                           double *calls_per_s)
{
    pump p = {.ch = open_channel(url)};
    if (p.ch == NULL)
        return -1;
    uint8_t *buf = malloc(payload);
    memset(buf, 'x', payload);
    bench__v1__echo_request__init(&p.req);
    p.req.payload.data = buf;
    p.req.payload.len = payload;
    atomic_store(&p.running, (int)in_flight);
    for (unsigned i = 0; i < in_flight; i++)
        if (bench_v1_echo_echo_async(p.ch, &p.req, NULL, on_echo, &p) != FERRY_OK)
            atomic_fetch_sub(&p.running, 1);
    bench_sleep_s(0.2); /* warm-up */
    uint64_t first = atomic_load(&p.done);
    double t0 = bench_now_s();
    bench_sleep_s(seconds);
    uint64_t last = atomic_load(&p.done);
    double t1 = bench_now_s();
    atomic_store(&p.stop, 1);
    while (atomic_load(&p.running) > 0)
        bench_sleep_s(0.001);
    ferry_channel_close(p.ch);
    free(buf);
    *calls_per_s = (double)(last - first) / (t1 - t0);
    return atomic_load(&p.failed) ? -1 : 0;
}
