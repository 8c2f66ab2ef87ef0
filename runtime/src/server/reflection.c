/* reflection.c - the reflection service (ferry/reflection.h,
 * idl/ferry/reflection/v1/reflection.proto): the hosted services, and the
 * descriptors the generator embedded for each. */
#include <string.h>

#include "base/error.h"
#include "ferry/reflection.h"
#include "ferry/reflection/v1/reflection.ferry.h"
#include "server/hosted.h"

static ferry_status list_services(void *user, ferry_call *call,
                                  const Ferry__Reflection__V1__ListServicesRequest *req,
                                  Ferry__Reflection__V1__ListServicesReply *resp)
{
    (void)req;
    int serving = 0;
    const ferryi_versions *v = ferryi_server_versions(user, &serving);
    Ferry__Reflection__V1__ServiceInfo *infos = ferry_call_alloc(call, v->n_svcs * sizeof *infos);
    Ferry__Reflection__V1__ServiceInfo **ptrs = ferry_call_alloc(call, v->n_svcs * sizeof *ptrs);
    if (v->n_svcs > 0 && (infos == NULL || ptrs == NULL))
        return FERRY_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < v->n_svcs; i++) {
        const ferry_service_desc *d = v->svcs[i].desc;
        ferry__reflection__v1__service_info__init(&infos[i]);
        /* The generated strings live as long as the program: no copy. */
        infos[i].name = (char *)d->full_name;
        infos[i].file = (char *)(d->source != NULL ? d->source : "");
        infos[i].api_version = v->svcs[i].max;
        ptrs[i] = &infos[i];
    }
    resp->services = ptrs;
    resp->n_services = v->n_svcs;
    return FERRY_OK;
}

static ferry_status get_files(void *user, ferry_call *call,
                              const Ferry__Reflection__V1__GetFilesRequest *req,
                              Ferry__Reflection__V1__GetFilesReply *resp)
{
    int serving = 0;
    const ferryi_versions *v = ferryi_server_versions(user, &serving);
    const ferry_service_desc *d = NULL;
    for (size_t i = 0; i < v->n_svcs && d == NULL; i++)
        if (strcmp(v->svcs[i].desc->full_name, req->service) == 0)
            d = v->svcs[i].desc;
    if (d == NULL)
        return ferry_call_fail(call, FERRY_NOT_FOUND, "the server hosts no service '%.200s'",
                               req->service);
    /* The generator lists each file once. */
    ProtobufCBinaryData *files = ferry_call_alloc(call, (d->n_files + 1) * sizeof *files);
    if (files == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    size_t n = 0;
    for (size_t i = 0; i < d->n_files; i++, n++) {
        files[n].data = (uint8_t *)d->files[i].data;
        files[n].len = d->files[i].len;
    }
    resp->files = files;
    resp->n_files = n;
    return FERRY_OK;
}

static const ferry_reflection_v1_reflection_handlers reflection_handlers = {
    .list_services = list_services,
    .get_files = get_files,
};

ferry_status ferry_server_add_reflection(ferry_server *srv)
{
    if (srv == NULL)
        return ferryi_error(FERRY_INVALID_ARGUMENT, "ferry_server_add_reflection: no server given");
    return ferry_reflection_v1_reflection_register(srv, &reflection_handlers, srv);
}
