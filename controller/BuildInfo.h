// What this binary was built from, for csr_operator_build_info{version,commit}. The commit is
// generated into one small source file (cmake/BuildCommit.cmake), not a global definition, so
// a new commit recompiles BuildInfo.cpp only.
#pragma once

#include <string_view>

namespace csrop {

std::string_view buildVersion();
// 12 hex digits, or "unknown" when built outside a git checkout without -DCSR_OPERATOR_COMMIT.
std::string_view buildCommit();

}  // namespace csrop
