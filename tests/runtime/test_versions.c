/* test_versions.c - API version negotiation and call statistics over real
 * sockets, on the probe service (API version 3): the default and configured
 * ranges, newer and older clients refused with the range in the message and
 * the reply header, a request without a version, methods newer than the
 * server, unknown services, deprecated methods counted, the admin service's
 * rows and totals, the bound on rows against invented client names, and the
 * admin service behind its role on a server with identity. Clients of other
 * API versions are the probe's descriptor copied with another version. */
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

#include "ferry/admin/v1/admin.ferry.h"
#include "probe.h"

#define N_PROBE FERRYTEST_V1_PROBE_N_METHODS

/* A copy of the probe's descriptor at another API version, plus a method
 * "Future" (since `api`) that no server hosts: what a client built from a
 * later or earlier revision of the IDL sends. */
typedef struct probe_rev {
    ferry_service_desc desc;
    ferry_method methods[N_PROBE + 1];
} probe_rev;

static void probe_rev_make(probe_rev *r, uint32_t api, int deprecate_echo)
{
    r->desc = ferrytest_v1_probe_desc;
    r->desc.api_version = api;
    r->desc.methods = r->methods;
    r->desc.n_methods = N_PROBE + 1;
    for (size_t i = 0; i < N_PROBE; i++) {
        r->methods[i] = ferrytest_v1_probe_desc.methods[i];
        r->methods[i].service = &r->desc;
    }
    if (deprecate_echo)
        r->methods[FERRYTEST_V1_PROBE_ECHO].opts.deprecated = 1;
    r->methods[N_PROBE] = r->methods[FERRYTEST_V1_PROBE_ECHO];
    r->methods[N_PROBE].index = N_PROBE;
    r->methods[N_PROBE].name = "Future";
    r->methods[N_PROBE].full_name = "ferrytest.v1.Probe/Future";
    r->methods[N_PROBE].opts.since = api;
}

typedef struct fixture {
    char *url;
    char bound[256];
    ferry_server *srv;
} fixture;

static ferry_server *new_server(void)
{
    ferry_server *srv = NULL;
    assert_int_equal(
        ferry_server_new(&srv,
                         &(ferry_server_opts){.workers = 2, .serve_roles_without_identity = 1}),
        FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    return srv;
}

static void listen_on(fixture *f)
{
    assert_int_equal(ferry_server_listen(f->srv, f->url, f->bound, sizeof f->bound), FERRY_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->url = probe_ipc_url();
    f->srv = new_server();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_server_shutdown(f->srv, 2000);
    ferry_server_free(f->srv);
    probe_url_free(f->url);
    free(f);
    return 0;
}

static ferry_channel *open_as(const char *url, const char *name, const char *version)
{
    ferry_client_opts o = {
        .client_name = name, .client_version = version, .connect_timeout_ms = 5000};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, url, &o), FERRY_OK);
    return ch;
}

/* Calls method `m` with an Echo request; returns the status, the details in
 * *info. */
static ferry_status call(ferry_channel *ch, const ferry_method *m, ferry_call_info *info)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "hello";
    ProtobufCMessage *resp = NULL;
    ferry_call_opts o = {.deadline_ms = 10000, .info = info};
    ferry_status st = ferry_channel_call(ch, m, &req.base, &resp, &o);
    ferry_message_free(resp);
    return st;
}

static Ferry__Admin__V1__GetStatsReply *get_stats(ferry_channel *ch)
{
    Ferry__Admin__V1__GetStatsRequest req = FERRY__ADMIN__V1__GET_STATS_REQUEST__INIT;
    Ferry__Admin__V1__GetStatsReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts o = {.deadline_ms = 10000, .info = &info};
    ferry_status st = ferry_admin_v1_admin_get_stats(ch, &req, &resp, &o);
    if (st != FERRY_OK)
        fail_msg("GetStats: %s: %s", ferry_status_str(st), info.message);
    return resp;
}

static const Ferry__Admin__V1__ClientStats *find_row(const Ferry__Admin__V1__GetStatsReply *r,
                                                     const char *method, uint32_t api,
                                                     const char *name)
{
    for (size_t i = 0; i < r->n_clients; i++)
        if (strcmp(r->clients[i]->method, method) == 0 && r->clients[i]->api_version == api &&
            strcmp(r->clients[i]->client_name, name) == 0)
            return r->clients[i];
    return NULL;
}

static const Ferry__Admin__V1__MethodStats *find_method(const Ferry__Admin__V1__GetStatsReply *r,
                                                        const char *method)
{
    for (size_t i = 0; i < r->n_methods; i++)
        if (strcmp(r->methods[i]->method, method) == 0)
            return r->methods[i];
    return NULL;
}

/* ---- ranges ---- */

static void test_range_setters(void **state)
{
    fixture *f = *state;
    uint32_t lo = 0, hi = 0;
    assert_int_equal(ferry_server_get_api_range(f->srv, "ferrytest.v1.Probe", &lo, &hi), FERRY_OK);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 3);
    assert_int_equal(ferry_server_get_api_range(f->srv, "ferrytest.v1.Nope", &lo, &hi),
                     FERRY_NOT_FOUND);
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Nope", 1, 3),
                     FERRY_NOT_FOUND);
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Probe", 0, 3),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Probe", 4, 5),
                     FERRY_INVALID_ARGUMENT); /* would refuse the server's own version */
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Probe", 1, 2),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_set_api_range(NULL, "ferrytest.v1.Probe", 1, 3),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Probe", 2, 7), FERRY_OK);
    assert_int_equal(ferry_server_get_api_range(f->srv, "ferrytest.v1.Probe", &lo, &hi), FERRY_OK);
    assert_int_equal(lo, 2);
    assert_int_equal(hi, 7);
    assert_int_equal(ferry_server_set_stats_limit(f->srv, 2000000), FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_server_set_stats_limit(f->srv, 10), FERRY_OK);
    listen_on(f);
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Probe", 1, 3),
                     FERRY_FAILED_PRECONDITION);
    assert_int_equal(ferry_server_set_stats_limit(f->srv, 10), FERRY_FAILED_PRECONDITION);
    assert_int_equal(ferry_server_add_admin(f->srv), FERRY_FAILED_PRECONDITION);
}

static void test_newer_client_refused(void **state)
{
    fixture *f = *state;
    listen_on(f);
    probe_rev r4;
    probe_rev_make(&r4, 4, 0);
    ferry_channel *ch = open_as(f->bound, "next", "4.0");
    ferry_call_info info;
    assert_int_equal(call(ch, &r4.methods[FERRYTEST_V1_PROBE_ECHO], &info),
                     FERRY_UNSUPPORTED_VERSION);
    assert_non_null(strstr(info.message, "ferrytest.v1.Probe serves API versions 1 to 3"));
    assert_non_null(strstr(info.message, "version 4 is newer than this server"));
    assert_int_equal(info.server_api_min, 1);
    assert_int_equal(info.server_api_max, 3);

    /* The server's own version and older ones are served, and say the range. */
    assert_int_equal(call(ch, &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO], &info),
                     FERRY_OK);
    assert_int_equal(info.server_api_min, 1);
    assert_int_equal(info.server_api_max, 3);
    probe_rev r1;
    probe_rev_make(&r1, 1, 0);
    assert_int_equal(call(ch, &r1.methods[FERRYTEST_V1_PROBE_ECHO], &info), FERRY_OK);
    ferry_channel_close(ch);
}

static void test_configured_range(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Probe", 2, 4), FERRY_OK);
    listen_on(f);
    ferry_channel *ch = open_as(f->bound, "any", "1");
    ferry_call_info info;
    probe_rev r1, r4, r5, r0;
    probe_rev_make(&r1, 1, 0);
    probe_rev_make(&r4, 4, 0);
    probe_rev_make(&r5, 5, 0);
    probe_rev_make(&r0, 0, 0);
    assert_int_equal(call(ch, &r1.methods[FERRYTEST_V1_PROBE_ECHO], &info),
                     FERRY_UNSUPPORTED_VERSION);
    assert_non_null(strstr(info.message, "serves API versions 2 to 4"));
    assert_non_null(strstr(info.message, "version 1 is no longer served"));
    assert_int_equal(info.server_api_min, 2);
    assert_int_equal(info.server_api_max, 4);
    /* A newer client inside the range is served the methods the server has. */
    assert_int_equal(call(ch, &r4.methods[FERRYTEST_V1_PROBE_ECHO], &info), FERRY_OK);
    assert_int_equal(call(ch, &r5.methods[FERRYTEST_V1_PROBE_ECHO], &info),
                     FERRY_UNSUPPORTED_VERSION);
    /* A request that states no version is not checked. */
    assert_int_equal(call(ch, &r0.methods[FERRYTEST_V1_PROBE_ECHO], &info), FERRY_OK);
    /* Refused calls never ran the handler and are counted as refused. */
    uint64_t before = atomic_load(&probe_calls);
    assert_int_equal(call(ch, &r1.methods[FERRYTEST_V1_PROBE_ECHO], &info),
                     FERRY_UNSUPPORTED_VERSION);
    assert_int_equal(atomic_load(&probe_calls), before);
    ferry_channel_close(ch);
}

/* ---- methods the server does not have ---- */

static void test_method_newer_than_server(void **state)
{
    fixture *f = *state;
    listen_on(f);
    ferry_channel *ch = open_as(f->bound, "next", "4.0");
    ferry_call_info info;
    probe_rev r4, r3;
    probe_rev_make(&r4, 4, 0);
    probe_rev_make(&r3, 3, 0);
    /* A method the server lacks comes before the client's version in the
     * checks: the message says the method is newer than the server, and the
     * client adds the version the method came in, from its descriptor. */
    assert_int_equal(call(ch, &r4.methods[N_PROBE], &info), FERRY_UNIMPLEMENTED);
    assert_string_equal(info.message, "method ferrytest.v1.Probe/Future is newer than this "
                                      "server: the client has API version 4 of "
                                      "ferrytest.v1.Probe, this server implements version 3 "
                                      "(Future came in API version 4)");
    assert_int_equal(info.server_api_min, 1);
    assert_int_equal(info.server_api_max, 3);

    /* A client of the server's own version: just an unknown method. */
    assert_int_equal(call(ch, &r3.methods[N_PROBE], &info), FERRY_UNIMPLEMENTED);
    assert_string_equal(info.message, "unknown method ferrytest.v1.Probe/Future "
                                      "(ferrytest.v1.Probe is at API version 3 here)");
    ferry_channel_close(ch);
}

/* A server that serves newer clients still lacks their new methods. */
static void test_method_newer_than_wide_server(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_set_api_range(f->srv, "ferrytest.v1.Probe", 1, 4), FERRY_OK);
    listen_on(f);
    ferry_channel *ch = open_as(f->bound, "next", "4.0");
    ferry_call_info info;
    probe_rev r4;
    probe_rev_make(&r4, 4, 0);
    assert_int_equal(call(ch, &r4.methods[FERRYTEST_V1_PROBE_ECHO], &info), FERRY_OK);
    assert_int_equal(call(ch, &r4.methods[N_PROBE], &info), FERRY_UNIMPLEMENTED);
    assert_string_equal(info.message, "method ferrytest.v1.Probe/Future is newer than this "
                                      "server: the client has API version 4 of "
                                      "ferrytest.v1.Probe, this server implements version 3");
    assert_int_equal(info.server_api_max, 4);
    ferry_channel_close(ch);
}

static void test_other_major_version(void **state)
{
    fixture *f = *state;
    listen_on(f);
    probe_rev r;
    probe_rev_make(&r, 3, 0);
    r.methods[FERRYTEST_V1_PROBE_ECHO].full_name = "ferrytest.v9.Probe/Echo";
    r.methods[FERRYTEST_V1_PROBE_LOOKUP].full_name = "nowhere/Echo";
    ferry_channel *ch = open_as(f->bound, "other", "9");
    ferry_call_info info;
    assert_int_equal(call(ch, &r.methods[FERRYTEST_V1_PROBE_ECHO], &info), FERRY_UNIMPLEMENTED);
    assert_string_equal(info.message,
                        "unknown method ferrytest.v9.Probe/Echo: this server does not serve "
                        "ferrytest.v9.Probe; it serves ferrytest.v1.Probe (API versions 1 to 3)");
    assert_int_equal(call(ch, &r.methods[FERRYTEST_V1_PROBE_LOOKUP], &info), FERRY_UNIMPLEMENTED);
    assert_string_equal(info.message, "unknown method nowhere/Echo");
    ferry_channel_close(ch);
}

/* ---- statistics ---- */

static void test_stats_rows(void **state)
{
    fixture *f = *state;
    /* A server whose Echo is deprecated: its descriptor says so. */
    ferry_server_free(f->srv);
    assert_int_equal(
        ferry_server_new(&f->srv,
                         &(ferry_server_opts){.workers = 2, .serve_roles_without_identity = 1}),
        FERRY_OK);
    static probe_rev served;
    probe_rev_make(&served, 3, 1);
    served.desc.n_methods = N_PROBE; /* without Future */
    ferry_service_impl impl;
    ferrytest_v1_probe_impl(&impl, &probe_handlers, NULL);
    impl.desc = &served.desc;
    assert_int_equal(ferry_server_add(f->srv, &impl), FERRY_OK);
    assert_int_equal(ferry_server_add_admin(f->srv), FERRY_OK);
    assert_int_equal(ferry_server_add_admin(f->srv), FERRY_ALREADY_EXISTS);
    listen_on(f);

    probe_rev r2, r4;
    probe_rev_make(&r2, 2, 0);
    probe_rev_make(&r4, 4, 0);
    ferry_channel *old = open_as(f->bound, "shop", "1.9");
    ferry_channel *cur = open_as(f->bound, "shop", "3.1");
    ferry_call_info info;
    for (int i = 0; i < 3; i++)
        assert_int_equal(call(old, &r2.methods[FERRYTEST_V1_PROBE_ECHO], &info), FERRY_OK);
    assert_int_equal(call(cur, &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_LOOKUP], &info),
                     FERRY_OK);
    assert_int_equal(call(cur, &r4.methods[FERRYTEST_V1_PROBE_LOOKUP], &info),
                     FERRY_UNSUPPORTED_VERSION);
    assert_int_equal(call(cur, &r4.methods[N_PROBE], &info), FERRY_UNIMPLEMENTED);

    ferry_channel *admin = open_as(f->bound, "ops", "1");
    Ferry__Admin__V1__GetStatsReply *s = get_stats(admin);
    assert_string_equal(s->ferry_version, ferry_version());
    assert_true(s->now_ms >= s->started_ms);
    assert_int_equal(s->n_services, 2);
    assert_string_equal(s->services[0]->service, "ferrytest.v1.Probe");
    assert_int_equal(s->services[0]->api_version, 3);
    assert_int_equal(s->services[0]->api_min, 1);
    assert_int_equal(s->services[0]->api_max, 3);
    assert_string_equal(s->services[0]->superseded_by, "");
    assert_int_equal(s->clients_limit, FERRY_STATS_DEFAULT_LIMIT);
    assert_int_equal(s->clients_overflow, 0);
    assert_int_equal(s->unknown_methods, 1);

    const Ferry__Admin__V1__MethodStats *echo = find_method(s, "ferrytest.v1.Probe/Echo");
    assert_non_null(echo);
    assert_true(echo->deprecated);
    assert_int_equal(echo->calls, 3);
    const Ferry__Admin__V1__MethodStats *lookup = find_method(s, "ferrytest.v1.Probe/Lookup");
    assert_false(lookup->deprecated);
    assert_int_equal(lookup->calls, 1);
    assert_int_equal(lookup->refused, 1);

    const Ferry__Admin__V1__ClientStats *row = find_row(s, "ferrytest.v1.Probe/Echo", 2, "shop");
    assert_non_null(row);
    assert_string_equal(row->client_version, "1.9");
    assert_int_equal(row->calls, 3);
    assert_true(row->deprecated_method);
    assert_true(row->old_api);
    assert_false(row->old_major);
    assert_true(row->first_ms <= row->last_ms);
    row = find_row(s, "ferrytest.v1.Probe/Lookup", 3, "shop");
    assert_int_equal(row->calls, 1);
    assert_false(row->deprecated_method);
    assert_false(row->old_api);
    row = find_row(s, "ferrytest.v1.Probe/Lookup", 4, "shop");
    assert_int_equal(row->calls, 0);
    assert_int_equal(row->refused, 1);
    assert_non_null(find_row(s, "ferry.admin.v1.Admin/GetStats", 1, "ops"));
    /* Rows come sorted by method, API version and client. */
    for (size_t i = 1; i < s->n_clients; i++)
        assert_true(strcmp(s->clients[i - 1]->method, s->clients[i]->method) <= 0);
    ferry_message_free(&s->base);
    ferry_channel_close(admin);
    ferry_channel_close(old);
    ferry_channel_close(cur);
}

/* Clients inventing names cannot grow the table past its limit; the calls
 * are still counted per method. Names are kept as printable ASCII. */
static void test_stats_bounded(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_set_stats_limit(f->srv, 4), FERRY_OK);
    assert_int_equal(ferry_server_add_admin(f->srv), FERRY_OK);
    listen_on(f);
    ferry_call_info info;
    char weird[300];
    memset(weird, 'x', sizeof weird - 1);
    weird[sizeof weird - 1] = '\0';
    weird[0] = '\n';
    weird[1] = (char)0xc3;
    weird[2] = (char)0xa9;
    ferry_channel *ch = open_as(f->bound, weird, "\x01v");
    assert_int_equal(call(ch, &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO], &info),
                     FERRY_OK);
    ferry_channel_close(ch);
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "invented-%d", i);
        ch = open_as(f->bound, name, "1");
        assert_int_equal(call(ch, &ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO], &info),
                         FERRY_OK);
        ferry_channel_close(ch);
    }
    ch = open_as(f->bound, "ops", "1");
    Ferry__Admin__V1__GetStatsReply *s = get_stats(ch);
    assert_int_equal(s->n_clients, 4);
    assert_int_equal(s->clients_limit, 4);
    assert_int_equal(s->clients_overflow, 11 - 4 + 1); /* the GetStats call too */
    assert_int_equal(find_method(s, "ferrytest.v1.Probe/Echo")->calls, 11);
    const Ferry__Admin__V1__ClientStats *row = NULL;
    for (size_t i = 0; i < s->n_clients; i++)
        if (s->clients[i]->client_name[0] == '?')
            row = s->clients[i];
    assert_non_null(row);
    assert_int_equal(strlen(row->client_name), 63);
    assert_memory_equal(row->client_name, "???xxx", 6);
    assert_string_equal(row->client_version, "?v");
    ferry_message_free(&s->base);
    ferry_channel_close(ch);
}

/* ---- the admin service behind its role ---- */

static void test_admin_needs_role(void **state)
{
    fixture *f = *state;
    char dir[] = "/tmp/ferry-versions-XXXXXX", keyring[64];
    assert_non_null(mkdtemp(dir));
    snprintf(keyring, sizeof keyring, "%s/keyring", dir);
    ferry_key *server = NULL, *ops = NULL, *shop = NULL;
    assert_int_equal(ferry_key_generate(&server, "server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&ops, "ops"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&shop, "shop"), FERRY_OK);
    char a[FERRY_PUBLIC_KEY_B64], b[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(ops, a);
    ferry_key_public_b64(shop, b);
    FILE *fp = fopen(keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "ops %s roles=" FERRY_ADMIN_ROLE "\nshop %s roles=shop\n", a, b);
    assert_int_equal(fclose(fp), 0);
    ferry_server_identity id = {.key = server, .keyring_path = keyring};
    assert_int_equal(ferry_server_set_identity(f->srv, &id), FERRY_OK);
    assert_int_equal(ferry_server_add_admin(f->srv), FERRY_OK);
    listen_on(f);

    const ferry_key *who[] = {shop, ops};
    for (int i = 0; i < 2; i++) {
        ferry_client_opts o = {.connect_timeout_ms = 5000,
                               .identity = {.key = who[i], .proof = FERRY_PROOF_SIGNED}};
        ferry_channel *ch = NULL;
        assert_int_equal(ferry_client_open(&ch, f->bound, &o), FERRY_OK);
        Ferry__Admin__V1__GetStatsRequest req = FERRY__ADMIN__V1__GET_STATS_REQUEST__INIT;
        Ferry__Admin__V1__GetStatsReply *resp = NULL;
        ferry_call_info info;
        ferry_call_opts co = {.deadline_ms = 10000, .info = &info};
        ferry_status st = ferry_admin_v1_admin_get_stats(ch, &req, &resp, &co);
        if (who[i] == shop) {
            assert_int_equal(st, FERRY_PERMISSION_DENIED);
            assert_non_null(strstr(info.message, FERRY_ADMIN_ROLE));
        } else {
            assert_int_equal(st, FERRY_OK);
            assert_non_null(find_row(resp, "ferry.admin.v1.Admin/GetStats", 1, "ferry-client"));
        }
        ferry_message_free(resp != NULL ? &resp->base : NULL);
        ferry_channel_close(ch);
    }
    ferry_key_free(server);
    ferry_key_free(ops);
    ferry_key_free(shop);
    unlink(keyring);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_range_setters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_client_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_newer_than_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_newer_than_wide_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_major_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_needs_role, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
