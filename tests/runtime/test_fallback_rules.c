/* test_fallback_rules.c - which fallback answers a failed call, driven
 * through a channel's fallback table (fallback.h): only outages get one;
 * the application's function overrides the IDL's, the latest one set wins,
 * and removing it gives the IDL's back; a function that fails or leaves an
 * invalid response, or an IDL default that does not decode, is no fallback
 * at all; the message says what failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/fallback.h"
#include "probe.h"

static const ferry_method *method(int i)
{
    return &ferrytest_v1_probe_desc.methods[i];
}

/* Writes `arg` as the reply's text. */
static ferry_status says(void *arg, const ferry_method *m, const ProtobufCMessage *req,
                         ferry_status cause, ProtobufCMessage *resp)
{
    (void)m;
    (void)req;
    (void)cause;
    ((Ferrytest__V1__EchoReply *)resp)->text = arg;
    return FERRY_OK;
}

static ferry_status refuses(void *arg, const ferry_method *m, const ProtobufCMessage *req,
                            ferry_status cause, ProtobufCMessage *resp)
{
    (void)arg;
    (void)m;
    (void)req;
    (void)resp;
    return cause;
}

/* Claims two entries of a repeated string without giving them: a response
 * protobuf-c would not encode. */
static ferry_status leaves_invalid(void *arg, const ferry_method *m, const ProtobufCMessage *req,
                                   ferry_status cause, ProtobufCMessage *resp)
{
    (void)arg;
    (void)m;
    (void)req;
    (void)cause;
    Ferrytest__V1__EchoReply *r = (Ferrytest__V1__EchoReply *)resp;
    r->n_md_values = 2;
    r->md_values = NULL;
    return FERRY_OK;
}

/* Applies the fallbacks of `m` to a failure `cause`; returns the status and
 * the reply's text in `text` ("(none)" without a reply). */
static ferry_status apply(ferryi_fallbacks *f, const ferry_method *m, ferry_status cause,
                          char *text, size_t len, ferry_call_info *info)
{
    ferry_call_info local;
    if (info == NULL)
        info = &local;
    memset(info, 0, sizeof *info);
    snprintf(info->message, sizeof info->message, "connection refused");
    ProtobufCMessage *resp = NULL;
    ferry_status st = ferryi_fallback_apply(f, m, NULL, cause, &resp, info);
    snprintf(text, len, "%s", resp != NULL ? ((Ferrytest__V1__EchoReply *)resp)->text : "(none)");
    if (st != FERRY_FALLBACK)
        assert_null(resp);
    ferry_message_free(resp);
    return st;
}

/* Only outages (unavailable, deadline exceeded) get a fallback; an answer
 * of the service, even an error, is the caller's as it is. The message
 * says what failed. */
static void test_only_outages_fall_back(void **state)
{
    (void)state;
    ferryi_fallbacks f;
    ferryi_fallbacks_init(&f);
    char text[64];
    ferry_call_info info;
    const ferry_method *lookup = method(FERRYTEST_V1_PROBE_LOOKUP);
    assert_int_equal(apply(&f, lookup, FERRY_UNAVAILABLE, text, sizeof text, &info),
                     FERRY_FALLBACK);
    assert_string_equal(text, "");
    assert_string_equal(info.message, "fallback after unavailable: connection refused");
    assert_int_equal(apply(&f, lookup, FERRY_DEADLINE_EXCEEDED, text, sizeof text, NULL),
                     FERRY_FALLBACK);
    assert_int_equal(apply(&f, lookup, FERRY_INTERNAL, text, sizeof text, NULL), FERRY_INTERNAL);
    assert_int_equal(apply(&f, lookup, FERRY_NOT_FOUND, text, sizeof text, NULL), FERRY_NOT_FOUND);
    assert_int_equal(apply(&f, lookup, FERRY_RESOURCE_EXHAUSTED, text, sizeof text, NULL),
                     FERRY_RESOURCE_EXHAUSTED);
    /* Echo has no fallback in the IDL. */
    assert_int_equal(
        apply(&f, method(FERRYTEST_V1_PROBE_ECHO), FERRY_UNAVAILABLE, text, sizeof text, NULL),
        FERRY_UNAVAILABLE);
    ferryi_fallbacks_fini(&f);
}

/* The application's function overrides the IDL's fallback, the one set
 * last wins, and removing it gives the IDL's back; removing one never set
 * changes nothing. */
static void test_latest_application_fallback_wins(void **state)
{
    (void)state;
    ferryi_fallbacks f;
    ferryi_fallbacks_init(&f);
    const ferry_method *lookup = method(FERRYTEST_V1_PROBE_LOOKUP);
    char text[64];
    assert_int_equal(ferryi_fallback_set(&f, lookup, NULL, NULL), FERRY_OK); /* none to remove */
    assert_false(ferryi_fallback_wants_request(&f, lookup));
    assert_int_equal(ferryi_fallback_set(&f, lookup, says, "first"), FERRY_OK);
    assert_int_equal(ferryi_fallback_set(&f, lookup, says, "second"), FERRY_OK);
    assert_true(ferryi_fallback_wants_request(&f, lookup));
    assert_int_equal(apply(&f, lookup, FERRY_UNAVAILABLE, text, sizeof text, NULL), FERRY_FALLBACK);
    assert_string_equal(text, "second");
    assert_int_equal(ferryi_fallback_set(&f, lookup, NULL, NULL), FERRY_OK);
    assert_false(ferryi_fallback_wants_request(&f, lookup));
    assert_int_equal(apply(&f, lookup, FERRY_UNAVAILABLE, text, sizeof text, NULL), FERRY_FALLBACK);
    assert_string_equal(text, ""); /* the IDL's empty reply again */
    ferryi_fallbacks_fini(&f);
}

/* Every method keeps its own function, however many have one. */
static void test_each_method_keeps_its_own(void **state)
{
    (void)state;
    ferryi_fallbacks f;
    ferryi_fallbacks_init(&f);
    static const char *const names[] = {"echo",  "write", "lookup", "missing",
                                        "admin", "guess", "audit"};
    for (int i = 0; i < FERRYTEST_V1_PROBE_N_METHODS; i++)
        assert_int_equal(ferryi_fallback_set(&f, method(i), says, (void *)names[i]), FERRY_OK);
    assert_int_equal(ferryi_fallback_set(&f, method(FERRYTEST_V1_PROBE_WRITE), NULL, NULL),
                     FERRY_OK);
    char text[64];
    for (int i = 0; i < FERRYTEST_V1_PROBE_N_METHODS; i++) {
        ferry_status st = apply(&f, method(i), FERRY_UNAVAILABLE, text, sizeof text, NULL);
        if (i == FERRYTEST_V1_PROBE_WRITE) {
            assert_int_equal(st, FERRY_UNAVAILABLE); /* removed, and no IDL fallback */
        } else {
            assert_int_equal(st, FERRY_FALLBACK);
            assert_string_equal(text, names[i]);
        }
    }
    ferryi_fallbacks_fini(&f);
}

/* A function that declines (returns other than FERRY_OK), or that leaves
 * a response protobuf-c cannot encode, is no fallback: the caller gets the
 * failure, even where the IDL has a fallback of its own. */
static void test_failed_application_fallback_gives_the_failure(void **state)
{
    (void)state;
    ferryi_fallbacks f;
    ferryi_fallbacks_init(&f);
    const ferry_method *lookup = method(FERRYTEST_V1_PROBE_LOOKUP);
    char text[64];
    assert_int_equal(ferryi_fallback_set(&f, lookup, refuses, NULL), FERRY_OK);
    assert_int_equal(apply(&f, lookup, FERRY_UNAVAILABLE, text, sizeof text, NULL),
                     FERRY_UNAVAILABLE);
    assert_int_equal(ferryi_fallback_set(&f, lookup, leaves_invalid, NULL), FERRY_OK);
    ferry_call_info info;
    assert_int_equal(apply(&f, lookup, FERRY_DEADLINE_EXCEEDED, text, sizeof text, &info),
                     FERRY_DEADLINE_EXCEEDED);
    assert_string_equal(info.message, "connection refused"); /* untouched */
    ferryi_fallbacks_fini(&f);
}

/* The IDL's default response is returned as the generator encoded it; a
 * default whose bytes do not decode as the reply type (a descriptor not
 * made by protoc-gen-ferry) is no fallback, and one with no bytes is the
 * empty reply. */
static void test_idl_default_response(void **state)
{
    (void)state;
    ferryi_fallbacks f;
    ferryi_fallbacks_init(&f);
    char text[64];
    const ferry_method *guess = method(FERRYTEST_V1_PROBE_GUESS);
    assert_int_equal(guess->opts.fallback, FERRY_FALLBACK_DEFAULT);
    assert_int_equal(apply(&f, guess, FERRY_UNAVAILABLE, text, sizeof text, NULL), FERRY_FALLBACK);
    assert_string_not_equal(text, "");

    static const uint8_t garbage[] = {0x0a, 0x7f, 'x'}; /* a text of 127 bytes, 1 there */
    ferry_method broken = *guess;
    broken.opts.fallback_default_pb = garbage;
    broken.opts.fallback_default_len = sizeof garbage;
    assert_int_equal(apply(&f, &broken, FERRY_UNAVAILABLE, text, sizeof text, NULL),
                     FERRY_UNAVAILABLE);

    ferry_method empty = *guess;
    empty.opts.fallback_default_pb = NULL;
    empty.opts.fallback_default_len = 0;
    assert_int_equal(apply(&f, &empty, FERRY_UNAVAILABLE, text, sizeof text, NULL), FERRY_FALLBACK);
    assert_string_equal(text, "");
    ferryi_fallbacks_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_outages_fall_back),
        cmocka_unit_test(test_latest_application_fallback_wins),
        cmocka_unit_test(test_each_method_keeps_its_own),
        cmocka_unit_test(test_failed_application_fallback_gives_the_failure),
        cmocka_unit_test(test_idl_default_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
