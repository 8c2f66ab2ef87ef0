/* validate.h - violations in the reply header: how a server sends the
 * validation failures of a request and how a client reads them back. */
#ifndef FERRYI_VALIDATE_H
#define FERRYI_VALIDATE_H

#include "ferry/validate.h"
#include "ferry/wire.pb-c.h"

/* Room for one violation's path and reason on the wire, NULs included. */
#define FERRYI_VIOLATION_TEXT (FERRY_VIOLATION_PATH_MAX + FERRY_VIOLATION_REASON_MAX)

/* Sets h->violations and h->violations_total from `list`, in the caller's
 * arrays (which must outlive h's packing); the strings are copied into
 * `text` as valid UTF-8. */
void ferryi_violations_to_wire(const ferry_violations *list, Ferry__Wire__ReplyHeader *h,
                               Ferry__Wire__Violation *vs, Ferry__Wire__Violation **vp,
                               char (*text)[FERRYI_VIOLATION_TEXT]);

/* Fills `out` from the header a peer sent: at most FERRY_VIOLATIONS_MAX
 * entries, each string cut to its array; total never below count. */
void ferryi_violations_from_wire(const Ferry__Wire__ReplyHeader *h, ferry_violations *out);

#endif
