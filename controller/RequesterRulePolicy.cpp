#include "controller/RequesterRulePolicy.h"

#include "signers/CertificateRequest.h"
#include "signers/Signer.h"

#include <algorithm>

namespace csrop {
namespace {

bool requesterMatches(const RequesterRule& rule, const k8s::CertificateSigningRequest& csr) {
  if (contains(rule.users, csr.spec.username)) return true;
  for (const auto& g : csr.spec.groups)
    if (contains(rule.groups, g)) return true;
  for (const auto& sa : rule.serviceAccounts) {
    const auto slash = sa.find('/');
    if (csr.spec.username == "system:serviceaccount:" + sa.substr(0, slash) + ":" + sa.substr(slash + 1)) return true;
  }
  return false;
}

}  // namespace

RequesterRulePolicy::RequesterRulePolicy(std::vector<RequesterRule> rules, std::map<std::string, const signers::Signer*> signersByName)
    : rules_(std::move(rules)), signers_(std::move(signersByName)) {}

bool RequesterRulePolicy::handles(const std::string& signerName) const {
  return std::any_of(rules_.begin(), rules_.end(), [&](const RequesterRule& r) { return r.signerName == signerName; });
}

Explanation RequesterRulePolicy::explain(const k8s::CertificateSigningRequest& csr) {
  ExplanationBuilder e(name());
  e.check("requesterRule", "requester \"" + csr.spec.username + "\" is allowed by a rule for signer \"" + csr.spec.signerName + "\"",
          [&]() -> std::optional<Verdict> {
            const bool allowed = std::any_of(rules_.begin(), rules_.end(), [&](const RequesterRule& r) {
              return r.signerName == csr.spec.signerName && requesterMatches(r, csr);
            });
            if (allowed) return std::nullopt;
            return Verdict::deny("RequesterNotAllowed", "requester \"" + csr.spec.username + "\" is not allowed by any rule for signer \"" +
                                                            csr.spec.signerName + "\"");
          });
  const auto parsed = checkRequest(e, csr);
  const auto signer = signers_.find(csr.spec.signerName);
  if (signer != signers_.end() && signer->second)
    e.check("signerProfile", "the signer's profile would not refuse the request",
            [&] { return signerWouldRefuse(signer->second, csr, *parsed); });
  else
    e.off("signerProfile",
          "this instance does not sign for \"" + csr.spec.signerName + "\" (signers.list), so its profile is unknown here");
  return std::move(e).finish([&] {
    return Verdict::approve("AutoApproved",
                            "requester \"" + csr.spec.username + "\" is allowed by a rule for signer \"" + csr.spec.signerName + "\"");
  });
}

}  // namespace csrop
