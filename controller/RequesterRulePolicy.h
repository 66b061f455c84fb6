// Approval for custom signers named in approver.rules: the requester must be one of the
// listed users, groups or service accounts, and the request must already satisfy the signer's
// own profile (so nothing is approved that the signer would then refuse).
#pragma once

#include "controller/ApprovalPolicy.h"
#include "controller/Config.h"

#include <map>

namespace signers {
class Signer;
}

namespace csrop {

class RequesterRulePolicy : public ApprovalPolicy {
 public:
  RequesterRulePolicy(std::vector<RequesterRule> rules, std::map<std::string, const signers::Signer*> signersByName);

  std::string_view name() const override { return "requester-rules"; }
  bool handles(const std::string& signerName) const override;
  Explanation explain(const k8s::CertificateSigningRequest& csr) override;

 private:
  std::vector<RequesterRule> rules_;
  std::map<std::string, const signers::Signer*> signers_;
};

}  // namespace csrop
