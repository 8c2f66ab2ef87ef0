/* test_call_identity.c - `ferry call` on a server with identity switched
 * on: the key proves who calls, by signature or by MAC, the method's roles
 * are the server's to check, and a call without a trusted key is refused
 * with a hint; the exit status is 10 + the status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cli_run.h"
#include "rich_server.h"

#define HEADER "ferrytest.rich.v1.Rich/Header"

static int setup(void **state)
{
    *state = rich_start_identity();
    return 0;
}

static int teardown(void **state)
{
    rich_stop(*state);
    return 0;
}

/* Without a key, even the reflection call is refused: unauthenticated,
 * with the option to pass. */
static void test_no_key_is_unauthenticated(void **state)
{
    rich_server *rs = *state;
    assert_int_equal(rich_run(rs, NULL, "call", rs->url, HEADER, "{\"key\": \"k\"}", NULL),
                     10 + FERRY_UNAUTHENTICATED);
    assert_contains(rs->err, "pass --key");
}

/* A signed call with a key that holds the method's role. */
static void test_signed_call(void **state)
{
    rich_server *rs = *state;
    char key[300];
    rich_path(rs, "tester.key", key, sizeof key);
    assert_int_equal(rich_run(rs, NULL, "call", "--key", key, "-H", "k:v", rs->url, HEADER,
                              "{\"key\": \"k\"}", NULL),
                     0);
    assert_json_equal(rs->out, "{\"value\": \"v\"}");
}

/* A MAC-proved call, with the server's key pinned. */
static void test_mac_call(void **state)
{
    rich_server *rs = *state;
    char key[300], pub[300];
    rich_path(rs, "tester.key", key, sizeof key);
    rich_path(rs, "server.pub", pub, sizeof pub);
    assert_int_equal(rich_run(rs, NULL, "call", "-k", key, "-s", pub, "--proof", "mac", rs->url,
                              HEADER, "{\"key\": \"absent\"}", NULL),
                     0);
    assert_string_equal(rs->out, "{}\n");
}

/* A trusted key without the method's role: permission denied. */
static void test_missing_role_is_denied(void **state)
{
    rich_server *rs = *state;
    char key[300];
    rich_path(rs, "other.key", key, sizeof key);
    assert_int_equal(
        rich_run(rs, NULL, "call", "--key", key, rs->url, HEADER, "{\"key\": \"k\"}", NULL),
        10 + FERRY_PERMISSION_DENIED);
    assert_contains(rs->err, "permission denied");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_key_is_unauthenticated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mac_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_role_is_denied, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
