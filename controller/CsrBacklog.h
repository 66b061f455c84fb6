// What the "pending too long" and "approved but never issued" alerts read: per handled signer,
// the age of the oldest CSR without a decision and the number approved but neither issued nor
// failed. Kept up to date from the CSR informers' events, so a scrape reads a few counters: it used
// to decode every cached CSR at each scrape, which with 10,000 CSRs cached cost more memory than
// the cache itself (tens of MiB of JSON trees for a moment) and CPU that grew with the cache.
// Only CSRs in those two phases are tracked; decided ones cost nothing here. Thread-safe.
#pragma once

#include "controller/CachedCsr.h"

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace csrop {

struct SignerBacklog {
  double oldestPendingAgeSeconds = 0;  // 0 when none is pending
  std::size_t approvedUnissued = 0;
};

class CsrBacklog {
 public:
  // Signers outside this set are not tracked; every one in it has an entry in bySigner().
  explicit CsrBacklog(const std::set<std::string>& signers);

  // The CSR's current state (added, or changed); a pending CSR whose creationTimestamp does not
  // parse counts in no age.
  void update(const CachedCsr& csr);
  void remove(const std::string& name);

  // One entry for every handled signer, even without CSRs, so the series exist at 0.
  std::map<std::string, SignerBacklog> bySigner(std::chrono::system_clock::time_point now) const;

 private:
  using Created = std::optional<std::chrono::system_clock::time_point>;
  struct Signer {
    std::multiset<std::chrono::system_clock::time_point> pendingCreated;
    std::size_t approvedUnissued = 0;
  };
  struct Tracked {
    Signer* signer;
    CsrPhase phase;
    Created created;
  };
  void forgetLocked(std::unordered_map<std::string, Tracked>::iterator it);

  mutable std::mutex mu_;
  std::map<std::string, Signer> signers_;  // keys fixed at construction, so Signer* stays valid
  std::unordered_map<std::string, Tracked> byName_;
};

}  // namespace csrop
