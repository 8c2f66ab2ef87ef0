/* dispatch_stats.c - what the dispatcher counts and reports: latency
 * histograms, the comparison of shadow answers with its log lines, and the
 * stats as a struct, a table or JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/dispatch_chan.h"
#include "base/log.h"

void ferryi_hist_add(ferryi_hist *h, uint64_t us)
{
    unsigned b = 0;
    while (b + 1 < FERRYI_HIST_BUCKETS && us >= (1ull << b))
        b++;
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->total_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
    uint_fast64_t max = atomic_load_explicit(&h->max_us, memory_order_relaxed);
    while (us > max && !atomic_compare_exchange_weak_explicit(
                           &h->max_us, &max, us, memory_order_relaxed, memory_order_relaxed))
        ;
}

/* The upper bound of the bucket holding quantile q (0..1) of `h`. */
static uint64_t hist_quantile(const ferryi_hist *h, uint64_t count, double q, uint64_t max)
{
    if (count == 0)
        return 0;
    uint64_t want = (uint64_t)((double)count * q);
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < FERRYI_HIST_BUCKETS; b++) {
        seen += atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
        if (seen >= want) {
            uint64_t bound = b == 0 ? 0 : (1ull << b) - 1;
            return bound < max ? bound : max;
        }
    }
    return max;
}

static void hist_read(const ferryi_hist *h, ferry_latency_stats *out)
{
    out->count = atomic_load(&h->count);
    out->max_us = atomic_load(&h->max_us);
    out->mean_us = out->count ? atomic_load(&h->total_us) / out->count : 0;
    out->p50_us = hist_quantile(h, out->count, 0.50, out->max_us);
    out->p99_us = hist_quantile(h, out->count, 0.99, out->max_us);
}

/* ------------------------------------------------------------------------
 * Shadow comparison
 * ---------------------------------------------------------------------- */

/* Sets the method's last diff and logs it while under the log limit. */
static void mismatch(ferryi_dispatcher *d, ferryi_shadow *s, const char *what)
{
    atomic_fetch_add(&s->cell->mismatches, 1);
    ferryi_method_state *ms = &d->ms[s->method];
    /* Under the method's lock, so its lines come out in order. */
    pthread_mutex_lock(&ms->mu);
    snprintf(ms->last_diff, sizeof ms->last_diff, "%s", what);
    unsigned n = ms->logged++;
    if (n < d->log_limit)
        ferryi_log(FERRYI_LOG_WARN, "dispatch", "%s: shadow mismatch: %s", s->m->full_name, what);
    else if (n == d->log_limit)
        ferryi_log(FERRYI_LOG_WARN, "dispatch",
                   "%s: more shadow mismatches are counted but not logged (limit %u)",
                   s->m->full_name, d->log_limit);
    pthread_mutex_unlock(&ms->mu);
}

void ferryi_shadow_compare(ferryi_dispatcher *d, ferryi_shadow *s)
{
    ferry_status ls = s->local_st, rs = s->remote_st;
    if (s->oom) {
        atomic_fetch_add(&s->cell->shadow_skipped, 1);
        return;
    }
    if (ferryi_dispatch_no_answer(rs)) {
        atomic_fetch_add(&s->cell->remote_errors, 1);
        ferryi_log(FERRYI_LOG_DEBUG, "dispatch", "%s: shadow call failed: %s: %s", s->m->full_name,
                   ferry_status_str(rs), s->remote_msg);
        return;
    }
    char what[512];
    if (ls != rs) {
        snprintf(what, sizeof what, "status: local %s, remote %s%s%.200s%s", ferry_status_str(ls),
                 ferry_status_str(rs), rs != FERRY_OK ? " (" : "",
                 rs != FERRY_OK ? s->remote_msg : "", rs != FERRY_OK ? ")" : "");
        mismatch(d, s, what);
        return;
    }
    if (ls != FERRY_OK) { /* the same error on both sides */
        atomic_fetch_add(&s->cell->matches, 1);
        return;
    }
    /* Equal bytes are equal answers; otherwise compare field by field, as
     * two encodings of one message may differ (the order of map entries). */
    size_t rn = protobuf_c_message_get_packed_size(s->remote_resp);
    uint8_t *rb = malloc(rn ? rn : 1);
    if (rb != NULL) {
        protobuf_c_message_pack(s->remote_resp, rb);
        int same = rn == s->local_len && (rn == 0 || memcmp(rb, s->local_bytes, rn) == 0);
        free(rb);
        if (same) {
            atomic_fetch_add(&s->cell->matches, 1);
            return;
        }
    }
    ProtobufCMessage *local =
        protobuf_c_message_unpack(s->m->output, NULL, s->local_len,
                                  s->local_bytes != NULL ? s->local_bytes : (const uint8_t *)"");
    if (local == NULL) {
        atomic_fetch_add(&s->cell->shadow_skipped, 1);
        return;
    }
    size_t n = ferryi_pbdiff(local, s->remote_resp, "local", "remote", what, sizeof what);
    protobuf_c_message_free_unpacked(local, NULL);
    if (n == 0)
        atomic_fetch_add(&s->cell->matches, 1);
    else
        mismatch(d, s, what);
}

/* ------------------------------------------------------------------------
 * Reading
 * ---------------------------------------------------------------------- */

static void cell_read(const ferryi_cell *c, ferry_dispatch_stats *out)
{
    memset(out, 0, sizeof *out);
    out->calls = atomic_load(&c->calls);
    out->answered_local = atomic_load(&c->to_local);
    out->answered_remote = atomic_load(&c->to_remote);
    out->shadowed = atomic_load(&c->shadowed);
    out->shadow_skipped = atomic_load(&c->shadow_skipped);
    out->matches = atomic_load(&c->matches);
    out->mismatches = atomic_load(&c->mismatches);
    out->remote_errors = atomic_load(&c->remote_errors);
    out->local_errors = atomic_load(&c->local_errors);
    out->fallbacks = atomic_load(&c->fallbacks);
    hist_read(&c->local, &out->local);
    hist_read(&c->remote, &out->remote);
}

void ferryi_dispatch_stats_read(ferryi_dispatcher *d, long idx, ferry_stage stage,
                                ferry_dispatch_stats *out)
{
    cell_read(&d->ms[idx].cells[stage], out);
}

size_t ferryi_dispatch_last_mismatch(ferryi_dispatcher *d, long idx, char *buf, size_t len)
{
    ferryi_method_state *ms = &d->ms[idx];
    pthread_mutex_lock(&ms->mu);
    size_t need = strlen(ms->last_diff);
    if (buf != NULL && len > 0)
        snprintf(buf, len, "%s", ms->last_diff);
    pthread_mutex_unlock(&ms->mu);
    return need;
}

/* ------------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------- */

void ferryi_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_latency(FILE *f, const char *name, const ferry_latency_stats *l)
{
    fprintf(f,
            "\"%s\": {\"count\": %" PRIu64 ", \"mean_us\": %" PRIu64 ", \"p50_us\": %" PRIu64
            ", \"p99_us\": %" PRIu64 ", \"max_us\": %" PRIu64 "}",
            name, l->count, l->mean_us, l->p50_us, l->p99_us, l->max_us);
}

static void write_json(ferryi_dispatcher *d, FILE *f, const char *spec)
{
    fprintf(f, "{\"service\": ");
    ferryi_json_string(f, d->svc->full_name);
    fprintf(f, ", \"spec\": ");
    ferryi_json_string(f, spec);
    fprintf(f, ", \"methods\": [");
    for (size_t i = 0; i < d->svc->n_methods; i++) {
        ferryi_method_state *ms = &d->ms[i];
        ferry_route r = ferryi_route_unpack(atomic_load(&ms->route));
        char route[64];
        ferryi_route_str(&r, route, sizeof route);
        fprintf(f, "%s\n  {\"method\": ", i ? "," : "");
        ferryi_json_string(f, d->svc->methods[i].name);
        fprintf(f, ", \"route\": ");
        ferryi_json_string(f, route);
        char last[512];
        ferryi_dispatch_last_mismatch(d, (long)i, last, sizeof last);
        fprintf(f, ", \"last_mismatch\": ");
        ferryi_json_string(f, last);
        fprintf(f, ", \"stages\": [");
        int first = 1;
        for (unsigned s = 0; s < FERRY_STAGE_COUNT; s++) {
            ferry_dispatch_stats st;
            cell_read(&ms->cells[s], &st);
            if (st.calls == 0)
                continue;
            fprintf(f,
                    "%s\n    {\"stage\": \"%s\", \"calls\": %" PRIu64
                    ", \"answered_local\": %" PRIu64 ", \"answered_remote\": %" PRIu64
                    ", \"shadowed\": %" PRIu64 ", \"shadow_skipped\": %" PRIu64
                    ", \"matches\": %" PRIu64 ", \"mismatches\": %" PRIu64
                    ", \"remote_errors\": %" PRIu64 ", \"local_errors\": %" PRIu64
                    ", \"fallbacks\": %" PRIu64 ", ",
                    first ? "" : ",", ferry_stage_str((ferry_stage)s), st.calls, st.answered_local,
                    st.answered_remote, st.shadowed, st.shadow_skipped, st.matches, st.mismatches,
                    st.remote_errors, st.local_errors, st.fallbacks);
            json_latency(f, "local", &st.local);
            fprintf(f, ", ");
            json_latency(f, "remote", &st.remote);
            fprintf(f, "}");
            first = 0;
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n]}\n");
}

/* "64/128" or "-" when there were none. */
static const char *lat_str(char *buf, size_t len, const ferry_latency_stats *l)
{
    if (l->count == 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%" PRIu64 "/%" PRIu64, l->p50_us, l->p99_us);
    return buf;
}

static void write_text(ferryi_dispatcher *d, FILE *f, const char *spec)
{
    fprintf(f, "dispatcher %s, routes: %s\n", d->svc->full_name, spec);
    fprintf(f, "  %-18s %-7s %7s %7s %7s %7s %7s %7s %7s %7s %8s %13s %13s\n", "METHOD", "STAGE",
            "CALLS", "LOCAL", "REMOTE", "SHADOW", "MATCH", "DIFF", "SKIP", "R-ERR", "FALLBACK",
            "LOCAL p50/99", "REMOTE p50/99");
    for (size_t i = 0; i < d->svc->n_methods; i++) {
        for (unsigned s = 0; s < FERRY_STAGE_COUNT; s++) {
            ferry_dispatch_stats st;
            cell_read(&d->ms[i].cells[s], &st);
            if (st.calls == 0)
                continue;
            char l[32], r[32];
            fprintf(f,
                    "  %-18s %-7s %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64
                    " %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %8" PRIu64 " %13s %13s\n",
                    d->svc->methods[i].name, ferry_stage_str((ferry_stage)s), st.calls,
                    st.answered_local, st.answered_remote, st.shadowed, st.matches, st.mismatches,
                    st.shadow_skipped, st.remote_errors, st.fallbacks,
                    lat_str(l, sizeof l, &st.local), lat_str(r, sizeof r, &st.remote));
        }
    }
    fprintf(f, "  (latencies in microseconds)\n");
    for (size_t i = 0; i < d->svc->n_methods; i++) {
        char last[512];
        if (ferryi_dispatch_last_mismatch(d, (long)i, last, sizeof last) > 0)
            fprintf(f, "  last mismatch of %s: %s\n", d->svc->methods[i].name, last);
    }
}

void ferryi_dispatch_write_stats(ferryi_dispatcher *d, FILE *f, ferry_stats_format format,
                                 const char *spec)
{
    if (format == FERRY_STATS_JSON)
        write_json(d, f, spec);
    else
        write_text(d, f, spec);
}
