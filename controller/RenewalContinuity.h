// Renewal continuity (approver.kubeletServing.renewalContinuity), in front of an address source:
// a renewal that asks for exactly what the kubelet serves today is approved even when the source
// has not caught up (a Machine being re-provisioned, a cloud API lagging). The proof is the
// certificate presented at InternalIP:status.daemonEndpoints.kubeletEndpoint.Port: it must
// verify against this signer's CA (for serverAuth, unexpired), have CN system:node:<node> equal to
// the request's CN, and the same DNS, IP, email and URI SAN sets as the request
// (cluster-machine-approver's renewal path, pkg/controller/csr_check.go). Anything else, a request
// that adds a name, or a dial that fails or times out, goes to the source: a failure here is never
// a reason to approve. The Node's address and port are the kubelet's own claims, which is safe: the
// CN and CA checks pin the presented certificate to this node's current one; loopback, link-local,
// multicast and unspecified addresses are never dialled.
#pragma once

#include "controller/AddressAuthority.h"
#include "controller/Lookups.h"
#include "controller/TlsDialer.h"

#include <functional>
#include <optional>

namespace csrop {

struct RenewalContinuityOptions {
  std::chrono::milliseconds dialTimeout{5000};
};

class RenewalContinuity : public AddressAuthority {
 public:
  // caBundlePem: the signer's current CA certificate(s), PEM; read on every check because the CA
  // is reloaded.
  RenewalContinuity(NodeDirectory& nodes, TlsDialer& dialer, std::function<std::string()> caBundlePem, AddressAuthority& source,
                    RenewalContinuityOptions options);
  std::string_view name() const override { return name_; }
  AddressVerdict verify(const AddressRequest& request) override;

  // Why the request is not an identical renewal of the served certificate; nullopt when it is.
  std::optional<std::string> continuityGap(const AddressRequest& request);

 private:
  NodeDirectory& nodes_;
  TlsDialer& dialer_;
  std::function<std::string()> caBundlePem_;
  AddressAuthority& source_;
  RenewalContinuityOptions options_;
  std::string name_;
};

// Why `chain` (DER, leaf first) is not a valid serving certificate from caBundlePem with exactly
// the request's CN and SANs for nodeName; nullopt when it is. Public for tests.
std::optional<std::string> servedCertificateGap(const std::vector<std::string>& chain, const std::string& caBundlePem,
                                                const std::string& nodeName, const signers::ParsedRequest& request);

}  // namespace csrop
