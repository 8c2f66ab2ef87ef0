/* rules.c - what the IDL's validation rules cost: the same order request
 * with a handful of (ferry.field) rules (Orders/Place) and without them
 * (Orders/PlacePlain), called in turn, run after run, so that drift on a
 * shared machine hits both alike. Three figures: a validator run alone
 * (ns per request), calls through a local channel (where a call costs a
 * few microseconds, so the validator's share is largest), and calls to a
 * ferry_server over ipc in this process. The ratios are with / without
 * rules; the target is at least 0.95 (docs/benchmarks.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "bench.ferry.h"

static ferry_status place(void *user, ferry_call *call, const Bench__V1__OrderRequest *req,
                          Bench__V1__OrderReply *resp)
{
    (void)user, (void)call;
    resp->accepted = req->quantity;
    return FERRY_OK;
}

static ferry_status place_plain(void *user, ferry_call *call,
                                const Bench__V1__PlainOrderRequest *req,
                                Bench__V1__OrderReply *resp)
{
    (void)user, (void)call;
    resp->accepted = req->quantity;
    return FERRY_OK;
}

static const bench_v1_orders_handlers handlers = {.place = place, .place_plain = place_plain};

static char *tags[] = {"gift", "express", "fragile"};

/* The same valid order as both request types. */
static void orders(Bench__V1__OrderRequest *with, Bench__V1__PlainOrderRequest *plain)
{
    bench__v1__order_request__init(with);
    with->order_id = "order-20261202-0001";
    with->email = "buyer.one@example.org";
    with->quantity = 3;
    with->size = "M";
    with->tags = tags;
    with->n_tags = 3;
    bench__v1__plain_order_request__init(plain);
    plain->order_id = with->order_id;
    plain->email = with->email;
    plain->quantity = with->quantity;
    plain->size = with->size;
    plain->tags = with->tags;
    plain->n_tags = with->n_tags;
}

/* Sync calls of one method for `seconds`: calls/s, or -1 when one failed. */
static double calls_per_s(ferry_channel *ch, int with_rules, double seconds)
{
    Bench__V1__OrderRequest with;
    Bench__V1__PlainOrderRequest plain;
    orders(&with, &plain);
    double start = bench_now_s(), end = start + seconds, now = start;
    unsigned long n = 0;
    while (now < end) {
        for (int i = 0; i < 64; i++) {
            Bench__V1__OrderReply *r = NULL;
            ferry_status st = with_rules ? bench_v1_orders_place(ch, &with, &r, NULL)
                                         : bench_v1_orders_place_plain(ch, &plain, &r, NULL);
            if (st != FERRY_OK || r->accepted != 3) {
                fprintf(stderr, "ferry-bench: an order call failed: %s\n", ferry_status_str(st));
                ferry_message_free(r != NULL ? &r->base : NULL);
                return -1;
            }
            ferry_message_free(&r->base);
            n++;
        }
        now = bench_now_s();
    }
    return (double)n / (now - start);
}

/* The validator alone: ns per request, over `seconds`. */
static double validate_ns(double seconds)
{
    Bench__V1__OrderRequest with;
    Bench__V1__PlainOrderRequest plain;
    orders(&with, &plain);
    const ferry_method *m = &bench_v1_orders_desc.methods[BENCH_V1_ORDERS_PLACE];
    double start = bench_now_s(), end = start + seconds, now = start;
    unsigned long n = 0;
    while (now < end) {
        for (int i = 0; i < 1024; i++) {
            if (ferry_validate(m, &with.base, NULL) != FERRY_OK)
                return -1;
            n++;
        }
        now = bench_now_s();
    }
    return (now - start) * 1e9 / (double)n;
}

/* Medians of `runs` alternating runs on `ch`; prints prefix.* figures. */
static int measure(const char *prefix, ferry_channel *ch, int runs, double seconds)
{
    double with[BENCH_RULES_MAX_RUNS], without[BENCH_RULES_MAX_RUNS];
    /* Warm-up: connections, allocator, caches. */
    if (calls_per_s(ch, 1, BENCH_WARMUP_SECONDS) < 0 ||
        calls_per_s(ch, 0, BENCH_WARMUP_SECONDS) < 0)
        return -1;
    for (int r = 0; r < runs; r++) {
        /* Who goes first alternates too. */
        int first = r % 2 == 0;
        double a = calls_per_s(ch, first, seconds), b = calls_per_s(ch, !first, seconds);
        if (a < 0 || b < 0)
            return -1;
        with[r] = first ? a : b;
        without[r] = first ? b : a;
    }
    double w = bench_median(with, (size_t)runs), p = bench_median(without, (size_t)runs);
    printf("%s.calls_per_s.rules: %.0f\n", prefix, w);
    printf("%s.calls_per_s.plain: %.0f\n", prefix, p);
    printf("%s.ratio: %.3f\n", prefix, p > 0 ? w / p : 0.0);
    fflush(stdout);
    return 0;
}

int bench_rules(int runs, double seconds)
{
    if (runs > BENCH_RULES_MAX_RUNS)
        runs = BENCH_RULES_MAX_RUNS;
    fprintf(stderr, "ferry-bench: validation rules: %d runs\n", runs);
    double ns[BENCH_RULES_MAX_RUNS];
    for (int r = 0; r < runs; r++)
        if ((ns[r] = validate_ns(seconds / 4)) < 0)
            return -1;
    printf("rules.validate_ns: %.1f\n", bench_median(ns, (size_t)runs));

    ferry_channel *local = NULL;
    if (bench_v1_orders_local_open(&local, &handlers, NULL) != FERRY_OK)
        return -1;
    int rc = measure("rules.local", local, runs, seconds);
    ferry_channel_close(local);
    if (rc != 0)
        return -1;

    char url[600], bound[600];
    snprintf(url, sizeof url, "ipc://%s/rules.sock", bench_tmpdir());
    ferry_server *srv = NULL;
    ferry_channel *ch = NULL;
    rc = -1;
    if (ferry_server_new(&srv, NULL) == FERRY_OK &&
        bench_v1_orders_register(srv, &handlers, NULL) == FERRY_OK &&
        ferry_server_listen(srv, url, bound, sizeof bound) == FERRY_OK &&
        ferry_client_open(&ch, bound, NULL) == FERRY_OK)
        rc = measure("rules.ipc", ch, runs, seconds);
    else
        fprintf(stderr, "ferry-bench: the validation bench's server did not start\n");
    ferry_channel_close(ch);
    if (srv != NULL) {
        ferry_server_shutdown(srv, 1000);
        ferry_server_free(srv);
    }
    unlink(url + 6);
    return rc;
}
