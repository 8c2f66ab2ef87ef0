/* fuzz_dispatch_spec.c - fuzz target for the dispatcher's route spec
 * (ferryi_spec_parse(), runtime/src/dispatch_spec.c), which comes from the
 * environment (FERRY_DISPATCH_<SERVICE>) or an operator's command. Each input,
 * up to its first NUL, is a spec for the probe service
 * (ferrytest.v1.Probe).
 *
 * A spec must be refused with a reason, or read into routes that keep the
 * grammar's rules (a canary share from 0 to 100 on canary only,
 * +side-effects on shadow only, +local-fallback on canary and remote only)
 * and that, written back as ferry_dispatcher_spec() writes them (the
 * default, then METHOD=ROUTE for each method that differs), read again to
 * the same default and routes. Any disagreement aborts, for the fuzzer to
 * report.
 *
 * Built like fuzz_envelope.c: a libFuzzer target with FERRY_FUZZ=ON, else a
 * replay program (replay_main.c) that ctest runs over the seed corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "dispatch/dispatch.h"
#include "ferrytest/v1/probe.ferry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_MAX 16

static void fail(const char *what, const char *spec)
{
    fprintf(stderr, "fuzz_dispatch_spec: %s: \"%s\"\n", what, spec);
    abort();
}

static int route_ok(const ferry_route *r)
{
    if (r->stage > FERRY_STAGE_REMOTE || r->canary_percent > 100)
        return 0;
    if (r->stage != FERRY_STAGE_CANARY && r->canary_percent != 0)
        return 0;
    if (r->side_effects && r->stage != FERRY_STAGE_SHADOW)
        return 0;
    if (r->local_fallback && r->stage != FERRY_STAGE_CANARY && r->stage != FERRY_STAGE_REMOTE)
        return 0;
    return 1;
}

static int same_route(const ferry_route *a, const ferry_route *b)
{
    return a->stage == b->stage && a->canary_percent == b->canary_percent &&
           !a->side_effects == !b->side_effects && !a->local_fallback == !b->local_fallback;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ferry_service_desc *svc = &ferrytest_v1_probe_desc;
    if (svc->n_methods > N_MAX)
        fail("the probe service has more methods than the target holds", "");
    char *spec = malloc(size + 1);
    if (spec == NULL)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';

    ferry_route def, routes[N_MAX];
    ferryi_error_clear(); /* so that a refusal without a reason shows */
    if (ferryi_spec_parse(svc, spec, &def, routes) != FERRY_OK) {
        if (ferry_last_error()[0] == '\0')
            fail("a spec was refused without a reason", spec);
        free(spec);
        return 0;
    }
    if (!route_ok(&def))
        fail("a spec was read into a default route the grammar does not allow", spec);
    for (size_t i = 0; i < svc->n_methods; i++)
        if (!route_ok(&routes[i]))
            fail("a spec was read into a route the grammar does not allow", spec);

    /* Written back as a dispatcher writes its routes. */
    char text[4096], one[64];
    ferryi_route_str(&def, one, sizeof one);
    size_t at = (size_t)snprintf(text, sizeof text, "%s", one);
    for (size_t i = 0; i < svc->n_methods; i++) {
        if (same_route(&routes[i], &def))
            continue;
        ferryi_route_str(&routes[i], one, sizeof one);
        at += (size_t)snprintf(text + at, sizeof text - at, ",%s=%s", svc->methods[i].name, one);
    }
    ferry_route def2, routes2[N_MAX];
    if (ferryi_spec_parse(svc, text, &def2, routes2) != FERRY_OK) {
        fprintf(stderr, "fuzz_dispatch_spec: written back as \"%s\": %s\n", text,
                ferry_last_error());
        fail("routes written back are refused", spec);
    }
    if (!same_route(&def, &def2))
        fail("the default route written back reads differently", spec);
    for (size_t i = 0; i < svc->n_methods; i++)
        if (!same_route(&routes[i], &routes2[i]))
            fail("a method's route written back reads differently", spec);
    free(spec);
    return 0;
}
