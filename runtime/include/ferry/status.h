/* ferry/status.h - the one status enum of ferry, which doubles as the wire
 * status code, and the one way ferry tells a caller why something failed.
 *
 * Error detail: every fallible function of ferry's API returns a
 * ferry_status. When it returns anything but FERRY_OK, it has also recorded
 * a one-line reason that names what was wrong and what was wrong with it
 * ("/etc/inventory/server.key: the secret key file is accessible by others
 * than its owner (mode 640); run chmod 600 ..."), which the caller reads on
 * the same thread with ferry_last_error(). The reason is per thread: a
 * failure on another thread never changes it. It stays valid until the
 * next fallible ferry function called on the same thread, which empties it
 * when it starts; so after a call that returned FERRY_OK it is "" and never
 * an older failure's. Functions that return no ferry_status neither
 * set nor empty it.
 * Log lines that help operators are still written; the reason never lives
 * in the log alone.
 *
 * The exception is calls. ferry_channel_call(), ferry_channel_call_async(),
 * the generated client functions and their completions report their detail
 * in ferry_call_info.message (ferry/channel.h), because a completion runs on
 * another thread than the one that started the call; a handler gives its
 * caller detail with ferry_call_fail() (ferry/service.h), an interceptor's
 * before hook the reason it refuses a call in the `why` buffer it is handed
 * (ferry/intercept.h; it becomes the call's message), and validation its
 * violations in ferry_violations (ferry/validate.h). None of these touches
 * ferry_last_error().
 *
 * Thread safety: everything here is safe from any thread; ferry_last_error()
 * reads the calling thread's own reason.
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

/* The longest reason ferry_last_error() holds, with its NUL; longer ones
 * are truncated. */
#define FERRY_ERROR_MAX 512

/* The reason of the last failure of a fallible ferry function on this
 * thread, one line without a trailing newline (see the top of this file);
 * "" when the last such function called on this thread succeeded, or none
 * was called. Never NULL. The text lives in thread-local storage and stays
 * valid until the next fallible ferry function called on this thread; copy
 * it to keep it longer. */
const char *ferry_last_error(void);

/* The status's short lower-case name, e.g. "deadline exceeded"; "unknown
 * status" for a value that is not in the enum. Never NULL; static storage. */
const char *ferry_status_str(ferry_status st);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_STATUS_H */
