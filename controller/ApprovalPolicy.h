// One approval policy per family of signers. CsrApprover asks each policy in turn; the first one
// that handles the CSR's signer decides.
#pragma once

#include "controller/Verdict.h"
#include "k8sclient/Objects.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signers {
struct ParsedRequest;
class Signer;
}  // namespace signers

namespace csrop {

class ApprovalPolicy {
 public:
  virtual ~ApprovalPolicy() = default;
  virtual std::string_view name() const = 0;
  virtual bool handles(const std::string& signerName) const = 0;
  virtual Verdict evaluate(const k8s::CertificateSigningRequest& csr) = 0;
};

bool contains(const std::vector<std::string>& list, std::string_view value);

// The approver refuses what the signer would mark Failed. signer is this instance's Signer for
// the CSR's signerName (its own key policy and profile), or nullptr when this instance does not
// sign it: then a kubernetes.io signer's built-in profile is checked, and a custom signer's
// (unknown) profile is not. Deny with reason SignerConstraintsViolated and the profile's message.
std::optional<Verdict> signerWouldRefuse(const signers::Signer* signer, const k8s::CertificateSigningRequest& csr,
                                         const signers::ParsedRequest& request);

}  // namespace csrop
