/* test_golden_mock.c - the golden IDL's generated mock (echo.ferry-mock.c,
 * compiled with -Werror): each method's typed wrappers queue for that
 * method and no other, with its own request and response types, nested
 * and acronym names included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "echo.ferry-mock.h"

static unsigned calls(ferry_channel *ch, unsigned i)
{
    return ferry_mock_calls(ch, &echo_v1_echo_desc.methods[i]);
}

static bool times_is_two(void *arg, const Echo__V1__SayRequest *req, char *why, size_t why_len)
{
    (void)arg;
    if (req->times == 2)
        return true;
    snprintf(why, why_len, "times is %u", req->times);
    return false;
}

static ferry_status replay(void *arg, ferry_call *call, const Echo__V1__Memory *req,
                           Echo__V1__Memory *resp)
{
    (void)arg;
    assert_string_equal(ferry_call_method(call)->full_name, "echo.v1.Echo/ReplayHTTPLog");
    *resp = *req; /* copied by the mock before the caller sees it */
    return FERRY_OK;
}

static void test_each_method_routes_to_itself(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(echo_v1_echo_mock_open(&ch), FERRY_OK);

    echo_v1_echo_mock_expect_say(ch, times_is_two, NULL);
    Echo__V1__SayReply said = ECHO__V1__SAY__REPLY__INIT;
    said.text = "said";
    echo_v1_echo_mock_will_return_say(ch, &said);
    echo_v1_echo_mock_will_fall_back_shout(ch, NULL, "shout fell back");
    Echo__V1__Memory__Entry want = ECHO__V1__MEMORY__ENTRY__INIT;
    want.key = "k";
    echo_v1_echo_mock_expect_forget_request(ch, &want);
    echo_v1_echo_mock_will_fail_forget(ch, FERRY_FAILED_PRECONDITION, "cannot forget");
    echo_v1_echo_mock_will_call_replay_httplog(ch, replay, NULL);

    Echo__V1__SayRequest say = ECHO__V1__SAY_REQUEST__INIT;
    say.times = 2;
    Echo__V1__SayReply *reply = NULL;
    assert_int_equal(echo_v1_echo_say(ch, &say, &reply, NULL), FERRY_OK);
    assert_string_equal(reply->text, "said");
    ferry_message_free(&reply->base);
    assert_int_equal(echo_v1_echo_shout(ch, &say, &reply, NULL), FERRY_FALLBACK);
    assert_string_equal(reply->text, "");
    ferry_message_free(&reply->base);

    Echo__V1__Memory__Entry__Receipt *receipt = NULL;
    ferry_call_info info;
    ferry_call_opts opts = {.info = &info};
    assert_int_equal(echo_v1_echo_forget(ch, &want, &receipt, &opts), FERRY_FAILED_PRECONDITION);
    assert_string_equal(info.message, "cannot forget");

    Echo__V1__Memory__Entry e = ECHO__V1__MEMORY__ENTRY__INIT;
    e.key = "log";
    Echo__V1__Memory__Entry *entries[] = {&e};
    Echo__V1__Memory mem = ECHO__V1__MEMORY__INIT;
    mem.entries = entries;
    mem.n_entries = 1;
    Echo__V1__Memory *back = NULL;
    assert_int_equal(echo_v1_echo_replay_httplog(ch, &mem, &back, NULL), FERRY_OK);
    assert_int_equal(back->n_entries, 1);
    assert_string_equal(back->entries[0]->key, "log");
    ferry_message_free(&back->base);

    for (unsigned i = 0; i < ECHO_V1_ECHO_N_METHODS; i++)
        assert_int_equal(calls(ch, i), 1);
    ferry_channel_close(ch);
}

static void test_fake_start_serves_the_table(void **state)
{
    (void)state;
    static const echo_v1_echo_handlers handlers = {.replay_httplog = replay};
    ferry_fake *fake = NULL;
    assert_int_equal(echo_v1_echo_fake_start(&fake, &handlers, NULL), FERRY_OK);
    Echo__V1__Memory mem = ECHO__V1__MEMORY__INIT;
    Echo__V1__Memory *back = NULL;
    assert_int_equal(echo_v1_echo_replay_httplog(ferry_fake_channel(fake), &mem, &back, NULL),
                     FERRY_OK);
    ferry_message_free(&back->base);
    Echo__V1__SayRequest say = ECHO__V1__SAY_REQUEST__INIT;
    Echo__V1__SayReply *reply = NULL;
    assert_int_equal(echo_v1_echo_say(ferry_fake_channel(fake), &say, &reply, NULL),
                     FERRY_UNIMPLEMENTED);
    ferry_fake_stop(fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_method_routes_to_itself),
        cmocka_unit_test(test_fake_start_serves_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
