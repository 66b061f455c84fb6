// What the "pending too long" and "approved but never issued" alerts read: per handled signer,
// the age of the oldest CSR without a decision and the number approved but neither issued nor
// failed, computed from the CSR cache at scrape time (nothing to keep up to date between scrapes).
#pragma once

#include "controller/CachedCsr.h"

#include <chrono>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace csrop {

struct SignerBacklog {
  double oldestPendingAgeSeconds = 0;  // 0 when none is pending
  std::size_t approvedUnissued = 0;
};

// One entry for every name in signers, even without CSRs, so the series exist at 0. A pending
// CSR whose creationTimestamp does not parse has no age and is not counted in it.
std::map<std::string, SignerBacklog> csrBacklog(const std::vector<CachedCsr>& csrs, const std::set<std::string>& signers,
                                                std::chrono::system_clock::time_point now);

}  // namespace csrop
