/* test_identity_mac2.c - a mac channel and proof scheme 3 over real
 * sockets: between peers that both know scheme 3 the channel moves to it
 * after its first reply; with a server that predates it (the test hook) the
 * channel keeps to mac and every call succeeds; and when a server that
 * accepted scheme 3 is replaced by one that does not, the call in flight
 * is proved again with mac and sent once more, its handler running once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "identity/auth.h"
#include "probe.h"

/* The proof the last Echo was verified with, and the Echo runs. */
static atomic_int last_proof;
static atomic_int echo_runs;

static ferry_status echo(void *user, ferry_call *call, const Ferrytest__V1__EchoRequest *req,
                         Ferrytest__V1__EchoReply *resp)
{
    const ferry_identity *id = ferry_call_identity(call);
    atomic_store(&last_proof, id != NULL ? (int)id->proof : -1);
    atomic_fetch_add(&echo_runs, 1);
    return probe_handlers.echo(user, call, req, resp);
}

typedef struct fixture {
    char dir[64];
    char keyring[128];
    ferry_key *server, *alice;
    char *url;
    char bound[256];
    ferry_server *srv;
} fixture;

/* A server with identity on `f->url`; with `no_mac2`, one that predates
 * scheme 3. */
static ferry_server *serve(fixture *f, int no_mac2)
{
    static ferrytest_v1_probe_handlers handlers;
    handlers = probe_handlers;
    handlers.echo = echo;
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 2}), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &handlers, NULL), FERRY_OK);
    ferry_server_identity id = {.key = f->server, .keyring_path = f->keyring};
    ferryi_auth_test_no_mac2 = no_mac2;
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_OK);
    ferryi_auth_test_no_mac2 = 0;
    assert_int_equal(ferry_server_listen(srv, f->url, f->bound, sizeof f->bound), FERRY_OK);
    return srv;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-idmac2-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->keyring, sizeof f->keyring, "%s/keyring", f->dir);
    assert_int_equal(ferry_key_generate(&f->server, "probe-server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->alice, "alice"), FERRY_OK);
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(f->alice, b64);
    FILE *fp = fopen(f->keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "alice %s\n", b64);
    assert_int_equal(fclose(fp), 0);
    f->url = probe_ipc_url();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    probe_url_free(f->url);
    ferry_key_free(f->server);
    ferry_key_free(f->alice);
    unlink(f->keyring);
    rmdir(f->dir);
    free(f);
    return 0;
}

static ferry_channel *open_mac(fixture *f)
{
    /* Waiting for a connection: a replaced server is dialed anew. */
    ferry_client_opts o = {
        .wait_for_ready = 1,
        .identity = {.key = f->alice, .proof = FERRY_PROOF_MAC, .server_key = f->server}};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, f->bound, &o), FERRY_OK);
    return ch;
}

/* One Echo that must succeed; returns the proof its handler saw. */
static int echo_ok(ferry_channel *ch)
{
    ferry_call_info info;
    ferry_status st = probe_echo_text(ch, "hi", &info);
    if (st != FERRY_OK)
        fail_msg("call failed: %s: %s", ferry_status_str(st), info.message);
    return atomic_load(&last_proof);
}

/* Between peers that both know scheme 3: the first request is mac (the
 * channel does not know yet), its reply shows the server accepts scheme 3,
 * and every later request uses it. */
static void test_new_peers_move_to_mac2(void **state)
{
    fixture *f = *state;
    f->srv = serve(f, 0);
    ferry_channel *ch = open_mac(f);
    assert_int_equal(echo_ok(ch), FERRY_PROOF_MAC);
    for (int i = 0; i < 5; i++)
        assert_int_equal(echo_ok(ch), FERRY_PROOF_MAC2);
    ferry_channel_close(ch);
}

/* With a server that predates scheme 3 the channel keeps to mac: every
 * call succeeds, proved with mac, and none is refused. */
static void test_server_without_mac2_keeps_mac(void **state)
{
    fixture *f = *state;
    f->srv = serve(f, 1);
    ferry_channel *ch = open_mac(f);
    for (int i = 0; i < 6; i++)
        assert_int_equal(echo_ok(ch), FERRY_PROOF_MAC);
    ferry_auth_counters c;
    ferry_server_get_auth_counters(f->srv, &c);
    assert_int_equal(c.verified, 6);
    assert_int_equal(c.malformed, 0);
    ferry_channel_close(ch);
}

/* A server that accepted scheme 3 is replaced by one that does not: the
 * next call's scheme 3 request is refused before any handler, proved again
 * with mac and sent once more, so the call succeeds with its handler run
 * once; the channel stays on mac with that server. */
static void test_server_replaced_by_one_without_mac2(void **state)
{
    fixture *f = *state;
    f->srv = serve(f, 0);
    ferry_channel *ch = open_mac(f);
    echo_ok(ch);
    assert_int_equal(echo_ok(ch), FERRY_PROOF_MAC2);
    ferry_server_free(f->srv);
    f->srv = serve(f, 1);
    int before = atomic_load(&echo_runs);
    assert_int_equal(echo_ok(ch), FERRY_PROOF_MAC);
    assert_int_equal(atomic_load(&echo_runs) - before, 1);
    ferry_auth_counters c;
    ferry_server_get_auth_counters(f->srv, &c);
    assert_int_equal(c.malformed, 1);
    assert_int_equal(echo_ok(ch), FERRY_PROOF_MAC);
    ferry_server_get_auth_counters(f->srv, &c);
    assert_int_equal(c.malformed, 1);
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_peers_move_to_mac2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_without_mac2_keeps_mac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_replaced_by_one_without_mac2, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
