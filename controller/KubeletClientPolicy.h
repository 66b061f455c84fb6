// kube-controller-manager's csrapproving for kubernetes.io/kube-apiserver-client-kubelet
// (pkg/controller/certificates/approver/sarapprove.go): recognise node client and self node
// client requests, approve only when a SubjectAccessReview for
// certificatesigningrequests/selfnodeclient or /nodeclient allows the requester. Like KCM it
// never denies a request that a SubjectAccessReview does not allow; it leaves it for a human.
// Unlike KCM, a recognised request that the signer would mark Failed (weak key, CA request,
// control characters, a node asking for another node's CN) is denied before any review.
#pragma once

#include "controller/ApprovalPolicy.h"
#include "controller/Lookups.h"

namespace signers {
class Signer;
}

namespace csrop {

class KubeletClientPolicy : public ApprovalPolicy {
 public:
  static constexpr std::string_view kSignerName = "kubernetes.io/kube-apiserver-client-kubelet";

  // signer: this instance's signer for kube-apiserver-client-kubelet, or nullptr when it only approves.
  explicit KubeletClientPolicy(AccessReviewer& reviewer, const signers::Signer* signer = nullptr) : reviewer_(reviewer), signer_(signer) {}

  std::string_view name() const override { return "kubelet-client"; }
  bool handles(const std::string& signerName) const override { return signerName == kSignerName; }
  Explanation explain(const k8s::CertificateSigningRequest& csr) override;

 private:
  Verdict reviewed(const k8s::CertificateSigningRequest& csr, const signers::ParsedRequest& request);

  AccessReviewer& reviewer_;
  const signers::Signer* signer_;
};

}  // namespace csrop
