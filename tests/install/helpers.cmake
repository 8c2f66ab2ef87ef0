# Steps the install test scripts share (run_consumer.cmake,
# run_runtime_only.cmake).

# ferry_run(WHAT command...): runs the command; stops with "WHAT failed".
function(ferry_run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rv)
  if(rv)
    message(FATAL_ERROR "${what} failed: ${rv}")
  endif()
endfunction()

# ferry_consumer_build(PREFIX WORK [env command prefix...]): configures and
# builds the consumer project SRC against the ferry installed at PREFIX into
# WORK/build, each step run under the given `cmake -E env ...`, and runs its
# program.
function(ferry_consumer_build prefix work)
  ferry_run("configuring the consumer against ${prefix}"
            ${ARGN} ${CMAKE_COMMAND} -S ${SRC} -B ${work}/build -DCMAKE_PREFIX_PATH=${prefix})
  ferry_run("building the consumer" ${ARGN} ${CMAKE_COMMAND} --build ${work}/build --parallel 2)
  ferry_run("the consumer program" ${work}/build/greeter)
endfunction()

# ferry_pkgconfig_app(PREFIX LIBDIR WORK [PC_PATH dirs]): builds
# pkgconfig/app.c with the C compiler CC and only the flags
# `pkg-config --cflags --libs ferry` gives for the ferry installed at PREFIX,
# then runs it. PC_PATH is where pkg-config looks besides PREFIX (default: its
# usual places).
function(ferry_pkgconfig_app prefix libdir work)
  cmake_parse_arguments(A "" "PC_PATH" "" ${ARGN})
  set(pcdir ${prefix}/${libdir}/pkgconfig)
  if(A_PC_PATH)
    set(env PKG_CONFIG_LIBDIR=${pcdir}:${A_PC_PATH})
  else()
    set(env PKG_CONFIG_PATH=${pcdir})
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${env} ${PKG_CONFIG} --cflags --libs ferry
                  RESULT_VARIABLE rv OUTPUT_VARIABLE flags ERROR_VARIABLE err
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rv)
    message(FATAL_ERROR "pkg-config --cflags --libs ferry failed: ${err}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  execute_process(COMMAND ${CC} -std=c11 -Wall -Wextra -Werror ${CMAKE_CURRENT_LIST_DIR}/pkgconfig/app.c
                          ${flags} -o ${work}/pkgconfig_app
                  RESULT_VARIABLE rv)
  if(rv)
    message(FATAL_ERROR "building a program with pkg-config's flags (${flags}) failed: ${rv}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${prefix}/${libdir}
                          ${work}/pkgconfig_app
                  RESULT_VARIABLE rv)
  if(rv)
    message(FATAL_ERROR "the program built with pkg-config's flags failed: ${rv}")
  endif()
endfunction()
