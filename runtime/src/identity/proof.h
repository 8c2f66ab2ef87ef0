/* proof.h - the canonical byte strings a request and a reply are proved
 * over, and the proofs: an Ed25519 signature, or a MAC under session keys
 * both sides derive from their static key pairs, keyed BLAKE2b (scheme 2)
 * or Poly1305 (scheme 3, mac2.h) (docs/wire.md, "Identity"). */
#ifndef FERRYI_PROOF_H
#define FERRYI_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/identity.h"
#include "ferry/wire.pb-c.h"

#define FERRYI_NONCE_BYTES 16
#define FERRYI_HASH_BYTES  32
#define FERRYI_SIG_BYTES   64
#define FERRYI_MAC_BYTES   32
#define FERRYI_KEY_BYTES   32
/* Longest canonical string: the method name (or a reply's message) is at
 * most 512 bytes. */
#define FERRYI_CANON_MAX 1024

/* What a request proof covers. */
typedef struct ferryi_request_fields {
    uint8_t scheme;        /* ferry_proof */
    const uint8_t *key_id; /* the sender's public key, 32 bytes */
    const char *method;
    uint32_t api_version;
    uint64_t call_id;
    uint64_t timestamp_ms;
    const uint8_t *nonce; /* 16 bytes */
    uint32_t deadline_ms;
    uint8_t metadata_hash[FERRYI_HASH_BYTES];
    uint8_t body_hash[FERRYI_HASH_BYTES];
} ferryi_request_fields;

/* What a reply proof covers. */
typedef struct ferryi_reply_fields {
    uint8_t scheme;
    uint64_t call_id;
    uint32_t status;
    const uint8_t *nonce;       /* the request's */
    const uint8_t *reply_nonce; /* scheme 3: the reply's own, 16 bytes */
    const char *message;
    uint8_t body_hash[FERRYI_HASH_BYTES];
    uint64_t not_before_ms; /* proof_not_before_ms; covered only when nonzero */
    /* The reply's state, covered only when covers_state (its identity
     * block's field 9, docs/wire.md "The reply's state"). */
    int covers_state;
    uint8_t draining, not_run;
    uint32_t max_request, api_min, api_max;
} ferryi_reply_fields;

/* Bytes of the state block at the end of a reply string that covers it. */
#define FERRYI_STATE_BYTES 14

/* Fills the state fields of `f` from reply header `h`: covered when its
 * identity block says so. */
void ferryi_reply_state(ferryi_reply_fields *f, const Ferry__Wire__ReplyHeader *h);

/* The state block of `f` into `out` (FERRYI_STATE_BYTES): draining and
 * not_run a byte each (0 or 1), then max_request, api_min and api_max as
 * 32-bit big-endian numbers. */
void ferryi_state_block(const ferryi_reply_fields *f, uint8_t out[FERRYI_STATE_BYTES]);

/* The directional keys of one client-server pair: `c2s` proves requests,
 * `s2c` replies. */
typedef struct ferryi_session_keys {
    uint8_t c2s[FERRYI_KEY_BYTES];
    uint8_t s2c[FERRYI_KEY_BYTES];
} ferryi_session_keys;

/* BLAKE2b-256 of `len` bytes. */
void ferryi_hash(uint8_t out[FERRYI_HASH_BYTES], const uint8_t *data, size_t len);

/* A fresh random nonce for a request. Thread-safe; cheap (the random bytes
 * are drawn in batches per thread). */
void ferryi_nonce(uint8_t out[FERRYI_NONCE_BYTES]);

/* BLAKE2b-256 over the metadata entries in order (key length, key, value
 * length, value, lengths as 32-bit big-endian). */
void ferryi_metadata_hash(uint8_t out[FERRYI_HASH_BYTES], Ferry__Wire__Metadata *const *md,
                          size_t n);

/* Writes the canonical string into `out` (FERRYI_CANON_MAX bytes); returns
 * its length, or 0 when the method name is too long. */
size_t ferryi_request_canonical(const ferryi_request_fields *f, uint8_t *out);
size_t ferryi_reply_canonical(const ferryi_reply_fields *f, uint8_t *out);

/* Session keys from the client's side (its secret key, the server's public
 * key) or the server's (its secret key, the client's public key); both give
 * the same pair. Returns 0 on success, -1 for a key that is not a valid
 * Ed25519 point. */
int ferryi_session_client(ferryi_session_keys *out, const ferry_key *client,
                          const uint8_t server_pk[FERRY_PUBLIC_KEY_BYTES]);
int ferryi_session_server(ferryi_session_keys *out, const ferry_key *server,
                          const uint8_t client_pk[FERRY_PUBLIC_KEY_BYTES]);

/* Proves `canon` (signed: with `key`'s secret; mac: under `mac_key`) into
 * `proof`, returning the proof's length. */
size_t ferryi_prove(ferry_proof scheme, const ferry_key *key, const uint8_t *mac_key,
                    const uint8_t *canon, size_t len, uint8_t *proof);

/* Checks `proof` over `canon`: signed against public key `pk`, mac under
 * `mac_key`. Returns nonzero when it holds. */
int ferryi_verify(ferry_proof scheme, const uint8_t *pk, const uint8_t *mac_key,
                  const uint8_t *canon, size_t len, const uint8_t *proof, size_t proof_len);

/* A request's or a reply's proof under scheme `f->scheme`, from the message
 * itself: the canonical string of that scheme (the hashes in `f` are
 * computed here when the scheme needs them) proved with `key`'s secret
 * (signed) or under `mac_key` (c2s for a request, s2c for a reply). The
 * prove functions return the proof's length, 0 when the method or message
 * is too long; the holds functions nonzero when `proof` holds (signed:
 * against public key `pk`). */
size_t ferryi_request_prove(const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md,
                            size_t n, const uint8_t *body, size_t body_len, const ferry_key *key,
                            const uint8_t *mac_key, uint8_t *proof);
int ferryi_request_holds(const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md, size_t n,
                         const uint8_t *body, size_t body_len, const uint8_t *pk,
                         const uint8_t *mac_key, const uint8_t *proof, size_t proof_len);
size_t ferryi_reply_prove(const ferryi_reply_fields *f, const uint8_t *body, size_t body_len,
                          const ferry_key *key, const uint8_t *mac_key, uint8_t *proof);
int ferryi_reply_holds(const ferryi_reply_fields *f, const uint8_t *body, size_t body_len,
                       const uint8_t *pk, const uint8_t *mac_key, const uint8_t *proof,
                       size_t proof_len);

#endif
