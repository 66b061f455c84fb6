#include "controller/PendingIndex.h"

#include <iterator>

namespace csrop {

bool isPending(const k8s::CertificateSigningRequest& csr) {
  return csr.status.certificate.empty() && !k8s::hasCondition(csr, "Approved") && !k8s::hasCondition(csr, "Denied") &&
         !k8s::hasCondition(csr, "Failed");
}

// At most max_ steps: the rank is counted from the newest end.
bool PendingIndex::inWindowLocked(const Group& g, const Position& p) const {
  std::size_t rank = 0;
  for (auto it = g.members.rbegin(); it != g.members.rend() && rank < max_; ++it, ++rank)
    if (*it == p) return true;
  return false;
}

void PendingIndex::setPendingLocked(Entry& e, Group& g, bool pending) {
  if (e.pending == pending) return;
  e.pending = pending;
  if (pending) {
    ++g.pending;
    ++pendingPerSigner_[e.group.first];
    return;
  }
  --g.pending;
  if (auto s = pendingPerSigner_.find(e.group.first); s != pendingPerSigner_.end() && --s->second == 0) pendingPerSigner_.erase(s);
}

void PendingIndex::update(const k8s::CertificateSigningRequest& csr) {
  std::lock_guard lock(mu_);
  auto [it, added] = byName_.try_emplace(csr.metadata.name);
  Entry& e = it->second;
  if (added) {
    // Signer, requester and creation time never change, so they are read once.
    e.group = {csr.spec.signerName, csr.spec.username};
    e.position = {csr.metadata.creationTimestamp, csr.metadata.name};
    groups_[e.group].members.insert(e.position);
  }
  setPendingLocked(e, groups_.at(e.group), isPending(csr));
}

std::optional<std::string> PendingIndex::remove(const std::string& name) {
  std::lock_guard lock(mu_);
  const auto found = byName_.find(name);
  if (found == byName_.end()) return std::nullopt;
  Entry e = found->second;
  auto group = groups_.find(e.group);
  setPendingLocked(found->second, group->second, false);
  byName_.erase(found);
  auto& members = group->second.members;
  const bool wasInWindow = inWindowLocked(group->second, e.position);
  members.erase(e.position);
  std::optional<std::string> promoted;
  // The one just outside the window (now the max_-th newest) moves in; it matters only if pending.
  if (wasInWindow && members.size() >= max_) {
    const auto& moved = std::next(members.rbegin(), static_cast<long>(max_ - 1))->second;
    if (byName_.at(moved).pending) promoted = moved;
  }
  if (members.empty()) groups_.erase(group);
  return promoted;
}

PendingIndex::Standing PendingIndex::standing(const std::string& name) const {
  std::lock_guard lock(mu_);
  const auto found = byName_.find(name);
  if (found == byName_.end()) return {};
  const Group& g = groups_.at(found->second.group);
  return {!found->second.pending || inWindowLocked(g, found->second.position), g.pending};
}

std::map<std::string, std::size_t> PendingIndex::pendingBySigner() const {
  std::lock_guard lock(mu_);
  return pendingPerSigner_;
}

}  // namespace csrop
