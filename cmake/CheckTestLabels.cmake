# Every test carries exactly one layer label, so `ctest -L unit` (or integration, chart, fuzz)
# selects one layer and the layers together select every test.
#   unit         one process, no built binary started (fakes, local servers in-process)
#   integration  starts built binaries: fake-apiserver, csr-operator, the demo
#   chart        helm over charts/ and the generated manifests
#   fuzz         libFuzzer corpus replays (CSR_FUZZ builds)
#   soak         minutes-long runs of built binaries under faults (tests/soak); the release and
#                sanitizer stages of scripts/test.sh run them, --stress does not
# Other labels (parity, fidelity) may be added on top. Tests of executables not built yet
# (doctest's <target>_NOT_BUILT placeholders) are skipped.
# Usage: cmake -DBUILD_DIR=<build tree> -DCTEST=<ctest> -P cmake/CheckTestLabels.cmake
cmake_policy(VERSION 3.25)

set(layers unit integration chart fuzz soak)

# Names of the tests `ctest -N args...` lists in BUILD_DIR.
function(list_tests out)
  execute_process(COMMAND ${CTEST} -N -E "_NOT_BUILT" ${ARGN} WORKING_DIRECTORY ${BUILD_DIR}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ctest -N ${ARGN} failed in ${BUILD_DIR}: ${err}")
  endif()
  string(REGEX MATCHALL "Test +#[0-9]+: [^\n]+" entries "${text}")
  set(names "")
  foreach(entry ${entries})
    string(REGEX REPLACE "^Test +#[0-9]+: " "" name "${entry}")
    list(APPEND names "${name}")
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

list(JOIN layers "|" alternatives)
list_tests(all)
list_tests(unlabelled -LE "^(${alternatives})$")
set(labelled "")
foreach(layer ${layers})
  list_tests(inLayer -L "^${layer}$")
  list(APPEND labelled ${inLayer})
endforeach()

# A name listed under two layers appears twice in a row once sorted.
list(SORT labelled)
set(twice "")
set(previous "")
foreach(name ${labelled})
  if(name STREQUAL previous)
    list(APPEND twice "${name}")
  endif()
  set(previous "${name}")
endforeach()
list(REMOVE_DUPLICATES twice)

list(LENGTH all total)
if(total EQUAL 0)
  message(FATAL_ERROR "ctest lists no tests in ${BUILD_DIR}: nothing was checked")
endif()
set(problems "")
foreach(name ${unlabelled})
  string(APPEND problems "\n  ${name}: no layer label")
endforeach()
foreach(name ${twice})
  string(APPEND problems "\n  ${name}: more than one layer label")
endforeach()
if(problems)
  list(JOIN layers ", " names)
  message(FATAL_ERROR "Each test needs exactly one of the labels ${names} (set LABELS in its "
                      "tests/*/CMakeLists.txt; layers described in cmake/CheckTestLabels.cmake):${problems}")
endif()
message(STATUS "${total} tests, each with one layer label")
