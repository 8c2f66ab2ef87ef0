/* proof.c - canonical strings, signatures, MACs, session keys and nonces. */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "identity/keys.h"
#include "identity/mac2.h"
#include "identity/proof.h"

#define REQUEST_TAG "ferry-request-v1"
#define REPLY_TAG   "ferry-reply-v1"

/* Nonces come from a small per-thread pool of random bytes, refilled with
 * one randombytes_buf() (a getrandom() system call) every NONCE_POOL bytes
 * instead of one per call. A forked child empties the pool of the thread
 * that forked (the only one it has), so that it never sends the nonces its
 * parent will. */
#define NONCE_POOL (32 * FERRYI_NONCE_BYTES)

static _Thread_local uint8_t nonce_pool[NONCE_POOL];
static _Thread_local size_t nonce_left;
static pthread_once_t nonce_once = PTHREAD_ONCE_INIT;

static void nonce_forget(void)
{
    nonce_left = 0;
}

static void nonce_init(void)
{
    pthread_atfork(NULL, NULL, nonce_forget);
}

void ferryi_nonce(uint8_t out[FERRYI_NONCE_BYTES])
{
    pthread_once(&nonce_once, nonce_init);
    if (nonce_left < FERRYI_NONCE_BYTES) {
        randombytes_buf(nonce_pool, sizeof nonce_pool);
        nonce_left = sizeof nonce_pool;
    }
    nonce_left -= FERRYI_NONCE_BYTES;
    memcpy(out, nonce_pool + nonce_left, FERRYI_NONCE_BYTES);
}

void ferryi_hash(uint8_t out[FERRYI_HASH_BYTES], const uint8_t *data, size_t len)
{
    crypto_generichash(out, FERRYI_HASH_BYTES, data, len, NULL, 0);
}

static void put_u32(crypto_generichash_state *st, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    crypto_generichash_update(st, b, sizeof b);
}

/* BLAKE2b-256 of no bytes: the metadata hash of a call without metadata,
 * which most calls are, so it is not computed for every one of them. */
static const uint8_t empty_hash[FERRYI_HASH_BYTES] = {
    0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5, 0x43, 0xb2, 0xe8, 0xab, 0x2e, 0xb0, 0x60, 0x99, 0xda, 0xa1,
    0xd1, 0xe5, 0xdf, 0x47, 0x77, 0x8f, 0x77, 0x87, 0xfa, 0xab, 0x45, 0xcd, 0xf1, 0x2f, 0xe3, 0xa8,
};

void ferryi_metadata_hash(uint8_t out[FERRYI_HASH_BYTES], Ferry__Wire__Metadata *const *md,
                          size_t n)
{
    if (n == 0) {
        memcpy(out, empty_hash, FERRYI_HASH_BYTES);
        return;
    }
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, FERRYI_HASH_BYTES);
    for (size_t i = 0; i < n; i++) {
        const char *key = md[i]->key != NULL ? md[i]->key : "";
        size_t klen = strlen(key);
        put_u32(&st, (uint32_t)klen);
        crypto_generichash_update(&st, (const uint8_t *)key, klen);
        put_u32(&st, (uint32_t)md[i]->value.len);
        if (md[i]->value.len > 0)
            crypto_generichash_update(&st, md[i]->value.data, md[i]->value.len);
    }
    crypto_generichash_final(&st, out, FERRYI_HASH_BYTES);
}

typedef struct writer {
    uint8_t *p;
} writer;

static void w_bytes(writer *w, const void *b, size_t n)
{
    memcpy(w->p, b, n);
    w->p += n;
}

static void w_be(writer *w, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        *w->p++ = (uint8_t)(v >> (8 * i));
}

size_t ferryi_request_canonical(const ferryi_request_fields *f, uint8_t *out)
{
    size_t mlen = strlen(f->method);
    if (mlen > 512)
        return 0;
    writer w = {out};
    w_bytes(&w, REQUEST_TAG, sizeof REQUEST_TAG - 1);
    w_be(&w, f->scheme, 1);
    w_bytes(&w, f->key_id, FERRY_PUBLIC_KEY_BYTES);
    w_be(&w, mlen, 2);
    w_bytes(&w, f->method, mlen);
    w_be(&w, f->api_version, 4);
    w_be(&w, f->call_id, 8);
    w_be(&w, f->timestamp_ms, 8);
    w_bytes(&w, f->nonce, FERRYI_NONCE_BYTES);
    w_be(&w, f->deadline_ms, 4);
    w_bytes(&w, f->metadata_hash, FERRYI_HASH_BYTES);
    w_bytes(&w, f->body_hash, FERRYI_HASH_BYTES);
    return (size_t)(w.p - out);
}

size_t ferryi_reply_canonical(const ferryi_reply_fields *f, uint8_t *out)
{
    size_t mlen = f->message != NULL ? strlen(f->message) : 0;
    if (mlen > 512)
        return 0;
    writer w = {out};
    w_bytes(&w, REPLY_TAG, sizeof REPLY_TAG - 1);
    w_be(&w, f->scheme, 1);
    w_be(&w, f->call_id, 8);
    w_be(&w, f->status, 4);
    w_bytes(&w, f->nonce, FERRYI_NONCE_BYTES);
    w_be(&w, mlen, 2);
    w_bytes(&w, f->message != NULL ? f->message : "", mlen);
    w_bytes(&w, f->body_hash, FERRYI_HASH_BYTES);
    /* Appended only when set, so every other reply's string, and what older
     * clients compute, stays as it was. */
    if (f->not_before_ms != 0)
        w_be(&w, f->not_before_ms, 8);
    /* Likewise, and told apart from the above by its length. */
    if (f->covers_state) {
        ferryi_state_block(f, w.p);
        w.p += FERRYI_STATE_BYTES;
    }
    return (size_t)(w.p - out);
}

/* The X25519 halves of an Ed25519 key pair, for key exchange. */
static int to_x25519(const ferry_key *key, uint8_t xpk[32], uint8_t *xsk)
{
    if (crypto_sign_ed25519_pk_to_curve25519(xpk, key->pk) != 0)
        return -1;
    return crypto_sign_ed25519_sk_to_curve25519(xsk, key->sk);
}

/* crypto_kx_client_session_keys() or _server_session_keys(). */
typedef int (*kx_fn)(unsigned char *rx, unsigned char *tx, const unsigned char *pk,
                     const unsigned char *sk, const unsigned char *peer_pk);

/* The session keys between `own` and the peer's Ed25519 key, both turned
 * into X25519 keys as crypto_kx wants them: the one conversion both sides
 * make, each then taking its own side's keys (`rx`, `tx`). */
static int session_keys(const ferry_key *own, const uint8_t peer_pk[FERRY_PUBLIC_KEY_BYTES],
                        kx_fn kx, uint8_t *rx, uint8_t *tx)
{
    uint8_t xpk[32], peer[32];
    uint8_t *xsk = sodium_malloc(32);
    if (xsk == NULL)
        return -1;
    int rv = -1;
    if (to_x25519(own, xpk, xsk) == 0 && crypto_sign_ed25519_pk_to_curve25519(peer, peer_pk) == 0)
        rv = kx(rx, tx, xpk, xsk, peer);
    sodium_free(xsk);
    return rv == 0 ? 0 : -1;
}

int ferryi_session_client(ferryi_session_keys *out, const ferry_key *client,
                          const uint8_t server_pk[FERRY_PUBLIC_KEY_BYTES])
{
    return session_keys(client, server_pk, crypto_kx_client_session_keys, out->s2c, out->c2s);
}

int ferryi_session_server(ferryi_session_keys *out, const ferry_key *server,
                          const uint8_t client_pk[FERRY_PUBLIC_KEY_BYTES])
{
    return session_keys(server, client_pk, crypto_kx_server_session_keys, out->c2s, out->s2c);
}

size_t ferryi_prove(ferry_proof scheme, const ferry_key *key, const uint8_t *mac_key,
                    const uint8_t *canon, size_t len, uint8_t *proof)
{
    if (scheme == FERRY_PROOF_SIGNED) {
        crypto_sign_detached(proof, NULL, canon, len, key->sk);
        return FERRYI_SIG_BYTES;
    }
    crypto_generichash(proof, FERRYI_MAC_BYTES, canon, len, mac_key, FERRYI_KEY_BYTES);
    return FERRYI_MAC_BYTES;
}

int ferryi_verify(ferry_proof scheme, const uint8_t *pk, const uint8_t *mac_key,
                  const uint8_t *canon, size_t len, const uint8_t *proof, size_t proof_len)
{
    if (scheme == FERRY_PROOF_SIGNED)
        return proof_len == FERRYI_SIG_BYTES &&
               crypto_sign_verify_detached(proof, canon, len, pk) == 0;
    if (scheme != FERRY_PROOF_MAC || proof_len != FERRYI_MAC_BYTES || mac_key == NULL)
        return 0;
    uint8_t want[FERRYI_MAC_BYTES];
    crypto_generichash(want, sizeof want, canon, len, mac_key, FERRYI_KEY_BYTES);
    return crypto_verify_32(want, proof) == 0;
}

size_t ferryi_request_prove(const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md,
                            size_t n, const uint8_t *body, size_t body_len, const ferry_key *key,
                            const uint8_t *mac_key, uint8_t *proof)
{
    if (f->scheme == FERRY_PROOF_MAC2)
        return ferryi_mac2_request(proof, mac_key, f, md, n, body, body_len) == 0
                   ? FERRYI_MAC2_BYTES
                   : 0;
    ferryi_request_fields v1 = *f;
    ferryi_metadata_hash(v1.metadata_hash, md, n);
    ferryi_hash(v1.body_hash, body, body_len);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_request_canonical(&v1, canon);
    return len > 0 ? ferryi_prove((ferry_proof)f->scheme, key, mac_key, canon, len, proof) : 0;
}

int ferryi_request_holds(const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md, size_t n,
                         const uint8_t *body, size_t body_len, const uint8_t *pk,
                         const uint8_t *mac_key, const uint8_t *proof, size_t proof_len)
{
    if (f->scheme == FERRY_PROOF_MAC2) {
        uint8_t want[FERRYI_MAC2_BYTES];
        return proof_len == FERRYI_MAC2_BYTES && mac_key != NULL &&
               ferryi_mac2_request(want, mac_key, f, md, n, body, body_len) == 0 &&
               crypto_verify_16(want, proof) == 0;
    }
    ferryi_request_fields v1 = *f;
    ferryi_metadata_hash(v1.metadata_hash, md, n);
    ferryi_hash(v1.body_hash, body, body_len);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_request_canonical(&v1, canon);
    return len > 0 &&
           ferryi_verify((ferry_proof)f->scheme, pk, mac_key, canon, len, proof, proof_len);
}

size_t ferryi_reply_prove(const ferryi_reply_fields *f, const uint8_t *body, size_t body_len,
                          const ferry_key *key, const uint8_t *mac_key, uint8_t *proof)
{
    if (f->scheme == FERRY_PROOF_MAC2)
        return ferryi_mac2_reply(proof, mac_key, f, body, body_len) == 0 ? FERRYI_MAC2_BYTES : 0;
    ferryi_reply_fields v1 = *f;
    ferryi_hash(v1.body_hash, body, body_len);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_reply_canonical(&v1, canon);
    return len > 0 ? ferryi_prove((ferry_proof)f->scheme, key, mac_key, canon, len, proof) : 0;
}

int ferryi_reply_holds(const ferryi_reply_fields *f, const uint8_t *body, size_t body_len,
                       const uint8_t *pk, const uint8_t *mac_key, const uint8_t *proof,
                       size_t proof_len)
{
    if (f->scheme == FERRY_PROOF_MAC2) {
        uint8_t want[FERRYI_MAC2_BYTES];
        return proof_len == FERRYI_MAC2_BYTES && mac_key != NULL && f->reply_nonce != NULL &&
               ferryi_mac2_reply(want, mac_key, f, body, body_len) == 0 &&
               crypto_verify_16(want, proof) == 0;
    }
    ferryi_reply_fields v1 = *f;
    ferryi_hash(v1.body_hash, body, body_len);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_reply_canonical(&v1, canon);
    return len > 0 &&
           ferryi_verify((ferry_proof)f->scheme, pk, mac_key, canon, len, proof, proof_len);
}
