// Which SANs a kubelet serving certificate may carry at all, whoever owns them.
#include "controller/ServingChecks.h"

#include "controller/DnsNameFilter.h"
#include "signers/CertificateRequest.h"

namespace csrop::serving {

std::optional<Verdict> noEmailOrUri(const ServingPolicyContext&, ServingRequest& r) {
  if (!r.request.emailAddresses.empty())
    return Verdict::deny("EmailSANNotAllowed", "email subjectAltName \"" + r.request.emailAddresses.front() +
                                                   "\" is not allowed in a kubelet serving certificate");
  if (!r.request.uris.empty())
    return Verdict::deny("URISANNotAllowed",
                         "URI subjectAltName \"" + r.request.uris.front() + "\" is not allowed in a kubelet serving certificate");
  return std::nullopt;
}

// A serving certificate without a name serves nothing, and the signer refuses it.
std::optional<Verdict> subjectAltNames(const ServingPolicyContext&, ServingRequest& r) {
  if (r.request.dnsNames.empty() && r.request.ipAddresses.empty())
    return Verdict::deny("NoSubjectAltNames", "the request has neither a DNS nor an IP subjectAltName");
  return std::nullopt;
}

std::optional<Verdict> maxDnsNames(const ServingPolicyContext& p, ServingRequest& r) {
  if (static_cast<int>(r.request.dnsNames.size()) > p.config.maxDNSNames)
    return Verdict::deny("TooManyDNSNames", "the request has " + std::to_string(r.request.dnsNames.size()) + " DNS names; at most " +
                                                std::to_string(p.config.maxDNSNames) + " are allowed");
  return std::nullopt;
}

std::optional<Verdict> dnsNamesMustMatch(const ServingPolicyContext& p, ServingRequest& r) {
  for (const auto& name : r.request.dnsNames)
    if (!p.dnsNamesMustMatch->allows(name))
      return Verdict::deny("DNSNameNotAllowedByRegex", "DNS subjectAltName \"" + name +
                                                           "\" does not match approver.kubeletServing.dnsNamesMustMatch '" +
                                                           p.dnsNamesMustMatch->regex() + "'");
  return std::nullopt;
}

// The cluster's own names and addresses are never a node's, whatever the node lists.
std::optional<Verdict> reservedIdentities(const ServingPolicyContext& p, ServingRequest& r) {
  if (auto reserved = p.identity.reserved.check(r.request)) return Verdict::deny(reserved->reason, reserved->message);
  return std::nullopt;
}

}  // namespace csrop::serving
