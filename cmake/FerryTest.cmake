# ferry_add_test(NAME SOURCES... [LIBS ...]): one cmocka test program per unit
# of behaviour, registered with ctest under its name.
function(ferry_add_test name)
  cmake_parse_arguments(FT "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${FT_SOURCES})
  target_compile_options(${name} PRIVATE ${FERRY_WARNINGS})
  target_link_libraries(${name} PRIVATE ${FT_LIBS} PkgConfig::CMOCKA)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT FT_TIMEOUT)
    set(FT_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${FT_TIMEOUT})
endfunction()
