/* fake.c - the fake server: handler tables served over a unique inproc://
 * URL, with a remote channel to them. Only the public API is used: a fake
 * is exactly what a test could build by hand, in one call. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "ferry/fake.h"

struct ferry_fake {
    ferry_server *srv; /* NULL while down */
    ferry_channel *ch;
    ferry_service_impl *impls; /* copies */
    size_t n_impls;
    ferry_server_opts server_opts;
    char url[64];
};

/* Serves fake->impls on fake->url. */
static ferry_status serve(ferry_fake *fake)
{
    ferry_server *srv = NULL;
    ferry_status st = ferry_server_new(&srv, &fake->server_opts);
    for (size_t i = 0; st == FERRY_OK && i < fake->n_impls; i++)
        st = ferry_server_add(srv, &fake->impls[i]);
    if (st == FERRY_OK)
        st = ferry_server_listen(srv, fake->url, NULL, 0);
    if (st != FERRY_OK) {
        ferry_server_free(srv);
        return st;
    }
    fake->srv = srv;
    return FERRY_OK;
}

ferry_status ferry_fake_start(ferry_fake **out, const ferry_service_impl *impls, size_t n_impls,
                              const ferry_fake_opts *opts)
{
    static atomic_uint next_id;
    ferryi_error_clear();
    if (out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_fake_start: no out pointer");
    *out = NULL;
    if (n_impls == 0 || impls == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_fake_start: no services given");
    ferry_fake *fake = calloc(1, sizeof *fake);
    if (fake == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_fake_start: out of memory");
    fake->impls = calloc(n_impls, sizeof *fake->impls);
    if (fake->impls == NULL) {
        free(fake);
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "ferry_fake_start: out of memory");
    }
    memcpy(fake->impls, impls, n_impls * sizeof *impls);
    fake->n_impls = n_impls;
    ferry_client_opts client = {0};
    if (opts != NULL) {
        fake->server_opts = opts->server;
        client = opts->client;
    }
    /* A fake stands in for a service in tests, where callers have no
     * identity: its methods' roles are not checked (ferry/fake.h). */
    fake->server_opts.serve_roles_without_identity = 1;
    if (client.client_name == NULL)
        client.client_name = "ferry-fake";
    snprintf(fake->url, sizeof fake->url, "inproc://ferry-fake-%ld-%u", (long)getpid(),
             atomic_fetch_add(&next_id, 1));

    ferry_status st = serve(fake);
    if (st == FERRY_OK)
        st = ferry_client_open(&fake->ch, fake->url, &client);
    if (st != FERRY_OK) {
        ferry_fake_stop(fake);
        return st;
    }
    *out = fake;
    return FERRY_OK;
}

ferry_channel *ferry_fake_channel(const ferry_fake *fake)
{
    return fake != NULL ? fake->ch : NULL;
}

const char *ferry_fake_url(const ferry_fake *fake)
{
    return fake != NULL ? fake->url : NULL;
}

ferry_server *ferry_fake_server(const ferry_fake *fake)
{
    return fake != NULL ? fake->srv : NULL;
}

void ferry_fake_down(ferry_fake *fake, uint32_t grace_ms)
{
    if (fake == NULL || fake->srv == NULL)
        return;
    ferry_server_shutdown(fake->srv, grace_ms);
    ferry_server_free(fake->srv);
    fake->srv = NULL;
}

ferry_status ferry_fake_up(ferry_fake *fake)
{
    ferryi_error_clear();
    if (fake == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_fake_up: no fake given");
    if (fake->srv != NULL)
        return FERRY_OK;
    return serve(fake);
}

void ferry_fake_stop(ferry_fake *fake)
{
    if (fake == NULL)
        return;
    ferry_channel_close(fake->ch);
    /* As a real server stops: replies still being sent get to finish. */
    ferry_fake_down(fake, 2000);
    free(fake->impls);
    free(fake);
}
