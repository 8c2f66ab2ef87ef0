/* test_server_options.c - what a server refuses to be made or to do, and
 * the calls a channel or a local binding refuses before anything runs:
 * options out of their ranges, identity set twice or with a bad keyring,
 * a keyring reload without identity, listening where it cannot, services
 * added once serving, and call metadata over its limits; each status with
 * its own name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"

static ferry_status new_with(ferry_server_opts o)
{
    ferry_server *srv = NULL;
    ferry_status st = ferry_server_new(&srv, &o);
    if (st != FERRY_OK)
        assert_null(srv);
    ferry_server_free(srv);
    return st;
}

/* Options outside their ranges are refused at creation: more than 1024
 * workers or 65536 calls in flight (in all, or of one connection: its
 * queue's bound added to it once wrapped), frames under 256 bytes or over
 * FERRY_MAX_MESSAGE_LIMIT (the transport's limit less its header: up to
 * UINT32_MAX once failed as an exhausted resource), a send timeout over
 * INT32_MAX ms, call memory under one frame. The bounds themselves are
 * accepted. */
static void test_server_option_ranges(void **state)
{
    (void)state;
    assert_int_equal(ferry_server_new(NULL, NULL), FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.workers = 1025}), FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.max_in_flight = 65537}), FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.max_in_flight_per_connection = 65537}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.max_message = 255}), FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.max_message = (size_t)UINT32_MAX + 1}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.max_message = UINT32_MAX}),
                     FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(ferry_last_error(), "max_message"));
    assert_int_equal(new_with((ferry_server_opts){.max_message = FERRY_MAX_MESSAGE_LIMIT + 1}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.send_timeout_ms = (uint32_t)INT32_MAX + 1u}),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(new_with((ferry_server_opts){.max_message = 4096, .max_call_memory = 4095}),
                     FERRY_INVALID_ARGUMENT);

    assert_int_equal(new_with((ferry_server_opts){.workers = 2, .max_in_flight = 65536}), FERRY_OK);
    assert_int_equal(new_with((ferry_server_opts){.workers = 2, .max_message = 256}), FERRY_OK);
    assert_int_equal(
        new_with((ferry_server_opts){.workers = 2, .max_message = FERRY_MAX_MESSAGE_LIMIT}),
        FERRY_OK);
    assert_int_equal(
        new_with((ferry_server_opts){.workers = 2, .max_message = 4096, .max_call_memory = 4096}),
        FERRY_OK);
}

/* A FERRY_WORKERS that is not a number from 1 to 1024 is not used: the
 * server is made with the default instead of failing or of taking it, and
 * serves. */
static void test_bad_workers_variable_ignored(void **state)
{
    (void)state;
    static const char *const bad[] = {"many", "0", "1025", "12abc", "-3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(setenv("FERRY_WORKERS", bad[i], 1), 0);
        assert_int_equal(new_with((ferry_server_opts){0}), FERRY_OK);
    }
    /* ... and serves with it. */
    assert_int_equal(setenv("FERRY_WORKERS", "many", 1), 0);
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve_opts(
        url, &(ferry_server_opts){.serve_roles_without_identity = 1}, bound, sizeof bound);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);
    assert_int_equal(probe_echo_text(ch, "hello", NULL), FERRY_OK);
    ferry_channel_close(ch);
    ferry_server_free(srv);
    probe_url_free(url);
    assert_int_equal(unsetenv("FERRY_WORKERS"), 0);
}

/* Identity is set once, before listening, from a key with its secret half
 * and a keyring that loads; a failed attempt leaves the server without
 * identity, and a keyring reload then has nothing to reload. */
static void test_identity_set_once(void **state)
{
    (void)state;
    char dir[] = "/tmp/ferry-serveropts-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char keyring[64];
    snprintf(keyring, sizeof keyring, "%s/keyring", dir);
    ferry_key *key = NULL;
    assert_int_equal(ferry_key_generate(&key, "server"), FERRY_OK);
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(key, b64);

    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    assert_int_equal(ferry_server_set_identity(NULL, NULL), FERRY_INVALID_ARGUMENT);
    assert_string_equal(ferry_last_error(), "ferry_server_set_identity: no server given");
    ferry_server_identity id = {.key = key, .keyring_path = keyring}; /* no file yet */
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_NOT_FOUND);
    assert_non_null(strstr(ferry_last_error(), "cannot open the keyring"));
    assert_int_equal(ferry_server_reload_keyring(srv), FERRY_FAILED_PRECONDITION);
    assert_string_equal(ferry_last_error(),
                        "ferry_server_reload_keyring: the server has no identity set");
    assert_int_equal(ferry_server_reload_keyring(NULL), FERRY_INVALID_ARGUMENT);
    assert_string_equal(ferry_last_error(), "ferry_server_reload_keyring: no server given");
    ferry_auth_counters ac = {.verified = 99};
    ferry_server_get_auth_counters(srv, &ac);
    assert_int_equal(ac.verified, 0); /* no identity: zeros */
    ferry_server_get_auth_counters(srv, NULL);

    FILE *fp = fopen(keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "self %s\n", b64);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_OK);
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_FAILED_PRECONDITION);
    assert_string_equal(
        ferry_last_error(),
        "ferry_server_set_identity: identity is set once, before the server listens");
    assert_int_equal(ferry_server_reload_keyring(srv), FERRY_OK);

    ferry_server_free(srv);
    ferry_key_free(key);
    unlink(keyring);
    rmdir(dir);
}

/* A server listens only where it can: no URL, tls+tcp:// without a
 * certificate, a transport nng does not know, and an address another
 * server holds are each refused with their own status; services are added
 * only before it serves. */
static void test_listen_refusals(void **state)
{
    (void)state;
    ferry_server *a = NULL, *b = NULL;
    assert_int_equal(
        ferry_server_new(&a, &(ferry_server_opts){.workers = 1, .serve_roles_without_identity = 1}),
        FERRY_OK);
    assert_int_equal(
        ferry_server_new(&b, &(ferry_server_opts){.workers = 1, .serve_roles_without_identity = 1}),
        FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(a, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(b, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(a, NULL, NULL, 0), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_listen(NULL, "tcp://127.0.0.1:0", NULL, 0),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_listen(a, "tls+tcp://127.0.0.1:0", NULL, 0),
                     FERRY_FAILED_PRECONDITION);
    assert_int_equal(ferry_server_listen(a, "carrier-pigeon://loft", NULL, 0),
                     FERRY_INVALID_ARGUMENT);
    char bound[128];
    assert_int_equal(ferry_server_listen(a, "tcp://127.0.0.1:0", bound, sizeof bound), FERRY_OK);
    assert_non_null(strstr(bound, "tcp://127.0.0.1:"));
    assert_string_not_equal(bound, "tcp://127.0.0.1:0"); /* the port chosen */
    assert_int_equal(ferry_server_listen(b, bound, NULL, 0), FERRY_ALREADY_EXISTS);

    ferry_service_impl impl;
    ferrytest_v1_probe_impl(&impl, &probe_handlers, NULL);
    assert_int_equal(ferry_server_add(a, &impl), FERRY_FAILED_PRECONDITION); /* serving */
    assert_int_equal(ferry_server_add(NULL, &impl), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_add(b, NULL), FERRY_INVALID_ARGUMENT);

    ferry_server_counters c = {.received = 99};
    ferry_server_get_counters(NULL, &c);
    assert_int_equal(c.received, 0);
    ferry_server_get_counters(a, NULL);
    ferry_server_free(a);
    ferry_server_free(b);
}

/* A local binding refuses call metadata a remote call could not carry,
 * with the remote channel's reasons: more than 64 entries, an entry
 * without a key, a value with a length but no bytes. */
static void test_local_metadata_limits(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&ch, &probe_handlers, NULL), FERRY_OK);
    static ferry_metadata md[65];
    for (size_t i = 0; i < 65; i++)
        md[i] = (ferry_metadata){.key = "k", .value = (const uint8_t *)"v", .len = 1};
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts o = {.metadata = md, .n_metadata = 65, .info = &info};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &o), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "65 metadata entries; the limit is 64");
    md[1].key = NULL;
    o.n_metadata = 2;
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &o), FERRY_INVALID_ARGUMENT);
    assert_string_equal(info.message, "metadata entry 1 has no key or value");
    md[1] = (ferry_metadata){.key = "k", .value = NULL, .len = 1};
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &o), FERRY_INVALID_ARGUMENT);
    md[1] = (ferry_metadata){.key = "k", .value = NULL, .len = 0}; /* empty: fine */
    assert_int_equal(ferrytest_v1_probe_echo(ch, &req, &resp, &o), FERRY_OK);
    ferry_message_free(&resp->base);
    assert_null(resp = NULL);
    ferry_channel_close(ch);
}

/* A call needs a channel, a method, and metadata where it says it has
 * some; each is refused with its reason instead of being followed. */
static void test_call_arguments_refused(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&ch, &probe_handlers, NULL), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    ferry_call_info info;
    const ferry_method *echo = &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO];
    assert_int_equal(
        ferry_channel_call(NULL, echo, &req.base, &resp, &(ferry_call_opts){.info = &info}),
        FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "channel is NULL"));
    assert_int_equal(
        ferry_channel_call(ch, NULL, &req.base, &resp, &(ferry_call_opts){.info = &info}),
        FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "method descriptor is NULL or incomplete"));
    assert_int_equal(ferry_channel_call(ch, echo, &req.base, &resp,
                                        &(ferry_call_opts){.n_metadata = 1, .info = &info}),
                     FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(info.message, "n_metadata is set but metadata is NULL"));
    assert_null(resp);
    ferry_channel_close(ch);
}

/* Every status has a name of its own, and a value that is no status is
 * named as such rather than taken for another. */
static void test_status_names(void **state)
{
    (void)state;
    static const ferry_status all[] = {
        FERRY_OK,
        FERRY_CANCELLED,
        FERRY_UNKNOWN,
        FERRY_INVALID_ARGUMENT,
        FERRY_DEADLINE_EXCEEDED,
        FERRY_NOT_FOUND,
        FERRY_ALREADY_EXISTS,
        FERRY_PERMISSION_DENIED,
        FERRY_RESOURCE_EXHAUSTED,
        FERRY_FAILED_PRECONDITION,
        FERRY_ABORTED,
        FERRY_OUT_OF_RANGE,
        FERRY_UNIMPLEMENTED,
        FERRY_INTERNAL,
        FERRY_UNAVAILABLE,
        FERRY_DATA_LOSS,
        FERRY_UNAUTHENTICATED,
        FERRY_UNSUPPORTED_VERSION,
        FERRY_PROTOCOL_ERROR,
        FERRY_FALLBACK,
    };
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *name = ferry_status_str(all[i]);
        assert_string_not_equal(name, "unknown status");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(name, ferry_status_str(all[j]));
    }
    assert_string_equal(ferry_status_str(FERRY_CANCELLED), "cancelled");
    assert_string_equal(ferry_status_str(FERRY_DATA_LOSS), "data loss");
    assert_string_equal(ferry_status_str((ferry_status)17), "unknown status");
    assert_string_equal(ferry_status_str((ferry_status)999), "unknown status");
}

/* A server that is shutting down cannot listen again: a state, not an
 * argument, is what is wrong (FERRY_FAILED_PRECONDITION), and the reason
 * names the URL. */
static void test_listen_after_shutdown(void **state)
{
    (void)state;
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    ferry_server_shutdown(srv, 0);
    char *url = probe_ipc_url();
    assert_int_equal(ferry_server_listen(srv, url, NULL, 0), FERRY_FAILED_PRECONDITION);
    assert_non_null(strstr(ferry_last_error(), "shutting down"));
    ferry_server_free(srv);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_after_shutdown),
        cmocka_unit_test(test_server_option_ranges),
        cmocka_unit_test(test_bad_workers_variable_ignored),
        cmocka_unit_test(test_identity_set_once),
        cmocka_unit_test(test_listen_refusals),
        cmocka_unit_test(test_local_metadata_limits),
        cmocka_unit_test(test_call_arguments_refused),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
