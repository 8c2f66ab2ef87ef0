/* ops_calls.c - ferry-ops-calls: N asynchronous Echo calls (64 B), one at a
 * time, over ipc to a ferry_server in the same process, with metrics,
 * interceptors and tracing off or on as in ops.c. It measures nothing
 * itself: it is the repeatable half of the ops figures, run under
 * callgrind, whose instruction counts do not move with the load of a
 * shared machine as calls per second do (docs/benchmarks.md):
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_v1_echo_echo_async \
 *       --toggle-collect=ferryi_server_ctx_cb --toggle-collect=slot_cb \
 *       build/bin/ferry-ops-calls on 1000
 *
 * counts the instructions of the calls' paths through ferry (starting a
 * call, the server's handling, the completion), nng's sends within them
 * included. Usage: ferry-ops-calls off|on|signed|mac [calls] [chain|4k]
 * (4k: a payload of 4 KiB rather than 64 B):
 * `signed` and `mac` are `off` with identity on, the client proving its
 * requests so and pinning the server's key (the identity figures of
 * docs/benchmarks.md); with `chain`, each completion starts the next call
 * on the thread it runs on, as ferry-bench's asynchronous callers do;
 * without, the main thread starts every call and nng's threads complete
 * them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ferry/ferry.h>
#include <ferry/intercept.h>
#include <ferry/metrics.h>
#include <ferry/trace.h>

#include "bench.ferry.h"

static void drop_span(void *arg, const ferry_span *span)
{
    (void)arg, (void)span;
}

static ferry_status echo(void *user, ferry_call *call, const Bench__V1__EchoRequest *req,
                         Bench__V1__EchoReply *resp)
{
    (void)user, (void)call;
    resp->payload = req->payload;
    return FERRY_OK;
}

/* The call in flight: its completion says so under `mu`. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int finished;
static ferry_status outcome;

/* With `chain`: the calls still to start, and what they need. */
static long chain_left;
static ferry_channel *chain_ch;
static const Bench__V1__EchoRequest *chain_req;

static void on_echo(void *arg, ferry_status st, Bench__V1__EchoReply *resp,
                    const ferry_call_info *info)
{
    (void)arg, (void)info;
    if (resp != NULL)
        ferry_message_free(&resp->base);
    if (st == FERRY_OK && chain_left > 0) {
        chain_left--;
        st = bench_v1_echo_echo_async(chain_ch, chain_req, NULL, on_echo, NULL);
        if (st == FERRY_OK)
            return;
    }
    pthread_mutex_lock(&mu);
    finished = 1;
    outcome = st;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

/* A server key, a client key and a keyring at `path` that trusts the
 * client's. */
static int set_identity(ferry_key **server, ferry_key **client, const char *path)
{
    if (ferry_key_generate(server, "bench-server") != FERRY_OK ||
        ferry_key_generate(client, "bench-client") != FERRY_OK)
        return -1;
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(*client, b64);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "bench-client %s\n", b64);
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"off", "on", "signed", "mac"};
    int mode = -1;
    for (int i = 0; argc >= 2 && i < 4; i++)
        if (strcmp(argv[1], modes[i]) == 0)
            mode = i;
    if (mode < 0) {
        fprintf(stderr, "usage: ferry-ops-calls off|on|signed|mac [calls] [chain|4k]\n");
        return 2;
    }
    int ops = mode == 1;
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
    char dir[] = "/tmp/ferry-ops-calls-XXXXXX", sock[64], url[128], bound[256];
    if (mkdtemp(dir) == NULL) {
        perror("ferry-ops-calls: mkdtemp");
        return 1;
    }
    snprintf(sock, sizeof sock, "%s/echo.sock", dir);
    snprintf(url, sizeof url, "ipc://%s", sock);
    ferry_server_opts so = {0};
    if (ops) {
        so.metrics_url = "http://127.0.0.1:0/metrics";
        ferry_trace_set_sink(drop_span, NULL);
    }
    static const bench_v1_echo_handlers handlers = {.echo = echo};
    ferry_server *srv = NULL;
    ferry_channel *ch = NULL;
    ferry_metrics *m = NULL;
    ferry_client_opts co = {.client_name = "ferry-ops-calls"};
    ferry_interceptor count = {0};
    ferry_status st;
    ferry_key *skey = NULL, *ckey = NULL;
    char keyring[96];
    snprintf(keyring, sizeof keyring, "%s/keyring", dir);
    if (mode >= 2 && (set_identity(&skey, &ckey, keyring) != 0)) {
        fprintf(stderr, "ferry-ops-calls: cannot make keys\n");
        return 1;
    }
    co.identity = (ferry_client_identity){
        .key = ckey, .proof = mode == 3 ? FERRY_PROOF_MAC : FERRY_PROOF_SIGNED, .server_key = skey};
    if (mode < 2)
        co.identity = (ferry_client_identity){0};
    ferry_server_identity sid = {.key = skey, .keyring_path = keyring};
    if ((st = ferry_server_new(&srv, &so)) != FERRY_OK ||
        (mode >= 2 && (st = ferry_server_set_identity(srv, &sid)) != FERRY_OK) ||
        (st = bench_v1_echo_register(srv, &handlers, NULL)) != FERRY_OK ||
        (st = ferry_server_listen(srv, url, bound, sizeof bound)) != FERRY_OK ||
        (st = ferry_client_open(&ch, bound, &co)) != FERRY_OK ||
        (ops && (st = ferry_metrics_new(&m)) != FERRY_OK) ||
        (ops && (count = ferry_metrics_interceptor(m),
                 st = ferry_channel_intercept(&ch, ch, &count, 1)) != FERRY_OK)) {
        fprintf(stderr, "ferry-ops-calls: cannot set up: %s: %s\n", ferry_status_str(st),
                ferry_last_error());
        return 1;
    }
    Bench__V1__EchoRequest req;
    bench__v1__echo_request__init(&req);
    static uint8_t payload[4096];
    memset(payload, 'x', sizeof payload);
    req.payload.data = payload;
    req.payload.len = argc > 3 && strcmp(argv[3], "4k") == 0 ? 4096 : 64;
    int rc = 0;
    if (argc > 3 && strcmp(argv[3], "chain") == 0) {
        chain_ch = ch;
        chain_req = &req;
        chain_left = n - 1;
        n = 1; /* the loop starts the first; each completion the next */
    }
    for (long i = 0; i < n && rc == 0; i++) {
        finished = 0;
        if ((st = bench_v1_echo_echo_async(ch, &req, NULL, on_echo, NULL)) != FERRY_OK)
            outcome = st;
        else {
            pthread_mutex_lock(&mu);
            while (!finished)
                pthread_cond_wait(&cv, &mu);
            pthread_mutex_unlock(&mu);
        }
        if (outcome != FERRY_OK) {
            fprintf(stderr, "ferry-ops-calls: call failed: %s\n", ferry_status_str(outcome));
            rc = 1;
        }
    }
    ferry_channel_close(ch);
    ferry_server_free(srv);
    ferry_metrics_free(m);
    ferry_key_free(skey);
    ferry_key_free(ckey);
    unlink(keyring);
    unlink(sock);
    rmdir(dir);
    return rc;
}
