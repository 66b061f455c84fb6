#include "controller/DuplicateRequests.h"

#include "controller/IdentityKeys.h"
#include "signers/CertificateRequest.h"

#include <algorithm>
#include <vector>

namespace csrop {
namespace {

std::string joinedSorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items) out += i + ",";
  return out;
}

}  // namespace

std::optional<std::string> DuplicateRequests::groupOf(const k8s::CertificateSigningRequest& csr) {
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
  return csr.spec.username + "\n" + joinedSorted(csr.spec.usages) + "\n" + subject + "\n" + joinedSorted(dns) + "\n" + joinedSorted(ips) +
         "\n" + std::to_string(r.emailAddresses.size() + r.uris.size());
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
  Entry e{*group, {csr.metadata.creationTimestamp, ++seen_}};
  if (!byName_.emplace(csr.metadata.name, e).second) return;
  groups_[e.group].emplace(e.position, csr.metadata.name);
}

std::optional<std::string> DuplicateRequests::remove(const std::string& name) {
  std::lock_guard lock(mu_);
  auto found = byName_.find(name);
  if (found == byName_.end()) return std::nullopt;
  const Entry e = found->second;
  byName_.erase(found);
  auto group = groups_.find(e.group);
  const bool wasNewest = group->second.rbegin()->first == e.position;
  group->second.erase(e.position);
  if (group->second.empty()) {
    groups_.erase(group);
    return std::nullopt;
  }
  if (!wasNewest) return std::nullopt;
  return group->second.rbegin()->second;
}

std::optional<std::string> DuplicateRequests::newerIdentical(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto found = byName_.find(name);
  if (found == byName_.end()) return std::nullopt;
  const auto& newest = *groups_.at(found->second.group).rbegin();
  if (newest.first == found->second.position) return std::nullopt;
  return newest.second;
}

}  // namespace csrop
