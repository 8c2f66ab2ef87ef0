/* calls.c - a remote channel's calls: the request frame built once (header,
 * identity, body) on a slot, then the call run asynchronously on the slot's
 * callback or synchronously in the caller's thread (client.c runs the
 * attempts). */
#include "client/client_impl.h"
#include "wire/headers.h"

/* ------------------------------------------------------------------------
 * Starting a call
 * ---------------------------------------------------------------------- */

/* Everything before the send: picks the deadline, builds and checks the
 * request frame, borrows a slot. On FERRY_OK *out holds the slot (on the busy
 * list, phase SEND) and *msg the request; nothing has been sent. */
static ferry_status prepare_call(client *cl, const ferry_method *m, const ProtobufCMessage *req,
                                 const ferry_call_opts *opts, ferry_call_info *info, slot **out,
                                 nng_msg **out_msg)
{
    uint32_t deadline = 0;
    if (ferryi_call_deadline(m, opts, cl->default_deadline_ms, &deadline) != FERRY_OK)
        return ferryi_cl_say(info, FERRY_DEADLINE_EXCEEDED,
                             "the calling handler's deadline has passed; %s was not sent",
                             m->full_name);
    ferry_violations *violations = opts != NULL ? opts->violations : NULL;
    if (violations != NULL)
        violations->count = violations->total = 0;
    if (cl->validate_requests && m->validate != NULL) {
        /* The server would refuse it: spare the round trip. */
        ferry_violations found;
        if (ferry_validate(m, req, violations != NULL ? violations : &found) != FERRY_OK) {
            char list[FERRY_MESSAGE_MAX];
            ferry_violations_format(violations != NULL ? violations : &found, list, sizeof list);
            return ferryi_cl_say(info, FERRY_INVALID_ARGUMENT, "invalid %s (not sent): %s",
                                 m->input->name, list);
        }
    }
    if (ferryi_opts_check_metadata(opts, info->message, sizeof info->message) != FERRY_OK)
        return FERRY_INVALID_ARGUMENT;
    size_t n_md = opts != NULL ? opts->n_metadata : 0;
    Ferry__Wire__Metadata md[FERRYI_METADATA_MAX];
    Ferry__Wire__Metadata *mdp[FERRYI_METADATA_MAX];
    for (size_t i = 0; i < n_md; i++) {
        const ferry_metadata *e = &opts->metadata[i];
        ferry__wire__metadata__init(&md[i]);
        md[i].key = (char *)e->key;
        md[i].value.data = (uint8_t *)e->value;
        md[i].value.len = e->len;
        mdp[i] = &md[i];
    }

    Ferry__Wire__RequestHeader h = FERRY__WIRE__REQUEST_HEADER__INIT;
    h.method = (char *)m->full_name;
    h.api_version = m->service != NULL ? m->service->api_version : 0;
    h.client_name = cl->client_name;
    h.client_version = cl->client_version;
    h.call_id = atomic_fetch_add(&cl->next_call_id, 1);
    h.deadline_ms = deadline;
    h.n_metadata = n_md;
    h.metadata = n_md > 0 ? mdp : NULL;
    h.method_id = m->opts.id;
    h.max_reply = cl->max_message > UINT32_MAX ? UINT32_MAX : (uint32_t)cl->max_message;

    /* With identity, the header is sized with its proof's final length;
     * the proof is computed once the body is packed where it is sent. */
    Ferry__Wire__Identity idb;
    uint8_t proof[FERRYI_SIG_BYTES];
    ferryi_attempt_proof att;
    uint64_t proof_ts = 0;
    if (cl->id.key != NULL) {
        proof_ts = ferryi_cl_proof_ts(cl);
        ferryi_client_reserve(&cl->id, &h, &idb, proof, proof_ts, &att);
    }
    /* Checked with the identity block in: the server refuses a larger
     * header before reading it. */
    if (ferryi_request_header_size(&h) > FERRYI_HEADER_MAX) {
        snprintf(info->message, sizeof info->message,
                 "the request header of %s (its metadata) exceeds %d bytes", m->full_name,
                 FERRYI_HEADER_MAX);
        return FERRY_INVALID_ARGUMENT;
    }
    size_t body_len = 0;
    size_t size = ferryi_frame_size(&h.base, req, &body_len);
    size_t limit = cl->max_message;
    uint32_t server_max = (uint32_t)atomic_load(&cl->server_max);
    const char *whose = "this client's";
    if (server_max != 0 && server_max < limit) {
        limit = server_max;
        whose = "the server's";
    }
    if (size == 0 || size > limit) {
        snprintf(info->message, sizeof info->message,
                 "request of %zu bytes to %s exceeds %s limit of %zu bytes", size, m->full_name,
                 whose, limit);
        return FERRY_RESOURCE_EXHAUSTED;
    }

    /* Once sent, req0 gives each connection it picks its own reference to
     * this message. nng 1.5.2 loses that reference when the connection is
     * closing at that moment (req0_pipe_close stops the connection's send
     * aio before taking it off the ready list; the transport then refuses
     * the send without freeing it; fixed upstream in nng 1.6.0). So a leak of
     * this message reported after a server went away can be nng's, not a
     * path of ours. */
    nng_msg *msg = NULL;
    if (nng_msg_alloc(&msg, size) != 0) {
        snprintf(info->message, sizeof info->message, "out of memory for a %zu-byte request", size);
        return FERRY_RESOURCE_EXHAUSTED;
    }
    uint8_t *dst = nng_msg_body(msg);
    if (cl->id.key != NULL) {
        uint8_t *body = dst + (size - body_len);
        protobuf_c_message_pack(req, body);
        ferryi_client_prove_body(&cl->id, &h, body, body_len);
        ferryi_frame_write(dst, size, FERRYI_KIND_REQUEST, &h.base, NULL);
    } else {
        ferryi_frame_write(dst, size, FERRYI_KIND_REQUEST, &h.base, req);
    }

    slot *s = ferryi_cl_slot_get(cl);
    if (s == NULL) {
        nng_msg_free(msg);
        snprintf(info->message, sizeof info->message, "out of memory or nng contexts");
        return FERRY_RESOURCE_EXHAUSTED;
    }
    s->m = m;
    s->call_id = h.call_id;
    s->violations = violations;
    if (cl->id.key != NULL)
        s->proved = att;
    s->proof_ts = proof_ts;
    s->reprove = s->reproved = 0;
    s->connect_until = 0;
    s->connect_waited = 0;
    s->connect_spent = 0;
    s->deadline_ms = deadline;
    s->deadline_at = ferryi_now_ms() + deadline;
    s->disconnected = 0;
    s->ph = SLOT_SEND;
    s->attempt = 1;
    s->retry_kept = 0;
    ferryi_retry_on_call(&cl->retry);
    *out = s;
    *out_msg = msg;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------
 * The channel vtable
 * ---------------------------------------------------------------------- */

/* A call as start_call() leaves it: its info and, once admitted and
 * framed, its slot and request frame. */
typedef struct started {
    ferry_call_info info;
    slot *s;
    nng_msg *msg;
    int admitted; /* 0: the breaker turned the call away */
} started;

/* The start both paths share: the breaker's word, then the request frame
 * on a slot (prepare_call()), the breaker's trial given back when the call
 * is not sent after all. c->admitted is 0 when the breaker turned the call
 * away (FERRY_UNAVAILABLE, its reason in c->info). */
static inline ferry_status start_call(client *cl, const ferry_method *m,
                                      const ProtobufCMessage *req, const ferry_call_opts *opts,
                                      started *c)
{
    memset(&c->info, 0, sizeof c->info);
    c->s = NULL;
    c->msg = NULL;
    int trial = 0;
    c->admitted =
        ferryi_breaker_admit(&cl->breakers, m, &trial, c->info.message, sizeof c->info.message);
    if (!c->admitted)
        return FERRY_UNAVAILABLE;
    ferry_status st = prepare_call(cl, m, req, opts, &c->info, &c->s, &c->msg);
    if (st == FERRY_OK)
        c->s->trial = trial;
    else
        ferryi_breaker_release(&cl->breakers, m, trial); /* never sent */
    return st;
}

ferry_status ferryi_cl_call_async(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *req, const ferry_call_opts *opts,
                                  const ferry_completion *done)
{
    client *cl = (client *)ch;
    started c;
    ferry_status st = start_call(cl, m, req, opts, &c);
    if (st == FERRY_UNAVAILABLE && c.s == NULL) {
        /* Turned away before it had a slot: a fallback, if any, completes it now. */
        ProtobufCMessage *resp = NULL;
        st = ferryi_fallback_apply(&cl->fallbacks, m, req, st, &resp, &c.info);
        if (st == FERRY_FALLBACK) {
            c.info.status = st;
            done->invoke(done, st, resp, &c.info);
            return FERRY_OK;
        }
    }
    if (st != FERRY_OK)
        return ferryi_opts_finish(opts, &c.info, st);
    slot *s = c.s;
    s->done = *done;
    s->req_copy = NULL;
    if (ferryi_fallback_wants_request(&cl->fallbacks, m) && nng_msg_dup(&s->req_copy, c.msg) != 0)
        s->req_copy = NULL; /* out of memory: the fallback gets no request */
    atomic_store(&s->active, s->aio);
    ferryi_cl_busy_add(cl, s);
    ferryi_cl_launch(s, c.msg);
    return FERRY_OK;
}

/* One attempt of a synchronous call on `aio`, in the caller's thread. */
static ferry_status sync_attempt(slot *s, nng_aio *aio, nng_msg *msg, ProtobufCMessage **resp,
                                 ferry_call_info *info)
{
    if (ferryi_cl_attempt_begin(s, msg)) {
        nng_msg_free(msg);
        return ferryi_cl_say_down(s, info);
    }
    nng_aio_set_timeout(aio, (nng_duration)s->send_wait_ms);
    nng_aio_set_msg(aio, msg);
    if (!ferryi_cl_start_io(s, aio, SLOT_SEND)) {
        nng_aio_set_msg(aio, NULL);
        nng_msg_free(msg);
        return ferryi_cl_say_down(s, info);
    }
    nng_aio_wait(aio);
    int rv = nng_aio_result(aio);
    if (rv != 0)
        return ferryi_cl_send_failed(s, aio, rv, info);
    nng_aio_set_timeout(aio, ferryi_cl_recv_timeout(s));
    if (!ferryi_cl_start_io(s, aio, SLOT_RECV))
        return ferryi_cl_say_lost(s, info);
    nng_aio_wait(aio);
    rv = nng_aio_result(aio);
    return rv != 0 ? ferryi_cl_recv_failed(s, rv, info)
                   : ferryi_cl_decode_reply(s, ferryi_cl_take_msg(aio), resp, info);
}

/* A synchronous call runs in the caller's thread on an aio without a
 * callback: nng wakes the caller directly, one thread switch less per call
 * than waiting for a completion. */
ferry_status ferryi_cl_call(ferry_channel *ch, const ferry_method *m, const ProtobufCMessage *req,
                            ProtobufCMessage **resp, const ferry_call_opts *opts)
{
    client *cl = (client *)ch;
    started c;
    ferry_status st = start_call(cl, m, req, opts, &c);
    ferry_call_info *info = &c.info;
    if (!c.admitted)
        return ferryi_opts_finish(opts, info,
                                  ferryi_fallback_apply(&cl->fallbacks, m, req, st, resp, info));
    slot *s = c.s;
    nng_msg *msg = c.msg;
    if (st == FERRY_OK && s->sync_aio == NULL && nng_aio_alloc(&s->sync_aio, NULL, NULL) != 0) {
        /* never sent: the breaker learns nothing of the service */
        ferryi_breaker_release(&cl->breakers, m, s->trial);
        nng_msg_free(msg);
        ferryi_cl_slot_put(cl, s);
        st = ferryi_cl_say(info, FERRY_RESOURCE_EXHAUSTED, "out of memory for an nng aio");
    }
    if (st != FERRY_OK)
        return ferryi_opts_finish(opts, info, st);
    /* The same steps as an asynchronous call (ferryi_cl_attempt_next(), ferryi_cl_call_finish()),
     * each attempt waited on in the caller's thread rather than in a
     * callback, so nothing wakes another thread. */
    nng_aio *aio = s->sync_aio;
    atomic_store(&s->active, aio);
    ferryi_cl_busy_add(cl, s);
    for (;;) {
        st = sync_attempt(s, aio, msg, resp, info);
        uint32_t wait = 0;
        next_step next = st == FERRY_OK ? STEP_DONE : ferryi_cl_attempt_next(s, st, info, &wait);
        if (next == STEP_DONE)
            break;
        if (next == STEP_RETRY)
            ferryi_sleep_ms(wait);
        s->attempt++;
        msg = ferryi_cl_take_retry_msg(s);
        memset(info, 0, sizeof *info);
    }
    st = ferryi_cl_call_finish(s, st, req, resp, info);
    return ferryi_opts_finish(opts, info, st);
}
