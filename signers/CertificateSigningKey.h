#pragma once
// The key that signs a certificate built as an OpenSSL X509 (pki/'s CA certificates): a key in
// memory, or one that stays on a PKCS#11 token, so the certificate is built the same way for both
// and only the signature differs.
#include <memory>
#include <optional>
#include <string>

#include "signers/OpenSslPtr.h"
#include "signers/Pkcs11Uri.h"
#include "signers/Result.h"

namespace signers {

class CertificateSigningKey {
 public:
  virtual ~CertificateSigningKey() = default;
  // Sets the signature AlgorithmIdentifier (inside the TBSCertificate and outside) and signs.
  virtual Result<X509Ptr> sign(X509Ptr certificate) const = 0;
};

// X509_sign with SHA-256 (none for Ed25519). The key must outlive the result.
std::unique_ptr<CertificateSigningKey> inMemorySigningKey(EVP_PKEY* key);

// The token key the URI names (found, logged in, and checked against publicKey by a test
// signature), signing with SHA-256: RSA PKCS#1 v1.5 or ECDSA P-256.
Result<std::unique_ptr<CertificateSigningKey>> openTokenSigningKey(const Pkcs11Uri& uri, const std::string& modulePath,
                                                                   std::optional<std::string> pin, EVP_PKEY* publicKey);

}  // namespace signers
