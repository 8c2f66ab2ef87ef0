/* health.h - a server's health statuses (ferry/health.h): the state
 * server.c keeps for every server (health_state.c), which the health
 * service and the public setters (health.c) read and write. */
#ifndef FERRYI_HEALTH_H
#define FERRYI_HEALTH_H

#include "ferry/health.h"

typedef struct ferryi_health ferryi_health;

/* A new state, everything SERVING; NULL when out of memory. */
ferryi_health *ferryi_health_new(void);
void ferryi_health_free(ferryi_health *h);

/* Sets the status of `service`, or of the whole server when it is NULL or
 * "": FERRY_OK, or FERRY_RESOURCE_EXHAUSTED. */
ferry_status ferryi_health_put(ferryi_health *h, const char *service, ferry_health status);

/* The status of `service` (the server's when NULL or ""): the server's when
 * it is not SERVING, else the service's own once set, else SERVING. */
ferry_health ferryi_health_read(ferryi_health *h, const char *service);

/* True when `method` (full name, "pkg.Svc/Method") belongs to the health
 * service: a draining server still answers it. */
int ferryi_health_method(const char *method);

#endif
