/* status.c - names of ferry's status codes and the runtime's version. */
#include "base/names.h"
#include "ferry/ferry.h"

/* Every status code and its name. */
#define STATUS_NAMES(X)                                                                            \
    X(FERRY_OK, "ok")                                                                              \
    X(FERRY_CANCELLED, "cancelled")                                                                \
    X(FERRY_UNKNOWN, "unknown")                                                                    \
    X(FERRY_INVALID_ARGUMENT, "invalid argument")                                                  \
    X(FERRY_DEADLINE_EXCEEDED, "deadline exceeded")                                                \
    X(FERRY_NOT_FOUND, "not found")                                                                \
    X(FERRY_ALREADY_EXISTS, "already exists")                                                      \
    X(FERRY_PERMISSION_DENIED, "permission denied")                                                \
    X(FERRY_RESOURCE_EXHAUSTED, "resource exhausted")                                              \
    X(FERRY_FAILED_PRECONDITION, "failed precondition")                                            \
    X(FERRY_ABORTED, "aborted")                                                                    \
    X(FERRY_OUT_OF_RANGE, "out of range")                                                          \
    X(FERRY_UNIMPLEMENTED, "unimplemented")                                                        \
    X(FERRY_INTERNAL, "internal")                                                                  \
    X(FERRY_UNAVAILABLE, "unavailable")                                                            \
    X(FERRY_DATA_LOSS, "data loss")                                                                \
    X(FERRY_UNAUTHENTICATED, "unauthenticated")                                                    \
    X(FERRY_UNSUPPORTED_VERSION, "unsupported version")                                            \
    X(FERRY_PROTOCOL_ERROR, "protocol error")                                                      \
    X(FERRY_FALLBACK, "fallback")
FERRYI_NAMES_FN(ferry_status_str, ferry_status, STATUS_NAMES, "unknown status")

const char *ferry_version(void)
{
    return FERRY_VERSION_STRING;
}
