#include "signers/KubeletRequests.h"

#include <algorithm>

namespace signers {
namespace {

const UsageSet kServingUsages{"digital signature", "key encipherment", "server auth"};
const UsageSet kServingUsagesNoRsa{"digital signature", "server auth"};
const UsageSet kClientUsages{"digital signature", "key encipherment", "client auth"};
const UsageSet kClientUsagesNoRsa{"digital signature", "client auth"};

}  // namespace

std::string nodeNameOf(std::string_view username) {
  if (username.size() <= kNodeUserPrefix.size() || !username.starts_with(kNodeUserPrefix)) return {};
  return std::string(username.substr(kNodeUserPrefix.size()));
}

bool isNodeRequester(std::string_view username, const std::vector<std::string>& groups) {
  return !nodeNameOf(username).empty() && std::find(groups.begin(), groups.end(), kNodesGroup) != groups.end();
}

bool organizationIsSystemNodes(const ParsedRequest& req) { return req.organizations.size() == 1 && req.organizations[0] == kNodesGroup; }

bool isKubeletServingUsageSet(const UsageSet& usages) { return usages == kServingUsages || usages == kServingUsagesNoRsa; }

bool isKubeletClientUsageSet(const UsageSet& usages) { return usages == kClientUsages || usages == kClientUsagesNoRsa; }

std::optional<std::string> validateKubeletServing(const ParsedRequest& req, const UsageSet& usages) {
  if (!organizationIsSystemNodes(req)) return "subject organization is not system:nodes";
  if (req.dnsNames.empty() && req.ipAddresses.empty()) return "DNS or IP subjectAltName is required";
  if (!req.emailAddresses.empty()) return "Email subjectAltNames are not allowed";
  if (!req.uris.empty()) return "URI subjectAltNames are not allowed";
  if (!isKubeletServingUsageSet(usages)) return "usages did not match " + formatUsageList(kServingUsages);
  if (!req.commonName.starts_with(kNodeUserPrefix)) return "subject common name does not begin with system:node:";
  return std::nullopt;
}

std::optional<std::string> validateKubeletClient(const ParsedRequest& req, const UsageSet& usages) {
  if (!organizationIsSystemNodes(req)) return "subject organization is not system:nodes";
  if (!req.dnsNames.empty()) return "DNS subjectAltNames are not allowed";
  if (!req.emailAddresses.empty()) return "Email subjectAltNames are not allowed";
  if (!req.ipAddresses.empty()) return "IP subjectAltNames are not allowed";
  if (!req.uris.empty()) return "URI subjectAltNames are not allowed";
  if (!req.commonName.starts_with(kNodeUserPrefix)) return "subject common name does not begin with system:node:";
  if (!isKubeletClientUsageSet(usages)) return "usages did not match " + formatUsageList(kClientUsages);
  return std::nullopt;
}

}  // namespace signers
