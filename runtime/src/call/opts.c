/* opts.c - a caller's call options checked, and its call info filled
 * (opts.h). */
#include <stdio.h>
#include <string.h>

#include "call/opts.h"
#include "wire/envelope.h"

ferry_status ferryi_opts_check_metadata(const ferry_call_opts *opts, char *why, size_t why_len)
{
    size_t n = opts != NULL ? opts->n_metadata : 0;
    if (n > FERRYI_METADATA_MAX) {
        snprintf(why, why_len, "%zu metadata entries; the limit is %u", n, FERRYI_METADATA_MAX);
        return FERRY_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < n; i++) {
        const ferry_metadata *e = &opts->metadata[i];
        if (e->key == NULL || (e->len > 0 && e->value == NULL)) {
            snprintf(why, why_len, "metadata entry %zu has no key or value", i);
            return FERRY_INVALID_ARGUMENT;
        }
    }
    return FERRY_OK;
}

void ferryi_opts_report(const ferry_call_opts *opts, ferry_status st, const char *msg,
                        unsigned attempts)
{
    if (opts == NULL || opts->info == NULL)
        return;
    ferry_call_info *info = opts->info;
    memset(info, 0, sizeof *info);
    info->status = st;
    info->attempts = attempts;
    snprintf(info->message, sizeof info->message, "%s", msg != NULL ? msg : "");
}
