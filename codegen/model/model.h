/* model.h - what the generator knows of the IDL once loaded: the files to
 * generate, their services and methods, the C names protoc-c gives the
 * message types, and ferry's validated options. Backends only read it. */
#ifndef FCG_MODEL_H
#define FCG_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "google/protobuf/compiler/plugin.pb-c.h"

#include "arena.h"
#include "diag.h"

typedef struct fcg_vmsg fcg_vmsg;

/* A message type as protoc-c declares it in C. */
typedef struct fcg_type {
    const char *full_name;  /* ".inventory.v1.Item", as descriptors refer to it */
    const char *c_name;     /* "Inventory__V1__Item" */
    const char *c_lower;    /* "inventory__v1__item" */
    const char *descriptor; /* "inventory__v1__item__descriptor" */
    const char *base;       /* the ProtobufCMessage member, "base" unless renamed */
    const Google__Protobuf__DescriptorProto *proto;    /* as the request gives it */
    const Google__Protobuf__FileDescriptorProto *file; /* the file declaring it */
    int32_t *path; /* its SourceCodeInfo path in that file, n_path entries */
    size_t n_path;
    fcg_vmsg *v; /* its validator (rules.h), once a method's input reaches it */
} fcg_type;

/* A method's ferry options, validated; mirrors ferry_method_options. */
typedef struct fcg_method_opts {
    uint32_t since;            /* >= 1, <= the service's API version */
    uint32_t deprecated_since; /* 0, or since..API version */
    int deprecated;            /* protobuf's own `deprecated = true` */
    int idempotent;
    int read_only;
    uint32_t deadline_ms;
    int fallback;                 /* a ferry_fallback value */
    const char *fallback_default; /* with FALLBACK_DEFAULT only, else NULL */
    const uint8_t *fallback_pb;   /* fallback_default encoded as the output type */
    size_t fallback_pb_len;
    char **roles; /* non-empty and distinct */
    size_t n_roles;
    uint32_t id; /* 0 = none; unique within the service */
} fcg_method_opts;

typedef struct fcg_file fcg_file;
typedef struct fcg_service fcg_service;

/* The C names generated for a method (see names.c for how they are made);
 * the examples are for inventory.v1.Stock/GetItem. */
typedef struct fcg_method_names {
    const char *fn;       /* inventory_v1_stock_get_item: the sync client function */
    const char *async_fn; /* inventory_v1_stock_get_item_async */
    const char *cb_type;  /* inventory_v1_stock_get_item_cb: the async callback type */
    const char *constant; /* INVENTORY_V1_STOCK_GET_ITEM: the method's index */
    const char *member;   /* get_item: its handler table member ("delete_" for Delete) */
    const char *invoke;   /* inventory_v1_stock_get_item_invoke: server glue (static) */
    const char *done;     /* inventory_v1_stock_get_item_done: async trampoline (static) */
    const char *roles;    /* inventory_v1_stock_get_item_roles: role list (static) */
    const char *fallback; /* inventory_v1_stock_get_item_fallback_pb: encoded default (static) */
    /* In <stem>.ferry-mock.h/.c: */
    const char *mock_check;          /* inventory_v1_stock_get_item_mock_check: check type */
    const char *mock_fn;             /* inventory_v1_stock_get_item_mock_fn: answer fn type */
    const char *mock_expect;         /* inventory_v1_stock_mock_expect_get_item */
    const char *mock_expect_req;     /* inventory_v1_stock_mock_expect_get_item_request */
    const char *mock_will_return;    /* inventory_v1_stock_mock_will_return_get_item */
    const char *mock_will_fall_back; /* inventory_v1_stock_mock_will_fall_back_get_item */
    const char *mock_will_fail;      /* inventory_v1_stock_mock_will_fail_get_item */
    const char *mock_will_call;      /* inventory_v1_stock_mock_will_call_get_item */
    const char *mock_check_glue;     /* inventory_v1_stock_get_item_mock_check_invoke (static) */
    const char *mock_fn_glue;        /* inventory_v1_stock_get_item_mock_fn_invoke (static) */
} fcg_method_names;

/* The C names generated for a service, for inventory.v1.Stock. */
typedef struct fcg_service_names {
    const char *prefix;       /* inventory_v1_stock */
    const char *desc;         /* inventory_v1_stock_desc */
    const char *method_enum;  /* inventory_v1_stock_method: the enum tag */
    const char *n_methods;    /* INVENTORY_V1_STOCK_N_METHODS */
    const char *handlers;     /* inventory_v1_stock_handlers: typedef and struct tag */
    const char *impl;         /* inventory_v1_stock_impl */
    const char *reg;          /* inventory_v1_stock_register */
    const char *local_open;   /* inventory_v1_stock_local_open */
    const char *methods;      /* inventory_v1_stock_methods: method table (static) */
    const char *invoke_table; /* inventory_v1_stock_invoke: invoke glue table (static) */
    const char *mock_open;    /* inventory_v1_stock_mock_open (in .ferry-mock.h) */
    const char *fake_start;   /* inventory_v1_stock_fake_start (in .ferry-mock.h) */

    /* The dispatcher (gen_dispatch.c): */
    const char *dispatcher_open;    /* inventory_v1_stock_dispatcher_open */
    const char *dispatch_env;       /* INVENTORY_V1_STOCK_DISPATCH_ENV: the macro */
    const char *dispatch_env_value; /* FERRY_DISPATCH_INVENTORY_V1_STOCK: the variable */
} fcg_service_names;

typedef struct fcg_method {
    const fcg_service *service;
    size_t index;          /* declaration order */
    const char *name;      /* "GetItem" */
    const char *full_name; /* "inventory.v1.Stock/GetItem": the routing key */
    fcg_method_names c;
    const fcg_type *input;
    const fcg_type *output;
    fcg_method_opts opts;
    const char *doc; /* the leading comment, or NULL */
    int line;        /* 1-based; 0 = unknown */
} fcg_method;

struct fcg_service {
    const fcg_file *file;
    const char *name;      /* "Stock" */
    const char *full_name; /* "inventory.v1.Stock" */
    fcg_service_names c;
    uint32_t api_version; /* service option, else file option, else 1 */
    const char *doc;
    int line;
    fcg_method *methods;
    size_t n_methods;
};

struct fcg_file {
    const char *name;       /* "inventory/v1/inventory.proto", as protoc names it */
    const char *stem;       /* "inventory/v1/inventory": outputs are stem + ".ferry.h/.c" and
                               stem + ".ferry-mock.h/.c" */
    const char *package;    /* "inventory.v1", or "" */
    const char *guard;      /* the header's include guard */
    const char *mock_guard; /* the mock header's */
    fcg_service *services;
    size_t n_services;
    /* Its descriptor, and every file of the request (imports come before
     * the files importing them): what the embedded descriptors are made of. */
    const Google__Protobuf__FileDescriptorProto *proto;
    Google__Protobuf__FileDescriptorProto *const *protos;
    size_t n_protos;
};

typedef struct fcg_model {
    fcg_arena arena; /* owns everything below and the unpacked options */
    fcg_file *files; /* the files to generate that have services, in request order */
    size_t n_files;
} fcg_model;

/* Builds the model of `req`, which must outlive it. Every problem found is
 * added to `d`; returns 0 when there was none, -1 otherwise (the model is
 * then incomplete, but fcg_model_fini() must still be called). */
int fcg_model_load(fcg_model *m, const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                   fcg_diag *d);

void fcg_model_fini(fcg_model *m);

#endif /* FCG_MODEL_H */
