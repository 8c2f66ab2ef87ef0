/* rich_server.c - the rich schema's server for the CLI tests
 * (rich_server.h): Echo answers its request, Header the metadata entry it
 * names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferrytest/rich/v1/rich.ferry.h"

#include "cli_run.h"
#include "rich_server.h"

/* The request lives in the call's arena until the reply is sent, so the
 * reply may share its memory. */
static ferry_status echo(void *user, ferry_call *call, const Ferrytest__Rich__V1__Everything *req,
                         Ferrytest__Rich__V1__Everything *resp)
{
    (void)user;
    (void)call;
    *resp = *req;
    return FERRY_OK;
}

static ferry_status header(void *user, ferry_call *call,
                           const Ferrytest__Rich__V1__HeaderRequest *req,
                           Ferrytest__Rich__V1__HeaderReply *resp)
{
    (void)user;
    size_t len = 0;
    const uint8_t *v = ferry_call_metadata(call, req->key, &len);
    char *copy = ferry_call_alloc(call, len + 1);
    if (copy == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    if (len > 0)
        memcpy(copy, v, len);
    copy[len] = '\0';
    resp->value = copy;
    return FERRY_OK;
}

static const ferrytest_rich_v1_rich_handlers handlers = {.echo = echo, .header = header};

void rich_path(const rich_server *rs, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", rs->dir, name);
}

/* A new key NAME, written to NAME.key and NAME.pub in rs->dir; its public
 * half in base64 into `pub`. */
static ferry_key *new_key(rich_server *rs, const char *name, char *pub)
{
    ferry_key *k = NULL;
    char sec_path[300], pub_path[300];
    assert_int_equal(ferry_key_generate(&k, name), FERRY_OK);
    snprintf(sec_path, sizeof sec_path, "%s/%s.key", rs->dir, name);
    snprintf(pub_path, sizeof pub_path, "%s/%s.pub", rs->dir, name);
    assert_int_equal(ferry_key_write(k, sec_path, pub_path), FERRY_OK);
    ferry_key_public_b64(k, pub);
    return k;
}

static void set_identity(rich_server *rs)
{
    char pub[FERRY_PUBLIC_KEY_B64], ring[300];
    ferry_key *server = new_key(rs, "server", pub);
    ferry_key *tester = new_key(rs, "tester", pub);
    char line[600];
    snprintf(line, sizeof line, "tester %s roles=tester\n", pub);
    ferry_key *other = new_key(rs, "other", pub);
    size_t n = strlen(line);
    snprintf(line + n, sizeof line - n, "other %s\n", pub);
    rich_write(rs, "keyring", line, ring, sizeof ring);
    ferry_server_identity id = {.key = server, .keyring_path = ring};
    assert_int_equal(ferry_server_set_identity(rs->srv, &id), FERRY_OK);
    ferry_key_free(server);
    ferry_key_free(tester);
    ferry_key_free(other);
}

static rich_server *start(int reflection, int identity)
{
    rich_server *rs = calloc(1, sizeof *rs);
    assert_non_null(rs);
    cli_tmpdir(rs->dir, sizeof rs->dir, "ferry-call");
    snprintf(rs->url, sizeof rs->url, "ipc://%s/s.sock", rs->dir);
    ferry_server_opts so = {.workers = 2, .serve_roles_without_identity = !identity};
    assert_int_equal(ferry_server_new(&rs->srv, &so), FERRY_OK);
    assert_int_equal(ferrytest_rich_v1_rich_register(rs->srv, &handlers, NULL), FERRY_OK);
    assert_int_equal(ferry_server_add_health(rs->srv), FERRY_OK);
    if (reflection)
        assert_int_equal(ferry_server_add_reflection(rs->srv), FERRY_OK);
    if (identity)
        set_identity(rs);
    assert_int_equal(ferry_server_listen(rs->srv, rs->url, NULL, 0), FERRY_OK);
    return rs;
}

rich_server *rich_start(int reflection)
{
    return start(reflection, 0);
}

rich_server *rich_start_identity(void)
{
    return start(1, 1);
}

void rich_stop(rich_server *rs)
{
    if (rs == NULL)
        return;
    ferry_server_free(rs->srv);
    cli_rmdir(rs->dir);
    free(rs);
}

int rich_run(rich_server *rs, const char *in_path, const char *cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    int status =
        cli_runv_in(rs->dir, in_path, rs->out, sizeof rs->out, rs->err, sizeof rs->err, cmd, ap);
    va_end(ap);
    return status;
}

void rich_write(rich_server *rs, const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", rs->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

void assert_json_equal(const char *actual, const char *expected)
{
    json_error_t e;
    json_t *a = json_loads(actual, 0, &e);
    json_t *x = json_loads(expected, 0, &e);
    if (x == NULL)
        fail_msg("the expected JSON is not JSON: %s: %s", e.text, expected);
    if (a == NULL || !json_equal(a, x))
        fail_msg("expected JSON %s\ngot %s", expected, actual);
    json_decref(a);
    json_decref(x);
}
