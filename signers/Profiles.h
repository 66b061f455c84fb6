#pragma once
// Validation rules per signer. Each returns std::nullopt when the request is acceptable, else the
// message the controller puts in the Failed/SignerValidationFailure condition.
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "signers/CertificateRequest.h"
#include "signers/IpAddress.h"
#include "signers/Result.h"
#include "signers/SignerConfig.h"
#include "signers/Usages.h"

namespace signers {

inline constexpr const char* kKubeletServingSigner = "kubernetes.io/kubelet-serving";
inline constexpr const char* kKubeletClientSigner = "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr const char* kApiServerClientSigner = "kubernetes.io/kube-apiserver-client";
inline constexpr const char* kLegacyUnknownSigner = "kubernetes.io/legacy-unknown";

bool isKubernetesSignerName(const std::string& signerName);  // the four above
// "domain/path" with a dotted DNS domain of at least two labels (API server's ValidateSignerName).
std::optional<std::string> checkSignerNameFormat(const std::string& signerName);

// kube-controller-manager rules, same order and wording (anchors 1.1).
std::optional<std::string> validateKubeletServing(const ParsedRequest& req, const UsageSet& usages);
std::optional<std::string> validateKubeletClient(const ParsedRequest& req, const UsageSet& usages);
std::optional<std::string> validateApiServerClient(const ParsedRequest& req, const std::vector<std::string>& usages);
std::optional<std::string> validateLegacyUnknown(const ParsedRequest& req, const std::vector<std::string>& usages);

// csr-operator's additions, checked on every signer after the profile: the key policy, no CA
// request, no cert sign / crl sign / any, every usage known, at least one usage.
std::optional<std::string> validateKeyPolicy(const ParsedRequest& req, const KeyPolicy& policy);
std::optional<std::string> validateCommonRules(const ParsedRequest& req, const std::vector<std::string>& usages,
                                               const KeyPolicy& policy);

// A custom signer's rules, compiled once (regexes, CIDRs) from its SignerConfig.
class CustomProfile {
 public:
  static Result<std::shared_ptr<const CustomProfile>> compile(const SignerConfig& config);
  std::optional<std::string> validate(const ParsedRequest& req, const UsageSet& usages) const;

 private:
  CustomProfile() = default;
  UsageSet allowedUsages_;
  UsageSet requiredUsages_;
  bool allowDns_ = false, allowIp_ = false, allowEmail_ = false, allowUri_ = false;
  std::vector<std::string> dnsSuffixes_;
  std::vector<std::regex> dnsRegexes_;
  std::vector<Cidr> ipCidrs_;
  std::vector<std::string> allowedOrganizations_;
  bool anyOrganization_ = false;
  std::optional<std::regex> commonNameRegex_;
  std::size_t maxSans_ = 100;
};

// Well-formed DNS SAN: labels of [A-Za-z0-9-] (1..63, no leading/trailing '-'), total <= 253,
// an optional leading "*." wildcard label.
bool isWellFormedDnsName(const std::string& name);

}  // namespace signers
