/* mock_chan.h - the mock channel's state, private to its two files:
 * mock.c queues checks and answers (the public API), mock_call.c takes
 * them for each call, fails the test and says what is unmet. mock.c calls
 * mock_call.c, never the other way. */
#ifndef FERRYI_MOCK_CHAN_H
#define FERRYI_MOCK_CHAN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/mock.h"

#include "call/channel_sync.h"

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

/* Fails the running test with `msg`, at `at` in the test's source; does
 * not return. */
void ferryi_mock_fail(where at, const char *msg) __attribute__((noreturn));

/* The record of `m`, added when missing (`add`); NULL when out of memory.
 * Called with the lock held. */
method_rec *ferryi_mock_find_rec(mock_channel *mc, const ferry_method *m, int add);

void ferryi_mock_free_entry(entry *e);

/* Writes what is unmet into `out` (empty when nothing is), each line with
 * the place that queued it, and forgets it. *at is where to report: the
 * first unmet entry, else the first failure on another thread. */
void ferryi_mock_collect_unmet(mock_channel *mc, char *out, size_t out_len, where *at);

/* The mock's call and close (its channel ops). */
ferryi_call_op ferryi_mock_call;
void ferryi_mock_close(ferry_channel *ch);

#endif
