/* test_client_mock.c - the client library's callers, tested with the
 * generated mock of the @Svc@ service: no server, every reply scripted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "@name@_client.h"
#include "@stem@.ferry-mock.h"

/* @name@_note_text() asks for the note by its id and returns its text. */
static void test_note_text_returns_the_text(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(@prefix@_mock_open(&ch), FERRY_OK);
    @C@GetNoteRequest want = @CU@GET_NOTE_REQUEST__INIT;
    want.id = "n1";
    @prefix@_mock_expect_get_note_request(ch, &want);
    @C@Note note = @CU@NOTE__INIT;
    note.id = "n1";
    note.text = "hello";
    @C@GetNoteReply reply = @CU@GET_NOTE_REPLY__INIT;
    reply.note = &note;
    @prefix@_mock_will_return_get_note(ch, &reply);

    char text[64];
    assert_int_equal(@name@_note_text(ch, "n1", text, sizeof text), FERRY_OK);
    assert_string_equal(text, "hello");
    ferry_channel_close(ch);
}

/* A note the service does not have is FERRY_NOT_FOUND for the caller. */
static void test_note_text_passes_not_found_on(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(@prefix@_mock_open(&ch), FERRY_OK);
    @prefix@_mock_will_fail_get_note(ch, FERRY_NOT_FOUND, "no note 'n2'");
    char text[64];
    assert_int_equal(@name@_note_text(ch, "n2", text, sizeof text), FERRY_NOT_FOUND);
    ferry_channel_close(ch);
}

/* When the service cannot be reached, the method's fallback (an empty
 * reply) answers: the caller gets FERRY_FALLBACK and an empty text. */
static void test_note_text_of_the_fallback_is_empty(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(@prefix@_mock_open(&ch), FERRY_OK);
    @C@GetNoteReply empty = @CU@GET_NOTE_REPLY__INIT;
    @prefix@_mock_will_fall_back_get_note(ch, &empty, "the service is unreachable");
    char text[64] = "stale";
    assert_int_equal(@name@_note_text(ch, "n1", text, sizeof text), FERRY_FALLBACK);
    assert_string_equal(text, "");
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_text_returns_the_text),
        cmocka_unit_test(test_note_text_passes_not_found_on),
        cmocka_unit_test(test_note_text_of_the_fallback_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
