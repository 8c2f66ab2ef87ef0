# ferry_generate(): turn .proto files with services into a C library target.
#
#   ferry_generate(TARGET inventory_v1
#                  PROTOS idl/examples/inventory/v1/inventory.proto
#                  [PROTO_ROOT idl]             # the -I root the PROTOS are named from
#                  [IMPORT_DIRS dir ...]        # more -I directories
#                  [OUTPUT_DIR dir]             # default: ${CMAKE_CURRENT_BINARY_DIR}/<TARGET>
#                  [MOCK])                      # also build <TARGET>_mock from .ferry-mock.c
#
# For each file it runs protoc with protoc-c (<name>.pb-c.h/.c) and
# protoc-gen-ferry (<name>.ferry.h/.c; with MOCK also <name>.ferry-mock.h/.c),
# and builds a static library TARGET from the results, linked to libferry.
# Outputs keep the path of the .proto below PROTO_ROOT, so a file that imports
# "inventory/v1/inventory.proto" includes "inventory/v1/inventory.pb-c.h".
# ferry's own IDL (ferry/options.proto) is always on the import path.

set(FERRY_IDL_DIR ${CMAKE_CURRENT_LIST_DIR}/../idl CACHE INTERNAL "ferry's own .proto files")

function(ferry_generate)
  cmake_parse_arguments(FG "MOCK" "TARGET;PROTO_ROOT;OUTPUT_DIR" "PROTOS;IMPORT_DIRS" ${ARGN})
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

  if(TARGET protoc-gen-ferry)
    set(plugin $<TARGET_FILE:protoc-gen-ferry>)
    set(plugin_dep protoc-gen-ferry)
  else()
    find_program(FERRY_PLUGIN protoc-gen-ferry REQUIRED)
    set(plugin ${FERRY_PLUGIN})
    set(plugin_dep ${FERRY_PLUGIN})
  endif()

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
    set(outs ${FG_OUTPUT_DIR}/${stem}.pb-c.c ${FG_OUTPUT_DIR}/${stem}.pb-c.h
             ${FG_OUTPUT_DIR}/${stem}.ferry.c ${FG_OUTPUT_DIR}/${stem}.ferry.h)
    set(ferry_out ${FG_OUTPUT_DIR})
    if(FG_MOCK)
      list(APPEND outs ${FG_OUTPUT_DIR}/${stem}.ferry-mock.c ${FG_OUTPUT_DIR}/${stem}.ferry-mock.h)
      set(ferry_out "mock:${FG_OUTPUT_DIR}")
      list(APPEND mock_sources ${FG_OUTPUT_DIR}/${stem}.ferry-mock.c)
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${FG_OUTPUT_DIR}
      COMMAND ${FERRY_PROTOC} ${includes}
              --plugin=protoc-gen-c=${FERRY_PROTOC_GEN_C} --c_out=${FG_OUTPUT_DIR}
              --plugin=protoc-gen-ferry=${plugin} --ferry_out=${ferry_out}
              ${abs}
      DEPENDS ${abs} ${plugin_dep}
      COMMENT "ferry_generate: ${rel}"
      VERBATIM)
    list(APPEND sources ${FG_OUTPUT_DIR}/${stem}.pb-c.c ${FG_OUTPUT_DIR}/${stem}.ferry.c)
  endforeach()

  add_library(${FG_TARGET} STATIC ${sources})
  target_include_directories(${FG_TARGET} PUBLIC ${FG_OUTPUT_DIR})
  target_link_libraries(${FG_TARGET} PUBLIC ferry ferry_idl)
  # protoc-c's output is not ferry's to fix; ferry's own output must be clean.
  foreach(src ${sources})
    if(src MATCHES "\\.ferry\\.c$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "${FERRY_WARNINGS}")
    endif()
  endforeach()

  if(FG_MOCK)
    add_library(${FG_TARGET}_mock STATIC ${mock_sources})
    target_link_libraries(${FG_TARGET}_mock PUBLIC ${FG_TARGET} PkgConfig::CMOCKA)
    target_compile_options(${FG_TARGET}_mock PRIVATE ${FERRY_WARNINGS})
  endif()
endfunction()
