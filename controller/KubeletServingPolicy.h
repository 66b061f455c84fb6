// Approves kubernetes.io/kubelet-serving CSRs only when the request proves it belongs to the
// node that asks: the requester is that node, the subject and usages are exactly what a
// kubelet sends, no SAN is one of the cluster's own identities (ReservedIdentities, always on),
// and the configured address source (AddressAuthority: the Node checked for uniqueness across
// Nodes, or its Machine, optionally behind renewal continuity) says every IP and DNS name is that
// node's. Each check is a named function (ServingChecks.h) that can be switched off on its own;
// switching one off never skips another. Whatever the checks, nothing is approved that the signer
// would refuse (signerProfile, always on).
#pragma once

#include "controller/AddressAuthority.h"
#include "controller/ApprovalPolicy.h"
#include "controller/Config.h"
#include "controller/Lookups.h"
#include "controller/ReservedIdentities.h"

#include <functional>
#include <memory>

namespace csrop {

class DnsNameFilter;

// Whether a DNS name is the node's by a configured dnsNamePatterns entry or dnsNameRegexes
// regex (an address source's extra names; they still have to be unique to the node).
using DnsNameMatcher = std::function<bool(const std::string& nodeName, const std::string& dnsName)>;
DnsNameMatcher configuredDnsNames(const KubeletServingConfig& config);

// Who vouches for a node's names and addresses (docs/node-identity.md).
struct NodeIdentity {
  const ReservedIdentities& reserved;
  AddressAuthority& addresses;
  // Wall clock, for a CSR's age: sources wait that long for addresses that arrive late.
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

class KubeletServingPolicy : public ApprovalPolicy {
 public:
  static constexpr std::string_view kSignerName = "kubernetes.io/kubelet-serving";

  // signer: this instance's signer for kubelet-serving, or nullptr when it only approves (then the
  // built-in kubernetes.io profile decides what the signer would refuse).
  KubeletServingPolicy(KubeletServingConfig config, NodeDirectory& nodes, HostResolver& resolver, NodeIdentity identity,
                       const signers::Signer* signer = nullptr);

  std::string_view name() const override { return "kubelet-serving"; }
  bool handles(const std::string& signerName) const override { return signerName == kSignerName; }
  Explanation explain(const k8s::CertificateSigningRequest& csr) override;

 private:
  KubeletServingConfig config_;
  NodeDirectory& nodes_;
  HostResolver& resolver_;
  NodeIdentity identity_;
  const signers::Signer* signer_;
  std::shared_ptr<const DnsNameFilter> dnsNamesMustMatch_;
};

}  // namespace csrop
