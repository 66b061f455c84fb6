#include "controller/AddressIndex.h"

#include "controller/IdentityKeys.h"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace csrop {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

AddressIndex::AddressIndex(Options options, std::shared_ptr<k8s::Clock> clock, Metrics* metrics)
    : options_(options), clock_(std::move(clock)), metrics_(metrics) {}

std::vector<std::string> AddressIndex::keysOf(const k8s::Node& node) {
  std::vector<std::string> keys;
  if (!node.metadata.name.empty()) keys.push_back(dnsKey(node.metadata.name));
  for (const auto& a : node.addresses) {
    std::optional<signers::IpAddress> ip;
    if (a.type == "InternalIP" || a.type == "ExternalIP" || a.type == "Hostname") ip = signers::IpAddress::parse(a.address);
    // Same mapping as the kubelet's serving CSR template (pkg/kubelet/certificate/kubelet.go).
    if (ip)
      keys.push_back(ipKey(*ip));
    else if ((a.type == "Hostname" || a.type == "InternalDNS" || a.type == "ExternalDNS") && !a.address.empty())
      keys.push_back(dnsKey(a.address));
  }
  // A hostile Node may list thousands of addresses: deduplicate in O(n log n), keeping the order.
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (auto& k : keys)
    if (seen.insert(k).second) unique.push_back(std::move(k));
  return unique;
}

void AddressIndex::nodeAdded(const k8s::Node& node) { nodeUpdated(node); }

void AddressIndex::nodeUpdated(const k8s::Node& now) {
  std::lock_guard lock(mu_);
  applyLocked(now.metadata.name, keysOf(now), false);
}

void AddressIndex::nodeDeleted(const k8s::Node& node) {
  std::lock_guard lock(mu_);
  applyLocked(node.metadata.name, {}, true);
}

void AddressIndex::initialListDone() {
  std::lock_guard lock(mu_);
  if (initialListDone_) return;
  initialListDone_ = true;
  for (auto& [key, e] : entries_) {
    if (!e.holder.empty() || e.claimants.empty()) continue;
    if (e.claimants.size() == 1) {
      e.holder = e.claimants.front();
      continue;
    }
    e.contested = true;
    for (std::size_t i = 1; i < e.claimants.size(); ++i) recordConflict(e.claimants[i], key, e.claimants.front());
  }
}

void AddressIndex::applyLocked(const std::string& node, std::vector<std::string> keys, bool deleted) {
  if (node.empty()) return;
  pruneLocked(clock_->now());
  // keys[0] is the node's name; the cap applies to what the node reports about itself.
  if (keys.size() > options_.maxAddressesPerNode + 1) {
    spdlog::warn("node={} lists {} addresses; only the first {} are indexed as its own", node, keys.size() - 1,
                 options_.maxAddressesPerNode);
    keys.resize(options_.maxAddressesPerNode + 1);
  }
  const std::string ownName = dnsKey(node);
  std::set<std::string> next(keys.begin(), keys.end());
  auto& current = keysByNode_[node];

  std::vector<std::string> added, removed;
  for (const auto& k : next)
    if (!current.count(k)) added.push_back(k);
  for (const auto& k : current)
    if (!next.count(k)) removed.push_back(k);

  const bool reportedBefore = std::any_of(current.begin(), current.end(), [&](const auto& k) { return k != ownName; });
  if (!deleted && reportedBefore && (!added.empty() || !removed.empty())) {
    spdlog::info("node={} changed its addresses: added=[{}] removed=[{}]", node, joined(added), joined(removed));
    if (metrics_) metrics_->inc(metric::kNodeAddressChanges);
  }

  for (const auto& k : removed) releaseLocked(node, k);
  for (const auto& k : keys)
    if (!current.count(k)) claimLocked(node, k, k == ownName);
  if (deleted)
    keysByNode_.erase(node);
  else
    current = std::move(next);
}

void AddressIndex::claimLocked(const std::string& node, const std::string& key, bool ownName) {
  auto& e = entries_[key];
  if (std::find(e.claimants.begin(), e.claimants.end(), node) == e.claimants.end()) e.claimants.push_back(node);
  settleLocked(key, e, clock_->now());
  if (e.holder == node) return;
  if (ownName) {
    e.contested = false;
    // The API server keeps Node names unique: whoever listed this name before the Node existed loses it.
    if (!e.holder.empty())
      recordConflict(e.holder, key, node);
    else if (!e.formerHolder.empty() && e.formerHolder != node)
      recordConflict(e.formerHolder, key, node);
    e.holder = node;
    e.formerHolder.clear();
    return;
  }
  if (!initialListDone_) return;
  if (!e.holder.empty()) return recordConflict(node, key, e.holder);
  if (e.contested) return recordConflict(node, key, e.claimants.front());
  if (!e.formerHolder.empty() && e.formerHolder != node) return recordConflict(node, key, e.formerHolder);
  e.holder = node;
  e.formerHolder.clear();
}

void AddressIndex::releaseLocked(const std::string& node, const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  auto& e = it->second;
  e.claimants.erase(std::remove(e.claimants.begin(), e.claimants.end(), node), e.claimants.end());
  // A contest ends like a hold: the one who left keeps the address for the window, so an attacker
  // that outlasts its victim in a contest does not win the address at once.
  const bool contestEnds = e.contested && e.claimants.size() <= 1;
  if (contestEnds) e.contested = false;
  if (e.holder == node || contestEnds) {
    e.holder.clear();
    e.formerHolder = node;
    e.releasedAt = clock_->now();
    releases_.emplace_back(e.releasedAt, key);
  }
  if (e.holder.empty() && e.formerHolder.empty() && e.claimants.empty()) entries_.erase(it);
}

void AddressIndex::settleLocked(const std::string& key, Entry& e, k8s::Clock::time_point now) {
  if (!e.holder.empty() || e.formerHolder.empty() || now - e.releasedAt < options_.historyWindow) return;
  e.formerHolder.clear();
  if (e.claimants.empty()) return;
  e.holder = e.claimants.front();
  spdlog::info("address {} now belongs to node={}: its former holder left it more than {}s ago", key, e.holder,
               options_.historyWindow.count());
}

void AddressIndex::pruneLocked(k8s::Clock::time_point now) {
  while (!releases_.empty() && now - releases_.front().first >= options_.historyWindow) {
    const std::string key = releases_.front().second;
    releases_.pop_front();
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    settleLocked(key, it->second, now);
    const auto& e = it->second;
    if (e.holder.empty() && e.formerHolder.empty() && e.claimants.empty()) entries_.erase(it);
  }
}

std::optional<std::string> AddressIndex::otherOwnerLocked(const std::string& nodeName, const std::string& key) {
  const auto now = clock_->now();
  pruneLocked(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  auto& e = it->second;
  settleLocked(key, e, now);
  if (!e.holder.empty()) return e.holder == nodeName ? std::nullopt : std::optional(e.holder);
  if (e.contested)
    for (const auto& claimant : e.claimants)
      if (claimant != nodeName) return claimant;
  if (!e.formerHolder.empty() && e.formerHolder != nodeName) return e.formerHolder;
  return std::nullopt;
}

bool AddressIndex::holdsLocked(const std::string& nodeName, const std::string& key) {
  const auto now = clock_->now();
  pruneLocked(now);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  settleLocked(key, it->second, now);
  return it->second.holder == nodeName;
}

bool AddressIndex::holds(const std::string& nodeName, const signers::IpAddress& ip) {
  std::lock_guard lock(mu_);
  return holdsLocked(nodeName, ipKey(ip));
}

bool AddressIndex::holds(const std::string& nodeName, std::string_view dnsName) {
  std::lock_guard lock(mu_);
  return holdsLocked(nodeName, dnsKey(dnsName));
}

std::optional<std::string> AddressIndex::otherOwner(const std::string& nodeName, const signers::IpAddress& ip) {
  std::lock_guard lock(mu_);
  return otherOwnerLocked(nodeName, ipKey(ip));
}

std::optional<std::string> AddressIndex::otherOwner(const std::string& nodeName, std::string_view dnsName) {
  std::lock_guard lock(mu_);
  return otherOwnerLocked(nodeName, dnsKey(dnsName));
}

void AddressIndex::recordConflict(const std::string& claimant, const std::string& key, const std::string& owner) {
  ++conflicts_;
  spdlog::warn("address conflict: node={} lists {} which belongs to node={}; {} keeps it", claimant, key, owner, owner);
  if (metrics_) metrics_->inc(metric::kAddressConflicts);
}

uint64_t AddressIndex::conflicts() const {
  std::lock_guard lock(mu_);
  return conflicts_;
}

}  // namespace csrop
