/* test_levels.c - protobuf's own idempotency_level read by the generator as
 * ferry's idempotent / read_only, and a remote channel retrying the methods
 * it marks after an unavailable answer (the others never). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "levels.ferry.h"

typedef Levels__V1__Ask Ask;
typedef Levels__V1__Answer Answer;

/* While above 0, the handler counts it down and answers unavailable: a
 * service that is briefly down. */
static atomic_int fail_unavailable;
static atomic_uint runs;

static ferry_status answer(void *user, ferry_call *call, const Ask *req, Answer *resp)
{
    (void)user;
    (void)call;
    atomic_fetch_add(&runs, 1);
    int left = atomic_load(&fail_unavailable);
    while (left > 0 && !atomic_compare_exchange_weak(&fail_unavailable, &left, left - 1))
        ;
    if (left > 0)
        return FERRY_UNAVAILABLE;
    resp->text = req->text; /* the request outlives the reply */
    return FERRY_OK;
}

static const levels_v1_levels_handlers handlers = {
    .put = answer,
    .get = answer,
    .guess = answer,
    .send = answer,
};

/* ---- the generated descriptor ---------------------------------------- */

static const ferry_method *method(unsigned i)
{
    assert_true(i < levels_v1_levels_desc.n_methods);
    return &levels_v1_levels_desc.methods[i];
}

/* idempotency_level = IDEMPOTENT: idempotent, and nothing more. */
static void test_idempotent_level_is_idempotent(void **state)
{
    (void)state;
    const ferry_method *m = method(LEVELS_V1_LEVELS_PUT);
    assert_string_equal(m->name, "Put");
    assert_true(m->opts.idempotent);
    assert_false(m->opts.read_only);
}

/* idempotency_level = NO_SIDE_EFFECTS: idempotent and read-only. */
static void test_no_side_effects_level_is_idempotent_and_read_only(void **state)
{
    (void)state;
    const ferry_method *m = method(LEVELS_V1_LEVELS_GET);
    assert_string_equal(m->name, "Get");
    assert_true(m->opts.idempotent);
    assert_true(m->opts.read_only);
}

/* IDEMPOTENCY_UNKNOWN, said or left unsaid: neither. */
static void test_unknown_level_is_neither(void **state)
{
    (void)state;
    const unsigned which[] = {LEVELS_V1_LEVELS_GUESS, LEVELS_V1_LEVELS_SEND};
    for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
        const ferry_method *m = method(which[i]);
        assert_false(m->opts.idempotent);
        assert_false(m->opts.read_only);
    }
}

/* ---- retries over a real connection ------------------------------------ */

typedef struct fixture {
    ferry_server *srv;
    ferry_channel *ch;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char bound[256];
    assert_int_equal(ferry_server_new(&f->srv, &(ferry_server_opts){.workers = 2}), FERRY_OK);
    assert_int_equal(levels_v1_levels_register(f->srv, &handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(f->srv, "tcp://127.0.0.1:0", bound, sizeof bound),
                     FERRY_OK);
    /* No circuit breaker: the tests count attempts against a failing server. */
    const ferry_client_opts co = {.retry = {.max_attempts = 4}, .breaker = {.disabled = 1}};
    assert_int_equal(ferry_client_open(&f->ch, bound, &co), FERRY_OK);
    atomic_store(&fail_unavailable, 0);
    atomic_store(&runs, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->ch);
    ferry_server_free(f->srv);
    free(f);
    return 0;
}

typedef ferry_status (*call_fn)(ferry_channel *ch, const Ask *req, Answer **resp,
                                const ferry_call_opts *opts);

/* Calls `fn` while the service is unavailable for its first `failures`
 * runs; returns the status and the attempts the channel made. */
static ferry_status call_through_outage(fixture *f, call_fn fn, int failures, unsigned *attempts)
{
    atomic_store(&fail_unavailable, failures);
    Ask req = LEVELS__V1__ASK__INIT;
    req.text = "again";
    ferry_call_info info;
    const ferry_call_opts opts = {.deadline_ms = 20000, .info = &info};
    Answer *resp = NULL;
    ferry_status st = fn(f->ch, &req, &resp, &opts);
    if (st == FERRY_OK)
        assert_string_equal(resp->text, "again");
    ferry_message_free(resp != NULL ? &resp->base : NULL);
    *attempts = info.attempts;
    return st;
}

/* A method marked only by idempotency_level = IDEMPOTENT is retried. */
static void test_idempotent_level_is_retried(void **state)
{
    unsigned attempts = 0;
    assert_int_equal(call_through_outage(*state, levels_v1_levels_put, 2, &attempts), FERRY_OK);
    assert_int_equal(attempts, 3);
    assert_int_equal(atomic_load(&runs), 3);
}

/* A method marked only by idempotency_level = NO_SIDE_EFFECTS is retried. */
static void test_no_side_effects_level_is_retried(void **state)
{
    unsigned attempts = 0;
    assert_int_equal(call_through_outage(*state, levels_v1_levels_get, 2, &attempts), FERRY_OK);
    assert_int_equal(attempts, 3);
    assert_int_equal(atomic_load(&runs), 3);
}

/* A method whose level is unknown, said or unsaid, runs once. */
static void test_unknown_level_is_not_retried(void **state)
{
    const call_fn fns[] = {levels_v1_levels_guess, levels_v1_levels_send};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        atomic_store(&runs, 0);
        unsigned attempts = 0;
        assert_int_equal(call_through_outage(*state, fns[i], 1, &attempts), FERRY_UNAVAILABLE);
        assert_int_equal(attempts, 1);
        assert_int_equal(atomic_load(&runs), 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotent_level_is_idempotent),
        cmocka_unit_test(test_no_side_effects_level_is_idempotent_and_read_only),
        cmocka_unit_test(test_unknown_level_is_neither),
        cmocka_unit_test_setup_teardown(test_idempotent_level_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_side_effects_level_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_level_is_not_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
