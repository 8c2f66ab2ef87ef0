/* rawcall.h - a call whose request and reply are protobuf wire bytes that
 * the caller encodes and decodes itself (pbjson.h), made through the
 * ordinary channel API (ferry_channel_call()), so that `ferry call` goes
 * through the same client, identity, deadlines and retries as generated
 * code.
 *
 * protobuf-c has no dynamic messages; but a message whose descriptor
 * declares no fields carries everything as unknown fields, which protobuf-c
 * packs back byte for byte. The request's bytes ride that way, and the
 * reply, unpacked the same way, gives its bytes back.
 *
 * Ownership: a rawcall_method points at the strings it is given, which must
 * outlive its calls; *reply is malloc'd, the caller frees it.
 * Thread safety: a rawcall_method is read only by calls; share it freely. */
#ifndef FERRY_CLI_RAWCALL_H
#define FERRY_CLI_RAWCALL_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/ferry.h"
#include "ferry/options.pb-c.h"

typedef struct rawcall_method {
    ferry_service_desc svc;
    ferry_method m;
} rawcall_method;

/* Fills `rm` for method `name` of service `service` (full names,
 * "inventory.v2.Stock", "Get"; `full` is "inventory.v2.Stock/Get"), at API
 * version `api_version`, with ferry's options `opts` (NULL: none). */
void rawcall_method_init(rawcall_method *rm, const char *service, const char *name,
                         const char *full, uint32_t api_version, const Ferry__MethodOptions *opts);

/* Calls rm's method on `ch` with the encoded request `req` (len bytes, a
 * valid encoding) and, on FERRY_OK, returns the reply's bytes in *reply
 * (malloc'd, *reply_len bytes; NULL when empty). Any other status is the
 * call's, with its detail in opts->info as for ferry_channel_call(). */
ferry_status rawcall(ferry_channel *ch, const rawcall_method *rm, const uint8_t *req, size_t len,
                     uint8_t **reply, size_t *reply_len, const ferry_call_opts *opts);

#endif
