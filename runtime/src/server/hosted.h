/* hosted.h - what server.c offers the services a server hosts about
 * itself (admin.c, health.c, reflection.c), which are built on the public
 * server API and which server.c never calls. */
#ifndef FERRYI_HOSTED_H
#define FERRYI_HOSTED_H

#include "ferry/server.h"
#include "server/health.h"
#include "server/versions.h"

/* The server's services and version ranges; *serving is set when it has
 * started receiving calls (its configuration is then fixed). */
ferryi_versions *ferryi_server_versions(ferry_server *srv, int *serving);

/* The server's health statuses. */
ferryi_health *ferryi_server_health(ferry_server *srv);

/* Whether the server has begun to shut down. */
int ferryi_server_draining(const ferry_server *srv);

#endif
