// `csr-operator explain`: every check of the approval policy for one CSR, with its result, and the
// verdict `run` would reach, computed by the policies run builds (ApprovalPolicies.h) through the
// same steps as CsrApprover (policyFor, withDenyMode), and writing nothing. The CSR comes from the
// cluster by name (with the Nodes and identity sources as run reads them), or from a file with
// Nodes from files (FileNodeIdentity.h). Exit codes, as `kubectl auth can-i` answers yes with 0
// and no with 1: 0 approve, 1 deny, 3 neither (retry, skip, no policy, not pending), 4 explain
// could not run (configuration, files, API server); usage errors are 2 (Commands.h).
#pragma once

#include "controller/CommandLine.h"

#include <ostream>

namespace csrop {

inline constexpr int kExplainUndecided = 3;
inline constexpr int kExplainFailed = 4;

int runExplain(const CommandLine& cli, std::ostream& out, std::ostream& err);

}  // namespace csrop
