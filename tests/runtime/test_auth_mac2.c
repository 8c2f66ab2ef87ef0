/* test_auth_mac2.c - proof scheme 3 (mac2) through a server's identity
 * check, driven directly (auth.h), and through the reply check a client
 * makes: every covered field of a request and of a reply is bound; no two
 * replies share a one-time key, not even two answers to one request nonce;
 * a replay is still refused; which replies a server proves with scheme 3;
 * and a server that predates scheme 3 (the test hook) refuses it and never
 * answers with it. The test clock holds the time still. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <sodium.h>

#include "base/clock.h"
#include "ferry/testclock.h"
#include "identity/auth.h"
#include "identity/mac2.h"

typedef struct fixture {
    char dir[64];
    char keyring[128];
    ferry_key *server, *alice;
    ferryi_session_keys sk; /* alice's, from her side */
    ferryi_auth a;
    int have_auth;
} fixture;

/* A request as a client sends it, with room for a proof. */
typedef struct request {
    Ferry__Wire__RequestHeader h;
    Ferry__Wire__Identity id;
    Ferry__Wire__Metadata md, *mdv[2];
    uint8_t nonce[FERRYI_NONCE_BYTES];
    uint8_t proof[FERRYI_SIG_BYTES];
    uint8_t body[16];
    size_t body_len;
} request;

/* Starts the check; with `no_mac2`, as a server that predates scheme 3. */
static void auth_start(fixture *f, int no_mac2)
{
    ferry_server_identity cfg = {.key = f->server, .keyring_path = f->keyring, .skew_ms = 1000};
    ferryi_auth_test_no_mac2 = no_mac2;
    assert_int_equal(ferryi_auth_init(&f->a, &cfg), FERRY_OK);
    ferryi_auth_test_no_mac2 = 0;
    f->have_auth = 1;
    ferry_test_clock_advance(10);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-mac2-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->keyring, sizeof f->keyring, "%s/keyring", f->dir);
    assert_int_equal(ferry_key_generate(&f->server, "server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->alice, "alice"), FERRY_OK);
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(f->alice, b64);
    FILE *fp = fopen(f->keyring, "w");
    assert_non_null(fp);
    fprintf(fp, "alice %s\n", b64);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(ferryi_session_client(&f->sk, f->alice, ferry_key_public(f->server)), 0);
    assert_int_equal(ferry_test_clock_start(), FERRY_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->have_auth)
        ferryi_auth_fini(&f->a);
    ferry_test_clock_stop();
    ferry_key_free(f->server);
    ferry_key_free(f->alice);
    unlink(f->keyring);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A fresh request of Probe/Echo by alice with `scheme`, one metadata entry
 * and a small body, not yet proved. */
static void request_new(request *r, ferry_proof scheme)
{
    memset(r, 0, sizeof *r);
    ferry__wire__request_header__init(&r->h);
    ferry__wire__identity__init(&r->id);
    ferry__wire__metadata__init(&r->md);
    r->h.method = "ferrytest.v1.Probe/Echo";
    r->h.api_version = 3;
    r->h.call_id = 42;
    r->h.deadline_ms = 1000;
    r->md.key = "trace";
    r->md.value = (ProtobufCBinaryData){.len = 3, .data = (uint8_t *)"t-1"};
    r->mdv[0] = &r->md;
    r->h.metadata = r->mdv;
    r->h.n_metadata = 1;
    memcpy(r->body, "hello, server", 13);
    r->body_len = 13;
    ferryi_nonce(r->nonce);
    r->id.key_id.len = FERRY_PUBLIC_KEY_BYTES;
    r->id.nonce.data = r->nonce;
    r->id.nonce.len = FERRYI_NONCE_BYTES;
    r->id.timestamp_ms = ferryi_wall_ms();
    r->id.scheme = (Ferry__Wire__ProofScheme)scheme;
    r->h.identity = &r->id;
}

/* Proves `r` as alice, with the scheme its identity names. */
static void request_prove(fixture *f, request *r)
{
    r->id.key_id.data = (uint8_t *)ferry_key_public(f->alice);
    ferryi_request_fields fl = {
        .scheme = (uint8_t)r->id.scheme,
        .key_id = r->id.key_id.data,
        .method = r->h.method,
        .api_version = r->h.api_version,
        .call_id = r->h.call_id,
        .timestamp_ms = r->id.timestamp_ms,
        .nonce = r->id.nonce.data,
        .deadline_ms = r->h.deadline_ms,
    };
    r->id.proof.data = r->proof;
    r->id.proof.len = ferryi_request_prove(&fl, r->h.metadata, r->h.n_metadata, r->body,
                                           r->body_len, f->alice, f->sk.c2s, r->proof);
    assert_true(r->id.proof.len > 0);
}

/* Runs the check on `r`; keeps the call's state in `keep` when given. */
static ferryi_auth_verdict check(fixture *f, const request *r, ferryi_auth_call *keep)
{
    ferryi_auth_call c;
    nng_msg *cached = NULL;
    char why[256];
    ferryi_auth_verdict v =
        ferryi_auth_check(&f->a, &r->h, r->body, r->body_len, &c, &cached, why, sizeof why);
    if (cached != NULL)
        nng_msg_free(cached);
    if (keep != NULL)
        *keep = c;
    else
        ferryi_auth_call_end(&f->a, &c);
    return v;
}

/* A reply as the server proves it for call `c`, and what a client checks. */
typedef struct reply {
    Ferry__Wire__ReplyHeader h;
    Ferry__Wire__Identity id;
    uint8_t proof[FERRYI_SIG_BYTES];
    uint8_t body[8];
    size_t body_len;
} reply;

static void reply_prove(fixture *f, ferryi_auth_call *c, reply *rp, uint32_t status,
                        const char *message)
{
    memset(rp, 0, sizeof *rp);
    ferry__wire__reply_header__init(&rp->h);
    rp->h.call_id = 42;
    rp->h.status = status;
    rp->h.message = (char *)message;
    memcpy(rp->body, "\x0a\x02hi", 4);
    rp->body_len = status == FERRY_OK ? 4 : 0;
    ferryi_auth_reserve_reply(&f->a, c, &rp->h, &rp->id, rp->proof);
    ferryi_auth_prove_reply(&f->a, c, &rp->h, rp->body, rp->body_len, rp->proof);
}

/* Whether `rp`'s proof holds for alice, who sent the request of `nonce`. */
static int reply_holds(fixture *f, const reply *rp, const uint8_t *nonce)
{
    const Ferry__Wire__Identity *id = rp->h.identity;
    ferryi_reply_fields rf = {
        .scheme = (uint8_t)id->scheme,
        .call_id = rp->h.call_id,
        .status = rp->h.status,
        .nonce = nonce,
        .reply_nonce = id->reply_nonce.len == FERRYI_NONCE_BYTES ? id->reply_nonce.data : NULL,
        .message = rp->h.message,
        .not_before_ms = rp->h.proof_not_before_ms,
    };
    return ferryi_reply_holds(&rf, rp->body, rp->body_len, ferry_key_public(f->server), f->sk.s2c,
                              id->proof.data, id->proof.len);
}

/* ------------------------------------------------------------------------ */

/* A scheme 3 request that holds is run, and the handler sees scheme 3. */
static void test_mac2_request_verified(void **state)
{
    fixture *f = *state;
    auth_start(f, 0);
    request r;
    request_new(&r, FERRY_PROOF_MAC2);
    request_prove(f, &r);
    assert_int_equal(r.id.proof.len, FERRYI_MAC2_BYTES);
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_RUN);
    assert_int_equal(c.id.proof, FERRY_PROOF_MAC2);
    ferryi_auth_call_end(&f->a, &c);
}

/* Every field a scheme 3 request proof covers is bound: changing any one
 * after proving (method, API version, call id, timestamp, nonce, deadline,
 * a metadata key or value, one entry more, the body, the key id) makes the
 * proof fail; the body and metadata are read as they are, without a hash. */
static void test_every_covered_request_field_is_bound(void **state)
{
    fixture *f = *state;
    auth_start(f, 0);
    Ferry__Wire__Metadata extra = FERRY__WIRE__METADATA__INIT;
    extra.key = "x";
    for (int field = 0; field < 11; field++) {
        request r;
        request_new(&r, FERRY_PROOF_MAC2);
        request_prove(f, &r);
        switch (field) {
        case 0:
            r.h.method = "ferrytest.v1.Probe/Write";
            break;
        case 1:
            r.h.api_version++;
            break;
        case 2:
            r.h.call_id++;
            break;
        case 3:
            r.id.timestamp_ms++;
            break;
        case 4:
            r.nonce[15] ^= 1;
            break;
        case 5:
            r.h.deadline_ms++;
            break;
        case 6:
            r.md.key = "tracf";
            break;
        case 7:
            r.md.value.len = 2;
            break;
        case 8:
            r.mdv[1] = &extra;
            r.h.n_metadata = 2;
            break;
        case 9:
            r.body[0] ^= 0x80;
            break;
        case 10:
            r.body_len--;
            break;
        }
        if (check(f, &r, NULL) != FERRYI_AUTH_REJECT)
            fail_msg("a request with field %d changed after proving was accepted", field);
    }
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_BAD_PROOF]), 11);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_VERIFIED]), 0);
}

/* Two replies to one request nonce never share a one-time key: each draws
 * its own reply nonce, so the keys and the proofs differ even for the same
 * status and body, and both hold for the client. */
static void test_two_replies_to_one_nonce_use_two_keys(void **state)
{
    fixture *f = *state;
    auth_start(f, 0);
    request r;
    request_new(&r, FERRY_PROOF_MAC2);
    request_prove(f, &r);
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_RUN);
    /* Both identity blocks point at the call's one reply nonce buffer, as
     * the server sends each reply before the next: keep the first's. */
    reply one, two;
    uint8_t n1[FERRYI_NONCE_BYTES], p1[FERRYI_MAC2_BYTES], k1[32], k2[32];
    reply_prove(f, &c, &one, FERRY_OK, "");
    assert_int_equal(one.id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2);
    assert_memory_equal(one.id.nonce.data, r.nonce, FERRYI_NONCE_BYTES);
    assert_true(reply_holds(f, &one, r.nonce));
    memcpy(n1, one.id.reply_nonce.data, sizeof n1);
    memcpy(p1, one.proof, sizeof p1);
    reply_prove(f, &c, &two, FERRY_OK, "");
    assert_int_equal(two.id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2);
    assert_memory_equal(two.id.nonce.data, r.nonce, FERRYI_NONCE_BYTES);
    assert_true(reply_holds(f, &two, r.nonce));
    assert_memory_not_equal(n1, two.id.reply_nonce.data, FERRYI_NONCE_BYTES);
    ferryi_mac2_key(k1, f->sk.s2c, n1);
    ferryi_mac2_key(k2, f->sk.s2c, two.id.reply_nonce.data);
    assert_memory_not_equal(k1, k2, sizeof k1);
    assert_memory_not_equal(p1, two.proof, FERRYI_MAC2_BYTES);
    ferryi_auth_call_end(&f->a, &c);
}

/* A replay (the nonce again, under another valid proof) is refused; the
 * refusal is proved with scheme 3 under a nonce of its own, so the answer
 * to the first request and the refusal do not share a one-time key. */
static void test_replay_refused_under_its_own_key(void **state)
{
    fixture *f = *state;
    auth_start(f, 0);
    request r;
    request_new(&r, FERRY_PROOF_MAC2);
    request_prove(f, &r);
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_RUN);
    reply first;
    reply_prove(f, &c, &first, FERRY_OK, "");
    uint8_t n1[FERRYI_NONCE_BYTES];
    memcpy(n1, first.id.reply_nonce.data, sizeof n1);
    ferryi_auth_call_end(&f->a, &c);

    r.body[0] ^= 1; /* another request under the same nonce, proved anew */
    request_prove(f, &r);
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_REJECT);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_REPLAYED]), 1);
    reply refusal;
    reply_prove(f, &c, &refusal, FERRY_UNAUTHENTICATED, "a replay");
    assert_int_equal(refusal.id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2);
    assert_true(reply_holds(f, &refusal, r.nonce));
    assert_memory_not_equal(n1, refusal.id.reply_nonce.data, FERRYI_NONCE_BYTES);
    ferryi_auth_call_end(&f->a, &c);
}

/* A refusal before the proof was checked (here: a changed body) is signed,
 * even for a scheme 3 request: the server trusts no session key yet. */
static void test_refusal_before_proof_is_signed(void **state)
{
    fixture *f = *state;
    auth_start(f, 0);
    request r;
    request_new(&r, FERRY_PROOF_MAC2);
    request_prove(f, &r);
    r.body[1] ^= 1;
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_REJECT);
    reply rp;
    reply_prove(f, &c, &rp, FERRY_UNAUTHENTICATED, "does not verify");
    assert_int_equal(rp.id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_SIGNED);
    assert_true(reply_holds(f, &rp, r.nonce));
    ferryi_auth_call_end(&f->a, &c);
}

/* Every field a scheme 3 reply proof covers is bound: status, message,
 * body, call id, proof_not_before_ms, the request's nonce, the reply's
 * nonce, and the proof itself. */
static void test_every_covered_reply_field_is_bound(void **state)
{
    fixture *f = *state;
    auth_start(f, 0);
    request r;
    request_new(&r, FERRY_PROOF_MAC2);
    request_prove(f, &r);
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_RUN);
    for (int field = 0; field < 9; field++) {
        reply rp;
        reply_prove(f, &c, &rp, FERRY_OK, "fine");
        assert_true(reply_holds(f, &rp, r.nonce));
        uint8_t other_nonce[FERRYI_NONCE_BYTES];
        memcpy(other_nonce, r.nonce, sizeof other_nonce);
        switch (field) {
        case 0:
            rp.h.status = FERRY_INTERNAL;
            break;
        case 1:
            rp.h.message = "fine!";
            break;
        case 2:
            rp.body[3] ^= 1;
            break;
        case 3:
            rp.body_len = 0;
            break;
        case 4:
            rp.h.call_id++;
            break;
        case 5:
            rp.h.proof_not_before_ms = 1;
            break;
        case 6:
            other_nonce[0] ^= 1;
            break;
        case 7:
            c.reply_nonce[0] ^= 1;
            break; /* what rp.id.reply_nonce points at */
        case 8:
            rp.proof[0] ^= 1;
            break;
        }
        if (reply_holds(f, &rp, other_nonce))
            fail_msg("a reply with field %d changed after proving still holds", field);
    }
    ferryi_auth_call_end(&f->a, &c);
}

/* Which replies are proved with scheme 3: a verified scheme 2 request that
 * says it accepts them gets one, one that does not gets mac; a signed
 * request gets one only when it asks for a mac reply and accepts scheme 3. */
static void test_reply_scheme_follows_the_request(void **state)
{
    fixture *f = *state;
    auth_start(f, 0);
    struct {
        ferry_proof scheme;
        int reply_mac, accept_mac2;
        int want;
    } cases[] = {
        {FERRY_PROOF_MAC, 0, 1, FERRY_PROOF_MAC2},      {FERRY_PROOF_MAC, 0, 0, FERRY_PROOF_MAC},
        {FERRY_PROOF_SIGNED, 1, 1, FERRY_PROOF_MAC2},   {FERRY_PROOF_SIGNED, 1, 0, FERRY_PROOF_MAC},
        {FERRY_PROOF_SIGNED, 0, 1, FERRY_PROOF_SIGNED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        request r;
        request_new(&r, cases[i].scheme);
        r.id.reply_mac = cases[i].reply_mac;
        r.id.accept_mac2 = cases[i].accept_mac2;
        request_prove(f, &r);
        ferryi_auth_call c;
        assert_int_equal(check(f, &r, &c), FERRYI_AUTH_RUN);
        reply rp;
        reply_prove(f, &c, &rp, FERRY_OK, "");
        if ((int)rp.id.scheme != cases[i].want)
            fail_msg("case %zu: reply scheme %d, want %d", i, (int)rp.id.scheme, cases[i].want);
        assert_true(reply_holds(f, &rp, r.nonce));
        ferryi_auth_call_end(&f->a, &c);
    }
}

/* A server that predates scheme 3 (the test hook) refuses a scheme 3
 * request as malformed, with a signed refusal, and answers a scheme 2
 * request that accepts scheme 3 with mac, as such a server would. */
static void test_server_without_mac2(void **state)
{
    fixture *f = *state;
    auth_start(f, 1);
    request r;
    request_new(&r, FERRY_PROOF_MAC2);
    request_prove(f, &r);
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_REJECT);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_MALFORMED]), 1);
    reply rp;
    reply_prove(f, &c, &rp, FERRY_UNAUTHENTICATED, "malformed");
    assert_int_equal(rp.id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_SIGNED);
    ferryi_auth_call_end(&f->a, &c);

    request_new(&r, FERRY_PROOF_MAC);
    r.id.accept_mac2 = 1;
    request_prove(f, &r);
    assert_int_equal(check(f, &r, &c), FERRYI_AUTH_RUN);
    reply_prove(f, &c, &rp, FERRY_OK, "");
    assert_int_equal(rp.id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_MAC);
    assert_int_equal(rp.id.reply_nonce.len, 0);
    ferryi_auth_call_end(&f->a, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mac2_request_verified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_covered_request_field_is_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_replies_to_one_nonce_use_two_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_replay_refused_under_its_own_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_before_proof_is_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_covered_reply_field_is_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_scheme_follows_the_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_without_mac2, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
