# run_protoc.cmake - drives protoc and protoc-gen-ferry for the codegen tests.
#
#   cmake -DMODE=<mode> -DPROTOC=... -DPLUGIN=... -DWORK=<temp dir> [...] -P run_protoc.cmake
#
# Modes:
#   golden       generate ROOT/PROTO into WORK and compare every file with
#                EXPECTED/ byte for byte (UPDATE=1 rewrites EXPECTED/ instead)
#   determinism  generate PROTOS (separated by '|', below ROOT) twice, into two
#                directories, and compare them
#   alone        generate PROTO alone, then after BEFORE (separated by '|') on
#                the same command line, and compare the files of PROTO
#   reject       generate ROOT/PROTO (with PARAM, if given); protoc must fail,
#                its stderr must contain EXPECT (and EXPECT2), and no ferry file
#                may be written
#   garbage      feed the plugin INPUT ("text", "empty" or "truncated") on
#                stdin; it must exit 1 with EXPECT on stderr
# IMPORTS is a '|'-separated list of extra -I directories. WORK is removed at
# the start and, when the test passes, at the end.
cmake_minimum_required(VERSION 3.20)

foreach(var MODE PROTOC PLUGIN WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_protoc.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

string(REPLACE "|" ";" import_dirs "${IMPORTS}")
set(includes "")
foreach(dir ${ROOT} ${import_dirs})
  list(APPEND includes -I${dir})
endforeach()

# Runs protoc with protoc-gen-ferry on `protos` into `out`; sets rc and err.
function(generate out param protos)
  file(MAKE_DIRECTORY ${out})
  set(target ${out})
  if(param)
    set(target "${param}:${out}")
  endif()
  execute_process(
    COMMAND ${PROTOC} ${includes} --plugin=protoc-gen-ferry=${PLUGIN} --ferry_out=${target}
            ${protos}
    RESULT_VARIABLE result
    ERROR_VARIABLE stderr)
  set(rc ${result} PARENT_SCOPE)
  set(err "${stderr}" PARENT_SCOPE)
endfunction()

# Fails the test with a diff of the two files when they differ.
function(expect_same_file expected actual hint)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${expected} ${actual}
                  RESULT_VARIABLE differ)
  if(differ)
    find_program(DIFF diff)
    if(DIFF) # straight to the test's output, unformatted
      execute_process(COMMAND ${DIFF} -u ${expected} ${actual})
    endif()
    message(FATAL_ERROR "${actual} differs from ${expected}${hint}")
  endif()
endfunction()

# Relative names of the files under `dir`, sorted.
function(list_files dir out_var)
  file(GLOB_RECURSE files RELATIVE ${dir} ${dir}/*)
  list(SORT files)
  set(${out_var} "${files}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "golden")
  generate(${WORK}/out "" ${PROTO})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "protoc failed (${rc}):\n${err}")
  endif()
  list_files(${WORK}/out generated)
  if(UPDATE)
    file(GLOB old ${EXPECTED}/*)
    if(old)
      file(REMOVE ${old})
    endif()
    foreach(f ${generated})
      configure_file(${WORK}/out/${f} ${EXPECTED}/${f} COPYONLY)
      message(STATUS "updated ${f}")
    endforeach()
  else()
    list_files(${EXPECTED} expected)
    if(NOT generated STREQUAL expected)
      message(FATAL_ERROR "generated files [${generated}] but expected [${expected}]")
    endif()
    foreach(f ${expected})
      expect_same_file(${EXPECTED}/${f} ${WORK}/out/${f}
                       "\n(if the change is intended, run tests/codegen/update-golden.sh)")
    endforeach()
  endif()

elseif(MODE STREQUAL "determinism")
  string(REPLACE "|" ";" protos "${PROTOS}")
  foreach(run a b)
    generate(${WORK}/${run} "" "${protos}")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "protoc failed (${rc}) in run ${run}:\n${err}")
    endif()
  endforeach()
  list_files(${WORK}/a files_a)
  list_files(${WORK}/b files_b)
  if(NOT files_a)
    message(FATAL_ERROR "nothing was generated")
  endif()
  if(NOT files_a STREQUAL files_b)
    message(FATAL_ERROR "the runs wrote different files: [${files_a}] and [${files_b}]")
  endif()
  foreach(f ${files_a})
    expect_same_file(${WORK}/a/${f} ${WORK}/b/${f} "")
  endforeach()

elseif(MODE STREQUAL "alone")
  generate(${WORK}/alone "" ${PROTO})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "protoc failed (${rc}) on ${PROTO} alone:\n${err}")
  endif()
  string(REPLACE "|" ";" before "${BEFORE}")
  generate(${WORK}/after "" "${before};${PROTO}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "protoc failed (${rc}) on ${before} ${PROTO}:\n${err}")
  endif()
  list_files(${WORK}/alone files)
  if(NOT files)
    message(FATAL_ERROR "nothing was generated")
  endif()
  foreach(f ${files})
    expect_same_file(${WORK}/alone/${f} ${WORK}/after/${f}
                     "\n(the files before ${PROTO} on protoc's command line changed its output)")
  endforeach()

elseif(MODE STREQUAL "reject")
  generate(${WORK}/out "${PARAM}" ${PROTO})
  if(rc EQUAL 0)
    message(FATAL_ERROR "protoc accepted ${PROTO}; expected it to fail with: ${EXPECT}")
  endif()
  foreach(want EXPECT EXPECT2)
    if(DEFINED ${want})
      string(FIND "${err}" "${${want}}" at)
      if(at EQUAL -1)
        message(FATAL_ERROR "stderr lacks \"${${want}}\"; it was:\n${err}")
      endif()
    endif()
  endforeach()
  file(GLOB_RECURSE written ${WORK}/out/*.ferry.*)
  if(written)
    message(FATAL_ERROR "files were written despite the error: ${written}")
  endif()

elseif(MODE STREQUAL "garbage")
  set(input ${WORK}/stdin)
  if(INPUT STREQUAL "text")
    file(WRITE ${input} "this is not a CodeGeneratorRequest\n")
  elseif(INPUT STREQUAL "empty")
    file(WRITE ${input} "")
  elseif(INPUT STREQUAL "truncated")
    # The first bytes of a request: field 1 (file_to_generate), length 40,
    # then only 4 of the 40 bytes.
    string(ASCII 10 40 tag_and_len)
    file(WRITE ${input} "${tag_and_len}echo")
  else()
    message(FATAL_ERROR "run_protoc.cmake: unknown INPUT ${INPUT}")
  endif()
  execute_process(COMMAND ${PLUGIN} INPUT_FILE ${input} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 1)
    message(FATAL_ERROR "the plugin exited with ${rc}, expected 1; stderr:\n${err}")
  endif()
  string(FIND "${err}" "${EXPECT}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stderr lacks \"${EXPECT}\"; it was:\n${err}")
  endif()
  if(NOT out STREQUAL "")
    message(FATAL_ERROR "the plugin wrote to stdout despite failing")
  endif()

else()
  message(FATAL_ERROR "run_protoc.cmake: unknown MODE ${MODE}")
endif()

file(REMOVE_RECURSE ${WORK})
