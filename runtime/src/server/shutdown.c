/* shutdown.c - a ferry_server stopped: draining its calls within the
 * grace period, closing its socket without waiting on nng for ever, and
 * freeing what it holds. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "base/clock.h"
#include "base/log.h"
#include "ops/metrics.h"
#include "server/server_impl.h"

#define SHUTDOWN_SETTLE_MS 100L  /* see ferry_server_shutdown */
#define CLOSE_BOUND_MS     2000u /* see close_socket */

/* nng_close() run on a thread of its own, so that its caller can stop
 * waiting for it. Whoever of the two finishes last frees it. */
typedef struct closer {
    nng_socket sock;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int closed;
    int refs;
} closer;

static void closer_unref(closer *k)
{
    pthread_mutex_lock(&k->mu);
    int last = --k->refs == 0;
    pthread_mutex_unlock(&k->mu);
    if (last) {
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->cv);
        free(k);
    }
}

static void *closer_run(void *arg)
{
    closer *k = arg;
    nng_close(k->sock);
    pthread_mutex_lock(&k->mu);
    k->closed = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    closer_unref(k);
    return NULL;
}

/* Closes the socket, waiting at most CLOSE_BOUND_MS. nng 1.5.2 can wedge its
 * reaper for good when a connection closes while its next message is
 * arriving, which ferry cannot prevent when the client hangs up mid-message
 * (the server itself never closes a connection while serving; conns.c), and
 * a wedged reaper makes nng_close() wait forever. A shutdown must end all
 * the same, so past the bound the socket is left to the process's exit. */
static void close_socket(ferry_server *srv)
{
    closer *k = calloc(1, sizeof *k);
    pthread_t t;
    if (k == NULL) {
        nng_close(srv->sock);
        return;
    }
    k->sock = srv->sock;
    k->refs = 2;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    if (pthread_create(&t, NULL, closer_run, k) != 0) {
        k->refs = 1;
        closer_unref(k);
        nng_close(srv->sock);
        return;
    }
    pthread_detach(t);
    struct timespec until = ferryi_realtime_in(CLOSE_BOUND_MS);
    pthread_mutex_lock(&k->mu);
    while (!k->closed && pthread_cond_timedwait(&k->cv, &k->mu, &until) == 0)
        ;
    int closed = k->closed;
    pthread_mutex_unlock(&k->mu);
    closer_unref(k);
    if (!closed) {
        srv->sock_wedged = 1;
        ferryi_log(FERRYI_LOG_ERROR, "server",
                   "nng did not close the socket within %u ms (a known nng 1.5.2 defect after a "
                   "connection closed mid-message); shutting down without it",
                   CLOSE_BOUND_MS);
    }
}

void ferry_server_shutdown(ferry_server *srv, uint32_t grace_ms)
{
    if (srv == NULL)
        return;
    atomic_store(&srv->draining, 1);
    if (ferryi_server_running_here(srv)) {
        /* A handler cannot wait for itself to finish, nor join its own
         * worker: draining is all it can start. */
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "ferry_server_shutdown() called from one of the server's handlers: new calls "
                   "are refused from now on; the server's owner must still shut it down");
        return;
    }
    pthread_mutex_lock(&srv->mu);
    while (srv->state == SHUTTING_DOWN)
        pthread_cond_wait(&srv->done, &srv->mu);
    if (srv->state == SHUT_DOWN) {
        pthread_mutex_unlock(&srv->mu);
        return;
    }
    srv->state = SHUTTING_DOWN;
    pthread_mutex_unlock(&srv->mu);
    struct timespec until = ferryi_realtime_in(grace_ms);
    /* The drain notice: requests keep coming in and are refused with a
     * reply that says so, until their clients have moved elsewhere. */
    if (srv->drain_notice_ms > 0)
        ferryi_real_sleep_ms(srv->drain_notice_ms < grace_ms ? srv->drain_notice_ms : grace_ms);
    unsigned owed = srv->conns != NULL ? ferryi_conns_wait_idle(srv->conns, &until) : 0;
    if (owed > 0)
        ferryi_log(FERRYI_LOG_WARN, "server",
                   "%u calls still running, waiting or being sent after the %u ms grace period; "
                   "their replies are dropped",
                   owed, grace_ms);

    /* No listener is reopened from here on... */
    if (srv->listeners != NULL)
        ferryi_listeners_stop(srv->listeners);
    /* ...no context starts another receive, no reply is sent... */
    pthread_mutex_lock(&srv->io_mu);
    srv->closed = 1;
    pthread_mutex_unlock(&srv->io_mu);
    if (srv->conns != NULL)
        ferryi_conns_close(srv->conns);
    /* ...the ones pending are cancelled, their callbacks done... */
    for (unsigned i = 0; i < srv->n_ctx; i++)
        nng_aio_stop(srv->ctxs[i].aio);
    /* ...handlers still running return and drop their replies, queued ones
     * are skipped... */
    if (srv->wq_started) {
        ferryi_workq_stop(&srv->wq);
        srv->wq_started = 0;
    }
    /* ...the connections go quiet: nng 1.5 can hang for good closing a
     * connection while a message is being read from it (its read callback
     * re-arms a read on an aio the close has just stopped; that read never
     * completes and nng's reaper waits for it forever, so every later close
     * in the process hangs too). With no context receiving, rep0 stops
     * reading each connection once the message in progress is in; a
     * moment lets those reads finish before the socket closes them... */
    ferryi_real_sleep_ms(SHUTDOWN_SETTLE_MS);
    /* ...and only then does the socket go, with nothing left using it. */
    if (srv->sock_open) {
        close_socket(srv);
        srv->sock_open = 0;
    }

    pthread_mutex_lock(&srv->mu);
    srv->state = SHUT_DOWN;
    pthread_cond_broadcast(&srv->done);
    pthread_mutex_unlock(&srv->mu);
}

void ferry_server_free(ferry_server *srv)
{
    if (srv == NULL)
        return;
    ferry_server_shutdown(srv, 0);
    /* The server's own metrics endpoint reads its counters on a scrape
     * (and keeps answering until it is freed, below): it stops reading them
     * before they go. Its lock orders this after a scrape in progress. */
    if (srv->metrics != NULL)
        ferryi_metrics_unwatch(srv->metrics, srv);
    if (srv->sock_wedged) {
        /* nng may still use the contexts' aios, the connections' senders
         * and the listeners: leave them to the process's exit. */
        srv->n_ctx = 0;
        srv->ctxs = NULL;
        srv->conns = NULL;
        srv->listeners = NULL;
    }
    for (unsigned i = 0; i < srv->n_ctx; i++) {
        srv_ctx *c = &srv->ctxs[i];
        nng_aio_free(c->aio);
        if (c->req != NULL)
            nng_msg_free(c->req);
        ferryi_arena_fini(&c->call.arena);
    }
    free(srv->ctxs);
    ferryi_conns_free(srv->conns);
    ferryi_listeners_free(srv->listeners);
    if (srv->tls != NULL)
        nng_tls_config_free(srv->tls);
    if (srv->auth != NULL) {
        ferryi_auth_fini(srv->auth);
        free(srv->auth);
    }
    ferryi_registry_fini(&srv->reg);
    ferryi_versions_fini(&srv->ver);
    ferryi_health_free(srv->health);
    ferry_metrics_free(srv->metrics);
    pthread_mutex_destroy(&srv->io_mu);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->done);
    free(srv);
}
