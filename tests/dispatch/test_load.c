/* test_load.c - routes changed while many threads call: every call is
 * answered exactly once, by one side, whatever the route was when it
 * started. Count has side effects, so each of its calls runs one handler:
 * the handlers' runs on both sides add up to the calls made, and the
 * shadow calls the opt-in route adds. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twin.h"

#define THREADS 4
#define CHANGES 120 /* route changes, each after the workers made progress */
#define AHEAD   8   /* calls a worker may make per change */

enum { GET = FERRYTEST_DISPATCH_V1_TWIN_GET, COUNT = FERRYTEST_DISPATCH_V1_TWIN_COUNT };

typedef struct worker {
    twin *t;
    int id;
    atomic_int *stop;
    atomic_uint_fast64_t *made; /* calls made by all workers */
    atomic_uint *changes;       /* route changes made so far */
    uint64_t calls, gets, ok, get_ok;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (uint64_t i = 0; !atomic_load(w->stop); i++) {
        /* At most AHEAD calls per worker per change: the calls spread over
         * all the changes instead of racing ahead on the fast routes. */
        while (!atomic_load(w->stop) &&
               atomic_load(w->made) >= (atomic_load(w->changes) + 1u) * THREADS * AHEAD)
            sched_yield();
        uint64_t token = (uint64_t)w->id << 32 | (uint64_t)i;
        Ferrytest__Dispatch__V1__CountRequest req = FERRYTEST__DISPATCH__V1__COUNT_REQUEST__INIT;
        req.token = token;
        Ferrytest__Dispatch__V1__CountReply *resp = NULL;
        ferry_call_opts opts = {.deadline_ms = 10000};
        ferry_status st = ferrytest_dispatch_v1_twin_count(w->t->ch, &req, &resp, &opts);
        w->calls++;
        if (st == FERRY_OK && resp != NULL && resp->token == token)
            w->ok++;
        ferry_message_free((ProtobufCMessage *)resp);
        if (i % 4 == 0) {
            Ferrytest__Dispatch__V1__GetRequest g = FERRYTEST__DISPATCH__V1__GET_REQUEST__INIT;
            g.id = "load";
            Ferrytest__Dispatch__V1__Record *r = NULL;
            w->gets++;
            if (ferrytest_dispatch_v1_twin_get(w->t->ch, &g, &r, &opts) == FERRY_OK &&
                r->amount == 5)
                w->get_ok++;
            ferry_message_free((ProtobufCMessage *)r);
        }
        atomic_fetch_add(w->made, 1);
    }
    return NULL;
}

static void test_route_changes_under_load(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "local");
    static const char *const specs[] = {
        "local",
        "canary:50",
        "remote",
        "shadow",
        "canary:10,Count=remote",
        "shadow,Count=shadow+side-effects,Get=remote",
    };
    atomic_int stop;
    atomic_uint_fast64_t made;
    atomic_uint changes;
    atomic_init(&stop, 0);
    atomic_init(&made, 0);
    atomic_init(&changes, 0);
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.t = &t, .id = i, .stop = &stop, .made = &made, .changes = &changes};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    /* Change the routes while the workers call: each change waits until
     * they have made a few more calls, so changes and calls interleave
     * however fast or slow the machine is. */
    for (unsigned c = 0; c < CHANGES; c++) {
        uint64_t seen = atomic_load(&made);
        uint64_t cap = (uint64_t)(c + 1) * THREADS * AHEAD; /* where the workers pause */
        uint64_t want = seen + THREADS < cap ? seen + THREADS : cap;
        while (atomic_load(&made) < want)
            sched_yield();
        const char *spec = specs[c % (sizeof specs / sizeof specs[0])];
        if (ferry_dispatcher_configure(t.ch, spec) != FERRY_OK)
            fail_msg("configure %s: %s", spec, ferry_last_error());
        atomic_fetch_add(&changes, 1);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    ferry_dispatcher_wait_shadows(t.ch);

    uint64_t total = 0, ok = 0, gets = 0, get_ok = 0;
    for (int i = 0; i < THREADS; i++) {
        total += w[i].calls;
        ok += w[i].ok;
        gets += w[i].gets;
        get_ok += w[i].get_ok;
    }
    assert_true(total >= (uint64_t)CHANGES * THREADS);
    assert_int_equal(ok, total);
    assert_int_equal(get_ok, gets);

    /* Count ran once per call, except the shadow calls the opt-in spec made,
     * which the counters tell apart. */
    uint64_t calls = 0, answered = 0, shadowed = 0;
    for (int s = 0; s < FERRY_STAGE_COUNT; s++) {
        ferry_dispatch_stats st = twin_stats(t.ch, COUNT, (ferry_stage)s);
        calls += st.calls;
        answered += st.answered_local + st.answered_remote;
        shadowed += st.shadowed;
        assert_int_equal(st.remote_errors + st.local_errors, 0);
    }
    assert_int_equal(calls, total);
    assert_int_equal(answered, total);
    assert_int_equal(t.local.counts + t.remote.counts, total + shadowed);
    fprintf(stderr, "%u route changes during %llu calls; %llu local, %llu remote, %llu shadowed\n",
            CHANGES, (unsigned long long)total, (unsigned long long)t.local.counts,
            (unsigned long long)t.remote.counts, (unsigned long long)shadowed);
    twin_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_changes_under_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
