// kube-controller-manager's csrapproving for kubernetes.io/kube-apiserver-client-kubelet
// (pkg/controller/certificates/approver/sarapprove.go): recognise node client and self node
// client requests, approve only when a SubjectAccessReview for
// certificatesigningrequests/selfnodeclient or /nodeclient allows the requester. Like KCM it
// never denies a request that a SubjectAccessReview does not allow; it leaves it for a human.
#pragma once

#include "controller/ApprovalPolicy.h"
#include "controller/Lookups.h"

namespace csrop {

class KubeletClientPolicy : public ApprovalPolicy {
 public:
  static constexpr std::string_view kSignerName = "kubernetes.io/kube-apiserver-client-kubelet";

  explicit KubeletClientPolicy(AccessReviewer& reviewer) : reviewer_(reviewer) {}

  std::string_view name() const override { return "kubelet-client"; }
  bool handles(const std::string& signerName) const override { return signerName == kSignerName; }
  Verdict evaluate(const k8s::CertificateSigningRequest& csr) override;

 private:
  AccessReviewer& reviewer_;
};

}  // namespace csrop
