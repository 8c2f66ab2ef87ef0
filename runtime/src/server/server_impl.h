/* server_impl.h - what the parts of a ferry_server share: the server and
 * its receiving contexts (server.c makes and configures them, engine.c
 * serves calls on them, shutdown.c stops and frees them). */
#ifndef FERRYI_SERVER_IMPL_H
#define FERRYI_SERVER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "call/call.h"
#include "call/registry.h"
#include "identity/auth.h"
#include "ops/intercept.h"
#include "server/conns.h"
#include "server/health.h"
#include "server/listeners.h"
#include "server/versions.h"
#include "server/workq.h"
#include "wire/envelope.h"

typedef enum { PH_IDLE, PH_RECV, PH_WORK } phase;

typedef struct srv_ctx {
    ferryi_job job; /* queued to the worker pool in PH_WORK */
    ferry_server *srv;
    nng_ctx ctx; /* exchanged for a fresh one when a reply is queued */
    nng_aio *aio;
    phase ph;
    ferryi_conn *conn; /* the connection of the call being handled */
    nng_msg *req;      /* the request being handled; the frame points into it */
    ferryi_frame frame;
    uint64_t call_id;
    size_t max_reply; /* the client's reply limit, or the server's */
    ferryi_auth_call auth;
    ferry_call call;
    /* The API versions the called service serves, when known. */
    uint32_t api_min, api_max;
    /* What the interceptors' after hooks see (only kept when there are any):
     * the method the header named (in the call's arena), when the request
     * was read and its handler ran, and the reply. */
    const char *method_name;
    uint32_t deadline_ms;
    uint64_t read_us, handler_start_us, handler_us;
    int answered, handler_ran;
    size_t hooks_ran; /* interceptors the before hooks got to (0: none ran) */
    ferry_status answer_status;
    size_t answer_bytes;
    char answer_message[FERRY_MESSAGE_MAX];
} srv_ctx;

struct ferry_server {
    nng_socket sock;
    int sock_open;
    int sock_wedged; /* nng did not close the socket in time: leak what it uses */
    size_t max_message;
    unsigned n_ctx;
    srv_ctx *ctxs;
    ferryi_conns *conns;
    ferryi_workq wq;
    int wq_started;
    int inline_handlers; /* run handlers on nng's threads, no pool */
    int roles_without_identity;
    size_t max_call_memory;
    ferryi_registry reg;
    /* API version ranges and call statistics. */
    ferryi_versions ver;
    ferryi_health *health;  /* the statuses the health service answers */
    ferryi_hooks hooks;     /* interceptors */
    ferry_metrics *metrics; /* its own, with metrics_url or FERRY_METRICS_URL */
    int serving;            /* contexts are receiving */
    ferryi_auth *auth;      /* identity checks, or NULL when off */
    nng_tls_config *tls;    /* for tls+tcp:// listeners, or NULL */
    ferryi_listeners *listeners;

    /* io_mu orders every nng_ctx_recv against the shutdown: once `closed` is
     * set under it, no context receives again (and conns.c sends nothing
     * after ferryi_conns_close()), so closing the socket cannot race them
     * (nng 1.5.2 does not survive that race). */
    pthread_mutex_t io_mu;
    int closed;

    pthread_mutex_t mu;
    pthread_cond_t done;      /* signalled when a shutdown completes */
    atomic_int draining;      /* new calls are refused with "shutting down" */
    uint32_t drain_notice_ms; /* see ferry_server_opts */
    enum { RUNNING, SHUTTING_DOWN, SHUT_DOWN } state;

    /* Contexts waiting in a receive, and how many a finished call leaves
     * receiving before it takes over a waiting request of its connection
     * (see complete). */
    atomic_uint n_receiving;
    unsigned min_receiving;

    atomic_uint_fast64_t received, handled, rejected, connections;
    atomic_uint_fast64_t last_trim_ms;
};

/* engine.c: a context's aio callback, the pipe callback that counts
 * connections, and a context's first receive (the server is serving). */
void ferryi_server_ctx_cb(void *arg);
void ferryi_server_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg);
void ferryi_server_start_recv(srv_ctx *c);

/* Whether the calling thread is running one of `srv`'s handlers. */
int ferryi_server_running_here(const ferry_server *srv);

#endif
