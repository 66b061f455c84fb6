// The flood guard's view of the CSR cache: for each (signer, requester), that requester's CSRs
// ordered by creation. A pending CSR is handled only while it is among the requester's newest
// maxPerRequester CSRs for that signer; older pending ones are left alone (no write), so a
// requester flooding a signer with CSRs gets a bounded amount of work done for it, and never delays
// another requester's CSRs (the work queue handles every name on its own; no pass stops at the
// first failure). Decided CSRs keep their rank, so deciding the newest does not pull the flood in
// behind them; only deleting one (the requester, or garbage collection) lets an older one move up.
// Updated from informer events in O(log n) of that requester's CSR count; thread-safe.
// A CSR without a parsable creationTimestamp ranks oldest.
#pragma once

#include "k8sclient/Objects.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace csrop {

// Pending: no Approved, Denied or Failed condition and no certificate.
class PendingIndex {
 public:
  explicit PendingIndex(std::size_t maxPerRequester) : max_(maxPerRequester) {}

  // Records the CSR's current state (added, or its conditions changed).
  void update(const k8s::CertificateSigningRequest& csr);
  // Forgets a deleted CSR. Returns the pending CSR that moved into its requester's handled window
  // because of it: the caller enqueues it.
  std::optional<std::string> remove(const std::string& name);

  struct Standing {
    bool handled = true;      // not pending, or among the requester's newest maxPerRequester
    std::size_t pending = 0;  // how many the requester has pending for this signer
  };
  Standing standing(const std::string& name) const;

  std::map<std::string, std::size_t> pendingBySigner() const;
  std::size_t maxPerRequester() const { return max_; }

 private:
  using GroupKey = std::pair<std::string, std::string>;  // signer, requester
  // Creation second, then the name (a pointer to byName_'s key, which never moves): one CSR costs
  // two small nodes and one copy of its name.
  struct Position {
    std::int64_t created;
    const std::string* name;
    bool operator<(const Position& o) const { return created != o.created ? created < o.created : *name < *o.name; }
  };
  struct Group {
    std::set<Position> members;
    std::size_t pending = 0;
  };
  using Groups = std::map<GroupKey, Group>;
  struct Entry {
    Groups::iterator group;
    std::set<Position>::iterator position;
    bool pending = false;
  };
  bool inWindowLocked(const Group& g, std::set<Position>::iterator p) const;
  void setPendingLocked(Entry& e, bool pending);

  const std::size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> byName_;
  Groups groups_;
  std::map<std::string, std::size_t> pendingPerSigner_;
};

}  // namespace csrop
