#include "controller/WriteFailures.h"

#include "k8sclient/ApiError.h"

#include <spdlog/spdlog.h>

namespace csrop {

WriteFailure classifyWriteFailure(const std::exception& e) {
  // AlreadyExists (a create that lost the race) is a 409 too: another writer was first.
  if (k8s::isConflict(e) || k8s::isAlreadyExists(e)) return WriteFailure::Conflict;
  if (k8s::isNotFound(e)) return WriteFailure::NotFound;
  if (k8s::isForbidden(e)) return WriteFailure::Forbidden;
  return WriteFailure::Transient;
}

std::string missingPermissionHint(const CsrWrite& write) {
  if (write.subresource.empty())
    return "csr-operator is not allowed to " + std::string(write.verb) +
           " certificatesigningrequests; grant it on certificates.k8s.io certificatesigningrequests (see deploy/rbac.yaml)";
  return "csr-operator is not allowed to write certificatesigningrequests/" + std::string(write.subresource) +
         "; grant update on that subresource and verb '" + std::string(write.verb) +
         "' on certificates.k8s.io signers with resourceNames [" + std::string(write.signer) + "] (see deploy/rbac.yaml)";
}

SyncResult afterFailedWrite(const std::exception& e, const CsrWrite& write) {
  switch (classifyWriteFailure(e)) {
    case WriteFailure::Conflict:
      return SyncResult::again("the CSR changed while " + std::string(write.doing) + "; trying again on its new version");
    case WriteFailure::NotFound: return SyncResult::done();
    case WriteFailure::Forbidden:
      spdlog::error("permission missing: csr={} signer={} {}: {}", write.csr, write.signer, missingPermissionHint(write), e.what());
      break;
    case WriteFailure::Transient: break;
  }
  return SyncResult::again(std::string(write.doing) + " failed: " + e.what());
}

}  // namespace csrop
