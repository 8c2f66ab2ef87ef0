/* test_validate_calls.c - a call whose request breaks the IDL's rules is
 * refused before its handler runs: FERRY_INVALID_ARGUMENT, every violation
 * in the message and, when the caller asks, as a list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules/v1/rules.ferry.h"

static int handled;

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_request_is_handled),
        cmocka_unit_test(test_refused_request_skips_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
