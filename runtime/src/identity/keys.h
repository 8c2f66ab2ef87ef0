/* keys.h - the insides of ferry_key and ferry_keyring, shared by the
 * identity code of the client and the server. */
#ifndef FERRYI_KEYS_H
#define FERRYI_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/identity.h"

struct ferry_key {
    char name[FERRY_NAME_MAX + 1];
    uint8_t pk[FERRY_PUBLIC_KEY_BYTES];
    uint8_t *sk; /* 64 bytes in sodium_malloc memory, or NULL for a public key */
};

typedef struct ferryi_keyring_entry {
    uint8_t pk[FERRY_PUBLIC_KEY_BYTES];
    char name[FERRY_NAME_MAX + 1];
    char *roles[FERRY_ROLES_MAX];
    size_t n_roles;
    unsigned line; /* where the keyring file lists it */
} ferryi_keyring_entry;

struct ferry_keyring {
    ferryi_keyring_entry *v; /* sorted by public key */
    size_t n;
};

/* sodium_init(), once; nonzero when libsodium is usable. */
int ferryi_sodium_ready(void);

/* Whether `name` is a valid key, keyring or role name. */
int ferryi_name_ok(const char *name);

/* A copy of `key` (its secret in fresh sodium_malloc memory), or NULL. */
ferry_key *ferryi_key_dup(const ferry_key *key);

/* The keyring entry for public key `pk`, or NULL. */
const ferryi_keyring_entry *ferryi_keyring_find(const ferry_keyring *kr, const uint8_t *pk);

#endif
