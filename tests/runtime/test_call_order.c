/* test_call_order.c - the order in which a server judges a call once its
 * header has passed: deadline, then the method's roles, then the body, then
 * the handler (docs/wire.md, "Order of the checks"). A caller without a role
 * is refused before its body is decoded, so a bad body never wins over a
 * missing role and an unauthorised caller costs no decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "call/call.h"
#include "base/clock.h"
#include "probe.h"

/* Not a protobuf message: field 1 as a string whose length runs past the end. */
static const uint8_t bad_body[] = {0x0a, 0x7f, 'h', 'i'};
/* EchoRequest{text: "hi"}: the body of docs/wire.md's vector 1. */
static const uint8_t good_body[] = {0x0a, 0x02, 'h', 'i'};

static const char *const admin_roles[] = {"admin"};
static const char *const reader_roles[] = {"reader"};

typedef struct fixture {
    ferry_service_impl impl;
    ferry_call call;
    ferry_identity id;
    atomic_uint_fast64_t denied;
} fixture;

static const ferry_method *method_named(const char *name)
{
    for (size_t i = 0; i < ferrytest_v1_probe_desc.n_methods; i++)
        if (strcmp(ferrytest_v1_probe_desc.methods[i].name, name) == 0)
            return &ferrytest_v1_probe_desc.methods[i];
    fail_msg("the probe has no method %s", name);
    return NULL;
}

/* A call of Probe/Admin (roles: "admin") on a server that enforces roles,
 * by a caller holding `roles`. */
static void setup_call(fixture *f, const char *const *roles, size_t n_roles)
{
    memset(f, 0, sizeof *f);
    ferrytest_v1_probe_impl(&f->impl, &probe_handlers, NULL);
    const ferry_method *m = method_named("Admin");
    assert_int_equal(m->opts.n_roles, 1);
    ferryi_call_init(&f->call, &f->impl, m);
    f->id = (ferry_identity){.name = "bob", .roles = roles, .n_roles = n_roles};
    f->call.identity = &f->id;
    f->call.enforce_roles = 1;
    atomic_init(&f->denied, 0);
    f->call.denied = &f->denied;
}

static ferry_status run(fixture *f, const uint8_t *body, size_t len)
{
    ProtobufCMessage *resp = NULL;
    ferry_status st = ferryi_call_run(&f->call, body, len, &resp);
    assert_true(st == FERRY_OK ? resp != NULL : resp == NULL);
    return st;
}

static void missing_role_wins_over_bad_body(void **state)
{
    (void)state;
    fixture f;
    setup_call(&f, reader_roles, 1);
    uint64_t ran = atomic_load(&probe_calls);
    assert_int_equal(run(&f, bad_body, sizeof bad_body), FERRY_PERMISSION_DENIED);
    assert_non_null(strstr(f.call.message, "needs role \"admin\""));
    assert_int_equal(atomic_load(&f.denied), 1);
    assert_int_equal(atomic_load(&probe_calls), ran);
    ferryi_call_fini(&f.call);
}

static void missing_role_decodes_nothing(void **state)
{
    (void)state;
    fixture f;
    setup_call(&f, NULL, 0);
    f.call.identity = NULL; /* an anonymous caller holds no roles */
    assert_int_equal(run(&f, good_body, sizeof good_body), FERRY_PERMISSION_DENIED);
    /* The refusal's message is all the call took: no request was decoded. */
    assert_int_equal(f.call.arena.used, 0);
    ferryi_call_fini(&f.call);
}

static void holder_of_role_gets_body_judged(void **state)
{
    (void)state;
    fixture f;
    setup_call(&f, admin_roles, 1);
    assert_int_equal(run(&f, bad_body, sizeof bad_body), FERRY_INVALID_ARGUMENT);
    assert_non_null(strstr(f.call.message, "is not a valid ferrytest.v1.EchoRequest"));
    assert_int_equal(atomic_load(&f.denied), 0);
    ferryi_call_fini(&f.call);
}

static void holder_of_role_runs_handler(void **state)
{
    (void)state;
    fixture f;
    setup_call(&f, admin_roles, 1);
    uint64_t ran = atomic_load(&probe_calls);
    assert_int_equal(run(&f, good_body, sizeof good_body), FERRY_OK);
    assert_int_equal(atomic_load(&probe_calls), ran + 1);
    ferryi_call_fini(&f.call);
}

static void deadline_comes_before_roles(void **state)
{
    (void)state;
    fixture f;
    setup_call(&f, reader_roles, 1);
    f.call.deadline_at_ms = 1; /* long past on the monotonic clock */
    assert_true(ferryi_now_ms() > 1);
    assert_int_equal(run(&f, bad_body, sizeof bad_body), FERRY_DEADLINE_EXCEEDED);
    assert_int_equal(atomic_load(&f.denied), 0);
    ferryi_call_fini(&f.call);
}

static void roles_not_enforced_body_judged(void **state)
{
    (void)state;
    fixture f;
    setup_call(&f, NULL, 0);
    f.call.identity = NULL;
    f.call.enforce_roles =
        0; /* a local channel, or a server told to serve roles without identity */
    assert_int_equal(run(&f, bad_body, sizeof bad_body), FERRY_INVALID_ARGUMENT);
    ferryi_call_fini(&f.call);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_role_wins_over_bad_body),
        cmocka_unit_test(missing_role_decodes_nothing),
        cmocka_unit_test(holder_of_role_gets_body_judged),
        cmocka_unit_test(holder_of_role_runs_handler),
        cmocka_unit_test(deadline_comes_before_roles),
        cmocka_unit_test(roles_not_enforced_body_judged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
