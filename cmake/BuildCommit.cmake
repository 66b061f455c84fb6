# Writes OUT (a header defining CSR_OPERATOR_COMMIT) from COMMIT, else from `git rev-parse` of
# SOURCE_DIR, else "unknown" (a source tarball, or the image build, whose context has no .git:
# the Dockerfile passes COMMIT). The file is rewritten only when its content changes, so a build
# at the same commit recompiles nothing. Run at every build by the build_commit target.
if(NOT COMMIT)
  execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT COMMIT)
    set(COMMIT unknown)
  endif()
endif()
set(content "#define CSR_OPERATOR_COMMIT \"${COMMIT}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
