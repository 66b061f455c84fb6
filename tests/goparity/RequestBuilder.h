// Builds PKCS#10 requests byte by byte and signs them with real keys, so that a test can place any
// encoding (hostile or mutated) behind a valid signature and reach every check past it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signers/OpenSslPtr.h"

namespace goparity {

using Bytes = std::vector<unsigned char>;

enum class Key { P256, P384, P224, Secp256k1, Rsa2048, Ed25519 };
// Fixed keys, one per kind (shared).
EVP_PKEY* testKey(Key key);

Bytes tlv(unsigned char tag, const Bytes& content);
Bytes tlv(unsigned char tag, std::string_view content);
Bytes cat(std::initializer_list<Bytes> parts);
Bytes seq(std::initializer_list<Bytes> parts);
Bytes set(std::initializer_list<Bytes> parts);
Bytes oid(std::string_view dotted);

// One attribute type and value; value is a whole TLV (e.g. tlv(0x0c, "alice")).
struct Atv {
  std::string type;  // dotted OID
  Bytes value;
};
// Each inner vector is one RDN (a SET); most have one element.
Bytes name(const std::vector<std::vector<Atv>>& rdns);
Bytes utf8(std::string_view s);
// BIT STRING of whole octets.
Bytes bitString(const Bytes& content);
Bytes printable(std::string_view s);

// GeneralName [tag] primitive with the raw value.
Bytes generalName(unsigned char tag, std::string_view value);
Bytes generalName(unsigned char tag, const Bytes& value);
Bytes extension(std::string_view dotted, const Bytes& value, std::optional<Bytes> critical = std::nullopt);
Bytes sanExtension(const std::vector<Bytes>& names);
// Attribute ::= SEQUENCE { type, SET OF values }.
Bytes attribute(std::string_view dotted, const std::vector<Bytes>& values);
Bytes extensionRequest(const std::vector<Bytes>& extensions, std::string_view dotted = "1.2.840.113549.1.9.14");

Bytes spkiOf(EVP_PKEY* key);
// The signature AlgorithmIdentifier a key signs with (SHA-256 for RSA and ECDSA).
Bytes signatureAlgorithmOf(EVP_PKEY* key);

struct RequestParts {
  Bytes version = {0x02, 0x01, 0x00};
  Bytes subject;
  Bytes spki;                       // empty: spkiOf(signer)
  std::optional<Bytes> attributes;  // the contents of [0]; nullopt leaves the element out
  Bytes signatureAlgorithm;         // empty: signatureAlgorithmOf(signer)
};

// CertificationRequestInfo TLV.
Bytes requestInfo(const RequestParts& parts, EVP_PKEY* signer);
// Signs `info` (whatever its bytes) with `signer` and wraps it into a whole request.
Bytes signRequest(const Bytes& info, EVP_PKEY* signer, const Bytes& signatureAlgorithm = {});
Bytes buildRequest(const RequestParts& parts, EVP_PKEY* signer);

std::string pem(const Bytes& der, std::string_view label = "CERTIFICATE REQUEST");

// A request with a bit of everything (several subject attributes, every SAN type, extensions).
RequestParts richRequest(EVP_PKEY* key);

}  // namespace goparity
