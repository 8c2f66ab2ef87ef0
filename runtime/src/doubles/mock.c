/* mock.c - the mock channel: per-method queues of checks and answers that a
 * test fills (the public API, here) and calls empty (mock_call.c), with
 * failures reported through cmocka.
 *
 * Entries are allocated one by one and freed only when the channel closes,
 * so a call can use the entry it took after releasing the lock; only the
 * queue links and counts change under it.
 *
 * Every failure is reported at a line of the test (a `where`): the public
 * functions are macros that pass __FILE__ and __LINE__, and entries keep the
 * place that queued them, so cmocka never points into this file. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mock.h"

#include "base/error.h"
#include "call/channel_sync.h"
#include "doubles/mock_chan.h"

static const ferry_channel_ops mock_ops;

/* The channel as a mock, or a failed test when it is something else. */
static mock_channel *as_mock(ferry_channel *ch, const char *fn, where at)
{
    if (ch == NULL || ch->ops != &mock_ops) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: the channel is %s, not a mock (ferry_mock_open())", fn,
                 ch == NULL ? "NULL" : "another kind");
        ferryi_mock_fail(at, msg);
    }
    return (mock_channel *)ch;
}

/* Checks the arguments every queueing function takes (`ch` a mock, `m`
 * complete) and allocates the entry; fails the test on misuse. */
static entry *new_entry(ferry_channel *ch, const ferry_method *m, entry_kind kind, const char *fn,
                        where at)
{
    as_mock(ch, fn, at);
    char msg[200];
    if (m == NULL || m->full_name == NULL || m->input == NULL || m->output == NULL) {
        snprintf(msg, sizeof msg, "%s: the method descriptor is NULL or incomplete", fn);
        ferryi_mock_fail(at, msg);
    }
    entry *e = calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(msg, sizeof msg, "%s: %s: out of memory", fn, m->full_name);
        ferryi_mock_fail(at, msg);
    }
    e->kind = kind;
    e->count = 1;
    e->at = at;
    return e;
}

/* Appends `e` to the check or answer queue of `m` on the mock `ch`, which
 * new_entry() checked to be one. */
static void enqueue(ferry_channel *ch, const ferry_method *m, entry *e, const char *fn)
{
    mock_channel *mc = (mock_channel *)ch;
    pthread_mutex_lock(&mc->mu);
    method_rec *r = ferryi_mock_find_rec(mc, m, 1);
    if (r == NULL) {
        pthread_mutex_unlock(&mc->mu);
        where e_at = e->at;
        ferryi_mock_free_entry(e);
        char msg[200];
        snprintf(msg, sizeof msg, "%s: %s: out of memory", fn, m->full_name);
        ferryi_mock_fail(e_at, msg);
    }
    r->last = e->at;
    queue *q = e->kind == CHECK_FN || e->kind == CHECK_REQUEST ? &r->checks : &r->answers;
    if (q->tail != NULL)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    e->all = mc->all;
    mc->all = e;
    mc->last = e;
    pthread_mutex_unlock(&mc->mu);
}

/* Packs `msg` into a new *bytes (*len long) once it is checked to be a
 * complete message of the method's `type`; 0 with the mistake in `err`
 * otherwise. `rel` says how the method relates to the type ("takes",
 * "returns") and `what` names the message ("the response"). */
static int pack_checked(const ProtobufCMessage *msg, const ProtobufCMessageDescriptor *type,
                        const ferry_method *m, const char *fn, const char *rel, const char *what,
                        uint8_t **bytes, size_t *len, char *err, size_t err_len)
{
    if (msg->descriptor != type) {
        snprintf(err, err_len, "%s: %s %s a %s, not a %s", fn, m->full_name, rel, type->name,
                 msg->descriptor != NULL ? msg->descriptor->name : "(NULL)");
        return 0;
    }
    if (!protobuf_c_message_check(msg)) {
        snprintf(err, err_len, "%s: %s: %s is incomplete (a required field or a string is NULL)",
                 fn, m->full_name, what);
        return 0;
    }
    *len = protobuf_c_message_get_packed_size(msg);
    if ((*bytes = malloc(*len ? *len : 1)) == NULL) {
        snprintf(err, err_len, "%s: %s: out of memory", fn, m->full_name);
        return 0;
    }
    protobuf_c_message_pack(msg, *bytes);
    return 1;
}

/* Packs the response `msg` (NULL = empty) into e->bytes; fails the test
 * when it is not a complete response of `m`. */
static void keep_response(entry *e, const ferry_method *m, const ProtobufCMessage *msg,
                          const char *fn)
{
    char err[256];
    if (msg == NULL || pack_checked(msg, m->output, m, fn, "returns", "the response", &e->bytes,
                                    &e->len, err, sizeof err))
        return;
    where at = e->at;
    ferryi_mock_free_entry(e);
    ferryi_mock_fail(at, err);
}

/* ---- queueing, the public API ---- */

ferry_status ferry_mock_open_at(ferry_channel **out, const char *file, int line)
{
    ferryi_error_clear();
    if (out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "%s:%d: ferry_mock_open: no out pointer", file,
                            line);
    *out = NULL;
    mock_channel *mc = calloc(1, sizeof *mc);
    if (mc == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s:%d: ferry_mock_open: out of memory", file,
                            line);
    mc->base.ops = &mock_ops;
    pthread_mutex_init(&mc->mu, NULL);
    mc->owner = pthread_self();
    mc->opened = (where){file, line};
    *out = &mc->base;
    return FERRY_OK;
}

void ferry_mock_expect_at(ferry_channel *ch, const ferry_method *m, const ferry_mock_check *check,
                          const char *file, int line)
{
    entry *e = new_entry(ch, m, CHECK_FN, "ferry_mock_expect", (where){file, line});
    if (check != NULL && check->invoke != NULL)
        e->check = *check;
    enqueue(ch, m, e, "ferry_mock_expect");
}

void ferry_mock_expect_request_at(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *want, const char *file, int line)
{
    static const char fn[] = "ferry_mock_expect_request";
    const where at = {file, line};
    entry *e = new_entry(ch, m, CHECK_REQUEST, fn, at);
    if (want != NULL) {
        char err[256];
        uint8_t *buf = NULL;
        size_t n = 0;
        /* A copy through the encoding: what the test built may not outlive this call. */
        int ok = pack_checked(want, m->input, m, fn, "takes", "the expected request", &buf, &n, err,
                              sizeof err);
        if (ok && (e->want = protobuf_c_message_unpack(m->input, NULL, n, buf)) == NULL) {
            snprintf(err, sizeof err, "%s: %s: out of memory", fn, m->full_name);
            ok = 0;
        }
        free(buf);
        if (!ok) {
            ferryi_mock_free_entry(e);
            ferryi_mock_fail(at, err);
        }
    }
    enqueue(ch, m, e, fn);
}

void ferry_mock_will_return_at(ferry_channel *ch, const ferry_method *m,
                               const ProtobufCMessage *resp, const char *file, int line)
{
    static const char fn[] = "ferry_mock_will_return";
    entry *e = new_entry(ch, m, ANSWER_RETURN, fn, (where){file, line});
    keep_response(e, m, resp, fn);
    enqueue(ch, m, e, fn);
}

void ferry_mock_will_fall_back_at(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *resp, const char *why, const char *file,
                                  int line)
{
    static const char fn[] = "ferry_mock_will_fall_back";
    entry *e = new_entry(ch, m, ANSWER_FALL_BACK, fn, (where){file, line});
    keep_response(e, m, resp, fn);
    snprintf(e->msg, sizeof e->msg, "%s", why != NULL ? why : "");
    enqueue(ch, m, e, fn);
}

void ferry_mock_will_fail_at(ferry_channel *ch, const ferry_method *m, ferry_status st,
                             const char *msg, const char *file, int line)
{
    static const char fn[] = "ferry_mock_will_fail";
    const where at = {file, line};
    entry *e = new_entry(ch, m, ANSWER_FAIL, fn, at);
    if (st == FERRY_OK || st == FERRY_FALLBACK) {
        char err[200];
        snprintf(err, sizeof err, "%s: %s: the status is %s; use %s", fn, m->full_name,
                 ferry_status_str(st),
                 st == FERRY_OK ? "ferry_mock_will_return()" : "ferry_mock_will_fall_back()");
        ferryi_mock_free_entry(e);
        ferryi_mock_fail(at, err);
    }
    e->st = st;
    snprintf(e->msg, sizeof e->msg, "%s", msg != NULL ? msg : "");
    enqueue(ch, m, e, fn);
}

/* The invoke glue of every method of an ANSWER_CALL entry's local channel:
 * `handlers` is the entry. */
static ferry_status mock_invoke(const void *handlers, void *user, ferry_call *call,
                                const ProtobufCMessage *req, ProtobufCMessage *resp)
{
    (void)user;
    const entry *e = handlers;
    return e->handler.invoke(&e->handler, call, req, resp);
}

void ferry_mock_will_call_at(ferry_channel *ch, const ferry_method *m, const ferry_mock_handler *h,
                             const char *file, int line)
{
    static const char fn[] = "ferry_mock_will_call";
    const where at = {file, line};
    entry *e = new_entry(ch, m, ANSWER_CALL, fn, at);
    char err[200] = "";
    const ferry_service_desc *svc = m->service;
    if (h == NULL || h->invoke == NULL) {
        snprintf(err, sizeof err, "%s: %s: the handler is NULL", fn, m->full_name);
    } else if (svc == NULL || svc->n_methods == 0) {
        snprintf(err, sizeof err, "%s: %s: the method descriptor names no service", fn,
                 m->full_name);
    } else {
        e->handler = *h;
        e->invoke = calloc(svc->n_methods, sizeof *e->invoke);
        if (e->invoke != NULL) {
            for (size_t i = 0; i < svc->n_methods; i++)
                e->invoke[i] = mock_invoke;
            const ferry_service_impl impl = {
                .desc = svc, .invoke = e->invoke, .handlers = e, .user = NULL};
            /* This function returns no status, so it leaves the caller's
             * ferry_last_error() as it was (ferry/status.h). */
            char saved[FERRY_ERROR_MAX];
            snprintf(saved, sizeof saved, "%s", ferry_last_error());
            ferry_status st = ferry_local_open(&e->local, &impl);
            if (st != FERRY_OK)
                snprintf(err, sizeof err, "%s: %s: cannot open a local channel: %s", fn,
                         m->full_name, ferry_last_error());
            ferryi_error_restore(saved);
        } else {
            snprintf(err, sizeof err, "%s: %s: out of memory", fn, m->full_name);
        }
    }
    if (err[0] != '\0') {
        ferryi_mock_free_entry(e);
        ferryi_mock_fail(at, err);
    }
    enqueue(ch, m, e, fn);
}

void ferry_mock_times_at(ferry_channel *ch, int n, const char *file, int line)
{
    const where at = {file, line};
    mock_channel *mc = as_mock(ch, "ferry_mock_times", at);
    char err[200] = "";
    pthread_mutex_lock(&mc->mu);
    if (mc->last == NULL)
        snprintf(err, sizeof err, "ferry_mock_times: nothing is queued on this mock yet");
    else if (n < 1 && n != FERRY_MOCK_ALWAYS && n != FERRY_MOCK_MAYBE)
        snprintf(err, sizeof err,
                 "ferry_mock_times: %d is not a count (>= 1, FERRY_MOCK_ALWAYS or "
                 "FERRY_MOCK_MAYBE)",
                 n);
    else if (mc->last->used)
        snprintf(err, sizeof err, "ferry_mock_times: the last check or answer was used already");
    else
        mc->last->count = n;
    pthread_mutex_unlock(&mc->mu);
    if (err[0] != '\0')
        ferryi_mock_fail(at, err);
}

unsigned ferry_mock_calls_at(ferry_channel *ch, const ferry_method *m, const char *file, int line)
{
    mock_channel *mc = as_mock(ch, "ferry_mock_calls", (where){file, line});
    if (m == NULL || m->full_name == NULL)
        return 0;
    pthread_mutex_lock(&mc->mu);
    const method_rec *r = ferryi_mock_find_rec(mc, m, 0);
    unsigned n = r != NULL ? r->calls : 0;
    pthread_mutex_unlock(&mc->mu);
    return n;
}

/* ---- verifying ---- */

void ferry_mock_verify_at(ferry_channel *ch, const char *file, int line)
{
    mock_channel *mc = as_mock(ch, "ferry_mock_verify", (where){file, line});
    char msg[4096];
    where at;
    ferryi_mock_collect_unmet(mc, msg, sizeof msg, &at);
    if (msg[0] != '\0')
        ferryi_mock_fail(at, msg);
}

/* ---- the channel: its call and close are mock_call.c's ---- */

static const ferry_channel_ops mock_ops = {
    .call = ferryi_mock_call,
    .call_async = ferryi_call_async_now,
    .close = ferryi_mock_close,
};
