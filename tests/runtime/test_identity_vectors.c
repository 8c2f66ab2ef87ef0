/* test_identity_vectors.c - the canonical strings, proofs and session keys
 * of docs/wire.md ("Identity"), byte for byte: fixed keys and inputs through
 * ferry's own functions must give the documented bytes, both sides must derive
 * the same session keys (and the X25519 values on the way), and a change to
 * any byte must break both proofs. Also the frames of "Vector 3" and "Vector
 * 4", a request and a reply with an identity, written by ferry's own
 * frame, proof and reply code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "ferrytest/v1/probe.pb-c.h"
#include "identity/auth.h"
#include "identity/client_proof.h"
#include "identity/keys.h"
#include "identity/mac2.h"
#include "identity/proof.h"
#include "wire/envelope.h"

/* ------------------------------------------------------------------------
 * The vectors (docs/wire.md, "Identity test vectors")
 * ---------------------------------------------------------------------- */

#define CLIENT_PK "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
#define SERVER_PK "cd14b37f956e953194ff7fb73b3d81dcc561d61a7538094b7c3e1a643ee5f3aa"

#define METADATA_HASH "daa2c344f6070ee26fc0b8526b2548b9547096de7284279277af7170d68d1442"
#define BODY_HASH     "e864efc0695b4049d3653151504964a1c13920e6bf25cebd1837cc72caa89d42"
#define EMPTY_HASH    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"

/* The request canonical string, minus its scheme byte: tag, scheme, rest. */
#define REQUEST_TAG_HEX "66657272792d726571756573742d7631"
#define REQUEST_REST                                                                               \
    CLIENT_PK "0017"                                                                               \
              "6665727279746573742e76312e50726f62652f4563686f"                                     \
              "00000003"                                                                           \
              "000000000000002a"                                                                   \
              "0000018bcfe56800"                                                                   \
              "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                                   \
              "000003e8" METADATA_HASH BODY_HASH

#define REQUEST_SIGNED REQUEST_TAG_HEX "01" REQUEST_REST
#define REQUEST_MAC    REQUEST_TAG_HEX "02" REQUEST_REST

#define REQUEST_SIG                                                                                \
    "b475dfb106c7998b68fe349dc65ddf249b5fd61b2db2e27c31a78222677d6014"                             \
    "109db88d93061c609171244964d64e22a96de99ef491045f9d22e55c2be69403"

#define SESSION_C2S "edb4cb7cc727fc05b94fdb9915bfd4f026b48564b42811ebcbb386665ff2ed92"
#define SESSION_S2C "46515f881a24470baa1730fe69e47cf2927eac5e2e5fbf0cb1725fc161dac197"

/* The X25519 halves of the two keys and the point they share (docs/wire.md,
 * "The two proofs"). */
#define CLIENT_X_PK "4701d08488451f545a409fb58ae3e58581ca40ac3f7f114698cd71deac73ca01"
#define SERVER_X_PK "3de70cb2b9bb0bda3873d13e8a7cf4ea870dabeb296caa1dfce0a5f411c8d234"
#define CLIENT_X_SK "3894eea49c580aef816935762be049559d6d1440dede12e6a125f1841fff8e6f"
#define SERVER_X_SK "c09c1cd72097760101ae219a64a71cd7d7af5146e44e427c6692245783e5f27a"
#define SHARED_Q    "41f2b580306790d92530e0a8e848c5ebb570aa412ad908b9713a0d11225b2758"

#define REQUEST_MAC_PROOF "2099dd0b796c2d32cd7177d87bd6a4504eb28743b4706ead8e88f37948e24cbf"

#define REPLY_TAG_HEX "66657272792d7265706c792d7631"
#define REPLY_REST                                                                                 \
    "000000000000002a"                                                                             \
    "00000000"                                                                                     \
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                                             \
    "0000" BODY_HASH

#define REPLY_SIGNED REPLY_TAG_HEX "01" REPLY_REST
#define REPLY_MAC    REPLY_TAG_HEX "02" REPLY_REST

#define REPLY_SIG                                                                                  \
    "86d04587d9f51c7af22de7755ae9b4cda972675374110b86afefd3446e51004c"                             \
    "3d81acdc8b35829eb467954d6da60f50e85744e90db2676d952d119a848e1406"

#define REPLY_MAC_PROOF "682c2bc4f44721b860334d09ca3c0798c54d9910f6c2e0f5714b13b98368c33c"

/* The mac reply with its state covered: draining, max_request 4 MiB, API
 * versions 1 to 3. */
#define STATE_BLOCK                                                                                \
    "01"                                                                                           \
    "00"                                                                                           \
    "00400000"                                                                                     \
    "00000001"                                                                                     \
    "00000003"
#define REPLY_MAC_STATE       REPLY_MAC STATE_BLOCK
#define REPLY_MAC_STATE_PROOF "f341b1ad9098d17cc20fcd7748efaf16e1f7e54737112dd5febf8a800e9b71a0"

#define ERROR_REPLY                                                                                \
    REPLY_TAG_HEX "01"                                                                             \
                  "000000000000002a"                                                               \
                  "00000005"                                                                       \
                  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                               \
                  "000b"                                                                           \
                  "6e6f207375636820736b75" EMPTY_HASH

#define ERROR_REPLY_SIG                                                                            \
    "f9f84f3b0c5dbc44b9a1bfaf3b82456cc56aba116fc387fc0590649dd9403d4c"                             \
    "ee1aaa3b599faf7f05d25b2e6da50b9ff4cb7e2e829a7ea34d4937d1e69c3006"

/* The refusal of a request proved before the server's start: status 16,
 * message "too old", proof_not_before_ms 1700000000001, after the body hash. */
#define STALE_REPLY                                                                                \
    REPLY_TAG_HEX "01"                                                                             \
                  "000000000000002a"                                                               \
                  "00000010"                                                                       \
                  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                               \
                  "0007"                                                                           \
                  "746f6f206f6c64" EMPTY_HASH "0000018bcfe56801"

#define STALE_REPLY_SIG                                                                            \
    "1626b1852cdb5884748bdfb6c5f8d930fe6c378a140d8a16296b0c1eaaded94d"                             \
    "c043d178e5376f45960955dbe8983c4702bbb41422c5050df9843819389d3c09"

static const uint8_t request_body[] = {0x0a, 0x02, 'h', 'i'}; /* EchoRequest{text: "hi"} */

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

typedef struct fixture {
    ferry_key *client;
    ferry_key *server;
    uint8_t nonce[FERRYI_NONCE_BYTES];
} fixture;

/* A key pair from a fixed seed: byte i of the seed is `first` + i. */
static ferry_key *seeded_key(const char *name, uint8_t first)
{
    ferry_key *k = calloc(1, sizeof *k);
    assert_non_null(k);
    strcpy(k->name, name);
    k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    assert_non_null(k->sk);
    uint8_t seed[crypto_sign_SEEDBYTES];
    for (size_t i = 0; i < sizeof seed; i++)
        seed[i] = (uint8_t)(first + i);
    assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
    return k;
}

static int setup(void **state)
{
    if (!ferryi_sodium_ready())
        return -1;
    fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    fx->client = seeded_key("client", 0x00);
    fx->server = seeded_key("server", 0x80);
    for (size_t i = 0; i < FERRYI_NONCE_BYTES; i++)
        fx->nonce[i] = (uint8_t)(0xa0 + i);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    ferry_key_free(fx->client);
    ferry_key_free(fx->server);
    free(fx);
    return 0;
}

/* Asserts that `len` bytes at `got` are the bytes `want_hex` spells. */
static void assert_hex(const uint8_t *got, size_t len, const char *want_hex)
{
    char *hex = malloc(len * 2 + 1);
    assert_non_null(hex);
    sodium_bin2hex(hex, len * 2 + 1, got, len);
    assert_string_equal(hex, want_hex);
    free(hex);
}

/* The fields of the documented request, proved with `scheme`. */
static ferryi_request_fields request_fields(const fixture *fx, uint8_t scheme,
                                            Ferry__Wire__Metadata *md)
{
    ferryi_request_fields f = {
        .scheme = scheme,
        .key_id = fx->client->pk,
        .method = "ferrytest.v1.Probe/Echo",
        .api_version = 3,
        .call_id = 42,
        .timestamp_ms = UINT64_C(1700000000000),
        .nonce = fx->nonce,
        .deadline_ms = 1000,
    };
    Ferry__Wire__Metadata *list[] = {md};
    ferryi_metadata_hash(f.metadata_hash, list, 1);
    ferryi_hash(f.body_hash, request_body, sizeof request_body);
    return f;
}

static void metadata_k_acme(Ferry__Wire__Metadata *md)
{
    static uint8_t acme[] = {'a', 'c', 'm', 'e'};
    ferry__wire__metadata__init(md);
    md->key = "k";
    md->value.data = acme;
    md->value.len = sizeof acme;
}

static ferryi_reply_fields reply_fields(const fixture *fx, uint8_t scheme)
{
    ferryi_reply_fields f = {
        .scheme = scheme,
        .call_id = 42,
        .status = 0,
        .nonce = fx->nonce,
        .message = "",
    };
    ferryi_hash(f.body_hash, request_body, sizeof request_body); /* EchoReply{text: "hi"} */
    return f;
}

/* ------------------------------------------------------------------------
 * Known answers
 * ---------------------------------------------------------------------- */

static void test_keys_and_hashes(void **state)
{
    fixture *fx = *state;
    assert_hex(fx->client->pk, FERRY_PUBLIC_KEY_BYTES, CLIENT_PK);
    assert_hex(fx->server->pk, FERRY_PUBLIC_KEY_BYTES, SERVER_PK);

    Ferry__Wire__Metadata md;
    metadata_k_acme(&md);
    ferryi_request_fields f = request_fields(fx, FERRY_PROOF_SIGNED, &md);
    assert_hex(f.metadata_hash, FERRYI_HASH_BYTES, METADATA_HASH);
    assert_hex(f.body_hash, FERRYI_HASH_BYTES, BODY_HASH);

    /* No metadata, and no body, hash the empty string. */
    uint8_t h[FERRYI_HASH_BYTES];
    ferryi_metadata_hash(h, NULL, 0);
    assert_hex(h, sizeof h, EMPTY_HASH);
    ferryi_hash(h, NULL, 0);
    assert_hex(h, sizeof h, EMPTY_HASH);

    /* An entry whose key is unset hashes as one with the empty key. */
    Ferry__Wire__Metadata a = md, b = md;
    a.key = NULL;
    b.key = "";
    Ferry__Wire__Metadata *la[] = {&a}, *lb[] = {&b};
    uint8_t ha[FERRYI_HASH_BYTES], hb[FERRYI_HASH_BYTES];
    ferryi_metadata_hash(ha, la, 1);
    ferryi_metadata_hash(hb, lb, 1);
    assert_memory_equal(ha, hb, sizeof ha);
}

static void test_signed_request(void **state)
{
    fixture *fx = *state;
    Ferry__Wire__Metadata md;
    metadata_k_acme(&md);
    ferryi_request_fields f = request_fields(fx, FERRY_PROOF_SIGNED, &md);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_request_canonical(&f, canon);
    assert_int_equal(len, 178);
    assert_hex(canon, len, REQUEST_SIGNED);

    uint8_t proof[FERRYI_SIG_BYTES];
    assert_int_equal(ferryi_prove(FERRY_PROOF_SIGNED, fx->client, NULL, canon, len, proof),
                     FERRYI_SIG_BYTES);
    assert_hex(proof, sizeof proof, REQUEST_SIG);
    assert_true(
        ferryi_verify(FERRY_PROOF_SIGNED, fx->client->pk, NULL, canon, len, proof, sizeof proof));
    /* The server's key does not verify the client's signature. */
    assert_false(
        ferryi_verify(FERRY_PROOF_SIGNED, fx->server->pk, NULL, canon, len, proof, sizeof proof));
}

static void test_session_keys(void **state)
{
    fixture *fx = *state;
    ferryi_session_keys c, s;
    assert_int_equal(ferryi_session_client(&c, fx->client, fx->server->pk), 0);
    assert_int_equal(ferryi_session_server(&s, fx->server, fx->client->pk), 0);
    assert_hex(c.c2s, FERRYI_KEY_BYTES, SESSION_C2S);
    assert_hex(c.s2c, FERRYI_KEY_BYTES, SESSION_S2C);
    assert_memory_equal(c.c2s, s.c2s, FERRYI_KEY_BYTES);
    assert_memory_equal(c.s2c, s.s2c, FERRYI_KEY_BYTES);
    assert_memory_not_equal(c.c2s, c.s2c, FERRYI_KEY_BYTES);

    /* Another client gets other keys with the same server. */
    ferry_key *other = seeded_key("other", 0x40);
    ferryi_session_keys o;
    assert_int_equal(ferryi_session_client(&o, other, fx->server->pk), 0);
    assert_memory_not_equal(o.c2s, c.c2s, FERRYI_KEY_BYTES);
    ferry_key_free(other);

    /* Written out: the X25519 halves of both keys, the shared point q, and
     * K = BLAKE2b-512(q || C_x_pk || S_x_pk), whose halves are s2c and c2s. */
    uint8_t cx_pk[32], sx_pk[32], cx_sk[32], sx_sk[32], q[32], q2[32], k[64];
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(cx_pk, fx->client->pk), 0);
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(sx_pk, fx->server->pk), 0);
    assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(cx_sk, fx->client->sk), 0);
    assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(sx_sk, fx->server->sk), 0);
    assert_hex(cx_pk, 32, CLIENT_X_PK);
    assert_hex(sx_pk, 32, SERVER_X_PK);
    assert_hex(cx_sk, 32, CLIENT_X_SK);
    assert_hex(sx_sk, 32, SERVER_X_SK);
    /* The secret half is SHA-512 of the seed, first 32 bytes, clamped. */
    uint8_t h512[64];
    crypto_hash_sha512(h512, fx->client->sk, 32); /* the seed: sk's first half */
    h512[0] &= 248;
    h512[31] &= 127;
    h512[31] |= 64;
    assert_memory_equal(h512, cx_sk, 32);
    assert_int_equal(crypto_scalarmult(q, cx_sk, sx_pk), 0);
    assert_int_equal(crypto_scalarmult(q2, sx_sk, cx_pk), 0);
    assert_memory_equal(q, q2, 32);
    assert_hex(q, 32, SHARED_Q);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof k);
    crypto_generichash_update(&st, q, 32);
    crypto_generichash_update(&st, cx_pk, 32);
    crypto_generichash_update(&st, sx_pk, 32);
    crypto_generichash_final(&st, k, sizeof k);
    assert_memory_equal(k, c.s2c, 32);
    assert_memory_equal(k + 32, c.c2s, 32);

    /* A public key of small order (here the neutral point) gives no keys:
     * libsodium refuses to convert it. */
    uint8_t small[FERRY_PUBLIC_KEY_BYTES] = {1};
    assert_int_equal(ferryi_session_client(&o, fx->client, small), -1);
    assert_int_equal(ferryi_session_server(&o, fx->server, small), -1);

    /* A public key that is not a point of the curve gives no keys. */
    uint8_t bad[FERRY_PUBLIC_KEY_BYTES];
    memset(bad, 0xff, sizeof bad);
    assert_int_equal(ferryi_session_client(&o, fx->client, bad), -1);
    assert_int_equal(ferryi_session_server(&o, fx->server, bad), -1);
}

static void test_mac_request(void **state)
{
    fixture *fx = *state;
    Ferry__Wire__Metadata md;
    metadata_k_acme(&md);
    ferryi_request_fields f = request_fields(fx, FERRY_PROOF_MAC, &md);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_request_canonical(&f, canon);
    assert_hex(canon, len, REQUEST_MAC);

    ferryi_session_keys c, s;
    assert_int_equal(ferryi_session_client(&c, fx->client, fx->server->pk), 0);
    assert_int_equal(ferryi_session_server(&s, fx->server, fx->client->pk), 0);
    uint8_t proof[FERRYI_SIG_BYTES];
    assert_int_equal(ferryi_prove(FERRY_PROOF_MAC, fx->client, c.c2s, canon, len, proof),
                     FERRYI_MAC_BYTES);
    assert_hex(proof, FERRYI_MAC_BYTES, REQUEST_MAC_PROOF);
    assert_true(ferryi_verify(FERRY_PROOF_MAC, NULL, s.c2s, canon, len, proof, FERRYI_MAC_BYTES));
    /* The other direction's key does not verify it. */
    assert_false(ferryi_verify(FERRY_PROOF_MAC, NULL, s.s2c, canon, len, proof, FERRYI_MAC_BYTES));
    /* Nor does a proof of another length, or a mac without a key. */
    assert_false(
        ferryi_verify(FERRY_PROOF_MAC, NULL, s.c2s, canon, len, proof, FERRYI_MAC_BYTES - 1));
    assert_false(ferryi_verify(FERRY_PROOF_MAC, NULL, NULL, canon, len, proof, FERRYI_MAC_BYTES));
}

/* A reply whose proof covers its state: the state block ends the string,
 * and a change to any part of the state changes the MAC. */
static void test_reply_with_state(void **state)
{
    fixture *fx = *state;
    ferryi_session_keys s;
    assert_int_equal(ferryi_session_server(&s, fx->server, fx->client->pk), 0);
    ferryi_reply_fields f = reply_fields(fx, FERRY_PROOF_MAC);
    f.covers_state = 1;
    f.draining = 1;
    f.max_request = 4194304;
    f.api_min = 1;
    f.api_max = 3;
    uint8_t canon[FERRYI_CANON_MAX], proof[FERRYI_MAC_BYTES];
    size_t len = ferryi_reply_canonical(&f, canon);
    assert_int_equal(len, 77 + FERRYI_STATE_BYTES);
    assert_hex(canon, len, REPLY_MAC_STATE);
    assert_int_equal(ferryi_prove(FERRY_PROOF_MAC, fx->server, s.s2c, canon, len, proof),
                     FERRYI_MAC_BYTES);
    assert_hex(proof, FERRYI_MAC_BYTES, REPLY_MAC_STATE_PROOF);
    assert_true(ferryi_reply_holds(&f, request_body, sizeof request_body, NULL, s.s2c, proof,
                                   FERRYI_MAC_BYTES));
    f.not_run = 1;
    assert_false(ferryi_reply_holds(&f, request_body, sizeof request_body, NULL, s.s2c, proof,
                                    FERRYI_MAC_BYTES));
}

static void test_replies(void **state)
{
    fixture *fx = *state;
    uint8_t canon[FERRYI_CANON_MAX], proof[FERRYI_SIG_BYTES];

    ferryi_reply_fields f = reply_fields(fx, FERRY_PROOF_SIGNED);
    size_t len = ferryi_reply_canonical(&f, canon);
    assert_int_equal(len, 77);
    assert_hex(canon, len, REPLY_SIGNED);
    assert_int_equal(ferryi_prove(FERRY_PROOF_SIGNED, fx->server, NULL, canon, len, proof),
                     FERRYI_SIG_BYTES);
    assert_hex(proof, FERRYI_SIG_BYTES, REPLY_SIG);
    assert_true(ferryi_verify(FERRY_PROOF_SIGNED, fx->server->pk, NULL, canon, len, proof,
                              FERRYI_SIG_BYTES));

    /* A NULL message is the empty one. */
    f.message = NULL;
    uint8_t again[FERRYI_CANON_MAX];
    assert_int_equal(ferryi_reply_canonical(&f, again), len);
    assert_memory_equal(again, canon, len);

    ferryi_session_keys c, s;
    assert_int_equal(ferryi_session_client(&c, fx->client, fx->server->pk), 0);
    assert_int_equal(ferryi_session_server(&s, fx->server, fx->client->pk), 0);
    f = reply_fields(fx, FERRY_PROOF_MAC);
    len = ferryi_reply_canonical(&f, canon);
    assert_hex(canon, len, REPLY_MAC);
    assert_int_equal(ferryi_prove(FERRY_PROOF_MAC, fx->server, s.s2c, canon, len, proof),
                     FERRYI_MAC_BYTES);
    assert_hex(proof, FERRYI_MAC_BYTES, REPLY_MAC_PROOF);
    assert_true(ferryi_verify(FERRY_PROOF_MAC, NULL, c.s2c, canon, len, proof, FERRYI_MAC_BYTES));

    /* An error reply: status 5, a message, no body. */
    f = (ferryi_reply_fields){
        .scheme = FERRY_PROOF_SIGNED,
        .call_id = 42,
        .status = 5,
        .nonce = fx->nonce,
        .message = "no such sku",
    };
    ferryi_hash(f.body_hash, NULL, 0);
    len = ferryi_reply_canonical(&f, canon);
    assert_int_equal(len, 88);
    assert_hex(canon, len, ERROR_REPLY);
    ferryi_prove(FERRY_PROOF_SIGNED, fx->server, NULL, canon, len, proof);
    assert_hex(proof, FERRYI_SIG_BYTES, ERROR_REPLY_SIG);
}

/* A refusal that names the server's start covers it; the same refusal
 * without it is the string of every other reply. */
static void test_reply_not_before(void **state)
{
    fixture *fx = *state;
    uint8_t canon[FERRYI_CANON_MAX], proof[FERRYI_SIG_BYTES];
    ferryi_reply_fields f = {
        .scheme = FERRY_PROOF_SIGNED,
        .call_id = 42,
        .status = FERRY_UNAUTHENTICATED,
        .nonce = fx->nonce,
        .message = "too old",
        .not_before_ms = 1700000000001ull,
    };
    ferryi_hash(f.body_hash, NULL, 0);
    size_t len = ferryi_reply_canonical(&f, canon);
    assert_int_equal(len, 92);
    assert_hex(canon, len, STALE_REPLY);
    ferryi_prove(FERRY_PROOF_SIGNED, fx->server, NULL, canon, len, proof);
    assert_hex(proof, FERRYI_SIG_BYTES, STALE_REPLY_SIG);

    f.not_before_ms = 0;
    assert_int_equal(ferryi_reply_canonical(&f, canon), 84);
}

/* ------------------------------------------------------------------------
 * Frames with an identity (docs/wire.md, "Vector 3" and "Vector 4")
 * ---------------------------------------------------------------------- */

/* Vector 3: the signed request of "Identity test vectors", with client name
 * "shop" "1.0", as a client that does not pin the server key sends it. */
#define VECTOR3                                                                                    \
    "46590101000000b7"                                                                             \
    "0a176665727279746573742e76312e50726f62652f4563686f"                                           \
    "1003"                                                                                         \
    "1a0473686f70"                                                                                 \
    "2203312e30"                                                                                   \
    "282a"                                                                                         \
    "30e807"                                                                                       \
    "3a090a016b120461636d65"                                                                       \
    "427f"                                                                                         \
    "0a20" CLIENT_PK "1080d095ffbc31"                                                              \
    "1a10a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                                         \
    "2001"                                                                                         \
    "2a40" REQUEST_SIG "0a026869"

/* The same request from a client that pins the server key: reply_mac,
 * accept_mac2 and covers_state follow the proof, which is the same. */
#define VECTOR3_PINNED                                                                             \
    "46590101000000be"                                                                             \
    "0a176665727279746573742e76312e50726f62652f4563686f"                                           \
    "1003"                                                                                         \
    "1a0473686f70"                                                                                 \
    "2203312e30"                                                                                   \
    "282a"                                                                                         \
    "30e807"                                                                                       \
    "3a090a016b120461636d65"                                                                       \
    "4285010a20" CLIENT_PK "1080d095ffbc31"                                                        \
    "1a10a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                                         \
    "2001"                                                                                         \
    "2a40" REQUEST_SIG "300140014801"                                                              \
    "0a026869"

/* Vector 4: the server's reply to it, proved with mac2 and its state
 * covered (the reply of "mac2 test vectors" with its state). */
#define VECTOR4                                                                                    \
    "465901020000006b"                                                                             \
    "082a"                                                                                         \
    "2080808002"                                                                                   \
    "2801"                                                                                         \
    "3003"                                                                                         \
    "3a5c"                                                                                         \
    "0a20" SERVER_PK "1a10a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                        \
    "2003"                                                                                         \
    "2a1084fcb9b180b0d5cd94cbaaddf3a8ecf1"                                                         \
    "3a10b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"                                                         \
    "4801"                                                                                         \
    "5801"                                                                                         \
    "0a026869"

/* The request header of the vectors, its identity block `idb` (nonce and
 * timestamp of "Identity test vectors") proved by the client's own code. */
static void vector_request(const fixture *fx, Ferry__Wire__RequestHeader *h,
                           Ferry__Wire__Metadata *md, Ferry__Wire__Metadata **mdv,
                           Ferry__Wire__Identity *idb, uint8_t *proof, ferry_key *key, int pinned,
                           const uint8_t *body, size_t body_len)
{
    metadata_k_acme(md);
    mdv[0] = md;
    ferry__wire__request_header__init(h);
    h->method = "ferrytest.v1.Probe/Echo";
    h->api_version = 3;
    h->client_name = "shop";
    h->client_version = "1.0";
    h->call_id = 42;
    h->deadline_ms = 1000;
    h->n_metadata = 1;
    h->metadata = mdv;
    ferry__wire__identity__init(idb);
    idb->key_id.data = key->pk;
    idb->key_id.len = FERRY_PUBLIC_KEY_BYTES;
    idb->timestamp_ms = UINT64_C(1700000000000);
    idb->nonce.data = (uint8_t *)fx->nonce;
    idb->nonce.len = FERRYI_NONCE_BYTES;
    idb->scheme = FERRY__WIRE__PROOF_SCHEME__PROOF_SIGNED;
    idb->proof.data = proof;
    idb->proof.len = FERRYI_SIG_BYTES;
    /* As ferryi_client_reserve() sets them for a signed channel. */
    idb->reply_mac = pinned;
    idb->accept_mac2 = pinned;
    idb->covers_state = pinned;
    h->identity = idb;
    ferryi_client_proof p = {.key = key, .proof = FERRY_PROOF_SIGNED};
    ferryi_client_prove_body(&p, h, body, body_len);
}

static void test_frame_vectors(void **state)
{
    fixture *fx = *state;
    Ferry__Wire__Metadata md, *mdv[1];
    Ferry__Wire__RequestHeader h;
    Ferry__Wire__Identity idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    Ferrytest__V1__EchoRequest body = FERRYTEST__V1__ECHO_REQUEST__INIT;
    body.text = "hi";

    /* Vector 3, written by the client's frame writer. */
    vector_request(fx, &h, &md, mdv, &idb, proof, fx->client, 0, request_body, sizeof request_body);
    size_t n = ferryi_frame_size(&h.base, &body.base, NULL);
    assert_int_equal(n, 195);
    uint8_t buf[256];
    ferryi_frame_write(buf, n, FERRYI_KIND_REQUEST, &h.base, &body.base);
    assert_hex(buf, n, VECTOR3);

    /* Read back as the server reads it, its proof holds. */
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    assert_int_equal(ferryi_frame_split(buf, n, FERRYI_KIND_REQUEST, &f, why, sizeof why),
                     FERRY_OK);
    Ferry__Wire__RequestHeader *got = NULL;
    assert_int_equal(ferryi_request_header_decode(&f, NULL, &got, why, sizeof why), FERRY_OK);
    assert_non_null(got->identity);
    ferryi_request_fields rf = {
        .scheme = (uint8_t)got->identity->scheme,
        .key_id = got->identity->key_id.data,
        .method = got->method,
        .api_version = got->api_version,
        .call_id = got->call_id,
        .timestamp_ms = got->identity->timestamp_ms,
        .nonce = got->identity->nonce.data,
        .deadline_ms = got->deadline_ms,
    };
    assert_true(ferryi_request_holds(&rf, got->metadata, got->n_metadata, f.body, f.body_len,
                                     fx->client->pk, NULL, got->identity->proof.data,
                                     got->identity->proof.len));
    ferry__wire__request_header__free_unpacked(got, NULL);

    /* The pinning client's request: the three flags, the same proof. */
    vector_request(fx, &h, &md, mdv, &idb, proof, fx->client, 1, request_body, sizeof request_body);
    n = ferryi_frame_size(&h.base, &body.base, NULL);
    assert_int_equal(n, 202);
    ferryi_frame_write(buf, n, FERRYI_KIND_REQUEST, &h.base, &body.base);
    assert_hex(buf, n, VECTOR3_PINNED);

    /* Vector 4: the server's reply, made by its own reply code from the
     * state its check leaves for that request (verified, signed, asking for
     * a mac reply it can check as mac2, with its state covered); the reply
     * nonce it draws is replaced by b0 .. bf before the proof. */
    ferryi_session_keys keys;
    assert_int_equal(ferryi_session_server(&keys, fx->server, fx->client->pk), 0);
    ferryi_trust_entry who = {.keys = &keys};
    ferryi_auth a = {.key = fx->server};
    ferryi_auth_call c = {
        .who = &who,
        .proved = &who,
        .scheme = FERRY_PROOF_SIGNED,
        .reply_mac = 1,
        .accept_mac2 = 1,
        .covers_state = 1,
        .have_nonce = 1,
        .slot = -1,
    };
    memcpy(c.nonce, fx->nonce, FERRYI_NONCE_BYTES);
    Ferry__Wire__ReplyHeader rh = FERRY__WIRE__REPLY_HEADER__INIT;
    rh.call_id = 42;
    rh.max_request = 4194304;
    rh.api_min = 1;
    rh.api_max = 3;
    rh.draining = 1;
    Ferry__Wire__Identity rid;
    uint8_t rproof[FERRYI_SIG_BYTES];
    ferryi_auth_reserve_reply(&a, &c, &rh, &rid, rproof);
    assert_int_equal(rid.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2);
    assert_true(rid.covers_state);
    for (size_t i = 0; i < FERRYI_NONCE_BYTES; i++)
        c.reply_nonce[i] = (uint8_t)(0xb0 + i);
    Ferrytest__V1__EchoReply reply = FERRYTEST__V1__ECHO_REPLY__INIT;
    reply.text = "hi";
    n = ferryi_frame_size(&rh.base, &reply.base, NULL);
    assert_true(n <= sizeof buf);
    ferryi_auth_prove_reply(&a, &c, &rh, request_body, sizeof request_body, rproof);
    ferryi_frame_write(buf, n, FERRYI_KIND_REPLY, &rh.base, &reply.base);
    assert_hex(buf, n, VECTOR4);

    /* The refusal of "mac2 test vectors": a scheme 3 request whose proof
     * held but whose nonce another request used is refused with mac2, its
     * state not covered though it asked, no proof_not_before_ms. */
    ferryi_auth_call r = {
        .proved = &who,
        .scheme = FERRY_PROOF_MAC2,
        .accept_mac2 = 1,
        .have_nonce = 1,
        .slot = -1,
    };
    memcpy(r.nonce, fx->nonce, FERRYI_NONCE_BYTES);
    Ferry__Wire__ReplyHeader refusal = FERRY__WIRE__REPLY_HEADER__INIT;
    ferryi_auth_reserve_reply(&a, &r, &refusal, &rid, rproof);
    assert_int_equal(rid.scheme, FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2);
    assert_int_equal(rid.proof.len, FERRYI_MAC2_BYTES);
    assert_false(rid.covers_state);
    assert_int_equal(refusal.proof_not_before_ms, 0);
}

/* ------------------------------------------------------------------------
 * Tampering
 * ---------------------------------------------------------------------- */

/* Changes each byte of `canon` in turn (its lowest bit) and checks that
 * neither the signature nor the MAC over the original still holds. */
static void assert_every_byte_matters(const uint8_t *canon, size_t len, const ferry_key *signer,
                                      const uint8_t *mac_key)
{
    uint8_t sig[FERRYI_SIG_BYTES], mac[FERRYI_MAC_BYTES];
    ferryi_prove(FERRY_PROOF_SIGNED, signer, NULL, canon, len, sig);
    ferryi_prove(FERRY_PROOF_MAC, signer, mac_key, canon, len, mac);
    assert_true(ferryi_verify(FERRY_PROOF_SIGNED, signer->pk, NULL, canon, len, sig, sizeof sig));
    assert_true(ferryi_verify(FERRY_PROOF_MAC, NULL, mac_key, canon, len, mac, sizeof mac));

    uint8_t bent[FERRYI_CANON_MAX];
    for (size_t i = 0; i < len; i++) {
        memcpy(bent, canon, len);
        bent[i] ^= 0x01;
        if (ferryi_verify(FERRY_PROOF_SIGNED, signer->pk, NULL, bent, len, sig, sizeof sig))
            fail_msg("signature still holds with byte %zu changed", i);
        if (ferryi_verify(FERRY_PROOF_MAC, NULL, mac_key, bent, len, mac, sizeof mac))
            fail_msg("MAC still holds with byte %zu changed", i);
    }
    /* One byte less or more is another string too. */
    assert_false(
        ferryi_verify(FERRY_PROOF_SIGNED, signer->pk, NULL, canon, len - 1, sig, sizeof sig));
    assert_false(ferryi_verify(FERRY_PROOF_MAC, NULL, mac_key, canon, len - 1, mac, sizeof mac));
    memcpy(bent, canon, len);
    bent[len] = 0;
    assert_false(
        ferryi_verify(FERRY_PROOF_SIGNED, signer->pk, NULL, bent, len + 1, sig, sizeof sig));
    assert_false(ferryi_verify(FERRY_PROOF_MAC, NULL, mac_key, bent, len + 1, mac, sizeof mac));
}

static void test_request_tampering(void **state)
{
    fixture *fx = *state;
    Ferry__Wire__Metadata md;
    metadata_k_acme(&md);
    ferryi_request_fields f = request_fields(fx, FERRY_PROOF_SIGNED, &md);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_request_canonical(&f, canon);
    ferryi_session_keys c;
    assert_int_equal(ferryi_session_client(&c, fx->client, fx->server->pk), 0);
    assert_every_byte_matters(canon, len, fx->client, c.c2s);
}

static void test_reply_tampering(void **state)
{
    fixture *fx = *state;
    ferryi_reply_fields f = reply_fields(fx, FERRY_PROOF_SIGNED);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_reply_canonical(&f, canon);
    ferryi_session_keys s;
    assert_int_equal(ferryi_session_server(&s, fx->server, fx->client->pk), 0);
    assert_every_byte_matters(canon, len, fx->server, s.s2c);
}

/* Fields that share bytes cannot be traded: moving a byte from the method
 * into the api version changes the string, since the method's length is in
 * it; and a method longer than 512 bytes has no canonical string. */
static void test_framing(void **state)
{
    fixture *fx = *state;
    Ferry__Wire__Metadata md;
    metadata_k_acme(&md);
    ferryi_request_fields a = request_fields(fx, FERRY_PROOF_SIGNED, &md);
    ferryi_request_fields b = a;
    a.method = "p.S/M";
    b.method = "p.S/";
    uint8_t ca[FERRYI_CANON_MAX], cb[FERRYI_CANON_MAX];
    size_t la = ferryi_request_canonical(&a, ca);
    size_t lb = ferryi_request_canonical(&b, cb);
    assert_true(la != lb || memcmp(ca, cb, la) != 0);

    char *longest = malloc(514);
    assert_non_null(longest);
    memset(longest, 'm', 513);
    longest[513] = '\0';
    a.method = longest;
    assert_int_equal(ferryi_request_canonical(&a, ca), 0);
    longest[512] = '\0';
    assert_int_equal(ferryi_request_canonical(&a, ca),
                     16 + 1 + 32 + 2 + 512 + 4 + 8 + 8 + 16 + 4 + 32 + 32);
    free(longest);
}

/* Nonces: all different, also between a process and the child it forks
 * after drawing some (the pool of random bytes a thread keeps must not be
 * shared with the child). */
static void test_nonces_fresh(void **state)
{
    (void)state;
    enum { N = 1000 };
    static uint8_t seen[N][FERRYI_NONCE_BYTES];
    for (int i = 0; i < N; i++) {
        ferryi_nonce(seen[i]);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(seen[i], seen[j], FERRYI_NONCE_BYTES);
    }
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t child[FERRYI_NONCE_BYTES];
        ferryi_nonce(child);
        _exit(write(fds[1], child, sizeof child) == (ssize_t)sizeof child ? 0 : 1);
    }
    uint8_t parent[FERRYI_NONCE_BYTES], child[FERRYI_NONCE_BYTES];
    ferryi_nonce(parent);
    close(fds[1]);
    assert_int_equal(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    close(fds[0]);
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    assert_memory_not_equal(parent, child, FERRYI_NONCE_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_and_hashes),  cmocka_unit_test(test_signed_request),
        cmocka_unit_test(test_session_keys),     cmocka_unit_test(test_mac_request),
        cmocka_unit_test(test_replies),          cmocka_unit_test(test_request_tampering),
        cmocka_unit_test(test_reply_with_state), cmocka_unit_test(test_reply_not_before),
        cmocka_unit_test(test_reply_tampering),  cmocka_unit_test(test_framing),
        cmocka_unit_test(test_nonces_fresh),     cmocka_unit_test(test_frame_vectors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
