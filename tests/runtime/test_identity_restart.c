/* test_identity_restart.c - a server that restarts forgets the nonces it
 * has seen, so it refuses requests proved before its start: a request
 * captured before a restart and replayed byte for byte after it does not run
 * again, while an honest client whose request was proved before the start
 * proves it again once and its call succeeds. */
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
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "wire/envelope.h"
#include "ferry/testclock.h"
#include "ferry/wire.pb-c.h"
#include "probe.h"

typedef struct fixture {
    char dir[256];
    char keyring[300];
    ferry_key *server, *alice;
    char *url;
    char bound[256];
    ferry_server *srv;
} fixture;

static ferry_server *serve(fixture *f)
{
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 2}), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    ferry_server_identity id = {.key = f->server, .keyring_path = f->keyring};
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, f->url, f->bound, sizeof f->bound), FERRY_OK);
    return srv;
}

/* The server stops and a new one takes its keys and address: what a
 * restart looks like to clients. */
static void restart(fixture *f)
{
    ferry_server_free(f->srv);
    f->srv = serve(f);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-restart-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->keyring, sizeof f->keyring, "%s/keyring", f->dir);
    assert_int_equal(ferry_key_generate(&f->server, "probe-server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->alice, "alice"), FERRY_OK);
    char a[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(f->alice, a);
    FILE *fp = fopen(f->keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "alice %s\n", a);
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

/* setup() and teardown() with the test clock frozen in between: a server
 * starts after a request was proved when the test has moved the clock. */
static int setup_clocked(void **state)
{
    if (ferry_test_clock_start() != FERRY_OK)
        return -1;
    return setup(state);
}

static int teardown_clocked(void **state)
{
    int rv = teardown(state);
    ferry_test_clock_stop();
    return rv;
}

static ferry_channel *open_alice(fixture *f, ferry_proof proof, int wait_for_ready)
{
    ferry_client_opts o = {.wait_for_ready = wait_for_ready,
                           .identity = {.key = f->alice, .proof = proof, .server_key = f->server}};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, f->bound, &o), FERRY_OK);
    return ch;
}

/* ---- a captured request ---- */

typedef struct captured {
    uint8_t *frame;
    size_t len;
    uint64_t timestamp_ms; /* its proof's */
} captured;

static void *call_once(void *arg)
{
    ferry_channel *ch = arg;
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "captured";
    ferry_call_opts opts = {.deadline_ms = 20000};
    Ferrytest__V1__EchoReply *resp = NULL;
    (void)ferrytest_v1_probe_write(ch, &req, &resp, &opts);
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    return NULL;
}

/* What alice's client sends for one Write call (not idempotent), taken off
 * the wire by a plain rep0 socket standing in for the server. */
static captured capture(fixture *f, ferry_proof proof)
{
    char *url = probe_ipc_url();
    nng_socket s;
    assert_int_equal(nng_rep0_open(&s), 0);
    assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 20000), 0);
    assert_int_equal(nng_listen(s, url, NULL, 0), 0);
    ferry_client_opts o = {.identity = {.key = f->alice, .proof = proof, .server_key = f->server}};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, url, &o), FERRY_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, call_once, ch), 0);
    nng_msg *m = NULL;
    assert_int_equal(nng_recvmsg(s, &m, 0), 0);
    captured c = {.len = nng_msg_len(m)};
    c.frame = malloc(c.len);
    assert_non_null(c.frame);
    memcpy(c.frame, nng_msg_body(m), c.len);
    nng_msg_free(m);
    nng_close(s); /* the call fails: its connection is gone */
    pthread_join(t, NULL);
    ferry_channel_close(ch);
    probe_url_free(url);

    ferryi_frame fr;
    char why[256];
    assert_int_equal(ferryi_frame_split(c.frame, c.len, FERRYI_KIND_REQUEST, &fr, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__RequestHeader *h =
        ferry__wire__request_header__unpack(NULL, fr.header_len, fr.header);
    assert_non_null(h);
    assert_non_null(h->identity);
    c.timestamp_ms = h->identity->timestamp_ms;
    ferry__wire__request_header__free_unpacked(h, NULL);
    return c;
}

/* Sends `c` byte for byte on a fresh connection; returns the reply's status
 * and message, and its proof_not_before_ms. */
static int replay(fixture *f, const captured *c, char *msg, size_t msg_len, uint64_t *not_before)
{
    void *reply = NULL;
    size_t n = probe_raw_call(f->bound, c->frame, c->len, &reply, 20000);
    assert_non_null(reply);
    ferryi_frame fr;
    char why[256];
    assert_int_equal(ferryi_frame_split(reply, n, FERRYI_KIND_REPLY, &fr, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__ReplyHeader *h = ferry__wire__reply_header__unpack(NULL, fr.header_len, fr.header);
    assert_non_null(h);
    int st = (int)h->status;
    snprintf(msg, msg_len, "%s", h->message);
    *not_before = h->proof_not_before_ms;
    ferry__wire__reply_header__free_unpacked(h, NULL);
    free(reply);
    return st;
}

/* ---- the tests ---- */

/* Before the fix the new server's replay cache was empty and it ran the
 * captured request again. */
static void replay_across_restart(fixture *f, ferry_proof proof)
{
    f->srv = serve(f);
    captured c = capture(f, proof);
    char msg[256];
    uint64_t not_before = 0;

    /* Delivered once, it runs; resent, it is answered from the cache. */
    uint64_t before = atomic_load(&probe_calls);
    assert_int_equal(replay(f, &c, msg, sizeof msg, &not_before), FERRY_OK);
    assert_int_equal(replay(f, &c, msg, sizeof msg, &not_before), FERRY_OK);
    assert_int_equal(atomic_load(&probe_calls) - before, 1);
    assert_int_equal(not_before, 0);

    ferry_test_clock_advance(1); /* the new server starts just after the proof */
    restart(f);
    int st = replay(f, &c, msg, sizeof msg, &not_before);
    if (st != FERRY_UNAUTHENTICATED || strstr(msg, "before this server started") == NULL)
        fail_msg("replay after the restart: status %d (%s)", st, msg);
    assert_int_equal(atomic_load(&probe_calls) - before, 1); /* not run again */
    assert_int_equal(not_before, c.timestamp_ms + 1);
    ferry_auth_counters ac;
    ferry_server_get_auth_counters(f->srv, &ac);
    assert_int_equal(ac.bad_timestamp, 1);
    assert_int_equal(ac.verified, 0);
    free(c.frame);
}

static void test_signed_replay_refused_after_restart(void **state)
{
    replay_across_restart(*state, FERRY_PROOF_SIGNED);
}

static void test_mac_replay_refused_after_restart(void **state)
{
    replay_across_restart(*state, FERRY_PROOF_MAC);
}

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    ferry_status st;
    ferry_call_info info;
} waiter;

static void on_write(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                     const ferry_call_info *info)
{
    waiter *w = arg;
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->info = *info;
    w->done = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* A request proved before the server started (a client whose clock is
 * behind the server's, or a call that waited for the connection while the
 * server restarted) is refused once and proved again, even for a method that
 * is not idempotent; the handler runs once and later calls are not refused. */
static void test_request_proved_before_start_is_proved_again(void **state)
{
    fixture *f = *state;
    ferry_proof modes[] = {FERRY_PROOF_SIGNED, FERRY_PROOF_MAC};
    for (int i = 0; i < 2; i++) {
        /* No server yet: the call is proved now and waits for one. */
        snprintf(f->bound, sizeof f->bound, "%s", f->url);
        ferry_channel *ch = open_alice(f, modes[i], 1);
        waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.text = "early";
        ferry_call_opts opts = {.deadline_ms = 30000};
        uint64_t before = atomic_load(&probe_calls);
        assert_int_equal(ferrytest_v1_probe_write_async(ch, &req, &opts, on_write, &w), FERRY_OK);
        ferry_test_clock_advance(1); /* the server starts just after the proof */
        f->srv = serve(f);

        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        if (w.st != FERRY_OK)
            fail_msg("call proved before the start: %s: %s", ferry_status_str(w.st),
                     w.info.message);
        assert_int_equal(w.info.attempts, 2);
        assert_int_equal(atomic_load(&probe_calls) - before, 1);

        ferry_call_info info;
        assert_int_equal(probe_echo_text(ch, "later", &info), FERRY_OK);
        assert_int_equal(info.attempts, 1);
        ferry_auth_counters ac;
        ferry_server_get_auth_counters(f->srv, &ac);
        assert_int_equal(ac.bad_timestamp, 1);
        assert_int_equal(ac.verified, 2);
        ferry_channel_close(ch);
        ferry_server_free(f->srv);
        f->srv = NULL;
    }
}

typedef struct caller {
    pthread_t thread;
    ferry_channel *ch;
    atomic_int stop;
    atomic_int ok, failed;
    char last_error[FERRY_MESSAGE_MAX];
} caller;

static void *call_loop(void *arg)
{
    caller *c = arg;
    while (!atomic_load(&c->stop)) {
        ferry_call_info info;
        if (probe_echo_text(c->ch, "steady", &info) == FERRY_OK) {
            atomic_fetch_add(&c->ok, 1);
        } else {
            snprintf(c->last_error, sizeof c->last_error, "%s", info.message);
            atomic_fetch_add(&c->failed, 1);
        }
    }
    return NULL;
}

static void wait_ok(caller *c, int n)
{
    for (int i = 0; i < 20000 && atomic_load(&c->ok) < n; i++)
        probe_nap_ms(1);
    assert_true(atomic_load(&c->ok) >= n);
}

/* A client calling all along, with a pinned mac identity, sees no failed
 * call while the server restarts under it. */
static void test_honest_client_across_restart(void **state)
{
    fixture *f = *state;
    f->srv = serve(f);
    caller c = {.ch = open_alice(f, FERRY_PROOF_MAC, 1)};
    assert_int_equal(pthread_create(&c.thread, NULL, call_loop, &c), 0);
    wait_ok(&c, 20);
    restart(f);
    int at = atomic_load(&c.ok);
    wait_ok(&c, at + 20);
    atomic_store(&c.stop, 1);
    pthread_join(c.thread, NULL);
    if (atomic_load(&c.failed) != 0)
        fail_msg("%d calls failed across the restart, the last with: %s", atomic_load(&c.failed),
                 c.last_error);
    ferry_channel_close(c.ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signed_replay_refused_after_restart, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_mac_replay_refused_after_restart, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_request_proved_before_start_is_proved_again,
                                        setup_clocked, teardown_clocked),
        cmocka_unit_test_setup_teardown(test_honest_client_across_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
