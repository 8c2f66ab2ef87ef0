/* ferry/ferry.h - the public API of libferry, the ferry RPC runtime.
 *
 * This header is the whole supported API; it includes the topic headers:
 *   ferry/status.h   the status enum (also the wire status code)
 *   ferry/service.h  service descriptors and the handler side of a call
 *   ferry/channel.h  the channel seam, remote and local channels
 *   ferry/balance.h  one channel over many servers: a list, or a DNS name
 *   ferry/server.h   serving handler tables over nng
 *   ferry/identity.h keys, keyrings and the verified caller
 *   ferry/tls.h      TLS options for tls+tcp:// servers and clients
 *   ferry/versions.h a server's API version ranges, call statistics, admin service
 *   ferry/health.h   a server's health statuses and the health service
 *   ferry/log.h      where ferry's log lines go: level, sink, logfmt or JSON
 *   ferry/intercept.h hooks around every call, client and server side
 *   ferry/metrics.h  call metrics for Prometheus, served over HTTP
 *   ferry/trace.h    W3C trace context on calls, spans to a sink
 *   ferry/dispatch.h the dispatcher: local or remote, stage by stage
 *   ferry/validate.h the IDL's validation rules: violations, validators
 * Names starting with ferryi_ are internal and not part of the API.
 */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include "ferry/version.h"
#include "ferry/status.h"
#include "ferry/identity.h"
#include "ferry/tls.h"
#include "ferry/service.h"
#include "ferry/channel.h"
#include "ferry/balance.h"
#include "ferry/server.h"
#include "ferry/versions.h"
#include "ferry/health.h"
#include "ferry/reflection.h"
#include "ferry/log.h"
#include "ferry/intercept.h"
#include "ferry/metrics.h"
#include "ferry/trace.h"
#include "ferry/dispatch.h"
#include "ferry/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Generated code checks this against the generator's ABI number and stops
 * with #error on a mismatch. Bumped whenever the descriptor structs, or the
 * runtime functions generated code calls, change. */
#define FERRY_ABI_VERSION 6

/* The runtime's version string, e.g. "0.2.0". */
const char *ferry_version(void);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_FERRY_H */
