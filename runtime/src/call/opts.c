/* opts.c - a caller's call options checked, and its call info filled
 * (opts.h). */
#include <stdio.h>
#include <stdlib.h>
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

ferry_metadata *ferryi_metadata_dup(const ferry_metadata *md, size_t n)
{
    ferry_metadata *copy = calloc(n ? n : 1, sizeof *copy);
    if (copy == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const ferry_metadata *e = &md[i];
        char *key = e->key != NULL ? strdup(e->key) : NULL;
        uint8_t *value = malloc(e->len ? e->len : 1);
        copy[i] = (ferry_metadata){.key = key, .value = value, .len = e->len};
        if ((e->key != NULL && key == NULL) || value == NULL) {
            ferryi_metadata_free(copy, i + 1);
            return NULL;
        }
        if (e->len > 0 && e->value != NULL)
            memcpy(value, e->value, e->len);
    }
    return copy;
}

void ferryi_metadata_free(ferry_metadata *md, size_t n)
{
    if (md == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free((char *)md[i].key);
        free((uint8_t *)md[i].value);
    }
    free(md);
}
