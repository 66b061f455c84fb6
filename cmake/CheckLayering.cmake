# Fails when a module includes one it must not depend on (README "Layout"): k8sclient/ knows
# nothing about certificates, signers/ nothing about HTTP or Kubernetes, pki/ is built on signers/
# only. The include root is the project root, so per-target include directories cannot enforce this;
# the include lines are read instead.
#
# Script mode: cmake -DCSR_SOURCE_ROOT=<tree> -P cmake/CheckLayering.cmake
# From a CMakeLists.txt: set CSR_SOURCE_ROOT and include() this file.

cmake_policy(VERSION 3.25)

# module -> what it must not include: a project folder ("signers") or a library (<cpprest/...>).
set(_csr_forbidden_k8sclient signers controller pki)
set(_csr_forbidden_signers k8sclient controller pki <cpprest> <boost>)
set(_csr_forbidden_pki controller k8sclient)

# The project-relative path a quoted include names: relative to the including file when that file
# exists (as the compiler looks first), else relative to the project root.
function(_csr_resolve_include root including included out)
  get_filename_component(dir "${root}/${including}" DIRECTORY)
  if(EXISTS "${dir}/${included}")
    file(REAL_PATH "${dir}/${included}" absolute)
    file(REAL_PATH "${root}" realRoot)
    file(RELATIVE_PATH relative "${realRoot}" "${absolute}")
    set(${out} "${relative}" PARENT_SCOPE)
  else()
    set(${out} "${included}" PARENT_SCOPE)
  endif()
endfunction()

function(csr_check_layering root)
  set(problems "")
  foreach(module k8sclient signers pki)
    file(GLOB_RECURSE sources RELATIVE "${root}" "${root}/${module}/*.h" "${root}/${module}/*.cpp")
    foreach(source ${sources})
      file(STRINGS "${root}/${source}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
      foreach(line ${lines})
        if(NOT line MATCHES "include[ \t]*([<\"])([^>\"]+)[>\"]")
          continue()
        endif()
        set(delimiter "${CMAKE_MATCH_1}")
        set(included "${CMAKE_MATCH_2}")
        if(delimiter STREQUAL "<")
          string(REGEX REPLACE "/.*" "" library "${included}")
          if("<${library}>" IN_LIST _csr_forbidden_${module})
            list(APPEND problems "${source} includes <${included}>: ${module} must not depend on ${library}")
          endif()
        else()
          _csr_resolve_include("${root}" "${source}" "${included}" target)
          string(REGEX REPLACE "/.*" "" folder "${target}")
          if(target MATCHES "/" AND folder IN_LIST _csr_forbidden_${module})
            list(APPEND problems "${source} includes ${target}: ${module} must not depend on ${folder}")
          endif()
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "layering violated (rules in cmake/CheckLayering.cmake, README \"Layout\"; move the code to a module allowed to depend on both, e.g. controller/):\n  ${text}")
  endif()
endfunction()

if(NOT CSR_SOURCE_ROOT)
  message(FATAL_ERROR "CheckLayering.cmake: set CSR_SOURCE_ROOT to the tree to check (-DCSR_SOURCE_ROOT=DIR)")
endif()
csr_check_layering("${CSR_SOURCE_ROOT}")
