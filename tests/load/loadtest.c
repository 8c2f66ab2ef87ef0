/* loadtest.c - ferry-loadtest (make loadtest): how throughput grows with
 * the servers behind one balancing channel. Not a test: it prints figures.
 *
 * For 1, 2, 3 and 4 server processes (fleet-server, each with WORKERS
 * workers whose handler waits SLEEP_MS, simulated I/O, so the machine's
 * cores are not what limits a server), a channel over their URLs is driven
 * by THREADS callers for SECONDS; the server counts take turns, RUNS times
 * each, and the median of each is taken. Prints calls per second per server count, its ratio to
 * one server, and what each added server added as a share of one server's
 * throughput (the target: at least 0.9).
 *
 *   ferry-loadtest [SECONDS] [RUNS] [SLEEP_MS] [WORKERS] [THREADS]
 *   defaults:       3         3      5          4         48
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ferry/balance.h>
#include <ferry/ferry.h>

#include "ferrytest/v1/probe.ferry.h"
#include "fleet.h"

#define MAX_SERVERS 4
#define MAX_RUNS    15

static unsigned sleep_ms = 5;
static atomic_int stop;
static atomic_uint_fast64_t done_calls, failed_calls;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void nap_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void *caller(void *arg)
{
    ferry_channel *ch = arg;
    while (!atomic_load(&stop)) {
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.sleep_ms = sleep_ms;
        Ferrytest__V1__EchoReply *resp = NULL;
        ferry_call_opts o = {.deadline_ms = 10000};
        if (ferrytest_v1_probe_echo(ch, &req, &resp, &o) == FERRY_OK) {
            atomic_fetch_add(&done_calls, 1);
            ferry_message_free(&resp->base);
        } else {
            atomic_fetch_add(&failed_calls, 1);
        }
    }
    return NULL;
}

/* One run against `n` servers: calls per second. */
static double run(const char (*urls)[256], int n, unsigned seconds, unsigned threads)
{
    char target[1200] = "";
    for (int i = 0; i < n; i++)
        snprintf(target + strlen(target), sizeof target - strlen(target), "%s%s", i ? "," : "",
                 urls[i]);
    ferry_channel *ch = NULL;
    if (ferry_balance_open(&ch, target, NULL, NULL) != FERRY_OK) {
        fprintf(stderr, "loadtest: cannot open %s\n", target);
        exit(1);
    }
    atomic_store(&stop, 0);
    pthread_t t[256];
    for (unsigned i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, caller, ch);
    nap_ms(500); /* connections up, callers in step */
    uint64_t c0 = atomic_load(&done_calls), t0 = now_ms();
    nap_ms(seconds * 1000u);
    uint64_t c1 = atomic_load(&done_calls), t1 = now_ms();
    atomic_store(&stop, 1);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    ferry_channel_close(ch);
    return (double)(c1 - c0) * 1000.0 / (double)(t1 - t0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 3;
    unsigned runs = argc > 2 ? (unsigned)atoi(argv[2]) : 3;
    sleep_ms = argc > 3 ? (unsigned)atoi(argv[3]) : 5;
    unsigned workers = argc > 4 ? (unsigned)atoi(argv[4]) : 4;
    unsigned threads = argc > 5 ? (unsigned)atoi(argv[5]) : 48;
    if (runs < 1 || runs > MAX_RUNS || threads < 1 || threads > 256 || seconds < 1) {
        fprintf(stderr,
                "usage: ferry-loadtest [SECONDS] [RUNS<=%d] [SLEEP_MS] [WORKERS] "
                "[THREADS<=256]\n",
                MAX_RUNS);
        return 2;
    }
    char urls[MAX_SERVERS][256];
    pid_t pid[MAX_SERVERS];
    for (int i = 0; i < MAX_SERVERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        pid[i] =
            fleet_spawn("tcp://127.0.0.1:0", name, NULL, 1000, workers, urls[i], sizeof urls[i]);
        if (pid[i] <= 0)
            return 1;
    }
    printf("ferry-loadtest: handler waits %u ms, %u workers per server, %u callers, %u s x %u "
           "runs per server count (median)\n",
           sleep_ms, workers, threads, seconds, runs);
    printf("%-8s %12s %10s %16s\n", "servers", "calls/s", "vs 1", "added / one");
    /* Server counts take turns, run after run, so that whatever else the
     * machine does in the meantime falls on all of them alike. */
    double r[MAX_SERVERS + 1][MAX_RUNS];
    for (unsigned k = 0; k < runs; k++)
        for (int n = 1; n <= MAX_SERVERS; n++)
            r[n][k] = run((const char(*)[256])urls, n, seconds, threads);
    double med[MAX_SERVERS + 1] = {0};
    int ok = 1;
    for (int n = 1; n <= MAX_SERVERS; n++) {
        qsort(r[n], runs, sizeof r[n][0], cmp);
        med[n] = r[n][runs / 2];
        double added = n == 1 ? 1.0 : (med[n] - med[n - 1]) / med[1];
        if (added < 0.9)
            ok = 0;
        printf("%-8d %12.0f %10.2f %16.2f\n", n, med[n], med[n] / med[1], added);
    }
    printf("failed calls: %llu\n", (unsigned long long)atomic_load(&failed_calls));
    printf("target (each added server adds >= 0.9 of one): %s\n", ok ? "met" : "NOT met");
    for (int i = 0; i < MAX_SERVERS; i++)
        fleet_stop(pid[i]);
    return 0;
}
