/* ferry/identity.h - who sent a request: Ed25519 keys, key files, keyrings
 * and the verified identity a handler sees (docs/security.md).
 *
 * Every ferry key is an Ed25519 key pair made with libsodium. A secret key
 * lives in sodium_malloc() memory, locked and wiped when freed; a public key
 * alone is what a keyring entry or a pinned server key holds.
 *
 * Key files are text, versioned by their first word:
 *
 *   secret key file (mode 0600):  ferry-secret-key-v1 NAME BASE64(64-byte secret key)
 *   public key file:              ferry-public-key-v1 NAME BASE64(32-byte public key)
 *
 * each one line, ending in a newline. A keyring file lists the clients a
 * server trusts, one per line:
 *
 *   # comment
 *   alice  BASE64(public key)  roles=reader,admin
 *
 * Failures give a reason (ferry_last_error(), ferry/status.h) that names the
 * file (and line) and what is wrong with it.
 *
 * Thread safety: keys and keyrings are immutable once loaded and can be
 * shared by any number of threads, channels and servers.
 */
#ifndef FERRY_IDENTITY_H
#define FERRY_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length of a raw public key, and of its base64 text with the NUL. */
#define FERRY_PUBLIC_KEY_BYTES 32
#define FERRY_PUBLIC_KEY_B64   45
/* Longest key or keyring name, and most roles of one keyring entry. */
#define FERRY_NAME_MAX  64
#define FERRY_ROLES_MAX 32

/* How a request proves who sent it. */
typedef enum ferry_proof {
    FERRY_PROOF_NONE = 0,   /* anonymous */
    FERRY_PROOF_SIGNED = 1, /* an Ed25519 signature: stateless, verifiable anywhere */
    FERRY_PROOF_MAC = 2,    /* a keyed BLAKE2b MAC under a key both sides derive */
    /* mac's second version: a Poly1305 MAC under the same keys, read in one
     * pass over the message. A channel configured for FERRY_PROOF_MAC uses
     * it once its server has shown that it accepts it; a handler sees it in
     * ferry_identity.proof. Not a value of ferry_client_identity.proof. */
    FERRY_PROOF_MAC2 = 3,
} ferry_proof;

typedef struct ferry_key ferry_key;

/* A new random key pair named `name` (1 to FERRY_NAME_MAX characters of
 * [A-Za-z0-9._-]). */
FERRY_NODISCARD ferry_status ferry_key_generate(ferry_key **out, const char *name);

/* Writes the secret key file `secret_path` (created with mode 0600; an
 * existing file is not overwritten) and the public key file `public_path`.
 * On failure the reason names the file and what went wrong, and no secret
 * key file written by this call is left behind. */
FERRY_NODISCARD ferry_status ferry_key_write(const ferry_key *key, const char *secret_path,
                                             const char *public_path);

/* Loads a secret key file. Refuses (FERRY_PERMISSION_DENIED, the reason
 * naming the path and its mode) a file anyone but its owner has any
 * permission on, and any malformed or truncated content. */
FERRY_NODISCARD ferry_status ferry_key_load_secret(ferry_key **out, const char *path);

/* Loads a public key file. */
FERRY_NODISCARD ferry_status ferry_key_load_public(ferry_key **out, const char *path);

/* The key's name and whether it holds the secret half. */
const char *ferry_key_name(const ferry_key *key);
int ferry_key_has_secret(const ferry_key *key);

/* The raw public key (FERRY_PUBLIC_KEY_BYTES bytes), and its base64 text. */
const uint8_t *ferry_key_public(const ferry_key *key);
void ferry_key_public_b64(const ferry_key *key, char out[FERRY_PUBLIC_KEY_B64]);

/* Wipes and frees a key; accepts NULL. */
void ferry_key_free(ferry_key *key);

typedef struct ferry_keyring ferry_keyring;

/* Loads a keyring file. A bad line fails the whole load, the reason reading
 * "FILE:LINE: why"; a public key listed twice is an error. */
FERRY_NODISCARD ferry_status ferry_keyring_load(ferry_keyring **out, const char *path);

/* Entries in the keyring. */
size_t ferry_keyring_size(const ferry_keyring *kr);

void ferry_keyring_free(ferry_keyring *kr);

/* The verified identity of a caller, as a handler sees it. */
typedef struct ferry_identity {
    const char *name;         /* the keyring entry's name */
    const char *const *roles; /* its roles; n_roles entries */
    size_t n_roles;
    const uint8_t *public_key; /* FERRY_PUBLIC_KEY_BYTES bytes */
    ferry_proof proof;         /* how the request proved it */
} ferry_identity;

#ifdef __cplusplus
}
#endif
#endif /* FERRY_IDENTITY_H */
