#pragma once
// The entry point the controller uses: one Signer per signerName.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "signers/CertificateAuthority.h"
#include "signers/CertificateRequest.h"
#include "signers/Profiles.h"
#include "signers/Result.h"
#include "signers/SignerConfig.h"

namespace signers {

struct IssueRequest {
  std::string requestPem;   // spec.request, PEM
  std::string signerName;   // spec.signerName; must equal the Signer's name
  std::vector<std::string> usages;
  std::optional<int64_t> expirationSeconds;
  Requester requester{};  // spec.username / spec.groups: the kubelet signers issue a node only its own CN
};

struct IssuedCertificate {
  std::string pem;  // leaf, then the chain when the signer includes it
  std::chrono::system_clock::time_point notBefore, notAfter;
  bool clampedToCaNotAfter = false;
  std::string serialHex;  // upper-case hex, no separators
};

enum class IssueErrorKind {
  ValidationFailed,  // terminal: controller sets Failed / SignerValidationFailure with the message
  Transient,         // CA expired or not yet valid, CA reload error, OpenSSL failure: retry later
};

struct IssueError {
  IssueErrorKind kind;
  std::string message;
};

class ProfileRules;

class Signer {
 public:
  // Validates the config (name, durations, custom rules) and loads the CA.
  static Result<std::unique_ptr<Signer>> create(const SignerConfig& config);
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  const std::string& signerName() const { return config_.signerName; }
  const SignerConfig& config() const { return config_; }
  std::chrono::system_clock::time_point caNotAfter() const;

  // Parses and verifies the request, validates it, then issues. Thread-safe.
  std::variant<IssuedCertificate, IssueError> issue(const IssueRequest& request,
                                                    std::chrono::system_clock::time_point now) const;
  // Validation alone (subject text, profile rules, then csr-operator's common rules). Thread-safe.
  std::optional<std::string> validate(const ParsedRequest& request, const std::vector<std::string>& usages,
                                      const Requester& requester = {}) const;
  // The request limits this signer parses with (maxSans from the config).
  RequestLimits requestLimits() const;

  ReloadingCertificateAuthority& authority() { return *authority_; }
  const ReloadingCertificateAuthority& authority() const { return *authority_; }

 private:
  Signer(SignerConfig config, std::unique_ptr<ReloadingCertificateAuthority> authority,
         std::shared_ptr<const ProfileRules> rules);

  SignerConfig config_;
  std::unique_ptr<ReloadingCertificateAuthority> authority_;
  std::shared_ptr<const ProfileRules> rules_;
};

}  // namespace signers
