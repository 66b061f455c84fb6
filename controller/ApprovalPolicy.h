// One approval policy per family of signers. The ApprovalController asks each policy in turn;
// the first one that handles the CSR's signer decides.
#pragma once

#include "controller/Verdict.h"
#include "k8sclient/Objects.h"

#include <string>
#include <string_view>
#include <vector>

namespace csrop {

class ApprovalPolicy {
 public:
  virtual ~ApprovalPolicy() = default;
  virtual std::string_view name() const = 0;
  virtual bool handles(const std::string& signerName) const = 0;
  virtual Verdict evaluate(const k8s::CertificateSigningRequest& csr) = 0;
};

inline constexpr std::string_view kNodeUserPrefix = "system:node:";
inline constexpr std::string_view kNodesGroup = "system:nodes";

// Set equality of usages, duplicates included as kube-controller-manager does (helpers.go).
bool usagesEqual(const std::vector<std::string>& got, const std::vector<std::string>& want);
bool usagesMatchOneOf(const std::vector<std::string>& got, const std::vector<std::vector<std::string>>& allowed);
std::string joinUsages(const std::vector<std::string>& usages);
bool contains(const std::vector<std::string>& list, std::string_view value);

}  // namespace csrop
