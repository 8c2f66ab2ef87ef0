/* listeners.c - a server's listeners, and the guard of its IPC listeners.
 *
 * See listeners.h for the nng defect the guard works around. One guard
 * thread per server, started with its first IPC listener:
 *
 *   every GUARD_PERIOD_MS, for each IPC listener:
 *     its "other" error count (nng's statistics) has not moved -> fine
 *     it has moved -> connect to it and greet it as a client would
 *       the listener's "accept" count moves within PROBE_WAIT_MS -> fine
 *       it does not -> close the listener, open a new one on its address
 */
#include "server/listeners.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "identity/tls.h"

#define GUARD_PERIOD_MS 500u
/* A live listener takes a connection within milliseconds, or after the
 * 100 ms nng waits following some accept errors; this is generous. */
#define PROBE_WAIT_MS 2000u
#define PROBE_POLL_MS 20u

typedef struct guarded {
    char *url;
    nng_listener l;
    uint64_t errors; /* its "other" error count when last checked */
    uint64_t seen;   /* that count in the current pass */
    int suspect;     /* the count has moved since it was last checked */
    int given_up;    /* stopped, and cannot be reopened */
} guarded;

struct ferryi_listeners {
    nng_socket sock;
    nng_tls_config *tls;

    pthread_mutex_t mu; /* the array, `stopping` and the thread's start */
    pthread_cond_t wake;
    guarded *g;
    size_t n, cap;
    int stopping;
    int started;
    pthread_t thread;
};

static int is_ipc(const char *url)
{
    return strncmp(url, "ipc://", 6) == 0 || strncmp(url, "unix://", 7) == 0 ||
           strncmp(url, "abstract://", 11) == 0;
}

/* Starts a listener on `url`, with the TLS configuration for tls+tcp://. */
static int start(ferryi_listeners *ls, const char *url, nng_listener *l)
{
    if (!ferryi_tls_url(url))
        return nng_listen(ls->sock, url, l, 0);
    int rv = nng_listener_create(l, ls->sock, url);
    if (rv != 0)
        return rv;
    rv = nng_listener_set_ptr(*l, NNG_OPT_TLS_CONFIG, ls->tls);
    if (rv == 0)
        rv = nng_listener_start(*l, 0);
    if (rv != 0)
        nng_listener_close(*l);
    return rv;
}

/* The statistics of the listener with id `id` under `st`, or NULL. (nng
 * 1.5's nng_stat_find_listener() returns the first listener it meets.) */
static nng_stat *find_listener(nng_stat *st, int id)
{
    if (nng_stat_type(st) != NNG_STAT_SCOPE)
        return NULL;
    if (strcmp(nng_stat_name(st), "listener") == 0) {
        for (nng_stat *c = nng_stat_child(st); c != NULL; c = nng_stat_next(c))
            if (strcmp(nng_stat_name(c), "id") == 0)
                return nng_stat_value(c) == (uint64_t)id ? st : NULL;
        return NULL;
    }
    for (nng_stat *c = nng_stat_child(st); c != NULL; c = nng_stat_next(c)) {
        nng_stat *found = find_listener(c, id);
        if (found != NULL)
            return found;
    }
    return NULL;
}

/* The statistic `name` of listener `l` in the snapshot `root`; -1 when
 * there is none. */
static int stat_in(nng_stat *root, nng_listener l, const char *name, uint64_t *out)
{
    nng_stat *s = find_listener(root, nng_listener_id(l));
    for (s = s != NULL ? nng_stat_child(s) : NULL; s != NULL; s = nng_stat_next(s))
        if (strcmp(nng_stat_name(s), name) == 0)
            break;
    if (s == NULL)
        return -1;
    *out = nng_stat_value(s);
    return 0;
}

/* The statistic `name` of listener `l` now; -1 when nng keeps none. */
static int count_of(nng_listener l, const char *name, uint64_t *out)
{
    nng_stat *root = NULL;
    if (nng_stats_get(&root) != 0)
        return -1;
    int rv = stat_in(root, l, name, out);
    nng_stats_free(root);
    return rv;
}

/* Waits on the guard's condition for up to `ms`; mu is held. */
static void nap(ferryi_listeners *ls, unsigned ms)
{
    struct timespec until = ferryi_realtime_in(ms);
    pthread_cond_timedwait(&ls->wake, &ls->mu, &until);
}

/* Connects to listener `l`'s own address and sends the greeting a peer of
 * the socket's protocol sends. Returns the connection, or -1. */
static int probe_connect(ferryi_listeners *ls, nng_listener l)
{
    nng_sockaddr na;
    int peer = 0;
    if (nng_listener_get_addr(l, NNG_OPT_LOCADDR, &na) != 0 ||
        nng_socket_get_int(ls->sock, NNG_OPT_PEER, &peer) != 0)
        return -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    socklen_t len;
    if (na.s_family == NNG_AF_IPC) {
        size_t n = strlen(na.s_ipc.sa_path);
        if (n >= sizeof sa.sun_path)
            return -1;
        memcpy(sa.sun_path, na.s_ipc.sa_path, n + 1);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    } else if (na.s_family == NNG_AF_ABSTRACT) {
        if ((size_t)na.s_abstract.sa_len + 1 > sizeof sa.sun_path)
            return -1;
        memcpy(sa.sun_path + 1, na.s_abstract.sa_name, na.s_abstract.sa_len);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + na.s_abstract.sa_len);
    } else {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    /* The SP greeting: 0, 'S', 'P', version 0, the sender's protocol
     * number (big-endian), two reserved bytes. */
    const uint8_t hello[8] = {0, 'S', 'P', 0, (uint8_t)(peer >> 8), (uint8_t)peer, 0, 0};
    if (connect(fd, (const struct sockaddr *)&sa, len) != 0 ||
        send(fd, hello, sizeof hello, MSG_NOSIGNAL) != (ssize_t)sizeof hello) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether the listener in slot `i` still takes connections: 1 yes, 0 no,
 * -1 cannot tell now (try again later). mu is held, and let go while
 * waiting, so slot `i` is looked up again after each wait. */
static int takes_connections(ferryi_listeners *ls, size_t i)
{
    nng_listener l = ls->g[i].l;
    uint64_t before = 0, now = 0;
    if (count_of(l, "accept", &before) != 0)
        return -1;
    int fd = probe_connect(ls, l);
    if (fd < 0)
        return -1;
    int verdict = 0;
    uint64_t until = ferryi_real_ms() + PROBE_WAIT_MS; /* nng accepts in real time */
    while (!ls->stopping && ferryi_real_ms() < until) {
        if (count_of(l, "accept", &now) == 0 && now != before) {
            verdict = 1;
            break;
        }
        nap(ls, PROBE_POLL_MS);
    }
    close(fd);
    return ls->stopping ? -1 : verdict;
}

/* Replaces the stopped listener in slot `i` with a new one. mu is held. */
static void reopen(ferryi_listeners *ls, size_t i)
{
    guarded *g = &ls->g[i];
    if (strncmp(g->url, "abstract://", 11) == 0) {
        /* nng never lets go of a stopped listener's socket, and an abstract
         * name is bound for as long as that socket lives: a new listener
         * could not have it. The old one still serves its connections. */
        ferryi_log(FERRYI_LOG_ERROR, "server",
                   "the listener on %s stopped accepting connections (nng 1.5 stops an IPC "
                   "listener when a client hangs up during its handshake), and an abstract "
                   "address cannot be reopened; clients already connected are still served. "
                   "Restart the server, or listen on an ipc:// path, which ferry reopens",
                   g->url);
        g->given_up = 1;
        return;
    }
    /* nng 1.5 never frees the stopped listener's endpoint, nor the
     * connections stuck in it (a descriptor and a few KiB each time), but it
     * does remove the socket file, so the new listener binds afresh. */
    nng_listener_close(g->l);
    nng_listener l;
    int rv = start(ls, g->url, &l);
    if (rv != 0) {
        /* The old one is gone either way; the next pass tries again. */
        ferryi_log(FERRYI_LOG_ERROR, "server",
                   "the listener on %s stopped accepting connections and cannot be reopened: "
                   "%s; retrying",
                   g->url, nng_strerror(rv));
        g->l = (nng_listener)NNG_LISTENER_INITIALIZER;
        return;
    }
    g->l = l;
    g->errors = 0;
    (void)count_of(l, "other", &g->errors);
    ferryi_log(FERRYI_LOG_WARN, "server",
               "the listener on %s had stopped accepting connections (nng 1.5 stops an IPC "
               "listener when a client hangs up during its handshake); reopened it, closing the "
               "connections it had accepted",
               g->url);
}

/* One pass over the IPC listeners. mu is held. */
static void check_all(ferryi_listeners *ls)
{
    /* One snapshot of nng's statistics for all of them: it copies every
     * socket's, listener's and connection's figures. */
    nng_stat *root = NULL;
    if (nng_stats_get(&root) != 0)
        return;
    for (size_t i = 0; i < ls->n; i++) {
        guarded *g = &ls->g[i];
        g->suspect = 0;
        uint64_t errors = 0;
        if (!g->given_up && nng_listener_id(g->l) > 0 &&
            stat_in(root, g->l, "other", &errors) == 0 && errors != g->errors) {
            g->suspect = 1;
            g->seen = errors;
        }
    }
    nng_stats_free(root);

    for (size_t i = 0; i < ls->n && !ls->stopping; i++) {
        if (ls->g[i].given_up)
            continue;
        if (nng_listener_id(ls->g[i].l) <= 0) {
            reopen(ls, i); /* an earlier reopen failed */
            continue;
        }
        if (!ls->g[i].suspect)
            continue;
        int verdict = takes_connections(ls, i);
        ferryi_log(FERRYI_LOG_DEBUG, "server",
                   "the listener on %s failed to accept %llu connections; it %s", ls->g[i].url,
                   (unsigned long long)(ls->g[i].seen - ls->g[i].errors),
                   verdict > 0    ? "still accepts"
                   : verdict == 0 ? "has stopped accepting"
                                  : "could not be checked; checking again soon");
        if (verdict < 0)
            continue; /* look again next pass */
        ls->g[i].errors = ls->g[i].seen;
        if (verdict == 0)
            reopen(ls, i);
    }
}

static void *guard_main(void *arg)
{
    ferryi_listeners *ls = arg;
    pthread_mutex_lock(&ls->mu);
    while (!ls->stopping) {
        nap(ls, GUARD_PERIOD_MS);
        if (!ls->stopping)
            check_all(ls);
    }
    pthread_mutex_unlock(&ls->mu);
    return NULL;
}

ferryi_listeners *ferryi_listeners_new(nng_socket sock, nng_tls_config *tls)
{
    ferryi_listeners *ls = calloc(1, sizeof *ls);
    if (ls == NULL)
        return NULL;
    ls->sock = sock;
    ls->tls = tls;
    pthread_mutex_init(&ls->mu, NULL);
    pthread_cond_init(&ls->wake, NULL);
    return ls;
}

/* Adds listener `l` on `url` to the guarded ones, starting the guard. mu is
 * held. Returns 0, or an nng error when out of memory or threads. */
static int guard(ferryi_listeners *ls, const char *url, nng_listener l)
{
    if (ls->n == ls->cap) {
        size_t cap = ls->cap != 0 ? 2 * ls->cap : 4;
        guarded *g = realloc(ls->g, cap * sizeof *g);
        if (g == NULL)
            return NNG_ENOMEM;
        ls->g = g;
        ls->cap = cap;
    }
    char *copy = strdup(url);
    if (copy == NULL)
        return NNG_ENOMEM;
    guarded *g = &ls->g[ls->n];
    *g = (guarded){.url = copy, .l = l};
    if (count_of(l, "other", &g->errors) != 0) {
        /* An nng without statistics: nothing to watch. */
        ferryi_log(FERRYI_LOG_DEBUG, "server",
                   "nng keeps no listener statistics; the listener on %s is not guarded", url);
        free(copy);
        return 0;
    }
    if (!ls->started) {
        if (pthread_create(&ls->thread, NULL, guard_main, ls) != 0) {
            free(copy);
            return NNG_ENOMEM;
        }
        ls->started = 1;
    }
    ls->n++;
    return 0;
}

int ferryi_listeners_open(ferryi_listeners *ls, const char *url, nng_listener *out)
{
    nng_listener l;
    int rv = start(ls, url, &l);
    if (rv != 0 || !is_ipc(url)) {
        if (rv == 0)
            *out = l;
        return rv;
    }
    pthread_mutex_lock(&ls->mu);
    rv = ls->stopping ? NNG_ECLOSED : guard(ls, url, l);
    pthread_mutex_unlock(&ls->mu);
    if (rv != 0) {
        nng_listener_close(l);
        return rv;
    }
    *out = l;
    return 0;
}

void ferryi_listeners_stop(ferryi_listeners *ls)
{
    pthread_mutex_lock(&ls->mu);
    ls->stopping = 1;
    int started = ls->started;
    ls->started = 0;
    pthread_cond_broadcast(&ls->wake);
    pthread_mutex_unlock(&ls->mu);
    if (started)
        pthread_join(ls->thread, NULL);
}

void ferryi_listeners_free(ferryi_listeners *ls)
{
    if (ls == NULL)
        return;
    ferryi_listeners_stop(ls);
    for (size_t i = 0; i < ls->n; i++)
        free(ls->g[i].url);
    free(ls->g);
    pthread_mutex_destroy(&ls->mu);
    pthread_cond_destroy(&ls->wake);
    free(ls);
}
