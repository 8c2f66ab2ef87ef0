/* test_handlers_local.c - the handlers through the local binding: the
 * generated client functions, in process, with no transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "handlers.h"

typedef struct fixture {
    @name@_store *store;
    ferry_channel *ch;
} fixture;

static int setup(void **state)
{
    static fixture f;
    f.store = @name@_store_new();
    assert_non_null(f.store);
    assert_int_equal(@prefix@_local_open(&f.ch, @name@_handlers(), f.store), FERRY_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ferry_channel_close(f->ch);
    @name@_store_free(f->store);
    return 0;
}

static ferry_status put(ferry_channel *ch, const char *id, const char *text, uint64_t *revision)
{
    @C@PutNoteRequest req = @CU@PUT_NOTE_REQUEST__INIT;
    req.id = (char *)id;
    req.text = (char *)text;
    @C@PutNoteReply *resp = NULL;
    ferry_status st = @prefix@_put_note(ch, &req, &resp, NULL);
    if (st == FERRY_OK) {
        *revision = resp->note->revision;
        ferry_message_free(&resp->base);
    }
    return st;
}

/* A note written can be read back; each write raises its revision. */
static void test_put_then_get(void **state)
{
    fixture *f = *state;
    uint64_t revision = 0;
    assert_int_equal(put(f->ch, "n1", "first", &revision), FERRY_OK);
    assert_int_equal(revision, 1);
    assert_int_equal(put(f->ch, "n1", "second", &revision), FERRY_OK);
    assert_int_equal(revision, 2);

    @C@GetNoteRequest req = @CU@GET_NOTE_REQUEST__INIT;
    req.id = "n1";
    @C@GetNoteReply *resp = NULL;
    assert_int_equal(@prefix@_get_note(f->ch, &req, &resp, NULL), FERRY_OK);
    assert_string_equal(resp->note->text, "second");
    ferry_message_free(&resp->base);
}

/* Reading a note nobody wrote is FERRY_NOT_FOUND, with the id in the
 * message. */
static void test_get_unknown_is_not_found(void **state)
{
    fixture *f = *state;
    @C@GetNoteRequest req = @CU@GET_NOTE_REQUEST__INIT;
    req.id = "nobody";
    @C@GetNoteReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(@prefix@_get_note(f->ch, &req, &resp, &opts), FERRY_NOT_FOUND);
    assert_non_null(strstr(info.message, "nobody"));
}

/* A note needs an id. */
static void test_empty_id_is_refused(void **state)
{
    fixture *f = *state;
    uint64_t revision = 0;
    assert_int_equal(put(f->ch, "", "text", &revision), FERRY_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_then_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_unknown_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_id_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
