# Builds ferry from SRC_ROOT runtime-only and shared (-DFERRY_RUNTIME_ONLY=ON
# -DFERRY_SHARED=ON) where pkg-config can see neither cmocka nor jansson,
# installs it into a temp prefix under WORK, and builds and runs the consumer
# project and a pkg-config program against it, still without them.
# Invoked by ctest (tests/install/CMakeLists.txt).
include(${CMAKE_CURRENT_LIST_DIR}/pkgconfig.cmake)
file(REMOVE_RECURSE ${WORK})

# A pkg-config search path holding only what the runtime needs.
set(pc ${WORK}/pc)
file(MAKE_DIRECTORY ${pc})
foreach(module libprotobuf-c libsodium)
  execute_process(COMMAND ${PKG_CONFIG} --variable=pcfiledir ${module}
                  OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rv)
  if(rv)
    message(FATAL_ERROR "pkg-config does not know ${module}")
  endif()
  file(COPY ${dir}/${module}.pc DESTINATION ${pc})
endforeach()
set(env ${CMAKE_COMMAND} -E env PKG_CONFIG_LIBDIR=${pc} PKG_CONFIG_PATH=)
execute_process(COMMAND ${env} ${PKG_CONFIG} --exists cmocka RESULT_VARIABLE rv)
if(NOT rv)
  message(FATAL_ERROR "cmocka is still visible to pkg-config")
endif()

execute_process(COMMAND ${env} ${CMAKE_COMMAND} -S ${SRC_ROOT} -B ${WORK}/ferry
                        -DFERRY_RUNTIME_ONLY=ON -DFERRY_SHARED=ON -DCMAKE_BUILD_TYPE=Debug
                        -DCMAKE_INSTALL_LIBDIR=lib
                RESULT_VARIABLE rv OUTPUT_QUIET)
if(rv)
  message(FATAL_ERROR "configuring a runtime-only ferry without cmocka or jansson failed: ${rv}")
endif()
execute_process(COMMAND ${env} ${CMAKE_COMMAND} --build ${WORK}/ferry --parallel 2
                RESULT_VARIABLE rv OUTPUT_QUIET)
if(rv)
  message(FATAL_ERROR "building a runtime-only ferry failed: ${rv}")
endif()
set(prefix ${WORK}/prefix)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${WORK}/ferry --prefix ${prefix}
                RESULT_VARIABLE rv OUTPUT_QUIET)
if(rv)
  message(FATAL_ERROR "installing a runtime-only ferry failed: ${rv}")
endif()

# What it installs: a versioned shared libferry, no test doubles, no tool,
# and a package config that never looks for cmocka.
foreach(f lib/libferry.so.0.1 lib/libferry.so include/ferry/ferry.h bin/protoc-gen-ferry)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "a runtime-only install lacks ${f}")
  endif()
endforeach()
foreach(f include/ferry/mock.h include/ferry/fake.h bin/ferry lib/cmake/ferry/ferryMockTargets.cmake)
  if(EXISTS ${prefix}/${f})
    message(FATAL_ERROR "a runtime-only install has ${f}")
  endif()
endforeach()
file(READ ${prefix}/lib/cmake/ferry/ferryConfig.cmake config)
string(REGEX MATCH "pkg_check_modules\\([^)]*cmocka|find_dependency\\([^)]*cmocka" uses "${config}")
if(uses)
  message(FATAL_ERROR "a runtime-only ferryConfig.cmake looks for cmocka: ${uses}")
endif()

execute_process(COMMAND ${env} ${CMAKE_COMMAND} -S ${SRC} -B ${WORK}/build
                        -DCMAKE_PREFIX_PATH=${prefix}
                RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "configuring the consumer against a runtime-only ferry failed: ${rv}")
endif()
execute_process(COMMAND ${env} ${CMAKE_COMMAND} --build ${WORK}/build --parallel 2
                RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "building the consumer against a runtime-only ferry failed: ${rv}")
endif()
execute_process(COMMAND ${WORK}/build/greeter RESULT_VARIABLE rv)
if(rv)
  message(FATAL_ERROR "the consumer program on a shared libferry failed: ${rv}")
endif()
ferry_pkgconfig_app(${prefix} lib ${WORK} PC_PATH ${pc})
file(REMOVE_RECURSE ${WORK})
