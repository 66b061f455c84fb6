#pragma once
// The request's public key and self-signature, handled without OpenSSL 3.0's per-call decoder
// chains: common key types are imported directly through the key management API.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  // The SubjectPublicKeyInfo re-encoded from the parsed key; equal to the request's bytes.
  std::vector<unsigned char> spkiDer;
};

// RSA (exponent 65537), EC on P-224/P-256/P-384/P-521 (uncompressed points) and Ed25519, each
// only in the one AlgorithmIdentifier encoding Go accepts; the SPKI must equal its re-encoding.
// Every other key is refused here: Go parses no other type into a usable key either.
Result<RequestPublicKey> publicKeyFromRequest(const RequestDer& der);

// SHA-256/384/512 with RSA PKCS#1 v1.5 or ECDSA, or pure Ed25519; SHA-1, MD5 and PSS are refused.
// A request whose signed bytes and signature verified before in this process is not checked again
// (RequestKey.cpp, VerifiedSignatures): the same bytes always get the same answer.
std::optional<std::string> verifyRequestSignature(const RequestDer& der, const RequestPublicKey& key);

// Signature checks actually performed by this process (remembered requests not counted).
std::uint64_t requestSignatureChecks();

}  // namespace signers
