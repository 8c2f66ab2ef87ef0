/* auth.c - verifying requests, remembering nonces, proving replies.
 *
 * The replay cache remembers every verified (key, nonce) in a ring of `cap`
 * entries, in arrival order, indexed by a hash table. An entry leaves
 * the ring when its timestamp falls out of the skew window (then the
 * timestamp check refuses any replay of it), or when the ring is full; then
 * its key's floor rises to its timestamp and that key's requests at or before
 * the floor are refused as too old. Either way no nonce is forgotten while a
 * request carrying it could still be accepted.
 *
 * The cache lives in memory, so it starts empty with the process: a request
 * proved before the server started might have run in the process before, and
 * is refused. The refusal names the start, from which an honest client
 * proves the request again (docs/security.md, "Restarts").
 *
 * The index is an open-addressing table of twice the ring's size, each slot
 * an entry's hash and place in the ring: 8 bytes, so a look-up reads one or
 * two cache lines and no ring entry but the one it finds. A full ring holds
 * 10 MB, far more than the caches, and a chained index read ring entries at
 * random on every look-up and eviction; that was most of a mac request's
 * time in the cache. The hash is SipHash under a key drawn at start, so no
 * caller can choose nonces that pile up in one run of slots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identity/auth.h"
#include "identity/mac2.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/log.h"

#define DEFAULT_SKEW_MS        300000u
#define DEFAULT_REPLY_CACHE_MS 30000u
#define DEFAULT_ENTRIES        65536u
#define REPLY_CACHE_MAX_BYTES  (8u * 1024u * 1024u)

enum { E_FREE, E_RUNNING, E_DONE };

int ferryi_auth_test_no_mac2;
int ferryi_auth_test_no_state;
int ferryi_auth_test_plain_hash;

struct ferryi_replay_entry {
    uint8_t pk[FERRY_PUBLIC_KEY_BYTES];
    uint8_t nonce[FERRYI_NONCE_BYTES];
    uint8_t proof[FERRYI_SIG_BYTES];
    uint8_t proof_len;
    uint8_t state;
    uint32_t gen;
    uint32_t hash; /* of the nonce: where its slot is */
    uint64_t ts;   /* the request's timestamp */
    /* The reply's bytes, kept for retransmits (one malloc'd block: cheaper
     * to keep and free than an nng message, and sent again seldom), or NULL. */
    uint8_t *reply;
    size_t reply_len;
    uint64_t reply_until; /* monotonic ms */
};

/* A slot of the index: free when idx is -1. */
struct ferryi_replay_slot {
    uint32_t hash;
    int32_t idx;
};

/* ------------------------------------------------------------------------
 * Trust: a keyring and the session keys of each of its keys
 * ---------------------------------------------------------------------- */

static void trust_unref(ferryi_trust *t)
{
    if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    if (t->keys != NULL)
        sodium_free(t->keys);
    free(t->v);
    ferry_keyring_free(t->kr);
    free(t);
}

static ferry_status trust_load(ferryi_auth *a, ferryi_trust **out)
{
    ferry_keyring *kr = NULL;
    ferry_status st = ferry_keyring_load(&kr, a->keyring_path);
    if (st != FERRY_OK)
        return st;
    ferryi_trust *t = calloc(1, sizeof *t);
    if (t == NULL) {
        ferry_keyring_free(kr);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", a->keyring_path);
    }
    atomic_init(&t->refs, 1);
    t->kr = kr;
    size_t n = kr->n ? kr->n : 1;
    t->v = calloc(n, sizeof *t->v);
    t->keys = sodium_malloc(n * sizeof *t->keys);
    if (t->v == NULL || t->keys == NULL) {
        trust_unref(t);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", a->keyring_path);
    }
    for (size_t i = 0; i < kr->n; i++) {
        t->v[i].ke = &kr->v[i];
        t->v[i].keys = &t->keys[i];
        if (ferryi_session_server(&t->keys[i], a->key, kr->v[i].pk) != 0) {
            ferryi_error(FERRY_INVALID_ARGUMENT,
                         "%s:%u: the key of %s is not a valid Ed25519 public key", a->keyring_path,
                         kr->v[i].line, kr->v[i].name);
            trust_unref(t);
            return FERRY_INVALID_ARGUMENT;
        }
    }
    *out = t;
    return FERRY_OK;
}

static const ferryi_trust_entry *trust_find(const ferryi_trust *t, const uint8_t *pk)
{
    const ferryi_keyring_entry *e = ferryi_keyring_find(t->kr, pk);
    return e != NULL ? &t->v[e - t->kr->v] : NULL;
}

/* ------------------------------------------------------------------------
 * Set-up
 * ---------------------------------------------------------------------- */

ferry_status ferryi_auth_init(ferryi_auth *a, const ferry_server_identity *cfg)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    if (cfg->key == NULL || !ferry_key_has_secret(cfg->key) || cfg->keyring_path == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "a server identity needs the server's secret key and a keyring");
    if (!ferryi_sodium_ready())
        return ferryi_error(FERRY_INTERNAL, "libsodium failed to initialise");
    a->key = ferryi_key_dup(cfg->key);
    a->keyring_path = strdup(cfg->keyring_path);
    a->allow_anonymous = cfg->allow_anonymous;
    a->skew_ms = cfg->skew_ms ? cfg->skew_ms : DEFAULT_SKEW_MS;
    a->started_ms = ferryi_wall_ms();
    a->reply_cache_ms = cfg->reply_cache_ms ? cfg->reply_cache_ms : DEFAULT_REPLY_CACHE_MS;
    a->reply_cache_max_bytes = REPLY_CACHE_MAX_BYTES;
    a->no_mac2 = ferryi_auth_test_no_mac2;
    a->no_state = ferryi_auth_test_no_state;
    a->plain_hash = ferryi_auth_test_plain_hash;
    a->cap = cfg->replay_cache_entries ? cfg->replay_cache_entries : DEFAULT_ENTRIES;
    if (a->cap > (1u << 26))
        a->cap = 1u << 26;
    /* At most half full, so a probe ends within a few slots. */
    a->nslots = 2;
    while (a->nslots < 2 * a->cap)
        a->nslots <<= 1;
    a->ring = calloc(a->cap, sizeof *a->ring);
    a->slots = malloc(a->nslots * sizeof *a->slots);
    if (a->key == NULL || a->keyring_path == NULL || a->ring == NULL || a->slots == NULL) {
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (size_t i = 0; i < a->nslots; i++)
        a->slots[i].idx = -1;
    randombytes_buf(a->hash_key, sizeof a->hash_key);
    return trust_load(a, &a->trust);
}

void ferryi_auth_fini(ferryi_auth *a)
{
    if (a->ring != NULL)
        for (size_t i = 0; i < a->cap; i++)
            free(a->ring[i].reply);
    free(a->ring);
    free(a->slots);
    trust_unref(a->trust);
    ferry_key_free(a->key);
    free(a->keyring_path);
    pthread_mutex_destroy(&a->mu);
}

ferry_status ferryi_auth_reload(ferryi_auth *a)
{
    ferryi_trust *t = NULL;
    ferry_status st = trust_load(a, &t);
    if (st != FERRY_OK)
        return st;
    pthread_mutex_lock(&a->mu);
    ferryi_trust *old = a->trust;
    /* A key that stays keeps its floor, so a reload opens no replay window. */
    for (size_t i = 0; i < t->kr->n; i++) {
        const ferryi_trust_entry *was = trust_find(old, t->kr->v[i].pk);
        if (was != NULL)
            t->v[i].floor_ts = was->floor_ts;
    }
    a->trust = t;
    pthread_mutex_unlock(&a->mu);
    trust_unref(old);
    ferryi_log(FERRYI_LOG_INFO, "server", "keyring %s reloaded: %zu keys", a->keyring_path,
               t->kr->n);
    return FERRY_OK;
}

/* ------------------------------------------------------------------------
 * The replay cache (a->mu held)
 * ---------------------------------------------------------------------- */

static uint32_t hash_of(const ferryi_auth *a, const uint8_t *nonce)
{
    uint32_t v;
    if (a->plain_hash) {
        memcpy(&v, nonce, sizeof v);
        return v;
    }
    uint8_t h[crypto_shorthash_siphash24_BYTES];
    crypto_shorthash_siphash24(h, nonce, FERRYI_NONCE_BYTES, a->hash_key);
    memcpy(&v, h, sizeof v);
    return v;
}

static void drop_reply(ferryi_auth *a, ferryi_replay_entry *e)
{
    if (e->reply == NULL)
        return;
    a->reply_bytes -= e->reply_len;
    free(e->reply);
    e->reply = NULL;
}

static void index_add(ferryi_auth *a, uint32_t hash, int32_t idx)
{
    size_t mask = a->nslots - 1, i = hash & mask;
    while (a->slots[i].idx != -1)
        i = (i + 1) & mask;
    a->slots[i].hash = hash;
    a->slots[i].idx = idx;
}

/* Takes entry `idx` out of the index. The slots after it, up to a free one,
 * that would no longer be found past the hole move back into it (linear
 * probing's deletion: no tombstones, so probes stay short however long the
 * server runs). */
static void index_remove(ferryi_auth *a, uint32_t hash, int32_t idx)
{
    size_t mask = a->nslots - 1, hole = hash & mask;
    while (a->slots[hole].idx != idx) {
        if (a->slots[hole].idx == -1)
            return; /* not indexed: cannot happen, and nothing to undo */
        hole = (hole + 1) & mask;
    }
    for (size_t j = (hole + 1) & mask; a->slots[j].idx != -1; j = (j + 1) & mask) {
        size_t home = a->slots[j].hash & mask;
        /* Stays when its home lies cyclically in (hole, j]. */
        if (((j - home) & mask) < ((j - hole) & mask))
            continue;
        a->slots[hole] = a->slots[j];
        hole = j;
    }
    a->slots[hole].idx = -1;
}

static void unlink_entry(ferryi_auth *a, int32_t idx)
{
    ferryi_replay_entry *e = &a->ring[idx];
    index_remove(a, e->hash, idx);
    drop_reply(a, e);
    e->state = E_FREE;
}

/* Frees the oldest entry; when it could still be replayed, raises its key's
 * floor so that it cannot. */
static void evict_oldest(ferryi_auth *a, uint64_t now_wall)
{
    size_t oldest = (a->head + a->cap - a->count) % a->cap;
    ferryi_replay_entry *e = &a->ring[oldest];
    if (e->ts + a->skew_ms >= now_wall) {
        const ferryi_trust_entry *te = trust_find(a->trust, e->pk);
        if (te != NULL && ((ferryi_trust_entry *)te)->floor_ts < e->ts)
            ((ferryi_trust_entry *)te)->floor_ts = e->ts;
    }
    unlink_entry(a, (int32_t)oldest);
    a->count--;
}

static void expire(ferryi_auth *a, uint64_t now_wall, uint64_t now_mono)
{
    while (a->count > 0) {
        size_t oldest = (a->head + a->cap - a->count) % a->cap;
        if (a->ring[oldest].ts + a->skew_ms >= now_wall)
            break;
        unlink_entry(a, (int32_t)oldest);
        a->count--;
    }
    /* Replies past their time go, oldest first, up to one still wanted. */
    if (a->reply_seq < a->seq - a->count)
        a->reply_seq = a->seq - a->count;
    while (a->reply_seq < a->seq) {
        ferryi_replay_entry *e = &a->ring[a->reply_seq % a->cap];
        if (e->state == E_RUNNING || (e->reply != NULL && e->reply_until > now_mono))
            break;
        drop_reply(a, e);
        a->reply_seq++;
    }
}

static int32_t lookup(ferryi_auth *a, const uint8_t *pk, const uint8_t *nonce, uint32_t hash)
{
    size_t mask = a->nslots - 1;
    for (size_t i = hash & mask; a->slots[i].idx != -1; i = (i + 1) & mask) {
        if (a->slots[i].hash != hash)
            continue;
        const ferryi_replay_entry *e = &a->ring[a->slots[i].idx];
        if (memcmp(e->nonce, nonce, FERRYI_NONCE_BYTES) == 0 &&
            memcmp(e->pk, pk, FERRY_PUBLIC_KEY_BYTES) == 0)
            return a->slots[i].idx;
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * Verification
 * ---------------------------------------------------------------------- */

static ferryi_auth_verdict refuse(ferryi_auth *a, int counter, char *why, size_t why_len,
                                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static ferryi_auth_verdict refuse(ferryi_auth *a, int counter, char *why, size_t why_len,
                                  const char *fmt, ...)
{
    atomic_fetch_add(&a->n[counter], 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return FERRYI_AUTH_REJECT;
}

ferryi_auth_verdict ferryi_auth_check(ferryi_auth *a, const Ferry__Wire__RequestHeader *h,
                                      const uint8_t *body, size_t body_len, ferryi_auth_call *c,
                                      nng_msg **cached, char *why, size_t why_len)
{
    memset(c, 0, sizeof *c);
    c->slot = -1;
    *cached = NULL;
    const Ferry__Wire__Identity *idb = h->identity;
    if (idb == NULL || idb->scheme == FERRY__WIRE__PROOF_SCHEME__PROOF_NONE) {
        if (a->allow_anonymous) {
            atomic_fetch_add(&a->n[FERRYI_AUTH_ANONYMOUS], 1);
            return FERRYI_AUTH_RUN;
        }
        return refuse(a, FERRYI_AUTH_MISSING, why, why_len,
                      "request carries no proof of identity, and this server refuses anonymous "
                      "callers");
    }
    int mac2 = !a->no_mac2;
    if (idb->key_id.len != FERRY_PUBLIC_KEY_BYTES || idb->nonce.len != FERRYI_NONCE_BYTES ||
        (idb->scheme != FERRY__WIRE__PROOF_SCHEME__PROOF_SIGNED &&
         idb->scheme != FERRY__WIRE__PROOF_SCHEME__PROOF_MAC &&
         (idb->scheme != FERRY__WIRE__PROOF_SCHEME__PROOF_MAC2 || !mac2)))
        return refuse(a, FERRYI_AUTH_MALFORMED, why, why_len,
                      "malformed identity block (key id of %zu bytes, nonce of %zu, scheme %d)",
                      idb->key_id.len, idb->nonce.len, (int)idb->scheme);
    memcpy(c->nonce, idb->nonce.data, FERRYI_NONCE_BYTES);
    c->have_nonce = 1;
    c->scheme = (ferry_proof)idb->scheme;
    c->reply_mac = idb->reply_mac;
    c->accept_mac2 = idb->accept_mac2 && mac2;

    uint64_t now = ferryi_wall_ms();
    uint64_t ts = idb->timestamp_ms;
    if (ts + a->skew_ms < now || ts > now + a->skew_ms) {
        int old = ts < now;
        uint64_t off = old ? now - ts : ts - now;
        return refuse(a, FERRYI_AUTH_BAD_TIMESTAMP, why, why_len,
                      "request timestamp is %llu.%03llu s in the %s; the window is ±%llu s "
                      "(check the clocks)",
                      (unsigned long long)(off / 1000), (unsigned long long)(off % 1000),
                      old ? "past" : "future", (unsigned long long)(a->skew_ms / 1000));
    }
    if (ts < a->started_ms) {
        /* Proved before this process started: the nonces seen before are
         * gone with the last process, so a replay could not be told from a
         * new request. The reply names the start; a ferry client proves the
         * request again from there. */
        c->not_before_ms = a->started_ms;
        return refuse(a, FERRYI_AUTH_BAD_TIMESTAMP, why, why_len,
                      "request proved %llu ms before this server started; prove it again with "
                      "a timestamp at or after proof_not_before_ms",
                      (unsigned long long)(a->started_ms - ts));
    }

    pthread_mutex_lock(&a->mu);
    ferryi_trust *t = a->trust;
    atomic_fetch_add(&t->refs, 1);
    pthread_mutex_unlock(&a->mu);
    c->trust = t;
    const ferryi_trust_entry *who = trust_find(t, idb->key_id.data);
    if (who == NULL) {
        char b64[FERRY_PUBLIC_KEY_B64];
        sodium_bin2base64(b64, sizeof b64, idb->key_id.data, FERRY_PUBLIC_KEY_BYTES,
                          sodium_base64_VARIANT_ORIGINAL);
        return refuse(a, FERRYI_AUTH_UNKNOWN_KEY, why, why_len,
                      "key %s is not in this server's keyring", b64);
    }

    ferryi_request_fields f = {
        .scheme = (uint8_t)idb->scheme,
        .key_id = idb->key_id.data,
        .method = h->method,
        .api_version = h->api_version,
        .call_id = h->call_id,
        .timestamp_ms = ts,
        .nonce = idb->nonce.data,
        .deadline_ms = h->deadline_ms,
    };
    if (!ferryi_request_holds(&f, h->metadata, h->n_metadata, body, body_len, who->ke->pk,
                              who->keys->c2s, idb->proof.data, idb->proof.len))
        return refuse(a, FERRYI_AUTH_BAD_PROOF, why, why_len,
                      "the %s of %s's request does not verify (wrong key, or the request was "
                      "altered)",
                      c->scheme == FERRY_PROOF_SIGNED ? "signature" : "MAC", who->ke->name);

    /* The proof holds: now the nonce. */
    c->proved = who;
    ferryi_auth_verdict v = FERRYI_AUTH_RUN;
    uint32_t hash = hash_of(a, idb->nonce.data);
    pthread_mutex_lock(&a->mu);
    uint64_t mono = ferryi_now_ms();
    expire(a, now, mono);
    const ferryi_trust_entry *cur = trust_find(a->trust, idb->key_id.data);
    int32_t i = lookup(a, idb->key_id.data, idb->nonce.data, hash);
    if (i >= 0) {
        ferryi_replay_entry *e = &a->ring[i];
        int same =
            e->proof_len == idb->proof.len && memcmp(e->proof, idb->proof.data, e->proof_len) == 0;
        if (!same) {
            v = refuse(a, FERRYI_AUTH_REPLAYED, why, why_len,
                       "nonce already used by another request of %s (a replay)", who->ke->name);
        } else if (e->state == E_RUNNING) {
            atomic_fetch_add(&a->n[FERRYI_AUTH_RETRANSMITS], 1);
            v = FERRYI_AUTH_DROP;
        } else if (e->reply != NULL && e->reply_until > mono &&
                   nng_msg_alloc(cached, e->reply_len) == 0) {
            memcpy(nng_msg_body(*cached), e->reply, e->reply_len);
            atomic_fetch_add(&a->n[FERRYI_AUTH_RETRANSMITS], 1);
            v = FERRYI_AUTH_RESEND;
        } else {
            v = refuse(a, FERRYI_AUTH_REPLAYED, why, why_len,
                       "request of %s seen before and its reply is no longer kept (a replay)",
                       who->ke->name);
        }
    } else if (cur != NULL && ts <= cur->floor_ts) {
        v = refuse(a, FERRYI_AUTH_BAD_TIMESTAMP, why, why_len,
                   "request of %s is older than the replay cache remembers; resend it",
                   who->ke->name);
    } else {
        if (a->count == a->cap)
            evict_oldest(a, now);
        size_t slot = a->head;
        a->head = (a->head + 1) % a->cap;
        a->count++;
        a->seq++;
        ferryi_replay_entry *e = &a->ring[slot];
        memcpy(e->pk, idb->key_id.data, FERRY_PUBLIC_KEY_BYTES);
        memcpy(e->nonce, idb->nonce.data, FERRYI_NONCE_BYTES);
        e->proof_len = (uint8_t)idb->proof.len;
        memcpy(e->proof, idb->proof.data, idb->proof.len);
        e->state = E_RUNNING;
        e->gen = ++a->gen;
        e->ts = ts;
        e->reply = NULL;
        e->hash = hash;
        index_add(a, hash, (int32_t)slot);
        c->slot = (int32_t)slot;
        c->gen = e->gen;
        /* The reply's state is proved only from here on: this request, whose
         * proof held, is the first with its nonce, so whatever the reply
         * says of it (not_run above all) is true of the request the client
         * sent. A refusal of a copy (altered, mistimed, replayed) never
         * covers it: else a stranger could send one and pass its not_run
         * off as the answer to a request that ran. */
        c->covers_state = idb->covers_state && !a->no_state;
    }
    pthread_mutex_unlock(&a->mu);
    if (v != FERRYI_AUTH_RUN)
        return v;

    atomic_fetch_add(&a->n[FERRYI_AUTH_VERIFIED], 1);
    c->who = who;
    c->id.name = who->ke->name;
    c->id.roles = (const char *const *)who->ke->roles;
    c->id.n_roles = who->ke->n_roles;
    c->id.public_key = who->ke->pk;
    c->id.proof = c->scheme;
    return FERRYI_AUTH_RUN;
}

/* ------------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------- */

/* A MAC needs the caller's session keys, so only a caller whose proof held
 * gets one. A request of scheme 3 gets scheme 3, refusals after its proof
 * held included (a replay, say): a client takes a refusal of a scheme 3
 * request proved otherwise as one that came before any handler could run
 * (identity/client_proof.c). A verified request of scheme 2, or a signed
 * one that asked for a mac reply (its client pins this server's key), gets
 * mac, in its second version when the client can check it. Anyone else,
 * refusals of other requests included, gets a signature. */
static ferry_proof reply_scheme(const ferryi_auth_call *c)
{
    if (c->proved != NULL && c->scheme == FERRY_PROOF_MAC2)
        return FERRY_PROOF_MAC2;
    if (c->who == NULL || !(c->scheme == FERRY_PROOF_MAC || c->reply_mac))
        return FERRY_PROOF_SIGNED;
    return c->accept_mac2 ? FERRY_PROOF_MAC2 : FERRY_PROOF_MAC;
}

void ferryi_auth_reserve_reply(ferryi_auth *a, ferryi_auth_call *c, Ferry__Wire__ReplyHeader *h,
                               Ferry__Wire__Identity *id, uint8_t *proof_buf)
{
    static const uint8_t zero_nonce[FERRYI_NONCE_BYTES];
    ferry_proof scheme = reply_scheme(c);
    size_t plen = scheme == FERRY_PROOF_SIGNED ? FERRYI_SIG_BYTES
                  : scheme == FERRY_PROOF_MAC  ? FERRYI_MAC_BYTES
                                               : FERRYI_MAC2_BYTES;
    memset(proof_buf, 0, plen);
    h->proof_not_before_ms = c->not_before_ms;
    ferry__wire__identity__init(id);
    id->key_id.data = a->key->pk;
    id->key_id.len = FERRY_PUBLIC_KEY_BYTES;
    id->nonce.data = (uint8_t *)(c->have_nonce ? c->nonce : zero_nonce);
    id->nonce.len = FERRYI_NONCE_BYTES;
    id->scheme = (Ferry__Wire__ProofScheme)scheme;
    id->proof.data = proof_buf;
    id->proof.len = plen;
    if (scheme == FERRY_PROOF_MAC2) {
        /* Poly1305 must never prove two messages under one key, and a
         * request's nonce can come back in another request (a replay, a
         * retransmit) whose answer differs; so every reply draws its own
         * nonce, and its one-time key with it (docs/wire.md, "The mac2
         * proof"). */
        ferryi_nonce(c->reply_nonce);
        id->reply_nonce.data = c->reply_nonce;
        id->reply_nonce.len = FERRYI_NONCE_BYTES;
    }
    id->covers_state = c->covers_state;
    h->identity = id;
}

void ferryi_auth_prove_reply(ferryi_auth *a, const ferryi_auth_call *c,
                             const Ferry__Wire__ReplyHeader *h, const uint8_t *body,
                             size_t body_len, uint8_t *proof_buf)
{
    const Ferry__Wire__Identity *id = h->identity;
    ferryi_reply_fields f = {
        .scheme = (uint8_t)id->scheme,
        .call_id = h->call_id,
        .status = h->status,
        .nonce = id->nonce.data,
        .reply_nonce = c->reply_nonce,
        .message = h->message,
        .not_before_ms = h->proof_not_before_ms,
    };
    ferryi_reply_state(&f, h);
    ferryi_reply_prove(&f, body, body_len, a->key, c->proved != NULL ? c->proved->keys->s2c : NULL,
                       proof_buf);
}

void ferryi_auth_store_reply(ferryi_auth *a, ferryi_auth_call *c, nng_msg *reply)
{
    if (c->slot < 0)
        return;
    /* The copy is made before the lock is taken, when there seems to be
     * room, so that the lock is held for a few stores only; it is dropped
     * when there is no room after all. */
    uint8_t *copy = NULL;
    size_t n = nng_msg_len(reply);
    size_t used = atomic_load_explicit(&a->reply_bytes, memory_order_relaxed);
    if (used + n <= a->reply_cache_max_bytes && (copy = malloc(n > 0 ? n : 1)) != NULL)
        memcpy(copy, nng_msg_body(reply), n);
    uint64_t until = ferryi_now_ms() + a->reply_cache_ms;
    pthread_mutex_lock(&a->mu);
    ferryi_replay_entry *e = &a->ring[c->slot];
    if (e->state == E_RUNNING && e->gen == c->gen) {
        e->state = E_DONE;
        if (copy != NULL && a->reply_bytes + n <= a->reply_cache_max_bytes) {
            e->reply = copy;
            e->reply_len = n;
            copy = NULL;
            a->reply_bytes += n;
            e->reply_until = until;
        }
    }
    pthread_mutex_unlock(&a->mu);
    free(copy);
    c->slot = -1;
}

void ferryi_auth_call_end(ferryi_auth *a, ferryi_auth_call *c)
{
    if (c->slot >= 0) {
        /* Ended without a reply: a retransmit can only be refused now. */
        pthread_mutex_lock(&a->mu);
        ferryi_replay_entry *e = &a->ring[c->slot];
        if (e->state == E_RUNNING && e->gen == c->gen)
            e->state = E_DONE;
        pthread_mutex_unlock(&a->mu);
        c->slot = -1;
    }
    trust_unref(c->trust);
    c->trust = NULL;
    c->who = NULL;
    c->proved = NULL;
}
