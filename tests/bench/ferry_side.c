/* ferry_side.c - the same echo through ferry: the generated bench.v1.Echo
 * client on a remote channel, calling a ferry_server in another process,
 * anonymous or with request identity (signed or mac, the server's key
 * pinned so that replies are proved too).
 *
 * Calls pass NULL call options, as most application code does, and every
 * reply is checked and freed the way an application frees it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench.ferry.h"

/* ------------------------------------------------------------------------
 * Server
 * ---------------------------------------------------------------------- */

static ferry_status echo(void *user, ferry_call *call, const Bench__V1__EchoRequest *req,
                         Bench__V1__EchoReply *resp)
{
    (void)user;
    (void)call;
    resp->payload = req->payload; /* the request lives until the reply is sent */
    return FERRY_OK;
}

const bench_v1_echo_handlers bench_echo_handlers = {.echo = echo};

/* The path of identity file `name` in directory `dir`. */
static void key_path(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

/* Switches identity on for `srv` with the files of `dir`. */
static ferry_status serve_identity(ferry_server *srv, const char *dir)
{
    char path[600], keyring[600];
    ferry_key *key = NULL;
    key_path(path, sizeof path, dir, BENCH_SERVER_KEY);
    key_path(keyring, sizeof keyring, dir, BENCH_KEYRING);
    ferry_status st = ferry_key_load_secret(&key, path);
    if (st == FERRY_OK) {
        ferry_server_identity id = {.key = key, .keyring_path = keyring};
        st = ferry_server_set_identity(srv, &id);
    }
    if (st != FERRY_OK)
        fprintf(stderr, "ferry-bench: ferry server identity: %s\n", ferry_last_error());
    ferry_key_free(key);
    return st;
}

/* A span sink that keeps nothing: what tracing costs without an exporter. */
static void drop_span(void *arg, const ferry_span *span)
{
    (void)arg, (void)span;
}

int bench_ferry_serve(const char *url, int inline_handlers, int identity, int ops, const char *dir)
{
    ferry_server *srv = NULL;
    char bound[512];
    ferry_server_opts opts = {.inline_handlers = inline_handlers};
    ferry_status st;
    /* "Default" means the worker pool, whatever the environment says. */
    if (!inline_handlers)
        unsetenv("FERRY_INLINE_HANDLERS");
    if (ops) {
        opts.metrics_url = "http://127.0.0.1:0/metrics";
        ferry_trace_set_sink(drop_span, NULL);
    }
    if ((st = ferry_server_new(&srv, &opts)) != FERRY_OK ||
        (st = bench_v1_echo_register(srv, &bench_echo_handlers, NULL)) != FERRY_OK ||
        (identity && (st = serve_identity(srv, dir)) != FERRY_OK) ||
        (st = ferry_server_listen(srv, url, bound, sizeof bound)) != FERRY_OK) {
        fprintf(stderr, "ferry-bench: ferry server cannot serve %s: %s\n", url,
                ferry_status_str(st));
        ferry_server_free(srv);
        return 1;
    }
    bench_say_ready(bound);
    bench_wait_for_parent();
    ferry_server_free(srv);
    return 0;
}

/* ------------------------------------------------------------------------
 * Keys
 * ---------------------------------------------------------------------- */

/* The client's key pair and the server's public key, for channels with
 * identity; NULL until bench_identity_init(). */
static ferry_key *client_key, *server_pub;

/* Writes the key pair `name` as files `secret` and `public` of `dir`; keeps
 * it in *out when `out` is not NULL. */
static int make_key(const char *dir, const char *name, const char *secret, const char *public,
                    ferry_key **out)
{
    char sp[600], pp[600];
    ferry_key *k = NULL;
    key_path(sp, sizeof sp, dir, secret);
    key_path(pp, sizeof pp, dir, public);
    ferry_status st = ferry_key_generate(&k, name);
    if (st == FERRY_OK)
        st = ferry_key_write(k, sp, pp);
    if (st != FERRY_OK) {
        fprintf(stderr, "ferry-bench: cannot make key %s: %s\n", name, ferry_last_error());
        ferry_key_free(k);
        return -1;
    }
    if (out != NULL)
        *out = k;
    else
        ferry_key_free(k);
    return 0;
}

int bench_identity_init(const char *dir)
{
    char path[600], pk[FERRY_PUBLIC_KEY_B64];
    if (make_key(dir, "bench-server", BENCH_SERVER_KEY, BENCH_SERVER_PUB, NULL) != 0 ||
        make_key(dir, "bench-client", BENCH_CLIENT_KEY, BENCH_CLIENT_PUB, &client_key) != 0)
        return -1;
    key_path(path, sizeof path, dir, BENCH_SERVER_PUB);
    if (ferry_key_load_public(&server_pub, path) != FERRY_OK) {
        fprintf(stderr, "ferry-bench: %s\n", ferry_last_error());
        return -1;
    }
    key_path(path, sizeof path, dir, BENCH_KEYRING);
    FILE *f = fopen(path, "w");
    ferry_key_public_b64(client_key, pk);
    if (f == NULL || fprintf(f, "bench-client %s\n", pk) < 0 || fclose(f) != 0) {
        fprintf(stderr, "ferry-bench: cannot write the keyring %s\n", path);
        return -1;
    }
    return 0;
}

void bench_identity_fini(void)
{
    ferry_key_free(client_key);
    ferry_key_free(server_pub);
    client_key = server_pub = NULL;
}

/* ------------------------------------------------------------------------
 * Clients
 * ---------------------------------------------------------------------- */

static int ops_on;
static ferry_metrics *ops_metrics;

void bench_ferry_set_ops(int on)
{
    if (on && ops_metrics == NULL && ferry_metrics_new(&ops_metrics) != FERRY_OK)
        on = 0;
    ops_on = on;
    ferry_trace_set_sink(on ? drop_span : NULL, NULL);
}

static ferry_channel *open_channel(const char *url, bench_identity id)
{
    ferry_channel *ch = NULL;
    ferry_client_opts o = {.client_name = "ferry-bench",
                           .default_deadline_ms = BENCH_CALL_TIMEOUT_MS};
    if (id != BENCH_ID_NONE) {
        o.identity.key = client_key;
        o.identity.server_key = server_pub;
        o.identity.proof = id == BENCH_ID_SIGNED ? FERRY_PROOF_SIGNED : FERRY_PROOF_MAC;
    }
    ferry_status st = ferry_client_open(&ch, url, &o);
    if (st == FERRY_OK && ops_on) {
        ferry_interceptor count = ferry_metrics_interceptor(ops_metrics);
        st = ferry_channel_intercept(&ch, ch, &count, 1);
    }
    if (st != FERRY_OK) {
        fprintf(stderr, "ferry-bench: ferry: cannot open a channel to %s: %s\n", url,
                ferry_status_str(st));
        return NULL;
    }
    return ch;
}

/* A request carrying `payload` bytes; its buffer is freed with free_request(). */
static int make_request(Bench__V1__EchoRequest *req, size_t payload)
{
    bench__v1__echo_request__init(req);
    req->payload.data = malloc(payload);
    if (req->payload.data == NULL) {
        fprintf(stderr, "ferry-bench: ferry: out of memory for a %zu-byte payload\n", payload);
        return -1;
    }
    memset(req->payload.data, 'x', payload);
    req->payload.len = payload;
    return 0;
}

static void free_request(Bench__V1__EchoRequest *req)
{
    free(req->payload.data);
    req->payload.data = NULL;
}

/* Checks the outcome of one call and frees the reply; 0 when it echoed. */
static int check_reply(ferry_status st, Bench__V1__EchoReply *resp, size_t payload)
{
    int ok = st == FERRY_OK && resp != NULL && resp->payload.len == payload;
    if (!ok && st != FERRY_OK)
        fprintf(stderr, "ferry-bench: ferry: call failed: %s\n", ferry_status_str(st));
    else if (!ok)
        fprintf(stderr, "ferry-bench: ferry: a reply of %zu bytes to a %zu-byte request\n",
                resp != NULL ? resp->payload.len : 0, payload);
    if (resp != NULL)
        ferry_message_free(&resp->base);
    return ok ? 0 : -1;
}

static int call_once(ferry_channel *ch, const Bench__V1__EchoRequest *req)
{
    Bench__V1__EchoReply *resp = NULL;
    ferry_status st = bench_v1_echo_echo(ch, req, &resp, NULL);
    return check_reply(st, resp, req->payload.len);
}

int bench_ferry_latency(const char *url, bench_identity id, size_t payload, double seconds,
                        bench_latency *out)
{
    Bench__V1__EchoRequest req;
    bench_samples lat = {0};
    int rc = -1;
    ferry_channel *ch = open_channel(url, id);
    if (ch == NULL)
        return -1;
    if (make_request(&req, payload) != 0)
        goto done;
    for (int i = 0; i < BENCH_WARMUP_CALLS; i++)
        if (call_once(ch, &req) != 0)
            goto done;

    double start = bench_now_s(), end = start + seconds, t0 = start;
    while (t0 < end) {
        if (call_once(ch, &req) != 0)
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
    free_request(&req);
    ferry_channel_close(ch);
    return rc;
}

/* The throughput client: `in_flight` callers sharing counters. */
typedef struct ferry_pump {
    ferry_channel *ch;
    Bench__V1__EchoRequest req; /* only read, by every caller at once */
    atomic_uint_fast64_t done;  /* calls completed */
    atomic_int stop;            /* set: callers end after their current call */
    atomic_int running;         /* callers not ended yet */
    atomic_int failed;
} ferry_pump;

static void caller_end(ferry_pump *p, int failed)
{
    if (failed)
        atomic_store(&p->failed, 1);
    atomic_fetch_sub(&p->running, 1);
}

/* Async mode: each completion counts its call and starts the next one. */
static void on_echo(void *arg, ferry_status st, Bench__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    ferry_pump *p = arg;
    (void)info;
    if (check_reply(st, resp, p->req.payload.len) != 0) {
        caller_end(p, 1);
        return;
    }
    atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
    if (atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        caller_end(p, 0);
        return;
    }
    ferry_status again = bench_v1_echo_echo_async(p->ch, &p->req, NULL, on_echo, p);
    if (again != FERRY_OK) { /* the completion will not run */
        fprintf(stderr, "ferry-bench: ferry: async call not started: %s\n",
                ferry_status_str(again));
        caller_end(p, 1);
    }
}

/* Sync mode: one thread per call in flight. */
static void *sync_caller(void *arg)
{
    ferry_pump *p = arg;
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        if (call_once(p->ch, &p->req) != 0) {
            caller_end(p, 1);
            return NULL;
        }
        atomic_fetch_add_explicit(&p->done, 1, memory_order_relaxed);
    }
    caller_end(p, 0);
    return NULL;
}

int bench_ferry_throughput(const char *url, bench_identity id, size_t payload, unsigned in_flight,
                           bench_ferry_mode mode, double seconds, double *calls_per_s)
{
    ferry_pump p = {.ch = open_channel(url, id)};
    pthread_t *threads = NULL;
    unsigned started = 0;
    int rc = -1;
    if (p.ch == NULL)
        return -1;
    if (make_request(&p.req, payload) != 0)
        goto done;
    /* One call first, so the connection is up before the callers start. */
    if (call_once(p.ch, &p.req) != 0)
        goto done;

    atomic_store(&p.running, (int)in_flight);
    if (mode == BENCH_FERRY_SYNC && (threads = calloc(in_flight, sizeof *threads)) == NULL)
        goto done;
    for (; started < in_flight; started++) {
        if (mode == BENCH_FERRY_SYNC) {
            if (pthread_create(&threads[started], NULL, sync_caller, &p) != 0) {
                fprintf(stderr, "ferry-bench: ferry: cannot start a calling thread\n");
                break;
            }
        } else {
            ferry_status st = bench_v1_echo_echo_async(p.ch, &p.req, NULL, on_echo, &p);
            if (st != FERRY_OK) {
                fprintf(stderr, "ferry-bench: ferry: async call not started: %s\n",
                        ferry_status_str(st));
                break;
            }
        }
    }
    for (unsigned i = started; i < in_flight; i++)
        caller_end(&p, 1); /* never started */

    bench_sleep_s(BENCH_WARMUP_SECONDS);
    uint64_t first = atomic_load(&p.done);
    double t0 = bench_now_s();
    bench_sleep_s(seconds);
    uint64_t last = atomic_load(&p.done);
    double t1 = bench_now_s();
    atomic_store(&p.stop, 1);
    if (mode == BENCH_FERRY_SYNC)
        for (unsigned i = 0; i < started; i++)
            pthread_join(threads[i], NULL);
    while (atomic_load(&p.running) > 0)
        bench_sleep_s(0.001);
    *calls_per_s = (double)(last - first) / (t1 - t0);
    rc = atomic_load(&p.failed) ? -1 : 0;
done:
    free(threads);
    free_request(&p.req);
    ferry_channel_close(p.ch);
    return rc;
}
