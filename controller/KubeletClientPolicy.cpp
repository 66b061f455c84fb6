#include "controller/KubeletClientPolicy.h"

#include "signers/CertificateRequest.h"
#include "signers/KubeletRequests.h"

namespace csrop {
namespace {

// isNodeClientCert (pkg/controller/certificates/approver/sarapprove.go) is the rule the signer
// profile applies, so both use one recogniser; this approver also wants each usage listed once.
std::optional<std::string> notKubeletClientRequest(const signers::ParsedRequest& req, const std::vector<std::string>& usages) {
  if (auto why = signers::validateKubeletClient(req, signers::toUsageSet(usages))) return why;
  if (!signers::listsEachUsageOnce(usages)) return "usages " + signers::formatRequestedUsages(usages) + " list a usage more than once";
  return std::nullopt;
}

k8s::SubjectAccessReview reviewFor(const k8s::CertificateSigningRequest& csr, const std::string& subresource) {
  k8s::SubjectAccessReview review;
  review.spec.user = csr.spec.username;
  review.spec.uid = csr.spec.uid;
  review.spec.groups = csr.spec.groups;
  review.spec.extra = csr.spec.extra;
  review.spec.resourceAttributes.group = "certificates.k8s.io";
  review.spec.resourceAttributes.resource = "certificatesigningrequests";
  review.spec.resourceAttributes.verb = "create";
  review.spec.resourceAttributes.subresource = subresource;
  return review;
}

}  // namespace

Verdict KubeletClientPolicy::evaluate(const k8s::CertificateSigningRequest& csr) {
  auto parsed = signers::parseCertificateRequest(csr.spec.request);
  if (!parsed) return Verdict::deny("InvalidRequest", "spec.request cannot be used: " + parsed.error());
  if (auto why = notKubeletClientRequest(parsed.value(), csr.spec.usages))
    return Verdict::skip("NotKubeletClientRequest", "not a kubelet client request (" + *why + "); left for a human");
  if (auto refusal = signerWouldRefuse(signer_, csr, parsed.value())) return *refusal;

  struct Recognizer {
    const char* subresource;
    bool matches;
    const char* message;
  };
  const Recognizer recognizers[] = {
      {"selfnodeclient", csr.spec.username == parsed.value().commonName,
       "Auto approving self kubelet client certificate after SubjectAccessReview."},
      {"nodeclient", true, "Auto approving kubelet client certificate after SubjectAccessReview."},
  };
  for (const auto& r : recognizers) {
    if (!r.matches) continue;
    auto allowed = reviewer_.allowed(reviewFor(csr, r.subresource));
    if (allowed.state == Lookup<bool>::State::Error)
      return Verdict::retry("SubjectAccessReviewFailed",
                            std::string("SubjectAccessReview for ") + r.subresource + " failed: " + allowed.error);
    if (allowed.value.value_or(false)) return Verdict::approve("AutoApproved", r.message);
  }
  return Verdict::skip("NotAuthorized", "recognized as a kubelet client request but no SubjectAccessReview allowed \"" + csr.spec.username +
                                            "\" to create selfnodeclient or nodeclient requests");
}

}  // namespace csrop
