#include "controller/CsrCleaner.h"

#include "controller/Timestamp.h"

#include "k8sclient/ApiError.h"

#include <spdlog/spdlog.h>

namespace csrop {

std::optional<std::string> garbageReason(const k8s::CertificateSigningRequest& csr, const GcConfig& config,
                                         std::chrono::system_clock::time_point now,
                                         const std::function<bool(const std::string& pem)>& certificateExpired) {
  // isOlderThan in cleaner.go: a missing timestamp is never old.
  auto olderThan = [&](const std::string& stamp, std::chrono::seconds age) {
    auto t = parseRfc3339(stamp);
    return t && *t + age < now;
  };
  const auto* approved = k8s::hasCondition(csr, "Approved") ? k8s::findCondition(csr, "Approved") : nullptr;
  const auto* denied = k8s::hasCondition(csr, "Denied") ? k8s::findCondition(csr, "Denied") : nullptr;
  const auto* failed = k8s::hasCondition(csr, "Failed") ? k8s::findCondition(csr, "Failed") : nullptr;
  const bool issued = !csr.status.certificate.empty();
  if (approved && issued && olderThan(approved->lastUpdateTime, config.approvedExpiration)) return "approved and issued";
  if (approved && issued && certificateExpired(csr.status.certificate)) return "issued certificate expired";
  if (approved && !issued && !denied && !failed && olderThan(approved->lastUpdateTime, config.approvedUnissuedExpiration))
    return "approved but never issued";
  if (denied && olderThan(denied->lastUpdateTime, config.deniedExpiration)) return "denied";
  if (failed && olderThan(failed->lastUpdateTime, config.deniedExpiration)) return "failed";
  if (csr.status.conditions.empty() && olderThan(csr.metadata.creationTimestamp, config.pendingExpiration)) return "pending too long";
  return std::nullopt;
}

int CsrCleaner::sweep(const std::vector<k8s::CertificateSigningRequest>& csrs) {
  int deleted = 0;
  const auto now = std::chrono::system_clock::now();
  for (const auto& csr : csrs) {
    auto reason = garbageReason(csr, config_, now, certificateExpired_);
    if (!reason) continue;
    if (csr.metadata.uid.empty()) {
      spdlog::warn("garbage collection of csr={} skipped: the cached copy has no metadata.uid to delete it by", csr.metadata.name);
      continue;
    }
    try {
      // The decision was made on a cached copy: delete only that very object in that very state, so
      // a CSR re-created under the same name, or changed since (issued, approved), is never removed.
      client_.remove<k8s::CertificateSigningRequest>(csr.metadata.name, {csr.metadata.uid, csr.metadata.resourceVersion});
      ++deleted;
      metrics_.inc(metric::kGcDeleted, {{"reason", *reason}});
      spdlog::info("garbage collected csr={} signer={} requester={} decision=deleted reason=\"{}\"", csr.metadata.name,
                   csr.spec.signerName, csr.spec.username, *reason);
    } catch (const std::exception& e) {
      if (k8s::isConflict(e))
        spdlog::info("garbage collection of csr={} skipped: it changed since it was cached ({}); the next sweep looks again",
                     csr.metadata.name, e.what());
      else if (!k8s::isNotFound(e)) spdlog::warn("garbage collection of csr={} failed: {}", csr.metadata.name, e.what());
    }
  }
  return deleted;
}

}  // namespace csrop
