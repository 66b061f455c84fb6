#include "controller/ApprovalPolicy.h"

#include "signers/CertificateRequest.h"
#include "signers/Signer.h"
#include "signers/Profiles.h"

#include <algorithm>
#include <cctype>

namespace csrop {

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::optional<signers::ParsedRequest> checkRequest(ExplanationBuilder& e, const k8s::CertificateSigningRequest& csr) {
  std::optional<signers::ParsedRequest> parsed;
  e.check("request", "spec.request is a certificate request whose signature verifies", [&]() -> std::optional<Verdict> {
    auto result = signers::parseCertificateRequest(csr.spec.request);
    if (!result) return Verdict::deny("InvalidRequest", "spec.request cannot be used: " + result.error());
    parsed = std::move(result.value());
    return std::nullopt;
  });
  return parsed;
}

std::optional<Verdict> signerWouldRefuse(const signers::Signer* signer, const k8s::CertificateSigningRequest& csr,
                                         const signers::ParsedRequest& request) {
  const signers::Requester requester{csr.spec.username, csr.spec.groups};
  std::optional<std::string> violation;
  if (signer) {
    violation = signer->validate(request, csr.spec.usages, requester);
  } else if (signers::isKubernetesSignerName(csr.spec.signerName)) {
    violation = signers::validateKubernetesProfile(csr.spec.signerName, request, csr.spec.usages, requester, signers::KeyPolicy{});
  }
  if (!violation) return std::nullopt;
  return Verdict::deny("SignerConstraintsViolated", "the request breaks signer \"" + csr.spec.signerName + "\" constraints: " + *violation);
}

const char* decisionName(Decision decision) {
  switch (decision) {
    case Decision::Approve: return "approve";
    case Decision::Deny: return "deny";
    case Decision::Skip: return "skip";
    case Decision::Retry: return "retry";
  }
  return "unknown";
}

std::string checkResultName(CheckResult result, Decision decision) {
  switch (result) {
    case CheckResult::Passed: return "passed";
    case CheckResult::Off: return "off";
    case CheckResult::NotReached: return "not reached";
    case CheckResult::Decided: {
      std::string name = decisionName(decision);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return name;
    }
  }
  return "unknown";
}

}  // namespace csrop
