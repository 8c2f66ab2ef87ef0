/* fleet_server.c - one server of a fleet, in a process of its own, for the
 * balancing tests and the load test:
 *
 *   fleet-server URL NAME [LOG] [GRACE_MS] [WORKERS]
 *
 * Serves the probe service and the admin service (ferry stats). Echo and Write sleep the request's
 * sleep_ms (simulated I/O), append the request's text (the caller's request id) as one line to LOG
 * when given, and answer with NAME as text, so a client knows who answered and a test can count
 * what each server ran. Prints "listening BOUND_URL" once it serves. SIGTERM shuts it down as a
 * deploy would: a drain notice of half the grace period (replies say it drains), then the calls in
 * flight finish within GRACE_MS (default 2000). FLEET_TLS_CERT and FLEET_TLS_KEY give the
 * certificate of a tls+tcp:// URL. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ferry/ferry.h>

#include "ferrytest/v1/probe.ferry.h"

static const char *name;
static int log_fd = -1;

static ferry_status run(void *user, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                        Ferrytest__V1__EchoReply *resp)
{
    (void)user;
    if (req->sleep_ms > 0) {
        struct timespec ts = {.tv_sec = req->sleep_ms / 1000,
                              .tv_nsec = (long)(req->sleep_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    /* A handler that gives up: a failure that ran, which only the retry
     * policy may send again. */
    if (req->text != NULL && strcmp(req->text, "unavailable") == 0)
        return ferry_call_fail(call, FERRY_UNAVAILABLE, "%s asked to fail", name);
    if (log_fd >= 0 && req->text != NULL && req->text[0] != '\0') {
        char line[256];
        int n = snprintf(line, sizeof line, "%s\n", req->text);
        /* One write per line with O_APPEND: lines of many workers never mix. */
        if (n > 0 && write(log_fd, line, (size_t)n) != n)
            return ferry_call_fail(call, FERRY_INTERNAL, "cannot log the request");
    }
    resp->text = (char *)name;
    return FERRY_OK;
}

static const ferrytest_v1_probe_handlers handlers = {
    .echo = run,
    .write = run,
    .lookup = run,
    .guess = run,
};

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fleet-server URL NAME [LOG] [GRACE_MS] [WORKERS]\n");
        return 2;
    }
    name = argv[2];
    if (argc > 3 && argv[3][0] != '\0') {
        log_fd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log_fd < 0) {
            perror(argv[3]);
            return 1;
        }
    }
    uint32_t grace = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 2000;
    unsigned workers = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 8;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started later too */

    /* The fleet serves without identity on purpose: no warning per server. */
    setenv("FERRY_LOG", "error", 0);
    ferry_server *srv = NULL;
    /* The probe's Admin method declares roles, which this fleet does not check. */
    ferry_server_opts so = {
        .workers = workers, .drain_notice_ms = grace / 2, .serve_roles_without_identity = 1};
    /* TLS from the environment, for tls+tcp:// URLs. */
    so.tls.cert_file = getenv("FLEET_TLS_CERT");
    so.tls.key_file = getenv("FLEET_TLS_KEY");
    char bound[256];
    if (ferry_server_new(&srv, &so) != FERRY_OK ||
        ferrytest_v1_probe_register(srv, &handlers, NULL) != FERRY_OK ||
        ferry_server_add_admin(srv) != FERRY_OK ||
        ferry_server_listen(srv, argv[1], bound, sizeof bound) != FERRY_OK) {
        fprintf(stderr, "fleet-server: cannot serve %s\n", argv[1]);
        return 1;
    }
    printf("listening %s\n", bound);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    ferry_server_shutdown(srv, grace);
    ferry_server_free(srv);
    if (log_fd >= 0)
        close(log_fd);
    return 0;
}
