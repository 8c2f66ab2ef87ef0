/* app.c - a program built with nothing but `pkg-config --cflags --libs ferry`:
 * it uses libsodium (a key), nng (a channel), ferry's IDL headers (the admin
 * service) and the runtime's version, so every flag ferry.pc gives is needed.
 * Exits 0 when all of them work. */
#include <stdio.h>
#include <string.h>

#include <ferry/ferry.h>
#include <ferry/identity.h>

#include "ferry/admin/v1/admin.ferry.h"

int main(void)
{
    if (strcmp(ferry_version(), FERRY_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s, headers %s\n", ferry_version(), FERRY_VERSION_STRING);
        return 1;
    }
    ferry_key *key = NULL;
    if (ferry_key_generate(&key, "pkgconfig") != FERRY_OK) {
        fprintf(stderr, "ferry_key_generate failed\n");
        return 1;
    }
    ferry_key_free(key);
    ferry_channel *ch = NULL;
    ferry_status st = ferry_client_open(&ch, "inproc://ferry-pkgconfig", NULL);
    if (st != FERRY_OK) {
        fprintf(stderr, "ferry_client_open: %s\n", ferry_status_str(st));
        return 1;
    }
    ferry_channel_close(ch);
    if (ferry_admin_v1_admin_desc.name == NULL) {
        fprintf(stderr, "the admin service has no name\n");
        return 1;
    }
    return 0;
}
