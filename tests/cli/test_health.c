/* test_health.c - `ferry health ADDRESS [SERVICE]` run as a program against
 * an inventory server in this process: the exit status is the answer (0
 * serving, 1 anything else or no answer, 2 bad usage), and one line says
 * what was answered or why there was no answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inventory.h"

#include "cli_run.h"

typedef struct fixture {
    char dir[128];
    char url[200];
    inventory *inv;
    ferry_server *srv;
    char out[4096];
    char err[4096];
} fixture;

/* An inventory server hosting v2 and, unless `with_health` is 0, the
 * health service. */
static fixture *start(int with_health)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    cli_tmpdir(f->dir, sizeof f->dir, "ferry-health");
    snprintf(f->url, sizeof f->url, "ipc://%s/s.sock", f->dir);
    assert_int_equal(inventory_new(&f->inv), FERRY_OK);
    ferry_server_opts so = {.workers = 2, .serve_roles_without_identity = 1};
    assert_int_equal(ferry_server_new(&f->srv, &so), FERRY_OK);
    assert_int_equal(inventory_v2_stock_register(f->srv, inventory_v2_handlers(), f->inv),
                     FERRY_OK);
    if (with_health)
        assert_int_equal(ferry_server_add_health(f->srv), FERRY_OK);
    assert_int_equal(ferry_server_listen(f->srv, f->url, NULL, 0), FERRY_OK);
    return f;
}

static int setup(void **state)
{
    *state = start(1);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_server_free(f->srv);
    inventory_free(f->inv);
    cli_rmdir(f->dir);
    free(f);
    return 0;
}

/* Runs `ferry health ARGS...` (NULL-terminated); its exit status. */
static int run_health(fixture *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int status = cli_runv(f->dir, f->out, sizeof f->out, f->err, sizeof f->err, "health", ap);
    va_end(ap);
    return status;
}

/* A serving server: exit 0 and "serving". */
static void test_serving_exits_0(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_health(f, f->url, NULL), 0);
    assert_contains(f->out, "serving");
    assert_int_equal(run_health(f, f->url, "inventory.v2.Stock", NULL), 0);
    assert_contains(f->out, "inventory.v2.Stock: serving");
}

/* A service set NOT_SERVING: exit 1 for it, 0 for the server. */
static void test_not_serving_exits_1(void **state)
{
    fixture *f = *state;
    assert_int_equal(
        ferry_server_set_health(f->srv, "inventory.v2.Stock", FERRY_HEALTH_NOT_SERVING), FERRY_OK);
    assert_int_equal(run_health(f, f->url, "inventory.v2.Stock", NULL), 1);
    assert_contains(f->out, "not serving");
    assert_int_equal(run_health(f, f->url, NULL), 0);
}

/* --quiet prints nothing; the exit status still answers. */
static void test_quiet(void **state)
{
    fixture *f = *state;
    assert_int_equal(ferry_server_set_health(f->srv, NULL, FERRY_HEALTH_NOT_SERVING), FERRY_OK);
    assert_int_equal(run_health(f, "--quiet", f->url, NULL), 1);
    assert_string_equal(f->out, "");
    assert_string_equal(f->err, "");
    /* Nor of a server that cannot be reached, by name or at all. */
    assert_int_equal(run_health(f, "--quiet", "tcp://no-such-host.invalid:5555", NULL), 3);
    assert_string_equal(f->err, "");
    assert_int_equal(run_health(f, "--quiet", "-t", "200", "tcp://127.0.0.1:1", NULL), 3);
    assert_string_equal(f->err, "");
}

/* An error answer is not healthy: a service the server does not host, a
 * server without the health service: exit 1, saying why; a server that is
 * not there was not reached: exit 3. */
static void test_no_answer_exits_1(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_health(f, f->url, "nosuch.v1.Service", NULL), 1);
    assert_contains(f->err, "not found");
    assert_contains(f->err, "nosuch.v1.Service");
    char gone[256];
    snprintf(gone, sizeof gone, "ipc://%s/gone.sock", f->dir);
    assert_int_equal(run_health(f, "--timeout", "300", gone, NULL), 3);
    assert_contains(f->err, "is the server running");

    fixture *bare = start(0);
    assert_int_equal(run_health(bare, bare->url, NULL), 1);
    assert_contains(bare->err, "ferry_server_add_health()");
    void *s = bare;
    teardown(&s);
}

/* Bad usage exits 2 with a message. */
static void test_bad_usage_exits_2(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_health(f, NULL), 2);
    assert_contains(f->err, "no ADDRESS");
    assert_int_equal(run_health(f, f->url, "a.v1.S", "extra", NULL), 2);
    assert_int_equal(run_health(f, "--timeout", "0", f->url, NULL), 2);
    assert_contains(f->err, "--timeout");
    assert_int_equal(run_health(f, "--proof", "mac", f->url, NULL), 2);
    assert_contains(f->err, "needs this client's key");
    /* A proof that is no proof is named before what a proof would need. */
    assert_int_equal(run_health(f, "--proof", "bogus", f->url, NULL), 2);
    assert_contains(f->err, "proof 'bogus' is neither 'signed' nor 'mac' (--proof or FERRY_PROOF)");
    assert_int_equal(run_health(f, "--key", "/nonexistent/k.key", f->url, NULL), 2);
    assert_contains(f->err, "/nonexistent/k.key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serving_exits_0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_serving_exits_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quiet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_answer_exits_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_usage_exits_2, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
