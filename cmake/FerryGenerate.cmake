# ferry_generate(): turn .proto files into a C library target.
#
#   ferry_generate(TARGET inventory_v1
#                  PROTOS idl/examples/inventory/v1/inventory.proto
#                  [PROTO_ROOT idl]             # the -I root the PROTOS are named from
#                  [IMPORT_DIRS dir ...]        # more -I directories
#                  [OUTPUT_DIR dir]             # default: ${CMAKE_CURRENT_BINARY_DIR}/<TARGET>
#                  [WERROR])                    # ferry's generated code: warnings are errors
#
# For each file it runs protoc with protoc-c (<name>.pb-c.h/.c) and, when the
# file declares a service, protoc-gen-ferry (<name>.ferry.h/.c and the test
# doubles <name>.ferry-mock.h/.c); a file of messages only gets protoc-c's
# output alone. It builds a static library TARGET from the results, linked
# to libferry, and, when any file has a service and ferry::mock exists (it
# needs cmocka), a static library TARGET_mock of the mocks and fakes, linked
# to TARGET and ferry::mock. Only tests should link TARGET_mock; it is built
# only when something links it (EXCLUDE_FROM_ALL). Outputs keep the path of the
# .proto below PROTO_ROOT, so a file that imports "inventory/v1/inventory.proto"
# includes "inventory/v1/inventory.pb-c.h". ferry's own IDL
# (ferry/options.proto) is always on the import path. Editing a .proto, or any
# file it imports, regenerates it.
#
# ferry's generated code is compiled with FERRY_WARNINGS. They are errors in
# ferry's own build; in a project using an installed ferry only with WERROR
# or FERRY_GENERATE_WERROR=ON, since a newer compiler's new warning must not
# break a build the project does not control.

# In ferry's own tree these come from its CMakeLists.txt; an installed ferry
# sets them in ferryConfig.cmake before including this file.
if(NOT DEFINED FERRY_IDL_DIR)
  set(FERRY_IDL_DIR ${CMAKE_CURRENT_LIST_DIR}/../idl)
endif()

# Sets out_var to TRUE when the .proto at `path` declares a service. Comments
# and string literals are blanked first, in one left-to-right pass so that a
# quote inside a comment or "//" inside a string cannot confuse it.
function(_ferry_proto_has_service path out_var)
  file(READ "${path}" text)
  string(REGEX REPLACE
         "//[^\n]*|/\\*([^*]|\\*+[^*/])*\\*+/|\"([^\"\\\\\n]|\\\\.)*\"|'([^'\\\\\n]|\\\\.)*'"
         " " text "${text}")
  if(text MATCHES "(^|[^A-Za-z0-9_.])service[ \t\r\n]+[A-Za-z_][A-Za-z0-9_]*[ \t\r\n]*{")
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()

function(ferry_generate)
  cmake_parse_arguments(FG "WERROR" "TARGET;PROTO_ROOT;OUTPUT_DIR" "PROTOS;IMPORT_DIRS" ${ARGN})
  if(FG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ferry_generate(${FG_TARGET}): unknown arguments ${FG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT FG_TARGET)
    message(FATAL_ERROR "ferry_generate: TARGET is required")
  endif()
  if(NOT FG_PROTOS)
    message(FATAL_ERROR "ferry_generate(${FG_TARGET}): PROTOS is required")
  endif()
  if(NOT FG_PROTO_ROOT)
    set(FG_PROTO_ROOT ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  get_filename_component(FG_PROTO_ROOT ${FG_PROTO_ROOT} ABSOLUTE)
  if(NOT FG_OUTPUT_DIR)
    set(FG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/${FG_TARGET})
  endif()
  get_filename_component(FG_OUTPUT_DIR ${FG_OUTPUT_DIR} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})
  set(depdir ${CMAKE_CURRENT_BINARY_DIR}/${FG_TARGET}.deps)

  if(NOT TARGET ferry::protoc-gen-ferry)
    message(FATAL_ERROR "ferry_generate: no ferry::protoc-gen-ferry target; use find_package(ferry)")
  endif()
  set(plugin $<TARGET_FILE:ferry::protoc-gen-ferry>)
  set(plugin_dep ferry::protoc-gen-ferry)

  set(includes -I${FG_PROTO_ROOT})
  foreach(dir ${FG_IMPORT_DIRS})
    get_filename_component(dir ${dir} ABSOLUTE)
    list(APPEND includes -I${dir})
  endforeach()
  list(APPEND includes -I${FERRY_IDL_DIR} -I${FERRY_PROTOBUF_INCLUDE})

  set(sources "")
  set(mock_sources "")
  foreach(proto ${FG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${FG_PROTO_ROOT} ${abs})
    if(rel MATCHES "^\\.\\.")
      message(FATAL_ERROR "ferry_generate(${FG_TARGET}): ${proto} is not below PROTO_ROOT ${FG_PROTO_ROOT}")
    endif()
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(depfile ${depdir}/${stem}.d)
    get_filename_component(depfile_dir ${depfile} DIRECTORY)
    # Whether a file has services decides its outputs, so re-run CMake when
    # it changes.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${abs})
    _ferry_proto_has_service(${abs} has_service)

    set(outs ${FG_OUTPUT_DIR}/${stem}.pb-c.c ${FG_OUTPUT_DIR}/${stem}.pb-c.h)
    list(APPEND sources ${FG_OUTPUT_DIR}/${stem}.pb-c.c)
    set(ferry_args "")
    if(has_service)
      list(APPEND outs ${FG_OUTPUT_DIR}/${stem}.ferry.c ${FG_OUTPUT_DIR}/${stem}.ferry.h
                       ${FG_OUTPUT_DIR}/${stem}.ferry-mock.c ${FG_OUTPUT_DIR}/${stem}.ferry-mock.h)
      list(APPEND sources ${FG_OUTPUT_DIR}/${stem}.ferry.c)
      list(APPEND mock_sources ${FG_OUTPUT_DIR}/${stem}.ferry-mock.c)
      set(ferry_args --plugin=protoc-gen-ferry=${plugin} --ferry_out=${FG_OUTPUT_DIR})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${FG_OUTPUT_DIR} ${depfile_dir}
      # protoc runs the generators in this order and stops at the first that
      # fails: ferry's plugin first, so that what protoc-c cannot generate
      # either (proto3 `optional`) gets ferry's message with file and line.
      COMMAND ${FERRY_PROTOC} ${includes}
              ${ferry_args}
              --plugin=protoc-gen-c=${FERRY_PROTOC_GEN_C} --c_out=${FG_OUTPUT_DIR}
              --dependency_out=${depfile}
              ${abs}
      DEPENDS ${abs} ${plugin_dep}
      DEPFILE ${depfile}
      COMMENT "ferry_generate: ${rel}"
      VERBATIM)
  endforeach()

  add_library(${FG_TARGET} STATIC ${sources})
  target_include_directories(${FG_TARGET} PUBLIC ${FG_OUTPUT_DIR})
  target_link_libraries(${FG_TARGET} PUBLIC ferry::ferry ferry::idl)
  # protoc-c's output is not ferry's to fix; ferry's own output must be clean.
  set(warnings ${FERRY_WARNINGS})
  if((FG_WERROR OR FERRY_GENERATE_WERROR) AND NOT "-Werror" IN_LIST warnings)
    list(APPEND warnings -Werror)
  endif()
  foreach(src ${sources} ${mock_sources})
    if(src MATCHES "\\.ferry(-mock)?\\.c$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${warnings}")
    endif()
  endforeach()

  if(mock_sources AND TARGET ferry::mock)
    add_library(${FG_TARGET}_mock STATIC EXCLUDE_FROM_ALL ${mock_sources})
    target_link_libraries(${FG_TARGET}_mock PUBLIC ${FG_TARGET} ferry::mock)
  endif()
endfunction()
