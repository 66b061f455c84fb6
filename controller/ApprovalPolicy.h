// One approval policy per family of signers. CsrApprover asks each policy in turn; the first one
// that handles the CSR's signer decides. A policy is a list of named checks: explain() runs them in
// order and says what each found, and evaluate() is that explanation's verdict, so what
// `csr-operator explain` prints can never differ from what `run` decides.
#pragma once

#include "controller/Verdict.h"
#include "k8sclient/Objects.h"
#include "signers/ParsedRequest.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signers {
class Signer;
}  // namespace signers

namespace csrop {

enum class CheckResult {
  Passed,      // ran and found nothing against the request
  Decided,     // its verdict is the policy's verdict
  Off,         // switched off by the configuration
  NotReached,  // an earlier check decided; later checks rely on the bounds earlier ones enforce
};

struct CheckRow {
  std::string check;
  CheckResult result = CheckResult::NotReached;
  std::string message;  // Passed: what it verified; Decided: the verdict's message; Off: which setting
};

struct Explanation {
  std::string policy;
  std::vector<CheckRow> checks;  // in the order they run
  Verdict verdict;
};

// "passed", "off", "not reached", or for the deciding check its decision in capitals (DENY, RETRY,
// SKIP, APPROVE) so that it stands out in a column of passes.
std::string checkResultName(CheckResult result, Decision decision);

// Records a policy's checks in order. Once one decides, later ones are not run (they rely on what
// earlier ones bounded, e.g. signerProfile before any lookup) and are recorded as not reached.
class ExplanationBuilder {
 public:
  explicit ExplanationBuilder(std::string_view policy) { explanation_.policy = policy; }

  // run() returns the verdict that ends the evaluation, or nullopt to go on; passed says what a pass
  // verified.
  template <class Run>
  void check(std::string_view name, std::string passed, Run&& run) {
    if (decision_) {
      explanation_.checks.push_back({std::string(name), CheckResult::NotReached, "an earlier check decided"});
      return;
    }
    if (std::optional<Verdict> verdict = run()) {
      explanation_.checks.push_back({std::string(name), CheckResult::Decided, verdict->message});
      decision_ = std::move(*verdict);
      return;
    }
    explanation_.checks.push_back({std::string(name), CheckResult::Passed, std::move(passed)});
  }
  void off(std::string_view name, std::string why) { explanation_.checks.push_back({std::string(name), CheckResult::Off, std::move(why)}); }

  // The deciding check's verdict, else otherwise(): what the policy concludes when none decided.
  template <class Otherwise>
  Explanation finish(Otherwise&& otherwise) && {
    explanation_.verdict = decision_ ? std::move(*decision_) : otherwise();
    return std::move(explanation_);
  }

 private:
  Explanation explanation_;
  std::optional<Verdict> decision_;
};

class ApprovalPolicy {
 public:
  virtual ~ApprovalPolicy() = default;
  virtual std::string_view name() const = 0;
  virtual bool handles(const std::string& signerName) const = 0;
  // Every check of this policy in order, with its result, and the verdict. Writes nothing.
  virtual Explanation explain(const k8s::CertificateSigningRequest& csr) = 0;
  Verdict evaluate(const k8s::CertificateSigningRequest& csr) { return explain(csr).verdict; }
};

bool contains(const std::vector<std::string>& list, std::string_view value);

// The "request" check: spec.request parses as a certificate request whose signature verifies, else
// deny InvalidRequest. The parsed request; nullopt when this check denied or was not reached.
std::optional<signers::ParsedRequest> checkRequest(ExplanationBuilder& e, const k8s::CertificateSigningRequest& csr);

// The approver refuses what the signer would mark Failed. signer is this instance's Signer for
// the CSR's signerName (its own key policy and profile), or nullptr when this instance does not
// sign it: then a kubernetes.io signer's built-in profile is checked, and a custom signer's
// (unknown) profile is not. Deny with reason SignerConstraintsViolated and the profile's message.
std::optional<Verdict> signerWouldRefuse(const signers::Signer* signer, const k8s::CertificateSigningRequest& csr,
                                         const signers::ParsedRequest& request);

}  // namespace csrop
