#pragma once
// What a PKCS#10 request says, once parsed and verified (signers/CertificateRequest.h): the
// input of every profile and of issuance.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/types.h>

#include "signers/IpAddress.h"

namespace signers {

enum class KeyType { Rsa, EcP256, EcP384, EcOther, Ed25519, Other };

const char* keyTypeName(KeyType type);

// The request's SubjectPublicKeyInfo re-encoded from the parsed key (a request whose bytes differ
// from that encoding is refused), placed into the certificate.
struct SubjectPublicKeyInfo {
  std::vector<unsigned char> der;           // the whole SubjectPublicKeyInfo TLV
  std::vector<unsigned char> algorithmDer;  // AlgorithmIdentifier TLV
  std::vector<unsigned char> publicKey;     // subjectPublicKey bits (whole octets)
};

struct ParsedRequest {
  std::string commonName;                                    // empty when absent; more than one CN is refused at parse
  std::vector<std::string> organizations;                    // every O, in order
  std::vector<std::pair<std::string, std::string>> subject;  // short name (or dotted OID) -> UTF-8 value, in order
  std::vector<std::string> dnsNames;
  std::vector<std::string> emailAddresses;
  std::vector<std::string> uris;
  std::vector<IpAddress> ipAddresses;
  KeyType keyType = KeyType::Other;
  int keyBits = 0;
  std::vector<std::string> extensionOids;  // dotted OIDs of the requested extensions, in order
  bool requestsCa = false;                 // a BasicConstraints extension with CA:TRUE was requested

  // The request's public key (shared, read-only), used by issuance.
  std::shared_ptr<EVP_PKEY> publicKey;
  std::shared_ptr<const SubjectPublicKeyInfo> spki;

  std::size_t sanCount() const { return dnsNames.size() + emailAddresses.size() + uris.size() + ipAddresses.size(); }
};

}  // namespace signers
