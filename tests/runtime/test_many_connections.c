/* test_many_connections.c - a server with more connections than its
 * connection table starts with (64 buckets): every one is served, each
 * reply goes back on its own connection, and the server counts them all;
 * when they close, a new connection is served as the first was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

#define N_CHANNELS 150

/* Each of 150 channels (one connection each) gets its own text back, twice
 * round, while all of them stay open; the server has counted at least 150
 * connections; after all close, a new channel is served. */
static void test_every_connection_served(void **state)
{
    (void)state;
    char *url = probe_ipc_url();
    char bound[256];
    ferry_server *srv =
        probe_serve_opts(url, &(ferry_server_opts){.workers = 2, .serve_roles_without_identity = 1},
                         bound, sizeof bound);
    static ferry_channel *ch[N_CHANNELS];
    ferry_client_opts co = {.wait_for_ready = 1};
    for (int i = 0; i < N_CHANNELS; i++)
        assert_int_equal(ferry_client_open(&ch[i], bound, &co), FERRY_OK);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N_CHANNELS; i++) {
            char text[32];
            snprintf(text, sizeof text, "channel %d round %d", i, round);
            assert_int_equal(probe_echo_text(ch[i], text, NULL), FERRY_OK);
        }
    }
    ferry_server_counters c;
    ferry_server_get_counters(srv, &c);
    assert_true(c.connections >= N_CHANNELS);
    assert_int_equal(c.handled, 2 * N_CHANNELS);
    for (int i = 0; i < N_CHANNELS; i++)
        ferry_channel_close(ch[i]);

    ferry_channel *late = NULL;
    assert_int_equal(ferry_client_open(&late, bound, &co), FERRY_OK);
    assert_int_equal(probe_echo_text(late, "after", NULL), FERRY_OK);
    ferry_channel_close(late);
    ferry_server_free(srv);
    probe_url_free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_connection_served),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
