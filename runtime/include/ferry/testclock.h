/* ferry/testclock.h - a clock that a test moves by hand, for tests only.
 *
 * Everything ferry times on its own runs on one clock: deadlines as ferry
 * counts them (the time a call has left, whether a retry's back-off fits in
 * it, whether queued work has expired), a circuit breaker's open period,
 * retry back-off, identity timestamps and their skew window, the replay and
 * reply caches, how often a server hands memory back, and the latencies a
 * dispatcher measures. ferry_test_clock_start() freezes that clock: from
 * then on it moves only when the test calls ferry_test_clock_advance(), and
 * a back-off before a retry ends when the test has advanced past it, not
 * after a real wait. A test of time-based behaviour then asserts exact edges
 * -- a breaker still open one millisecond before its period ends and
 * half-open at its end -- without sleeping, however loaded the machine.
 *
 * What stays on the real clock: nng's own timers, which ferry hands
 * durations to but cannot move -- the aio timeouts by which a remote call's
 * deadline and connect wait end on the wire, a server's send timeout for
 * connections that do not read, nng's reconnect intervals -- and ferry's
 * bounded waits for other threads and the system: a server's shutdown
 * grace, its listener checks, the redial of a stuck dialer. So a remote call
 * still fails with FERRY_DEADLINE_EXCEEDED when its deadline passes in real
 * time, while a test that advances the clock by a call's whole deadline sees
 * ferry refuse the work (a handler's ferry_call_remaining_ms() is 0, a relayed
 * call is not sent, a retry is not tried).
 *
 * For tests only: the clock is one for the whole process, and a program
 * that starts it stops its own time. It is part of libferry so that a test
 * of an application (with a fake, ferry/fake.h) drives the same clock as
 * ferry's own tests.
 *
 * Ownership: nothing to free. ferry_test_clock_stop() gives the real clock
 * back.
 *
 * Thread safety: every function may be called from any thread. Start and
 * stop the clock from the test's thread, before the code under test runs
 * and after it is done; advance it from any thread, while calls are in
 * flight.
 */
#ifndef FERRY_TESTCLOCK_H
#define FERRY_TESTCLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Freezes ferry's clock at the current time, monotonic and wall alike, for
 * the test to move. FERRY_FAILED_PRECONDITION when it is frozen already. */
FERRY_NODISCARD ferry_status ferry_test_clock_start(void);

/* Moves the test clock forward by `ms` milliseconds, and ends every back-off
 * whose time has come by then (all of them at once, however many periods
 * `ms` spans): a thread waiting in one returns, an asynchronous call's retry
 * is started on nng's threads. Both happen after this returns, but a
 * back-off that ended is no longer counted by ferry_test_clock_waiting()
 * when it does. No-op when the test clock is not started. */
void ferry_test_clock_advance(uint64_t ms);

/* The back-offs waiting on the test clock now. A test that expects a retry
 * waits (with a bound) until its back-off is waiting, then advances. */
size_t ferry_test_clock_waiting(void);

/* The milliseconds until the first waiting back-off ends, or UINT64_MAX
 * when none is waiting: with jitter a back-off's length is known only once
 * it waits. */
uint64_t ferry_test_clock_next_ms(void);

/* Gives ferry its real clock back, and ends every back-off still waiting.
 * The monotonic time never goes back: when the test clock is ahead of the
 * real one, ferry's monotonic time goes on from it. The wall time is the
 * real one again. No-op when the test clock is not started. */
void ferry_test_clock_stop(void);

#ifdef __cplusplus
}
#endif

#endif
