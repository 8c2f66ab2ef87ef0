/* open.c - ferry_client_open() and ferry_client_set_fallback(): one
 * server's remote channel (client/remote.c), or a channel balancing over many
 * (balance.c), chosen by the target's form. Kept apart from both so that
 * client.c never calls balance.c, which opens its endpoints through it
 * (client_ep.h). */
#include <stddef.h>

#include "base/error.h"
#include "client/client_ep.h"

ferry_status ferry_client_open(ferry_channel **out, const char *url, const ferry_client_opts *opts)
{
    ferryi_error_clear();
    if (out != NULL && url != NULL && ferryi_balance_target(url)) {
        *out = NULL;
        return ferry_balance_open(out, url, opts, NULL);
    }
    return ferryi_client_open_one(out, url, opts);
}

ferry_status ferry_client_set_fallback(ferry_channel *ch, const ferry_method *m,
                                       ferry_fallback_fn fn, void *arg)
{
    ferryi_error_clear();
    /* Anything that is not one server's channel may be a balancer's. */
    ferry_status st = ferryi_client_set_fallback_one(ch, m, fn, arg);
    if (st == FERRY_INVALID_ARGUMENT && ch != NULL && m != NULL)
        st = ferryi_balance_set_fallback(ch, m, fn, arg);
    return st;
}
