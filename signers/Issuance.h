#pragma once
// What a Signer is asked for and what it answers (signers/Signer.h).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "signers/Requester.h"

namespace signers {

struct IssueRequest {
  std::string requestPem;  // spec.request, PEM
  std::string signerName;  // spec.signerName; must equal the Signer's name
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

}  // namespace signers
