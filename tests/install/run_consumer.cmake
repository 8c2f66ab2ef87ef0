# Installs ferry from BUILD into a temp prefix under WORK, then configures,
# builds and runs the consumer project against it -- its program and its
# test of the generated mock: the path a user outside ferry's tree takes.
# Then the rest of the installed tree: ferry.pc, the .proto files with the
# paths docs/tour.md gives, and the package config itself.
# Invoked by ctest (tests/install/CMakeLists.txt).
include(${CMAKE_CURRENT_LIST_DIR}/helpers.cmake)
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix
                RESULT_VARIABLE rv OUTPUT_QUIET)
if(rv)
  message(FATAL_ERROR "install failed: ${rv}")
endif()
ferry_consumer_build(${WORK}/prefix ${WORK})
# greeter_gen_mock is built only because greeter_test links it.
execute_process(COMMAND ${WORK}/build/greeter_test RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "the consumer's mock test failed: ${rv}")
endif()
# The installed `ferry` tool: it finds ferry's IDL installed next to it,
# locks the consumer's schema and finds no change against the lock.
set(ferry ${WORK}/prefix/bin/ferry)
execute_process(COMMAND ${ferry} lock ${SRC}/proto -o ${WORK}/greeter.lock RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "ferry lock failed: ${rv}")
endif()
execute_process(COMMAND ${ferry} check --lock ${WORK}/greeter.lock ${SRC}/proto
                RESULT_VARIABLE rv OUTPUT_VARIABLE out)
if(rv OR NOT out STREQUAL "no changes\n")
  message(FATAL_ERROR "ferry check against its own lock gave ${rv}: ${out}")
endif()

# A program built with nothing but pkg-config's flags.
ferry_pkgconfig_app(${WORK}/prefix ${LIBDIR} ${WORK})

# protoc by hand, as the tour says: ferry's installed IDL (with the admin
# service's schema) on the import path and the installed plugin.
set(idl ${WORK}/prefix/share/ferry/idl)
file(MAKE_DIRECTORY ${WORK}/by_hand)
execute_process(COMMAND ${PROTOC} -I ${SRC}/proto -I ${idl} -I ${PROTOBUF_INCLUDE}
                        --plugin=protoc-gen-ferry=${WORK}/prefix/bin/protoc-gen-ferry
                        --c_out=${WORK}/by_hand --ferry_out=${WORK}/by_hand
                        greeter/v1/greeter.proto
                RESULT_VARIABLE rv)
if(rv OR NOT EXISTS ${WORK}/by_hand/greeter/v1/greeter.ferry.h
   OR NOT EXISTS ${WORK}/by_hand/greeter/v1/greeter.pb-c.h)
  message(FATAL_ERROR "protoc-gen-ferry by hand with the installed IDL failed: ${rv}")
endif()
execute_process(COMMAND ${PROTOC} -I ${idl} -I ${PROTOBUF_INCLUDE}
                        --descriptor_set_out=${WORK}/admin.pb ferry/admin/v1/admin.proto
                RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "the installed admin.proto does not compile: ${rv}")
endif()

# configure_package_config_file() expands its init block once.
file(READ ${WORK}/prefix/${LIBDIR}/cmake/ferry/ferryConfig.cmake config)
string(REGEX MATCHALL "macro\\(set_and_check" inits "${config}")
list(LENGTH inits n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "ferryConfig.cmake defines set_and_check ${n} times")
endif()
file(REMOVE_RECURSE ${WORK})
