/* diag.h - the generator's error messages, each naming where in the IDL it
 * applies: "shop.proto:12: service Cart, method Add: <what is wrong>". */
#ifndef FCG_DIAG_H
#define FCG_DIAG_H

#include <stddef.h>

/* Where an error applies; any member may be NULL / 0 when unknown. */
typedef struct fcg_where {
    const char *file;    /* the .proto as protoc names it */
    int line;            /* 1-based; 0 = unknown */
    const char *service; /* the service's short name */
    const char *method;  /* the method's name */
} fcg_where;

/* Collected errors, one per line. */
typedef struct fcg_diag {
    char *text; /* NUL-terminated when count > 0; malloc'd */
    size_t len;
    size_t cap;
    unsigned count;
} fcg_diag;

void fcg_diag_init(fcg_diag *d);
void fcg_diag_fini(fcg_diag *d);

/* Adds an error at `w` (which may be NULL). Bytes that are not printable
 * ASCII are shown as '?', so IDL text cannot inject terminal controls. When
 * memory runs out the error still counts, with a shorter text. */
void fcg_error(fcg_diag *d, const fcg_where *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The errors as one string ("" when none). */
const char *fcg_diag_text(const fcg_diag *d);

#endif /* FCG_DIAG_H */
