/* fuzz_reply.c - fuzz target for a remote channel's reading of replies
 * (runtime/src/client.c: the frame, the reply header, the server's proof
 * over it, the body) on a channel that pins its server's key.
 *
 * A server of the target's own, an nng rep0 socket on inproc://, answers
 * each call of ferrytest.v1.Probe/Write with a reply it proves with the
 * pinned key, then edits the reply's frame with the input before sending it.
 * The input starts with a flags byte (bit 0: prove the reply with a MAC
 * rather than a signature); the rest are edits of three bytes: position (two
 * bytes, the top two bits choosing xor, insert or delete) and a byte.
 *
 * The call's outcome must agree with a second reading of the edited reply:
 * it succeeds, with the body the server sent, exactly when the reply still
 * splits and decodes and every field the proof covers (docs/wire.md: the
 * server's key id, scheme, proof, call id, status, message, the request's
 * nonce, proof_not_before_ms and the body) reads as proved; otherwise it
 * fails as unauthenticated (or, when the reply does not decode, as a
 * protocol error), never with a status the edited reply named. Then the channel
 * must be as it was: a second call reaches the server and takes its proved,
 * unedited reply. Any disagreement aborts, for the fuzzer to report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <sodium.h>

#include "wire/envelope.h"
#include "wire/headers.h"
#include "ferrytest/v1/probe.ferry.h"
#include "ferrytest/v1/probe.pb-c.h"
#include "identity/keys.h"
#include "identity/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define URL       "inproc://fuzz_reply"
#define MAX_EDITS 64

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_reply: %s\n", what);
    abort();
}

static ferry_key *server_key, *client_key;
static ferryi_session_keys server_session; /* the server's side with the client */
static nng_socket rep;
static ferry_channel *ch;
static const ferry_method *write_method;
static pthread_t server_thread;

/* What the current call's reply is edited with, and what the server sent:
 * handed between the fuzzing thread and the server under `mu`. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t flags;
static const uint8_t *edits;
static size_t n_edits;
static uint8_t nonce[FERRYI_NONCE_BYTES];
static uint64_t call_id;
static uint8_t proof[FERRYI_SIG_BYTES];
static size_t proof_len;
static uint8_t body[64];
static size_t body_len;
static uint8_t sent[8192];
static size_t sent_len;
static int answered;

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

/* Answers one request: the proved reply, edited. */
static void answer(nng_msg *req)
{
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    Ferry__Wire__RequestHeader *h = NULL;
    if (ferryi_frame_split(nng_msg_body(req), nng_msg_len(req), FERRYI_KIND_REQUEST, &f, why,
                           sizeof why) != FERRY_OK ||
        ferryi_request_header_decode(&f, NULL, &h, why, sizeof why) != FERRY_OK ||
        h->identity == NULL || h->identity->nonce.len != FERRYI_NONCE_BYTES)
        fail("the channel sent a request without a nonce");

    pthread_mutex_lock(&mu);
    memcpy(nonce, h->identity->nonce.data, FERRYI_NONCE_BYTES);
    call_id = h->call_id;
    ferry__wire__request_header__free_unpacked(h, NULL);

    Ferrytest__V1__EchoReply out = FERRYTEST__V1__ECHO_REPLY__INIT;
    out.text = "ok";
    body_len = ferrytest__v1__echo_reply__pack(&out, body);
    ferry_proof scheme = (flags & 1) ? FERRY_PROOF_MAC : FERRY_PROOF_SIGNED;
    ferryi_reply_fields rf = {
        .scheme = (uint8_t)scheme,
        .call_id = call_id,
        .status = FERRY_OK,
        .nonce = nonce,
        .message = "",
    };
    ferryi_hash(rf.body_hash, body, body_len);
    uint8_t canon[FERRYI_CANON_MAX];
    size_t len = ferryi_reply_canonical(&rf, canon);
    proof_len = ferryi_prove(scheme, server_key, server_session.s2c, canon, len, proof);

    Ferry__Wire__Identity id = FERRY__WIRE__IDENTITY__INIT;
    id.key_id = (ProtobufCBinaryData){FERRY_PUBLIC_KEY_BYTES, server_key->pk};
    id.nonce = (ProtobufCBinaryData){FERRYI_NONCE_BYTES, nonce};
    id.scheme = (Ferry__Wire__ProofScheme)scheme;
    id.proof = (ProtobufCBinaryData){proof_len, proof};
    Ferry__Wire__ReplyHeader rh = FERRY__WIRE__REPLY_HEADER__INIT;
    rh.call_id = call_id;
    rh.message = "";
    rh.max_request = FERRY_DEFAULT_MAX_MESSAGE;
    rh.api_min = 1;
    rh.api_max = 3;
    rh.identity = &id;
    sent_len = FERRYI_FRAME_PREFIX + protobuf_c_message_get_packed_size(&rh.base) + body_len;
    ferryi_frame_write_raw(sent, FERRYI_KIND_REPLY, &rh.base, body, body_len);
    edit(sent, &sent_len, sizeof sent, edits, n_edits);
    answered = 1;

    nng_msg *reply;
    if (nng_msg_alloc(&reply, 0) != 0 || nng_msg_append(reply, sent, sent_len) != 0)
        fail("out of memory");
    pthread_mutex_unlock(&mu);
    if (nng_sendmsg(rep, reply, 0) != 0)
        nng_msg_free(reply);
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        nng_msg *req;
        if (nng_recvmsg(rep, &req, 0) != 0)
            return NULL; /* closed */
        answer(req);
        nng_msg_free(req);
    }
}

static void teardown(void)
{
    ferry_channel_close(ch);
    nng_close(rep);
    pthread_join(server_thread, NULL);
    ferry_key_free(server_key);
    ferry_key_free(client_key);
}

/* Opens the channel: it pins the server's public half only. */
static void open_channel(void)
{
    ferry_key pinned = {.sk = NULL};
    snprintf(pinned.name, sizeof pinned.name, "server");
    memcpy(pinned.pk, server_key->pk, sizeof pinned.pk);
    ferry_client_opts opts = {
        .default_deadline_ms = 10000,
        .wait_for_ready = 1,
        .retry = {.max_attempts = 1},
        .breaker = {.disabled = 1},
        .identity = {.key = client_key, .server_key = &pinned},
    };
    if (ferry_client_open(&ch, URL, &opts) != FERRY_OK)
        fail("cannot open the channel");
}

static void setup(void)
{
    if (sodium_init() < 0)
        fail("libsodium failed to initialise");
    server_key = make_key("server", 1);
    client_key = make_key("client", 2);
    if (ferryi_session_server(&server_session, server_key, client_key->pk) != 0)
        fail("no session keys");
    if (nng_rep0_open(&rep) != 0 || nng_listen(rep, URL, NULL, 0) != 0)
        fail("cannot listen on " URL);
    if (pthread_create(&server_thread, NULL, serve, NULL) != 0)
        fail("cannot start the server thread");
    open_channel();
    for (size_t i = 0; i < ferrytest_v1_probe_desc.n_methods; i++)
        if (strcmp(ferrytest_v1_probe_desc.methods[i].name, "Write") == 0)
            write_method = &ferrytest_v1_probe_desc.methods[i];
    if (write_method == NULL)
        fail("the probe service has no Write");
    atexit(teardown);
}

static int same_bytes(ProtobufCBinaryData a, const uint8_t *b, size_t len)
{
    return a.len == len && (len == 0 || memcmp(a.data, b, len) == 0);
}

/* The second reading: whether the reply sent is, in every field the proof
 * covers, the one the server proved. Sets *decodes to whether its frame
 * splits and its header decodes, with no NUL byte in a string field
 * (docs/wire.md, "Frame": a client refuses those as a protocol error), and
 * *max_request to the request limit it names (0 when it does not decode). */
static int as_proved(int *decodes, uint32_t *max_request)
{
    *decodes = 0;
    *max_request = 0;
    ferryi_frame f;
    char why[FERRY_MESSAGE_MAX];
    if (ferryi_frame_split(sent, sent_len, FERRYI_KIND_REPLY, &f, why, sizeof why) != FERRY_OK)
        return 0;
    if (ferryi_reply_header_holds_nul(f.header, f.header_len))
        return 0;
    Ferry__Wire__ReplyHeader *h = ferry__wire__reply_header__unpack(NULL, f.header_len, f.header);
    if (h == NULL)
        return 0;
    *decodes = 1;
    const Ferry__Wire__Identity *id = h->identity;
    int ok = id != NULL && same_bytes(id->key_id, server_key->pk, FERRY_PUBLIC_KEY_BYTES) &&
             same_bytes(id->nonce, nonce, FERRYI_NONCE_BYTES) &&
             (int)id->scheme == ((flags & 1) ? FERRY_PROOF_MAC : FERRY_PROOF_SIGNED) &&
             same_bytes(id->proof, proof, proof_len) && h->call_id == call_id && h->status == 0 &&
             h->message[0] == '\0' && h->proof_not_before_ms == 0 && f.body_len == body_len &&
             memcmp(f.body, body, body_len) == 0;
    *max_request = h->max_request;
    ferry__wire__reply_header__free_unpacked(h, NULL);
    return ok;
}

/* One call of Write, its reply edited with `ed` (`n` bytes); checks the
 * outcome against the second reading. */
static ferry_status call(uint8_t how, const uint8_t *ed, size_t n)
{
    pthread_mutex_lock(&mu);
    flags = how;
    edits = ed;
    n_edits = n;
    answered = 0;
    pthread_mutex_unlock(&mu);

    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "fuzz";
    ProtobufCMessage *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    ferry_status st = ferry_channel_call(ch, write_method, &req.base, &resp, &opts);

    pthread_mutex_lock(&mu);
    if (!answered) {
        fprintf(stderr, "fuzz_reply: %s: %s\n", ferry_status_str(st), info.message);
        fail("a call returned without reaching the server");
    }
    uint32_t max_request;
    int decodes;
    int want = as_proved(&decodes, &max_request);
    edits = NULL;
    n_edits = 0;
    pthread_mutex_unlock(&mu);
    if (want && st != FERRY_OK) {
        fprintf(stderr, "fuzz_reply: %s: %s\n", ferry_status_str(st), info.message);
        fail("a reply as the server proved it is refused");
    }
    /* Whatever else it says, a reply not as proved is refused as one: no
     * edited status or message reaches the caller as the server's word. */
    if (!want && st != (decodes ? FERRY_UNAUTHENTICATED : FERRY_PROTOCOL_ERROR)) {
        fprintf(stderr, "fuzz_reply: %s: %s\n", ferry_status_str(st), info.message);
        fail(st == FERRY_OK ? "a reply the server did not prove so is accepted"
                            : "a reply the server did not prove so is not refused as unproved");
    }
    if (st == FERRY_OK) {
        const Ferrytest__V1__EchoReply *r = (const Ferrytest__V1__EchoReply *)resp;
        if (strcmp(r->text, "ok") != 0)
            fail("an accepted reply has another body than the server's");
    }
    ferry_message_free(resp);
    /* The proof does not cover the request limit (docs/wire.md): a proved
     * reply whose limit was edited is taken at its word and holds every
     * later call to it, so a fresh channel goes on from the server's real
     * limit. */
    if (st == FERRY_OK && max_request != 0 && max_request != FERRY_DEFAULT_MAX_MESSAGE) {
        ferry_channel_close(ch);
        open_channel();
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ch == NULL)
        setup();
    if (size == 0)
        return 0;
    call(data[0], data + 1, size - 1);
    /* Whatever the edited reply did, the channel is as it was: the next call
     * reaches the server and takes its proved reply. */
    if (call(data[0], NULL, 0) != FERRY_OK)
        fail("after an edited reply, the server's proved reply to the next call is refused");
    return 0;
}
