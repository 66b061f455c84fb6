// What a failed write to the API server means, decided in one place for every step that writes
// (approver, signer, garbage collection, leader election): the object changed under us, it is
// gone, we lack a permission (which retrying will not fix, so it is logged with the grant that
// does), or anything else, which is worth retrying.
#pragma once

#include "controller/SyncResult.h"

#include <exception>
#include <string>
#include <string_view>

namespace csrop {

enum class WriteFailure { Conflict, NotFound, Forbidden, Transient };

WriteFailure classifyWriteFailure(const std::exception& e);

// A write to a CSR by a reconcile step, for the log and the retry message.
struct CsrWrite {
  std::string_view csr;
  std::string_view signer;
  std::string_view doing;        // "writing the decision", "writing the certificate", "deleting the CSR"
  std::string_view verb;         // the RBAC verb: on the signer for a subresource, else on the CSRs
  std::string_view subresource;  // "approval", "status", or empty for the object itself
};

// The RBAC rule an operator must grant when the API server answers 403 to this write.
std::string missingPermissionHint(const CsrWrite& write);

// A conflict or a transient error retries; a CSR that is gone is done; a missing permission is
// logged as an error with missingPermissionHint and retried (the grant may come).
SyncResult afterFailedWrite(const std::exception& e, const CsrWrite& write);

}  // namespace csrop
