/* mock.c - the mock channel: per-method queues of checks and answers that a
 * test fills and calls empty, with failures reported through cmocka.
 *
 * Entries are allocated one by one and freed only when the channel closes,
 * so a call can use the entry it took after releasing the lock; only the
 * queue links and counts change under it.
 *
 * Every failure is reported at a line of the test (a `where`): the public
 * functions are macros that pass __FILE__ and __LINE__, and entries keep the
 * place that queued them, so cmocka never points into this file. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/mock.h"

#include "base/error.h"
#include "call/channel_sync.h"
#include "call/opts.h"

/* A place in the test's source: a string literal (__FILE__) and a line. */
typedef struct where {
    const char *file;
    int line;
} where;

typedef enum entry_kind {
    CHECK_FN,      /* a ferry_mock_check */
    CHECK_REQUEST, /* ferry_mock_match() against `want` */
    ANSWER_RETURN, /* FERRY_OK and the packed response */
    ANSWER_FALL_BACK,
    ANSWER_FAIL,
    ANSWER_CALL, /* a ferry_mock_handler, run on a local channel */
} entry_kind;

typedef struct entry entry;
struct entry {
    entry *next; /* in its method's queue */
    entry *all;  /* every entry of the channel, newest first */
    entry_kind kind;
    int count; /* calls left (> 0), or FERRY_MOCK_ALWAYS / FERRY_MOCK_MAYBE */
    int used;  /* taken by a call at least once */
    where at;  /* the test's line that queued it */
    ferry_mock_check check;
    ProtobufCMessage *want; /* CHECK_REQUEST: an owned copy */
    uint8_t *bytes;         /* ANSWER_RETURN, ANSWER_FALL_BACK: the response packed */
    size_t len;
    ferry_status st;
    char msg[FERRY_MESSAGE_MAX];
    ferry_mock_handler handler; /* ANSWER_CALL */
    ferry_invoke_fn *invoke;    /* one per method of the service, all mock_invoke */
    ferry_channel *local;
};

typedef struct queue {
    entry *head, *tail;
} queue;

typedef struct method_rec {
    const ferry_method *m;
    unsigned calls;   /* every call */
    unsigned matched; /* calls that found a check or an answer */
    queue checks, answers;
    where last; /* where its last check or answer was queued */
} method_rec;

typedef struct mock_channel {
    ferry_channel base;
    pthread_mutex_t mu;
    pthread_t owner; /* the thread that opened it: the test's */
    where opened;
    method_rec *recs;
    size_t n_recs, cap_recs;
    entry *all;
    entry *last;         /* queued last, for ferry_mock_times() */
    char deferred[2048]; /* failures seen on other threads, one per line */
    where deferred_at;   /* the place the first of them is reported at */
} mock_channel;

static const ferry_channel_ops mock_ops;

/* ---- failing the test ---- */

/* Fails the running test with `msg`, at `at` in the test's source; does
 * not return. */
static void fail_test(where at, const char *msg) __attribute__((noreturn));
static void fail_test(where at, const char *msg)
{
    print_error("ERROR: %s\n", msg);
    _fail(at.file != NULL ? at.file : "(unknown file)", at.line);
    abort(); /* _fail() leaves by longjmp, or exits outside a test */
}

/* The channel as a mock, or a failed test when it is something else. */
static mock_channel *as_mock(ferry_channel *ch, const char *fn, where at)
{
    if (ch == NULL || ch->ops != &mock_ops) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: the channel is %s, not a mock (ferry_mock_open())", fn,
                 ch == NULL ? "NULL" : "another kind");
        fail_test(at, msg);
    }
    return (mock_channel *)ch;
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
        fail_test(at, msg);
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

/* The record of `m`, added when missing; NULL when out of memory. Called
 * with the lock held. */
static method_rec *find_rec(mock_channel *mc, const ferry_method *m, int add)
{
    for (size_t i = 0; i < mc->n_recs; i++)
        if (mc->recs[i].m == m || strcmp(mc->recs[i].m->full_name, m->full_name) == 0)
            return &mc->recs[i];
    if (!add)
        return NULL;
    if (mc->n_recs == mc->cap_recs) {
        size_t cap = mc->cap_recs ? 2 * mc->cap_recs : 8;
        method_rec *v = realloc(mc->recs, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        mc->recs = v;
        mc->cap_recs = cap;
    }
    method_rec *r = &mc->recs[mc->n_recs++];
    memset(r, 0, sizeof *r);
    r->m = m;
    return r;
}

/* Checks the arguments every queueing function takes and allocates the
 * entry; fails the test on misuse. */
static entry *new_entry(const ferry_method *m, entry_kind kind, const char *fn, where at)
{
    char msg[200];
    if (m == NULL || m->full_name == NULL || m->input == NULL || m->output == NULL) {
        snprintf(msg, sizeof msg, "%s: the method descriptor is NULL or incomplete", fn);
        fail_test(at, msg);
    }
    entry *e = calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(msg, sizeof msg, "%s: %s: out of memory", fn, m->full_name);
        fail_test(at, msg);
    }
    e->kind = kind;
    e->count = 1;
    e->at = at;
    return e;
}

static void free_entry(entry *e)
{
    if (e->want != NULL)
        protobuf_c_message_free_unpacked(e->want, NULL);
    free(e->bytes);
    ferry_channel_close(e->local);
    free(e->invoke);
    free(e);
}

/* Appends `e` to the check or answer queue of `m`. */
static void enqueue(mock_channel *mc, const ferry_method *m, entry *e, const char *fn)
{
    pthread_mutex_lock(&mc->mu);
    method_rec *r = find_rec(mc, m, 1);
    if (r == NULL) {
        pthread_mutex_unlock(&mc->mu);
        where e_at = e->at;
        free_entry(e);
        char msg[200];
        snprintf(msg, sizeof msg, "%s: %s: out of memory", fn, m->full_name);
        fail_test(e_at, msg);
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

/* Packs `msg` (an `type` message; NULL = empty) into e->bytes, after
 * checking its type and completeness. */
static void keep_response(entry *e, const ferry_method *m, const ProtobufCMessage *msg,
                          const char *fn)
{
    char err[256];
    if (msg == NULL)
        return;
    if (msg->descriptor != m->output) {
        snprintf(err, sizeof err, "%s: %s returns a %s, not a %s", fn, m->full_name,
                 m->output->name, msg->descriptor != NULL ? msg->descriptor->name : "(NULL)");
    } else if (!protobuf_c_message_check(msg)) {
        snprintf(err, sizeof err,
                 "%s: %s: the response is incomplete (a required field or a string is NULL)", fn,
                 m->full_name);
    } else {
        e->len = protobuf_c_message_get_packed_size(msg);
        e->bytes = malloc(e->len ? e->len : 1);
        if (e->bytes != NULL) {
            protobuf_c_message_pack(msg, e->bytes);
            return;
        }
        snprintf(err, sizeof err, "%s: %s: out of memory", fn, m->full_name);
    }
    where at = e->at;
    free_entry(e);
    fail_test(at, err);
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
    const where at = {file, line};
    mock_channel *mc = as_mock(ch, "ferry_mock_expect", at);
    entry *e = new_entry(m, CHECK_FN, "ferry_mock_expect", at);
    if (check != NULL && check->invoke != NULL)
        e->check = *check;
    enqueue(mc, m, e, "ferry_mock_expect");
}

void ferry_mock_expect_request_at(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *want, const char *file, int line)
{
    static const char fn[] = "ferry_mock_expect_request";
    const where at = {file, line};
    mock_channel *mc = as_mock(ch, fn, at);
    entry *e = new_entry(m, CHECK_REQUEST, fn, at);
    if (want != NULL) {
        char err[256] = "";
        if (want->descriptor != m->input) {
            snprintf(err, sizeof err, "%s: %s takes a %s, not a %s", fn, m->full_name,
                     m->input->name, want->descriptor != NULL ? want->descriptor->name : "(NULL)");
        } else if (!protobuf_c_message_check(want)) {
            snprintf(err, sizeof err,
                     "%s: %s: the expected request is incomplete (a required field or a string "
                     "is NULL)",
                     fn, m->full_name);
        } else {
            /* A copy through the encoding: what the test built may not outlive this call. */
            size_t n = protobuf_c_message_get_packed_size(want);
            uint8_t *buf = malloc(n ? n : 1);
            if (buf != NULL) {
                protobuf_c_message_pack(want, buf);
                e->want = protobuf_c_message_unpack(m->input, NULL, n, buf);
                free(buf);
            }
            if (e->want == NULL)
                snprintf(err, sizeof err, "%s: %s: out of memory", fn, m->full_name);
        }
        if (err[0] != '\0') {
            free_entry(e);
            fail_test(at, err);
        }
    }
    enqueue(mc, m, e, fn);
}

void ferry_mock_will_return_at(ferry_channel *ch, const ferry_method *m,
                               const ProtobufCMessage *resp, const char *file, int line)
{
    static const char fn[] = "ferry_mock_will_return";
    const where at = {file, line};
    mock_channel *mc = as_mock(ch, fn, at);
    entry *e = new_entry(m, ANSWER_RETURN, fn, at);
    keep_response(e, m, resp, fn);
    enqueue(mc, m, e, fn);
}

void ferry_mock_will_fall_back_at(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *resp, const char *why, const char *file,
                                  int line)
{
    static const char fn[] = "ferry_mock_will_fall_back";
    const where at = {file, line};
    mock_channel *mc = as_mock(ch, fn, at);
    entry *e = new_entry(m, ANSWER_FALL_BACK, fn, at);
    keep_response(e, m, resp, fn);
    snprintf(e->msg, sizeof e->msg, "%s", why != NULL ? why : "");
    enqueue(mc, m, e, fn);
}

void ferry_mock_will_fail_at(ferry_channel *ch, const ferry_method *m, ferry_status st,
                             const char *msg, const char *file, int line)
{
    static const char fn[] = "ferry_mock_will_fail";
    const where at = {file, line};
    mock_channel *mc = as_mock(ch, fn, at);
    entry *e = new_entry(m, ANSWER_FAIL, fn, at);
    if (st == FERRY_OK || st == FERRY_FALLBACK) {
        char err[200];
        snprintf(err, sizeof err, "%s: %s: the status is %s; use %s", fn, m->full_name,
                 ferry_status_str(st),
                 st == FERRY_OK ? "ferry_mock_will_return()" : "ferry_mock_will_fall_back()");
        free_entry(e);
        fail_test(at, err);
    }
    e->st = st;
    snprintf(e->msg, sizeof e->msg, "%s", msg != NULL ? msg : "");
    enqueue(mc, m, e, fn);
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
    mock_channel *mc = as_mock(ch, fn, at);
    entry *e = new_entry(m, ANSWER_CALL, fn, at);
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
            ferry_status st = ferry_local_open(&e->local, &impl);
            if (st != FERRY_OK)
                snprintf(err, sizeof err, "%s: %s: cannot open a local channel: %s", fn,
                         m->full_name, ferry_last_error());
        } else {
            snprintf(err, sizeof err, "%s: %s: out of memory", fn, m->full_name);
        }
    }
    if (err[0] != '\0') {
        free_entry(e);
        fail_test(at, err);
    }
    enqueue(mc, m, e, fn);
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
        fail_test(at, err);
}

unsigned ferry_mock_calls_at(ferry_channel *ch, const ferry_method *m, const char *file, int line)
{
    mock_channel *mc = as_mock(ch, "ferry_mock_calls", (where){file, line});
    if (m == NULL || m->full_name == NULL)
        return 0;
    pthread_mutex_lock(&mc->mu);
    const method_rec *r = find_rec(mc, m, 0);
    unsigned n = r != NULL ? r->calls : 0;
    pthread_mutex_unlock(&mc->mu);
    return n;
}

/* ---- verifying ---- */

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

/* Writes what is unmet into `out` (empty when nothing is), each line with
 * the place that queued it, and forgets it. *at is where to report: the
 * first unmet entry, else the first failure on another thread. */
static void collect_unmet(mock_channel *mc, char *out, size_t out_len, where *at)
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

void ferry_mock_verify_at(ferry_channel *ch, const char *file, int line)
{
    mock_channel *mc = as_mock(ch, "ferry_mock_verify", (where){file, line});
    char msg[4096];
    where at;
    collect_unmet(mc, msg, sizeof msg, &at);
    if (msg[0] != '\0')
        fail_test(at, msg);
}

/* ---- the channel ---- */

static ferry_status mock_call(ferry_channel *ch, const ferry_method *m, const ProtobufCMessage *req,
                              ProtobufCMessage **resp, const ferry_call_opts *opts)
{
    mock_channel *mc = (mock_channel *)ch;
    char msg[FERRY_MESSAGE_MAX + 200];

    pthread_mutex_lock(&mc->mu);
    method_rec *r = find_rec(mc, m, 1);
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
        }
    } else if (answer->kind == ANSWER_FAIL) {
        st = answer->st;
        info_msg = answer->msg;
    } else {
        /* ANSWER_CALL: the local channel runs the handler and fills info. */
        return ferry_channel_call(answer->local, m, req, resp, opts);
    }
    fill_info(opts, st, info_msg);
    return st;
}

static ferry_status mock_call_async(ferry_channel *ch, const ferry_method *m,
                                    const ProtobufCMessage *req, const ferry_call_opts *opts,
                                    const ferry_completion *done)
{
    return ferryi_call_async_now(mock_call, ch, m, req, opts, done);
}

static void mock_close(ferry_channel *ch)
{
    mock_channel *mc = (mock_channel *)ch;
    char msg[4096];
    where at;
    collect_unmet(mc, msg, sizeof msg, &at);
    /* Free first: a failure leaves the test by longjmp. */
    entry *e = mc->all;
    while (e != NULL) {
        entry *next = e->all;
        free_entry(e);
        e = next;
    }
    free(mc->recs);
    pthread_mutex_destroy(&mc->mu);
    free(mc);
    if (msg[0] != '\0')
        fail_test(at, msg);
}

static const ferry_channel_ops mock_ops = {
    .call = mock_call,
    .call_async = mock_call_async,
    .close = mock_close,
};
