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
  # Leaks that are nng 1.5.2's own are suppressed by name; the file says
  # which defect each one is. Tests add their own variables with APPEND.
  if(FERRY_SANITIZE MATCHES "address|leak")
    set_property(TEST ${name} APPEND PROPERTY ENVIRONMENT
                 "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
  endif()
endfunction()
