/* client_proof.c - proving a client's requests and checking its replies. */
#include <string.h>

#include <sodium.h>

#include "base/error.h"
#include "base/log.h"
#include "identity/client_proof.h"
#include "identity/keys.h"
#include "identity/mac2.h"

ferry_status ferryi_client_proof_open(ferryi_client_proof *p, const ferry_client_identity *id)
{
    if (id->key == NULL) {
        if (id->proof != FERRY_PROOF_NONE || id->server_key != NULL)
            return ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                                    "an identity proof or server key needs a key");
        return FERRY_OK;
    }
    if (!ferryi_sodium_ready())
        return ferryi_error(FERRY_INTERNAL, "libsodium failed to initialise");
    if (!ferry_key_has_secret(id->key))
        return ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                                "key %s has no secret half; it cannot sign",
                                ferry_key_name(id->key));
    p->proof = id->proof == FERRY_PROOF_NONE ? FERRY_PROOF_SIGNED : id->proof;
    if (p->proof != FERRY_PROOF_SIGNED && p->proof != FERRY_PROOF_MAC)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "identity.proof %d is not a ferry_proof",
                            (int)id->proof);
    if (p->proof == FERRY_PROOF_MAC && id->server_key == NULL)
        return ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                                "mac proofs need the server's public key");
    p->key = ferryi_key_dup(id->key);
    if (p->key == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "key %s: out of memory", id->key->name);
    if (id->server_key != NULL) {
        p->server_key = ferryi_key_dup(id->server_key);
        p->session = sodium_malloc(sizeof *p->session);
        if (p->server_key == NULL || p->session == NULL)
            return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "server key: out of memory");
        if (ferryi_session_client(p->session, p->key, p->server_key->pk) != 0)
            return ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                                    "server key %s is not a valid Ed25519 key",
                                    p->server_key->name);
    }
    return FERRY_OK;
}

void ferryi_client_proof_close(ferryi_client_proof *p)
{
    ferry_key_free(p->key);
    ferry_key_free(p->server_key);
    if (p->session != NULL)
        sodium_free(p->session);
    p->key = p->server_key = NULL;
    p->session = NULL;
}

void ferryi_client_reserve(ferryi_client_proof *p, Ferry__Wire__RequestHeader *h,
                           Ferry__Wire__Identity *idb, uint8_t proof[FERRYI_SIG_BYTES], uint64_t ts,
                           ferryi_attempt_proof *att)
{
    ferry_proof scheme = p->proof;
    if (scheme == FERRY_PROOF_MAC && atomic_load_explicit(&p->mac2, memory_order_relaxed))
        scheme = FERRY_PROOF_MAC2;
    ferryi_nonce(att->nonce);
    att->scheme = (uint8_t)scheme;
    ferry__wire__identity__init(idb);
    idb->key_id.data = p->key->pk;
    idb->key_id.len = FERRY_PUBLIC_KEY_BYTES;
    idb->timestamp_ms = ts;
    idb->nonce.data = att->nonce;
    idb->nonce.len = FERRYI_NONCE_BYTES;
    idb->scheme = (Ferry__Wire__ProofScheme)scheme;
    /* A client that pins the server's key holds the session keys, so it can
     * check a MAC: proving the reply with one spares the server an Ed25519
     * signature and this client a verification, half of a signed call's.
     * It can check scheme 3 as well, and says so until the server has shown
     * it accepts scheme 3 (a scheme 3 request implies it). */
    idb->reply_mac = scheme == FERRY_PROOF_SIGNED && p->session != NULL;
    idb->accept_mac2 = p->session != NULL && scheme != FERRY_PROOF_MAC2;
    /* A client that checks replies asks that their proof cover the reply's
     * state too, so that what it does next (send a call elsewhere, stop
     * using a server, shrink its requests) rests on what the server said
     * (ferryi_client_state()). */
    idb->covers_state = p->server_key != NULL;
    idb->proof.data = proof;
    idb->proof.len = scheme == FERRY_PROOF_SIGNED ? FERRYI_SIG_BYTES
                     : scheme == FERRY_PROOF_MAC  ? FERRYI_MAC_BYTES
                                                  : FERRYI_MAC2_BYTES;
    h->identity = idb;
}

void ferryi_client_prove_body(ferryi_client_proof *p, Ferry__Wire__RequestHeader *h,
                              const uint8_t *body, size_t body_len)
{
    Ferry__Wire__Identity *idb = h->identity;
    ferryi_request_fields f = {
        .scheme = (uint8_t)idb->scheme,
        .key_id = p->key->pk,
        .method = h->method,
        .api_version = h->api_version,
        .call_id = h->call_id,
        .timestamp_ms = idb->timestamp_ms,
        .nonce = idb->nonce.data,
        .deadline_ms = h->deadline_ms,
    };
    size_t n = ferryi_request_prove(&f, h->metadata, h->n_metadata, body, body_len, p->key,
                                    p->session != NULL ? p->session->c2s : NULL, idb->proof.data);
    /* The header was sized with the proof's length; a proof that could not
     * be made goes as zeros, which the server refuses. */
    if (n != idb->proof.len)
        memset(idb->proof.data, 0, idb->proof.len);
}

void ferryi_client_prove(ferryi_client_proof *p, Ferry__Wire__RequestHeader *h,
                         Ferry__Wire__Identity *idb, uint8_t proof[FERRYI_SIG_BYTES],
                         const uint8_t *body, size_t body_len, uint64_t ts,
                         ferryi_attempt_proof *att)
{
    ferryi_client_reserve(p, h, idb, proof, ts, att);
    ferryi_client_prove_body(p, h, body, body_len);
}

/* Whether `h` carries the pinned server's proof over the reply to the
 * request with nonce `nonce`. */
static int holds(const ferryi_client_proof *p, const Ferry__Wire__ReplyHeader *h,
                 const uint8_t *nonce, const uint8_t *body, size_t body_len)
{
    const Ferry__Wire__Identity *id = h->identity;
    if (id == NULL || id->key_id.len != FERRY_PUBLIC_KEY_BYTES ||
        memcmp(id->key_id.data, p->server_key->pk, FERRY_PUBLIC_KEY_BYTES) != 0 ||
        id->nonce.len != FERRYI_NONCE_BYTES ||
        memcmp(id->nonce.data, nonce, FERRYI_NONCE_BYTES) != 0)
        return 0;
    if (id->scheme == FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2 &&
        id->reply_nonce.len != FERRYI_NONCE_BYTES)
        return 0;
    ferryi_reply_fields f = {
        .scheme = (uint8_t)id->scheme,
        .call_id = h->call_id,
        .status = h->status,
        .nonce = nonce,
        .reply_nonce = id->reply_nonce.data,
        .message = h->message,
        .not_before_ms = h->proof_not_before_ms,
    };
    ferryi_reply_state(&f, h);
    return ferryi_reply_holds(&f, body, body_len, p->server_key->pk,
                              p->session != NULL ? p->session->s2c : NULL, id->proof.data,
                              id->proof.len);
}

int ferryi_client_state(ferryi_client_proof *p, const Ferry__Wire__ReplyHeader *h)
{
    if (p->server_key == NULL)
        return FERRYI_STATE_PROVED;
    /* Only a MAC under this client's own session keys binds the reply to
     * it. A signature binds it to no client: another holder of a key
     * could ask the server for a signed refusal of its own request that
     * carries this client's nonce and call id, covered not_run and all, and
     * a stranger on the path could hand it to this client. The server
     * proves every reply that covers the state of a pinning client's
     * request with a MAC (the client asks for one), so a covered reply
     * signed is not one it sent for this client. */
    const Ferry__Wire__Identity *id = h->identity;
    if (id != NULL && id->covers_state &&
        (id->scheme == FERRY__WIRE__PROOF_SCHEME__PROOF_MAC ||
         id->scheme == FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2)) {
        /* Read first: calls in flight need not all write the same line. */
        if (!atomic_load_explicit(&p->state_seen, memory_order_relaxed))
            atomic_store_explicit(&p->state_seen, 1, memory_order_relaxed);
        return FERRYI_STATE_PROVED;
    }
    return atomic_load_explicit(&p->state_seen, memory_order_relaxed) ? FERRYI_STATE_IGNORED
                                                                      : FERRYI_STATE_UNCOVERED;
}

int ferryi_client_reply_proved(ferryi_client_proof *p, const Ferry__Wire__ReplyHeader *h,
                               const ferryi_attempt_proof *att, const uint8_t *body,
                               size_t body_len)
{
    static const uint8_t no_nonce[FERRYI_NONCE_BYTES];
    if (p->server_key == NULL)
        return FERRYI_REPLY_PROVED;
    if (!holds(p, h, att->nonce, body, body_len) &&
        !(h->call_id == 0 && holds(p, h, no_nonce, body, body_len)))
        return FERRYI_REPLY_UNPROVED;
    if (p->proof != FERRY_PROOF_MAC)
        return FERRYI_REPLY_PROVED;
    /* Only the server can prove a reply with scheme 3, and it does so only
     * when it accepts scheme 3 requests: the channel moves to scheme 3. A
     * server that accepts them proves with scheme 3 every reply to a scheme 3
     * request whose proof held, refusals included; so a refusal of the
     * caller's identity proved otherwise came before any check that could
     * let a handler run, from a server that does not accept scheme 3 (any
     * more) or one that found the request altered or mistimed. The channel
     * goes back to mac, still asking for scheme 3 replies, and the request
     * may be proved again and sent once more; a server that accepts scheme
     * 3 moves the channel forward again with its next reply (docs/wire.md,
     * "Choosing mac or mac2"). */
    int v2 = h->identity->scheme == FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2;
    int back = !v2 && att->scheme == FERRY_PROOF_MAC2 && h->status == FERRY_UNAUTHENTICATED;
    int want = v2 ? 1 : back ? 0 : -1;
    /* Read first: calls in flight need not all write the same line. */
    if (want >= 0 && atomic_load_explicit(&p->mac2, memory_order_relaxed) != want)
        atomic_store_explicit(&p->mac2, want, memory_order_relaxed);
    return back ? FERRYI_REPLY_PROVE_AGAIN : FERRYI_REPLY_PROVED;
}
