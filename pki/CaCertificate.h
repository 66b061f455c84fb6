// Self-signed and intermediate CA certificates for `pki init` (signers/ builds leaves only).
#pragma once

#include <chrono>
#include <string>

#include "signers/CertificateSigningKey.h"
#include "signers/OpenSslPtr.h"
#include "signers/Result.h"

namespace csrop::pki {

// RSA 2048, kubeadm's default key for CAs and the service-account pair.
signers::Result<signers::EvpPkeyPtr> generateRsaKey(int bits = 2048);

// BasicConstraints critical CA:TRUE (pathlen:0 under an issuer, since these CAs sign leaves only),
// KeyUsage critical digitalSignature+keyEncipherment+keyCertSign, SKI, and AKI under an issuer.
// NotAfter is clamped to the issuer's NotAfter. publicKey is the new CA's; signer is its own key
// when issuerCert is nullptr (self-signed), else the issuer's: in memory or on a token.
signers::Result<signers::X509Ptr> buildCaCertificate(const std::string& commonName, EVP_PKEY* publicKey, X509* issuerCert,
                                                     const signers::CertificateSigningKey& signer, std::chrono::hours lifetime);

}  // namespace csrop::pki
