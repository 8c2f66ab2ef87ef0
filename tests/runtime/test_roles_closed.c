/* test_roles_closed.c - roles fail closed: a server without identity does
 * not serve a method that requires roles to anyone who asks, unless it is
 * told to, and then says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "probe.h"

/* The probe's Admin method requires the role "admin": with no identity, the
 * server refuses to listen. */
static void test_refuses_to_listen(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, NULL, 0), FERRY_FAILED_PRECONDITION);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* The environment variable is the same switch as the option, for programs. */
static void test_environment_switch(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    setenv("FERRY_SERVE_ROLES_WITHOUT_IDENTITY", "1", 1);
    ferry_server *srv = NULL;
    assert_int_equal(ferry_server_new(&srv, &(ferry_server_opts){.workers = 1}), FERRY_OK);
    unsetenv("FERRY_SERVE_ROLES_WITHOUT_IDENTITY");
    assert_int_equal(ferrytest_v1_probe_register(srv, &probe_handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_listen(srv, url, NULL, 0), FERRY_OK);
    ferry_server_free(srv);
    probe_url_free(url);
}

/* Told to, it serves the method to an anonymous caller. */
static void test_explicit_option_serves(void **state)
{
    (void)state;
    probe_link l;
    /* probe_serve_opts() sets the option. Waiting for the connection: a
     * fresh channel on a loaded machine may take more than a second. */
    ferry_client_opts co = {.wait_for_ready = 1};
    probe_link_open(&l, 1, &co);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "open";
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferrytest_v1_probe_admin(l.ch, &req, &resp, &opts), FERRY_OK);
    ferry_message_free(&resp->base);
    probe_link_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_to_listen),
        cmocka_unit_test(test_environment_switch),
        cmocka_unit_test(test_explicit_option_serves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
