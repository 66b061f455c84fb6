#include "controller/KubeletClientPolicy.h"

#include "signers/CertificateRequest.h"

namespace csrop {
namespace {

// IsKubeletClientCSR (pkg/apis/certificates/helpers.go): the exact shape of a kubelet client request.
std::optional<std::string> notKubeletClientRequest(const signers::ParsedRequest& req, const std::vector<std::string>& usages) {
  if (req.organizations != std::vector<std::string>{std::string(kNodesGroup)}) return "subject organization is not system:nodes";
  if (!req.dnsNames.empty()) return "DNS subjectAltNames are not allowed";
  if (!req.emailAddresses.empty()) return "Email subjectAltNames are not allowed";
  if (!req.ipAddresses.empty()) return "IP subjectAltNames are not allowed";
  if (!req.uris.empty()) return "URI subjectAltNames are not allowed";
  if (req.commonName.rfind(kNodeUserPrefix, 0) != 0) return "subject common name does not begin with system:node:";
  static const std::vector<std::vector<std::string>> allowed = {
      {"digital signature", "key encipherment", "client auth"}, {"digital signature", "client auth"}};
  if (!usagesMatchOneOf(usages, allowed)) return "usages " + joinUsages(usages) + " are not a kubelet client usage set";
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
      {"selfnodeclient", csr.spec.username == parsed.value().commonName, "Auto approving self kubelet client certificate after SubjectAccessReview."},
      {"nodeclient", true, "Auto approving kubelet client certificate after SubjectAccessReview."},
  };
  for (const auto& r : recognizers) {
    if (!r.matches) continue;
    auto allowed = reviewer_.allowed(reviewFor(csr, r.subresource));
    if (allowed.state == Lookup<bool>::State::Error)
      return Verdict::retry("SubjectAccessReviewFailed", std::string("SubjectAccessReview for ") + r.subresource + " failed: " + allowed.error);
    if (allowed.value.value_or(false)) return Verdict::approve("AutoApproved", r.message);
  }
  return Verdict::skip("NotAuthorized", "recognized as a kubelet client request but no SubjectAccessReview allowed \"" +
                                            csr.spec.username + "\" to create selfnodeclient or nodeclient requests");
}

}  // namespace csrop
