/* test_server_ipc.c - @name@-server as it runs in production: started as
 * its own process with identity on, called over ipc:// through the client
 * library, stopped with SIGTERM. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "@name@_client.h"
#include "ferry/health/v1/health.ferry.h"
#include "ferry/reflection/v1/reflection.ferry.h"

typedef struct fixture {
    char dir[64];
    char url[PATH_MAX];
    pid_t pid;
    int out; /* the server's stdout */
} fixture;

/* Writes a new key pair DIR/NAME.key and DIR/NAME.pub; returns the public
 * key in base64 (`b64`), for the keyring. */
static void make_key(const char *dir, const char *name, char b64[FERRY_PUBLIC_KEY_B64])
{
    char sec[PATH_MAX], pub[PATH_MAX];
    snprintf(sec, sizeof sec, "%s/%s.key", dir, name);
    snprintf(pub, sizeof pub, "%s/%s.pub", dir, name);
    ferry_key *key = NULL;
    assert_int_equal(ferry_key_generate(&key, name), FERRY_OK);
    assert_int_equal(ferry_key_write(key, sec, pub), FERRY_OK);
    ferry_key_public_b64(key, b64);
    ferry_key_free(key);
}

/* Reads the server's stdout until it says where it listens (up to 20 s). */
static void wait_listening(fixture *f)
{
    char buf[1024];
    size_t n = 0;
    const char *tag = "listening on ";
    for (int waited = 0; waited < 20000; waited += 100) {
        struct pollfd p = {.fd = f->out, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(f->out, buf + n, sizeof buf - 1 - n);
        assert_true(r > 0); /* the server exited before it listened */
        n += (size_t)r;
        buf[n] = '\0';
        char *at = strstr(buf, tag);
        char *end = at != NULL ? strchr(at, '\n') : NULL;
        if (end != NULL) {
            *end = '\0';
            snprintf(f->url, sizeof f->url, "%s", at + strlen(tag));
            return;
        }
    }
    fail_msg("@name@-server did not say it was listening within 20 s");
}

static int setup(void **state)
{
    static fixture f;
    snprintf(f.dir, sizeof f.dir, "/tmp/@name@-test-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    char server[FERRY_PUBLIC_KEY_B64], writer[FERRY_PUBLIC_KEY_B64], reader[FERRY_PUBLIC_KEY_B64];
    make_key(f.dir, "server", server);
    make_key(f.dir, "writer", writer);
    make_key(f.dir, "reader", reader);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/keyring", f.dir);
    FILE *kr = fopen(path, "w");
    assert_non_null(kr);
    fprintf(kr, "writer %s roles=writer\nreader %s\n", writer, reader);
    assert_int_equal(fclose(kr), 0);

    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    f.pid = fork();
    assert_true(f.pid >= 0);
    if (f.pid == 0) {
        char listen[PATH_MAX], key[PATH_MAX];
        snprintf(listen, sizeof listen, "ipc://%s/server.sock", f.dir);
        snprintf(key, sizeof key, "%s/server.key", f.dir);
        setenv("@NAME@_LISTEN", listen, 1);
        setenv("FERRY_KEY", key, 1);
        setenv("FERRY_KEYRING", path, 1);
        setenv("@NAME@_REFLECTION", "1", 1);
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execl(SERVER_PATH, SERVER_PATH, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    f.out = pipefd[0];
    wait_listening(&f);
    *state = &f;
    return 0;
}

/* Stops the server with SIGTERM and waits (up to 20 s) for its exit
 * status. */
static int stop_server(fixture *f)
{
    kill(f->pid, SIGTERM);
    int status = 0;
    for (int waited = 0; waited < 20000; waited += 10) {
        pid_t r = waitpid(f->pid, &status, WNOHANG);
        if (r == f->pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
    }
    kill(f->pid, SIGKILL);
    waitpid(f->pid, &status, 0);
    return -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->pid > 0)
        stop_server(f);
    close(f->out);
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A channel as the client library opens it, proving it is `who`. */
static ferry_channel *open_as(fixture *f, const char *who)
{
    char key[PATH_MAX], server[PATH_MAX];
    snprintf(key, sizeof key, "%s/%s.key", f->dir, who);
    snprintf(server, sizeof server, "%s/server.pub", f->dir);
    setenv("FERRY_CLIENT_KEY", key, 1);
    setenv("FERRY_SERVER_KEY", server, 1);
    ferry_channel *ch = NULL;
    ferry_status st = @name@_client_open(&ch, f->url);
    if (st != FERRY_OK)
        fail_msg("@name@_client_open: %s", ferry_last_error());
    return ch;
}

static ferry_status put(ferry_channel *ch, const char *id, const char *text)
{
    @C@PutNoteRequest req = @CU@PUT_NOTE_REQUEST__INIT;
    req.id = (char *)id;
    req.text = (char *)text;
    @C@PutNoteReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    ferry_status st = @prefix@_put_note(ch, &req, &resp, &opts);
    if (st == FERRY_OK)
        ferry_message_free(&resp->base);
    return st;
}

/* A client with the role "writer" writes a note and reads it back. */
static void test_writer_puts_and_gets(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_as(f, "writer");
    assert_int_equal(put(ch, "n1", "over ipc"), FERRY_OK);
    char text[64];
    assert_int_equal(@name@_note_text(ch, "n1", text, sizeof text), FERRY_OK);
    assert_string_equal(text, "over ipc");
    ferry_channel_close(ch);
}

/* A client the keyring trusts without the role "writer" may read but not
 * write. */
static void test_reader_may_not_put(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_as(f, "reader");
    assert_int_equal(put(ch, "n1", "denied"), FERRY_PERMISSION_DENIED);
    ferry_channel_close(ch);
}

/* The server hosts the health service, and it says the server serves. */
static void test_health_says_serving(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_as(f, "reader");
    Ferry__Health__V1__CheckRequest req = FERRY__HEALTH__V1__CHECK_REQUEST__INIT;
    Ferry__Health__V1__CheckReply *resp = NULL;
    ferry_call_opts opts = {.deadline_ms = 20000};
    assert_int_equal(ferry_health_v1_health_check(ch, &req, &resp, &opts), FERRY_OK);
    assert_int_equal(resp->status, FERRY__HEALTH__V1__SERVING_STATUS__SERVING);
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);
}

/* With @NAME@_REFLECTION=1 the server lists @Svc@ to a trusted caller and
 * gives the schema that defines it, as `ferry list` and `ferry call` ask. */
static void test_reflection_describes_service(void **state)
{
    fixture *f = *state;
    ferry_channel *ch = open_as(f, "reader");
    ferry_call_opts opts = {.deadline_ms = 20000};
    Ferry__Reflection__V1__ListServicesRequest lreq =
        FERRY__REFLECTION__V1__LIST_SERVICES_REQUEST__INIT;
    Ferry__Reflection__V1__ListServicesReply *list = NULL;
    assert_int_equal(ferry_reflection_v1_reflection_list_services(ch, &lreq, &list, &opts),
                     FERRY_OK);
    int found = 0;
    for (size_t i = 0; i < list->n_services; i++)
        found |= strcmp(list->services[i]->name, "@pkg@.@Svc@") == 0;
    assert_true(found);
    ferry_message_free(&list->base);
    Ferry__Reflection__V1__GetFilesRequest freq = FERRY__REFLECTION__V1__GET_FILES_REQUEST__INIT;
    freq.service = "@pkg@.@Svc@";
    Ferry__Reflection__V1__GetFilesReply *files = NULL;
    assert_int_equal(ferry_reflection_v1_reflection_get_files(ch, &freq, &files, &opts), FERRY_OK);
    assert_true(files->n_files >= 1);
    ferry_message_free(&files->base);
    ferry_channel_close(ch);
}

/* SIGTERM stops the server cleanly: exit status 0. */
static void test_sigterm_stops_cleanly(void **state)
{
    fixture *f = *state;
    assert_int_equal(stop_server(f), 0);
    f->pid = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writer_puts_and_gets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_may_not_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_says_serving, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reflection_describes_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_stops_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
