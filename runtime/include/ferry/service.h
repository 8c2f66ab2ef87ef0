/* ferry/service.h - service descriptors (what protoc-gen-ferry generates) and
 * the handler side of a call (ferry_call).
 *
 * Thread safety: descriptors are immutable and shared freely. A ferry_call
 * belongs to the thread running its handler and must not be used after the
 * handler returns.
 */
#ifndef FERRY_SERVICE_H
#define FERRY_SERVICE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ferry/identity.h"
#include "ferry/status.h"
#include "ferry/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Descriptors
 * ---------------------------------------------------------------------- */

/* What a client does when a call fails at the transport level; mirrors the
 * ferry.Fallback enum of idl/ferry/options.proto. */
typedef enum ferry_fallback {
    FERRY_FALLBACK_NONE = 0,
    FERRY_FALLBACK_EMPTY = 1,
    FERRY_FALLBACK_DEFAULT = 2,
    FERRY_FALLBACK_CALLBACK = 3,
} ferry_fallback;

/* A method's ferry options, as declared in the IDL (ferry.MethodOptions). */
typedef struct ferry_method_options {
    uint32_t since;               /* API version that introduced the method (>= 1) */
    uint32_t deprecated_since;    /* API version that deprecated it; 0 = not given */
    int deprecated;               /* nonzero: protobuf's `deprecated = true` */
    int idempotent;               /* nonzero: safe to repeat, may be retried */
    int read_only;                /* nonzero: no side effects, may be shadowed */
    uint32_t deadline_ms;         /* default deadline; 0 = the channel's default */
    ferry_fallback fallback;      /* fallback policy */
    const char *fallback_default; /* text-format response for FERRY_FALLBACK_DEFAULT, or NULL */
    /* The same response in protobuf binary, encoded by the generator as the
     * method's output type: what the runtime returns for FERRY_FALLBACK_DEFAULT
     * (the text is for people). fallback_default_len bytes; NULL when 0. */
    const uint8_t *fallback_default_pb;
    size_t fallback_default_len;
    const char *const *roles; /* roles a caller needs (all of them); n_roles entries */
    size_t n_roles;
    uint32_t id; /* stable method id; 0 = none */
} ferry_method_options;

typedef struct ferry_service_desc ferry_service_desc;

/* One .proto file as protoc compiled it: a serialized
 * google.protobuf.FileDescriptorProto without source info, embedded by
 * protoc-gen-ferry so that a server can describe what it hosts
 * (ferry/reflection.h). */
typedef struct ferry_file_desc {
    const char *name; /* "inventory/v2/inventory.proto", as protoc names it */
    const uint8_t *data;
    size_t len;
} ferry_file_desc;

/* One method of a service. */
typedef struct ferry_method {
    const ferry_service_desc *service; /* the service the method belongs to */
    uint32_t index;                    /* position in service->methods */
    const char *name;                  /* "Get", as in the .proto */
    const char *full_name;             /* "inventory.v1.Stock/Get": the routing key */
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
    ferry_method_options opts;
    /* The validator of the request type, from the (ferry.field) rules of its
     * fields and of the messages in it (ferry/validate.h); NULL when none of
     * them declares a rule. */
    ferry_validate_fn validate;
} ferry_method;

/* A service: the routing table both clients and servers use. */
struct ferry_service_desc {
    const char *name;      /* "Stock" */
    const char *full_name; /* "inventory.v1.Stock" */
    const char *package;   /* "inventory.v1" */
    const char *source;    /* the .proto file it came from, as protoc names it */
    uint32_t api_version;  /* from ferry.service or ferry.file options; default 1 */
    size_t n_methods;
    const ferry_method *methods; /* in declaration order */
    /* The file defining the service first, then the files its methods'
     * message and enum types come from, each once; n_files entries. */
    size_t n_files;
    const ferry_file_desc *files;
};

/* The method of `svc` whose full or short name is `name`, or NULL. */
const ferry_method *ferry_service_find_method(const ferry_service_desc *svc, const char *name);

/* ------------------------------------------------------------------------
 * The handler side of a call
 * ---------------------------------------------------------------------- */

/* The context of one call as its handler sees it: who called, the time left,
 * metadata, and an arena whose memory lives until the reply is sent. */
typedef struct ferry_call ferry_call;

/* Invokes one handler of a typed handler table; generated per method.
 * `handlers` is the table passed at registration, `req` the decoded request,
 * `resp` an initialised response the handler fills. Returns the call's status;
 * on anything but FERRY_OK the response is not sent. */
typedef ferry_status (*ferry_invoke_fn)(const void *handlers, void *user, ferry_call *call,
                                        const ProtobufCMessage *req, ProtobufCMessage *resp);

/* A service implementation: a descriptor plus the handlers that serve it.
 * Generated code fills one (`<prefix>_impl()`); the runtime copies the struct,
 * but `desc`, `invoke` and `handlers` must outlive every server or channel it
 * is added to. */
typedef struct ferry_service_impl {
    const ferry_service_desc *desc;
    const ferry_invoke_fn *invoke; /* desc->n_methods entries, in desc->methods order */
    const void *handlers;          /* the typed handler table */
    void *user;                    /* passed to every handler */
} ferry_service_impl;

/* The method being called. */
const ferry_method *ferry_call_method(const ferry_call *call);

/* Milliseconds left before the caller's deadline; 0 when it has passed;
 * UINT32_MAX when the call has no deadline. Pass it on when calling further
 * services so the deadline propagates. */
uint32_t ferry_call_remaining_ms(const ferry_call *call);

/* The caller's API version of the service, software name and version as the
 * client sent them ("" when not sent). Valid until the handler returns. */
uint32_t ferry_call_api_version(const ferry_call *call);
const char *ferry_call_client_name(const ferry_call *call);
const char *ferry_call_client_version(const ferry_call *call);

/* The caller's verified identity (name, roles, public key), or NULL for an
 * anonymous caller, a server without identity, or a local channel. Valid
 * until the handler returns. */
const ferry_identity *ferry_call_identity(const ferry_call *call);

/* FERRY_OK when the caller holds every role of `roles`; else sets the call's
 * message and returns FERRY_PERMISSION_DENIED. Roles apply only on a server
 * with identity switched on (ferry_server_set_identity()); local channels
 * and servers without identity run in-process or trusted code and pass.
 * The server calls it with the roles the IDL declares before it decodes the
 * request's body; a handler may call it for roles of its own choosing. */
ferry_status ferry_call_require_roles(ferry_call *call, const char *const *roles, size_t n_roles);

/* The value of metadata entry `key` and its length, or NULL when absent. */
const uint8_t *ferry_call_metadata(const ferry_call *call, const char *key, size_t *len);

/* Memory from the call's arena, aligned for any type, freed when the reply
 * has been sent. Use it for strings, bytes and repeated fields of the
 * response. Returns NULL when out of memory. */
void *ferry_call_alloc(ferry_call *call, size_t size);
char *ferry_call_strdup(ferry_call *call, const char *s);

/* Sets the message that travels with a non-OK status (printf format,
 * truncated to FERRY_MESSAGE_MAX - 1 bytes). Returns `st`, so a handler can
 * write `return ferry_call_fail(call, FERRY_NOT_FOUND, "no sku %s", sku);`. */
ferry_status ferry_call_fail(ferry_call *call, ferry_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Longest status message, terminating NUL included. */
#define FERRY_MESSAGE_MAX 256

#ifdef __cplusplus
}
#endif
#endif /* FERRY_SERVICE_H */
