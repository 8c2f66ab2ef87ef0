/* main.c - ferry-bench: ferry against raw nng, in one run.
 *
 *   ferry-bench [--runs N] [--seconds S] [--only ipc|tcp] [--in-flight N]
 *
 * For ipc and tcp, and payloads of 64 B and 4 KiB, it starts a raw nng echo
 * server and a ferry echo server, each in its own process, and measures both
 * the same way, alternating raw and ferry within every run so that drift on a
 * shared machine hits both alike: one caller's p50/p99 latency and calls/s,
 * and calls/s with N (default 16) calls in flight, the last also for a ferry
 * server with inline handlers (ferry_server_opts.inline_handlers). Every
 * figure is the median
 * of the runs; ratios are ferry / raw. Output is one `name: value` line per
 * figure. (Internally the same binary is also the servers: --serve-raw URL,
 * --serve-ferry URL, --serve-ferry-inline URL.) */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define MAX_RUNS 50

static pid_t children[3];
static char tmpdir[256];

static void cleanup(void)
{
    for (int i = 0; i < 3; i++) {
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
    }
    if (tmpdir[0] != '\0') {
        char path[300];
        snprintf(path, sizeof path, "%s/raw.sock", tmpdir);
        unlink(path);
        snprintf(path, sizeof path, "%s/ferry.sock", tmpdir);
        unlink(path);
        snprintf(path, sizeof path, "%s/inline.sock", tmpdir);
        unlink(path);
        rmdir(tmpdir);
        tmpdir[0] = '\0';
    }
}

static void on_signal(int sig)
{
    (void)sig;
    cleanup();
    _exit(130);
}

/* Starts this program as a server (`mode` is --serve-raw or --serve-ferry)
 * and reads the URL it reports. Returns the pid, or -1. */
static pid_t spawn_server(const char *mode, const char *url, char *bound, size_t bound_len)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {"ferry-bench", (char *)mode, (char *)url, NULL};
    pid_t pid;
    int rv = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rv != 0) {
        close(fds[0]);
        return -1;
    }
    FILE *in = fdopen(fds[0], "r");
    char line[512];
    if (in == NULL || fgets(line, sizeof line, in) == NULL || strncmp(line, "ready ", 6) != 0) {
        if (in != NULL)
            fclose(in);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    fclose(in);
    line[strcspn(line, "\n")] = '\0';
    snprintf(bound, bound_len, "%s", line + 6);
    return pid;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

static int measure(const char *transport, size_t payload, int runs, double seconds,
                   unsigned in_flight)
{
    char raw_url[300], ferry_url[300], inline_url[300], want[300];
    if (strcmp(transport, "ipc") == 0)
        snprintf(want, sizeof want, "ipc://%s/raw.sock", tmpdir);
    else
        snprintf(want, sizeof want, "tcp://127.0.0.1:0");
    if ((children[0] = spawn_server("--serve-raw", want, raw_url, sizeof raw_url)) < 0)
        return -1;
    if (strcmp(transport, "ipc") == 0)
        snprintf(want, sizeof want, "ipc://%s/ferry.sock", tmpdir);
    if ((children[1] = spawn_server("--serve-ferry", want, ferry_url, sizeof ferry_url)) < 0)
        return -1;
    if (strcmp(transport, "ipc") == 0)
        snprintf(want, sizeof want, "ipc://%s/inline.sock", tmpdir);
    if ((children[2] = spawn_server("--serve-ferry-inline", want, inline_url, sizeof inline_url)) <
        0)
        return -1;

    double p50[2][MAX_RUNS], p99[2][MAX_RUNS], one[2][MAX_RUNS], many[3][MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        bench_latency l;
        if (bench_raw_latency(raw_url, payload, seconds, &l) != 0)
            return -1;
        p50[0][r] = l.p50_us, p99[0][r] = l.p99_us, one[0][r] = l.calls_per_s;
        if (bench_ferry_latency(ferry_url, payload, seconds, &l) != 0)
            return -1;
        p50[1][r] = l.p50_us, p99[1][r] = l.p99_us, one[1][r] = l.calls_per_s;
        if (bench_raw_throughput(raw_url, payload, in_flight, seconds, &many[0][r]) != 0 ||
            bench_ferry_throughput(ferry_url, payload, in_flight, seconds, &many[1][r]) != 0 ||
            bench_ferry_throughput(inline_url, payload, in_flight, seconds, &many[2][r]) != 0)
            return -1;
    }
    for (int i = 0; i < 3; i++) {
        kill(children[i], SIGKILL);
        waitpid(children[i], NULL, 0);
        children[i] = 0;
    }

    char name[64];
    snprintf(name, sizeof name, "%s.%s", transport, payload < 1024 ? "64B" : "4KiB");
    double m[2][4];
    for (int k = 0; k < 2; k++) {
        m[k][0] = bench_median(p50[k], (size_t)runs);
        m[k][1] = bench_median(p99[k], (size_t)runs);
        m[k][2] = bench_median(one[k], (size_t)runs);
        m[k][3] = bench_median(many[k], (size_t)runs);
    }
    printf("%s.p50_us.raw: %.1f\n%s.p50_us.ferry: %.1f\n%s.p50_ratio: %.2f\n", name, m[0][0],
           name, m[1][0], name, ratio(m[1][0], m[0][0]));
    printf("%s.p99_us.raw: %.1f\n%s.p99_us.ferry: %.1f\n%s.p99_ratio: %.2f\n", name, m[0][1],
           name, m[1][1], name, ratio(m[1][1], m[0][1]));
    printf("%s.tput1.raw: %.0f\n%s.tput1.ferry: %.0f\n%s.tput1_ratio: %.2f\n", name, m[0][2],
           name, m[1][2], name, ratio(m[1][2], m[0][2]));
    printf("%s.tput%u.raw: %.0f\n%s.tput%u.ferry: %.0f\n%s.tput%u_ratio: %.2f\n", name,
           in_flight, m[0][3], name, in_flight, m[1][3], name, in_flight,
           ratio(m[1][3], m[0][3]));
    double inl = bench_median(many[2], (size_t)runs);
    printf("%s.tput%u.ferry_inline: %.0f\n%s.tput%u_inline_ratio: %.2f\n", name, in_flight, inl,
           name, in_flight, ratio(inl, m[0][3]));
    fflush(stdout);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: ferry-bench [--runs N] [--seconds S] [--only ipc|tcp] [--in-flight N]\n"
                 "  -r, --runs N        runs per figure; the median is reported (default 5)\n"
                 "  -s, --seconds S     length of each measurement (default 1.0)\n"
                 "  -o, --only T        only transport T: ipc or tcp\n"
                 "  -n, --in-flight N   calls in flight for the throughput figure (default 16)\n"
                 "  -h, --help          this text\n");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--serve-raw") == 0)
        return bench_raw_serve(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--serve-ferry") == 0)
        return bench_ferry_serve(argv[2], 0);
    if (argc == 3 && strcmp(argv[1], "--serve-ferry-inline") == 0)
        return bench_ferry_serve(argv[2], 1);

    static const struct option longopts[] = {
        {"runs", required_argument, NULL, 'r'},      {"seconds", required_argument, NULL, 's'},
        {"only", required_argument, NULL, 'o'},      {"in-flight", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    long runs = 5, in_flight = 16;
    double seconds = 1.0;
    const char *only = NULL;
    char *end;
    int c;
    while ((c = getopt_long(argc, argv, "r:s:o:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            runs = strtol(optarg, &end, 10);
            if (*end != '\0' || runs < 1 || runs > MAX_RUNS) {
                fprintf(stderr, "ferry-bench: --runs '%s' is not a number from 1 to %d\n",
                        optarg, MAX_RUNS);
                return 2;
            }
            break;
        case 's':
            seconds = strtod(optarg, &end);
            if (*end != '\0' || !(seconds >= 0.1 && seconds <= 60)) {
                fprintf(stderr, "ferry-bench: --seconds '%s' is not from 0.1 to 60\n", optarg);
                return 2;
            }
            break;
        case 'o':
            if (strcmp(optarg, "ipc") != 0 && strcmp(optarg, "tcp") != 0) {
                fprintf(stderr, "ferry-bench: --only takes ipc or tcp, not '%s'\n", optarg);
                return 2;
            }
            only = optarg;
            break;
        case 'n':
            in_flight = strtol(optarg, &end, 10);
            if (*end != '\0' || in_flight < 1 || in_flight > 256) {
                fprintf(stderr, "ferry-bench: --in-flight '%s' is not a number from 1 to 256\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ferry-bench: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    const char *tmp = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ferry-bench-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        fprintf(stderr, "ferry-bench: cannot make a temp dir: %s\n", strerror(errno));
        return 1;
    }
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    printf("# ferry-bench: medians of %ld runs of %.1f s; server in its own process; "
           "ratios are ferry/raw\n",
           runs, seconds);
    const char *transports[] = {"ipc", "tcp"};
    const size_t sizes[] = {64, 4096};
    for (int t = 0; t < 2; t++) {
        if (only != NULL && strcmp(only, transports[t]) != 0)
            continue;
        for (int s = 0; s < 2; s++) {
            if (measure(transports[t], sizes[s], (int)runs, seconds, (unsigned)in_flight) != 0) {
                fprintf(stderr, "ferry-bench: measuring %s with %zu bytes failed\n",
                        transports[t], sizes[s]);
                return 1;
            }
        }
    }
    return 0;
}
