/* main.c - @name@-call [URL]: calls @Svc@/@Method@ once, with an empty
 * request, and says how it went. Exits 0 when the service answered OK, 1
 * when the call failed or its fallback answered, 2 when no channel could be opened. The address and
 * identity come from the environment (@name@_client.h). */
#include <stdio.h>

#include "@name@_client.h"

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: @name@-call [URL]   (default: $@NAME@_ADDR)\n");
        return 2;
    }
    ferry_channel *ch = NULL;
    if (@name@_client_open(&ch, argc == 2 ? argv[1] : NULL) != FERRY_OK) {
        fprintf(stderr, "@name@-call: %s\n", ferry_last_error());
        return 2;
    }
    ferry_call_info info;
    ferry_status st = @name@_try_@method@(ch, &info);
    if (st == FERRY_OK)
        printf("@Method@: ok\n");
    else if (st == FERRY_FALLBACK)
        printf("@Method@: answered by its fallback: %s\n", info.message);
    else
        fprintf(stderr, "@Method@: %s: %s\n", ferry_status_str(st), info.message);
    ferry_channel_close(ch);
    return st == FERRY_OK ? 0 : 1;
}
