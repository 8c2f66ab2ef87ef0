# Installs ferry from BUILD into a temp prefix under WORK, then runs the
# installed `ferry new service` and `ferry new client` (a client of the
# service just written) and configures, builds (warnings are errors in what
# they write) and tests each project against the installed ferry, as a user
# starting a service does.
# Invoked by ctest (tests/install/CMakeLists.txt).
include(${CMAKE_CURRENT_LIST_DIR}/helpers.cmake)
file(REMOVE_RECURSE ${WORK})
ferry_run("installing ferry" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix)
set(ferry ${WORK}/prefix/bin/ferry)

ferry_run("ferry new service" ${ferry} new service notes --package notes.v1 --dir ${WORK}/notes)
ferry_run("ferry new client" ${ferry} new client reader
          --proto ${WORK}/notes/proto/notes/v1/notes.proto --dir ${WORK}/reader)
foreach(project notes reader)
  ferry_run("configuring the ${project} project"
            ${CMAKE_COMMAND} -S ${WORK}/${project} -B ${WORK}/${project}/build
            -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_C_COMPILER=${CC})
  ferry_run("building the ${project} project"
            ${CMAKE_COMMAND} --build ${WORK}/${project}/build --parallel 2)
  ferry_run("the ${project} project's tests"
            ${CMAKE_CTEST_COMMAND} --test-dir ${WORK}/${project}/build --output-on-failure)
endforeach()
# Each project says how it is built and tested, and ignores its build.
foreach(project notes reader)
  file(READ ${WORK}/${project}/README.md readme)
  if(NOT readme MATCHES "cmake -S \\. -B build -DCMAKE_PREFIX_PATH=${WORK}/prefix")
    message(FATAL_ERROR "${project}/README.md lacks the configure command:\n${readme}")
  endif()
  file(READ ${WORK}/${project}/.gitignore ignore)
  if(NOT ignore STREQUAL "/build/\n")
    message(FATAL_ERROR "${project}/.gitignore: ${ignore}")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
