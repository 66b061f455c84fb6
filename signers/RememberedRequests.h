#pragma once
// Requests parsed successfully, remembered by the SHA-256 of exactly the text parsed and the limits
// applied: one CSR's request is read by the duplicate index, the approver and the signer, and the
// same bytes under the same limits always parse the same. Refusals are never remembered, so every
// refused request runs every check again. Bounded; the oldest is forgotten first. Thread-safe.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "signers/CertificateRequest.h"

namespace signers {

class RememberedRequests {
 public:
  using Digest = std::array<unsigned char, 32>;
  explicit RememberedRequests(std::size_t capacity) : capacity_(capacity) {}

  // nullopt when the digest cannot be computed: the request is then parsed, and not remembered.
  static std::optional<Digest> digestOf(std::string_view text, const RequestLimits& limits);
  std::shared_ptr<const ParsedRequest> find(const Digest& digest) const;
  void remember(const Digest& digest, std::shared_ptr<const ParsedRequest> parsed);
  std::size_t size() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<Digest, std::shared_ptr<const ParsedRequest>> byDigest_;
  std::deque<Digest> order_;
};

// Full parses of a PEM request this process ran (remembered ones not counted).
std::uint64_t requestParses();

}  // namespace signers
