# ctest driver for cmake/CheckLayering.cmake: every rule fires on a tree with that one bad include,
# with a message naming the file, the include and the rule; allowed includes pass.
# Usage: cmake -DCSR_CHECK_SCRIPT=<CheckLayering.cmake> -DWORK_DIR=<scratch dir> -P TestLayering.cmake
cmake_policy(VERSION 3.25)

set(failures "")

# Writes `content` as `file` into a fresh tree (plus any headers it names) and runs the check.
function(run_check file content rc_out output_out)
  set(tree ${WORK_DIR}/tree)
  file(REMOVE_RECURSE ${tree})
  file(WRITE ${tree}/${file} "${content}\n")
  file(WRITE ${tree}/k8sclient/Objects.h "")
  file(WRITE ${tree}/signers/Pem.h "")
  execute_process(COMMAND ${CMAKE_COMMAND} -DCSR_SOURCE_ROOT=${tree} -P ${CSR_CHECK_SCRIPT}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX REPLACE "[ \t\r\n]+" " " joined "${out}${err}")
  set(${rc_out} ${rc} PARENT_SCOPE)
  set(${output_out} "${joined}" PARENT_SCOPE)
endfunction()

function(expect_refused file content message)
  run_check("${file}" "${content}" rc out)
  if(rc EQUAL 0)
    set(failures "${failures}\n  accepted ${file} with '${content}'" PARENT_SCOPE)
  elseif(NOT out MATCHES "${message}")
    set(failures "${failures}\n  ${file} with '${content}': expected '${message}', got: ${out}" PARENT_SCOPE)
  endif()
endfunction()

function(expect_accepted file content)
  run_check("${file}" "${content}" rc out)
  if(NOT rc EQUAL 0)
    set(failures "${failures}\n  refused ${file} with '${content}': ${out}" PARENT_SCOPE)
  endif()
endfunction()

expect_refused(k8sclient/Foo.cpp "#include \"signers/Bar.h\""
  "k8sclient/Foo.cpp includes signers/Bar.h: k8sclient must not depend on signers")
expect_refused(k8sclient/Foo.h "#include \"controller/Config.h\""
  "k8sclient/Foo.h includes controller/Config.h: k8sclient must not depend on controller")
expect_refused(k8sclient/sub/Foo.cpp "  #  include \"pki/PemFiles.h\""
  "k8sclient/sub/Foo.cpp includes pki/PemFiles.h: k8sclient must not depend on pki")
expect_refused(signers/Foo.cpp "#include \"k8sclient/Objects.h\""
  "signers/Foo.cpp includes k8sclient/Objects.h: signers must not depend on k8sclient")
expect_refused(signers/Foo.cpp "#include \"../k8sclient/Objects.h\""
  "signers/Foo.cpp includes k8sclient/Objects.h: signers must not depend on k8sclient")
expect_refused(signers/Foo.cpp "#include \"controller/Config.h\""
  "signers/Foo.cpp includes controller/Config.h: signers must not depend on controller")
expect_refused(signers/Foo.cpp "#include \"pki/PemFiles.h\""
  "signers/Foo.cpp includes pki/PemFiles.h: signers must not depend on pki")
expect_refused(signers/Foo.cpp "#include <cpprest/http_client.h>"
  "signers/Foo.cpp includes <cpprest/http_client.h>: signers must not depend on cpprest")
expect_refused(signers/Foo.h "#include <boost/beast/http.hpp>"
  "signers/Foo.h includes <boost/beast/http.hpp>: signers must not depend on boost")
expect_refused(pki/Foo.cpp "#include \"controller/Config.h\""
  "pki/Foo.cpp includes controller/Config.h: pki must not depend on controller")
expect_refused(pki/Foo.cpp "#include \"k8sclient/Objects.h\""
  "pki/Foo.cpp includes k8sclient/Objects.h: pki must not depend on k8sclient")

expect_accepted(pki/Foo.cpp "#include \"signers/Pem.h\"")
expect_accepted(signers/Foo.cpp "#include \"Pem.h\"\n#include <openssl/x509.h>")
expect_accepted(k8sclient/Foo.cpp "#include \"k8sclient/Objects.h\"\n#include <cpprest/http_client.h>")
expect_accepted(controller/Foo.cpp "#include \"signers/Pem.h\"\n#include \"k8sclient/Objects.h\"\n#include <boost/asio.hpp>")
# A comment naming another module is not an include.
expect_accepted(k8sclient/Foo.cpp "// see signers/Pem.h")

file(REMOVE_RECURSE ${WORK_DIR}/tree)
if(failures)
  message(FATAL_ERROR "CheckLayering.cmake:${failures}")
endif()
