/* main.c - serves Greeter on a temp ipc:// address and calls it, remotely and
 * through the local binding; exits 0 when both answer "hello, ferry". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "greeter/v1/greeter.ferry.h"

static ferry_status hello(void *user, ferry_call *call, const Greeter__V1__HelloRequest *req,
                          Greeter__V1__HelloReply *resp)
{
    (void)user;
    char *s = ferry_call_alloc(call, strlen(req->name) + 8);
    if (s == NULL)
        return FERRY_RESOURCE_EXHAUSTED;
    sprintf(s, "hello, %s", req->name);
    resp->greeting = s;
    return FERRY_OK;
}

static const greeter_v1_greeter_handlers handlers = {.hello = hello};

static int call(ferry_channel *ch, const char *how)
{
    Greeter__V1__HelloRequest req = GREETER__V1__HELLO_REQUEST__INIT;
    req.name = "ferry";
    Greeter__V1__HelloReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    ferry_status st = greeter_v1_greeter_hello(ch, &req, &resp, &opts);
    if (st != FERRY_OK) {
        fprintf(stderr, "%s call failed: %s: %s\n", how, ferry_status_str(st), info.message);
        return 1;
    }
    int bad = strcmp(resp->greeting, "hello, ferry") != 0;
    printf("%s: %s\n", how, resp->greeting);
    ferry_message_free(&resp->base);
    return bad;
}

int main(void)
{
    char dir[] = "/tmp/ferry-consumer-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char url[128];
    snprintf(url, sizeof url, "ipc://%s/greeter.sock", dir);

    ferry_server *srv = NULL;
    ferry_channel *remote = NULL, *local = NULL;
    int rc = 1;
    if (ferry_server_new(&srv, NULL) != FERRY_OK ||
        greeter_v1_greeter_register(srv, &handlers, NULL) != FERRY_OK ||
        ferry_server_listen(srv, url, NULL, 0) != FERRY_OK ||
        ferry_client_open(&remote, url, NULL) != FERRY_OK ||
        greeter_v1_greeter_local_open(&local, &handlers, NULL) != FERRY_OK)
        goto out;
    rc = call(remote, "remote") | call(local, "local");
out:
    ferry_channel_close(local);
    ferry_channel_close(remote);
    ferry_server_free(srv);
    unlink(url + 6);
    rmdir(dir);
    return rc;
}
