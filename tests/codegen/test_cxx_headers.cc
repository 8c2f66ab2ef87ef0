/* test_cxx_headers.cc - the generated headers (.pb-c.h, .ferry.h and
 * .ferry-mock.h) compile as C++ with -Wall -Wextra -Werror -pedantic, and a
 * C++ test can use them: the example inventory service (both versions), the
 * golden IDL, and IDL whose names are keywords of C or C++ where protoc-c
 * and protoc-gen-ferry keep the C valid (cxx/keywords.proto). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern "C" {
#include <cmocka.h>
}

#include "cxx/keywords.ferry-mock.h"
#include "echo.ferry-mock.h"
#include "examples/inventory/v1/inventory.ferry-mock.h"
#include "examples/inventory/v2/inventory.ferry-mock.h"

/* protoc-c renamed the fields that are keywords; the oneof named `case`
 * has its own member; the enum values keep their names after a prefix. */
static void test_keyword_names_from_cxx(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(cxx_v1_words_mock_open(&ch), FERRY_OK);

    Cxx__V1__Switch want = CXX__V1__SWITCH__INIT;
    want.class_ = 3;
    want.new_ = 1;
    want.operator_ = CXX__V1__OPERATOR__or;
    want.case_case = CXX__V1__SWITCH__CASE_DEFAULT;
    want.default_ = const_cast<char *>("on");
    cxx_v1_words_mock_expect_assert_request(ch, &want);
    Cxx__V1__Default reply = CXX__V1__DEFAULT__INIT;
    Cxx__V1__Switch *these[] = {&want};
    reply.this_ = these;
    reply.n_this_ = 1;
    cxx_v1_words_mock_will_return_assert(ch, &reply);

    Cxx__V1__Default *resp = NULL;
    assert_int_equal(cxx_v1_words_assert(ch, &want, &resp, NULL), FERRY_OK);
    assert_int_equal(resp->n_this_, 1);
    assert_string_equal(resp->this_[0]->default_, "on");
    ferry_message_free(&resp->base);
    ferry_channel_close(ch);

    /* ferry's handler table calls the method `assert_`. */
    const cxx_v1_words_handlers h = {NULL};
    assert_null(h.assert_);
}

/* The example service's client and mock, as a C++ test of C++ code calling
 * it would use them. */
static void test_inventory_mock_from_cxx(void **state)
{
    (void)state;
    ferry_channel *ch = NULL;
    assert_int_equal(inventory_v2_stock_mock_open(&ch), FERRY_OK);
    inventory_v2_stock_mock_will_fail_get_item(ch, FERRY_NOT_FOUND, "no such sku");

    Inventory__V2__GetItemRequest req = INVENTORY__V2__GET_ITEM_REQUEST__INIT;
    req.sku = const_cast<char *>("HAM-16");
    Inventory__V2__GetItemReply *resp = NULL;
    ferry_call_info info;
    ferry_call_opts opts = ferry_call_opts();
    opts.info = &info;
    assert_int_equal(inventory_v2_stock_get_item(ch, &req, &resp, &opts), FERRY_NOT_FOUND);
    assert_null(resp);
    assert_string_equal(info.message, "no such sku");
    ferry_channel_close(ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyword_names_from_cxx),
        cmocka_unit_test(test_inventory_mock_from_cxx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
