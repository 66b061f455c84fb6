#include "controller/CsrCleaner.h"

#include "controller/LogFormat.h"
#include "controller/Timestamp.h"
#include "controller/WriteFailures.h"

#include <spdlog/spdlog.h>

namespace csrop {

std::optional<std::string> garbageReason(const CachedCsr& cached, const GcConfig& config, std::chrono::system_clock::time_point now) {
  const auto& csr = cached.csr;
  // isOlderThan in cleaner.go: a missing timestamp is never old.
  auto olderThan = [&](const std::string& stamp, std::chrono::seconds age) {
    auto t = parseRfc3339(stamp);
    return t && *t + age < now;
  };
  auto conditionOlderThan = [&](std::string_view type, std::chrono::seconds age) {
    const auto* c = k8s::findCondition(csr, type);
    return c && olderThan(c->lastUpdateTime, age);
  };
  switch (cached.phase) {
    case CsrPhase::Issued:
      if (conditionOlderThan("Approved", config.approvedExpiration)) return "approved and issued";
      if (cached.certificateNotAfter && *cached.certificateNotAfter < now) return "issued certificate expired";
      return std::nullopt;
    case CsrPhase::Approved:
      if (conditionOlderThan("Approved", config.approvedUnissuedExpiration)) return "approved but never issued";
      return std::nullopt;
    case CsrPhase::Denied:
      if (conditionOlderThan("Denied", config.deniedExpiration)) return "denied";
      return std::nullopt;
    case CsrPhase::Failed:
      if (conditionOlderThan("Failed", config.deniedExpiration)) return "failed";
      return std::nullopt;
    case CsrPhase::Pending:
      if (olderThan(csr.metadata.creationTimestamp, config.pendingExpiration)) return "pending too long";
      return std::nullopt;
  }
  return std::nullopt;
}

int CsrCleaner::sweep(const CsrLister& csrs, std::chrono::system_clock::time_point now) {
  int deleted = 0;
  for (const auto& name : csrs.names())
    if (const auto cached = csrs.get(name); cached && sweepOne(*cached, now)) ++deleted;
  return deleted;
}

bool CsrCleaner::sweepOne(const CachedCsr& cached, std::chrono::system_clock::time_point now) {
  const auto& csr = cached.csr;
  auto reason = garbageReason(cached, config_, now);
  if (!reason) return false;
  if (csr.metadata.uid.empty()) {
    spdlog::warn("garbage collection of csr={} skipped: the cached copy has no metadata.uid to delete it by", csr.metadata.name);
    return false;
  }
  try {
    // The decision was made on a cached copy: delete only that very object in that very state, so
    // a CSR re-created under the same name, or changed since (issued, approved), is never removed.
    client_.remove<k8s::CertificateSigningRequest>(csr.metadata.name, {csr.metadata.uid, csr.metadata.resourceVersion});
    metrics_.inc(metric::kGcDeleted, {{"reason", *reason}});
    logEvent(spdlog::level::info, "garbage collected",
             {{"csr", csr.metadata.name},
              {"signer", csr.spec.signerName},
              {"requester", csr.spec.username},
              {"decision", "deleted"},
              {"reason", *reason}});
    return true;
  } catch (const std::exception& e) {
    const auto outcome = afterFailedWrite(e, {csr.metadata.name, csr.spec.signerName, "deleting the CSR", "delete", ""});
    if (outcome.retry)
      spdlog::info("garbage collection of csr={} skipped: {}; the next sweep looks again", csr.metadata.name, outcome.error);
    return false;
  }
}

}  // namespace csrop
