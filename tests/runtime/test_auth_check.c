/* test_auth_check.c - a server's identity check, driven directly (auth.h)
 * with requests proved here: every field a request proof covers is bound
 * to the header and body, a malformed identity block is refused field by
 * field, retransmits are told from replays in each state of a call, a
 * late reply never touches the entry that took its call's place, the reply
 * cache keeps within its bytes, a reloaded keyring keeps each key's floor,
 * and reply proofs are checkable by the caller. The test clock holds the
 * time still, so timestamps are exact. */
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

#include "identity/auth.h"
#include "base/clock.h"
#include "ferry/testclock.h"

typedef struct fixture {
    char dir[64];
    char keyring[128];
    ferry_key *server, *alice, *bob;
    ferryi_auth a;
    int have_auth;
} fixture;

/* One request as a client sends it: the header, its identity block and the
 * body, with room for a proof. */
typedef struct request {
    Ferry__Wire__RequestHeader h;
    Ferry__Wire__Identity id;
    Ferry__Wire__Metadata md, *mdv[1];
    uint8_t nonce[FERRYI_NONCE_BYTES];
    uint8_t proof[FERRYI_SIG_BYTES];
    uint8_t body[16];
    size_t body_len;
} request;

static void write_keyring(fixture *f, const char *text)
{
    FILE *fp = fopen(f->keyring, "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

/* A keyring line for `k` with `roles` (may be ""). */
static void keyring_line(char *buf, size_t len, const ferry_key *k, const char *roles)
{
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(k, b64);
    snprintf(buf, len, "%s %s%s\n", ferry_key_name(k), b64, roles);
}

/* The keyring of both clients, or of alice alone. */
static void trust(fixture *f, int with_bob)
{
    char a[160], b[160], all[330];
    keyring_line(a, sizeof a, f->alice, " roles=reader,writer");
    keyring_line(b, sizeof b, f->bob, "");
    snprintf(all, sizeof all, "%s%s", a, with_bob ? b : "");
    write_keyring(f, all);
}

/* Starts the check with `entries` replay cache entries, a skew of 1 s and
 * a reply cache of 500 ms. */
static void auth_start(fixture *f, size_t entries)
{
    ferry_server_identity cfg = {.key = f->server,
                                 .keyring_path = f->keyring,
                                 .skew_ms = 1000,
                                 .reply_cache_ms = 500,
                                 .replay_cache_entries = entries};
    assert_int_equal(ferryi_auth_init(&f->a, &cfg), FERRY_OK);
    f->have_auth = 1;
    /* Requests are proved after the server started, never at its very
     * millisecond, so that "before the start" means only that. */
    ferry_test_clock_advance(10);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-authcheck-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->keyring, sizeof f->keyring, "%s/keyring", f->dir);
    assert_int_equal(ferry_key_generate(&f->server, "server"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->alice, "alice"), FERRY_OK);
    assert_int_equal(ferry_key_generate(&f->bob, "bob"), FERRY_OK);
    trust(f, 1);
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
    ferry_key_free(f->bob);
    unlink(f->keyring);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A fresh request of Probe/Echo proved by `k` with `scheme` at the test
 * clock's time, with one metadata entry and a small body. */
static void request_new(request *r, const ferry_key *k, ferry_proof scheme)
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
    r->id.key_id.data = (uint8_t *)ferry_key_public(k);
    r->id.key_id.len = FERRY_PUBLIC_KEY_BYTES;
    r->id.nonce.data = r->nonce;
    r->id.nonce.len = FERRYI_NONCE_BYTES;
    r->id.timestamp_ms = ferryi_wall_ms();
    r->id.scheme = (Ferry__Wire__ProofScheme)scheme;
    r->h.identity = &r->id;
}

/* Proves `r` as `k` would; a MAC under the session keys `k` shares with
 * `server`. */
static void request_prove(request *r, const ferry_key *k, const ferry_key *server)
{
    ferryi_request_fields f = {
        .scheme = (uint8_t)r->id.scheme,
        .key_id = r->id.key_id.data,
        .method = r->h.method,
        .api_version = r->h.api_version,
        .call_id = r->h.call_id,
        .timestamp_ms = r->id.timestamp_ms,
        .nonce = r->id.nonce.data,
        .deadline_ms = r->h.deadline_ms,
    };
    ferryi_metadata_hash(f.metadata_hash, r->h.metadata, r->h.n_metadata);
    ferryi_hash(f.body_hash, r->body, r->body_len);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_request_canonical(&f, canon);
    assert_true(len > 0);
    ferryi_session_keys sk;
    assert_int_equal(ferryi_session_client(&sk, k, ferry_key_public(server)), 0);
    r->id.proof.data = r->proof;
    r->id.proof.len = ferryi_prove((ferry_proof)r->id.scheme, k, sk.c2s, canon, len, r->proof);
    assert_true(r->id.proof.len > 0);
}

/* Runs the check on `r`; ends the call unless `keep` is given, where its
 * state is left for the test. `why` receives the refusal. */
static ferryi_auth_verdict check(fixture *f, const request *r, ferryi_auth_call *keep, char *why,
                                 size_t why_len)
{
    ferryi_auth_call c;
    nng_msg *cached = NULL;
    char none[256];
    if (why == NULL) {
        why = none;
        why_len = sizeof none;
    }
    why[0] = '\0';
    ferryi_auth_verdict v =
        ferryi_auth_check(&f->a, &r->h, r->body, r->body_len, &c, &cached, why, why_len);
    if (cached != NULL)
        nng_msg_free(cached);
    if (keep != NULL)
        *keep = c;
    else
        ferryi_auth_call_end(&f->a, &c);
    return v;
}

/* A reply message of `len` bytes, stored as the call's reply. */
static void store_reply(fixture *f, ferryi_auth_call *c, size_t len)
{
    nng_msg *m;
    assert_int_equal(nng_msg_alloc(&m, len), 0);
    memset(nng_msg_body(m), 0x5a, len);
    ferryi_auth_store_reply(&f->a, c, m);
    nng_msg_free(m);
}

/* A proof covers every field it names: changing any one of them after the
 * proof was made (method, API version, call id, deadline, metadata, body,
 * timestamp) makes the request fail verification, for signatures and MACs. */
static void test_every_covered_field_is_bound(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    for (ferry_proof scheme = FERRY_PROOF_SIGNED; scheme <= FERRY_PROOF_MAC; scheme++) {
        for (int field = 0; field <= 7; field++) {
            request r;
            request_new(&r, f->alice, scheme);
            request_prove(&r, f->alice, f->server);
            switch (field) {
            case 0:
                break; /* unchanged: it runs */
            case 1:
                r.h.method = "ferrytest.v1.Probe/Admin";
                break;
            case 2:
                r.h.api_version = 4;
                break;
            case 3:
                r.h.call_id = 43;
                break;
            case 4:
                r.h.deadline_ms = 60000;
                break;
            case 5:
                r.md.value.data = (uint8_t *)"t-2";
                break;
            case 6:
                r.body[0] = 'H';
                break;
            case 7:
                r.id.timestamp_ms += 1;
                break;
            }
            char why[256];
            ferryi_auth_verdict v = check(f, &r, NULL, why, sizeof why);
            if (field == 0) {
                assert_int_equal(v, FERRYI_AUTH_RUN);
            } else {
                assert_int_equal(v, FERRYI_AUTH_REJECT);
                assert_non_null(strstr(why, "does not verify"));
            }
        }
    }
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_VERIFIED]), 2);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_BAD_PROOF]), 14);
}

/* A MAC only the caller's own session keys make passes: alice's key id
 * with a MAC under bob's session keys is refused. */
static void test_mac_under_another_clients_keys_refused(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    request r;
    request_new(&r, f->alice, FERRY_PROOF_MAC);
    request_prove(&r, f->bob, f->server);
    char why[256];
    assert_int_equal(check(f, &r, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "MAC of alice's request does not verify"));
}

/* Each field of the identity block is checked for its form before anything
 * else: a key id that is not 32 bytes, a nonce that is not 16, a scheme
 * ferry does not know; each is refused as malformed and named. */
static void test_malformed_identity_fields_refused(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    for (int field = 0; field < 3; field++) {
        request r;
        request_new(&r, f->alice, FERRY_PROOF_SIGNED);
        request_prove(&r, f->alice, f->server);
        if (field == 0)
            r.id.key_id.len = 31;
        else if (field == 1)
            r.id.nonce.len = 15;
        else
            r.id.scheme = (Ferry__Wire__ProofScheme)7;
        char why[256];
        assert_int_equal(check(f, &r, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
        assert_non_null(strstr(why, "malformed identity block"));
        assert_non_null(strstr(why, field == 0   ? "key id of 31 bytes"
                                    : field == 1 ? "nonce of 15"
                                                 : "scheme 7"));
    }
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_MALFORMED]), 3);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_VERIFIED]), 0);
}

/* A byte-identical copy of a request whose call is still running is a
 * retransmit: dropped (the running call will answer), not run again and
 * not refused. */
static void test_retransmit_while_running_dropped(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    request r;
    request_new(&r, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&r, f->alice, f->server);
    ferryi_auth_call running;
    assert_int_equal(check(f, &r, &running, NULL, 0), FERRYI_AUTH_RUN);
    assert_int_equal(check(f, &r, NULL, NULL, 0), FERRYI_AUTH_DROP);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_RETRANSMITS]), 1);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_VERIFIED]), 1);
    ferryi_auth_call_end(&f->a, &running);
}

/* A call that ended without a reply (its handler's reply was never sent)
 * leaves nothing to resend: a copy of its request that comes later is
 * refused as a replay, never run a second time. */
static void test_retransmit_after_call_without_reply_refused(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    request r;
    request_new(&r, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&r, f->alice, f->server);
    assert_int_equal(check(f, &r, NULL, NULL, 0), FERRYI_AUTH_RUN); /* ended, no reply */
    char why[256];
    assert_int_equal(check(f, &r, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "reply is no longer kept"));
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_REPLAYED]), 1);
}

/* A retransmit of a finished call gets the very reply kept for it, as long
 * as it is kept. */
static void test_retransmit_after_reply_resent(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    request r;
    request_new(&r, f->alice, FERRY_PROOF_MAC);
    request_prove(&r, f->alice, f->server);
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c, NULL, 0), FERRYI_AUTH_RUN);
    store_reply(f, &c, 100);
    ferryi_auth_call_end(&f->a, &c);

    ferryi_auth_call again;
    nng_msg *cached = NULL;
    char why[256];
    assert_int_equal(
        ferryi_auth_check(&f->a, &r.h, r.body, r.body_len, &again, &cached, why, sizeof why),
        FERRYI_AUTH_RESEND);
    assert_non_null(cached);
    assert_int_equal(nng_msg_len(cached), 100);
    assert_int_equal(((uint8_t *)nng_msg_body(cached))[99], 0x5a);
    nng_msg_free(cached);
    ferryi_auth_call_end(&f->a, &again);
}

/* A kept reply is resent until reply_cache_ms has passed and not after,
 * even while an older call still runs: the cache frees replies oldest
 * first and stops at a running call, so a later reply past its time may
 * still be held, and must not be sent. */
static void test_reply_past_its_time_not_resent_behind_running_call(void **state)
{
    fixture *f = *state;
    auth_start(f, 8);
    request slow, quick;
    request_new(&slow, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&slow, f->alice, f->server);
    request_new(&quick, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&quick, f->alice, f->server);
    ferryi_auth_call running, c;
    assert_int_equal(check(f, &slow, &running, NULL, 0), FERRYI_AUTH_RUN);
    assert_int_equal(check(f, &quick, &c, NULL, 0), FERRYI_AUTH_RUN);
    store_reply(f, &c, 100);
    ferryi_auth_call_end(&f->a, &c);

    ferry_test_clock_advance(499);
    assert_int_equal(check(f, &quick, NULL, NULL, 0), FERRYI_AUTH_RESEND);
    ferry_test_clock_advance(1); /* reply_cache_ms (500) has passed */
    char why[256];
    assert_int_equal(check(f, &quick, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "no longer kept"));
    assert_int_equal(check(f, &slow, NULL, NULL, 0), FERRYI_AUTH_DROP); /* still running */
    ferryi_auth_call_end(&f->a, &running);
}

/* The reply cache holds at most its bytes: a reply that would not fit is
 * not kept, so a retransmit of its call is refused, while a reply that
 * fits is kept. */
static void test_reply_cache_keeps_within_its_bytes(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    f->a.reply_cache_max_bytes = 150;
    request small, big;
    request_new(&small, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&small, f->alice, f->server);
    request_new(&big, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&big, f->alice, f->server);

    ferryi_auth_call c;
    assert_int_equal(check(f, &small, &c, NULL, 0), FERRYI_AUTH_RUN);
    store_reply(f, &c, 100);
    ferryi_auth_call_end(&f->a, &c);
    assert_int_equal(check(f, &big, &c, NULL, 0), FERRYI_AUTH_RUN);
    store_reply(f, &c, 100); /* 200 > 150: not kept */
    ferryi_auth_call_end(&f->a, &c);
    assert_int_equal(atomic_load(&f->a.reply_bytes), 100);

    assert_int_equal(check(f, &small, NULL, NULL, 0), FERRYI_AUTH_RESEND);
    char why[256];
    assert_int_equal(check(f, &big, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "no longer kept"));
}

/* A call whose entry was evicted while it ran (the cache is full of newer
 * requests) finishes without touching the entry that took its place: the
 * newer call is still running, so a copy of it is still a retransmit to
 * drop, not a finished call to resend or refuse. */
static void test_late_reply_leaves_newer_entry_alone(void **state)
{
    fixture *f = *state;
    auth_start(f, 1);
    request first, second;
    request_new(&first, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&first, f->alice, f->server);
    ferry_test_clock_advance(1);
    request_new(&second, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&second, f->alice, f->server);

    ferryi_auth_call c1, c2;
    assert_int_equal(check(f, &first, &c1, NULL, 0), FERRYI_AUTH_RUN);
    assert_int_equal(check(f, &second, &c2, NULL, 0), FERRYI_AUTH_RUN); /* evicts first */
    store_reply(f, &c1, 10);
    ferryi_auth_call_end(&f->a, &c1);
    assert_int_equal(atomic_load(&f->a.reply_bytes), 0);
    assert_int_equal(check(f, &second, NULL, NULL, 0), FERRYI_AUTH_DROP);
    ferryi_auth_call_end(&f->a, &c2);
    /* And the evicted request can never run again: its key's floor rose. */
    char why[256];
    assert_int_equal(check(f, &first, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "older than the replay cache remembers"));
}

/* A request whose timestamp has left the skew window leaves the replay
 * cache, and takes its kept reply with it even before reply_cache_ms is
 * over: a copy of it is refused by its timestamp from then on, so the
 * reply could never be sent again. */
static void test_entry_leaving_window_takes_its_reply(void **state)
{
    fixture *f = *state;
    auth_start(f, 4);
    f->a.reply_cache_ms = 60000;
    request old, next;
    request_new(&old, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&old, f->alice, f->server);
    ferryi_auth_call c;
    assert_int_equal(check(f, &old, &c, NULL, 0), FERRYI_AUTH_RUN);
    store_reply(f, &c, 100);
    ferryi_auth_call_end(&f->a, &c);
    assert_int_equal(atomic_load(&f->a.reply_bytes), 100);

    ferry_test_clock_advance(1001); /* old's timestamp + skew is now past */
    request_new(&next, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&next, f->alice, f->server);
    assert_int_equal(check(f, &next, NULL, NULL, 0), FERRYI_AUTH_RUN);
    assert_int_equal(f->a.count, 1); /* only next */
    assert_int_equal(atomic_load(&f->a.reply_bytes), 0);
    char why[256];
    assert_int_equal(check(f, &old, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "in the past"));
}

/* Sets the first four bytes of `r`'s nonce, which index it while
 * ferryi_auth_test_plain_hash is set. */
static void nonce_home(request *r, uint32_t home, uint8_t tail)
{
    memcpy(r->nonce, &home, sizeof home);
    r->nonce[15] = tail;
}

/* Nonces that fall in one slot of the index are still told apart: each new
 * one runs, each one's copy is recognised as its own, and evicting the
 * oldest from the middle of their run of slots leaves the others findable. */
static void test_nonces_sharing_a_slot(void **state)
{
    fixture *f = *state;
    ferryi_auth_test_plain_hash = 1;
    auth_start(f, 2);
    ferryi_auth_test_plain_hash = 0;
    request r[3];
    for (int i = 0; i < 3; i++) {
        request_new(&r[i], f->alice, FERRY_PROOF_SIGNED);
        nonce_home(&r[i], 1, (uint8_t)i);
        request_prove(&r[i], f->alice, f->server);
        ferry_test_clock_advance(1);
    }
    assert_int_equal(check(f, &r[0], NULL, NULL, 0), FERRYI_AUTH_RUN);
    assert_int_equal(check(f, &r[1], NULL, NULL, 0), FERRYI_AUTH_RUN);
    char why[256];
    assert_int_equal(check(f, &r[0], NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "reply is no longer kept"));           /* found: its own copy */
    assert_int_equal(check(f, &r[2], NULL, NULL, 0), FERRYI_AUTH_RUN); /* evicts r[0] */
    assert_int_equal(check(f, &r[1], NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "reply is no longer kept")); /* still found */
    assert_int_equal(check(f, &r[2], NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "reply is no longer kept"));
    assert_int_equal(check(f, &r[0], NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "older than the replay cache remembers"));
}

/* A long run of requests whose nonces crowd a few neighbouring slots at the
 * end of the index, so their run wraps to its start, while the ring evicts
 * the oldest at every step: after each step, every nonce the ring holds is
 * still found (a copy of its request is its own, seen before), and the one
 * evicted is refused as older than the cache remembers, never run again.
 * Removing from the middle of a wrapped run must move the right slots back. */
static void test_index_keeps_every_nonce_through_evictions(void **state)
{
    enum { CAP = 8, STEPS = 120 };
    fixture *f = *state;
    ferryi_auth_test_plain_hash = 1;
    auth_start(f, CAP); /* an index of 16 slots */
    ferryi_auth_test_plain_hash = 0;
    static const uint32_t homes[] = {14, 15, 0, 14, 13, 15};
    request *r = calloc(STEPS, sizeof *r);
    assert_non_null(r);
    char why[256];
    for (int i = 0; i < STEPS; i++) {
        request_new(&r[i], f->alice, FERRY_PROOF_MAC);
        nonce_home(&r[i], homes[i % 6], (uint8_t)i);
        request_prove(&r[i], f->alice, f->server);
        assert_int_equal(check(f, &r[i], NULL, NULL, 0), FERRYI_AUTH_RUN);
        for (int k = i; k >= 0 && k > i - CAP; k--) {
            assert_int_equal(check(f, &r[k], NULL, why, sizeof why), FERRYI_AUTH_REJECT);
            assert_non_null(strstr(why, "reply is no longer kept"));
        }
        if (i >= CAP) {
            assert_int_equal(check(f, &r[i - CAP], NULL, why, sizeof why), FERRYI_AUTH_REJECT);
            assert_non_null(strstr(why, "older than the replay cache remembers"));
        }
        ferry_test_clock_advance(1);
    }
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_VERIFIED]), STEPS);
    free(r);
}

/* A keyring reload keeps the floor of every key that stays: a request of
 * alice's evicted before the reload stays refused after it, and so does a
 * new request no newer than it; a key the new keyring drops is unknown. */
static void test_reload_keeps_floors(void **state)
{
    fixture *f = *state;
    auth_start(f, 1);
    request old, newer, same_time;
    request_new(&old, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&old, f->alice, f->server);
    request_new(&same_time, f->alice, FERRY_PROOF_SIGNED); /* same timestamp, other nonce */
    request_prove(&same_time, f->alice, f->server);
    ferry_test_clock_advance(1);
    request_new(&newer, f->alice, FERRY_PROOF_SIGNED);
    request_prove(&newer, f->alice, f->server);
    assert_int_equal(check(f, &old, NULL, NULL, 0), FERRYI_AUTH_RUN);
    assert_int_equal(check(f, &newer, NULL, NULL, 0), FERRYI_AUTH_RUN); /* floor: old's time */

    trust(f, 0);
    assert_int_equal(ferryi_auth_reload(&f->a), FERRY_OK);
    char why[256];
    assert_int_equal(check(f, &old, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "older than the replay cache remembers"));
    assert_int_equal(check(f, &same_time, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "older than the replay cache remembers"));

    request from_bob;
    request_new(&from_bob, f->bob, FERRY_PROOF_SIGNED);
    request_prove(&from_bob, f->bob, f->server);
    assert_int_equal(check(f, &from_bob, NULL, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "is not in this server's keyring"));
}

/* A reload that fails (a keyring line that is not a key) keeps the keyring
 * in use: its keys are still trusted. */
static void test_failed_reload_keeps_keyring(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    write_keyring(f, "alice not-a-key\n");
    assert_int_not_equal(ferryi_auth_reload(&f->a), FERRY_OK);
    assert_non_null(strstr(ferry_last_error(), ":1:"));
    request r;
    request_new(&r, f->bob, FERRY_PROOF_SIGNED);
    request_prove(&r, f->bob, f->server);
    assert_int_equal(check(f, &r, NULL, NULL, 0), FERRYI_AUTH_RUN);
}

/* A server identity needs the server's secret half and a keyring: a public
 * key alone, or no keyring, is refused before anything is served. */
static void test_identity_needs_secret_key_and_keyring(void **state)
{
    fixture *f = *state;
    char pub[128], sec[128];
    snprintf(sec, sizeof sec, "%s/server.key", f->dir);
    snprintf(pub, sizeof pub, "%s/server.pub", f->dir);
    assert_int_equal(ferry_key_write(f->server, sec, pub), FERRY_OK);
    ferry_key *public_only = NULL;
    assert_int_equal(ferry_key_load_public(&public_only, pub), FERRY_OK);

    ferryi_auth a;
    ferry_server_identity cfg = {.key = public_only, .keyring_path = f->keyring};
    assert_int_equal(ferryi_auth_init(&a, &cfg), FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(ferry_last_error(), "secret key and a keyring"));
    ferryi_auth_fini(&a);
    cfg = (ferry_server_identity){.key = f->server};
    assert_int_equal(ferryi_auth_init(&a, &cfg), FERRY_INVALID_ARGUMENT);
    ferryi_auth_fini(&a);
    ferry_key_free(public_only);
    unlink(sec);
    unlink(pub);
}

/* A keyring entry whose 32 bytes are not a usable Ed25519 public key (here
 * the identity point, of small order) is refused when the keyring is
 * loaded, naming its file and line: no session keys could be derived
 * from it, and no request could prove itself with it. */
static void test_keyring_key_not_a_point_refused(void **state)
{
    fixture *f = *state;
    char line[160], all[300];
    keyring_line(line, sizeof line, f->alice, "");
    snprintf(all, sizeof all, "%snull AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", line);
    write_keyring(f, all);
    ferryi_auth auth;
    ferry_server_identity cfg = {.key = f->server, .keyring_path = f->keyring};
    assert_int_equal(ferryi_auth_init(&auth, &cfg), FERRY_INVALID_ARGUMENT);
    assert_non_null(
        strstr(ferry_last_error(), ":2: the key of null is not a valid Ed25519 public key"));
    ferryi_auth_fini(&auth);
}

/* Checks reply proof `id` over reply header `h` with body hash `bh`:
 * signed against the server's public key, or a MAC under alice's session
 * keys with the server. */
static int reply_verifies(fixture *f, const Ferry__Wire__ReplyHeader *h,
                          const Ferry__Wire__Identity *id, const uint8_t *bh)
{
    ferryi_reply_fields rf = {
        .scheme = (uint8_t)id->scheme,
        .call_id = h->call_id,
        .status = h->status,
        .nonce = id->nonce.data,
        .message = h->message,
        .not_before_ms = h->proof_not_before_ms,
    };
    memcpy(rf.body_hash, bh, FERRYI_HASH_BYTES);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_reply_canonical(&rf, canon);
    ferryi_session_keys sk;
    assert_int_equal(ferryi_session_client(&sk, f->alice, ferry_key_public(f->server)), 0);
    return ferryi_verify((ferry_proof)id->scheme, ferry_key_public(f->server), sk.s2c, canon, len,
                         id->proof.data, id->proof.len);
}

/* A reply to a MAC caller is proved with a MAC under the caller's session
 * keys and carries the request's nonce; the proof covers the status, so a
 * changed status does not verify. */
static void test_reply_to_mac_caller_is_mac_over_its_nonce(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    request r;
    request_new(&r, f->alice, FERRY_PROOF_MAC);
    request_prove(&r, f->alice, f->server);
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c, NULL, 0), FERRYI_AUTH_RUN);

    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    h.call_id = r.h.call_id;
    h.status = FERRY_OK;
    Ferry__Wire__Identity id;
    uint8_t bh[FERRYI_HASH_BYTES], proof[FERRYI_SIG_BYTES];
    ferryi_hash(bh, (const uint8_t *)"reply", 5);
    ferryi_auth_reserve_reply(&f->a, &c, &h, &id, proof);
    ferryi_auth_prove_reply(&f->a, &c, &h, (const uint8_t *)"reply", 5, proof);
    assert_ptr_equal(h.identity, &id);
    assert_int_equal(id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_MAC);
    assert_memory_equal(id.nonce.data, r.nonce, FERRYI_NONCE_BYTES);
    assert_true(reply_verifies(f, &h, &id, bh));
    h.status = FERRY_INTERNAL;
    assert_false(reply_verifies(f, &h, &id, bh));
    ferryi_auth_call_end(&f->a, &c);
}

/* A refusal of a request proved before the server started is signed (the
 * caller was not verified, so no MAC key is trusted) and its proof covers
 * proof_not_before_ms: a caller can trust the time it is told to prove
 * again from. */
static void test_refusal_before_start_is_signed_with_its_time(void **state)
{
    fixture *f = *state;
    request r;
    request_new(&r, f->alice, FERRY_PROOF_MAC);
    request_prove(&r, f->alice, f->server);
    ferry_test_clock_advance(5);
    auth_start(f, 64); /* starts after the request was proved */
    ferryi_auth_call c;
    char why[256];
    assert_int_equal(check(f, &r, &c, why, sizeof why), FERRYI_AUTH_REJECT);
    assert_non_null(strstr(why, "before this server started"));
    assert_int_equal(c.not_before_ms, f->a.started_ms);

    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    h.call_id = r.h.call_id;
    h.status = FERRY_UNAUTHENTICATED;
    h.message = why;
    Ferry__Wire__Identity id;
    uint8_t bh[FERRYI_HASH_BYTES], proof[FERRYI_SIG_BYTES];
    ferryi_hash(bh, NULL, 0);
    ferryi_auth_reserve_reply(&f->a, &c, &h, &id, proof);
    ferryi_auth_prove_reply(&f->a, &c, &h, NULL, 0, proof);
    assert_int_equal(id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_SIGNED);
    assert_int_equal(h.proof_not_before_ms, f->a.started_ms);
    assert_true(reply_verifies(f, &h, &id, bh));
    h.proof_not_before_ms += 1;
    assert_false(reply_verifies(f, &h, &id, bh));
    ferryi_auth_call_end(&f->a, &c);
}

/* A request without an identity block, refused or served anonymously, is
 * answered with a signed reply over the zero nonce. */
static void test_reply_to_anonymous_caller_is_signed(void **state)
{
    fixture *f = *state;
    auth_start(f, 64);
    f->a.allow_anonymous = 1;
    request r;
    request_new(&r, f->alice, FERRY_PROOF_NONE);
    r.h.identity = NULL;
    ferryi_auth_call c;
    assert_int_equal(check(f, &r, &c, NULL, 0), FERRYI_AUTH_RUN);
    assert_int_equal(atomic_load(&f->a.n[FERRYI_AUTH_ANONYMOUS]), 1);

    Ferry__Wire__ReplyHeader h = FERRY__WIRE__REPLY_HEADER__INIT;
    h.call_id = 7;
    Ferry__Wire__Identity id;
    uint8_t bh[FERRYI_HASH_BYTES], proof[FERRYI_SIG_BYTES], zero[FERRYI_NONCE_BYTES] = {0};
    ferryi_hash(bh, NULL, 0);
    ferryi_auth_reserve_reply(&f->a, &c, &h, &id, proof);
    ferryi_auth_prove_reply(&f->a, &c, &h, NULL, 0, proof);
    assert_int_equal(id.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_SIGNED);
    assert_memory_equal(id.nonce.data, zero, FERRYI_NONCE_BYTES);
    assert_true(reply_verifies(f, &h, &id, bh));
    ferryi_auth_call_end(&f->a, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_covered_field_is_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mac_under_another_clients_keys_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_identity_fields_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retransmit_while_running_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retransmit_after_call_without_reply_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retransmit_after_reply_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_past_its_time_not_resent_behind_running_call,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_cache_keeps_within_its_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_reply_leaves_newer_entry_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_leaving_window_takes_its_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonces_sharing_a_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_keeps_every_nonce_through_evictions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload_keeps_floors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_reload_keeps_keyring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyring_key_not_a_point_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_needs_secret_key_and_keyring, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reply_to_mac_caller_is_mac_over_its_nonce, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refusal_before_start_is_signed_with_its_time, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reply_to_anonymous_caller_is_signed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
