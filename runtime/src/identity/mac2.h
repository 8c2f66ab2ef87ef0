/* mac2.h - proof scheme 3 ("mac2"): Poly1305 under a one-time key that
 * HChaCha20 draws from a session key (c2s or s2c) and a nonce used once,
 * over a canonical string that carries the header fields, the metadata
 * entries and the body itself, so that a message is read once (docs/wire.md,
 * "The mac2 proof"). */
#ifndef FERRYI_MAC2_H
#define FERRYI_MAC2_H

#include <stddef.h>
#include <stdint.h>

#include "identity/proof.h"

#define FERRYI_MAC2_BYTES 16 /* a Poly1305 tag */

/* The one-time key of a message proved under session key `key` with the
 * 16-byte `nonce`: HChaCha20 of the nonce under `key` (the subkey XChaCha20
 * derives from the first 16 bytes of its nonce), a pseudo-random function
 * of the nonce at the cost of one ChaCha20 block. */
void ferryi_mac2_key(uint8_t otk[FERRYI_KEY_BYTES], const uint8_t key[FERRYI_KEY_BYTES],
                     const uint8_t nonce[FERRYI_NONCE_BYTES]);

/* The scheme 3 proof of a request (`f`'s hash fields are not used: the
 * metadata `md`, `n` entries, and the body are read as they are) under
 * `c2s`, with `f->nonce`. Returns 0, or -1 when the method is too long. */
int ferryi_mac2_request(uint8_t tag[FERRYI_MAC2_BYTES], const uint8_t c2s[FERRYI_KEY_BYTES],
                        const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md, size_t n,
                        const uint8_t *body, size_t body_len);

/* The scheme 3 proof of a reply under `s2c`, with `f->reply_nonce`. Returns
 * 0, or -1 when the message is too long. */
int ferryi_mac2_reply(uint8_t tag[FERRYI_MAC2_BYTES], const uint8_t s2c[FERRYI_KEY_BYTES],
                      const ferryi_reply_fields *f, const uint8_t *body, size_t body_len);

/* The canonical strings themselves, for the test vectors: written to `out`
 * when it is not NULL; returns the string's length, or 0 when the method or
 * message is too long. */
size_t ferryi_request_canonical2(const ferryi_request_fields *f, Ferry__Wire__Metadata *const *md,
                                 size_t n, const uint8_t *body, size_t body_len, uint8_t *out);
size_t ferryi_reply_canonical2(const ferryi_reply_fields *f, const uint8_t *body, size_t body_len,
                               uint8_t *out);

#endif
