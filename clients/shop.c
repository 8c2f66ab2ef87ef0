/* shop.c - shop: an example application that uses the inventory module and
 * moves it out of process one setting at a time (docs/migration.md).
 *
 *   shop [--connect URL] [--calls N] [--orders N] [--follow SECONDS] [--stage SPEC]
 *        [--direct] [--stats text|json] [--stats-file PATH]
 *
 * The shop browses the catalogue (GetItem, ListItems) and places orders
 * (Reserve) through one ferry_channel. By default that channel is a
 * dispatcher over the inventory linked into the shop (the local side) and an
 * inventory-server at URL (the remote side); its routes come from
 * FERRY_DISPATCH_INVENTORY, or --stage (the config call). With --direct the
 * channel is the remote channel itself: the last step of the migration,
 * with the same call sites.
 *
 * With --follow the shop keeps looking up one item, five times a second, and
 * prints a line whenever the side that answers changes (remote, the local
 * fallback, the IDL's fallback, or none).
 *
 * Prints one line of what happened, and with --stats the dispatcher's
 * counters. Exits 0 when every call was answered (fallbacks included), 1
 * when one failed, 2 on bad arguments or settings. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inventory.h"

/* The variable the shop's routes come from (the generated default would be
 * INVENTORY_V2_STOCK_DISPATCH_ENV, FERRY_DISPATCH_INVENTORY_V2_STOCK). */
#define SHOP_DISPATCH_ENV "FERRY_DISPATCH_INVENTORY"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: shop [--connect URL] [--calls N] [--orders N] [--follow SECONDS]\n"
        "            [--stage SPEC] [--direct] [--stats text|json] [--stats-file PATH]\n"
        "\n"
        "Browses and orders from the inventory module, in process, remote, or both.\n"
        "  -c, --connect URL     the inventory-server (default: $FERRY_INVENTORY_ADDR, else\n"
        "                        ipc://$TMPDIR/ferry-inventory.sock)\n"
        "  -n, --calls N         catalogue calls to make (default 40)\n"
        "  -o, --orders N        orders to place (default 0)\n"
        "  -f, --follow SECONDS  then look an item up 5 times a second for SECONDS, printing\n"
        "                        which side answers whenever that changes\n"
        "  -s, --stage SPEC      the dispatcher's routes, e.g. shadow or canary:25,Reserve=local\n"
        "                        (default: $" SHOP_DISPATCH_ENV ", else local)\n"
        "  -d, --direct          no dispatcher: call the server directly (the last step)\n"
        "      --stats FORMAT    print the dispatcher's counters: text or json\n"
        "      --stats-file PATH write them as JSON to PATH (ferry dispatch-stats reads it)\n"
        "  -h, --help            this text\n");
}

static long parse_count(const char *s)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1000000)
        return -1;
    return v;
}

/* What the shop saw of its calls. */
typedef struct tally {
    unsigned ok, fallback, failed;
    char first_error[FERRY_MESSAGE_MAX + 64];
} tally;

static void count(tally *t, const char *what, ferry_status st, const ferry_call_info *info)
{
    if (st == FERRY_OK) {
        t->ok++;
    } else if (st == FERRY_FALLBACK) {
        t->fallback++;
    } else {
        if (t->failed++ == 0)
            snprintf(t->first_error, sizeof t->first_error, "%s: %s: %s", what,
                     ferry_status_str(st), info->message);
    }
}

/* The shop's work: the call sites, the same whatever `ch` is. */
static void browse(ferry_channel *ch, long calls, tally *t)
{
    static const char *const skus[] = {"HAM-16", "SCR-SET", "SAW-HND", "TAP-5M", "KNF-CHF"};
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    for (long i = 0; i < calls; i++) {
        if (i % 4 == 3) {
            Inventory__V2__ListItemsRequest req = INVENTORY__V2__LIST_ITEMS_REQUEST__INIT;
            req.category = (Inventory__V2__Category)(1 + i / 4 % 3);
            Inventory__V2__ListItemsReply *resp = NULL;
            count(t, "ListItems", inventory_v2_stock_list_items(ch, &req, &resp, &opts), &info);
            ferry_message_free((ProtobufCMessage *)resp);
        } else {
            Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
            req.sku = (char *)skus[i % 5];
            Inventory__V2__GetItemReply *resp = NULL;
            count(t, "GetItem", inventory_v2_stock_get_item(ch, &req, &resp, &opts), &info);
            ferry_message_free((ProtobufCMessage *)resp);
        }
    }
}

/* Who answered a call, as the caller can tell from the status and info. */
static const char *answered_by(ferry_status st, const ferry_call_info *info)
{
    if (st == FERRY_OK)
        return "answered";
    if (st == FERRY_FALLBACK)
        return strstr(info->message, "answered locally") != NULL ? "answered by the local fallback"
                                                                 : "answered by the IDL's fallback";
    return "failed";
}

/* Looks up one item every 200 ms for `seconds`; prints each change of who
 * answers. */
static void follow(ferry_channel *ch, long seconds, tally *t)
{
    const char *last = "";
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    for (long i = 0; i < seconds * 5; i++) {
        Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
        req.sku = "HAM-16";
        Inventory__V2__GetItemReply *resp = NULL;
        ferry_status st = inventory_v2_stock_get_item(ch, &req, &resp, &opts);
        count(t, "GetItem", st, &info);
        const char *now = answered_by(st, &info);
        if (strcmp(now, last) != 0) {
            if (st == FERRY_OK)
                printf("shop: GetItem %s: %s\n", now, resp->item->name);
            else if (st == FERRY_FALLBACK)
                printf("shop: GetItem %s\n", now);
            else
                printf("shop: GetItem %s (%s)\n", now, info.message);
            fflush(stdout);
            last = now;
        }
        ferry_message_free((ProtobufCMessage *)resp);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 200 * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
}

static void order(ferry_channel *ch, long orders, tally *t)
{
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    for (long i = 0; i < orders; i++) {
        char id[32];
        snprintf(id, sizeof id, "order-%ld-%ld", (long)getpid(), i);
        Inventory__V2__ReserveRequest__Line line = INVENTORY__V2__RESERVE_REQUEST__LINE__INIT;
        Inventory__V2__ReserveRequest__Line *lines[] = {&line};
        line.sku = "TAP-5M";
        line.quantity = 1;
        Inventory__V2__ReserveRequest req = INVENTORY__V2__RESERVE_REQUEST__INIT;
        req.order_id = id;
        req.lines = lines;
        req.n_lines = 1;
        Inventory__V2__ReserveReply *resp = NULL;
        count(t, "Reserve", inventory_v2_stock_reserve(ch, &req, &resp, &opts), &info);
        ferry_message_free((ProtobufCMessage *)resp);
    }
}

/* The dispatcher's counters over every method and stage, in one line. */
static void summary(ferry_channel *ch, const tally *t)
{
    ferry_dispatch_stats sum = {0};
    for (size_t i = 0; i < inventory_v2_stock_desc.n_methods; i++) {
        for (int s = 0; s < FERRY_STAGE_COUNT; s++) {
            ferry_dispatch_stats st;
            if (ferry_dispatcher_stats(ch, &inventory_v2_stock_desc.methods[i], (ferry_stage)s,
                                       &st) != FERRY_OK)
                continue;
            sum.answered_local += st.answered_local;
            sum.answered_remote += st.answered_remote;
            sum.shadowed += st.shadowed;
            sum.shadow_skipped += st.shadow_skipped;
            sum.matches += st.matches;
            sum.mismatches += st.mismatches;
            sum.remote_errors += st.remote_errors;
            sum.fallbacks += st.fallbacks;
        }
    }
    char spec[256];
    ferry_dispatcher_spec(ch, spec, sizeof spec);
    printf(
        "shop [%s]: %u answered, %u by a fallback, %u failed | local %" PRIu64 ", remote %" PRIu64,
        spec, t->ok + t->fallback, t->fallback, t->failed, sum.answered_local, sum.answered_remote);
    if (sum.shadowed > 0 || sum.shadow_skipped > 0)
        printf(" | shadowed %" PRIu64 ": %" PRIu64 " match, %" PRIu64 " differ", sum.shadowed,
               sum.matches, sum.mismatches);
    if (sum.shadow_skipped > 0)
        printf(" (%" PRIu64 " not shadowed)", sum.shadow_skipped);
    if (sum.remote_errors > 0)
        printf(" | remote errors %" PRIu64, sum.remote_errors);
    printf("\n");
}

static int write_stats_file(ferry_channel *ch, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "shop: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    ferry_status st = ferry_dispatcher_write_stats(ch, f, FERRY_STATS_JSON);
    if (fclose(f) != 0 || st != FERRY_OK) {
        fprintf(stderr, "shop: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static void default_url(char *buf, size_t len)
{
    const char *env = getenv("FERRY_INVENTORY_ADDR");
    if (env != NULL && *env != '\0') {
        snprintf(buf, len, "%s", env);
        return;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, len, "ipc://%s/ferry-inventory.sock", tmp != NULL && *tmp ? tmp : "/tmp");
}

int main(int argc, char **argv)
{
    enum { OPT_STATS = 256, OPT_STATS_FILE };
    static const struct option longopts[] = {
        {"connect", required_argument, NULL, 'c'},
        {"calls", required_argument, NULL, 'n'},
        {"orders", required_argument, NULL, 'o'},
        {"follow", required_argument, NULL, 'f'},
        {"stage", required_argument, NULL, 's'},
        {"direct", no_argument, NULL, 'd'},
        {"stats", required_argument, NULL, OPT_STATS},
        {"stats-file", required_argument, NULL, OPT_STATS_FILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char url[PATH_MAX + 8];
    default_url(url, sizeof url);
    long calls = 40, orders = 0, follow_s = 0;
    const char *stage = NULL, *stats_file = NULL;
    int direct = 0, stats = -1;
    int c;
    while ((c = getopt_long(argc, argv, "c:n:o:f:s:dh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            snprintf(url, sizeof url, "%s", optarg);
            break;
        case 'n':
        case 'o':
        case 'f': {
            long v = parse_count(optarg);
            if (v < 0) {
                fprintf(stderr, "shop: --%s '%s' is not a number from 0 to 1000000\n",
                        c == 'n'   ? "calls"
                        : c == 'o' ? "orders"
                                   : "follow",
                        optarg);
                return 2;
            }
            *(c == 'n' ? &calls : c == 'o' ? &orders : &follow_s) = v;
            break;
        }
        case 's':
            stage = optarg;
            break;
        case 'd':
            direct = 1;
            break;
        case OPT_STATS:
            if (strcmp(optarg, "text") == 0)
                stats = FERRY_STATS_TEXT;
            else if (strcmp(optarg, "json") == 0)
                stats = FERRY_STATS_JSON;
            else {
                fprintf(stderr, "shop: --stats '%s' is not text or json\n", optarg);
                return 2;
            }
            break;
        case OPT_STATS_FILE:
            stats_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "shop: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (direct && (stage != NULL || stats >= 0 || stats_file != NULL)) {
        fprintf(stderr, "shop: --direct has no dispatcher: --stage and --stats do not apply\n");
        return 2;
    }

    /* The remote side: a client of the inventory-server. Calls fail fast
     * while it is down, so fallbacks answer at once. */
    ferry_channel *remote = NULL;
    ferry_client_opts co = {.client_name = "shop", .connect_timeout_ms = 200};
    ferry_status st = ferry_client_open(&remote, url, &co);
    if (st != FERRY_OK) {
        fprintf(stderr, "shop: --connect %s: %s\n", url, ferry_last_error());
        return 2;
    }

    inventory *inv = NULL;
    ferry_channel *ch = NULL;
    int rc = 2;
    if (direct) {
        /* The last step: the client on the remote channel, no dispatcher. */
        ch = remote;
    } else {
        /* The local side: the inventory module linked into the shop. */
        if (inventory_new(&inv) != FERRY_OK) {
            fprintf(stderr, "shop: out of memory\n");
            ferry_channel_close(remote);
            return 1;
        }
        ferry_dispatch_opts dopts = {.env_name = SHOP_DISPATCH_ENV, .mismatch_log_limit = 1};
        st = inventory_v2_stock_dispatcher_open(&ch, inventory_v2_handlers(), inv, remote, &dopts);
        if (st != FERRY_OK) {
            fprintf(stderr, "shop: %s\n", ferry_last_error());
            ferry_channel_close(remote);
            inventory_free(inv);
            return 2;
        }
        if (stage != NULL && ferry_dispatcher_configure(ch, stage) != FERRY_OK) {
            fprintf(stderr, "shop: --stage: %s\n", ferry_last_error());
            goto out;
        }
    }

    tally t = {0};
    browse(ch, calls, &t);
    order(ch, orders, &t);
    follow(ch, follow_s, &t);
    if (direct) {
        printf("shop [no dispatcher]: %u answered, %u by a fallback, %u failed\n",
               t.ok + t.fallback, t.fallback, t.failed);
    } else {
        ferry_dispatcher_wait_shadows(ch); /* count every comparison */
        summary(ch, &t);
        if (stats >= 0 &&
            ferry_dispatcher_write_stats(ch, stdout, (ferry_stats_format)stats) != FERRY_OK)
            fprintf(stderr, "shop: cannot write the stats to standard output\n");
        if (stats_file != NULL && write_stats_file(ch, stats_file) != 0)
            goto out;
    }
    if (t.failed > 0)
        printf("shop: first failure: %s\n", t.first_error);
    rc = t.failed > 0 ? 1 : 0;
out:
    ferry_channel_close(ch);
    inventory_free(inv);
    return rc;
}
