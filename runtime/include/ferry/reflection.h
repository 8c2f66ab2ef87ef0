/* ferry/reflection.h - the reflection service a server may host
 * (ferry.reflection.v1.Reflection, idl/ferry/reflection/v1/reflection.proto):
 * the services the server hosts, and the descriptors of the .proto files
 * that define them and of the files their messages come from. `ferry list`,
 * `ferry describe` and `ferry call` read it (docs/operations.md).
 *
 * The descriptors are those protoc-gen-ferry embeds in each generated file
 * (ferry_service_desc.files); a service whose code was generated without
 * them is listed, and asking for its files finds none. Reflection is off
 * unless the application switches it on: a server that does not host it
 * answers its methods FERRY_UNIMPLEMENTED, like any method it lacks.
 * Hosting it tells every caller the server is allowed to answer what the
 * API looks like (names, fields, ferry's options, comments excluded); on a
 * server with identity switched on, only callers with a trusted key get it.
 *
 * Ownership: nothing is handed over; the server points at the descriptors
 * the generated code holds in static storage.
 * Thread safety: call ferry_server_add_reflection() from the thread that
 * sets the server up, before ferry_server_listen(); the service then
 * answers from any worker thread.
 */
#ifndef FERRY_REFLECTION_H
#define FERRY_REFLECTION_H

#include "ferry/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hosts the reflection service on `srv`: it describes every service hosted
 * when the server starts listening, those added after this call included,
 * and itself. Its methods need no role. Call before ferry_server_listen()
 * (FERRY_FAILED_PRECONDITION after); FERRY_ALREADY_EXISTS when added twice. */
FERRY_NODISCARD ferry_status ferry_server_add_reflection(ferry_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_REFLECTION_H */
