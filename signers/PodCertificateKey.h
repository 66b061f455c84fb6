#pragma once
// The public key a PodCertificateRequest asks a certificate for, verified: the v1 stubPKCS10Request
// (self-signed PKCS#10, parsed by the CSR path's strict parser, signature verified) and the
// v1beta1 pkixPublicKey with its proofOfPossession over the ASCII pod UID. The API server checks
// both at create (pkg/apis/certificates/validation/validation.go ValidatePodCertificateRequestCreate);
// they are checked again here so that a signer never depends on admission having run.
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <openssl/types.h>

#include "signers/ParsedRequest.h"
#include "signers/PodCertificate.h"

namespace signers {

// spec.pkixPublicKey and spec.proofOfPossession: certificates.MaxPKIXPublicKeySize and
// MaxProofOfPossessionSize (10 KiB). The stub request gets the same bound: an RSA 4096 one is
// about 1.2 KiB.
inline constexpr std::size_t kMaxPodKeyMaterialBytes = 10 * 1024;

struct PodPublicKey {
  std::shared_ptr<const SubjectPublicKeyInfo> spki;  // re-encoded from the parsed key; goes into the certificate
  std::shared_ptr<EVP_PKEY> pkey;
  PodKeyType type = PodKeyType::Ed25519;
};

struct PodKeyRefusal {
  std::string_view reason;  // one of pcr_reason
  std::string message;
};

// Bounds, parses and verifies the key material. A key of a type not in allowedKeyTypes (or of no
// kubelet type: RSA 2048, P-224, ML-DSA, ...) is refused UnsupportedKeyType, before any signature
// is verified, with a message naming the allowed types.
std::variant<PodPublicKey, PodKeyRefusal> verifyPodCertificateKey(const PodCertificateRequestFacts& request,
                                                                  std::span<const PodKeyType> allowedKeyTypes);

// "RSA3072, ECDSAP256, ED25519" (kubelet spelling), for messages.
std::string formatPodKeyTypes(std::span<const PodKeyType> types);

}  // namespace signers
