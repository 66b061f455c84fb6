#include "controller/DuplicateRequests.h"

#include "controller/IdentityKeys.h"
#include "controller/Timestamp.h"
#include "k8sclient/KeyedHash.h"
#include "signers/CertificateRequest.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

namespace csrop {
namespace {

std::string joinedSorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items) out += i + ",";
  return out;
}

const k8s::SipKey& secondKey() {
  static const k8s::SipKey key = [] {
    const auto& first = k8s::processHashKey();
    return k8s::SipKey{first[0] ^ 0x9e3779b97f4a7c15ULL, first[1] ^ 0xc2b2ae3d27d4eb4fULL};
  }();
  return key;
}

std::int64_t createdSeconds(const std::string& timestamp) {
  const auto t = parseRfc3339(timestamp);
  if (!t) return std::numeric_limits<std::int64_t>::min();
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

}  // namespace

std::optional<DuplicateRequests::GroupId> DuplicateRequests::groupOf(const k8s::CertificateSigningRequest& csr) {
  if (csr.spec.request.empty()) return std::nullopt;
  auto parsed = signers::parseCertificateRequest(csr.spec.request);
  if (!parsed) return std::nullopt;
  const auto& r = parsed.value();
  std::vector<std::string> dns, ips;
  for (const auto& d : r.dnsNames) dns.push_back(canonicalDnsName(d));
  for (const auto& ip : r.ipAddresses) ips.push_back(ipKey(ip));
  std::string subject;
  for (const auto& [k, v] : r.subject) subject += k + "=" + v + ";";
  // One field per line: no field can run into the next (none holds a line break the parser accepts).
  const std::string identity = csr.spec.username + "\n" + joinedSorted(csr.spec.usages) + "\n" + subject + "\n" + joinedSorted(dns) + "\n" +
                               joinedSorted(ips) + "\n" + std::to_string(r.emailAddresses.size() + r.uris.size());
  return GroupId{k8s::sipHash24(k8s::processHashKey(), identity.data(), identity.size()),
                 k8s::sipHash24(secondKey(), identity.data(), identity.size())};
}

void DuplicateRequests::update(const k8s::CertificateSigningRequest& csr) {
  if (csr.spec.signerName != signerName_) return;
  {
    std::lock_guard lock(mu_);
    if (byName_.count(csr.metadata.name)) return;
  }
  // Parsed outside the lock; the request never changes, so the first readable one is the one.
  auto group = groupOf(csr);
  if (!group) return;
  std::lock_guard lock(mu_);
  const Entry e{*group, {createdSeconds(csr.metadata.creationTimestamp), ++seen_}};
  const auto [it, added] = byName_.emplace(csr.metadata.name, e);
  if (!added) return;
  groups_[e.group].emplace(e.position, &it->first);
}

std::optional<std::string> DuplicateRequests::remove(const std::string& name) {
  std::lock_guard lock(mu_);
  auto found = byName_.find(name);
  if (found == byName_.end()) return std::nullopt;
  const Entry e = found->second;
  auto group = groups_.find(e.group);
  const bool wasNewest = group->second.rbegin()->first == e.position;
  group->second.erase(e.position);
  byName_.erase(found);
  if (group->second.empty()) {
    groups_.erase(group);
    return std::nullopt;
  }
  if (!wasNewest) return std::nullopt;
  return *group->second.rbegin()->second;
}

std::optional<std::string> DuplicateRequests::newerIdentical(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto found = byName_.find(name);
  if (found == byName_.end()) return std::nullopt;
  const auto& newest = *groups_.at(found->second.group).rbegin();
  if (newest.first == found->second.position) return std::nullopt;
  return *newest.second;
}

}  // namespace csrop
