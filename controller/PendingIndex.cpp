#include "controller/PendingIndex.h"

#include "controller/CsrPhase.h"
#include "controller/Timestamp.h"

#include <iterator>

namespace csrop {

// At most max_ steps: the rank is counted from the newest end.
bool PendingIndex::inWindowLocked(const Group& g, std::set<Position>::iterator p) const {
  std::size_t rank = 0;
  for (auto it = g.members.rbegin(); it != g.members.rend() && rank < max_; ++it, ++rank)
    if (it->name == p->name) return true;
  return false;
}

void PendingIndex::setPendingLocked(Entry& e, bool pending) {
  if (e.pending == pending) return;
  e.pending = pending;
  Group& g = e.group->second;
  const std::string& signer = e.group->first.first;
  if (pending) {
    ++g.pending;
    ++pendingPerSigner_[signer];
    return;
  }
  --g.pending;
  if (auto s = pendingPerSigner_.find(signer); s != pendingPerSigner_.end() && --s->second == 0) pendingPerSigner_.erase(s);
}

void PendingIndex::update(const k8s::CertificateSigningRequest& csr) {
  std::lock_guard lock(mu_);
  auto [it, added] = byName_.try_emplace(csr.metadata.name);
  Entry& e = it->second;
  if (added) {
    // Signer, requester and creation time never change, so they are read once.
    const auto created = parseRfc3339(csr.metadata.creationTimestamp);
    const std::int64_t seconds =
        created ? std::chrono::duration_cast<std::chrono::seconds>(created->time_since_epoch()).count() : INT64_MIN;
    e.group = groups_.try_emplace({csr.spec.signerName, csr.spec.username}).first;
    e.position = e.group->second.members.insert({seconds, &it->first}).first;
  }
  setPendingLocked(e, phaseOf(csr) == CsrPhase::Pending);
}

std::optional<std::string> PendingIndex::remove(const std::string& name) {
  std::lock_guard lock(mu_);
  const auto found = byName_.find(name);
  if (found == byName_.end()) return std::nullopt;
  Entry& e = found->second;
  setPendingLocked(e, false);
  const auto group = e.group;
  auto& members = group->second.members;
  const bool wasInWindow = inWindowLocked(group->second, e.position);
  members.erase(e.position);
  byName_.erase(found);
  std::optional<std::string> promoted;
  // The one just outside the window (now the max_-th newest) moves in; it matters only if pending.
  if (wasInWindow && members.size() >= max_) {
    const std::string& moved = *std::next(members.rbegin(), static_cast<long>(max_ - 1))->name;
    if (byName_.at(moved).pending) promoted = moved;
  }
  if (members.empty()) groups_.erase(group);
  return promoted;
}

PendingIndex::Standing PendingIndex::standing(const std::string& name) const {
  std::lock_guard lock(mu_);
  const auto found = byName_.find(name);
  if (found == byName_.end()) return {};
  const Entry& e = found->second;
  return {!e.pending || inWindowLocked(e.group->second, e.position), e.group->second.pending};
}

std::map<std::string, std::size_t> PendingIndex::pendingBySigner() const {
  std::lock_guard lock(mu_);
  return pendingPerSigner_;
}

}  // namespace csrop
