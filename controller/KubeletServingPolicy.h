// Approves kubernetes.io/kubelet-serving CSRs only when the request proves it belongs to the
// node that asks: the requester is that node, the subject and usages are exactly what a
// kubelet sends, and every IP and DNS name is one the Node object (or a configured pattern
// anchored to the node name) says is that node's. Each check is a named unit that can be
// switched off on its own; switching one off never skips another. Whatever the checks, nothing is
// approved that the signer would refuse (signerProfile, always on).
#pragma once

#include "controller/ApprovalPolicy.h"
#include "controller/Config.h"
#include "controller/Lookups.h"
#include "controller/NodeNameRegexes.h"

#include <functional>
#include <optional>

namespace signers {
struct ParsedRequest;
class Signer;
}

namespace csrop {

class KubeletServingPolicy : public ApprovalPolicy {
 public:
  static constexpr std::string_view kSignerName = "kubernetes.io/kubelet-serving";

  // signer: this instance's signer for kubelet-serving, or nullptr when it only approves (then the
  // built-in kubernetes.io profile decides what the signer would refuse).
  KubeletServingPolicy(KubeletServingConfig config, NodeDirectory& nodes, HostResolver& resolver,
                       const signers::Signer* signer = nullptr);

  std::string_view name() const override { return "kubelet-serving"; }
  bool handles(const std::string& signerName) const override { return signerName == kSignerName; }
  Verdict evaluate(const k8s::CertificateSigningRequest& csr) override;

  struct Context;
  using Check = std::function<std::optional<Verdict>(Context&)>;
  struct NamedCheck {
    std::string name;
    bool enabled;
    Check run;
  };

 private:
  std::vector<NamedCheck> buildChecks();

  KubeletServingConfig config_;
  NodeDirectory& nodes_;
  HostResolver& resolver_;
  const signers::Signer* signer_;
  NodeNameRegexes dnsNameRegexes_;
  std::vector<NamedCheck> checks_;
};

}  // namespace csrop
