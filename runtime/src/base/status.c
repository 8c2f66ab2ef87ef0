/* status.c - names of ferry's status codes and the runtime's version. */
#include "ferry/ferry.h"

const char *ferry_status_str(ferry_status st)
{
    switch (st) {
    case FERRY_OK:
        return "ok";
    case FERRY_CANCELLED:
        return "cancelled";
    case FERRY_UNKNOWN:
        return "unknown";
    case FERRY_INVALID_ARGUMENT:
        return "invalid argument";
    case FERRY_DEADLINE_EXCEEDED:
        return "deadline exceeded";
    case FERRY_NOT_FOUND:
        return "not found";
    case FERRY_ALREADY_EXISTS:
        return "already exists";
    case FERRY_PERMISSION_DENIED:
        return "permission denied";
    case FERRY_RESOURCE_EXHAUSTED:
        return "resource exhausted";
    case FERRY_FAILED_PRECONDITION:
        return "failed precondition";
    case FERRY_ABORTED:
        return "aborted";
    case FERRY_OUT_OF_RANGE:
        return "out of range";
    case FERRY_UNIMPLEMENTED:
        return "unimplemented";
    case FERRY_INTERNAL:
        return "internal";
    case FERRY_UNAVAILABLE:
        return "unavailable";
    case FERRY_DATA_LOSS:
        return "data loss";
    case FERRY_UNAUTHENTICATED:
        return "unauthenticated";
    case FERRY_UNSUPPORTED_VERSION:
        return "unsupported version";
    case FERRY_PROTOCOL_ERROR:
        return "protocol error";
    case FERRY_FALLBACK:
        return "fallback";
    }
    return "unknown status";
}

const char *ferry_version(void)
{
    return FERRY_VERSION_STRING;
}
