# encode_reference.cmake - protoc's own encoding of a text-format sample:
# the reference bytes test_textfmt.c compares protoc-gen-ferry's encoder with.
#
#   cmake -DPROTOC=... -DINCLUDE=<dir> -DPROTO=<file.proto> -DTYPE=<pkg.Message>
#         -DIN=<sample.txt> -DOUT=<sample.bin> -P encode_reference.cmake
cmake_minimum_required(VERSION 3.20)
execute_process(
  COMMAND ${PROTOC} -I${INCLUDE} --encode=${TYPE} ${PROTO}
  INPUT_FILE ${IN}
  OUTPUT_FILE ${OUT}
  RESULT_VARIABLE rc
  ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT})
  message(FATAL_ERROR "protoc --encode=${TYPE} failed on ${IN}:\n${err}")
endif()
