// Whether the node owns the addresses it asks for: inside the allowed CIDRs, vouched for by the
// configured address source, and (optionally) what its DNS names resolve to.
#include "controller/ServingChecks.h"

#include "controller/Timestamp.h"
#include "signers/CertificateRequest.h"
#include "signers/IpAddress.h"

#include <algorithm>

namespace csrop {
namespace {

// Since the CSR was created. A CSR without a readable creationTimestamp (the API server always
// sets one) counts as old: the sources then decide at once, on a fresh read, instead of waiting.
std::chrono::seconds ageOf(const k8s::CertificateSigningRequest& csr, std::chrono::system_clock::time_point now) {
  const auto created = parseRfc3339(csr.metadata.creationTimestamp);
  if (!created) return std::chrono::seconds::max();
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(now - *created));
}

// Only the SAN kinds whose checks are on go to the address source; no key, it looks at names only.
signers::ParsedRequest namesToVerify(const signers::ParsedRequest& request, const KubeletServingChecks& on) {
  signers::ParsedRequest names;
  names.commonName = request.commonName;
  if (on.dnsNames) names.dnsNames = request.dnsNames;
  if (on.ipAddresses) names.ipAddresses = request.ipAddresses;
  return names;
}

std::vector<signers::IpAddress> addressesOf(const k8s::Node& node) {
  std::vector<signers::IpAddress> owned;
  for (const auto& a : node.addresses)
    if (auto ip = signers::IpAddress::parse(a.address)) owned.push_back(*ip);
  return owned;
}

}  // namespace

namespace serving {

std::optional<Verdict> allowedCidrs(const ServingPolicyContext& p, ServingRequest& r) {
  const auto& allowed = p.config.allowedCIDRs;
  for (const auto& ip : r.request.ipAddresses) {
    const bool inside = std::any_of(allowed.begin(), allowed.end(), [&](const signers::Cidr& cidr) { return cidr.contains(ip); });
    if (!inside) return Verdict::deny("IPOutsideAllowedCIDRs", "IP subjectAltName " + ip.toString() + " is outside the allowed CIDRs");
  }
  return std::nullopt;
}

// One question to the address source for both SAN kinds (a Machine or a fresh Node read is
// fetched once); each kind is asked about only while its check is on.
std::optional<Verdict> addressOwnership(const ServingPolicyContext& p, ServingRequest& r) {
  if (r.request.ipAddresses.empty() && r.request.dnsNames.empty()) return std::nullopt;
  if (r.nodeName.empty()) return Verdict::deny("NodeUnknown", "addresses cannot be checked: the request names no node");
  const auto names = namesToVerify(r.request, p.config.checks);
  const auto verdict = p.identity.addresses.verify({r.nodeName, names, ageOf(r.csr, p.identity.now())});
  switch (verdict.outcome) {
    case AddressVerdict::Outcome::Owned: return std::nullopt;
    case AddressVerdict::Outcome::NotOwned: return Verdict::deny(verdict.reason, verdict.message);
    case AddressVerdict::Outcome::NotYetKnown: break;
  }
  return Verdict::retry(verdict.reason, verdict.message);
}

std::optional<Verdict> dnsResolution(const ServingPolicyContext& p, ServingRequest& r) {
  if (r.request.dnsNames.empty()) return std::nullopt;
  if (auto unavailable = r.nodeUnavailable("dnsResolution")) return unavailable;
  const auto owned = addressesOf(*r.node().value);
  const auto& resolution = p.config.dnsResolution;
  for (const auto& name : r.request.dnsNames) {
    auto resolved = p.resolver.resolve(name, resolution.timeout);
    if (resolved.state != Lookup<std::vector<std::string>>::State::Found || resolved.value->empty()) {
      const std::string why = "DNS name \"" + name + "\" did not resolve" + (resolved.error.empty() ? "" : ": " + resolved.error);
      return resolution.onFailure == ResolutionFailure::Deny ? Verdict::deny("DNSResolutionFailed", why)
                                                             : Verdict::retry("DNSResolutionFailed", why);
    }
    for (const auto& text : *resolved.value) {
      auto ip = signers::IpAddress::parse(text);
      if (!ip || std::find(owned.begin(), owned.end(), *ip) == owned.end())
        return Verdict::deny("DNSResolvesElsewhere",
                             "DNS name \"" + name + "\" resolves to " + text + ", which is not an address of Node \"" + r.nodeName + "\"");
    }
  }
  return std::nullopt;
}

}  // namespace serving
}  // namespace csrop
