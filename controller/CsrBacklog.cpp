#include "controller/CsrBacklog.h"

#include "controller/Timestamp.h"

#include <algorithm>

namespace csrop {

CsrBacklog::CsrBacklog(const std::set<std::string>& signers) {
  for (const auto& s : signers) signers_[s];
}

void CsrBacklog::forgetLocked(std::unordered_map<std::string, Tracked>::iterator it) {
  auto& [signer, phase, created] = it->second;
  if (phase == CsrPhase::Approved) --signer->approvedUnissued;
  if (phase == CsrPhase::Pending && created) signer->pendingCreated.erase(signer->pendingCreated.find(*created));
  byName_.erase(it);
}

void CsrBacklog::update(const CachedCsr& csr) {
  const auto& name = csr.csr.metadata.name;
  std::lock_guard lock(mu_);
  if (auto it = byName_.find(name); it != byName_.end()) forgetLocked(it);
  const auto signer = signers_.find(csr.csr.spec.signerName);
  if (signer == signers_.end() || (csr.phase != CsrPhase::Pending && csr.phase != CsrPhase::Approved)) return;
  Created created;
  if (csr.phase == CsrPhase::Pending) {
    created = parseRfc3339(csr.csr.metadata.creationTimestamp);
    if (created) signer->second.pendingCreated.insert(*created);
  } else {
    ++signer->second.approvedUnissued;
  }
  byName_.emplace(name, Tracked{&signer->second, csr.phase, created});
}

void CsrBacklog::remove(const std::string& name) {
  std::lock_guard lock(mu_);
  if (auto it = byName_.find(name); it != byName_.end()) forgetLocked(it);
}

std::map<std::string, SignerBacklog> CsrBacklog::bySigner(std::chrono::system_clock::time_point now) const {
  std::lock_guard lock(mu_);
  std::map<std::string, SignerBacklog> out;
  for (const auto& [name, s] : signers_) {
    auto& b = out[name];
    b.approvedUnissued = s.approvedUnissued;
    if (!s.pendingCreated.empty())
      b.oldestPendingAgeSeconds = std::max(0.0, std::chrono::duration<double>(now - *s.pendingCreated.begin()).count());
  }
  return out;
}

}  // namespace csrop
