/* client_proof.h - a client's side of identity: proving each attempt of a
 * request, checking the proof of its reply, and the choice between mac's two
 * versions that a channel makes from what its server has shown (docs/wire.md,
 * "Choosing mac or mac2"). */
#ifndef FERRYI_CLIENT_PROOF_H
#define FERRYI_CLIENT_PROOF_H

#include <stdatomic.h>
#include <stdint.h>

#include "ferry/channel.h"
#include "ferry/wire.pb-c.h"
#include "identity/proof.h"

/* One channel's identity. */
typedef struct ferryi_client_proof {
    ferry_key *key;               /* the client's; NULL when anonymous */
    ferry_proof proof;            /* as configured: signed or mac */
    ferry_key *server_key;        /* the pinned server key, or NULL */
    ferryi_session_keys *session; /* with server_key; in sodium_malloc memory */
    /* A reply of the server's proved with scheme 3, which only a server that
     * accepts scheme 3 requests sends: a mac channel then proves with it. */
    atomic_int mac2;
    /* A reply whose proof covered its state has come: the server covers
     * it, so a reply that does not had its request's covers_state cleared
     * on the way (or comes from an older server put in its place). */
    atomic_int state_seen;
} ferryi_client_proof;

/* What a client keeps of an attempt's proof, to check its reply. */
typedef struct ferryi_attempt_proof {
    uint8_t nonce[FERRYI_NONCE_BYTES];
    uint8_t scheme; /* a ferry_proof */
} ferryi_attempt_proof;

/* What ferryi_client_reply_proved() found. */
enum {
    FERRYI_REPLY_UNPROVED = 0,
    FERRYI_REPLY_PROVED = 1,
    /* Proved, and a refusal of a scheme 3 request that no handler saw: the
     * server does not accept scheme 3 (any more). The channel is back on
     * mac; the request may be proved again with it and sent once more. */
    FERRYI_REPLY_PROVE_AGAIN = 2,
};

/* Takes the identity options into `p` (zeroed): copies the keys and derives
 * the session keys. On failure `p` may hold part of them: close it. */
ferry_status ferryi_client_proof_open(ferryi_client_proof *p, const ferry_client_identity *id);
void ferryi_client_proof_close(ferryi_client_proof *p);

/* Readies request header `h` for a proof at timestamp `ts` with a fresh
 * nonce: `att` keeps the nonce and the scheme used; `idb` and `proof` hold
 * what h->identity then points to, the proof already of its final length,
 * so that the header can be sized and the body packed where it is sent
 * before ferryi_client_prove_body() computes the proof. Needs p->key. */
void ferryi_client_reserve(ferryi_client_proof *p, Ferry__Wire__RequestHeader *h,
                           Ferry__Wire__Identity *idb, uint8_t proof[FERRYI_SIG_BYTES], uint64_t ts,
                           ferryi_attempt_proof *att);

/* Computes the proof ferryi_client_reserve() readied `h` for, over `body`.
 * A proof that cannot be made (a method name too long for the canonical
 * string) goes as zeros of the reserved length, which the server refuses
 * as a proof that does not hold. */
void ferryi_client_prove_body(ferryi_client_proof *p, Ferry__Wire__RequestHeader *h,
                              const uint8_t *body, size_t body_len);

/* Both: proves `h` over a body already packed. */
void ferryi_client_prove(ferryi_client_proof *p, Ferry__Wire__RequestHeader *h,
                         Ferry__Wire__Identity *idb, uint8_t proof[FERRYI_SIG_BYTES],
                         const uint8_t *body, size_t body_len, uint64_t ts,
                         ferryi_attempt_proof *att);

/* Whether reply header `h` over `body` is the pinned server's answer to
 * attempt `att` (or, with call id 0, to a request it could not read): a
 * FERRYI_REPLY_ value, always proved on a channel that pins no key. A
 * proved reply also moves a mac channel between mac's versions. */
int ferryi_client_reply_proved(ferryi_client_proof *p, const Ferry__Wire__ReplyHeader *h,
                               const ferryi_attempt_proof *att, const uint8_t *body,
                               size_t body_len);

/* What a client may take of the state of reply `h` (draining, not_run,
 * max_request, api_min, api_max), which ferryi_client_reply_proved() found
 * proved. */
enum {
    /* The server's word: the reply's proof covers it, or the channel pins
     * no key (and so cannot tell any field's author). */
    FERRYI_STATE_PROVED = 2,
    /* Not covered, from a server that never covers it (it predates that):
     * taken as before, not_run excepted. */
    FERRYI_STATE_UNCOVERED = 1,
    /* Not covered, though the server has covered it before: none of it. */
    FERRYI_STATE_IGNORED = 0,
};
int ferryi_client_state(ferryi_client_proof *p, const Ferry__Wire__ReplyHeader *h);

#endif
