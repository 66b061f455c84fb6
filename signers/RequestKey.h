#pragma once
// The request's public key and self-signature, handled without OpenSSL 3.0's per-call decoder
// chains: common key types are imported directly through the key management API.
#include <optional>
#include <string>

#include "signers/OpenSslPtr.h"
#include "signers/RequestDer.h"
#include "signers/Result.h"

namespace signers {

// RSA, EC (named curves) and Ed25519 are imported directly; anything else goes through the
// generic (slow) decoder so that it can still be reported by type and refused by the key policy.
Result<EvpPkeyPtr> publicKeyFromRequest(const RequestDer& der);

// SHA-256/384/512 with RSA PKCS#1 v1.5 or ECDSA, or pure Ed25519; SHA-1, MD5 and PSS are refused.
std::optional<std::string> verifyRequestSignature(const RequestDer& der, EVP_PKEY* key);

}  // namespace signers
