/* pbschema.h - a schema known at run time, for `ferry list`, `describe`
 * and `call`: google.protobuf.FileDescriptorProto messages (from a server's
 * reflection service or from protoc), their message, enum and service types
 * indexed by full name, and ferry's options read from them.
 *
 * The descriptors are untrusted (a server sends them): adding checks that
 * they unpack; pbs_index() checks that every field's type is one protobuf
 * knows and every type name resolves, so the JSON encoder and decoder
 * (pbjson.h) can rely on both.
 *
 * Ownership: the schema owns every descriptor added to it; pointers it
 * returns live until pbs_free(). Thread safety: none; one thread uses it. */
#ifndef FERRY_CLI_PBSCHEMA_H
#define FERRY_CLI_PBSCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/options.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"

typedef Google__Protobuf__FileDescriptorProto pbs_file;
typedef Google__Protobuf__DescriptorProto pbs_msg;
typedef Google__Protobuf__FieldDescriptorProto pbs_field;
typedef Google__Protobuf__EnumDescriptorProto pbs_enum;
typedef Google__Protobuf__ServiceDescriptorProto pbs_service;
typedef Google__Protobuf__MethodDescriptorProto pbs_method;

/* One named type: a message or an enum (the other is NULL). */
typedef struct pbs_type {
    char *full; /* "inventory.v2.Item", no leading dot */
    const pbs_msg *msg;
    const pbs_enum *en;
    const pbs_file *file;
} pbs_type;

typedef struct pbs_svc {
    char *full; /* "inventory.v2.Stock" */
    const pbs_service *svc;
    const pbs_file *file;
} pbs_svc;

typedef struct pb_schema {
    pbs_file **files;
    size_t n_files, cap_files;
    pbs_type *types; /* sorted by full, after pbs_index() */
    size_t n_types;
    pbs_svc *svcs; /* in the order the files declare them */
    size_t n_svcs;
} pb_schema;

/* Deepest message nesting the encoder and decoder follow: a hostile
 * schema or message cannot exhaust the stack. */
#define PBS_MAX_DEPTH 64
/* Most fields a message may declare (protoc's own schemas have far fewer). */
#define PBS_MAX_FIELDS 4096

void pbs_init(pb_schema *s);
void pbs_fini(pb_schema *s);

/* Adds one serialized FileDescriptorProto; a file whose name is already
 * there is skipped. 0, or -1 with a message in err. */
int pbs_add_file(pb_schema *s, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Adds every file of a serialized FileDescriptorSet (protoc's
 * --descriptor_set_out); 0, or -1 with a message in err. */
int pbs_add_set(pb_schema *s, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Indexes the types and services and checks every field; call once after
 * the files are added. 0, or -1 with a message naming the field in err. */
int pbs_index(pb_schema *s, char *err, size_t errlen);

/* The type named `full` (a leading dot is allowed), or NULL. */
const pbs_type *pbs_find(const pb_schema *s, const char *full);
/* The service named `full`, or NULL. */
const pbs_svc *pbs_service_find(const pb_schema *s, const char *full);
/* The method `name` of `svc`, or NULL. */
const pbs_method *pbs_method_find(const pbs_svc *svc, const char *name);

/* Whether the file declaring a message is proto3 (packed repeated scalars
 * by default, open enums). */
int pbs_proto3(const pbs_file *f);
/* Whether `f` is a map field; then *entry is its entry message: exactly
 * key = field 1 (an integral or string type) and value = field 2, both
 * singular. A field of any other "map entry" is a plain repeated message,
 * so key and value never lead to a map again through the entry itself. */
int pbs_is_map(const pb_schema *s, const pbs_field *f, const pbs_msg **entry);
/* Whether repeated scalar field `f` of `file` is written packed. */
int pbs_packed(const pbs_file *file, const pbs_field *f);
/* The field's JSON name: json_name when protoc gave it, else lowerCamel of
 * its name, into buf. */
const char *pbs_json_name(const pbs_field *f, char *buf, size_t len);

/* ferry's options of a method, a field, a service or a file (extension
 * 51000, which protobuf-c keeps as an unknown field); NULL when absent or
 * unreadable. Free with protobuf_c_message_free_unpacked(). */
Ferry__MethodOptions *pbs_ferry_method(const pbs_method *m);
Ferry__FieldOptions *pbs_ferry_field(const pbs_field *f);
Ferry__ServiceOptions *pbs_ferry_service(const pbs_svc *svc);
Ferry__FileOptions *pbs_ferry_file(const pbs_file *f);
/* The API version from ferry's service option, else its file's, else 1. */
uint32_t pbs_api_version(const pbs_svc *svc);

#endif
