#include "controller/KubeletServingPolicy.h"

#include "controller/DnsNameFilter.h"
#include "controller/NodeNameRegexes.h"
#include "controller/ServingChecks.h"
#include "signers/CertificateRequest.h"
#include "signers/KubeletRequests.h"
#include "signers/Profiles.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace csrop {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) text.replace(pos, from.size(), to);
  return text;
}

// Which configuration turns a check on.
bool always(const KubeletServingConfig&) { return true; }
template <bool KubeletServingChecks::*Switch>
bool switchedOn(const KubeletServingConfig& config) {
  return config.checks.*Switch;
}
bool hasAllowedCidrs(const KubeletServingConfig& config) { return !config.allowedCIDRs.empty(); }
bool checksAnyAddress(const KubeletServingConfig& config) { return config.checks.ipAddresses || config.checks.dnsNames; }
bool filtersDnsNames(const KubeletServingConfig& config) { return !config.dnsNamesMustMatch.empty(); }
bool resolvesDnsNames(const KubeletServingConfig& config) { return config.dnsResolution.enabled; }

using C = KubeletServingChecks;

// In this order: the cheap checks of the request itself first, then signerProfile before anything
// that looks a name up or matches it, then the Node and the address source.
constexpr std::string_view kAlwaysOn;
constexpr std::array<NamedServingCheck, 15> kChecks{{
    {"requesterIsNode", switchedOn<&C::requesterIsNode>, serving::requesterIsNode,
     "spec.username is system:node:<name> and spec.groups contains system:nodes",
     "approver.kubeletServing.checks.requesterIsNode is false"},
    {"commonName", switchedOn<&C::commonName>, serving::commonName, "the common name is spec.username",
     "approver.kubeletServing.checks.commonName is false"},
    {"organization", switchedOn<&C::organization>, serving::organization, "the organization is exactly [system:nodes]",
     "approver.kubeletServing.checks.organization is false"},
    {"usages", switchedOn<&C::usages>, serving::usages, "spec.usages is a kubelet serving set, each usage once",
     "approver.kubeletServing.checks.usages is false"},
    {"noEmailOrUri", switchedOn<&C::noEmailOrUri>, serving::noEmailOrUri, "no email or URI SAN",
     "approver.kubeletServing.checks.noEmailOrUri is false"},
    {"subjectAltNames", always, serving::subjectAltNames, "at least one DNS or IP SAN", kAlwaysOn},
    {"maxDNSNames", always, serving::maxDnsNames, "no more DNS names than approver.kubeletServing.maxDNSNames", kAlwaysOn},
    {"dnsNamesMustMatch", filtersDnsNames, serving::dnsNamesMustMatch, "every DNS SAN matches approver.kubeletServing.dnsNamesMustMatch",
     "approver.kubeletServing.dnsNamesMustMatch is empty"},
    {"expiration", switchedOn<&C::expiration>, serving::expiration, "spec.expirationSeconds is at most maxExpirationSeconds",
     "approver.kubeletServing.checks.expiration is false"},
    {"signerProfile", always, serving::signerProfile, "the signer's profile would not refuse the request", kAlwaysOn},
    {"reservedIdentities", always, serving::reservedIdentities, "no SAN is one of the cluster's own names or addresses", kAlwaysOn},
    {"nodeExists", switchedOn<&C::nodeExists>, serving::nodeExists, "the Node exists",
     "approver.kubeletServing.checks.nodeExists is false"},
    {"allowedCIDRs", hasAllowedCidrs, serving::allowedCidrs, "every IP SAN is inside approver.kubeletServing.allowedCIDRs",
     "approver.kubeletServing.allowedCIDRs is empty"},
    {"addressOwnership", checksAnyAddress, serving::addressOwnership,
     "the address source vouches that the node owns every IP (checks.ipAddresses) and DNS name (checks.dnsNames) it asks for",
     "approver.kubeletServing.checks.ipAddresses and checks.dnsNames are both false"},
    {"dnsResolution", resolvesDnsNames, serving::dnsResolution, "every DNS SAN resolves only to the Node's addresses",
     "approver.kubeletServing.dnsResolution.enabled is false"},
}};

}  // namespace

DnsNameMatcher configuredDnsNames(const KubeletServingConfig& config) {
  auto regexes = std::make_shared<NodeNameRegexes>(config.dnsNameRegexes);
  return [patterns = config.dnsNamePatterns, regexes](const std::string& nodeName, const std::string& dnsName) {
    const std::string name = lower(dnsName);
    for (const auto& p : patterns)
      if (lower(replaceAll(p, "{node}", nodeName)) == name) return true;
    // signerProfile has refused names over 253 characters already; the bound keeps this safe on its own.
    return name.size() <= signers::kMaxDnsNameChars && regexes->matches(name, nodeName);
  };
}

KubeletServingPolicy::KubeletServingPolicy(KubeletServingConfig config, NodeDirectory& nodes, HostResolver& resolver, NodeIdentity identity,
                                           const signers::Signer* signer)
    : config_(std::move(config)),
      nodes_(nodes),
      resolver_(resolver),
      identity_(std::move(identity)),
      signer_(signer),
      dnsNamesMustMatch_(config_.dnsNamesMustMatch.empty() ? nullptr : std::make_shared<const DnsNameFilter>(config_.dnsNamesMustMatch)) {}

Explanation KubeletServingPolicy::explain(const k8s::CertificateSigningRequest& csr) {
  ExplanationBuilder e(name());
  if (config_.nonNodeRequester == NonNodeRequester::Ignore)
    e.check("nonNodeRequester", "the requester is a node", [&]() -> std::optional<Verdict> {
      if (!signers::nodeNameOf(csr.spec.username).empty()) return std::nullopt;
      return Verdict::skip("NotANodeRequest", "requester \"" + csr.spec.username + "\" is not a node; configured to ignore such CSRs");
    });
  else
    e.off("nonNodeRequester", "approver.kubeletServing.nonNodeRequester is deny: requesterIsNode denies a requester that is not a node");
  const auto parsed = checkRequest(e, csr);
  const ServingPolicyContext policy{config_, resolver_, identity_, signer_, dnsNamesMustMatch_.get()};
  std::optional<ServingRequest> request;
  if (parsed) request.emplace(csr, *parsed, nodes_);
  for (const auto& check : kChecks) {
    if (check.enabled(config_))
      e.check(check.name, std::string(check.verifies), [&] { return check.run(policy, *request); });
    else
      e.off(check.name, std::string(check.offBecause));
  }
  return std::move(e).finish([&] {
    return Verdict::approve("AutoApproved",
                            "csr-operator verified that node \"" + request->nodeName + "\" owns every requested name and address");
  });
}

}  // namespace csrop
