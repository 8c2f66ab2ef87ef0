/* test_last_error.c - the error convention of ferry/status.h: a fallible
 * function that fails leaves a reason naming what was wrong, readable with
 * ferry_last_error() on the thread that called it; one that succeeds leaves
 * none. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"

/* Fails unless this thread's reason holds `want`. */
static void assert_reason_has(const char *want)
{
    const char *why = ferry_last_error();
    assert_non_null(why);
    if (strstr(why, want) == NULL)
        fail_msg("the reason \"%s\" does not say \"%s\"", why, want);
}

/* A tls+tcp:// URL on a server without TLS options is refused with a reason
 * that names the URL and the missing certificate. */
static void test_listen_tls_without_certificate(void **state)
{
    (void)state;
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, "tls+tcp://127.0.0.1:0", NULL, 0),
                     FERRY_FAILED_PRECONDITION);
    assert_reason_has("tls+tcp://127.0.0.1:0");
    assert_reason_has("no TLS certificate");
    assert_null(strstr(ferry_last_error(), "requires roles"));
    ferry_server_free(srv);
}

/* The same status for methods that require roles on a server without
 * identity gives another reason: it names the method and the roles, not
 * TLS. */
static void test_listen_roles_without_identity(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, NULL, 0), FERRY_FAILED_PRECONDITION);
    assert_reason_has("ferrytest.v1.Probe/Admin");
    assert_reason_has("requires roles");
    assert_null(strstr(ferry_last_error(), "TLS"));
    ferry_server_free(srv);
    probe_url_free(url);
}

/* A listen refused for roles holds no address: another server can listen
 * on the same URL while the refused one still exists. */
static void test_listen_refused_binds_nothing(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    ferry_server *refused = NULL, *other = NULL;
    assert_int_equal(ferry_server_new(&refused, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(refused, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(refused, url, NULL, 0), FERRY_FAILED_PRECONDITION);
    assert_int_equal(ferry_server_new(&other, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    assert_int_equal(ferry_server_listen(other, url, NULL, 0), FERRY_OK);
    ferry_server_free(other);
    ferry_server_free(refused);
    probe_url_free(url);
}

/* A URL nng cannot dial is refused with a reason that names it. */
static void test_client_open_names_the_url(void **state)
{
    (void)state;
    ferry_channel *ch = (ferry_channel *)1;
    assert_int_equal(ferry_client_open(&ch, "bogus://nowhere", NULL), FERRY_INVALID_ARGUMENT);
    assert_null(ch);
    assert_reason_has("bogus://nowhere");
}

/* A server option out of range is refused with a reason naming the option
 * and its value. */
static void test_server_new_names_the_option(void **state)
{
    (void)state;
    ferry_server *srv = (ferry_server *)1;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 5000}),
                     FERRY_INVALID_ARGUMENT);
    assert_null(srv);
    assert_reason_has("ferry_server_opts.workers is 5000");
}

/* A secret key file that its group can read is refused with a reason that
 * names the path and the mode. */
static void test_key_readable_by_group(void **state)
{
    (void)state;
    char dir[] = "/tmp/ferry-lasterr-XXXXXX", sec[64], pub[64];
    assert_non_null(mkdtemp(dir));
    snprintf(sec, sizeof sec, "%s/k.key", dir);
    snprintf(pub, sizeof pub, "%s/k.pub", dir);
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_generate(&k, "k"), FERRY_OK);
    assert_int_equal(ferry_key_write(k, sec, pub), FERRY_OK);
    ferry_key_free(k);
    assert_int_equal(chmod(sec, 0640), 0);
    k = (ferry_key *)1;
    assert_int_equal(ferry_key_load_secret(&k, sec), FERRY_PERMISSION_DENIED);
    assert_null(k);
    assert_reason_has(sec);
    assert_reason_has("mode 640");
    unlink(sec);
    unlink(pub);
    rmdir(dir);
}

/* A failure on another thread leaves this thread's reason as it was. */
typedef struct other_thread {
    char seen[FERRY_ERROR_MAX];
    ferry_status st;
} other_thread;

static void *fail_elsewhere(void *arg)
{
    other_thread *o = arg;
    /* A thread that has called nothing yet reads "", not another's. */
    snprintf(o->seen, sizeof o->seen, "%s", ferry_last_error());
    ferry_key *k = NULL;
    o->st = ferry_key_load_public(&k, "/nonexistent/elsewhere.pub");
    return NULL;
}

static void test_reason_is_per_thread(void **state)
{
    (void)state;
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_public(&k, "/nonexistent/here.pub"), FERRY_NOT_FOUND);
    other_thread o = {.st = FERRY_OK};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fail_elsewhere, &o), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(o.st, FERRY_NOT_FOUND);
    assert_string_equal(o.seen, "");
    assert_reason_has("/nonexistent/here.pub");
    assert_null(strstr(ferry_last_error(), "elsewhere"));
}

/* A call that succeeds after one that failed leaves no reason behind, so
 * the old one cannot be taken for its own. */
static void test_success_empties_the_reason(void **state)
{
    (void)state;
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_public(&k, "/nonexistent/stale.pub"), FERRY_NOT_FOUND);
    assert_reason_has("stale.pub");
    assert_int_equal(ferry_key_generate(&k, "fresh"), FERRY_OK);
    assert_string_equal(ferry_last_error(), "");
    ferry_key_free(k);
}

/* A server that starts without the metrics $FERRY_METRICS_URL asks for (it
 * logs why and goes on) succeeds without a reason: the failure it got over
 * is not left for its caller to find. */
static void test_failure_got_over_leaves_no_reason(void **state)
{
    (void)state;
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_public(&k, "/nonexistent/before.pub"), FERRY_NOT_FOUND);
    setenv("FERRY_METRICS_URL", "http://no-such-host.invalid:1/metrics", 1);
    ferry_server *srv = NULL;
    ferry_status st = ferry_server_new(&srv, &(ferry_server_opts){.workers = 1});
    unsetenv("FERRY_METRICS_URL");
    assert_int_equal(st, FERRY_OK);
    assert_string_equal(ferry_last_error(), "");
    ferry_server_free(srv);
}

/* A failure replaces the reason of an earlier one: each reason is about the
 * call that just failed. */
static void test_new_failure_replaces_old(void **state)
{
    (void)state;
    ferry_key *k = NULL;
    assert_int_equal(ferry_key_load_public(&k, "/nonexistent/first.pub"), FERRY_NOT_FOUND);
    ferry_keyring *kr = NULL;
    assert_int_equal(ferry_keyring_load(&kr, "/nonexistent/second.ring"), FERRY_NOT_FOUND);
    assert_reason_has("second.ring");
    assert_null(strstr(ferry_last_error(), "first.pub"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_tls_without_certificate),
        cmocka_unit_test(test_listen_roles_without_identity),
        cmocka_unit_test(test_listen_refused_binds_nothing),
        cmocka_unit_test(test_client_open_names_the_url),
        cmocka_unit_test(test_server_new_names_the_option),
        cmocka_unit_test(test_key_readable_by_group),
        cmocka_unit_test(test_reason_is_per_thread),
        cmocka_unit_test(test_success_empties_the_reason),
        cmocka_unit_test(test_failure_got_over_leaves_no_reason),
        cmocka_unit_test(test_new_failure_replaces_old),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
