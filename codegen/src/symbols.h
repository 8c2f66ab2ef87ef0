/* symbols.h - every C name the generated code declares, checked for
 * collisions: two proto names can mangle to one C name ("GetItem" and
 * "get_item", service "StockItem" and service "Stock" + method "ItemGet"),
 * which would otherwise surface as a compile error in generated code. */
#ifndef FCG_SYMBOLS_H
#define FCG_SYMBOLS_H

#include <stddef.h>

#include "google/protobuf/compiler/plugin.pb-c.h"

#include "arena.h"
#include "diag.h"
#include "model.h"

typedef struct fcg_symbol fcg_symbol;

typedef struct fcg_symbols {
    fcg_symbol *v;
    size_t n;
    size_t cap;
    int failed;      /* out of memory: the check is incomplete */
    fcg_arena names; /* names made here (the mock functions behind the macros) */
} fcg_symbols;

void fcg_symbols_init(fcg_symbols *s);
void fcg_symbols_fini(fcg_symbols *s);

/* Records the names `svc` generates: functions, types, constants and
 * file-local statics at file scope, enum and struct tags in their own name
 * space, and handler table members within their struct. `file` names the
 * .proto in messages; the lines come from the model. */
void fcg_symbols_add_service(fcg_symbols *s, const fcg_service *svc, const char *file);

/* Records the names of the descriptors `f` embeds for reflection
 * (gen_reflect.c), named after its first service: <prefix>_files and
 * <prefix>_file_pb0 .. _pb<n_embedded - 1>. Recorded before the services'
 * names, a method that would give one of them (Files, FilePb0) is the one
 * reported. */
void fcg_symbols_add_file(fcg_symbols *s, const fcg_file *f, size_t n_embedded);

/* Reports each name recorded more than once, at every declaration after the
 * first. Returns 0 when all names are distinct. */
int fcg_symbols_check(fcg_symbols *s, fcg_diag *d);

/* Reports each method and field of the files `req` asks to generate whose
 * name protoc-c would write into its header as a C or C++ keyword or an
 * object-like macro (names.h: fcg_reserved_member(), fcg_reserved_field()),
 * with file:line, the name, why, and a name to use instead. The header
 * would not compile, as C or as C++, and protoc-c cannot be told otherwise,
 * so the IDL must change. Message, enum and enum value names are not
 * checked: protoc-c joins them to the package's prefix and a "__" suffix,
 * and only in a file without a package could one clash (a message named
 * EOF). Returns 0 when there was nothing to report. */
int fcg_check_reserved_names(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                             fcg_diag *d);

#endif /* FCG_SYMBOLS_H */
