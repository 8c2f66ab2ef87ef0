/* health.h - a server's health statuses (ferry/health.h): the state
 * server.c keeps for every server, and what health.c needs of the server. */
#ifndef FERRYI_HEALTH_H
#define FERRYI_HEALTH_H

#include "ferry/health.h"

typedef struct ferryi_health ferryi_health;

/* A new state, everything SERVING; NULL when out of memory. */
ferryi_health *ferryi_health_new(void);
void ferryi_health_free(ferryi_health *h);

/* Implemented in server.c: the server's health state, and whether it has
 * begun to shut down. */
ferryi_health *ferryi_server_health(ferry_server *srv);
int ferryi_server_draining(const ferry_server *srv);

/* True when `method` (full name, "pkg.Svc/Method") belongs to the health
 * service: a draining server still answers it. */
int ferryi_health_method(const char *method);

#endif
