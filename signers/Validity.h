#pragma once
// Certificate lifetime rules of kube-controller-manager's signer (pkg/controller/certificates/signer/signer.go
// and pkg/apis/certificates/helpers.go: expirationSeconds, at least 10 minutes, capped by the signer's duration).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace signers {

struct ValidityWindow {
  std::chrono::system_clock::time_point notBefore;
  std::chrono::system_clock::time_point notAfter;
  bool clampedToCaNotAfter = false;
};

inline constexpr std::chrono::minutes kBackdate{5};
inline constexpr std::chrono::minutes kMinimumTtl{10};
inline constexpr std::chrono::hours kShortTtl{8};

// TTL: expirationSeconds (or maxDuration when unset), at most maxDuration, at least 10 minutes.
std::chrono::seconds effectiveTtl(std::optional<int64_t> expirationSeconds, std::chrono::seconds maxDuration);

// NotBefore = now - 5m; NotAfter = now + ttl (ttl < 8h) or now + ttl - 5m; then clamped to the CA's
// NotAfter. Returns an error string (KCM wording) when the CA has expired.
std::variant<ValidityWindow, std::string> computeValidity(std::chrono::system_clock::time_point now,
                                                          std::optional<int64_t> expirationSeconds, std::chrono::seconds maxDuration,
                                                          std::chrono::system_clock::time_point caNotAfter);

// RFC 3339 UTC, second precision, for messages.
std::string formatTime(std::chrono::system_clock::time_point t);

}  // namespace signers
