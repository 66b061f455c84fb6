#include "controller/AddressIndex.h"

#include "controller/IdentityKeys.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <stdexcept>
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
    : options_(options), clock_(std::move(clock)), start_(clock_->now()), metrics_(metrics) {}

std::uint32_t AddressIndex::secondsSinceStart(k8s::Clock::time_point t) const {
  constexpr std::int64_t kMax = (std::int64_t{1} << 30) - 1;
  const auto elapsed = std::chrono::ceil<std::chrono::seconds>(t - start_).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(elapsed, 0, kMax));
}

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

std::size_t AddressIndex::claimantCount(Key key, const Entry& e) const {
  if (e.firstClaimant == NameTable::kNone) return 0;
  return 1 + (e.moreClaimants ? moreClaimants_.at(key).size() : 0);
}

AddressIndex::Id AddressIndex::claimant(Key key, const Entry& e, std::size_t i) const {
  return i == 0 ? e.firstClaimant : moreClaimants_.at(key).at(i - 1);
}

bool AddressIndex::isClaimant(Key key, const Entry& e, Id node) const {
  if (e.firstClaimant == node) return true;
  if (!e.moreClaimants) return false;
  const auto& more = moreClaimants_.at(key);
  return std::find(more.begin(), more.end(), node) != more.end();
}

void AddressIndex::addClaimant(Key key, Entry& e, Id node) {
  names_.retain(node);
  if (e.firstClaimant == NameTable::kNone) {
    e.firstClaimant = node;
    return;
  }
  moreClaimants_[key].push_back(node);
  e.moreClaimants = true;
}

bool AddressIndex::removeClaimant(Key key, Entry& e, Id node) {
  if (e.firstClaimant == NameTable::kNone) return false;
  if (e.firstClaimant != node) {
    if (!e.moreClaimants) return false;
    auto& more = moreClaimants_.at(key);
    const auto it = std::find(more.begin(), more.end(), node);
    if (it == more.end()) return false;
    more.erase(it);
  } else if (e.moreClaimants) {
    auto& more = moreClaimants_.at(key);
    e.firstClaimant = more.front();
    more.erase(more.begin());
  } else {
    e.firstClaimant = NameTable::kNone;
  }
  if (e.moreClaimants && moreClaimants_.at(key).empty()) {
    moreClaimants_.erase(key);
    e.moreClaimants = false;
  }
  names_.release(node);
  return true;
}

std::optional<AddressIndex::Key> AddressIndex::toKey(std::string_view text, bool intern) {
  const auto make = [](KeyKind kind, std::uint32_t low) { return (static_cast<Key>(kind) << 32) | low; };
  const auto named = [&](KeyKind kind, std::string_view material) -> std::optional<Key> {
    const Id id = intern ? names_.acquire(material) : names_.find(material);
    if (id == NameTable::kNone) return std::nullopt;
    return make(kind, id);
  };
  if (text.starts_with("dns:")) return named(KeyKind::Dns, text.substr(4));
  const auto ip = text.starts_with("ip:") ? signers::IpAddress::parse(text.substr(3)) : std::nullopt;
  if (!ip) throw std::logic_error("AddressIndex: not an identity key: " + std::string(text));
  if (ip->family == 6) return named(KeyKind::Ip6, std::string_view(reinterpret_cast<const char*>(ip->bytes.data()), 16));
  return make(KeyKind::Ip4, (std::uint32_t{ip->bytes[0]} << 24) | (std::uint32_t{ip->bytes[1]} << 16) | (std::uint32_t{ip->bytes[2]} << 8) |
                                ip->bytes[3]);
}

std::string AddressIndex::keyText(Key key) const {
  const auto kind = static_cast<KeyKind>(key >> 32);
  const auto low = static_cast<std::uint32_t>(key);
  if (kind == KeyKind::Dns) return "dns:" + std::string(names_.text(low));
  signers::IpAddress ip;
  if (kind == KeyKind::Ip6) {
    ip.family = 6;
    const auto octets = names_.text(low);
    std::copy(octets.begin(), octets.end(), ip.bytes.begin());
  } else {
    for (int i = 0; i < 4; ++i) ip.bytes[i] = static_cast<std::uint8_t>(low >> (24 - 8 * i));
  }
  return "ip:" + ip.toString();
}

void AddressIndex::retainKey(Key key) {
  if (static_cast<KeyKind>(key >> 32) != KeyKind::Ip4) names_.retain(static_cast<Id>(key));
}

void AddressIndex::releaseKey(Key key) {
  if (static_cast<KeyKind>(key >> 32) != KeyKind::Ip4) names_.release(static_cast<Id>(key));
}

void AddressIndex::assign(Id& field, Id value) {
  if (value != NameTable::kNone) names_.retain(value);
  names_.release(field);
  field = value;
}

void AddressIndex::eraseIfUnused(Key key, const Entry& e) {
  if (e.holder != NameTable::kNone || e.formerHolder != NameTable::kNone || e.firstClaimant != NameTable::kNone) return;
  entries_.erase(key);
  releaseKey(key);
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
  entries_.forEach([this](Key key, Entry& e) {
    if (e.holder != NameTable::kNone || e.firstClaimant == NameTable::kNone) return;
    if (!e.moreClaimants) {
      assign(e.holder, e.firstClaimant);
      return;
    }
    e.contested = true;
    for (Id later : moreClaimants_.at(key)) recordConflict(later, key, e.firstClaimant);
  });
}

void AddressIndex::applyLocked(const std::string& node, std::vector<std::string> keyTexts, bool deleted) {
  if (node.empty()) return;
  pruneLocked(clock_->now());
  // keyTexts[0] is the node's name; the cap applies to what the node reports about itself.
  if (keyTexts.size() > options_.maxAddressesPerNode + 1) {
    spdlog::warn("node={} lists {} addresses; only the first {} are indexed as its own", node, keyTexts.size() - 1,
                 options_.maxAddressesPerNode);
    keyTexts.resize(options_.maxAddressesPerNode + 1);
  }
  // These references keep the node's name and its keys interned while claims and releases move
  // the lasting ones; they are dropped at the end.
  const Id nodeId = names_.acquire(node);
  const Key ownName = *toKey(dnsKey(node), true);
  std::vector<Key> keys;
  keys.reserve(keyTexts.size());
  for (const auto& text : keyTexts) keys.push_back(*toKey(text, true));

  std::vector<Key> next = keys;
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  NodeKeys& record = nodeKeys(nodeId);
  const bool known = record.keys != nullptr;
  const std::span<const Key> current(record.keys.get(), record.count);

  std::vector<Key> added, removed;
  std::set_difference(next.begin(), next.end(), current.begin(), current.end(), std::back_inserter(added));
  std::set_difference(current.begin(), current.end(), next.begin(), next.end(), std::back_inserter(removed));

  const bool reportedBefore = std::any_of(current.begin(), current.end(), [&](Key k) { return k != ownName; });
  if (!deleted && reportedBefore && (!added.empty() || !removed.empty())) {
    const auto texts = [&](const std::vector<Key>& ks) {
      std::vector<std::string> out;
      for (Key k : ks) out.push_back(keyText(k));
      std::sort(out.begin(), out.end());
      return out;
    };
    spdlog::info("node={} changed its addresses: added=[{}] removed=[{}]", node, joined(texts(added)), joined(texts(removed)));
    if (metrics_) metrics_->inc(metric::kNodeAddressChanges);
  }

  for (Key k : removed) releaseLocked(nodeId, k);
  for (Key k : keys)
    if (!std::binary_search(current.begin(), current.end(), k)) claimLocked(nodeId, k, k == ownName);
  if (deleted) {
    if (known) {
      record = NodeKeys{};
      names_.release(nodeId);
    }
  } else if (!known || !std::equal(current.begin(), current.end(), next.begin(), next.end())) {
    if (!known) names_.retain(nodeId);
    record.keys = std::make_unique_for_overwrite<Key[]>(next.size());
    std::copy(next.begin(), next.end(), record.keys.get());
    record.count = static_cast<std::uint32_t>(next.size());
  }

  for (Key k : keys) releaseKey(k);
  releaseKey(ownName);
  names_.release(nodeId);
}

const AddressIndex::NodeKeys* AddressIndex::findNodeKeys(Id node) const {
  if (node == NameTable::kNone) return nullptr;
  const std::size_t chunk = (node - 1) / kNodeKeysChunk;
  if (chunk >= keysByNode_.size()) return nullptr;
  const NodeKeys& record = keysByNode_[chunk][(node - 1) % kNodeKeysChunk];
  return record.keys ? &record : nullptr;
}

bool AddressIndex::impliedOwnName(Key key) const {
  if (static_cast<KeyKind>(key >> 32) != KeyKind::Dns || entries_.find(key)) return false;
  // The key names the text of the id in its low half: the Node of that id listing it lists its
  // own name.
  const NodeKeys* record = findNodeKeys(static_cast<Id>(key));
  return record && std::binary_search(record->keys.get(), record->keys.get() + record->count, key);
}

AddressIndex::Entry* AddressIndex::storedEntry(Key key) {
  if (Entry* e = entries_.find(key)) return e;
  if (!impliedOwnName(key)) return nullptr;
  const Id node = static_cast<Id>(key);
  Entry* e = entries_.tryEmplace(key).first;
  retainKey(key);
  addClaimant(key, *e, node);
  assign(e->holder, node);
  return e;
}

AddressIndex::NodeKeys& AddressIndex::nodeKeys(Id node) {
  const std::size_t chunk = (node - 1) / kNodeKeysChunk;
  while (keysByNode_.size() <= chunk) keysByNode_.push_back(std::make_unique<NodeKeys[]>(kNodeKeysChunk));
  return keysByNode_[chunk][(node - 1) % kNodeKeysChunk];
}

void AddressIndex::claimLocked(Id node, Key key, bool ownName) {
  Entry* slot = storedEntry(key);
  if (!slot) {
    // Held by its own Node and listed by nobody else: the record written after the claims implies it.
    if (ownName && static_cast<Id>(key) == node) return;
    slot = entries_.tryEmplace(key).first;
    retainKey(key);
  }
  auto& e = *slot;
  if (!isClaimant(key, e, node)) addClaimant(key, e, node);
  settleLocked(key, e, clock_->now());
  if (e.holder == node) return;
  if (ownName) {
    e.contested = false;
    // The API server keeps Node names unique: whoever listed this name before the Node existed loses it.
    if (e.holder != NameTable::kNone)
      recordConflict(e.holder, key, node);
    else if (e.formerHolder != NameTable::kNone && e.formerHolder != node)
      recordConflict(e.formerHolder, key, node);
    assign(e.holder, node);
    assign(e.formerHolder, NameTable::kNone);
    return;
  }
  if (!initialListDone_) return;
  if (e.holder != NameTable::kNone) return recordConflict(node, key, e.holder);
  if (e.contested) return recordConflict(node, key, e.firstClaimant);
  if (e.formerHolder != NameTable::kNone && e.formerHolder != node) return recordConflict(node, key, e.formerHolder);
  assign(e.holder, node);
  assign(e.formerHolder, NameTable::kNone);
}

void AddressIndex::releaseLocked(Id node, Key key) {
  Entry* found = storedEntry(key);
  if (!found) return;
  auto& e = *found;
  // The caller's reference keeps node interned after this one goes.
  removeClaimant(key, e, node);
  // A contest ends like a hold: the one who left keeps the address for the window, so an attacker
  // that outlasts its victim in a contest does not win the address at once.
  const bool contestEnds = e.contested && !e.moreClaimants;
  if (contestEnds) e.contested = false;
  if (e.holder == node || contestEnds) {
    assign(e.holder, NameTable::kNone);
    assign(e.formerHolder, node);
    const auto now = clock_->now();
    e.releasedAt = secondsSinceStart(now);
    releases_.emplace_back(now, key);
    retainKey(key);
  }
  eraseIfUnused(key, e);
}

void AddressIndex::settleLocked(Key key, Entry& e, k8s::Clock::time_point now) {
  if (e.holder != NameTable::kNone || e.formerHolder == NameTable::kNone || now - releaseTime(e) < options_.historyWindow) return;
  assign(e.formerHolder, NameTable::kNone);
  if (e.firstClaimant == NameTable::kNone) return;
  assign(e.holder, e.firstClaimant);
  spdlog::info("address {} now belongs to node={}: its former holder left it more than {}s ago", keyText(key), names_.text(e.holder),
               options_.historyWindow.count());
}

void AddressIndex::pruneLocked(k8s::Clock::time_point now) {
  while (!releases_.empty() && now - releases_.front().first >= options_.historyWindow) {
    const Key key = releases_.front().second;
    releases_.pop_front();
    if (Entry* e = entries_.find(key)) {
      settleLocked(key, *e, now);
      eraseIfUnused(key, *e);
    }
    releaseKey(key);
  }
}

std::optional<std::string> AddressIndex::otherOwnerLocked(const std::string& nodeName, const std::string& keyText) {
  const auto now = clock_->now();
  pruneLocked(now);
  const auto key = toKey(keyText, false);
  if (!key) return std::nullopt;
  Entry* found = entries_.find(*key);
  if (!found) {
    if (!impliedOwnName(*key)) return std::nullopt;
    return static_cast<Id>(*key) == names_.find(nodeName) ? std::nullopt : std::optional<std::string>(names_.text(static_cast<Id>(*key)));
  }
  auto& e = *found;
  settleLocked(*key, e, now);
  const Id self = names_.find(nodeName);
  const auto name = [&](Id id) { return std::optional<std::string>(names_.text(id)); };
  if (e.holder != NameTable::kNone) return e.holder == self ? std::nullopt : name(e.holder);
  if (e.contested)
    for (std::size_t i = 0; i < claimantCount(*key, e); ++i)
      if (claimant(*key, e, i) != self) return name(claimant(*key, e, i));
  if (e.formerHolder != NameTable::kNone && e.formerHolder != self) return name(e.formerHolder);
  return std::nullopt;
}

bool AddressIndex::holdsLocked(const std::string& nodeName, const std::string& keyText) {
  const auto now = clock_->now();
  pruneLocked(now);
  const auto key = toKey(keyText, false);
  if (!key) return false;
  Entry* e = entries_.find(*key);
  if (!e) return impliedOwnName(*key) && static_cast<Id>(*key) == names_.find(nodeName);
  settleLocked(*key, *e, now);
  return e->holder != NameTable::kNone && e->holder == names_.find(nodeName);
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

void AddressIndex::recordConflict(Id claimant, Key key, Id owner) {
  ++conflicts_;
  spdlog::warn("address conflict: node={} lists {} which belongs to node={}; {} keeps it", names_.text(claimant), keyText(key),
               names_.text(owner), names_.text(owner));
  if (metrics_) metrics_->inc(metric::kAddressConflicts);
}

std::optional<std::vector<std::string>> AddressIndex::listedKeys(const std::string& nodeName) const {
  std::lock_guard lock(mu_);
  const Id id = names_.find(nodeName);
  if (id == NameTable::kNone) return std::nullopt;
  const NodeKeys* record = findNodeKeys(id);
  if (!record) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(record->count);
  for (std::uint32_t i = 0; i < record->count; ++i) out.push_back(keyText(record->keys[i]));
  return out;
}

std::size_t AddressIndex::entries() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

uint64_t AddressIndex::conflicts() const {
  std::lock_guard lock(mu_);
  return conflicts_;
}

std::size_t AddressIndex::internedNames() const {
  std::lock_guard lock(mu_);
  return names_.size();
}

}  // namespace csrop
