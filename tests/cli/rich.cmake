# The rich schema of the `ferry call`, `list` and `describe` tests
# (rich/ferrytest/rich/v1/rich.proto): protobuf's well-known types it
# imports through protoc-c, then the schema through ferry_generate(), and
# the server the tests run (rich_server.c).
set(rich_wkt_gen ${CMAKE_CURRENT_BINARY_DIR}/rich_wkt)
set(rich_wkt_sources)
foreach(wkt timestamp duration wrappers struct field_mask any)
  set(stem google/protobuf/${wkt})
  add_custom_command(
    OUTPUT ${rich_wkt_gen}/${stem}.pb-c.c ${rich_wkt_gen}/${stem}.pb-c.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${rich_wkt_gen}
    COMMAND ${FERRY_PROTOC} -I${FERRY_PROTOBUF_INCLUDE}
            --plugin=protoc-gen-c=${FERRY_PROTOC_GEN_C} --c_out=${rich_wkt_gen}
            ${FERRY_PROTOBUF_INCLUDE}/${stem}.proto
    DEPENDS ${FERRY_PROTOBUF_INCLUDE}/${stem}.proto
    COMMENT "protoc-c ${stem}.proto"
    VERBATIM)
  list(APPEND rich_wkt_sources ${rich_wkt_gen}/${stem}.pb-c.c)
endforeach()
set_source_files_properties(${rich_wkt_sources} PROPERTIES COMPILE_OPTIONS "-w")
add_library(cli_rich_wkt STATIC ${rich_wkt_sources})
target_include_directories(cli_rich_wkt PUBLIC ${rich_wkt_gen})
target_link_libraries(cli_rich_wkt PUBLIC PkgConfig::PROTOBUFC)

ferry_generate(TARGET cli_rich_gen WERROR
               PROTO_ROOT ${CMAKE_CURRENT_SOURCE_DIR}/rich
               PROTOS ${CMAKE_CURRENT_SOURCE_DIR}/rich/ferrytest/rich/v1/rich.proto)
target_link_libraries(cli_rich_gen PUBLIC cli_rich_wkt)

add_library(cli_rich_server STATIC rich_server.c)
target_link_libraries(cli_rich_server PUBLIC cli_rich_gen ferry ferry_cli_run PkgConfig::JANSSON)
target_compile_options(cli_rich_server PRIVATE ${FERRY_WARNINGS})
target_compile_definitions(cli_rich_server PUBLIC
                           RICH_PROTO_ROOT="${CMAKE_CURRENT_SOURCE_DIR}/rich")

# `ferry call`: every kind of field there and back, by reflection and by
# --proto; then each way a call can be refused.
ferry_add_test(test_call SOURCES test_call.c LIBS cli_rich_server)
ferry_add_test(test_call_errors SOURCES test_call_errors.c LIBS cli_rich_server)
# `ferry list` and `ferry describe`; reflection off by default.
ferry_add_test(test_reflect SOURCES test_reflect.c LIBS cli_rich_server ferry_admin_idl)
# ... whose output protoc and protoc-c must compile again.
target_compile_definitions(test_reflect PRIVATE FERRY_PROTOC="${FERRY_PROTOC}"
                           FERRY_PROTOC_GEN_C="${FERRY_PROTOC_GEN_C}"
                           FERRY_IDL_DIR="${PROJECT_SOURCE_DIR}/idl"
                           FERRY_PROTOBUF_INCLUDE="${FERRY_PROTOBUF_INCLUDE}")
# `ferry call` with identity: signed, MAC, roles, no key.
ferry_add_test(test_call_identity SOURCES test_call_identity.c LIBS cli_rich_server)
