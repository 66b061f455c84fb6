#include "signers/Profiles.h"

#include <algorithm>

namespace signers {
namespace {

bool isDnsLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

}  // namespace

bool isKubernetesSignerName(const std::string& signerName) {
  return signerName == kKubeletServingSigner || signerName == kKubeletClientSigner || signerName == kApiServerClientSigner ||
         signerName == kLegacyUnknownSigner;
}

std::optional<std::string> checkSignerNameFormat(const std::string& signerName) {
  if (signerName.empty()) return "signerName is required";
  if (signerName.size() > 571) return "signerName must be at most 571 characters";
  auto slash = signerName.find('/');
  if (slash == std::string::npos || signerName.find('/', slash + 1) != std::string::npos) {
    return "signerName must be a fully qualified domain and path of the form 'example.com/signer-name'";
  }
  std::string_view domain(signerName.data(), slash);
  std::string_view path(signerName.data() + slash + 1, signerName.size() - slash - 1);
  if (domain.size() > 253 || path.empty()) {
    return "signerName must be a fully qualified domain and path of the form 'example.com/signer-name'";
  }
  int labels = 0;
  std::size_t start = 0;
  while (true) {
    auto dot = domain.find('.', start);
    auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!isDnsLabel(label)) return "signerName domain must consist of lower-case DNS labels separated by dots";
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return "signerName domain should be a domain with at least two segments separated by dots";
  start = 0;
  while (true) {
    auto dot = path.find('.', start);
    auto part = path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!isDnsLabel(part)) return "signerName path must consist of lower-case DNS labels separated by dots";
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

std::optional<std::string> validateApiServerClient(const ParsedRequest& req, const std::vector<std::string>& usages) {
  bool hasClientAuth = false;
  for (const auto& u : usages) {
    if (u == "digital signature" || u == "key encipherment") continue;
    if (u == "client auth") {
      hasClientAuth = true;
      continue;
    }
    return "invalid usage for client certificate: " + u;
  }
  if (!hasClientAuth) return "missing required usage for client certificate: client auth";
  // KCM leaves this to the CertificateSubjectRestriction admission plugin; a signer that may run
  // where admission is misconfigured enforces it itself.
  if (std::find(req.organizations.begin(), req.organizations.end(), "system:masters") != req.organizations.end()) {
    return "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed";
  }
  return std::nullopt;
}

std::optional<std::string> validateLegacyUnknown(const ParsedRequest&, const std::vector<std::string>&) { return std::nullopt; }

std::optional<std::string> validateKeyPolicy(const ParsedRequest& req, const KeyPolicy& policy) {
  switch (req.keyType) {
    case KeyType::Rsa:
      if (!policy.allowRsa) return std::string("RSA keys are not allowed by this signer");
      if (req.keyBits < policy.minRsaBits) {
        return "RSA key of " + std::to_string(req.keyBits) + " bits is too small (minimum " + std::to_string(policy.minRsaBits) + ")";
      }
      if (req.keyBits > policy.maxRsaBits) {
        return "RSA key of " + std::to_string(req.keyBits) + " bits is too large (maximum " + std::to_string(policy.maxRsaBits) + ")";
      }
      return std::nullopt;
    case KeyType::EcP256:
      if (!policy.allowP256) return std::string("ECDSA P-256 keys are not allowed by this signer");
      return std::nullopt;
    case KeyType::EcP384:
      if (!policy.allowP384) return std::string("ECDSA P-384 keys are not allowed by this signer");
      return std::nullopt;
    case KeyType::Ed25519:
      if (!policy.allowEd25519) return std::string("Ed25519 keys are not allowed by this signer");
      return std::nullopt;
    case KeyType::EcOther: return std::string("ECDSA keys on curves other than P-256 and P-384 are not allowed");
    case KeyType::Other: break;
  }
  return std::string("unsupported public key type (allowed: RSA, ECDSA P-256/P-384, Ed25519)");
}

std::optional<std::string> validateCommonRules(const ParsedRequest& req, const std::vector<std::string>& usages, const KeyPolicy& policy) {
  if (auto err = validateKeyPolicy(req, policy)) return err;
  if (req.requestsCa) return "requests for CA certificates (basicConstraints CA:TRUE) are not allowed";
  if (usages.empty()) return "at least one usage is required";
  for (const auto& u : usages) {
    if (!isKnownUsage(u)) return "unrecognized usage value: \"" + u + "\"";
    if (isForbiddenUsage(u)) return "usage \"" + u + "\" is not allowed: this signer never issues CA or unrestricted certificates";
  }
  return std::nullopt;
}

bool isWellFormedDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::string_view rest(name);
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  std::size_t start = 0;
  while (true) {
    auto dot = rest.find('.', start);
    auto label = rest.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace signers
