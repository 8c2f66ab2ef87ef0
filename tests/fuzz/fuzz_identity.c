/* fuzz_identity.c - fuzz target for a server's check of request identity
 * blocks (ferryi_auth_check(), runtime/src/auth.c), the code that reads a
 * stranger's key id, timestamp, nonce, scheme and proof before anything else
 * of the request is trusted.
 *
 * Each input starts with a flags byte:
 *   bit 0  prove with a MAC instead of an Ed25519 signature
 *   bit 1  the request carries two metadata entries
 *   bit 2  prove with a key the server's keyring does not list
 *   bit 3  raw: the rest of the input is the whole request frame
 *   bit 4  with bit 0: prove with mac2 (scheme 3) rather than mac
 * Unless raw, the target proves a fresh request of "client" (a new nonce and
 * a later timestamp each time, as a real client's would be), writes its
 * frame, and edits it with the rest of the input, three bytes an edit:
 * position (two bytes, the top two bits choosing xor, insert or delete) and
 * a byte. The edited frame goes through the server's reading (frame split,
 * header decode, identity check), and the verdict must agree with a second
 * reading: the check lets the request run exactly when the key is the
 * keyring's "client" and every field the proof covers (docs/wire.md: scheme,
 * key id, method, API version, call id, timestamp, nonce, deadline,
 * metadata, body, and the proof itself) reads as it was proved. A request
 * that runs is handed the identity "client" with its two roles, and its
 * retransmit after the reply is answered from the reply cache. A raw frame,
 * which no key proved, never runs.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "identity/auth.h"
#include "wire/envelope.h"
#include "identity/keys.h"
#include "identity/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define METHOD "ferrytest.v1.Probe/Echo"
#define BODY                                                                                       \
    "\x0a\x04"                                                                                     \
    "fuzz" /* EchoRequest{text: "fuzz"} */
#define MAX_EDITS 64

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_identity: %s\n", what);
    abort();
}

static ferry_key *server_key, *client_key, *stranger_key;
static ferryi_auth auth;
static char dir[64], ring_path[96];
static uint64_t requests; /* proved so far: each gets its own nonce and timestamp */
static int ready;

/* A key pair from a fixed seed, so that a finding replays the same way. */
static ferry_key *make_key(const char *name, uint8_t seed_byte)
{
    ferry_key *k = calloc(1, sizeof *k);
    if (k == NULL || (k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL)
        fail("out of memory");
    snprintf(k->name, sizeof k->name, "%s", name);
    uint8_t seed[crypto_sign_SEEDBYTES];
    memset(seed, seed_byte, sizeof seed);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    return k;
}

static void teardown(void)
{
    ferryi_auth_fini(&auth);
    ferry_key_free(server_key);
    ferry_key_free(client_key);
    ferry_key_free(stranger_key);
    unlink(ring_path);
    rmdir(dir);
}

/* The server's identity: its key and a keyring that trusts "client" with two
 * roles; a timestamp window wide enough for every request the target proves
 * (one millisecond apart), and a small replay cache, so that eviction runs. */
static void setup(void)
{
    if (sodium_init() < 0)
        fail("libsodium failed to initialise");
    server_key = make_key("server", 1);
    client_key = make_key("client", 2);
    stranger_key = make_key("stranger", 3);
    snprintf(dir, sizeof dir, "/tmp/fuzz_identity.XXXXXX");
    if (mkdtemp(dir) == NULL)
        fail("cannot make a scratch directory");
    snprintf(ring_path, sizeof ring_path, "%s/keyring", dir);
    FILE *f = fopen(ring_path, "w");
    char b64[FERRY_PUBLIC_KEY_B64];
    ferry_key_public_b64(client_key, b64);
    if (f == NULL || fprintf(f, "client %s roles=reader,admin\n", b64) < 0 || fclose(f) != 0)
        fail("cannot write the keyring");
    ferry_server_identity cfg = {
        .key = server_key,
        .keyring_path = ring_path,
        .skew_ms = 3000000000u,
        .replay_cache_entries = 256,
    };
    if (ferryi_auth_init(&auth, &cfg) != FERRY_OK)
        fail(ferry_last_error());
    atexit(teardown);
    ready = 1;
}

/* What a request was proved with, to compare the edited one against. */
typedef struct proved {
    Ferry__Wire__RequestHeader h;
    Ferry__Wire__Identity id;
    Ferry__Wire__Metadata md[2], *mdp[2];
    uint8_t nonce[FERRYI_NONCE_BYTES];
    uint8_t proof[FERRYI_SIG_BYTES];
    int known; /* proved with the keyring's key */
} proved;

/* Proves a fresh request and writes its frame into `frame` (returns its
 * length). */
static size_t prove(proved *p, uint8_t flags, uint8_t *frame, size_t cap)
{
    const ferry_key *key = (flags & 4) ? stranger_key : client_key;
    p->known = !(flags & 4);
    uint64_t n = ++requests;
    ferry__wire__request_header__init(&p->h);
    p->h.method = METHOD;
    p->h.api_version = 3;
    p->h.client_name = "fuzz";
    p->h.client_version = "1";
    p->h.call_id = n;
    p->h.deadline_ms = 1000;
    if (flags & 2) {
        static uint8_t v0[] = "00-trace", v1[] = {0, 1, 2};
        for (int i = 0; i < 2; i++) {
            ferry__wire__metadata__init(&p->md[i]);
            p->mdp[i] = &p->md[i];
        }
        p->md[0].key = "traceparent";
        p->md[0].value = (ProtobufCBinaryData){sizeof v0 - 1, v0};
        p->md[1].key = "x-bin";
        p->md[1].value = (ProtobufCBinaryData){sizeof v1, v1};
        p->h.metadata = p->mdp;
        p->h.n_metadata = 2;
    }
    memset(p->nonce, 0x5a, sizeof p->nonce);
    memcpy(p->nonce, &n, sizeof n);
    ferryi_session_keys sk;
    if (ferryi_session_client(&sk, key, server_key->pk) != 0)
        fail("no session keys");
    ferryi_request_fields f = {
        .scheme = !(flags & 1)   ? FERRY_PROOF_SIGNED
                  : (flags & 16) ? FERRY_PROOF_MAC2
                                 : FERRY_PROOF_MAC,
        .key_id = key->pk,
        .method = p->h.method,
        .api_version = p->h.api_version,
        .call_id = p->h.call_id,
        .timestamp_ms = auth.started_ms + n,
        .nonce = p->nonce,
        .deadline_ms = p->h.deadline_ms,
    };
    ferry__wire__identity__init(&p->id);
    p->id.key_id = (ProtobufCBinaryData){FERRY_PUBLIC_KEY_BYTES, (uint8_t *)key->pk};
    p->id.timestamp_ms = f.timestamp_ms;
    p->id.nonce = (ProtobufCBinaryData){FERRYI_NONCE_BYTES, p->nonce};
    p->id.scheme = (Ferry__Wire__ProofScheme)f.scheme;
    p->id.proof.data = p->proof;
    p->id.proof.len =
        ferryi_request_prove(&f, p->h.metadata, p->h.n_metadata, (const uint8_t *)BODY,
                             sizeof BODY - 1, key, sk.c2s, p->proof);
    p->h.identity = &p->id;
    size_t hlen = protobuf_c_message_get_packed_size(&p->h.base);
    if (FERRYI_FRAME_PREFIX + hlen + sizeof BODY - 1 > cap)
        fail("the proved frame does not fit");
    ferryi_frame_write_raw(frame, FERRYI_KIND_REQUEST, &p->h.base, (const uint8_t *)BODY,
                           sizeof BODY - 1);
    return FERRYI_FRAME_PREFIX + hlen + sizeof BODY - 1;
}

/* Applies the edits in `ed` (3 bytes each) to `buf` of *len bytes, room
 * `cap`. */
static void edit(uint8_t *buf, size_t *len, size_t cap, const uint8_t *ed, size_t n)
{
    for (size_t i = 0; i + 3 <= n && i / 3 < MAX_EDITS; i += 3) {
        unsigned op = ed[i] >> 6;
        size_t at = ((size_t)(ed[i] & 0x3f) << 8 | ed[i + 1]);
        uint8_t b = ed[i + 2];
        if (op == 1 && *len < cap) { /* insert */
            at %= *len + 1;
            memmove(buf + at + 1, buf + at, *len - at);
            buf[at] = b;
            (*len)++;
        } else if (op == 2 && *len > 0) { /* delete */
            at %= *len;
            memmove(buf + at, buf + at + 1, *len - at - 1);
            (*len)--;
        } else if (*len > 0) { /* xor */
            buf[at % *len] ^= b;
        }
    }
}

static int same_bytes(ProtobufCBinaryData a, const uint8_t *b, size_t len)
{
    return a.len == len && (len == 0 || memcmp(a.data, b, len) == 0);
}

/* The second reading: whether header `h` over `body` is the request `p`
 * proved, in every field the proof covers. */
static int as_proved(const proved *p, const Ferry__Wire__RequestHeader *h, const uint8_t *body,
                     size_t body_len)
{
    const Ferry__Wire__Identity *id = h->identity;
    if (!p->known || id == NULL || id->scheme != p->id.scheme ||
        !same_bytes(id->key_id, p->id.key_id.data, p->id.key_id.len) ||
        id->timestamp_ms != p->id.timestamp_ms ||
        !same_bytes(id->nonce, p->nonce, FERRYI_NONCE_BYTES) ||
        !same_bytes(id->proof, p->proof, p->id.proof.len))
        return 0;
    if (strcmp(h->method, p->h.method) != 0 || h->api_version != p->h.api_version ||
        h->call_id != p->h.call_id || h->deadline_ms != p->h.deadline_ms ||
        h->n_metadata != p->h.n_metadata)
        return 0;
    /* Metadata keys are C strings to the server (the hash takes them up to
     * a NUL); values are bytes. */
    for (size_t i = 0; i < h->n_metadata; i++)
        if (strcmp(h->metadata[i]->key, p->md[i].key) != 0 ||
            !same_bytes(h->metadata[i]->value, p->md[i].value.data, p->md[i].value.len))
            return 0;
    return body_len == sizeof BODY - 1 && memcmp(body, BODY, body_len) == 0;
}

/* The request that ran is the one "client" proved, with its roles. */
static void check_identity(const ferryi_auth_call *c)
{
    if (strcmp(c->id.name, "client") != 0 || c->id.n_roles != 2 ||
        strcmp(c->id.roles[0], "reader") != 0 || strcmp(c->id.roles[1], "admin") != 0 ||
        memcmp(c->id.public_key, client_key->pk, FERRY_PUBLIC_KEY_BYTES) != 0)
        fail("a verified request is handed the wrong identity");
}

/* A retransmit of the request that ran and was answered gets the answer
 * again from the cache, without running. */
static void check_retransmit(const Ferry__Wire__RequestHeader *h, const ferryi_frame *f,
                             ferryi_auth_call *c)
{
    nng_msg *reply;
    if (nng_msg_alloc(&reply, 0) != 0 || nng_msg_append(reply, "reply", 5) != 0)
        fail("out of memory");
    ferryi_auth_store_reply(&auth, c, reply);
    ferryi_auth_call_end(&auth, c);
    nng_msg *cached = NULL;
    char why[FERRY_MESSAGE_MAX];
    ferryi_auth_call again;
    ferryi_auth_verdict v =
        ferryi_auth_check(&auth, h, f->body, f->body_len, &again, &cached, why, sizeof why);
    if (v != FERRYI_AUTH_RESEND || cached == NULL || nng_msg_len(cached) != 5 ||
        memcmp(nng_msg_body(cached), "reply", 5) != 0)
        fail("the retransmit of an answered request is not answered from the reply cache");
    nng_msg_free(cached);
    nng_msg_free(reply);
    ferryi_auth_call_end(&auth, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    if (size == 0)
        return 0;
    uint8_t flags = data[0];
    static uint8_t frame[8192];
    size_t len;
    proved p;
    memset(&p, 0, sizeof p);
    if (flags & 8) {
        len = size - 1 < sizeof frame ? size - 1 : sizeof frame;
        memcpy(frame, data + 1, len);
    } else {
        len = prove(&p, flags, frame, sizeof frame);
        edit(frame, &len, sizeof frame, data + 1, size - 1);
    }

    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    if (ferryi_frame_split(frame, len, FERRYI_KIND_REQUEST, &f, why, sizeof why) != FERRY_OK)
        return 0;
    Ferry__Wire__RequestHeader *h = NULL;
    if (ferryi_request_header_decode(&f, NULL, &h, why, sizeof why) != FERRY_OK)
        return 0;
    int want = !(flags & 8) && as_proved(&p, h, f.body, f.body_len);
    ferryi_auth_call c;
    nng_msg *cached = NULL;
    why[0] = '\0';
    ferryi_auth_verdict v =
        ferryi_auth_check(&auth, h, f.body, f.body_len, &c, &cached, why, sizeof why);
    if (want && v != FERRYI_AUTH_RUN) {
        fprintf(stderr, "fuzz_identity: refused: %s\n", why);
        fail("a request as its key proved it does not run");
    }
    if (!want && v != FERRYI_AUTH_REJECT)
        fail("a request its key did not prove so is not refused");
    if (v == FERRYI_AUTH_REJECT && why[0] == '\0')
        fail("a refused request has no reason");
    if (v == FERRYI_AUTH_RUN) {
        check_identity(&c);
        check_retransmit(h, &f, &c);
    } else {
        ferryi_auth_call_end(&auth, &c);
    }
    if (cached != NULL)
        nng_msg_free(cached);
    ferry__wire__request_header__free_unpacked(h, NULL);
    return 0;
}
