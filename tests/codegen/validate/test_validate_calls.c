/* test_validate_calls.c - a call whose request breaks the IDL's rules is
 * refused before its handler runs: FERRY_INVALID_ARGUMENT, every violation
 * in the message and, when the caller asks, as a list -- from a local
 * channel, from a server over the wire, and from a client that validates
 * before sending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <string.h>

#include <cmocka.h>

#include "rules/v1/rules.ferry.h"

static atomic_int handled;

static ferry_status walk(void *user, ferry_call *call, const Rules__V1__Node *req,
                         Rules__V1__Reply *resp)
{
    (void)user, (void)call, (void)req, (void)resp;
    handled++;
    return FERRY_OK;
}

static const rules_v1_rules_handlers handlers = {.walk = walk};

/* A valid request reaches the handler; the list comes back empty. */
static void test_valid_request_is_handled(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(rules_v1_rules_local_open(&ch, &handlers, NULL), FERRY_OK);
    Rules__V1__Node n = RULES__V1__NODE__INIT;
    n.name = "root";
    ferry_violations list = {.count = 3, .total = 3};
    ferry_call_opts opts = {.violations = &list};
    Rules__V1__Reply *resp = NULL;
    handled = 0;
    assert_int_equal(rules_v1_rules_walk(ch, &n, &resp, &opts), FERRY_OK);
    assert_int_equal(handled, 1);
    assert_int_equal(list.total, 0);
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
}

/* A refused request never reaches the handler; the caller gets the status,
 * the violations in the message and in its list. */
static void test_refused_request_skips_handler(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(rules_v1_rules_local_open(&ch, &handlers, NULL), FERRY_OK);
    Rules__V1__Node child = RULES__V1__NODE__INIT;
    Rules__V1__Node n = RULES__V1__NODE__INIT;
    n.child = &child; /* both names empty */
    ferry_violations list;
    ferry_call_info info;
    ferry_call_opts opts = {.violations = &list, .info = &info};
    Rules__V1__Reply *resp = NULL;
    handled = 0;
    assert_int_equal(rules_v1_rules_walk(ch, &n, &resp, &opts), FERRY_INVALID_ARGUMENT);
    assert_null(resp);
    assert_int_equal(handled, 0);
    assert_int_equal(list.total, 2);
    assert_string_equal(list.v[0].path, "name");
    assert_string_equal(list.v[1].path, "child.name");
    assert_string_equal(info.message, "invalid rules.v1.Node: name: must not be empty; "
                                      "child.name: must not be empty");
    ferry_channel_close(ch);
}

/* Over the wire: the server refuses the request before the handler, and
 * the client reads each violation from the reply header into its list. */
static void test_server_sends_violations(void **state)
{
    (void)state;
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, NULL), FERRY_OK);
    assert_int_equal(rules_v1_rules_register(srv, &handlers, NULL), FERRY_OK);
    char bound[128];
    assert_int_equal(ferry_server_listen(srv, "tcp://127.0.0.1:0", bound, sizeof bound), FERRY_OK);
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, bound, NULL), FERRY_OK);

    Rules__V1__Node child = RULES__V1__NODE__INIT;
    Rules__V1__Node n = RULES__V1__NODE__INIT;
    n.name = "root";
    n.child = &child;
    ferry_violations list;
    ferry_call_info info;
    ferry_call_opts opts = {.violations = &list, .info = &info};
    Rules__V1__Reply *resp = NULL;
    handled = 0;
    assert_int_equal(rules_v1_rules_walk(ch, &n, &resp, &opts), FERRY_INVALID_ARGUMENT);
    assert_int_equal(handled, 0);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.total, 1);
    assert_string_equal(list.v[0].path, "child.name");
    assert_string_equal(list.v[0].reason, "must not be empty");
    assert_string_equal(info.message, "invalid rules.v1.Node: child.name: must not be empty");

    /* The next call, valid, empties the list and is handled. */
    child.name = "leaf";
    assert_int_equal(rules_v1_rules_walk(ch, &n, &resp, &opts), FERRY_OK);
    assert_int_equal(list.total, 0);
    assert_int_equal(handled, 1);
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
    ferry_server_shutdown(srv, 1000);
    ferry_server_free(srv);
}

/* validate_requests: the client refuses the request itself, without a
 * round trip -- here to an address where no server listens, which would
 * otherwise fail as unavailable. */
static void test_client_validates_before_sending(void **state)
{
    (void)state;
    ferry_client_opts copts = {.validate_requests = 1, .connect_timeout_ms = 50};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "tcp://127.0.0.1:1", &copts), FERRY_OK);
    Rules__V1__Node n = RULES__V1__NODE__INIT;
    ferry_violations list;
    ferry_call_info info;
    ferry_call_opts opts = {.violations = &list, .info = &info};
    Rules__V1__Reply *resp = NULL;
    assert_int_equal(rules_v1_rules_walk(ch, &n, &resp, &opts), FERRY_INVALID_ARGUMENT);
    assert_int_equal(list.total, 1);
    assert_string_equal(list.v[0].path, "name");
    assert_string_equal(info.message, "invalid rules.v1.Node (not sent): name: must not be empty");
    ferry_channel_close(ch);
}

/* Off by default: the same request goes out (and finds no server). */
static void test_client_does_not_validate_by_default(void **state)
{
    (void)state;
    ferry_client_opts copts = {.connect_timeout_ms = 50};
    ferry_channel *ch = NULL;
    assert_int_equal(ferry_client_open(&ch, "tcp://127.0.0.1:1", &copts), FERRY_OK);
    Rules__V1__Node n = RULES__V1__NODE__INIT;
    Rules__V1__Reply *resp = NULL;
    assert_int_equal(rules_v1_rules_walk(ch, &n, &resp, NULL), FERRY_UNAVAILABLE);
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_request_is_handled),
        cmocka_unit_test(test_refused_request_skips_handler),
        cmocka_unit_test(test_server_sends_violations),
        cmocka_unit_test(test_client_validates_before_sending),
        cmocka_unit_test(test_client_does_not_validate_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
