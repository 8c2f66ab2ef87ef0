/* remote.c - a remote channel opened and closed: its options, identity and
 * TLS taken, its socket and dialer started; its breaker and fallback
 * settings; the form a balancer opens for each endpoint. */
#include "client/client_impl.h"

static void client_close(ferry_channel *ch)
{
    client *cl = (client *)ch;
    if (cl->sock_open)
        nng_close(cl->sock); /* fails every call still in flight */
    slot *s = cl->all_slots;
    while (s != NULL) {
        slot *next = s->next_all;
        /* Waits for its callback. A callback that ran into the stop (a
         * retry's backoff ending just then) may have left its request on
         * the aio, where nng does not free it. */
        nng_aio_stop(s->aio);
        ferryi_sleep_aio_forget(s->aio);
        nng_msg *left = ferryi_cl_take_msg(s->aio);
        if (left != NULL)
            nng_msg_free(left);
        if (s->retry_msg != NULL)
            nng_msg_free(s->retry_msg);
        if (s->req_copy != NULL)
            nng_msg_free(s->req_copy);
        nng_aio_free(s->aio);
        if (s->sync_aio != NULL)
            nng_aio_free(s->sync_aio);
        free(s);
        s = next;
    }
    pthread_mutex_destroy(&cl->mu);
    pthread_mutex_destroy(&cl->dial_mu);
    if (cl->tls != NULL)
        nng_tls_config_free(cl->tls);
    ferryi_retry_fini(&cl->retry);
    ferryi_breakers_fini(&cl->breakers);
    ferryi_fallbacks_fini(&cl->fallbacks);
    free(cl->client_name);
    free(cl->client_version);
    ferryi_client_proof_close(&cl->id);
    free(cl);
}

static const ferry_channel_ops client_ops = {
    .call = ferryi_cl_call,
    .call_async = ferryi_cl_call_async,
    .close = client_close,
};

/* Takes the TLS options for `url`: a configuration for a tls+tcp:// URL,
 * and a refusal of TLS options with any other URL, which would otherwise
 * go out in the clear. */
static ferry_status open_tls(client *cl, const char *url, const ferry_tls_opts *tls)
{
    if (!ferryi_tls_url(url)) {
        if (!ferry_tls_is_set(tls))
            return FERRY_OK;
        return ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                                "cannot dial %s: TLS options are set but the URL is not tls+tcp://",
                                url);
    }
    ferry_status st = ferryi_tls_config(&cl->tls, tls, FERRY_TLS_CLIENT, url);
    if (st != FERRY_OK)
        ferryi_error_log(FERRYI_LOG_ERROR, "client", st, "cannot dial %s: %s", url,
                         ferry_last_error());
    return st;
}

ferry_status ferryi_client_opts_check(const ferry_client_opts *o)
{
    if (o == NULL)
        return FERRY_OK;
    if (o->max_message > FERRY_MAX_MESSAGE_LIMIT)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_client_opts.max_message is %zu bytes; at most %u are allowed "
                            "(FERRY_MAX_MESSAGE_LIMIT), 0 for the default",
                            o->max_message, FERRY_MAX_MESSAGE_LIMIT);
    /* A share is a number from 0 to 1: a typo such as 50 (for 50%) would
     * otherwise become a breaker that never opens, or one taken silently as
     * the default. NaN fails both comparisons, hence the negations. */
    double ratio = o->breaker.failure_ratio;
    if (!(ratio >= 0.0 && ratio <= 1.0))
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_client_opts.breaker.failure_ratio is %g; it is a share of "
                            "calls, above 0 and at most 1 (0 for the default, 0.5)",
                            ratio);
    if (!(o->retry.budget_ratio >= 0.0))
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_client_opts.retry.budget_ratio is %g; it is retries earned "
                            "per call, 0 or more (0 for the default, 0.1)",
                            o->retry.budget_ratio);
    return FERRY_OK;
}

ferry_status ferryi_client_open_one(ferry_channel **out, const char *url,
                                    const ferry_client_opts *opts)
{
    if (out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_open: no out pointer");
    *out = NULL;
    if (url == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_open: no URL given");
    if (strlen(url) >= URL_MAX)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "url %.64s...: longer than %d bytes", url,
                            URL_MAX - 1);
    ferry_status bad = ferryi_client_opts_check(opts);
    if (bad != FERRY_OK)
        return bad;
    ferry_client_opts o = opts != NULL ? *opts : (ferry_client_opts){0};

    client *cl = calloc(1, sizeof *cl);
    if (cl == NULL)
        return ferryi_error(FERRY_RESOURCE_EXHAUSTED, "%s: out of memory", url);
    cl->base.ops = &client_ops;
    pthread_mutex_init(&cl->mu, NULL);
    pthread_mutex_init(&cl->dial_mu, NULL);
    snprintf(cl->url, sizeof cl->url, "%s", url);
    cl->client_name = strdup(o.client_name != NULL ? o.client_name : "ferry-client");
    cl->client_version = strdup(o.client_version != NULL ? o.client_version : FERRY_VERSION_STRING);
    cl->default_deadline_ms =
        o.default_deadline_ms ? o.default_deadline_ms : FERRY_DEFAULT_DEADLINE_MS;
    cl->connect_timeout_ms =
        o.connect_timeout_ms ? o.connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    cl->max_message = o.max_message ? o.max_message : FERRY_DEFAULT_MAX_MESSAGE;
    cl->wait_for_ready = o.wait_for_ready;
    cl->validate_requests = o.validate_requests;
    ferryi_retry_init(&cl->retry, &o.retry);
    ferryi_breakers_init(&cl->breakers, &o.breaker);
    ferryi_fallbacks_init(&cl->fallbacks);
    /* Call ids start at a random point so two runs of a client differ. */
    uint64_t seed = ferryi_clock_noise() ^ ((uint64_t)(uintptr_t)cl << 16);
    atomic_store(&cl->next_call_id, (seed & 0xffffffffffffull) + 1);

    ferry_status st = FERRY_RESOURCE_EXHAUSTED;
    if (cl->client_name == NULL || cl->client_version == NULL)
        goto fail;
    st = ferryi_client_proof_open(&cl->id, &o.identity);
    if (st != FERRY_OK)
        goto fail;
    st = FERRY_RESOURCE_EXHAUSTED;
    if (nng_req0_open(&cl->sock) != 0)
        goto fail;
    cl->sock_open = 1;
    if (nng_socket_set_ms(cl->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
        nng_socket_set_size(cl->sock, NNG_OPT_RECVMAXSZ,
                            cl->max_message + FERRYI_NNG_HEADER_ROOM) != 0 ||
        nng_socket_set_ms(cl->sock, NNG_OPT_RECONNMINT, RECONNECT_MIN_MS) != 0 ||
        nng_socket_set_ms(cl->sock, NNG_OPT_RECONNMAXT, RECONNECT_MAX_MS) != 0 ||
        nng_pipe_notify(cl->sock, NNG_PIPE_EV_ADD_POST, ferryi_cl_pipe_cb, cl) != 0 ||
        nng_pipe_notify(cl->sock, NNG_PIPE_EV_REM_POST, ferryi_cl_pipe_cb, cl) != 0)
        goto fail;
    st = open_tls(cl, url, &o.tls);
    if (st != FERRY_OK)
        goto fail;
    int rv = ferryi_cl_dial(cl, &cl->dialer);
    if (rv != 0) {
        st = ferryi_error_log(FERRYI_LOG_ERROR, "client", FERRY_INVALID_ARGUMENT,
                              "cannot dial %s: %s", url, nng_strerror(rv));
        goto fail;
    }
    *out = &cl->base;
    return FERRY_OK;
fail:
    client_close(&cl->base);
    return ferryi_error_ensure(st, url);
}

ferry_status ferry_client_breaker(ferry_channel *ch, const ferry_method *m,
                                  ferry_breaker_stats *out)
{
    ferryi_error_clear();
    if (ch == NULL || ch->ops != &client_ops || m == NULL || out == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_breaker: %s",
                            ch == NULL || ch->ops != &client_ops ? "not a remote channel of one "
                                                                   "server"
                                                                 : "no method or no out pointer");
    ferryi_breaker_stats(&((client *)ch)->breakers, m, out);
    return FERRY_OK;
}

ferry_status ferryi_client_set_fallback_one(ferry_channel *ch, const ferry_method *m,
                                            ferry_fallback_fn fn, void *arg)
{
    if (ch == NULL || ch->ops != &client_ops || m == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_client_set_fallback: %s",
                            m == NULL ? "no method given" : "not a remote channel");
    return ferryi_fallback_set(&((client *)ch)->fallbacks, m, fn, arg);
}

/* ------------------------------------------------------------------------
 * One endpoint of a balancer (client_ep.h)
 * ---------------------------------------------------------------------- */

ferry_status ferryi_client_open_endpoint(ferry_channel **out, const char *url,
                                         const ferry_client_opts *opts)
{
    ferry_client_opts o = opts != NULL ? *opts : (ferry_client_opts){0};
    /* The balancer retries on other endpoints and ejects failing ones. */
    o.retry.max_attempts = 1;
    o.breaker.disabled = 1;
    ferry_status st = ferryi_client_open_one(out, url, &o);
    if (st == FERRY_OK)
        ((client *)*out)->endpoint = 1;
    return st;
}

void ferryi_client_link(ferry_channel *ch, int *up, uint64_t *links)
{
    client *cl = (client *)ch;
    *up = atomic_load(&cl->pipes) > 0;
    *links = atomic_load(&cl->links);
}
