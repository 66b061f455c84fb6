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

Explanation KubeletClientPolicy::explain(const k8s::CertificateSigningRequest& csr) {
  ExplanationBuilder e(name());
  const auto parsed = checkRequest(e, csr);
  e.check("kubeletClientRequest", "subject, SANs and usages are a kubelet client's", [&]() -> std::optional<Verdict> {
    if (auto why = notKubeletClientRequest(*parsed, csr.spec.usages))
      return Verdict::skip("NotKubeletClientRequest", "not a kubelet client request (" + *why + "); left for a human");
    return std::nullopt;
  });
  e.check("signerProfile", "the signer's profile would not refuse the request", [&] { return signerWouldRefuse(signer_, csr, *parsed); });
  e.check("subjectAccessReview", "", [&] { return std::optional<Verdict>(reviewed(csr, *parsed)); });
  return std::move(e).finish([] { return Verdict::skip("NotAuthorized", "no SubjectAccessReview decided"); });
}

// KCM's recognizers in its order: a self node client request (CN is the requester) is asked for
// selfnodeclient first, then any node client request for nodeclient. Always decides.
Verdict KubeletClientPolicy::reviewed(const k8s::CertificateSigningRequest& csr, const signers::ParsedRequest& request) {
  struct Recognizer {
    const char* subresource;
    bool matches;
    const char* message;
  };
  const Recognizer recognizers[] = {
      {"selfnodeclient", csr.spec.username == request.commonName,
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
