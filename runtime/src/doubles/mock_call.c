/* mock_call.c - a call on the mock channel (mock_chan.h): the check and
 * the answer it takes from its method's queues, the test failed at the
 * line that queued what went wrong (or kept for ferry_mock_verify() when
 * the call is on another thread), and what is still unmet when the test
 * verifies or closes the mock. mock.c fills the queues. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/grow.h"
#include "call/opts.h"
#include "doubles/mock_chan.h"

/* ---- failing the test ---- */

void ferryi_mock_fail(where at, const char *msg)
{
    print_error("ERROR: %s\n", msg);
    _fail(at.file != NULL ? at.file : "(unknown file)", at.line);
    abort(); /* _fail() leaves by longjmp, or exits outside a test */
}

/* A mock call counts as one attempt, as a remote call without retries. */
static void fill_info(const ferry_call_opts *opts, ferry_status st, const char *msg)
{
    ferryi_opts_report(opts, st, msg, 1);
}

/* A call went wrong: on the test's thread the test fails now, at `at`;
 * elsewhere the failure is kept for ferry_mock_verify() and the call returns
 * FERRY_INTERNAL. */
static ferry_status call_failed(mock_channel *mc, where at, const char *msg,
                                const ferry_call_opts *opts)
{
    if (pthread_equal(pthread_self(), mc->owner))
        ferryi_mock_fail(at, msg);
    pthread_mutex_lock(&mc->mu);
    size_t used = strlen(mc->deferred);
    if (used == 0)
        mc->deferred_at = at;
    if (used + 1 < sizeof mc->deferred)
        snprintf(mc->deferred + used, sizeof mc->deferred - used, "%s%s", used ? "\n" : "", msg);
    pthread_mutex_unlock(&mc->mu);
    char info_msg[FERRY_MESSAGE_MAX];
    snprintf(info_msg, sizeof info_msg, "mock: %s", msg);
    fill_info(opts, FERRY_INTERNAL, info_msg);
    return FERRY_INTERNAL;
}

/* ---- the queues ---- */

method_rec *ferryi_mock_find_rec(mock_channel *mc, const ferry_method *m, int add)
{
    for (size_t i = 0; i < mc->n_recs; i++)
        if (mc->recs[i].m == m || strcmp(mc->recs[i].m->full_name, m->full_name) == 0)
            return &mc->recs[i];
    if (!add)
        return NULL;
    method_rec *r = ferryi_push(&mc->recs, &mc->n_recs, &mc->cap_recs, sizeof *r, 8);
    if (r != NULL)
        r->m = m;
    return r;
}

void ferryi_mock_free_entry(entry *e)
{
    if (e->want != NULL)
        protobuf_c_message_free_unpacked(e->want, NULL);
    free(e->bytes);
    ferry_channel_close(e->local);
    free(e->invoke);
    free(e);
}

/* Takes the head of `q` for one call: counts it down and unlinks it when it
 * is spent. NULL when the queue is empty. */
static entry *take(queue *q)
{
    entry *e = q->head;
    if (e == NULL)
        return NULL;
    e->used = 1;
    if (e->count > 0 && --e->count == 0) {
        q->head = e->next;
        if (q->head == NULL)
            q->tail = NULL;
    }
    return e;
}

/* ---- what is unmet ---- */

/* Calls `q` still requires, and whether it has an ALWAYS or MAYBE entry;
 * *first is the first entry that requires one (left alone when none does). */
static unsigned still_needed(const queue *q, int *open_ended, const entry **first)
{
    unsigned n = 0;
    for (const entry *e = q->head; e != NULL; e = e->next) {
        if (e->count > 0) {
            if (n == 0)
                *first = e;
            n += (unsigned)e->count;
            continue;
        }
        *open_ended = 1;
        if (e->count == FERRY_MOCK_ALWAYS && !e->used) {
            if (n == 0)
                *first = e;
            n++;
        }
        break; /* nothing after it is ever reached */
    }
    return n;
}

void ferryi_mock_collect_unmet(mock_channel *mc, char *out, size_t out_len, where *at)
{
    size_t used = 0;
    out[0] = '\0';
    pthread_mutex_lock(&mc->mu);
    *at = mc->deferred_at;
    for (size_t i = 0; i < mc->n_recs; i++) {
        method_rec *r = &mc->recs[i];
        int open_ended = 0;
        const entry *check = NULL, *answer = NULL;
        unsigned checks = still_needed(&r->checks, &open_ended, &check);
        unsigned answers = still_needed(&r->answers, &open_ended, &answer);
        unsigned need = checks > answers ? checks : answers;
        if (need > 0 && used + 1 < out_len) {
            unsigned expected = r->matched + need;
            const where queued = (checks >= answers ? check : answer)->at;
            if (used == 0)
                *at = queued;
            int n = snprintf(out + used, out_len - used,
                             "%s%s: expected %s%u call%s, got %u (queued at %s:%d)",
                             used ? "\n" : "", r->m->full_name, open_ended ? "at least " : "",
                             expected, expected == 1 ? "" : "s", r->calls,
                             queued.file != NULL ? queued.file : "(unknown file)", queued.line);
            used += n > 0 ? (size_t)n : 0;
            if (used >= out_len)
                used = out_len - 1;
            r->checks.head = r->checks.tail = NULL;
            r->answers.head = r->answers.tail = NULL;
        }
    }
    if (mc->deferred[0] != '\0' && used + 1 < out_len)
        snprintf(out + used, out_len - used, "%s%s", used ? "\n" : "", mc->deferred);
    mc->deferred[0] = '\0';
    pthread_mutex_unlock(&mc->mu);
}

/* ---- the channel ---- */

ferry_status ferryi_mock_call(ferry_channel *ch, const ferry_method *m, const ProtobufCMessage *req,
                              ProtobufCMessage **resp, const ferry_call_opts *opts)
{
    mock_channel *mc = (mock_channel *)ch;
    char msg[FERRY_MESSAGE_MAX + 200];
    /* A call a real channel refuses before sending it (metadata it cannot
     * send) never reaches the service it stands for: nor does it count
     * here as a call of the test's. */
    if (ferryi_opts_check_metadata(opts, msg, sizeof msg) != FERRY_OK) {
        fill_info(opts, FERRY_INVALID_ARGUMENT, msg);
        return FERRY_INVALID_ARGUMENT;
    }

    pthread_mutex_lock(&mc->mu);
    method_rec *r = ferryi_mock_find_rec(mc, m, 1);
    if (r == NULL) {
        pthread_mutex_unlock(&mc->mu);
        fill_info(opts, FERRY_RESOURCE_EXHAUSTED, "mock: out of memory");
        return FERRY_RESOURCE_EXHAUSTED;
    }
    unsigned n = ++r->calls;
    unsigned matched = r->matched;
    /* An unexpected call is the test's doing where it said how many calls
     * to expect, or, when it said nothing of this method, where it opened
     * the mock. */
    const where unexpected_at = r->last.file != NULL ? r->last : mc->opened;
    entry *check = take(&r->checks);
    entry *answer = take(&r->answers);
    if (check != NULL || answer != NULL)
        r->matched++;
    pthread_mutex_unlock(&mc->mu);

    if (check == NULL && answer == NULL) {
        if (matched == 0)
            snprintf(msg, sizeof msg, "unexpected call to %s (no call of it was expected)",
                     m->full_name);
        else
            snprintf(msg, sizeof msg, "unexpected call to %s (only %u call%s expected)",
                     m->full_name, matched, matched == 1 ? " was" : "s were");
        return call_failed(mc, unexpected_at, msg, opts);
    }

    if (check != NULL) {
        char why[FERRY_MESSAGE_MAX] = "";
        bool ok = check->kind == CHECK_REQUEST
                      ? ferry_mock_match(req, check->want, why, sizeof why)
                      : check->check.invoke == NULL ||
                            check->check.invoke(&check->check, req, why, sizeof why);
        if (!ok) {
            snprintf(msg, sizeof msg, "%s: call %u: the request does not match: %s", m->full_name,
                     n, why[0] != '\0' ? why : "the check refused it");
            return call_failed(mc, check->at, msg, opts);
        }
    }

    ferry_status st = FERRY_OK;
    const char *info_msg = "";
    if (answer == NULL || answer->kind == ANSWER_RETURN || answer->kind == ANSWER_FALL_BACK) {
        static const uint8_t none[1];
        const uint8_t *bytes = answer != NULL && answer->bytes != NULL ? answer->bytes : none;
        size_t len = answer != NULL ? answer->len : 0;
        *resp = protobuf_c_message_unpack(m->output, NULL, len, bytes);
        if (*resp == NULL) {
            st = FERRY_RESOURCE_EXHAUSTED;
            info_msg = "mock: out of memory copying the response";
        } else if (answer != NULL && answer->kind == ANSWER_FALL_BACK) {
            st = FERRY_FALLBACK;
            info_msg = answer->msg;
            if (info_msg[0] == '\0')
                info_msg = "fallback after unavailable (the mock's answer)";
        }
    } else if (answer->kind == ANSWER_FAIL) {
        st = answer->st;
        info_msg = answer->msg;
        if (info_msg[0] == '\0') { /* as a channel says why, whatever the test said */
            snprintf(msg, sizeof msg, "%s: %s (the mock's answer)", m->full_name,
                     ferry_status_str(st));
            info_msg = msg;
        }
    } else {
        /* ANSWER_CALL: the local channel runs the handler and fills info;
         * through its ops, as the call was checked (and its client span
         * begun) on its way here. */
        return answer->local->ops->call(answer->local, m, req, resp, opts);
    }
    fill_info(opts, st, info_msg);
    return st;
}

void ferryi_mock_close(ferry_channel *ch)
{
    mock_channel *mc = (mock_channel *)ch;
    char msg[4096];
    where at;
    ferryi_mock_collect_unmet(mc, msg, sizeof msg, &at);
    /* Free first: a failure leaves the test by longjmp. */
    entry *e = mc->all;
    while (e != NULL) {
        entry *next = e->all;
        ferryi_mock_free_entry(e);
        e = next;
    }
    free(mc->recs);
    pthread_mutex_destroy(&mc->mu);
    free(mc);
    if (msg[0] != '\0')
        ferryi_mock_fail(at, msg);
}
