#pragma once
// PKCS#10 parsing: PEM in, verified and decoded request out. No policy is applied here beyond
// well-formedness and size limits; profiles decide what is acceptable.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <openssl/x509.h>

#include "signers/ParsedRequest.h"
#include "signers/Result.h"

namespace signers {

struct RequestLimits {
  std::size_t maxPemBytes = 64 * 1024;
  std::size_t maxSans = 100;  // DNS + IP + email + URI together
};

// The text must be exactly one PEM block "CERTIFICATE REQUEST" (signers/Pem.h) and the request
// must read the same to Go's x509.ParseCertificateRequest: anything Go could read differently is
// refused, never interpreted. The self-signature must verify. Errors are single sentences
// suitable for a CSR condition message.
Result<ParsedRequest> parseCertificateRequest(std::string_view pem, const RequestLimits& limits = {});

// Full parses of a PEM request this process ran: a request parsed successfully before, under the
// same limits, is handed out again without one.
std::uint64_t requestParses();

// The same for the DER of the request alone (PodCertificateRequest's stubPKCS10Request): every
// rule above but the PEM ones; limits.maxPemBytes bounds the DER length.
Result<ParsedRequest> parseCertificateRequestDer(std::span<const unsigned char> der, const RequestLimits& limits = {});

// What a cache keeps instead of a request over RequestLimits::maxPemBytes: this prefix and the
// original size in decimal. parseCertificateRequest refuses it with the same "more than the limit"
// message as the request itself, so a decision made from the cache is the one the real request gets.
inline constexpr std::string_view kOversizedRequestMarker = "csr-operator:request too large, bytes=";

}  // namespace signers
