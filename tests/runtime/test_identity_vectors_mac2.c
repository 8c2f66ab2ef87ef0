/* test_identity_vectors_mac2.c - the vectors of proof scheme 3 in
 * docs/wire.md ("mac2 test vectors"), byte for byte: the one-time keys, the
 * canonical strings and the Poly1305 tags from fixed keys and nonces; the
 * tag is Poly1305 of the documented string under the documented key,
 * whether the string is gathered whole or streamed past a large body; and a
 * change to any byte of a string changes its tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "identity/keys.h"
#include "identity/mac2.h"

/* The session keys of the seeded client and server keys (the vectors of
 * "Identity test vectors"). */
#define SESSION_C2S "edb4cb7cc727fc05b94fdb9915bfd4f026b48564b42811ebcbb386665ff2ed92"
#define SESSION_S2C "46515f881a24470baa1730fe69e47cf2927eac5e2e5fbf0cb1725fc161dac197"
#define CLIENT_PK   "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"

#define REQUEST_OTK "4e50733023e8127acf79ed7472d824b01198fb6b9e8aef4ac6b6e576920550e8"
#define REQUEST_CANON                                                                              \
    "66657272792d726571756573742d7632"                                                             \
    "03" CLIENT_PK "0017"                                                                          \
    "6665727279746573742e76312e50726f62652f4563686f"                                               \
    "00000003"                                                                                     \
    "000000000000002a"                                                                             \
    "0000018bcfe56800"                                                                             \
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                                             \
    "000003e8"                                                                                     \
    "00000001"                                                                                     \
    "00000001"                                                                                     \
    "6b"                                                                                           \
    "00000004"                                                                                     \
    "61636d65"                                                                                     \
    "0000000000000004"                                                                             \
    "0a026869"
#define REQUEST_TAG "ebf4a75297293d9b8dfc5c0815e03c30"

#define REPLY_OTK "330d1696b75166fd9ed40fb8fce83fead89ca031e1d2a5aeca17ec2268cdb5d3"
#define REPLY_CANON                                                                                \
    "66657272792d7265706c792d7632"                                                                 \
    "03"                                                                                           \
    "000000000000002a"                                                                             \
    "00000000"                                                                                     \
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                                             \
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"                                                             \
    "0000000000000000"                                                                             \
    "0000"                                                                                         \
    "0000000000000004"                                                                             \
    "0a026869"
#define REPLY_TAG "9e6a93e08367bd44be1f289287859d41"

/* The same reply with its state covered: draining, max_request 4 MiB, API
 * versions 1 to 3. */
#define STATE_BLOCK                                                                                \
    "01"                                                                                           \
    "00"                                                                                           \
    "00400000"                                                                                     \
    "00000001"                                                                                     \
    "00000003"
#define STATE_CANON REPLY_CANON STATE_BLOCK
#define STATE_TAG   "84fcb9b180b0d5cd94cbaaddf3a8ecf1"

/* A refusal a server proves with mac2: the request (proved with scheme 3,
 * its proof held) reuses the nonce of another request of the key named
 * "client", so it is refused as a replay; no proof_not_before_ms, no state
 * (a replay's never is), no body. */
#define REFUSAL_MESSAGE "nonce already used by another request of client (a replay)"
#define REFUSAL_OTK     "572f934ba33a616344c4d7c73c679f1aa99133601e4adf27036f977de3d814a5"
#define REFUSAL_CANON                                                                              \
    "66657272792d7265706c792d7632"                                                                 \
    "03"                                                                                           \
    "000000000000002a"                                                                             \
    "00000010"                                                                                     \
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"                                                             \
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"                                                             \
    "0000000000000000"                                                                             \
    "003a"                                                                                         \
    "6e6f6e636520616c7265616479207573656420627920616e6f74686572"                                   \
    "2072657175657374206f6620636c69656e74202861207265706c617929"                                   \
    "0000000000000000"
#define REFUSAL_TAG "b272242eb653ad9cb22d5c9a8c197a78"

static const uint8_t body[] = {0x0a, 0x02, 'h', 'i'}; /* EchoRequest{text: "hi"} */

typedef struct fixture {
    uint8_t client_pk[FERRY_PUBLIC_KEY_BYTES];
    uint8_t c2s[32], s2c[32];
    uint8_t nonce[FERRYI_NONCE_BYTES];         /* a0 .. af, the request's */
    uint8_t reply_nonce[FERRYI_NONCE_BYTES];   /* b0 .. bf */
    uint8_t refusal_nonce[FERRYI_NONCE_BYTES]; /* c0 .. cf */
    Ferry__Wire__Metadata md, *mdv[1];
} fixture;

static void from_hex(uint8_t *out, size_t len, const char *hex)
{
    size_t got = 0;
    assert_int_equal(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, NULL), 0);
    assert_int_equal(got, len);
}

static int setup(void **state)
{
    if (!ferryi_sodium_ready())
        return -1;
    fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    from_hex(fx->client_pk, sizeof fx->client_pk, CLIENT_PK);
    from_hex(fx->c2s, sizeof fx->c2s, SESSION_C2S);
    from_hex(fx->s2c, sizeof fx->s2c, SESSION_S2C);
    for (size_t i = 0; i < FERRYI_NONCE_BYTES; i++) {
        fx->nonce[i] = (uint8_t)(0xa0 + i);
        fx->reply_nonce[i] = (uint8_t)(0xb0 + i);
        fx->refusal_nonce[i] = (uint8_t)(0xc0 + i);
    }
    static uint8_t acme[] = {'a', 'c', 'm', 'e'};
    ferry__wire__metadata__init(&fx->md);
    fx->md.key = "k";
    fx->md.value.data = acme;
    fx->md.value.len = sizeof acme;
    fx->mdv[0] = &fx->md;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex)
{
    char *hex = malloc(len * 2 + 1);
    assert_non_null(hex);
    sodium_bin2hex(hex, len * 2 + 1, got, len);
    assert_string_equal(hex, want_hex);
    free(hex);
}

static ferryi_request_fields request_fields(const fixture *fx, const char *method)
{
    return (ferryi_request_fields){
        .scheme = FERRY_PROOF_MAC2,
        .key_id = fx->client_pk,
        .method = method,
        .api_version = 3,
        .call_id = 42,
        .timestamp_ms = UINT64_C(1700000000000),
        .nonce = fx->nonce,
        .deadline_ms = 1000,
    };
}

/* Asserts that `tag` is Poly1305 of `canon` under `otk`, and that a change
 * to any one byte of `canon` gives another tag. */
static void assert_tag_of(const uint8_t *tag, const uint8_t *canon, size_t len, const uint8_t *otk)
{
    uint8_t want[FERRYI_MAC2_BYTES];
    crypto_onetimeauth_poly1305(want, canon, len, otk);
    assert_memory_equal(tag, want, sizeof want);
    uint8_t *bent = malloc(len);
    assert_non_null(bent);
    memcpy(bent, canon, len);
    for (size_t i = 0; i < len; i++) {
        bent[i] ^= 0x01;
        crypto_onetimeauth_poly1305(want, bent, len, otk);
        if (memcmp(want, tag, sizeof want) == 0)
            fail_msg("changing byte %zu of the string leaves its tag", i);
        bent[i] ^= 0x01;
    }
    free(bent);
}

/* The request vector: its one-time key, string and tag. */
static void test_request(void **state)
{
    fixture *fx = *state;
    ferryi_request_fields f = request_fields(fx, "ferrytest.v1.Probe/Echo");
    uint8_t otk[32], canon[256], tag[FERRYI_MAC2_BYTES];
    ferryi_mac2_key(otk, fx->c2s, fx->nonce);
    assert_hex(otk, sizeof otk, REQUEST_OTK);
    size_t len = ferryi_request_canonical2(&f, fx->mdv, 1, body, sizeof body, NULL);
    assert_int_equal(len, 103 + 23 + 13 + 4);
    assert_int_equal(ferryi_request_canonical2(&f, fx->mdv, 1, body, sizeof body, canon), len);
    assert_hex(canon, len, REQUEST_CANON);
    assert_int_equal(ferryi_mac2_request(tag, fx->c2s, &f, fx->mdv, 1, body, sizeof body), 0);
    assert_hex(tag, sizeof tag, REQUEST_TAG);
    assert_tag_of(tag, canon, len, otk);
}

/* The reply vector and the refusal vector (a replay). */
static void test_replies(void **state)
{
    fixture *fx = *state;
    ferryi_reply_fields f = {
        .scheme = FERRY_PROOF_MAC2,
        .call_id = 42,
        .status = 0,
        .nonce = fx->nonce,
        .reply_nonce = fx->reply_nonce,
        .message = "",
    };
    uint8_t otk[32], canon[256], tag[FERRYI_MAC2_BYTES];
    ferryi_mac2_key(otk, fx->s2c, fx->reply_nonce);
    assert_hex(otk, sizeof otk, REPLY_OTK);
    size_t len = ferryi_reply_canonical2(&f, body, sizeof body, canon);
    assert_int_equal(len, 77 + 4);
    assert_hex(canon, len, REPLY_CANON);
    assert_int_equal(ferryi_mac2_reply(tag, fx->s2c, &f, body, sizeof body), 0);
    assert_hex(tag, sizeof tag, REPLY_TAG);
    assert_tag_of(tag, canon, len, otk);

    /* The refusal of a replay (test_identity_vectors.c shows the server
     * proves it with mac2, without state or proof_not_before_ms). */
    f.status = 16;
    f.message = REFUSAL_MESSAGE;
    f.reply_nonce = fx->refusal_nonce;
    ferryi_mac2_key(otk, fx->s2c, fx->refusal_nonce);
    assert_hex(otk, sizeof otk, REFUSAL_OTK);
    len = ferryi_reply_canonical2(&f, NULL, 0, canon);
    assert_int_equal(len, 77 + strlen(REFUSAL_MESSAGE));
    assert_hex(canon, len, REFUSAL_CANON);
    assert_int_equal(ferryi_mac2_reply(tag, fx->s2c, &f, NULL, 0), 0);
    assert_hex(tag, sizeof tag, REFUSAL_TAG);
    assert_tag_of(tag, canon, len, otk);
}

/* A reply whose proof covers its state: the state block ends the string,
 * after the body, and the tag changes with it. */
static void test_reply_with_state(void **state)
{
    fixture *fx = *state;
    ferryi_reply_fields f = {
        .scheme = FERRY_PROOF_MAC2,
        .call_id = 42,
        .nonce = fx->nonce,
        .reply_nonce = fx->reply_nonce,
        .message = "",
        .covers_state = 1,
        .draining = 1,
        .max_request = 4194304,
        .api_min = 1,
        .api_max = 3,
    };
    uint8_t otk[32], canon[256], tag[FERRYI_MAC2_BYTES];
    ferryi_mac2_key(otk, fx->s2c, fx->reply_nonce);
    size_t len = ferryi_reply_canonical2(&f, body, sizeof body, canon);
    assert_int_equal(len, 77 + 4 + FERRYI_STATE_BYTES);
    assert_hex(canon, len, STATE_CANON);
    assert_int_equal(ferryi_mac2_reply(tag, fx->s2c, &f, body, sizeof body), 0);
    assert_hex(tag, sizeof tag, STATE_TAG);
    assert_tag_of(tag, canon, len, otk);
}

/* A string too long to gather whole (a long method, a long metadata value,
 * a body of 3000 bytes) is streamed to Poly1305 in parts; its tag is still
 * Poly1305 of the whole string. */
static void test_streamed_string(void **state)
{
    fixture *fx = *state;
    char method[513];
    memset(method, 'm', 512);
    method[512] = '\0';
    memcpy(method, "a.B/", 4);
    uint8_t *big = malloc(3000), value[700];
    assert_non_null(big);
    for (size_t i = 0; i < 3000; i++)
        big[i] = (uint8_t)(i * 7);
    memset(value, 'v', sizeof value);
    Ferry__Wire__Metadata md2 = fx->md;
    md2.value.data = value;
    md2.value.len = sizeof value;
    Ferry__Wire__Metadata *mdv[] = {&fx->md, &md2};
    ferryi_request_fields f = request_fields(fx, method);
    size_t len = ferryi_request_canonical2(&f, mdv, 2, big, 3000, NULL);
    assert_int_equal(len, 103 + 512 + 13 + (8 + 1 + 700) + 3000);
    uint8_t *canon = malloc(len), otk[32], tag[FERRYI_MAC2_BYTES];
    assert_non_null(canon);
    assert_int_equal(ferryi_request_canonical2(&f, mdv, 2, big, 3000, canon), len);
    ferryi_mac2_key(otk, fx->c2s, fx->nonce);
    assert_int_equal(ferryi_mac2_request(tag, fx->c2s, &f, mdv, 2, big, 3000), 0);
    uint8_t want[FERRYI_MAC2_BYTES];
    crypto_onetimeauth_poly1305(want, canon, len, otk);
    assert_memory_equal(tag, want, sizeof want);
    /* A method of 513 bytes has no string. */
    char longer[514];
    memset(longer, 'm', 513);
    longer[513] = '\0';
    f.method = longer;
    assert_int_equal(ferryi_request_canonical2(&f, mdv, 2, big, 3000, NULL), 0);
    assert_int_equal(ferryi_mac2_request(tag, fx->c2s, &f, mdv, 2, big, 3000), -1);
    free(canon);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_with_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_string, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
