# Installs ferry from BUILD into a temp prefix under WORK, then configures,
# builds and runs the consumer project against it -- its program and its
# test of the generated mock: the path a user outside ferry's tree takes.
# Invoked by ctest (tests/install/CMakeLists.txt).
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix
                RESULT_VARIABLE rv OUTPUT_QUIET)
if(rv)
  message(FATAL_ERROR "install failed: ${rv}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${WORK}/build
                        -DCMAKE_PREFIX_PATH=${WORK}/prefix
                RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "configuring the consumer failed: ${rv}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK}/build RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "building the consumer failed: ${rv}")
endif()
execute_process(COMMAND ${WORK}/build/greeter RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "the consumer program failed: ${rv}")
endif()
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
file(REMOVE_RECURSE ${WORK})
