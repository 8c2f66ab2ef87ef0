/* test_identity.c - request identity over real sockets: every attack the
 * server must refuse, with the exact status, and whether the handler ran;
 * retransmits answered once; roles; forged replies; keyring reload. Requests
 * for the attacks are built by hand with the runtime's own proof code, so
 * that each can be altered after it is proved. */
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
#include <sodium.h>

#include "base/clock.h"
#include "wire/envelope.h"
#include "ferry/testclock.h"
#include "ferry/wire.pb-c.h"
#include "identity/auth.h"
#include "identity/client_proof.h"
#include "identity/keys.h"
#include "probe.h"
#include "identity/proof.h"

typedef struct fixture {
    char dir[256];
    char keyring[300];
    ferry_key *server, *alice, *bob, *mallory;
    char *url;
    char bound[256];
    ferry_server *srv;
} fixture;

static void write_keyring(fixture *f, int with_bob)
{
    char a[FERRY_PUBLIC_KEY_B64], b[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(f->alice, a);
    ferry_key_public_b64(f->bob, b);
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.new", f->keyring);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fprintf(fp, "# clients of the probe\n\nalice %s roles=reader,admin\n", a);
    if (with_bob)
        fprintf(fp, "bob   %s   # no roles\n", b);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(rename(tmp, f->keyring), 0);
}

static ferry_server *serve(fixture *f, const ferry_server_identity *tweak)
{
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 2}), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    ferry_server_identity id = tweak != NULL ? *tweak : (ferry_server_identity){0};
    id.key = f->server;
    id.keyring_path = f->keyring;
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, f->url, f->bound, sizeof f->bound), FERRY_OK);
    return srv;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-id-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->keyring, sizeof f->keyring, "%s/keyring", f->dir);
    assert_int_equal(ferry_key_generate(&f->server, "probe-server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->alice, "alice"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->bob, "bob"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->mallory, "mallory"), FERRY_OK);
    write_keyring(f, 1);
    f->url = probe_ipc_url();
    f->srv = serve(f, NULL);
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
    ferry_key_free(f->bob);
    ferry_key_free(f->mallory);
    char p[320];
    snprintf(p, sizeof p, "%s/keyring", f->dir);
    unlink(p);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* setup() and teardown() with the test clock frozen in between: the server
 * starts, and the requests are proved, at the test clock's time. */
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

static ferry_channel *open_as(fixture *f, const ferry_key *key, ferry_proof proof,
                              const ferry_key *server_key)
{
    ferry_client_opts o = {.identity = {.key = key, .proof = proof, .server_key = server_key}};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, f->bound, &o), FERRY_OK);
    return ch;
}

/* ---- requests built by hand ---- */

typedef struct forged {
    const ferry_key *key;
    ferry_proof scheme;
    const char *method;
    uint64_t call_id;
    int64_t skew_ms; /* added to the current time */
    uint8_t nonce[16];
    const char *text;
    int reply_mac;    /* ask for a reply proved with mac */
    int covers_state; /* ask for a reply proof that covers its state */
    int accept_mac2;  /* say a scheme 3 reply can be checked */
    /* applied after proving: */
    const char *tamper_method;
    uint64_t tamper_call_id;
    int tamper_body;
} forged;

/* A request frame as a ferry client would send it, then altered. */
static uint8_t *forge(fixture *f, const forged *r, size_t *len)
{
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = (char *)r->text;
    size_t blen = protobuf_c_message_get_packed_size(&req.base);
    uint8_t *body = malloc(blen + 1);
    protobuf_c_message_pack(&req.base, body);

    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = (char *)r->method;
    h.api_version = 3;
    h.call_id = r->call_id;
    h.deadline_ms = 20000;
    ferryi_request_fields fl = {
        .scheme = (uint8_t)r->scheme,
        .key_id = ferry_key_public(r->key),
        .method = r->method,
        .api_version = 3,
        .call_id = r->call_id,
        .timestamp_ms = (uint64_t)((int64_t)ferryi_wall_ms() + r->skew_ms),
        .nonce = r->nonce,
        .deadline_ms = 20000,
    };
    ferryi_metadata_hash(fl.metadata_hash, NULL, 0);
    ferryi_hash(fl.body_hash, body, blen);
    uint8_t canon[FERRYI_CANON_MAX], proof[64];
    size_t clen = ferryi_request_canonical(&fl, canon);
    ferryi_session_keys sk;
    assert_int_equal(ferryi_session_client(&sk, r->key, ferry_key_public(f->server)), 0);
    Ferry__Wire__Identity id = FERRY__WIRE__IDENTITY__INIT;
    id.key_id.data = (uint8_t *)ferry_key_public(r->key);
    id.key_id.len = 32;
    id.timestamp_ms = fl.timestamp_ms;
    id.nonce.data = (uint8_t *)r->nonce;
    id.nonce.len = 16;
    id.scheme = (Ferry__Wire__ProofScheme)r->scheme;
    id.proof.data = proof;
    id.proof.len = ferryi_prove(r->scheme, r->key, sk.c2s, canon, clen, proof);
    id.reply_mac = r->reply_mac != 0;
    id.covers_state = r->covers_state != 0;
    id.accept_mac2 = r->accept_mac2 != 0;
    if (r->scheme != FERRY_PROOF_NONE)
        h.identity = &id;

    if (r->tamper_method != NULL)
        h.method = (char *)r->tamper_method;
    if (r->tamper_call_id != 0)
        h.call_id = r->tamper_call_id;
    if (r->tamper_body)
        body[blen - 1] ^= 0x01;

    size_t hlen = protobuf_c_message_get_packed_size(&h.base);
    *len = FERRYI_FRAME_PREFIX + hlen + blen;
    uint8_t *frame = malloc(*len);
    ferryi_frame_write_raw(frame, FERRYI_KIND_REQUEST, &h.base, body, blen);
    free(body);
    return frame;
}

/* Sends `frame` on a fresh connection; returns the reply's status and
 * message, and its text when ok. */
static int send_raw(fixture *f, const uint8_t *frame, size_t len, char *msg, size_t msg_len,
                    uint64_t *seq)
{
    void *reply = NULL;
    size_t n = probe_raw_call(f->bound, frame, len, &reply, 20000);
    if (reply == NULL)
        return -1;
    ferryi_frame fr;
    char why[256];
    assert_int_equal(ferryi_frame_split(reply, n, FERRYI_KIND_REPLY, &fr, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__ReplyHeader *h = ferry__wire__reply_header__unpack(NULL, fr.header_len, fr.header);
    assert_non_null(h);
    int st = (int)h->status;
    snprintf(msg, msg_len, "%s", h->message);
    if (st == FERRY_OK && seq != NULL) {
        Ferrytest__V1__EchoReply *r = ferrytest__v1__echo_reply__unpack(NULL, fr.body_len, fr.body);
        assert_non_null(r);
        *seq = r->seq;
        ferrytest__v1__echo_reply__free_unpacked(r, NULL);
    }
    ferry__wire__reply_header__free_unpacked(h, NULL);
    free(reply);
    return st;
}

static forged valid(const ferry_key *key, ferry_proof scheme)
{
    forged r = {.key = key,
                .scheme = scheme,
                .method = "ferrytest.v1.Probe/Echo",
                .call_id = 7,
                .text = "hello"};
    randombytes_buf(r.nonce, sizeof r.nonce);
    return r;
}

/* Sends `r` and asserts the status, a fragment of the message, and whether
 * the handler ran. */
static void expect(fixture *f, const forged *r, int want, const char *fragment, int ran)
{
    size_t len = 0;
    uint8_t *frame = forge(f, r, &len);
    uint64_t before = atomic_load(&probe_calls);
    char msg[256];
    int st = send_raw(f, frame, len, msg, sizeof msg, NULL);
    free(frame);
    if (st != want || (fragment != NULL && strstr(msg, fragment) == NULL))
        fail_msg("status %d (%s), want %d with \"%s\"", st, msg, want, fragment ? fragment : "");
    assert_int_equal(atomic_load(&probe_calls) - before, (uint64_t)ran);
}

/* Sends `r` on a fresh connection; its reply's header, with an identity
 * block, its frame in *fr and its bytes in *reply (free() them). */
static Ferry__Wire__ReplyHeader *fetch_reply(fixture *f, const forged *r, void **reply,
                                             ferryi_frame *fr)
{
    size_t len = 0;
    uint8_t *frame = forge(f, r, &len);
    *reply = NULL;
    size_t n = probe_raw_call(f->bound, frame, len, reply, 20000);
    free(frame);
    assert_non_null(*reply);
    char why[256];
    assert_int_equal(ferryi_frame_split(*reply, n, FERRYI_KIND_REPLY, fr, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__ReplyHeader *h =
        ferry__wire__reply_header__unpack(NULL, fr->header_len, fr->header);
    assert_non_null(h);
    assert_non_null(h->identity);
    return h;
}

/* Sends `r` on a fresh connection and returns the scheme of its reply's
 * proof, after checking that the proof holds under that scheme for a client
 * of key `r->key` that pins the server's key. */
static ferry_proof reply_scheme(fixture *f, const forged *r)
{
    void *reply = NULL;
    ferryi_frame fr;
    Ferry__Wire__ReplyHeader *h = fetch_reply(f, r, &reply, &fr);
    ferryi_reply_fields rf = {
        .scheme = (uint8_t)h->identity->scheme,
        .call_id = h->call_id,
        .status = h->status,
        .nonce = r->nonce,
        .message = h->message,
        .not_before_ms = h->proof_not_before_ms,
    };
    ferryi_hash(rf.body_hash, fr.body, fr.body_len);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t clen = ferryi_reply_canonical(&rf, canon);
    ferryi_session_keys sk;
    assert_int_equal(ferryi_session_client(&sk, r->key, ferry_key_public(f->server)), 0);
    assert_true(ferryi_verify((ferry_proof)h->identity->scheme, ferry_key_public(f->server), sk.s2c,
                              canon, clen, h->identity->proof.data, h->identity->proof.len));
    ferry_proof scheme = (ferry_proof)h->identity->scheme;
    ferry__wire__reply_header__free_unpacked(h, NULL);
    free(reply);
    return scheme;
}

/* ---- the tests ---- */

/* Calls Probe/Nope, a method the server does not know (refused before any
 * handler, with not_run set), on a channel of alice's that pins the
 * server's key or (`pin` 0) nothing; the call's not_run. */
static int nope_not_run(fixture *f, int pin)
{
    ferry_method nope = ferrytest_v1_probe_desc.methods[FERRYTEST_V1_PROBE_ECHO];
    nope.full_name = "ferrytest.v1.Probe/Nope";
    nope.name = "Nope";
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ferry_channel *ch = open_as(f, f->alice, FERRY_PROOF_SIGNED, pin ? f->server : NULL);
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    ProtobufCMessage *resp = NULL;
    assert_int_equal(ferry_channel_call(ch, &nope, &req.base, &resp, &opts), FERRY_UNIMPLEMENTED);
    ferry_channel_close(ch);
    return info.not_run;
}

/* A client that pins the server's key asks that reply proofs cover the
 * reply's state, and then takes not_run from a reply (a balancer may send
 * the call elsewhere); one that pins nothing takes it as it comes. */
static void test_pinned_client_takes_proved_not_run(void **state)
{
    fixture *f = *state;
    assert_int_equal(nope_not_run(f, 1), 1);
    assert_int_equal(nope_not_run(f, 0), 1);
}

/* From a server that predates proofs covering a reply's state, a client
 * that pins its key does not take not_run (someone on the path could
 * otherwise have a non-idempotent call run on a second server); one that
 * pins nothing still does. */
static void test_pinned_client_ignores_unproved_not_run(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    ferryi_auth_test_no_state = 1;
    f->srv = serve(f, NULL);
    ferryi_auth_test_no_state = 0;
    assert_int_equal(nope_not_run(f, 1), 0);
    assert_int_equal(nope_not_run(f, 0), 1);
}

/* A reply to a request that asked for its state to be covered says so, its
 * proof holds over the state as sent, and fails when any part of the state
 * is changed on the way: draining, not_run, max_request, api_min, api_max.
 * For each scheme a reply may be proved with: signed (a signed request),
 * mac (a mac request), mac2 (a mac request that can check it). */
static void test_reply_state_is_covered(void **state)
{
    fixture *f = *state;
    const ferry_proof schemes[] = {FERRY_PROOF_SIGNED, FERRY_PROOF_MAC, FERRY_PROOF_MAC2};
    for (size_t k = 0; k < 3; k++) {
        forged r = valid(f->alice, k == 0 ? FERRY_PROOF_SIGNED : FERRY_PROOF_MAC);
        r.accept_mac2 = k == 2;
        r.method = "ferrytest.v1.Probe/Nope"; /* not_run set, and every other part */
        r.covers_state = 1;
        void *reply = NULL;
        ferryi_frame fr;
        Ferry__Wire__ReplyHeader *h = fetch_reply(f, &r, &reply, &fr);
        assert_true(h->identity->covers_state);
        assert_true(h->not_run);
        assert_int_equal((ferry_proof)h->identity->scheme, schemes[k]);
        ferryi_session_keys sk;
        assert_int_equal(ferryi_session_client(&sk, f->alice, ferry_key_public(f->server)), 0);
        ferryi_reply_fields rf = {
            .scheme = (uint8_t)h->identity->scheme,
            .call_id = h->call_id,
            .status = h->status,
            .nonce = r.nonce,
            .reply_nonce = h->identity->reply_nonce.data,
            .message = h->message,
            .not_before_ms = h->proof_not_before_ms,
        };
        ferryi_reply_state(&rf, h);
        const uint8_t *proof = h->identity->proof.data;
        size_t plen = h->identity->proof.len;
        const uint8_t *pk = ferry_key_public(f->server);
        assert_true(ferryi_reply_holds(&rf, fr.body, fr.body_len, pk, sk.s2c, proof, plen));
        ferryi_reply_fields t = rf;
        t.not_run = 0;
        assert_false(ferryi_reply_holds(&t, fr.body, fr.body_len, pk, sk.s2c, proof, plen));
        t = rf;
        t.draining = 1;
        assert_false(ferryi_reply_holds(&t, fr.body, fr.body_len, pk, sk.s2c, proof, plen));
        t = rf;
        t.max_request = 16;
        assert_false(ferryi_reply_holds(&t, fr.body, fr.body_len, pk, sk.s2c, proof, plen));
        t = rf;
        t.api_min++;
        assert_false(ferryi_reply_holds(&t, fr.body, fr.body_len, pk, sk.s2c, proof, plen));
        t = rf;
        t.api_max++;
        assert_false(ferryi_reply_holds(&t, fr.body, fr.body_len, pk, sk.s2c, proof, plen));
        t = rf;
        t.covers_state = 0; /* the flag cleared on the way */
        assert_false(ferryi_reply_holds(&t, fr.body, fr.body_len, pk, sk.s2c, proof, plen));
        ferry__wire__reply_header__free_unpacked(h, NULL);
        free(reply);
    }
}

/* Whether the reply to `r` (sent on a fresh connection) has status `want`
 * and says its proof covers its state. */
static int covered_reply(fixture *f, const forged *r, int want)
{
    void *reply = NULL;
    ferryi_frame fr;
    Ferry__Wire__ReplyHeader *h = fetch_reply(f, r, &reply, &fr);
    assert_int_equal(h->status, want);
    int covered = h->identity->covers_state;
    ferry__wire__reply_header__free_unpacked(h, NULL);
    free(reply);
    return covered;
}

/* Only the reply to the first request with a nonce whose proof held covers
 * its state. A refusal of a copy of it does not, or a stranger could send an
 * altered, mistimed or replayed copy and pass the refusal's not_run off as
 * the answer to the request that ran. */
static void test_refused_copies_leave_state_uncovered(void **state)
{
    fixture *f = *state;
    forged r = valid(f->alice, FERRY_PROOF_SIGNED);
    r.covers_state = 1;
    assert_true(covered_reply(f, &r, FERRY_OK));
    forged altered = r;
    altered.tamper_body = 1;
    assert_false(covered_reply(f, &altered, FERRY_UNAUTHENTICATED));
    forged other = r; /* the same nonce, another request properly proved */
    other.text = "another";
    assert_false(covered_reply(f, &other, FERRY_UNAUTHENTICATED));
    forged old = valid(f->alice, FERRY_PROOF_SIGNED);
    old.covers_state = 1;
    old.skew_ms = -3600000;
    assert_false(covered_reply(f, &old, FERRY_UNAUTHENTICATED));
}

/* A channel takes a reply's state as the server covers it: all of it when
 * covered; from a server that never covers it, as before; none once the
 * server has covered it and a reply comes that does not (the request's
 * covers_state cleared on the way). */
static void test_client_takes_state_as_covered(void **state)
{
    fixture *f = *state;
    ferryi_client_proof p = {.server_key = f->server};
    Ferry__Wire__Identity covered = FERRY__WIRE__IDENTITY__INIT, bare = covered;
    covered.covers_state = 1;
    covered.scheme = FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2;
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    h.identity = &bare;
    assert_int_equal(ferryi_client_state(&p, &h), FERRYI_STATE_UNCOVERED);
    h.identity = &covered;
    assert_int_equal(ferryi_client_state(&p, &h), FERRYI_STATE_PROVED);
    covered.scheme = FERRY__WIRE__PROOF_SCHEME__PROOF_MAC;
    assert_int_equal(ferryi_client_state(&p, &h), FERRYI_STATE_PROVED);
    h.identity = &bare;
    assert_int_equal(ferryi_client_state(&p, &h), FERRYI_STATE_IGNORED);
    ferryi_client_proof unpinned = {0};
    assert_int_equal(ferryi_client_state(&unpinned, &h), FERRYI_STATE_PROVED);
}

/* A signature binds a reply to no client: another key holder can have the
 * server sign a refusal, with its state covered, of a request carrying this
 * client's nonce and call id. A pinning channel, whose replies the server
 * proves with a MAC under its own session keys, takes no state from a
 * covered reply that is signed. */
static void test_client_takes_no_state_from_signed_reply(void **state)
{
    fixture *f = *state;
    ferryi_client_proof p = {.server_key = f->server};
    Ferry__Wire__Identity signed_covered = FERRY__WIRE__IDENTITY__INIT;
    signed_covered.covers_state = 1;
    signed_covered.scheme = FERRY__WIRE__PROOF_SCHEME__PROOF_SIGNED;
    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    h.identity = &signed_covered;
    assert_int_equal(ferryi_client_state(&p, &h), FERRYI_STATE_UNCOVERED);
    Ferry__Wire__Identity mac_covered = signed_covered;
    mac_covered.scheme = FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2;
    h.identity = &mac_covered;
    assert_int_equal(ferryi_client_state(&p, &h), FERRYI_STATE_PROVED);
    h.identity = &signed_covered; /* once covered replies came: nothing */
    assert_int_equal(ferryi_client_state(&p, &h), FERRYI_STATE_IGNORED);
}

/* A probe server with identity (the fixture's key and keyring) and a drain
 * notice of `notice_ms`, on a fresh ipc:// URL (*url, to free). */
static ferry_server *serve_noticing(fixture *f, uint32_t notice_ms, char **url, char *bound,
                                    size_t bound_len)
{
    ferry_server *srv = NULL;
    ferry_server_opts so = {.workers = 2, .drain_notice_ms = notice_ms};
    assert_int_equal(ferry_server_new(&srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    ferry_server_identity id = {.key = f->server, .keyring_path = f->keyring};
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_OK);
    *url = probe_ipc_url();
    assert_int_equal(ferry_server_listen(srv, *url, bound, bound_len), FERRY_OK);
    return srv;
}

/* A balancing channel that pins its servers' key moves a Write (not
 * idempotent) that a draining server refused to another server: the
 * refusal's not_run is covered by its proof. Every call succeeds, and one
 * of them took two attempts (each call has even odds of drawing the
 * draining server until one has; 40 calls all missing it: 2^-40). */
static void test_pinned_balancer_moves_refused_write(void **state)
{
    fixture *f = *state;
    char *url_a, *url_b, bound_a[256], bound_b[256];
    ferry_server *a = serve_noticing(f, 5000, &url_a, bound_a, sizeof bound_a);
    ferry_server *b = serve_noticing(f, 0, &url_b, bound_b, sizeof bound_b);
    char target[600];
    snprintf(target, sizeof target, "%s,%s", bound_a, bound_b);
    ferry_client_opts o = {
        .identity = {.key = f->alice, .proof = FERRY_PROOF_SIGNED, .server_key = f->server}};
    ferry_channel *ch = NULL, *to_a = NULL;
    assert_int_equal(ferry_client_open(&ch, target, &o), FERRY_OK);
    assert_int_equal(ferry_client_open(&to_a, bound_a, NULL), FERRY_OK); /* takes not_run as is */
    /* Both of the balancer's connections up before the notice: one that a
     * loaded machine brought up late would leave every Write to `b`. */
    assert_true(probe_wait_endpoints_ready(ch, 2));
    probe_bg_shutdown stop;
    probe_bg_shutdown_start(&stop, a, 5000); /* all of it the notice */
    /* The drain notice has begun once `a` refuses with not_run. */
    ferry_call_info info = {0};
    for (int i = 0; i < 2000 && !info.not_run; i++) {
        memset(&info, 0, sizeof info);
        if (probe_echo_text(to_a, "", &info) == FERRY_OK)
            probe_nap_ms(10);
    }
    assert_true(info.not_run);
    int moved = 0;
    for (int i = 0; i < 40; i++) {
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        Ferrytest__V1__EchoReply *resp = NULL;
        ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
        assert_int_equal(ferrytest_v1_probe_write(ch, &req, &resp, &opts), FERRY_OK);
        ferry_message_free(&resp->base);
        moved += info.attempts == 2;
    }
    assert_true(moved >= 1);
    ferry_channel_close(ch);
    ferry_channel_close(to_a);
    probe_bg_shutdown_join(&stop);
    ferry_server_free(a);
    ferry_server_free(b);
    probe_url_free(url_a);
    probe_url_free(url_b);
}

/* A signed request that asks for a mac reply gets one: the client pins the
 * server's key, and a MAC spares both sides an Ed25519 operation. */
static void test_signed_request_gets_mac_reply_when_asked(void **state)
{
    fixture *f = *state;
    forged r = valid(f->alice, FERRY_PROOF_SIGNED);
    r.reply_mac = 1;
    assert_int_equal(reply_scheme(f, &r), FERRY_PROOF_MAC);
}

/* Without asking, a signed request gets a signed reply, as a client that
 * cannot derive the session keys needs. */
static void test_signed_request_gets_signed_reply_unasked(void **state)
{
    fixture *f = *state;
    forged r = valid(f->alice, FERRY_PROOF_SIGNED);
    assert_int_equal(reply_scheme(f, &r), FERRY_PROOF_SIGNED);
}

/* A refused request's reply is signed even when it asked for a MAC: the
 * server knows no session key for a caller it did not verify. */
static void test_refusal_is_signed_even_when_mac_asked(void **state)
{
    fixture *f = *state;
    forged r = valid(f->mallory, FERRY_PROOF_SIGNED);
    r.reply_mac = 1;
    assert_int_equal(reply_scheme(f, &r), FERRY_PROOF_SIGNED);
}

static void test_signed_and_mac_calls(void **state)
{
    fixture *f = *state;
    ferry_proof modes[] = {FERRY_PROOF_SIGNED, FERRY_PROOF_MAC};
    for (int i = 0; i < 2; i++) {
        ferry_channel *ch = open_as(f, f->alice, modes[i], f->server);
        ferry_call_info info;
        for (int j = 0; j < 20; j++)
            assert_int_equal(probe_echo_text(ch, "hi", &info), FERRY_OK);
        ferry_channel_close(ch);
    }
    /* Signed mode without pinning the server works too (replies unchecked). */
    ferry_channel *ch = open_as(f, f->bob, FERRY_PROOF_SIGNED, NULL);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(ch, "unpinned", &info), FERRY_OK);
    ferry_channel_close(ch);
    ferry_auth_counters c;
    ferry_server_get_auth_counters(f->srv, &c);
    assert_true(c.verified >= 41);
}

static void test_handler_sees_identity(void **state)
{
    fixture *f = *state;
    /* Admin needs role "admin": alice has it, bob does not. */
    ferry_channel *a = open_as(f, f->alice, FERRY_PROOF_MAC, f->server);
    ferry_channel *b = open_as(f, f->bob, FERRY_PROOF_MAC, f->server);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "admin";
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    assert_int_equal(ferrytest_v1_probe_admin(a, &req, &resp, &opts), FERRY_OK);
    ferry_message_free(&resp->base);
    uint64_t before = atomic_load(&probe_calls);
    assert_int_equal(ferrytest_v1_probe_admin(b, &req, &resp, &opts), FERRY_PERMISSION_DENIED);
    assert_null(resp);
    assert_non_null(strstr(info.message, "needs role \"admin\", which caller \"bob\""));
    assert_int_equal(atomic_load(&probe_calls), before); /* the handler never ran */
    ferry_auth_counters c;
    ferry_server_get_auth_counters(f->srv, &c);
    assert_true(c.permission_denied >= 1);
    ferry_channel_close(a);
    ferry_channel_close(b);
}

static void test_attacks_refused(void **state)
{
    fixture *f = *state;
    ferry_proof modes[] = {FERRY_PROOF_SIGNED, FERRY_PROOF_MAC};
    for (int i = 0; i < 2; i++) {
        ferry_proof m = modes[i];
        forged r = valid(f->alice, m);
        expect(f, &r, FERRY_OK, NULL, 1);

        r = valid(f->alice, m);
        r.tamper_body = 1;
        expect(f, &r, FERRY_UNAUTHENTICATED, "does not verify", 0);

        r = valid(f->alice, m);
        r.tamper_method = "ferrytest.v1.Probe/Write";
        expect(f, &r, FERRY_UNAUTHENTICATED, "does not verify", 0);

        r = valid(f->alice, m);
        r.tamper_call_id = 8;
        expect(f, &r, FERRY_UNAUTHENTICATED, "does not verify", 0);

        r = valid(f->mallory, m); /* not in the keyring */
        expect(f, &r, FERRY_UNAUTHENTICATED, "not in this server's keyring", 0);

        r = valid(f->alice, m);
        r.skew_ms = -600000; /* ten minutes old */
        expect(f, &r, FERRY_UNAUTHENTICATED, "in the past", 0);

        r = valid(f->alice, m);
        r.skew_ms = 600000;
        expect(f, &r, FERRY_UNAUTHENTICATED, "in the future", 0);
    }
    /* Signed with another secret key while claiming alice's: a wrong key. */
    ferry_key *fake = NULL;
    assert_int_equal(ferry_key_generate(&fake, "alice"), FERRY_OK);
    memcpy(fake->pk, ferry_key_public(f->alice), FERRY_PUBLIC_KEY_BYTES);
    forged r = valid(fake, FERRY_PROOF_SIGNED);
    expect(f, &r, FERRY_UNAUTHENTICATED, "does not verify", 0);
    ferry_key_free(fake);

    /* No proof at all. */
    r = valid(f->alice, FERRY_PROOF_NONE);
    expect(f, &r, FERRY_UNAUTHENTICATED, "no proof of identity", 0);
    ferry_channel *anon = NULL;
    assert_int_equal(ferry_client_open(&anon, f->bound, NULL), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(anon, "anon", &info), FERRY_UNAUTHENTICATED);
    ferry_channel_close(anon);

    ferry_auth_counters c;
    ferry_server_get_auth_counters(f->srv, &c);
    assert_true(c.bad_proof >= 7);
    assert_true(c.unknown_key >= 2);
    assert_true(c.bad_timestamp >= 4);
    assert_true(c.missing_proof >= 2);
}

static void test_retransmit_and_replay(void **state)
{
    fixture *f = *state;
    forged r = valid(f->alice, FERRY_PROOF_MAC);
    r.method = "ferrytest.v1.Probe/Write"; /* not idempotent */
    size_t len = 0;
    uint8_t *frame = forge(f, &r, &len);
    uint64_t before = atomic_load(&probe_calls);
    char msg[256];
    uint64_t seq1 = 0, seq2 = 0;
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, &seq1), FERRY_OK);
    /* nng resends the same bytes (here on a new connection, as after a
     * reconnect): the same reply, and the handler ran once. */
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, &seq2), FERRY_OK);
    assert_int_equal(seq1, seq2);
    assert_int_equal(atomic_load(&probe_calls) - before, 1);
    free(frame);

    /* The same nonce on a different request is a replay. */
    r.text = "other";
    expect(f, &r, FERRY_UNAUTHENTICATED, "nonce already used", 0);

    ferry_auth_counters c;
    ferry_server_get_auth_counters(f->srv, &c);
    assert_true(c.retransmits >= 1);
    assert_true(c.replayed >= 1);
}

/* A reply is kept for reply_cache_ms: the same request sent again one
 * millisecond before that gets the kept reply, and the handler does not run
 * again; sent again at reply_cache_ms, once the reply is gone, it is refused
 * as a replay and does not run either. */
static void test_replay_after_reply_dropped(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    f->srv = serve(f, &(ferry_server_identity){.reply_cache_ms = 500});
    forged r = valid(f->bob, FERRY_PROOF_SIGNED);
    size_t len = 0;
    uint8_t *frame = forge(f, &r, &len);
    char msg[256];
    uint64_t seq1 = 0, seq2 = 0;
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, &seq1), FERRY_OK);
    uint64_t before = atomic_load(&probe_calls);

    ferry_test_clock_advance(499);
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, &seq2), FERRY_OK);
    assert_int_equal(seq2, seq1); /* the kept reply */
    assert_int_equal(atomic_load(&probe_calls), before);

    ferry_test_clock_advance(1);
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, NULL), FERRY_UNAUTHENTICATED);
    assert_non_null(strstr(msg, "no longer kept"));
    assert_int_equal(atomic_load(&probe_calls), before);
    free(frame);
}

/* A request's timestamp may be skew_ms away from the server's clock either
 * way, and not a millisecond more. */
static void test_skew_window_edges(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    f->srv = serve(f, &(ferry_server_identity){.skew_ms = 10000});
    /* Past timestamps must also be after the server's start. */
    ferry_test_clock_advance(60000);
    forged r = valid(f->alice, FERRY_PROOF_MAC);
    r.skew_ms = -10000;
    expect(f, &r, FERRY_OK, NULL, 1);
    r = valid(f->alice, FERRY_PROOF_MAC);
    r.skew_ms = -10001;
    expect(f, &r, FERRY_UNAUTHENTICATED, "10.001 s in the past", 0);
    r = valid(f->alice, FERRY_PROOF_MAC);
    r.skew_ms = 10000;
    expect(f, &r, FERRY_OK, NULL, 1);
    r = valid(f->alice, FERRY_PROOF_MAC);
    r.skew_ms = 10001;
    expect(f, &r, FERRY_UNAUTHENTICATED, "10.001 s in the future", 0);
}

/* The replay cache remembers a nonce for as long as its timestamp is inside
 * the skew window, so a captured request is refused all along: as a replay
 * up to skew_ms after its timestamp, as too old one millisecond later. It
 * never runs again. */
static void test_replay_window_has_no_gap(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    f->srv = serve(f, &(ferry_server_identity){.skew_ms = 10000, .reply_cache_ms = 1});
    forged r = valid(f->alice, FERRY_PROOF_MAC);
    r.method = "ferrytest.v1.Probe/Write"; /* not idempotent */
    size_t len = 0;
    uint8_t *frame = forge(f, &r, &len);
    char msg[256];
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, NULL), FERRY_OK);
    uint64_t before = atomic_load(&probe_calls);

    ferry_test_clock_advance(10000);
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, NULL), FERRY_UNAUTHENTICATED);
    assert_non_null(strstr(msg, "(a replay)"));

    ferry_test_clock_advance(1);
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, NULL), FERRY_UNAUTHENTICATED);
    assert_non_null(strstr(msg, "in the past"));
    assert_int_equal(atomic_load(&probe_calls), before);
    free(frame);
}

/* A full replay cache evicts its oldest nonce and raises that key's floor
 * to the evicted request's timestamp: the captured request, sent again once
 * its nonce is forgotten, is refused as older than the cache remembers and
 * does not run again. */
static void test_replay_after_eviction_refused(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    f->srv = serve(f, &(ferry_server_identity){.replay_cache_entries = 2});
    forged first = valid(f->alice, FERRY_PROOF_MAC);
    first.method = "ferrytest.v1.Probe/Write"; /* not idempotent */
    size_t len = 0;
    uint8_t *frame = forge(f, &first, &len);
    char msg[256];
    assert_int_equal(send_raw(f, frame, len, msg, sizeof msg, NULL), FERRY_OK);

    /* Two more of alice's requests: the second fills the ring past its
     * two entries and evicts the first one's nonce. */
    for (int i = 0; i < 2; i++) {
        forged r = valid(f->alice, FERRY_PROOF_MAC);
        r.method = "ferrytest.v1.Probe/Write";
        r.skew_ms = 1000; /* newer than the first, whatever the clock's grain */
        expect(f, &r, FERRY_OK, NULL, 1);
    }

    uint64_t before = atomic_load(&probe_calls);
    int st = send_raw(f, frame, len, msg, sizeof msg, NULL);
    if (st != FERRY_UNAUTHENTICATED || strstr(msg, "older than the replay cache remembers") == NULL)
        fail_msg("evicted request sent again: status %d (%s)", st, msg);
    assert_int_equal(atomic_load(&probe_calls), before); /* not run again */
    free(frame);
}

/* A server answering with a reply not proved by the pinned key. */
static void *fake_server(void *arg)
{
    nng_socket s = *(nng_socket *)arg;
    nng_msg *m = NULL;
    if (nng_recvmsg(s, &m, 0) != 0)
        return NULL;
    ferryi_frame fr;
    char why[256];
    uint64_t call_id = 0;
    if (ferryi_frame_split(nng_msg_body(m), nng_msg_len(m), FERRYI_KIND_REQUEST, &fr, why,
                           sizeof why) == FERRY_OK) {
        Ferry__Wire__RequestHeader *h =
            ferry__wire__request_header__unpack(NULL, fr.header_len, fr.header);
        if (h != NULL) {
            call_id = h->call_id;
            ferry__wire__request_header__free_unpacked(h, NULL);
        }
    }
    Ferry__Wire__ReplyHeader rh = FERRY__WIRE__REPLY_HEADER__INIT;
    rh.call_id = call_id;
    Ferrytest__V1__EchoReply body = FERRYTEST__V1__ECHO_REPLY__INIT;
    body.text = "forged";
    size_t size = ferryi_frame_size(&rh.base, &body.base, NULL);
    nng_msg_clear(m);
    nng_msg_realloc(m, size);
    ferryi_frame_write(nng_msg_body(m), size, FERRYI_KIND_REPLY, &rh.base, &body.base);
    if (nng_sendmsg(s, m, 0) != 0)
        nng_msg_free(m);
    return NULL;
}

static void test_forged_reply_refused(void **state)
{
    fixture *f = *state;
    char *url = probe_ipc_url();
    nng_socket s;
    assert_int_equal(nng_rep0_open(&s), 0);
    assert_int_equal(nng_listen(s, url, NULL, 0), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fake_server, &s), 0);
    ferry_client_opts o = {
        .identity = {.key = f->alice, .proof = FERRY_PROOF_MAC, .server_key = f->server}};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, url, &o), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(ch, "x", &info), FERRY_UNAUTHENTICATED);
    assert_non_null(strstr(info.message, "no valid proof from the server's key"));
    pthread_join(t, NULL);
    ferry_channel_close(ch);
    nng_close(s);
    probe_url_free(url);
}

/* ---- keyring reload ---- */

static void test_keyring_reload(void **state)
{
    fixture *f = *state;
    ferry_channel *a = open_as(f, f->alice, FERRY_PROOF_MAC, f->server);
    ferry_channel *b = open_as(f, f->bob, FERRY_PROOF_MAC, f->server);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(b, "bob", &info), FERRY_OK);

    /* Bob's access is revoked while alice has a call in flight. */
    uint64_t base = atomic_load(&probe_calls);
    probe_bg_call slow;
    probe_bg_start(&slow, a, 500, 30000);
    (void)probe_wait_calls(base + 1);
    write_keyring(f, 0);
    assert_int_equal(ferry_server_reload_keyring(f->srv), FERRY_OK);
    assert_int_equal(probe_bg_join(&slow), FERRY_OK); /* not dropped */
    assert_int_equal(probe_echo_text(b, "bob", &info), FERRY_UNAUTHENTICATED);
    assert_int_equal(probe_echo_text(a, "alice", &info), FERRY_OK);

    /* A bad keyring is refused and the old one stays. */
    FILE *fp = fopen(f->keyring, "w");
    fprintf(fp, "alice not-base64!\n");
    fclose(fp);
    assert_int_not_equal(ferry_server_reload_keyring(f->srv), FERRY_OK);
    assert_non_null(strstr(ferry_last_error(), ":1: the key is not the base64"));
    assert_int_equal(probe_echo_text(a, "alice", &info), FERRY_OK);

    /* Bob comes back. */
    write_keyring(f, 1);
    assert_int_equal(ferry_server_reload_keyring(f->srv), FERRY_OK);
    assert_int_equal(probe_echo_text(b, "bob", &info), FERRY_OK);
    ferry_channel_close(a);
    ferry_channel_close(b);
}

/* ---- a method that lists several roles ---- */

/* Audit lists "admin" then "auditor". Alice holds only the first, bob only
 * the second, and mallory, a stranger to the other tests, both (listed in
 * the other order). */
static void write_audit_keyring(fixture *f)
{
    char a[FERRY_PUBLIC_KEY_B64], b[FERRY_PUBLIC_KEY_B64], m[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(f->alice, a);
    ferry_key_public_b64(f->bob, b);
    ferry_key_public_b64(f->mallory, m);
    FILE *fp = fopen(f->keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "alice %s roles=admin\nbob %s roles=auditor\nmallory %s roles=auditor,admin\n", a,
            b, m);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(ferry_server_reload_keyring(f->srv), FERRY_OK);
}

/* Calls Audit as `key` and returns its status; `message` gets the reply's
 * message, `ran` whether the handler ran. */
static ferry_status call_audit(fixture *f, const ferry_key *key, char *message, size_t len,
                               int *ran)
{
    write_audit_keyring(f);
    ferry_channel *ch = open_as(f, key, FERRY_PROOF_MAC, f->server);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "audit";
    ferry_call_info info;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Ferrytest__V1__EchoReply *resp = NULL;
    uint64_t before = atomic_load(&probe_calls);
    ferry_status st = ferrytest_v1_probe_audit(ch, &req, &resp, &opts);
    *ran = atomic_load(&probe_calls) != before;
    snprintf(message, len, "%s", info.message);
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    ferry_channel_close(ch);
    return st;
}

/* Asserts that Audit, called as `key` (named `who`), is refused for lacking
 * `role` and that its handler does not run. */
static void expect_audit_denied(fixture *f, const ferry_key *key, const char *who, const char *role)
{
    char msg[FERRY_MESSAGE_MAX], want[128];
    int ran = 0;
    ferry_status st = call_audit(f, key, msg, sizeof msg, &ran);
    snprintf(want, sizeof want, "needs role \"%s\", which caller \"%s\"", role, who);
    if (st != FERRY_PERMISSION_DENIED || strstr(msg, want) == NULL)
        fail_msg("%s calling Audit: %s (%s), want permission denied with \"%s\"", who,
                 ferry_status_str(st), msg, want);
    assert_false(ran);
}

/* A caller holding the first of a method's roles but not the second is
 * refused, naming the role it lacks, and the handler does not run. */
static void test_first_of_two_roles_refused(void **state)
{
    expect_audit_denied(*state, ((fixture *)*state)->alice, "alice", "auditor");
}

/* A caller holding the second of a method's roles but not the first is
 * refused, naming the role it lacks, and the handler does not run. */
static void test_second_of_two_roles_refused(void **state)
{
    expect_audit_denied(*state, ((fixture *)*state)->bob, "bob", "admin");
}

/* A caller holding every role a method lists, in any order, is served. */
static void test_both_roles_served(void **state)
{
    fixture *f = *state;
    char msg[FERRY_MESSAGE_MAX];
    int ran = 0;
    ferry_status st = call_audit(f, f->mallory, msg, sizeof msg, &ran);
    if (st != FERRY_OK)
        fail_msg("mallory, holding both roles: %s (%s)", ferry_status_str(st), msg);
    assert_true(ran);
}

/* A request over the server's size limit (but within what nng lets
 * through) is refused before its identity is checked; the refusal is still
 * proved over the request's nonce, so a pinning client reports the size
 * problem, not a forged reply. */
static void test_oversized_refusal_is_proved(void **state)
{
    fixture *f = *state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = NULL;
    ferry_server_opts so = {.workers = 2, .max_message = 4096};
    assert_int_equal(ferry_server_new(&srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    ferry_server_identity id = {.key = f->server, .keyring_path = f->keyring};
    assert_int_equal(ferry_server_set_identity(srv, &id), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, bound, sizeof bound), FERRY_OK);

    /* The frame's overhead is not known here: walk the text length up, 8
     * bytes at a time, each on a fresh channel that has not yet learnt the
     * server's limit, until a request no longer fits. The first request
     * over the limit is at most 8 bytes over, well inside the room nng
     * keeps above it, so the server reads it and refuses it itself. */
    char *text = malloc(4200);
    assert_non_null(text);
    int refused = 0, fitted = 0;
    for (size_t n = 3600; n < 4200 && !refused; n += 8) {
        memset(text, 'x', n);
        text[n] = '\0';
        /* Waiting for the connection: a fresh channel on a loaded machine
         * may take longer than the default second to connect. */
        ferry_client_opts o = {
            .retry = {.max_attempts = 1},
            .wait_for_ready = 1,
            .identity = {.key = f->alice, .proof = FERRY_PROOF_MAC, .server_key = f->server}};
        ferry_channel *ch = NULL;
        assert_int_equal(ferry_client_open(&ch, bound, &o), FERRY_OK);
        ferry_call_info info;
        ferry_status st = probe_echo_text(ch, text, &info);
        ferry_channel_close(ch);
        if (st == FERRY_OK) {
            fitted++;
            continue;
        }
        assert_int_equal(st, FERRY_RESOURCE_EXHAUSTED);
        assert_non_null(strstr(info.message, "exceeds the server's limit of 4096 bytes"));
        refused = 1;
    }
    assert_true(fitted > 0);
    assert_true(refused);
    free(text);
    ferry_server_free(srv);
    probe_url_free(url);
}

static void test_anonymous_allowed(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    f->srv = serve(f, &(ferry_server_identity){.allow_anonymous = 1});
    ferry_channel *anon = NULL;
    assert_int_equal(ferry_client_open(&anon, f->bound, NULL), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(probe_echo_text(anon, "anon", &info), FERRY_OK);
    /* ...but an anonymous caller holds no roles. */
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "admin";
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    assert_int_equal(ferrytest_v1_probe_admin(anon, &req, &resp, &opts), FERRY_PERMISSION_DENIED);
    assert_non_null(strstr(info.message, "anonymous caller"));
    ferry_channel_close(anon);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signed_and_mac_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pinned_client_takes_proved_not_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pinned_client_ignores_unproved_not_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reply_state_is_covered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_copies_leave_state_uncovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_takes_state_as_covered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_takes_no_state_from_signed_reply, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pinned_balancer_moves_refused_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_request_gets_mac_reply_when_asked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_signed_request_gets_signed_reply_unasked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refusal_is_signed_even_when_mac_asked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_handler_sees_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attacks_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retransmit_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_after_reply_dropped, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_skew_window_edges, setup_clocked, teardown_clocked),
        cmocka_unit_test_setup_teardown(test_replay_window_has_no_gap, setup_clocked,
                                        teardown_clocked),
        cmocka_unit_test_setup_teardown(test_replay_after_eviction_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_reply_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_of_two_roles_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_of_two_roles_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_roles_served, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyring_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_refusal_is_proved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anonymous_allowed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
