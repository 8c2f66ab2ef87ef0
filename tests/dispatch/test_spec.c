/* test_spec.c - the route spec: what it accepts and how it writes routes
 * back; every kind of bad input refused with a message that says what is
 * wrong; the environment over the program's spec. */
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
enum { TOUCH = FERRYTEST_DISPATCH_V1_TWIN_TOUCH, PEEK = FERRYTEST_DISPATCH_V1_TWIN_PEEK };

static const ferry_service_desc *svc = &ferrytest_dispatch_v1_twin_desc;

static void test_good_specs(void **state)
{
    (void)state;
    ferry_route r[FERRYTEST_DISPATCH_V1_TWIN_N_METHODS];
    assert_int_equal(ferry_dispatch_parse(svc, "shadow", r), FERRY_OK);
    for (int i = 0; i < FERRYTEST_DISPATCH_V1_TWIN_N_METHODS; i++)
        assert_int_equal(r[i].stage, FERRY_STAGE_SHADOW);

    assert_int_equal(ferry_dispatch_parse(svc,
                                          " canary:25+local-fallback , Count = local ,"
                                          "Get=shadow+side-effects,Peek=remote+local-fallback",
                                          r),
                     FERRY_OK);
    assert_int_equal(r[TOUCH].stage, FERRY_STAGE_CANARY);
    assert_int_equal(r[TOUCH].canary_percent, 25);
    assert_true(r[TOUCH].local_fallback);
    assert_int_equal(r[COUNT].stage, FERRY_STAGE_LOCAL);
    assert_int_equal(r[GET].stage, FERRY_STAGE_SHADOW);
    assert_true(r[GET].side_effects);
    assert_int_equal(r[PEEK].stage, FERRY_STAGE_REMOTE);
    assert_true(r[PEEK].local_fallback);

    /* Method overrides alone: the others stay local. */
    assert_int_equal(ferry_dispatch_parse(svc, "Get=remote", r), FERRY_OK);
    assert_int_equal(r[GET].stage, FERRY_STAGE_REMOTE);
    assert_int_equal(r[COUNT].stage, FERRY_STAGE_LOCAL);
    /* Empty: all local. */
    assert_int_equal(ferry_dispatch_parse(svc, "  ", r), FERRY_OK);
    assert_int_equal(r[GET].stage, FERRY_STAGE_LOCAL);
    assert_int_equal(ferry_dispatch_parse(svc, "canary:0", r), FERRY_OK);
    assert_int_equal(ferry_dispatch_parse(svc, "canary:100", r), FERRY_OK);
    assert_int_equal(r[GET].canary_percent, 100);
}

static void refused(const char *spec, const char *want)
{
    ferry_route r[FERRYTEST_DISPATCH_V1_TWIN_N_METHODS];
    if (ferry_dispatch_parse(svc, spec, r) != FERRY_INVALID_ARGUMENT)
        fail_msg("spec '%s' was accepted", spec);
    if (strcmp(ferry_last_error(), want) != 0)
        fail_msg("spec '%s':\n  got  %s\n  want %s", spec, ferry_last_error(), want);
}

static void test_bad_specs(void **state)
{
    (void)state;
    refused("shadwo", "item 1: unknown stage \"shadwo\" (want local, shadow, canary:N or remote)");
    refused("Shadow", "item 1: unknown stage \"Shadow\" (want local, shadow, canary:N or remote)");
    refused("canary", "item 1: canary needs a percentage: canary:N with N from 0 to 100");
    refused("canary:", "item 1: canary percentage \"\" is not a whole number from 0 to 100");
    refused("canary:101", "item 1: canary percentage \"101\" is not a whole number from 0 to 100");
    refused("canary:-5", "item 1: canary percentage \"-5\" is not a whole number from 0 to 100");
    refused("canary:5.5", "item 1: canary percentage \"5.5\" is not a whole number from 0 to 100");
    refused("canary:0100",
            "item 1: canary percentage \"0100\" is not a whole number from 0 to 100");
    refused("canaryx",
            "item 1: unknown stage \"canaryx\" (want local, shadow, canary:N or remote)");
    refused("local+local-fallback",
            "item 1: +local-fallback applies to canary and remote only, not to local");
    refused("remote+side-effects", "item 1: +side-effects applies to shadow only, not to remote");
    refused("shadow+side-effects+side-effects", "item 1: flag \"side-effects\" is given twice");
    refused("shadow+", "item 1: an empty flag after '+' (want side-effects or local-fallback)");
    refused("shadow+fast", "item 1: unknown flag \"fast\" (want side-effects or local-fallback)");
    refused("shadow,remote", "item 2: a second service-wide route; give one, and METHOD=ROUTE for "
                             "the others");
    refused("shadow,,Get=local",
            "item 2: the item is empty (two commas in a row, or one at an end)");
    refused("shadow,", "item 2: the item is empty (two commas in a row, or one at an end)");
    refused("=local", "item 1: no method name before '='");
    refused("Get=", "item 1: the route is empty (want local, shadow, canary:N or remote)");
    refused("Get=local=remote", "item 1: more than one '=' (items are separated by ',')");
    refused("shadow,Fetch=local", "item 2: \"Fetch\" is not a method of ferrytest.dispatch.v1.Twin "
                                  "(its methods: Get, Count, Touch, Peek)");
    refused("get=local", "item 1: \"get\" is not a method of ferrytest.dispatch.v1.Twin (its "
                         "methods: Get, Count, Touch, Peek)");
    refused("Get=local,Get=remote", "item 2: method Get is given twice");
    refused("shadow\n", "the spec holds a control character (byte 0x0a at offset 6)");
    refused("Gét=local", "item 1: \"G??t\" is not a method of ferrytest.dispatch.v1.Twin (its "
                         "methods: Get, Count, Touch, Peek)");
    char long_spec[5000];
    memset(long_spec, 'a', sizeof long_spec - 1);
    long_spec[sizeof long_spec - 1] = '\0';
    refused(long_spec, "the spec is 4999 characters long; at most 4096 are accepted");
    memset(long_spec, 'a', 200);
    long_spec[200] = '\0';
    refused(long_spec,
            "item 1: unknown stage \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" "
            "(want local, shadow, canary:N or remote)");
}

static ferry_channel *remote_channel(void)
{
    ferry_channel *remote = NULL;
    assert_int_equal(ferry_client_open(&remote, "inproc://ferry-dispatch-spec-nowhere", NULL),
                     FERRY_OK);
    return remote;
}

/* A refused spec leaves the routes as they were. */
static void test_configure_is_all_or_nothing(void **state)
{
    (void)state;
    twin_side side = {0};
    ferry_channel *ch = NULL;
    ferry_dispatch_opts o = {.spec = "shadow,Count=local"};
    assert_int_equal(ferrytest_dispatch_v1_twin_dispatcher_open(&ch, &twin_handlers, &side,
                                                                remote_channel(), &o),
                     FERRY_OK);
    assert_int_equal(ferry_dispatcher_configure(ch, "remote,Get=bogus"), FERRY_INVALID_ARGUMENT);
    assert_string_equal(ferry_last_error(), "item 2: unknown stage \"bogus\" (want local, shadow, "
                                            "canary:N or remote)");
    char spec[128];
    ferry_dispatcher_spec(ch, spec, sizeof spec);
    assert_string_equal(spec, "shadow,Count=local");
    assert_int_equal(ferry_dispatcher_configure(ch, "canary:5+local-fallback,Get=remote"),
                     FERRY_OK);
    ferry_dispatcher_spec(ch, spec, sizeof spec);
    assert_string_equal(spec, "canary:5+local-fallback,Get=remote");
    /* A short buffer: truncated, and the length needed returned. */
    char small[8];
    assert_int_equal(ferry_dispatcher_spec(ch, small, sizeof small), strlen(spec));
    assert_string_equal(small, "canary:");
    ferry_channel_close(ch);
}

/* The generated open reads FERRY_DISPATCH_<SERVICE> over the program's spec;
 * a bad value is refused with the variable's name, and the caller keeps
 * the remote channel. */
static void test_environment(void **state)
{
    (void)state;
    assert_string_equal(FERRYTEST_DISPATCH_V1_TWIN_DISPATCH_ENV,
                        "FERRY_DISPATCH_FERRYTEST_DISPATCH_V1_TWIN");
    twin_side side = {0};
    ferry_channel *remote = remote_channel();
    ferry_channel *ch = NULL;
    ferry_dispatch_opts o = {.spec = "local"};

    setenv(FERRYTEST_DISPATCH_V1_TWIN_DISPATCH_ENV, "canary:7,Get=shadow", 1);
    assert_int_equal(
        ferrytest_dispatch_v1_twin_dispatcher_open(&ch, &twin_handlers, &side, remote, &o),
        FERRY_OK);
    char spec[128];
    ferry_dispatcher_spec(ch, spec, sizeof spec);
    assert_string_equal(spec, "canary:7,Get=shadow");
    ferry_channel_close(ch); /* closes remote too */

    remote = remote_channel();
    setenv(FERRYTEST_DISPATCH_V1_TWIN_DISPATCH_ENV, "remote,Count=shadow+local-fallback", 1);
    assert_int_equal(
        ferrytest_dispatch_v1_twin_dispatcher_open(&ch, &twin_handlers, &side, remote, &o),
        FERRY_INVALID_ARGUMENT);
    assert_null(ch);
    assert_string_equal(ferry_last_error(),
                        "FERRY_DISPATCH_FERRYTEST_DISPATCH_V1_TWIN: item 2: +local-fallback "
                        "applies to canary and remote only, not to shadow");

    /* An empty variable is no setting: the program's spec applies. */
    setenv(FERRYTEST_DISPATCH_V1_TWIN_DISPATCH_ENV, "", 1);
    assert_int_equal(
        ferrytest_dispatch_v1_twin_dispatcher_open(&ch, &twin_handlers, &side, remote, &o),
        FERRY_OK);
    ferry_dispatcher_spec(ch, spec, sizeof spec);
    assert_string_equal(spec, "local");
    ferry_channel_close(ch);

    /* Another variable, named by the program. */
    remote = remote_channel();
    setenv("FERRY_DISPATCH_TWIN", "remote", 1);
    o.env_name = "FERRY_DISPATCH_TWIN";
    assert_int_equal(
        ferrytest_dispatch_v1_twin_dispatcher_open(&ch, &twin_handlers, &side, remote, &o),
        FERRY_OK);
    ferry_dispatcher_spec(ch, spec, sizeof spec);
    assert_string_equal(spec, "remote");
    ferry_channel_close(ch);
    unsetenv("FERRY_DISPATCH_TWIN");
    unsetenv(FERRYTEST_DISPATCH_V1_TWIN_DISPATCH_ENV);
}

static void test_open_arguments(void **state)
{
    (void)state;
    ferry_channel *ch = (ferry_channel *)1;
    assert_int_equal(ferry_dispatcher_open(&ch, svc, NULL, NULL, NULL), FERRY_INVALID_ARGUMENT);
    assert_null(ch);
    assert_string_equal(ferry_last_error(),
                        "ferry_dispatcher_open: out, svc, local and remote are needed");
    assert_string_equal(ferry_stage_str(FERRY_STAGE_CANARY), "canary");
    assert_string_equal(ferry_stage_str((ferry_stage)9), "unknown stage");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_specs),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_configure_is_all_or_nothing),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_open_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
