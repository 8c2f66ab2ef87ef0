/* dialer.c - a remote channel's connection: its dialer started (with TLS
 * when the URL asks), its pipes counted as they come and go, a dialer that
 * stays without a connection replaced, and what a TLS handshake that failed
 * says about why. */
#include "client/client_impl.h"

/* Starts a dialer for the channel's address; it connects in the background
 * and reconnects whenever the connection drops. */
int ferryi_cl_dial(client *cl, nng_dialer *out)
{
    nng_dialer d;
    int rv = nng_dialer_create(&d, cl->sock, cl->url);
    if (rv != 0)
        return rv;
    if (cl->tls != NULL)
        rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cl->tls);
    if (rv == 0)
        rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
    if (rv != 0) {
        nng_dialer_close(d);
        return rv;
    }
    atomic_store(&cl->link_changed_ms, ferryi_real_ms());
    *out = d;
    return 0;
}

/* Whether TLS handshakes of the current dialer failed; writes what that
 * means into `buf`. */
int ferryi_cl_tls_trouble(client *cl, char *buf, size_t len)
{
    pthread_mutex_lock(&cl->dial_mu);
    nng_dialer d = cl->dialer;
    pthread_mutex_unlock(&cl->dial_mu);
    return ferryi_tls_dial_trouble(d, buf, len);
}

/* nng 1.5's dialer stops for good when a connection attempt ends with
 * NNG_ECLOSED, which it does when the server drops a connection it had not
 * finished accepting (a server that is stopping or has just died): the
 * channel would then never connect again. So a channel that has had no
 * connection for REDIAL_AFTER_MS since its dialer started or a connection
 * last came or went replaces the dialer. A healthy dialer retries at least
 * every RECONNECT_MAX_MS, so a replacement costs at most one attempt. */
void ferryi_cl_redial_if_stuck(client *cl)
{
    if (atomic_load(&cl->pipes) > 0 ||
        ferryi_real_ms() - atomic_load(&cl->link_changed_ms) < REDIAL_AFTER_MS)
        return;
    pthread_mutex_lock(&cl->dial_mu);
    if (atomic_load(&cl->pipes) == 0 &&
        ferryi_real_ms() - atomic_load(&cl->link_changed_ms) >= REDIAL_AFTER_MS) {
        nng_dialer old = cl->dialer;
        int rv = ferryi_cl_dial(cl, &cl->dialer);
        if (rv == 0) {
            nng_dialer_close(old);
            ferryi_log(FERRYI_LOG_DEBUG, "client", "no connection to %s for %u ms; dialing anew",
                       cl->url, REDIAL_AFTER_MS);
        } else {
            atomic_store(&cl->link_changed_ms, ferryi_real_ms());
            ferryi_log(FERRYI_LOG_WARN, "client", "cannot dial %s again: %s", cl->url,
                       nng_strerror(rv));
        }
    }
    pthread_mutex_unlock(&cl->dial_mu);
}

void ferryi_cl_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    client *cl = arg;
    (void)p;
    atomic_store(&cl->link_changed_ms, ferryi_real_ms());
    if (ev == NNG_PIPE_EV_ADD_POST) {
        atomic_fetch_add(&cl->links, 1);
        atomic_fetch_add(&cl->pipes, 1);
        atomic_store(&cl->ever_connected, 1);
        ferryi_log(FERRYI_LOG_DEBUG, "client", "connected to %s", cl->url);
        return;
    }
    /* Only pipes that were added are counted down. */
    int n = atomic_load(&cl->pipes);
    while (n > 0 && !atomic_compare_exchange_weak(&cl->pipes, &n, n - 1))
        ;
    if (n != 1)
        return;
    ferryi_log(FERRYI_LOG_INFO, "client", "connection to %s lost", cl->url);
    /* Fail the calls awaiting replies now rather than resend them blindly.
     * Cancellation completes their aios on other threads, not in this one. */
    pthread_mutex_lock(&cl->mu);
    for (slot *s = cl->busy; s != NULL; s = s->next_busy) {
        /* A request still waiting for a connection fails too, unless the
         * channel waits for ready: nng would otherwise hold it until its
         * deadline, or resend it to whatever comes up next. */
        nng_aio *a = atomic_load(&s->active);
        int ph = atomic_load(&s->ph);
        if (a != NULL && (ph == SLOT_RECV || (ph == SLOT_SEND && !cl->wait_for_ready))) {
            atomic_store(&s->disconnected, 1);
            nng_aio_cancel(a);
        }
    }
    pthread_mutex_unlock(&cl->mu);
}
