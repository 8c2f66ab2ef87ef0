/* options.h - ferry's IDL options and protoc-c's naming options, read from
 * the unknown fields of google.protobuf.*Options (protobuf-c has no
 * extensions), then checked. */
#ifndef FCG_OPTIONS_H
#define FCG_OPTIONS_H

#include <stdint.h>

#include "google/protobuf/descriptor.pb-c.h"

#include "arena.h"
#include "diag.h"
#include "model.h"
#include "srcinfo.h"

/* The extension field numbers: ferry's (idl/ferry/options.proto) and
 * protoc-c's (protobuf-c/protobuf-c.proto). */
#define FCG_FERRY_OPTION_FIELD 51000u
#define FCG_PBC_OPTION_FIELD   1019u

/* Reads the varint at p[0..len) into *v; returns its size, or 0 when the
 * bytes end first or it is longer than 10 bytes. */
size_t fcg_read_varint(const uint8_t *p, size_t len, uint64_t *v);

/* Unpacks the extension `field` of the options message `opts` (NULL
 * allowed) as a `desc` message into the arena. Returns 0 with *out = NULL
 * when the extension is absent, 0 with *out set when present, -1 when it is
 * present but not a well-formed `desc` message (then *why says what is
 * wrong). Several occurrences merge, as protobuf merges repeated messages. */
int fcg_option_unpack(fcg_arena *a, const ProtobufCMessage *opts, uint32_t field,
                      const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                      const char **why);

/* The encoded bytes fcg_option_unpack() reads: every occurrence of the
 * extension `field` of `opts`, concatenated into the arena (*out NULL when
 * there is none). For what protobuf-c's unpacking loses, such as the bytes
 * of a string after a NUL. Returns 0, or -1 with *why set. */
int fcg_option_bytes(fcg_arena *a, const ProtobufCMessage *opts, uint32_t field,
                     const uint8_t **out, size_t *out_len, const char **why);

/* (ferry.file).api_version / (ferry.service).api_version of `loc`'s file or
 * service: 0 when not set, else the version; -1 after reporting an error. */
int64_t fcg_file_api_version(fcg_arena *a, const Google__Protobuf__FileOptions *opts,
                             const fcg_loc *loc, fcg_diag *d);
int64_t fcg_service_api_version(fcg_arena *a, const Google__Protobuf__ServiceOptions *opts,
                                const fcg_loc *loc, fcg_diag *d);

/* Reads and checks the options of the method at `loc` in a service of API
 * version `api_version`. Returns 0, or -1 after reporting errors. */
int fcg_method_options(fcg_arena *a, const Google__Protobuf__MethodDescriptorProto *md,
                       uint32_t api_version, const fcg_loc *loc, fcg_diag *d, fcg_method_opts *out);

/* What ferry cannot generate, checked by the generator and by `ferry check`
 * alike, with the same messages. */

/* Refuses a streaming method (at `loc`): ferry's calls are unary. Returns
 * 0, or -1 after reporting an error. */
int fcg_check_streaming(const Google__Protobuf__MethodDescriptorProto *md, const fcg_loc *loc,
                        fcg_diag *d);

/* Refuses every proto3 `optional` field of file `f` (protobuf-c 1.4, which
 * generates the messages, cannot), naming its file, line and message,
 * before protoc's own message for protoc-c, which names neither. Returns 0,
 * or -1 after reporting errors. */
int fcg_check_proto3_optional(fcg_arena *a, const Google__Protobuf__FileDescriptorProto *f,
                              fcg_diag *d);

#endif /* FCG_OPTIONS_H */
