# Runs `cpack -G DEB` on BUILD into WORK and checks the package's control
# fields: its name, the project's version, a maintainer, and dependencies on
# the Debian runtime packages of nng, protobuf-c and libsodium.
# Invoked by ctest (tests/install/CMakeLists.txt).
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CPACK} -G DEB --config ${BUILD}/CPackConfig.cmake -B ${WORK}
                RESULT_VARIABLE rv OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rv)
  message(FATAL_ERROR "cpack -G DEB failed: ${out}")
endif()
file(GLOB deb ${WORK}/ferry_${VERSION}-1_*.deb)
if(NOT deb)
  message(FATAL_ERROR "no ferry_${VERSION}-1_<arch>.deb in: ${out}")
endif()
execute_process(COMMAND dpkg-deb -f ${deb} Package Version Maintainer Depends
                RESULT_VARIABLE rv OUTPUT_VARIABLE fields)
if(rv)
  message(FATAL_ERROR "dpkg-deb cannot read ${deb}")
endif()
foreach(want "Package: ferry\n" "Version: ${VERSION}-1\n" "Maintainer: [^\n]+<[^>]+@[^>]+>"
             "Depends: [^\n]*libnng1" "Depends: [^\n]*libprotobuf-c1" "Depends: [^\n]*libsodium23")
  if(NOT fields MATCHES "${want}")
    message(FATAL_ERROR "the package's control lacks ${want}:\n${fields}")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
