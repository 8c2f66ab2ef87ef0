# Builds ferry from SRC_ROOT runtime-only and shared (-DFERRY_RUNTIME_ONLY=ON
# -DFERRY_SHARED=ON) where pkg-config can see neither cmocka nor jansson,
# installs it into a temp prefix under WORK, and builds and runs the consumer
# project and a pkg-config program against it, still without them.
# Invoked by ctest (tests/install/CMakeLists.txt).
include(${CMAKE_CURRENT_LIST_DIR}/helpers.cmake)
file(REMOVE_RECURSE ${WORK})

# A pkg-config search path holding only what the runtime needs.
set(pc ${WORK}/pc)
file(MAKE_DIRECTORY ${pc})
foreach(module libprotobuf-c libsodium libcares)
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

ferry_run("configuring a runtime-only ferry without cmocka or jansson"
          ${env} ${CMAKE_COMMAND} -S ${SRC_ROOT} -B ${WORK}/ferry -DFERRY_RUNTIME_ONLY=ON
          -DFERRY_SHARED=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_INSTALL_LIBDIR=lib)
ferry_run("building a runtime-only ferry" ${env} ${CMAKE_COMMAND} --build ${WORK}/ferry --parallel 2)
set(prefix ${WORK}/prefix)
ferry_run("installing a runtime-only ferry"
          ${CMAKE_COMMAND} --install ${WORK}/ferry --prefix ${prefix})

# What it installs: a versioned shared libferry, no test doubles, no tool.
foreach(f lib/libferry.so.0.2 lib/libferry.so include/ferry/ferry.h bin/protoc-gen-ferry)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "a runtime-only install lacks ${f}")
  endif()
endforeach()
foreach(f include/ferry/mock.h include/ferry/fake.h bin/ferry lib/cmake/ferry/ferryMockTargets.cmake)
  if(EXISTS ${prefix}/${f})
    message(FATAL_ERROR "a runtime-only install has ${f}")
  endif()
endforeach()
ferry_consumer_build(${prefix} ${WORK} ${env})
# find_package(ferry) did not even look for cmocka (pkg_check_modules leaves
# its arguments in the cache).
file(STRINGS ${WORK}/build/CMakeCache.txt cmocka REGEX "CMOCKA")
if(cmocka)
  message(FATAL_ERROR "find_package(ferry) of a runtime-only ferry looked for cmocka: ${cmocka}")
endif()
ferry_pkgconfig_app(${prefix} lib ${WORK} PC_PATH ${pc})
file(REMOVE_RECURSE ${WORK})
