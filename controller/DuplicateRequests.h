// Identical pending kubelet-serving CSRs from one node are decided once, on the newest. The kubelet
// waits only for the CSR it filed last: when a wait times out it files a new one with a new key
// (client-go util/certificate/certificate_manager.go, rotateCerts), and while its CSR is unapproved
// duplicates pile up every 15 minutes. An older duplicate's certificate would be one nobody waits
// for, so older ones are left alone (no write; garbage collection removes them) and the newest is
// decided, which is also the one the flood guard (PendingIndex) hands to the workers. Identical
// means the same requester, usages, subject and DNS/IP SAN sets; the key may differ.
// Updated from informer events; thread-safe.
// Each CSR costs a few dozen bytes here: a group is known by a 128-bit keyed hash of what makes
// requests identical, not by that text (with 10,000 CSRs cached the text was most of this index).
#pragma once

#include "k8sclient/Objects.h"

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace csrop {

class DuplicateRequests {
 public:
  explicit DuplicateRequests(std::string signerName) : signerName_(std::move(signerName)) {}

  // Records a CSR of the signer the first time it is seen with a readable request; others are not
  // tracked (and so never superseded).
  void update(const k8s::CertificateSigningRequest& csr);
  // Forgets a deleted CSR; returns the CSR that became the newest of its group because of it.
  std::optional<std::string> remove(const std::string& name);
  // The newest identical CSR when it is not this one; nullopt for the newest and for untracked CSRs.
  std::optional<std::string> newerIdentical(const std::string& name) const;

 private:
  // SipHash-2-4 of the identity text under two keys drawn once per process: a requester cannot
  // pick requests whose groups collide, and by chance two of 10,000 groups collide with odds
  // of about 10^-30.
  using GroupId = std::array<std::uint64_t, 2>;
  // creationTimestamp in seconds (unparsable ones rank oldest), then the order the CSRs were seen
  // in: the timestamp has whole seconds, and within one second the later event is the newer CSR
  // (a name says nothing about age).
  using Position = std::pair<std::int64_t, std::uint64_t>;
  struct Entry {
    GroupId group;
    Position position;
  };
  static std::optional<GroupId> groupOf(const k8s::CertificateSigningRequest& csr);

  std::string signerName_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> byName_;
  // group -> position -> name (byName_'s key: elements of an unordered_map never move)
  std::map<GroupId, std::map<Position, const std::string*>> groups_;
  std::uint64_t seen_ = 0;
};

}  // namespace csrop
