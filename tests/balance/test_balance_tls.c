/* test_balance_tls.c - a balancing channel over tls+tcp:// (dns+tls://):
 * servers with certificates made for the run, found through dnsmasq; the
 * TLS server name a certificate is checked against is the DNS name asked,
 * unless the options name another. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <ferry/balance.h>
#include <ferry/ferry.h>

#include "ferrytest/v1/probe.ferry.h"
#include "fleet.h"

static char dir[256];
static char ca[300];
static pid_t pid[2];
static fleet_dns dns;
static int port;

static int start(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ferry-btls-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    pid_t p = fork();
    if (p == 0) {
        execl("/bin/sh", "sh", TLS_MAKE_CERTS, dir, TLS_OPENSSL, (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    if (waitpid(p, &ws, 0) != p || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        return -1;
    char cert[300], key[300];
    snprintf(cert, sizeof cert, "%s/server.crt", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    setenv("FLEET_TLS_CERT", cert, 1);
    setenv("FLEET_TLS_KEY", key, 1);
    for (int i = 0; i < 2; i++) {
        char url[64], bound[256], name[8];
        snprintf(url, sizeof url, "tls+tcp://127.0.0.%d:%d", i + 2, port);
        snprintf(name, sizeof name, "s%d", i);
        pid[i] = fleet_spawn(url, name, NULL, 1000, 2, bound, sizeof bound);
        if (pid[i] <= 0)
            return -1;
        port = atoi(strrchr(bound, ':') + 1);
    }
    return fleet_dns_start(&dns, "127.0.0.2 svc.test\n127.0.0.3 svc.test\n", 1, NULL);
}

static int stop(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        if (pid[i] > 0)
            fleet_kill(pid[i]);
    fleet_dns_stop(&dns);
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
    return 0;
}

static ferry_status echo(ferry_channel *ch, int *who, ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts o = {.deadline_ms = 30000, .info = info};
    ferry_status st = ferrytest_v1_probe_echo(ch, &req, &resp, &o);
    if (st == FERRY_OK) {
        *who = atoi(resp->text + 1);
        ferry_message_free(&resp->base);
    }
    return st;
}

/* dns+tls:// reaches every server over TLS, each certificate checked
 * against the CA and the server name the options give. */
static void test_calls_over_tls(void **state)
{
    (void)state;
    char target[64];
    snprintf(target, sizeof target, "dns+tls://svc.test:%d", port);
    /* A TLS handshake of a sanitized build on a loaded machine can take
     * longer than the default connect wait of 1 s. */
    ferry_client_opts co = {.tls = {.ca_file = ca, .server_name = "localhost"},
                            .connect_timeout_ms = 30000};
    ferry_balance_opts bo = {.dns_server = dns.server};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, target, &co, &bo), FERRY_OK);
    /* Each server's TLS connection comes up in its own time (slowly on a
     * loaded machine) and calls go to the ready ones: call until both have
     * answered, for up to 30 s. */
    int seen[2] = {0, 0};
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        int who = -1;
        ferry_call_info info;
        assert_int_equal(echo(ch, &who, &info), FERRY_OK);
        if (who == 0 || who == 1)
            seen[who] = 1;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (!(seen[0] && seen[1]) && t.tv_sec - t0.tv_sec < 30);
    assert_true(seen[0] && seen[1]);
    ferry_channel_close(ch);
}

/* Without a server name in the options, a certificate must be issued for
 * the DNS name asked: these are issued for localhost, so no connection is
 * made and calls fail with unavailable. */
static void test_server_name_is_the_dns_name(void **state)
{
    (void)state;
    char target[64];
    snprintf(target, sizeof target, "dns+tls://svc.test:%d", port);
    ferry_client_opts co = {.tls = {.ca_file = ca}, .connect_timeout_ms = 300};
    ferry_balance_opts bo = {.dns_server = dns.server};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, target, &co, &bo), FERRY_OK);
    int who = -1;
    ferry_call_info info;
    assert_int_equal(echo(ch, &who, &info), FERRY_UNAVAILABLE);
    printf("as expected: %s\n", info.message);
    ferry_channel_close(ch);
}

/* TLS options with a target that is not a TLS one are refused at open, as
 * ferry_client_open() refuses them for a plain URL. */
static void test_tls_options_need_a_tls_target(void **state)
{
    (void)state;
    ferry_client_opts co = {.tls = {.ca_file = ca}};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_balance_open(&ch, "dns://svc.test:1", &co, NULL),
                     FERRY_INVALID_ARGUMENT);
    assert_null(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_over_tls),
        cmocka_unit_test(test_server_name_is_the_dns_name),
        cmocka_unit_test(test_tls_options_need_a_tls_target),
    };
    return cmocka_run_group_tests(tests, start, stop);
}
