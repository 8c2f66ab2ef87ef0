/* opts.h - what every channel checks of a caller's ferry_call_opts, and how
 * it reports a call's outcome back through them: the remote and balancing
 * channels (client/), the local one (local/), the dispatcher (dispatch/)
 * and the mock (doubles/) share these so that the same mistake gets the
 * same answer whichever channel a call took.
 *
 * Thread safety: pure functions of their arguments.
 */
#ifndef FERRYI_OPTS_H
#define FERRYI_OPTS_H

#include <stddef.h>

#include "ferry/channel.h"

/* Checks the call's metadata: at most FERRYI_METADATA_MAX entries, each with
 * a key, and a value unless it is empty. Returns FERRY_OK, or
 * FERRY_INVALID_ARGUMENT with the reason in `why`. */
ferry_status ferryi_opts_check_metadata(const ferry_call_opts *opts, char *why, size_t why_len);

/* Fills opts->info (when the caller asked for it) with `st`, `msg` and
 * `attempts`, everything else zero. */
void ferryi_opts_report(const ferry_call_opts *opts, ferry_status st, const char *msg,
                        unsigned attempts);

/* A copy of the `n` entries at `md`, keys and values included, for a call
 * that needs them after its caller's have gone (an asynchronous call's
 * later attempts or local fallback); NULL when out of memory, with nothing
 * left allocated. Freed with ferryi_metadata_free(), which takes the same
 * `n` and accepts NULL. */
ferry_metadata *ferryi_metadata_dup(const ferry_metadata *md, size_t n);
void ferryi_metadata_free(ferry_metadata *md, size_t n);

/* Sets info->status to `st` and hands `info` to the caller when it asked
 * for it (opts->info); returns `st`. How a channel that kept a call's info
 * itself ends the call: inline, as it is on every call's path. */
static inline ferry_status ferryi_opts_finish(const ferry_call_opts *opts, ferry_call_info *info,
                                              ferry_status st)
{
    info->status = st;
    if (opts != NULL && opts->info != NULL)
        *opts->info = *info;
    return st;
}

#endif
