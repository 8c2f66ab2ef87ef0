/* local.c - what a local channel adds to a direct function call: one
 * caller's synchronous Echo calls (64 B) through the generated client on a
 * channel from bench_v1_echo_local_open(), against calls of the same
 * handler function made directly, as the code did before it had a service.
 * The two alternate, run after run (who goes first alternates too), so
 * that drift on a shared machine hits both alike.
 *
 * A local call encodes the request and decodes it for the handler, and the
 * reply back (ferry_local_open() says why), on the caller's thread; the
 * direct call does neither, and its reply lives on the caller's stack. The
 * figures: local.direct_ns and local.call_ns per call, and local.added_ns,
 * their difference; the target is under 1 µs added (docs/benchmarks.md).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define PAYLOAD 64
#define BATCH   256

/* The handler is called through this, so that the compiler cannot fold a
 * call it sees into the loop. */
typedef ferry_status (*echo_fn)(void *, ferry_call *, const Bench__V1__EchoRequest *,
                                Bench__V1__EchoReply *);

/* Direct calls for `seconds`: ns per call, or -1 when one went wrong. */
static double direct_ns(const Bench__V1__EchoRequest *req, double seconds)
{
    echo_fn volatile fn = bench_echo_handlers.echo;
    double start = bench_now_s(), end = start + seconds, now = start;
    unsigned long n = 0;
    while (now < end) {
        for (int i = 0; i < BATCH; i++) {
            Bench__V1__EchoReply resp = BENCH__V1__ECHO_REPLY__INIT;
            if (fn(NULL, NULL, req, &resp) != FERRY_OK || resp.payload.len != PAYLOAD)
                return -1;
        }
        n += BATCH;
        now = bench_now_s();
    }
    return (now - start) * 1e9 / (double)n;
}

/* Calls through the local channel `ch` for `seconds`: ns per call, the
 * reply freed as an application frees it; -1 when one failed. */
static double local_ns(ferry_channel *ch, const Bench__V1__EchoRequest *req, double seconds)
{
    double start = bench_now_s(), end = start + seconds, now = start;
    unsigned long n = 0;
    while (now < end) {
        for (int i = 0; i < BATCH; i++) {
            Bench__V1__EchoReply *resp = NULL;
            ferry_status st = bench_v1_echo_echo(ch, req, &resp, NULL);
            int ok = st == FERRY_OK && resp->payload.len == PAYLOAD;
            ferry_message_free(resp != NULL ? &resp->base : NULL);
            if (!ok) {
                fprintf(stderr, "ferry-bench: a local call failed: %s\n", ferry_status_str(st));
                return -1;
            }
        }
        n += BATCH;
        now = bench_now_s();
    }
    return (now - start) * 1e9 / (double)n;
}

int bench_local(int runs, double seconds)
{
    uint8_t payload[PAYLOAD];
    memset(payload, 'x', sizeof payload);
    Bench__V1__EchoRequest req = BENCH__V1__ECHO_REQUEST__INIT;
    req.payload.data = payload;
    req.payload.len = sizeof payload;

    ferry_channel *ch = NULL;
    if (bench_v1_echo_local_open(&ch, &bench_echo_handlers, NULL) != FERRY_OK) {
        fprintf(stderr, "ferry-bench: cannot open a local channel: %s\n", ferry_last_error());
        return -1;
    }
    fprintf(stderr, "ferry-bench: local channel: %d runs\n", runs);
    double direct[BENCH_RULES_MAX_RUNS], local[BENCH_RULES_MAX_RUNS];
    if (runs > BENCH_RULES_MAX_RUNS)
        runs = BENCH_RULES_MAX_RUNS;
    int rc = local_ns(ch, &req, BENCH_WARMUP_SECONDS) < 0 ? -1 : 0;
    for (int r = 0; r < runs && rc == 0; r++) {
        int direct_first = r % 2 == 0;
        for (int k = 0; k < 2 && rc == 0; k++) {
            int is_direct = (k == 0) == direct_first;
            double v = is_direct ? (direct[r] = direct_ns(&req, seconds / 2))
                                 : (local[r] = local_ns(ch, &req, seconds / 2));
            if (v < 0)
                rc = -1;
        }
    }
    ferry_channel_close(ch);
    if (rc != 0)
        return -1;
    double d = bench_median(direct, (size_t)runs), l = bench_median(local, (size_t)runs);
    printf("local.direct_ns: %.1f\nlocal.call_ns: %.1f\nlocal.added_ns: %.1f\n", d, l, l - d);
    fflush(stdout);
    return 0;
}
