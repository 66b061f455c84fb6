#include "controller/CsrBacklog.h"

#include "controller/Timestamp.h"

#include <algorithm>

namespace csrop {

std::map<std::string, SignerBacklog> csrBacklog(const std::vector<CachedCsr>& csrs, const std::set<std::string>& signers,
                                                std::chrono::system_clock::time_point now) {
  std::map<std::string, SignerBacklog> out;
  for (const auto& s : signers) out[s];
  for (const auto& c : csrs) {
    const auto it = out.find(c.csr.spec.signerName);
    if (it == out.end()) continue;
    if (c.phase == CsrPhase::Approved) ++it->second.approvedUnissued;
    if (c.phase != CsrPhase::Pending) continue;
    if (const auto created = parseRfc3339(c.csr.metadata.creationTimestamp)) {
      const double age = std::chrono::duration<double>(now - *created).count();
      it->second.oldestPendingAgeSeconds = std::max(it->second.oldestPendingAgeSeconds, age);
    }
  }
  return out;
}

}  // namespace csrop
