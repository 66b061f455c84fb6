// Self-signed and intermediate CA certificates for `pki init` (signers/ builds leaves only).
#pragma once

#include <chrono>
#include <string>

#include "signers/OpenSslPtr.h"
#include "signers/Result.h"

namespace csrop::pki {

// RSA 2048, kubeadm's default key for CAs and the service-account pair.
signers::Result<signers::EvpPkeyPtr> generateRsaKey(int bits = 2048);

struct CaIssuer {
  X509* cert = nullptr;  // nullptr: self-signed
  EVP_PKEY* key = nullptr;
};

// BasicConstraints critical CA:TRUE (pathlen:0 under an issuer, since these CAs sign leaves only),
// KeyUsage critical digitalSignature+keyEncipherment+keyCertSign, SKI, and AKI under an issuer.
// NotAfter is clamped to the issuer's NotAfter.
signers::Result<signers::X509Ptr> buildCaCertificate(const std::string& commonName, EVP_PKEY* key, const CaIssuer& issuer,
                                                     std::chrono::hours lifetime);

}  // namespace csrop::pki
