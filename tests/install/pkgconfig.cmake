# ferry_pkgconfig_app(PREFIX LIBDIR WORK [PC_PATH dirs]): builds
# pkgconfig/app.c with the C compiler CC and only the flags
# `pkg-config --cflags --libs ferry` gives for the ferry installed at PREFIX,
# then runs it. PC_PATH is where pkg-config looks besides PREFIX (default: its
# usual places). Included by the install test scripts.
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
