/* test_stats_cli.c - `ferry stats` over many servers, run as a program:
 * one row per endpoint of a list or a DNS name, with what each server's
 * admin service says, and an exit status that tells when one did not
 * answer. */
#include <poll.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet.h"

extern char **environ;

static pid_t pid[2];
static char bound[2][256];
static fleet_dns dns;
static int port;

static int start(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        char url[64], name[8];
        snprintf(url, sizeof url, "tcp://127.0.0.%d:%d", i + 2, port);
        snprintf(name, sizeof name, "s%d", i);
        pid[i] = fleet_spawn(url, name, NULL, 1000, 2, bound[i], sizeof bound[i]);
        if (pid[i] <= 0)
            return -1;
        port = atoi(strrchr(bound[i], ':') + 1);
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
    return 0;
}

/* Runs `ferry stats [--timeout TIMEOUT] ARG [--json]` (TIMEOUT NULL: the
 * tool's default, 5 s); its output into `out`, its exit status returned. */
static int run_stats_within(const char *timeout, const char *arg, int json, char *out, size_t len)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[7];
    int argc = 0;
    argv[argc++] = (char *)FERRY_TOOL;
    argv[argc++] = "stats";
    if (timeout != NULL) {
        argv[argc++] = "--timeout";
        argv[argc++] = (char *)timeout;
    }
    argv[argc++] = (char *)arg;
    if (json)
        argv[argc++] = "--json";
    argv[argc] = NULL;
    pid_t p;
    assert_int_equal(posix_spawn(&p, FERRY_TOOL, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    size_t n = 0;
    struct pollfd pf = {.fd = fds[0], .events = POLLIN};
    while (n + 1 < len && poll(&pf, 1, 90000) > 0) {
        ssize_t r = read(fds[0], out + n, len - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    out[n] = '\0';
    close(fds[0]);
    int ws = 0;
    waitpid(p, &ws, 0);
    printf("%s", out);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* For servers that are all up: 30 s to connect to each and for its answer,
 * so that a loaded machine does not turn a live server into a row that did
 * not answer. The tool ends as soon as every server has answered. */
static int run_stats(const char *arg, int json, char *out, size_t len)
{
    return run_stats_within("30000", arg, json, out, len);
}

/* A list of URLs: a row per server, each ready and answering. */
static void test_rows_of_a_list(void **state)
{
    (void)state;
    char arg[600], out[8192];
    snprintf(arg, sizeof arg, "%s,%s", bound[0], bound[1]);
    assert_int_equal(run_stats(arg, 0, out, sizeof out), 0);
    assert_non_null(strstr(out, "2 endpoints, 2 answered"));
    assert_non_null(strstr(out, bound[0]));
    assert_non_null(strstr(out, bound[1]));
    assert_non_null(strstr(out, "ready"));
}

/* A DNS name, with the DNS server from FERRY_DNS_SERVER: the same rows,
 * as JSON with --json. */
static void test_rows_of_a_name_as_json(void **state)
{
    (void)state;
    setenv("FERRY_DNS_SERVER", dns.server, 1);
    char arg[64], out[8192];
    snprintf(arg, sizeof arg, "dns://svc.test:%d", port);
    assert_int_equal(run_stats(arg, 1, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"endpoint\": \"tcp://127.0.0.2:"));
    assert_non_null(strstr(out, "\"endpoint\": \"tcp://127.0.0.3:"));
    assert_non_null(strstr(out, "\"answered\": true"));
    unsetenv("FERRY_DNS_SERVER");
}

/* A server that is down gets a row saying why, and the exit status 1. */
static void test_down_endpoint_named(void **state)
{
    (void)state;
    fleet_kill(pid[1]);
    pid[1] = 0;
    char arg[600], out[8192];
    snprintf(arg, sizeof arg, "%s,%s", bound[0], bound[1]);
    /* The tool's default wait: the server that is down costs all of it. */
    assert_int_equal(run_stats_within(NULL, arg, 0, out, sizeof out), 1);
    assert_non_null(strstr(out, "2 endpoints, 1 answered"));
    assert_non_null(strstr(out, "unavailable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_of_a_list),
        cmocka_unit_test(test_rows_of_a_name_as_json),
        cmocka_unit_test(test_down_endpoint_named),
    };
    return cmocka_run_group_tests(tests, start, stop);
}
