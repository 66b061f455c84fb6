#include "controller/KubeletServingPolicy.h"

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
bool resolvesDnsNames(const KubeletServingConfig& config) { return config.dnsResolution.enabled; }

using C = KubeletServingChecks;

// In this order: the cheap checks of the request itself first, then signerProfile before anything
// that looks a name up or matches it, then the Node and the address source.
constexpr std::array<NamedServingCheck, 14> kChecks{{
    {"requesterIsNode", switchedOn<&C::requesterIsNode>, serving::requesterIsNode},
    {"commonName", switchedOn<&C::commonName>, serving::commonName},
    {"organization", switchedOn<&C::organization>, serving::organization},
    {"usages", switchedOn<&C::usages>, serving::usages},
    {"noEmailOrUri", switchedOn<&C::noEmailOrUri>, serving::noEmailOrUri},
    {"subjectAltNames", always, serving::subjectAltNames},
    {"maxDNSNames", always, serving::maxDnsNames},
    {"expiration", switchedOn<&C::expiration>, serving::expiration},
    {"signerProfile", always, serving::signerProfile},
    {"reservedIdentities", always, serving::reservedIdentities},
    {"nodeExists", switchedOn<&C::nodeExists>, serving::nodeExists},
    {"allowedCIDRs", hasAllowedCidrs, serving::allowedCidrs},
    {"addressOwnership", checksAnyAddress, serving::addressOwnership},
    {"dnsResolution", resolvesDnsNames, serving::dnsResolution},
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
    : config_(std::move(config)), nodes_(nodes), resolver_(resolver), identity_(std::move(identity)), signer_(signer) {
  for (const auto& check : kChecks)
    if (check.enabled(config_)) checks_.push_back(&check);
}

Verdict KubeletServingPolicy::evaluate(const k8s::CertificateSigningRequest& csr) {
  if (signers::nodeNameOf(csr.spec.username).empty() && config_.nonNodeRequester == NonNodeRequester::Ignore)
    return Verdict::skip("NotANodeRequest", "requester \"" + csr.spec.username + "\" is not a node; configured to ignore such CSRs");
  auto parsed = signers::parseCertificateRequest(csr.spec.request);
  if (!parsed) return Verdict::deny("InvalidRequest", "spec.request cannot be used: " + parsed.error());
  const ServingPolicyContext policy{config_, resolver_, identity_, signer_};
  ServingRequest request(csr, parsed.value(), nodes_);
  for (const auto* check : checks_)
    if (auto verdict = check->run(policy, request)) return *verdict;
  return Verdict::approve("AutoApproved",
                          "csr-operator verified that node \"" + request.nodeName + "\" owns every requested name and address");
}

}  // namespace csrop
