/* @name@_client.c - the @Svc@ service's client library. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "@name@_client.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

ferry_status @name@_client_open(ferry_channel **out, const char *url)
{
    char def[PATH_MAX + 16];
    if (url == NULL && (url = env("@NAME@_ADDR")) == NULL) {
        const char *tmp = env("TMPDIR");
        snprintf(def, sizeof def, "ipc://%s/@name@.sock", tmp != NULL ? tmp : "/tmp");
        url = def;
    }
    ferry_client_opts opts = {
        .client_name = "@name@-client",
        .tls = {.ca_file = env("FERRY_TLS_CA"),
                .cert_file = env("FERRY_TLS_CERT"),
                .key_file = env("FERRY_TLS_KEY")},
    };
    ferry_key *key = NULL, *server_key = NULL;
    ferry_status st = FERRY_OK;
    const char *key_path = env("FERRY_CLIENT_KEY"), *server_path = env("FERRY_SERVER_KEY");
    if (key_path != NULL && (st = ferry_key_load_secret(&key, key_path)) != FERRY_OK)
        goto out;
    if (server_path != NULL && (st = ferry_key_load_public(&server_key, server_path)) != FERRY_OK)
        goto out;
    opts.identity.key = key;
    opts.identity.server_key = server_key;
    st = ferry_client_open(out, url, &opts);
out:
    ferry_key_free(key); /* the channel keeps its own copies */
    ferry_key_free(server_key);
    return st;
}

ferry_status @name@_note_text(ferry_channel *ch, const char *id, char *buf, size_t len)
{
    @C@GetNoteRequest req = @CU@GET_NOTE_REQUEST__INIT;
    req.id = (char *)id;
    @C@GetNoteReply *resp = NULL;
    ferry_status st = @prefix@_get_note(ch, &req, &resp, NULL);
    if (st != FERRY_OK && st != FERRY_FALLBACK)
        return st;
    snprintf(buf, len, "%s", resp->note != NULL ? resp->note->text : "");
    ferry_message_free(&resp->base);
    return st;
}
