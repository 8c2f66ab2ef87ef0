/* test_dispatcher_api.c - the dispatcher's configuration and reports at
 * their edges: a method given by another copy of its descriptor, a route's
 * canary share kept only at the canary stage, the spec's length without a
 * buffer or with a short one, a foreign method's or stage's queries
 * refused, and the last mismatch in both reports, quotes escaped in JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "twin.h"

enum { GET = FERRYTEST_DISPATCH_V1_TWIN_GET, COUNT = FERRYTEST_DISPATCH_V1_TWIN_COUNT };

/* A method descriptor that is a copy of the generated one (another build's
 * table, say) names the same method: its route is the method's route, and
 * a call through it goes where the method's calls go. */
static void test_copied_method_descriptor(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "local,Count=remote");
    ferry_method copy = *twin_method(COUNT);
    copy.index = 99; /* not where the service's table has it */
    ferry_route r;
    assert_int_equal(ferry_dispatcher_route(t.ch, &copy, &r), FERRY_OK);
    assert_int_equal(r.stage, FERRY_STAGE_REMOTE);
    Ferrytest__Dispatch__V1__CountRequest req = FERRYTEST__DISPATCH__V1__COUNT_REQUEST__INIT;
    req.token = 5;
    ProtobufCMessage *resp = NULL;
    assert_int_equal(ferry_channel_call(t.ch, &copy, &req.base, &resp, NULL), FERRY_OK);
    ferry_message_free(resp);
    assert_int_equal(t.remote.counts, 1);
    assert_int_equal(t.local.counts, 0);
    twin_close(&t);
}

/* A canary share belongs to the canary stage: set with another stage it is
 * dropped, so reading the route back and the spec show none. */
static void test_canary_share_only_at_canary(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "local");
    ferry_route r = {.stage = FERRY_STAGE_REMOTE, .canary_percent = 40};
    assert_int_equal(ferry_dispatcher_set_route(t.ch, twin_method(COUNT), &r), FERRY_OK);
    ferry_route back;
    assert_int_equal(ferry_dispatcher_route(t.ch, twin_method(COUNT), &back), FERRY_OK);
    assert_int_equal(back.stage, FERRY_STAGE_REMOTE);
    assert_int_equal(back.canary_percent, 0);
    char spec[64];
    ferry_dispatcher_spec(t.ch, spec, sizeof spec);
    assert_string_equal(spec, "local,Count=remote");
    /* Shadowing side effects belongs to the shadow stage alone. */
    r = (ferry_route){.stage = FERRY_STAGE_REMOTE, .side_effects = 1};
    assert_int_equal(ferry_dispatcher_set_route(t.ch, twin_method(COUNT), &r),
                     FERRY_INVALID_ARGUMENT);
    r = (ferry_route){.stage = FERRY_STAGE_COUNT};
    assert_int_equal(ferry_dispatcher_set_route(t.ch, twin_method(COUNT), &r),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_dispatcher_set_route(t.ch, twin_method(COUNT), NULL),
                     FERRY_INVALID_ARGUMENT);
    twin_close(&t);
}

/* The spec's length comes back without a buffer, and a short buffer gets
 * as much of the spec as fits, cut, while the length returned is the
 * whole. */
static void test_spec_length_and_short_buffer(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow,Count=canary:25");
    const char *whole = "shadow,Count=canary:25";
    assert_int_equal(ferry_dispatcher_spec(t.ch, NULL, 0), strlen(whole));
    char small[10];
    assert_int_equal(ferry_dispatcher_spec(t.ch, small, sizeof small), strlen(whole));
    assert_string_equal(small, "shadow,Co");
    twin_close(&t);
}

/* Queries about a stage that does not exist, or a method of another
 * service, are refused or answered empty; configuring with no spec is
 * refused with a reason. */
static void test_foreign_queries(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "local");
    ferry_dispatch_stats st;
    assert_int_equal(ferry_dispatcher_stats(t.ch, twin_method(GET), FERRY_STAGE_COUNT, &st),
                     FERRY_INVALID_ARGUMENT);
    assert_int_equal(ferry_dispatcher_stats(t.ch, twin_method(GET), FERRY_STAGE_LOCAL, NULL),
                     FERRY_INVALID_ARGUMENT);
    static const ferry_service_desc other = {.name = "Other", .full_name = "x.Other"};
    ferry_method foreign = *twin_method(GET);
    foreign.service = &other;
    foreign.full_name = "x.Other/Get";
    char buf[32] = "unchanged";
    assert_int_equal(ferry_dispatcher_last_mismatch(t.ch, &foreign, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(ferry_dispatcher_configure(t.ch, NULL), FERRY_INVALID_ARGUMENT);
    assert_string_equal(ferry_last_error(), "ferry_dispatcher_configure: no spec given");
    twin_close(&t);
}

/* After a shadow mismatch, the text report names the last one, and the
 * JSON report carries it with its quotes escaped. */
static void test_reports_carry_last_mismatch(void **state)
{
    (void)state;
    twin t;
    twin_open(&t, "shadow");
    atomic_store(&t.remote.variant, TWIN_MAP);
    ferry_message_free((ProtobufCMessage *)twin_get(t.ch, "x", FERRY_OK));
    ferry_dispatcher_wait_shadows(t.ch);
    char last[512];
    assert_true(ferry_dispatcher_last_mismatch(t.ch, twin_method(GET), last, sizeof last) > 0);
    assert_non_null(strstr(last, "scores[\"b\"]"));

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(ferry_dispatcher_write_stats(t.ch, f, FERRY_STATS_TEXT), FERRY_OK);
    fclose(f);
    assert_non_null(strstr(buf, "last mismatch of Get: "));
    assert_non_null(strstr(buf, "scores[\"b\"]"));
    free(buf);

    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(ferry_dispatcher_write_stats(t.ch, f, FERRY_STATS_JSON), FERRY_OK);
    fclose(f);
    assert_non_null(strstr(buf, "scores[\\\"b\\\"]"));
    assert_null(strstr(buf, "scores[\"b\"]"));
    free(buf);
    twin_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copied_method_descriptor),
        cmocka_unit_test(test_canary_share_only_at_canary),
        cmocka_unit_test(test_spec_length_and_short_buffer),
        cmocka_unit_test(test_foreign_queries),
        cmocka_unit_test(test_reports_carry_last_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
