# Runs cmake/CheckLayering.cmake over the project's sources when configuring, and again at build
# time whenever a source of k8sclient/, signers/ or pki/ changes, before those libraries compile.
set(CSR_SOURCE_ROOT ${PROJECT_SOURCE_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/CheckLayering.cmake)

file(GLOB_RECURSE _csr_layered_sources CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/k8sclient/*.h ${PROJECT_SOURCE_DIR}/k8sclient/*.cpp
  ${PROJECT_SOURCE_DIR}/signers/*.h ${PROJECT_SOURCE_DIR}/signers/*.cpp
  ${PROJECT_SOURCE_DIR}/pki/*.h ${PROJECT_SOURCE_DIR}/pki/*.cpp)
set(_csr_layering_stamp ${CMAKE_BINARY_DIR}/layering.checked)
add_custom_command(
  OUTPUT ${_csr_layering_stamp}
  COMMAND ${CMAKE_COMMAND} -DCSR_SOURCE_ROOT=${PROJECT_SOURCE_DIR} -P ${CMAKE_CURRENT_LIST_DIR}/CheckLayering.cmake
  COMMAND ${CMAKE_COMMAND} -E touch ${_csr_layering_stamp}
  DEPENDS ${_csr_layered_sources} ${CMAKE_CURRENT_LIST_DIR}/CheckLayering.cmake
  COMMENT "Checking the include layering of k8sclient/, signers/ and pki/"
  VERBATIM)
add_custom_target(csr_layering DEPENDS ${_csr_layering_stamp})
foreach(_csr_module k8sclient signers pki)
  if(TARGET ${_csr_module})
    add_dependencies(${_csr_module} csr_layering)
  endif()
endforeach()
