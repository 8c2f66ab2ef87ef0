/* health_state.c - a server's health statuses (server/health.h): what
 * server.c keeps for every server. The health service and the public
 * setters built on it are in health.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/grow.h"
#include "base/names.h"
#include "server/health.h"

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

/* Every health status and its name, as `ferry health` prints it. */
#define HEALTH_NAMES(X)                                                                            \
    X(FERRY_HEALTH_SERVING, "serving")                                                             \
    X(FERRY_HEALTH_NOT_SERVING, "not serving")                                                     \
    X(FERRY_HEALTH_DRAINING, "draining")
FERRYI_NAMES_FN(ferry_health_str, ferry_health, HEALTH_NAMES, "unknown")

int ferryi_health_method(const char *method)
{
    static const char prefix[] = "ferry.health.v1.Health/";
    return method != NULL && strncmp(method, prefix, sizeof prefix - 1) == 0;
}

/* The entry of `name`, or NULL; the caller holds h->mu. */
static svc_status *find(ferryi_health *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->svcs[i].name, name) == 0)
            return &h->svcs[i];
    return NULL;
}

ferry_status ferryi_health_put(ferryi_health *h, const char *service, ferry_health status)
{
    ferry_status st = FERRY_OK;
    pthread_mutex_lock(&h->mu);
    if (service == NULL || service[0] == '\0') {
        h->server = status;
    } else {
        svc_status *s = find(h, service);
        char *name = s == NULL ? strdup(service) : NULL;
        if (name != NULL) {
            s = ferryi_push(&h->svcs, &h->n, &h->cap, sizeof *s, 4);
            if (s != NULL)
                s->name = name;
            else
                free(name);
        }
        if (s != NULL)
            s->status = status;
        else
            st = ferryi_error(FERRY_RESOURCE_EXHAUSTED, "health of %s: out of memory", service);
    }
    pthread_mutex_unlock(&h->mu);
    return st;
}

ferry_health ferryi_health_read(ferryi_health *h, const char *service)
{
    pthread_mutex_lock(&h->mu);
    ferry_health st = h->server;
    if (service != NULL && service[0] != '\0' && st == FERRY_HEALTH_SERVING) {
        const svc_status *s = find(h, service);
        if (s != NULL)
            st = s->status;
    }
    pthread_mutex_unlock(&h->mu);
    return st;
}
