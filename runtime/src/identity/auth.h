/* auth.h - a server's side of identity: the trusted keys (keyring plus the
 * session keys derived for each), verification of request proofs before the
 * body is decoded, the replay cache that answers nng's byte-identical
 * retransmits from the reply it cached, and the proofs of replies. */
#ifndef FERRYI_AUTH_H
#define FERRYI_AUTH_H

#include <pthread.h>
#include <stdatomic.h>

#include <nng/nng.h>

#include "ferry/ferry.h"
#include "identity/keys.h"
#include "identity/proof.h"

typedef struct ferryi_trust ferryi_trust;

typedef struct ferryi_trust_entry {
    const ferryi_keyring_entry *ke;
    const ferryi_session_keys *keys; /* in sodium_malloc memory */
    uint64_t floor_ts;               /* requests at or before this are too old */
} ferryi_trust_entry;

struct ferryi_trust {
    atomic_int refs;
    ferry_keyring *kr;
    ferryi_trust_entry *v; /* kr->v's order */
    ferryi_session_keys *keys;
};

typedef struct ferryi_replay_entry ferryi_replay_entry;
typedef struct ferryi_replay_slot ferryi_replay_slot;

/* Counters, in ferry_auth_counters' order. */
enum {
    FERRYI_AUTH_VERIFIED,
    FERRYI_AUTH_ANONYMOUS,
    FERRYI_AUTH_MISSING,
    FERRYI_AUTH_MALFORMED,
    FERRYI_AUTH_UNKNOWN_KEY,
    FERRYI_AUTH_BAD_TIMESTAMP,
    FERRYI_AUTH_BAD_PROOF,
    FERRYI_AUTH_REPLAYED,
    FERRYI_AUTH_RETRANSMITS,
    FERRYI_AUTH_PERMISSION_DENIED,
    FERRYI_AUTH_N_COUNTERS
};

typedef struct ferryi_auth {
    ferry_key *key; /* the server's key pair */
    char *keyring_path;
    int allow_anonymous;
    uint64_t skew_ms;
    /* When this server started (wall clock, ms): requests proved before it
     * are refused, since the replay cache does not know their nonces. */
    uint64_t started_ms;
    uint64_t reply_cache_ms;
    size_t reply_cache_max_bytes;

    pthread_mutex_t mu; /* the trust pointer and the replay cache */
    ferryi_trust *trust;
    ferryi_replay_entry *ring; /* insertion order; `cap` entries */
    ferryi_replay_slot *slots; /* the ring's index: `nslots`, open addressing */
    size_t cap, nslots, head, count;
    uint8_t hash_key[16];      /* keys the nonces' hash: see auth.c */
    uint64_t seq, reply_seq;   /* entries ever inserted; first whose reply may be kept */
    atomic_size_t reply_bytes; /* changed under mu; read without it for a first guess */
    uint32_t gen;
    int no_mac2;    /* behaves as a server that predates scheme 3 (tests) */
    int no_state;   /* ...or one that predates proofs covering a reply's state */
    int plain_hash; /* indexes nonces by their first bytes (tests) */

    atomic_uint_fast64_t n[FERRYI_AUTH_N_COUNTERS];
} ferryi_auth;

/* For tests only, never set by the library: a server whose identity is set
 * while this is nonzero behaves as one that predates proof scheme 3 (it
 * refuses such requests as malformed and never proves a reply with it), so
 * that a test can show a client working with such a server. */
extern int ferryi_auth_test_no_mac2;
/* Likewise: a server that predates proofs covering a reply's state (it
 * ignores a request's covers_state). */
extern int ferryi_auth_test_no_state;
/* For tests only: while nonzero, a server's replay cache indexes a nonce by
 * its first four bytes, unkeyed, so that a test can choose nonces that
 * share slots of the index. */
extern int ferryi_auth_test_plain_hash;

/* What the check decided. */
typedef enum {
    FERRYI_AUTH_RUN,    /* verified (or anonymous and allowed): run the handler */
    FERRYI_AUTH_RESEND, /* a retransmit of a finished call: send *cached */
    FERRYI_AUTH_DROP,   /* a retransmit of a call still running: answer nothing */
    FERRYI_AUTH_REJECT, /* refuse with FERRY_UNAUTHENTICATED and `why` */
} ferryi_auth_verdict;

/* One call's identity state on the server. */
typedef struct ferryi_auth_call {
    ferryi_trust *trust;              /* a reference, when the caller was verified */
    const ferryi_trust_entry *who;    /* verified and admitted */
    const ferryi_trust_entry *proved; /* its proof held (admitted or not) */
    ferry_identity id;                /* what the handler sees */
    ferry_proof scheme;
    int reply_mac;    /* the request asked for a reply proved with mac */
    int accept_mac2;  /* ...and can check one proved with scheme 3 */
    int covers_state; /* ...and one whose proof covers the reply's state */
    uint8_t nonce[FERRYI_NONCE_BYTES];
    int have_nonce;
    int32_t slot; /* replay cache entry, or -1 */
    uint32_t gen;
    uint64_t not_before_ms;                  /* set when refused as older than the server */
    uint8_t reply_nonce[FERRYI_NONCE_BYTES]; /* a scheme 3 reply's, fresh for each */
} ferryi_auth_call;

ferry_status ferryi_auth_init(ferryi_auth *a, const ferry_server_identity *cfg);
void ferryi_auth_fini(ferryi_auth *a);

/* Loads the keyring file again and swaps it in; calls in flight keep the
 * one they were verified against. */
ferry_status ferryi_auth_reload(ferryi_auth *a);

/* Checks the identity block of request header `h` over `body`. */
ferryi_auth_verdict ferryi_auth_check(ferryi_auth *a, const Ferry__Wire__RequestHeader *h,
                                      const uint8_t *body, size_t body_len, ferryi_auth_call *c,
                                      nng_msg **cached, char *why, size_t why_len);

/* Fills the identity of reply header `h` but for its proof, whose bytes in
 * `proof_buf` are left zero: the header then packs to its final size, so
 * the body can be packed into the reply before it is proved. On the refusal
 * of a request older than the server's start, also sets its
 * proof_not_before_ms, which the proof covers. */
void ferryi_auth_reserve_reply(ferryi_auth *a, ferryi_auth_call *c, Ferry__Wire__ReplyHeader *h,
                               Ferry__Wire__Identity *id, uint8_t *proof_buf);

/* Proves reply header `h` (as ferryi_auth_reserve_reply() left it) over
 * `body`, into `proof_buf`. */
void ferryi_auth_prove_reply(ferryi_auth *a, const ferryi_auth_call *c,
                             const Ferry__Wire__ReplyHeader *h, const uint8_t *body,
                             size_t body_len, uint8_t *proof_buf);

/* Keeps a copy of `reply` for retransmits of the call (when there is room). */
void ferryi_auth_store_reply(ferryi_auth *a, ferryi_auth_call *c, nng_msg *reply);

/* Ends the call's identity state: drops its trust reference. */
void ferryi_auth_call_end(ferryi_auth *a, ferryi_auth_call *c);

#endif
