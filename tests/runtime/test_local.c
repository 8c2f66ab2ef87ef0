/* test_local.c - the local binding gives the same answers as the remote path
 * for the same handlers: same fields, same statuses, same messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

/* The reply with the fields that describe the transport (who called, time
 * left, sequence) cleared, packed to bytes for comparison. */
static size_t comparable(const Ferrytest__V1__EchoReply *r, uint8_t *buf, size_t cap)
{
    Ferrytest__V1__EchoReply c = *r;
    c.client_name = "";
    c.client_version = "";
    c.remaining_ms = 0;
    c.seq = 0;
    size_t n = ferrytest__v1__echo_reply__get_packed_size(&c);
    assert_true(n <= cap);
    return ferrytest__v1__echo_reply__pack(&c, buf);
}

static void test_local_matches_remote(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv = probe_serve(url, 2, bound, sizeof bound);
    ferry_channel *remote = NULL, *local = NULL;
    assert_int_equal(ferry_client_open(&remote, bound, NULL), FERRY_OK);
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);

    char *keys[] = {"k"};
    ferry_metadata md[] = {{.key = "k", .value = (const uint8_t *)"v", .len = 1}};
    struct {
        const char *text;
        uint32_t reply_bytes, fail_status;
    } cases[] = {
        {"plain", 0, 0},
        {"", 0, 0},
        {"big reply", 5000, 0},
        {"fails", 0, FERRY_FAILED_PRECONDITION},
        {"fails too", 0, FERRY_PERMISSION_DENIED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
        req.text = (char *)cases[i].text;
        req.reply_bytes = cases[i].reply_bytes;
        req.fail_status = cases[i].fail_status;
        req.fail_message = "refused on purpose";
        req.md_keys = keys;
        req.n_md_keys = 1;
        ferry_call_info ri, li;
        ferry_call_opts ro = {.metadata = md, .n_metadata = 1, .info = &ri};
        ferry_call_opts lo = {.metadata = md, .n_metadata = 1, .info = &li};
        Ferrytest__V1__EchoReply *r = NULL, *l = NULL;
        ferry_status rs = ferrytest_v1_probe_echo(remote, &req, &r, &ro);
        ferry_status ls = ferrytest_v1_probe_echo(local, &req, &l, &lo);
        assert_int_equal(rs, ls);
        assert_string_equal(ri.message, li.message);
        if (rs == FERRY_OK) {
            uint8_t rb[8192], lb[8192];
            size_t rn = comparable(r, rb, sizeof rb);
            size_t ln = comparable(l, lb, sizeof lb);
            assert_int_equal(rn, ln);
            assert_memory_equal(rb, lb, rn);
        }
        if (r != NULL)
            ferry_message_free(&r->base);
        if (l != NULL)
            ferry_message_free(&l->base);
    }

    /* An unimplemented method reads the same both ways. */
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    ferry_call_info ri, li;
    ferry_call_opts ro = {.info = &ri}, lo = {.info = &li};
    Ferrytest__V1__EchoReply *r = NULL, *l = NULL;
    assert_int_equal(ferrytest_v1_probe_missing(remote, &req, &r, &ro), FERRY_UNIMPLEMENTED);
    assert_int_equal(ferrytest_v1_probe_missing(local, &req, &l, &lo), FERRY_UNIMPLEMENTED);
    assert_string_equal(ri.message, li.message);

    ferry_channel_close(local);
    ferry_channel_close(remote);
    ferry_server_free(srv);
    probe_url_free(url);
}

static void on_local(void *arg, ferry_status st, Ferrytest__V1__EchoReply *resp,
                     const ferry_call_info *info)
{
    int *done = arg;
    assert_int_equal(st, FERRY_OK);
    assert_int_equal(info->status, FERRY_OK);
    assert_string_equal(resp->text, "async local");
    ferry_message_free(&resp->base);
    (*done)++;
}

static void test_local_async_and_unknown(void **state)
{
    (void)state;
    ferry_channel *local = NULL;
    assert_int_equal(ferrytest_v1_probe_local_open(&local, &probe_handlers, NULL), FERRY_OK);
    Ferrytest__V1__EchoRequest req = FERRYTEST__V1__ECHO_REQUEST__INIT;
    req.text = "async local";
    int done = 0;
    assert_int_equal(ferrytest_v1_probe_echo_async(local, &req, NULL, on_local, &done), FERRY_OK);
    assert_int_equal(done, 1);

    /* A service the local channel does not host. */
    Ferrytest__V1__EchoReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(ferrytest_v1_ghost_haunt(local, &req, &resp, &opts), FERRY_UNIMPLEMENTED);
    assert_non_null(strstr(info.message, "ferrytest.v1.Ghost/Haunt"));
    ferry_channel_close(local);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_matches_remote),
        cmocka_unit_test(test_local_async_and_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
