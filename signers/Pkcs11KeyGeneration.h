#pragma once
// A CA key pair created on a PKCS#11 token (`pki init --key-uri`), so the private key never exists
// anywhere else: the token generates it (C_GenerateKeyPair) as a token object that is private,
// sensitive, not extractable and good for signing only; the public key is kept on the token beside
// it, both labelled with the URI's object= and sharing a fresh CKA_ID. The public key is read back
// for the CA certificate, and the new key signs it. No PKCS#11 types here: pki/ includes it.
#include <string>

#include <memory>

#include "signers/CertificateSigningKey.h"
#include "signers/OpenSslPtr.h"
#include "signers/Pkcs11Uri.h"
#include "signers/Result.h"

namespace signers {

enum class TokenKeyType { Rsa2048, EcdsaP256 };

struct TokenKeyPairRequest {
  Pkcs11Uri uri;  // selects the token; object= labels the pair, id= (when given) is its CKA_ID
  std::string modulePath;
  std::string pin;  // the user PIN: a private object is only created after C_Login
  TokenKeyType type = TokenKeyType::Rsa2048;
};

struct GeneratedTokenKey {
  EvpPkeyPtr publicKey;                               // read back from the token
  std::unique_ptr<CertificateSigningKey> signingKey;  // the new private key, checked by a test signature
};

// Creates nothing and says why when: the module or token is not found, the PIN is refused, the token
// cannot generate or sign with this key type, or an object with the URI's label (or its id=) is on
// the token already: an existing key is never replaced or shadowed. When the public key cannot be
// read back or the new key fails its test signature, the new pair is destroyed again.
Result<GeneratedTokenKey> generateTokenKeyPair(const TokenKeyPairRequest& request);

// "RSA 2048" / "ECDSA P-256", for messages.
const char* tokenKeyTypeName(TokenKeyType type);

}  // namespace signers
