#pragma once
// The request's public key and self-signature, handled without OpenSSL 3.0's per-call decoder
// chains: common key types are imported directly through the key management API.
#include <optional>
#include <string>

#include "signers/CertificateRequest.h"
#include "signers/OpenSslPtr.h"
#include "signers/RequestDer.h"
#include "signers/Result.h"

namespace signers {

struct RequestPublicKey {
  EvpPkeyPtr pkey;
  KeyType type = KeyType::Other;
  int bits = 0;
  // Set for EC keys: verified through the EC_KEY directly, which skips the provider export and
  // per-call algorithm fetches of EVP_DigestVerify (most of the non-crypto cost per request).
  bool legacyEc = false;
};

// RSA, EC (named curves) and Ed25519 are imported directly; anything else goes through the
// generic (slow) decoder so that it can still be reported by type and refused by the key policy.
Result<RequestPublicKey> publicKeyFromRequest(const RequestDer& der);

// SHA-256/384/512 with RSA PKCS#1 v1.5 or ECDSA, or pure Ed25519; SHA-1, MD5 and PSS are refused.
std::optional<std::string> verifyRequestSignature(const RequestDer& der, const RequestPublicKey& key);

}  // namespace signers
