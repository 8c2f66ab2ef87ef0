/* ferry/mock.h - a mock channel driven by cmocka, for tests of code that
 * calls ferry services.
 *
 * The mock is a ferry_channel: the code under test keeps calling the
 * generated client functions (P_method(ch, ...)), and the test says per
 * method what those calls must look like and what they get back. It lives
 * in its own library, ferry::mock, which links cmocka; libferry does not.
 * protoc-gen-ferry writes typed wrappers of the functions below into
 * <name>.ferry-mock.h (P_mock_expect_method(), P_mock_will_return_method(),
 * ...); use those in tests and this header for what they share.
 *
 * The model follows cmocka's expect_* and will_return: each method has two
 * queues, filled by the test and emptied by calls in order.
 *   - checks (ferry_mock_expect*): a call takes the next check queued for
 *     its method, if any, and fails the test when the request does not pass.
 *   - answers (ferry_mock_will_*): a call takes the next answer queued for
 *     its method, if any: a canned response, a fallback, an error status, or
 *     a function that computes the response. A call with a check but no
 *     answer gets an empty response with FERRY_OK.
 * A call of a method with neither queued fails the test ("unexpected call to
 * pkg.Service/Method"). Checks and answers still queued when the test calls
 * ferry_mock_verify() or closes the channel fail it ("pkg.Service/Method:
 * expected 2 calls, got 1 (queued at test_x.c:42)"). Order is kept per
 * method, not across methods.
 *
 * Ownership: the mock copies what it is given (responses, expected
 * requests, messages) when it is queued. A response it returns belongs to
 * the caller, who frees it with ferry_message_free(), as from any channel.
 *
 * Failures go through cmocka (print_error() and _fail()), so the test fails
 * with the message; they must happen on the thread running the test. A call
 * that fails on another thread cannot stop the test there: it returns
 * FERRY_INTERNAL with the message in info, and the failure is reported by the
 * next ferry_mock_verify() or the close, on the test's thread.
 *
 * Where: a failure names a line of the test, never one of ferry's. Each
 * function below is a macro that passes the caller's __FILE__ and __LINE__
 * to its _at twin (the generated wrappers do the same), and the mock keeps
 * them with what was queued. A request that fails a check is reported at the
 * line that queued the check; something queued and not used, at the line
 * that queued it (each line of the message also says "queued at
 * FILE:LINE"); an unexpected call, at the line that queued the method's last
 * check or answer, else where the mock was opened; misuse, at the line of
 * the misused call. The file names are kept, not copied: pass string
 * literals (as __FILE__ is) to the _at functions.
 *
 * Thread safety: calls may come from many threads at once. Queue
 * expectations, verify and close from the thread that opened the mock.
 */
#ifndef FERRY_MOCK_H
#define FERRY_MOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/ferry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Counts for ferry_mock_times(), as cmocka's will_return_count() takes. */
#define FERRY_MOCK_ALWAYS (-1) /* every later call; at least one is required */
#define FERRY_MOCK_MAYBE  (-2) /* every later call; none is required */

/* Opens an empty mock channel: every call is unexpected until the test
 * queues checks or answers. Close it with ferry_channel_close(), which
 * verifies first (see ferry_mock_verify()). The generated P_mock_open() is
 * this macro. */
FERRY_NODISCARD ferry_status ferry_mock_open_at(ferry_channel **out, const char *file, int line);
#define ferry_mock_open(out) ferry_mock_open_at((out), __FILE__, __LINE__)

/* A check of a request, with the same shape as ferry_completion: `invoke`
 * calls the typed function `fn` (generated code casts it back) with `arg`.
 * It returns true when the request is as expected; when not, it may write
 * the reason into `why` (NUL-terminated, at most why_len bytes), ideally
 * naming the field: "sku is \"NOPE-1\", expected \"HAM-16\"". */
typedef struct ferry_mock_check ferry_mock_check;
struct ferry_mock_check {
    bool (*invoke)(const ferry_mock_check *c, const ProtobufCMessage *req, char *why,
                   size_t why_len);
    void (*fn)(void);
    void *arg;
};

/* A function that computes a response, shaped like a handler: `invoke`
 * calls the typed function `fn` with `arg`, the call, the request and an
 * initialised response to fill. Memory for the response comes from
 * ferry_call_alloc(), or may be the caller's own: the response is copied
 * before it is returned. A status other than FERRY_OK (with a message
 * from ferry_call_fail()) is what the caller gets. */
typedef struct ferry_mock_handler ferry_mock_handler;
struct ferry_mock_handler {
    ferry_status (*invoke)(const ferry_mock_handler *h, ferry_call *call,
                           const ProtobufCMessage *req, ProtobufCMessage *resp);
    void (*fn)(void);
    void *arg;
};

/* Expects one call of `m` and checks its request with `check` (copied;
 * NULL expects a call with any request). A request that fails the check
 * fails the test with "pkg.Service/Method: call N: the request does not
 * match: <why>". */
void ferry_mock_expect_at(ferry_channel *ch, const ferry_method *m, const ferry_mock_check *check,
                          const char *file, int line);
#define ferry_mock_expect(ch, m, check) ferry_mock_expect_at((ch), (m), (check), __FILE__, __LINE__)

/* Expects one call of `m` whose request has every field that `want` sets
 * (see ferry_mock_match()); `want` is copied. */
void ferry_mock_expect_request_at(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *want, const char *file, int line);
#define ferry_mock_expect_request(ch, m, want)                                                     \
    ferry_mock_expect_request_at((ch), (m), (want), __FILE__, __LINE__)

/* Answers one call of `m` with FERRY_OK and a copy of `resp` (an m->output
 * message; NULL: an empty response). */
void ferry_mock_will_return_at(ferry_channel *ch, const ferry_method *m,
                               const ProtobufCMessage *resp, const char *file, int line);
#define ferry_mock_will_return(ch, m, resp)                                                        \
    ferry_mock_will_return_at((ch), (m), (resp), __FILE__, __LINE__)

/* Answers one call of `m` as a remote channel does when the service is down
 * and the method has a fallback: FERRY_FALLBACK, a copy of `resp` (NULL: an
 * empty response), and `why` in info.message (NULL: "fallback after
 * unavailable (the mock's answer)"). */
void ferry_mock_will_fall_back_at(ferry_channel *ch, const ferry_method *m,
                                  const ProtobufCMessage *resp, const char *why, const char *file,
                                  int line);
#define ferry_mock_will_fall_back(ch, m, resp, why)                                                \
    ferry_mock_will_fall_back_at((ch), (m), (resp), (why), __FILE__, __LINE__)

/* Answers one call of `m` with status `st` (neither FERRY_OK nor
 * FERRY_FALLBACK), no response, and `msg` in info.message (NULL: a message
 * naming the method and the status, as a channel always says why). */
void ferry_mock_will_fail_at(ferry_channel *ch, const ferry_method *m, ferry_status st,
                             const char *msg, const char *file, int line);
#define ferry_mock_will_fail(ch, m, st, msg)                                                       \
    ferry_mock_will_fail_at((ch), (m), (st), (msg), __FILE__, __LINE__)

/* Answers one call of `m` by running `h` (copied) as a handler runs, in the
 * calling thread: the request and response are encoded and decoded as on a
 * local channel (ferry_local_open()), so `h` may return any status. */
void ferry_mock_will_call_at(ferry_channel *ch, const ferry_method *m, const ferry_mock_handler *h,
                             const char *file, int line);
#define ferry_mock_will_call(ch, m, h) ferry_mock_will_call_at((ch), (m), (h), __FILE__, __LINE__)

/* Makes the check or answer queued last on `ch` count for `n` calls: n >= 1
 * exactly n, or FERRY_MOCK_ALWAYS or FERRY_MOCK_MAYBE. A check or answer
 * queued after an ALWAYS or MAYBE one of the same method is never reached. */
void ferry_mock_times_at(ferry_channel *ch, int n, const char *file, int line);
#define ferry_mock_times(ch, n) ferry_mock_times_at((ch), (n), __FILE__, __LINE__)

/* Fails the test, naming each method, when checks or answers are still
 * queued (then drops them, so that the close does not report them again),
 * or when a call failed on another thread. Returns when all were used. */
void ferry_mock_verify_at(ferry_channel *ch, const char *file, int line);
#define ferry_mock_verify(ch) ferry_mock_verify_at((ch), __FILE__, __LINE__)

/* The calls of `m` the mock has seen, unexpected ones included. */
unsigned ferry_mock_calls_at(ferry_channel *ch, const ferry_method *m, const char *file, int line);
#define ferry_mock_calls(ch, m) ferry_mock_calls_at((ch), (m), __FILE__, __LINE__)

/* Whether `msg` has every field that `want` sets: a field is set when it is
 * present (proto2 optional, proto3 optional, oneof members), or else holds
 * something other than its zero value, empty string or bytes, or NULL
 * message; a repeated field is set when it has entries. Set fields must be
 * equal, messages recursively by the same rule, repeated fields entry by
 * entry and of the same length. On a mismatch writes the first difference,
 * by field path, into `why`: "lines[1].quantity is 3, expected 2". Both
 * must be of one message type. */
bool ferry_mock_match(const ProtobufCMessage *msg, const ProtobufCMessage *want, char *why,
                      size_t why_len);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_MOCK_H */
