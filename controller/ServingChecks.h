// The checks of the kubelet-serving policy, one named function each, grouped by concern: who
// asks (ServingIdentityChecks.cpp), what the subject and profile say (ServingSubjectChecks.cpp),
// which SANs are asked for (ServingSanChecks.cpp) and whether the node owns its addresses
// (ServingAddressChecks.cpp). Each returns the verdict that ends the evaluation, or nullopt to go
// on to the next check. Their order, and which configuration switch turns each on, is the table
// in KubeletServingPolicy.cpp.
#pragma once

#include "controller/KubeletServingPolicy.h"
#include "controller/Verdict.h"

#include <optional>
#include <string>
#include <string_view>

namespace csrop {

class DnsNameFilter;

// What the checks consult, fixed for the policy's lifetime.
struct ServingPolicyContext {
  const KubeletServingConfig& config;
  HostResolver& resolver;
  const NodeIdentity& identity;
  const signers::Signer* signer;           // nullptr: the built-in kubernetes.io profile decides
  const DnsNameFilter* dnsNamesMustMatch;  // nullptr: off
};

// The CSR under evaluation. The Node is read at most once and shared by every check that needs it.
struct ServingRequest {
  ServingRequest(const k8s::CertificateSigningRequest& csr, const signers::ParsedRequest& request, NodeDirectory& nodes);

  const k8s::CertificateSigningRequest& csr;
  const signers::ParsedRequest& request;
  // The node the CSR speaks for: the authenticated username (set by the API server, cannot be
  // forged), else the CN, which counts only when the requesterIsNode check is switched off.
  const std::string nodeName;

  const Lookup<k8s::Node>& node();
  // Retry when the Node cannot be read, deny when it does not exist, nullopt when it does. check
  // names the check that needs it, for the message.
  std::optional<Verdict> nodeUnavailable(std::string_view check);

 private:
  NodeDirectory& nodes_;
  std::optional<Lookup<k8s::Node>> node_;
};

using ServingCheck = std::optional<Verdict> (*)(const ServingPolicyContext&, ServingRequest&);

// One row of the policy's table of checks.
struct NamedServingCheck {
  std::string_view name;
  bool (*enabled)(const KubeletServingConfig&);
  ServingCheck run;
  std::string_view verifies;    // what a pass means (explain)
  std::string_view offBecause;  // the setting that switches it off (explain); empty: always on
};

namespace serving {

// Identity: spec.username is system:node:<name> and spec.groups contains system:nodes.
std::optional<Verdict> requesterIsNode(const ServingPolicyContext&, ServingRequest&);
// Identity: the request names a node and its Node object exists.
std::optional<Verdict> nodeExists(const ServingPolicyContext&, ServingRequest&);

// Subject: the CN is spec.username.
std::optional<Verdict> commonName(const ServingPolicyContext&, ServingRequest&);
// Subject: O is exactly [system:nodes].
std::optional<Verdict> organization(const ServingPolicyContext&, ServingRequest&);
// A kubelet serving usage set, each usage listed once.
std::optional<Verdict> usages(const ServingPolicyContext&, ServingRequest&);
// spec.expirationSeconds at most maxExpirationSeconds.
std::optional<Verdict> expiration(const ServingPolicyContext&, ServingRequest&);
// Whatever the signer would mark Failed (signerWouldRefuse), denied before anything looks a name up.
std::optional<Verdict> signerProfile(const ServingPolicyContext&, ServingRequest&);

// SANs: no email or URI SAN.
std::optional<Verdict> noEmailOrUri(const ServingPolicyContext&, ServingRequest&);
// SANs: at least one DNS or IP SAN.
std::optional<Verdict> subjectAltNames(const ServingPolicyContext&, ServingRequest&);
// SANs: at most maxDNSNames DNS names.
std::optional<Verdict> maxDnsNames(const ServingPolicyContext&, ServingRequest&);
// SANs: every DNS name matches dnsNamesMustMatch.
std::optional<Verdict> dnsNamesMustMatch(const ServingPolicyContext&, ServingRequest&);
// SANs: none is one of the cluster's own names or addresses (ReservedIdentities).
std::optional<Verdict> reservedIdentities(const ServingPolicyContext&, ServingRequest&);

// Addresses: every IP SAN inside allowedCIDRs.
std::optional<Verdict> allowedCidrs(const ServingPolicyContext&, ServingRequest&);
// Addresses: the address source says the node owns every IP (ipAddresses) and DNS name (dnsNames).
std::optional<Verdict> addressOwnership(const ServingPolicyContext&, ServingRequest&);
// Addresses: every DNS SAN resolves only to the Node's addresses.
std::optional<Verdict> dnsResolution(const ServingPolicyContext&, ServingRequest&);

}  // namespace serving
}  // namespace csrop
