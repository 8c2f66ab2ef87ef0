/* ops.c - what operating a service costs: throughput of `in_flight`
 * asynchronous Echo calls (64 B) over ipc to a ferry_server in its own
 * process, with metrics, interceptors and tracing off, and on (the server
 * counting into its registry behind metrics_url and tracing to a sink
 * that drops the spans; the client's channel intercepted by a metrics
 * registry and traced too). Off and on alternate, run after run, so drift
 * on a shared machine hits both alike; the target ratio is at least 0.9
 * (docs/benchmarks.md).
 *
 * The ratio is the median of each run's on/off, the two measured back to
 * back, not the ratio of the two medians: when other work on the machine
 * comes and goes, a run's pair shares its conditions, while the two
 * medians may come from runs far apart.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

int bench_ops(int runs, double seconds, unsigned in_flight)
{
    char off_url[512], on_url[512];
    if (bench_server_start(BENCH_SERVER_FERRY, "ipc", off_url, sizeof off_url) != 0 ||
        bench_server_start(BENCH_SERVER_FERRY_OPS, "ipc", on_url, sizeof on_url) != 0) {
        fprintf(stderr, "ferry-bench: ops: cannot start the servers\n");
        bench_servers_stop();
        return -1;
    }
    double *off = calloc((size_t)runs, sizeof *off), *on = calloc((size_t)runs, sizeof *on);
    double *ratio = calloc((size_t)runs, sizeof *ratio);
    int rc = off != NULL && on != NULL && ratio != NULL ? 0 : -1;
    for (int r = 0; r < runs && rc == 0; r++) {
        for (int k = 0; k < 2 && rc == 0; k++) {
            int with = (k + r) % 2; /* who goes first alternates */
            bench_ferry_set_ops(with);
            if (bench_ferry_throughput(with ? on_url : off_url, BENCH_ID_NONE, 64, in_flight,
                                       BENCH_FERRY_ASYNC, seconds, with ? &on[r] : &off[r]) != 0)
                rc = -1;
        }
        if (rc == 0)
            ratio[r] = off[r] > 0 ? on[r] / off[r] : 0;
    }
    bench_ferry_set_ops(0);
    if (rc == 0) {
        double m_off = bench_median(off, (size_t)runs), m_on = bench_median(on, (size_t)runs);
        printf("ops.ipc.64B.off: %.0f\nops.ipc.64B.on: %.0f\nops.ipc.64B_ratio: %.2f\n", m_off,
               m_on, bench_median(ratio, (size_t)runs));
        fflush(stdout);
    }
    free(off);
    free(on);
    free(ratio);
    bench_servers_stop();
    return rc;
}
