/* test_names.c - C names from proto names: protoc-c's mangling, which the
 * generated code must match exactly, and ferry's prefixes.
 *
 * The protoc-c expectations were taken from protoc-c 1.4.1's own output for
 * the same names (see tests/codegen/golden for a compiled check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "names.h"

static fcg_arena arena;

static int setup(void **state)
{
    (void)state;
    fcg_arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fcg_arena_fini(&arena);
    return 0;
}

static void check_type(const char *package, const char *c_package, const char *full,
                       const char *want_c, const char *want_lower)
{
    char *c = NULL, *lower = NULL;
    assert_true(fcg_protoc_c_names(&arena, package, c_package, full, &c, &lower));
    assert_string_equal(c, want_c);
    assert_string_equal(lower, want_lower);
}

static void test_camel_to_lower(void **state)
{
    (void)state;
    assert_string_equal(fcg_camel_to_lower(&arena, "GetItem"), "get_item");
    assert_string_equal(fcg_camel_to_lower(&arena, "get_item"), "get_item");
    assert_string_equal(fcg_camel_to_lower(&arena, "HTTPRequest"), "httprequest");
    assert_string_equal(fcg_camel_to_lower(&arena, "ReplayHTTPLog"), "replay_httplog");
    assert_string_equal(fcg_camel_to_lower(&arena, "get_Item"), "get__item");
    assert_string_equal(fcg_camel_to_lower(&arena, "V2Thing"), "v2_thing");
    assert_string_equal(fcg_camel_to_lower(&arena, "x"), "x");
    assert_string_equal(fcg_camel_to_lower(&arena, ""), "");
}

static void test_message_names(void **state)
{
    (void)state;
    check_type("inventory.v1", NULL, "inventory.v1.GetItemRequest", "Inventory__V1__GetItemRequest",
               "inventory__v1__get_item_request");
    /* Nested messages join with "__"; '_' drops and capitalises the next. */
    check_type("inventory.v1", NULL, "inventory.v1.ReserveRequest.Line",
               "Inventory__V1__ReserveRequest__Line", "inventory__v1__reserve_request__line");
    check_type("my_pkg.V2x", NULL, "my_pkg.V2x.HTTPRequest_v2.inner_msg",
               "MyPkg__V2x__HTTPRequestV2__InnerMsg", "my_pkg__v2x__httprequest_v2__inner_msg");
    check_type("echo.v1", NULL, "echo.v1.Say_Reply", "Echo__V1__SayReply", "echo__v1__say__reply");
    /* No package. */
    check_type("", NULL, "Ping", "Ping", "ping");
}

static void test_c_package(void **state)
{
    (void)state;
    check_type("my_pkg.V2x.fooBar", "alt.pkg_x", "my_pkg.V2x.fooBar.get_item_Reply",
               "Alt__PkgX__GetItemReply", "alt__pkg_x__get_item__reply");
    /* An empty c_package drops the package. */
    check_type("my_pkg.V2x.fooBar", "", "my_pkg.V2x.fooBar.HTTPRequest_v2", "HTTPRequestV2",
               "httprequest_v2");
}

static void test_service_prefix(void **state)
{
    (void)state;
    assert_string_equal(fcg_service_prefix(&arena, "inventory.v1", "Stock"), "inventory_v1_stock");
    assert_string_equal(fcg_service_prefix(&arena, "Shop.V2", "CartService"),
                        "shop_v2_cart_service");
    assert_string_equal(fcg_service_prefix(&arena, "", "Pinger"), "pinger");
}

static void test_service_names(void **state)
{
    (void)state;
    fcg_method methods[2] = {{.name = "GetItem"}, {.name = "Delete"}};
    fcg_service svc = {.name = "Stock", .methods = methods, .n_methods = 2};
    assert_true(fcg_name_service(&arena, &svc, "inventory.v1"));
    assert_string_equal(svc.c.prefix, "inventory_v1_stock");
    assert_string_equal(svc.c.desc, "inventory_v1_stock_desc");
    assert_string_equal(svc.c.n_methods, "INVENTORY_V1_STOCK_N_METHODS");
    assert_string_equal(svc.c.handlers, "inventory_v1_stock_handlers");
    assert_string_equal(svc.c.local_open, "inventory_v1_stock_local_open");
    assert_string_equal(methods[0].c.fn, "inventory_v1_stock_get_item");
    assert_string_equal(methods[0].c.async_fn, "inventory_v1_stock_get_item_async");
    assert_string_equal(methods[0].c.cb_type, "inventory_v1_stock_get_item_cb");
    assert_string_equal(methods[0].c.constant, "INVENTORY_V1_STOCK_GET_ITEM");
    assert_string_equal(methods[0].c.member, "get_item");
    /* A handler member may not be a keyword of C or C++. */
    assert_string_equal(methods[1].c.member, "delete_");
    assert_string_equal(methods[1].c.fn, "inventory_v1_stock_delete");
}

static void test_identifiers(void **state)
{
    (void)state;
    assert_true(fcg_is_identifier("GetItem"));
    assert_true(fcg_is_identifier("_x9"));
    assert_false(fcg_is_identifier(""));
    assert_false(fcg_is_identifier("9x"));
    assert_false(fcg_is_identifier("Get%Item"));
    assert_false(fcg_is_identifier("a.b"));
    assert_true(fcg_is_package(""));
    assert_true(fcg_is_package("inventory.v1"));
    assert_false(fcg_is_package("inventory..v1"));
    assert_false(fcg_is_package(".inventory"));
    assert_false(fcg_is_package("inventory."));
    assert_false(fcg_is_package("inv entory"));
}

static void test_reserved(void **state)
{
    (void)state;
    /* Words from all over the table: bsearch misses some if it is out of order. */
    static const char *const words[] = {
        "auto",     "bool",          "case",   "class",  "default",  "delete", "do",
        "errno",    "for",           "if",     "int",    "linux",    "new",    "operator",
        "return",   "static_assert", "struct", "switch", "template", "this",   "unix",
        "va_start", "while",         "xor_eq", "assert", "offsetof",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_true(fcg_is_reserved(words[i]));
    assert_false(fcg_is_reserved("get_item"));
    assert_false(fcg_is_reserved("deleted"));
    assert_false(fcg_is_reserved(""));
}

/* A method's member of protoc-c's service struct: every keyword and
 * object-like macro is refused; a function-like macro is harmless there. */
static void test_reserved_member(void **state)
{
    (void)state;
    assert_string_equal(fcg_reserved_member("switch"), "a keyword of C and C++");
    assert_string_equal(fcg_reserved_member("delete"), "a keyword of C++");
    assert_string_equal(fcg_reserved_member("errno"), "a macro of <errno.h>");
    assert_null(fcg_reserved_member("assert"));
    assert_null(fcg_reserved_member("get_item"));
}

/* A field's member: protoc-c renames C++98's keywords itself (what it did
 * to one field of each name of the table, run once), so only the rest are
 * refused. */
static void test_reserved_field(void **state)
{
    (void)state;
    static const char *const renamed[] = {"switch", "delete", "class", "new", "bool", "and"};
    for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++)
        assert_null(fcg_reserved_field(renamed[i]));
    assert_string_equal(fcg_reserved_field("restrict"), "a keyword of C");
    assert_string_equal(fcg_reserved_field("requires"), "a keyword of C++");
    assert_string_equal(fcg_reserved_field("thread_local"), "a keyword of C23 and C++");
    assert_string_equal(fcg_reserved_field("linux"), "a macro GNU C compilers predefine");
    assert_null(fcg_reserved_field("va_arg"));
    assert_null(fcg_reserved_field("sku"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_camel_to_lower, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_c_package, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_member, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
