# Runs `cpack -G DEB` on BUILD into WORK and checks the package's control
# fields: its name, the project's version, a maintainer, and dependencies on
# the Debian runtime packages of protobuf-c, libsodium and mbed TLS (ferry's
# own nng is in the package: libdir/ferry/libnng.a beside a static libferry),
# or of nng when built with SYSTEM_NNG.
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
if(SYSTEM_NNG)
  set(nng_dep "Depends: [^\n]*libnng1")
else()
  set(nng_dep "Depends: [^\n]*libmbedtls14")
  if(fields MATCHES "libnng")
    message(FATAL_ERROR "the package depends on the system's nng:\n${fields}")
  endif()
endif()
foreach(want "Package: ferry\n" "Version: ${VERSION}-1\n" "Maintainer: [^\n]+<[^>]+@[^>]+>"
             "${nng_dep}" "Depends: [^\n]*libprotobuf-c1" "Depends: [^\n]*libsodium23")
  if(NOT fields MATCHES "${want}")
    message(FATAL_ERROR "the package's control lacks ${want}:\n${fields}")
  endif()
endforeach()
if(NOT SYSTEM_NNG AND NOT SHARED)
  execute_process(COMMAND dpkg-deb -c ${deb} OUTPUT_VARIABLE files)
  if(NOT files MATCHES "/lib/ferry/libnng\\.a\n")
    message(FATAL_ERROR "the package lacks ferry's libnng.a:\n${files}")
  endif()
endif()
file(REMOVE_RECURSE ${WORK})
