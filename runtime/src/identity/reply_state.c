/* reply_state.c - a reply's state as its proof covers it (proof.h), for
 * both reply strings: scheme 1 and 2's (proof.c) and scheme 3's (mac2.c). */
#include "identity/proof.h"

void ferryi_reply_state(ferryi_reply_fields *f, const Ferry__Wire__ReplyHeader *h)
{
    f->covers_state = h->identity != NULL && h->identity->covers_state;
    f->draining = h->draining != 0;
    f->not_run = h->not_run != 0;
    f->max_request = h->max_request;
    f->api_min = h->api_min;
    f->api_max = h->api_max;
}

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

void ferryi_state_block(const ferryi_reply_fields *f, uint8_t out[FERRYI_STATE_BYTES])
{
    out[0] = f->draining ? 1 : 0;
    out[1] = f->not_run ? 1 : 0;
    put_be32(put_be32(put_be32(out + 2, f->max_request), f->api_min), f->api_max);
}
