/* health.c - a server's health statuses and the health service
 * (ferry/health.h, idl/ferry/health/v1/health.proto). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/health/v1/health.ferry.h"
#include "health.h"
#include "versions.h"

/* The statuses set so far: the server's, and the services' that were set
 * (few: a service is added once and then only changes its status). */
typedef struct svc_status {
    char *name;
    ferry_health status;
} svc_status;

struct ferryi_health {
    pthread_mutex_t mu;
    ferry_health server;
    svc_status *svcs;
    size_t n, cap;
};

ferryi_health *ferryi_health_new(void)
{
    ferryi_health *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    h->server = FERRY_HEALTH_SERVING;
    return h;
}

void ferryi_health_free(ferryi_health *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->svcs[i].name);
    free(h->svcs);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

const char *ferry_health_str(ferry_health h)
{
    switch (h) {
    case FERRY_HEALTH_SERVING:
        return "serving";
    case FERRY_HEALTH_NOT_SERVING:
        return "not serving";
    case FERRY_HEALTH_DRAINING:
        return "draining";
    }
    return "unknown";
}

int ferryi_health_method(const char *method)
{
    static const char prefix[] = "ferry.health.v1.Health/";
    return method != NULL && strncmp(method, prefix, sizeof prefix - 1) == 0;
}

/* Whether the server hosts the service `name`. */
static int hosted(ferry_server *srv, const char *name)
{
    int serving = 0;
    ferryi_versions *v = ferryi_server_versions(srv, &serving);
    for (size_t i = 0; i < v->n_svcs; i++)
        if (strcmp(v->svcs[i].desc->full_name, name) == 0)
            return 1;
    return 0;
}

/* The entry of `name`, or NULL; the caller holds h->mu. */
static svc_status *find(ferryi_health *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->svcs[i].name, name) == 0)
            return &h->svcs[i];
    return NULL;
}

ferry_status ferry_server_set_health(ferry_server *srv, const char *service, ferry_health status)
{
    if (srv == NULL || (status != FERRY_HEALTH_SERVING && status != FERRY_HEALTH_NOT_SERVING))
        return FERRY_INVALID_ARGUMENT;
    ferryi_health *h = ferryi_server_health(srv);
    if (service != NULL && service[0] != '\0' && !hosted(srv, service))
        return FERRY_NOT_FOUND;
    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&h->mu);
    if (service == NULL || service[0] == '\0') {
        h->server = status;
    } else {
        svc_status *s = find(h, service);
        if (s == NULL && h->n == h->cap) {
            size_t cap = h->cap == 0 ? 4 : h->cap * 2;
            svc_status *grown = realloc(h->svcs, cap * sizeof *grown);
            if (grown != NULL) {
                h->svcs = grown;
                h->cap = cap;
            }
        }
        if (s == NULL && h->n < h->cap) {
            char *name = strdup(service);
            if (name != NULL) {
                s = &h->svcs[h->n++];
                s->name = name;
            }
        }
        if (s != NULL)
            s->status = status;
        else
            st = FERRY_RESOURCE_EXHAUSTED;
    }
    pthread_mutex_unlock(&h->mu);
    return st;
}

ferry_status ferry_server_get_health(ferry_server *srv, const char *service, ferry_health *status)
{
    if (srv == NULL || status == NULL)
        return FERRY_INVALID_ARGUMENT;
    int whole = service == NULL || service[0] == '\0';
    if (!whole && !hosted(srv, service))
        return FERRY_NOT_FOUND;
    if (ferryi_server_draining(srv)) {
        *status = FERRY_HEALTH_DRAINING;
        return FERRY_OK;
    }
    ferryi_health *h = ferryi_server_health(srv);
    pthread_mutex_lock(&h->mu);
    ferry_health st = h->server;
    if (!whole && st == FERRY_HEALTH_SERVING) {
        const svc_status *s = find(h, service);
        if (s != NULL)
            st = s->status;
    }
    pthread_mutex_unlock(&h->mu);
    *status = st;
    return FERRY_OK;
}

static ferry_status check(void *user, ferry_call *call, const Ferry__Health__V1__CheckRequest *req,
                          Ferry__Health__V1__CheckReply *resp)
{
    ferry_server *srv = user;
    ferry_health h = FERRY_HEALTH_SERVING;
    ferry_status st = ferry_server_get_health(srv, req->service, &h);
    if (st == FERRY_NOT_FOUND)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "the server hosts no service '%.200s'",
                               req->service);
    if (st != FERRY_OK)
        return st;
    resp->status = (Ferry__Health__V1__ServingStatus)h;
    return FERRY_OK;
}

static const ferry_health_v1_health_handlers health_handlers = {.check = check};

ferry_status ferry_server_add_health(ferry_server *srv)
{
    if (srv == NULL)
        return FERRY_INVALID_ARGUMENT;
    return ferry_health_v1_health_register(srv, &health_handlers, srv);
}
