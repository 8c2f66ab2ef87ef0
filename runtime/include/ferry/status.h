/* ferry/status.h - the one status enum of ferry; it doubles as the wire status code.
 *
 * Thread safety: everything here is pure and safe from any thread.
 */
#ifndef FERRY_STATUS_H
#define FERRY_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Marks a function whose status must be checked; ignoring it is a warning. */
#if defined(__GNUC__) || defined(__clang__)
#define FERRY_NODISCARD __attribute__((warn_unused_result))
#else
#define FERRY_NODISCARD
#endif

/* Every ferry function that can fail returns a ferry_status and passes its
 * results through pointers. The numeric values travel on the wire (the
 * ReplyHeader.status field) and never change; the first seventeen match the
 * gRPC codes so that people who know those can read ferry's. */
typedef enum ferry_status {
    FERRY_OK = 0,
    FERRY_CANCELLED = 1,            /* the caller or the server gave up on the call */
    FERRY_UNKNOWN = 2,              /* an error with no better code */
    FERRY_INVALID_ARGUMENT = 3,     /* a bad request: malformed envelope or body, bad option */
    FERRY_DEADLINE_EXCEEDED = 4,    /* the deadline passed before the reply arrived */
    FERRY_NOT_FOUND = 5,            /* the thing the request names does not exist */
    FERRY_ALREADY_EXISTS = 6,       /* the thing the request creates exists already */
    FERRY_PERMISSION_DENIED = 7,    /* the caller lacks a role the method requires */
    FERRY_RESOURCE_EXHAUSTED = 8,   /* a size limit, a quota or memory ran out */
    FERRY_FAILED_PRECONDITION = 9,  /* the system is not in a state for this call */
    FERRY_ABORTED = 10,             /* a conflict; the caller may retry the sequence */
    FERRY_OUT_OF_RANGE = 11,        /* a value outside the valid range */
    FERRY_UNIMPLEMENTED = 12,       /* unknown method, or a method newer than the server */
    FERRY_INTERNAL = 13,            /* a broken invariant on the side that reports it */
    FERRY_UNAVAILABLE = 14,         /* the service cannot be reached or is shutting down */
    FERRY_DATA_LOSS = 15,           /* unrecoverable loss or corruption of data */
    FERRY_UNAUTHENTICATED = 16,     /* the request's identity could not be verified */
    FERRY_UNSUPPORTED_VERSION = 20, /* the client's API version is outside the server's range */
    FERRY_PROTOCOL_ERROR = 21,      /* the peer sent bytes that are not ferry's wire format */
    /* Not an error, not an answer: the service could not be reached and the
     * response is the method's fallback (docs/resilience.md). The response
     * is set, as for FERRY_OK. Never sent on the wire. */
    FERRY_FALLBACK = 22,
} ferry_status;

/* The status's short lower-case name, e.g. "deadline exceeded"; "unknown
 * status" for a value that is not in the enum. Never NULL; static storage. */
const char *ferry_status_str(ferry_status st);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_STATUS_H */
