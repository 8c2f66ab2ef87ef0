/* health.c - the health service (idl/ferry/health/v1/health.proto) and
 * the public setters of ferry/health.h, built on the statuses server.c keeps
 * (server/health.h, health_state.c). */
#include <string.h>

#include "base/error.h"
#include "ferry/health/v1/health.ferry.h"
#include "server/health.h"
#include "server/hosted.h"

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

ferry_status ferry_server_set_health(ferry_server *srv, const char *service, ferry_health status)
{
    ferryi_error_clear();
    if (srv == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_set_health: no server given");
    if (status != FERRY_HEALTH_SERVING && status != FERRY_HEALTH_NOT_SERVING)
        return ferryi_error(FERRY_INVALID_ARGUMENT,
                            "ferry_server_set_health: %d is not serving or not serving",
                            (int)status);
    if (service != NULL && service[0] != '\0' && !hosted(srv, service))
        return ferryi_error(FERRY_NOT_FOUND, "service %s is not hosted by this server", service);
    return ferryi_health_put(ferryi_server_health(srv), service, status);
}

ferry_status ferry_server_get_health(ferry_server *srv, const char *service, ferry_health *status)
{
    ferryi_error_clear();
    if (srv == NULL || status == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_get_health: no %s given",
                            srv == NULL ? "server" : "out pointer");
    if (service != NULL && service[0] != '\0' && !hosted(srv, service))
        return ferryi_error(FERRY_NOT_FOUND, "service %s is not hosted by this server", service);
    *status = ferryi_server_draining(srv) ? FERRY_HEALTH_DRAINING
                                          : ferryi_health_read(ferryi_server_health(srv), service);
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
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_add_health: no server given");
    return ferry_health_v1_health_register(srv, &health_handlers, srv);
}
