#pragma once
// PKCS#10 parsing: PEM in, verified and decoded request out. No policy is applied here beyond
// well-formedness and size limits; profiles decide what is acceptable.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/x509.h>

#include "signers/IpAddress.h"
#include "signers/Result.h"

namespace signers {

enum class KeyType { Rsa, EcP256, EcP384, EcOther, Ed25519, Other };

const char* keyTypeName(KeyType type);

struct RequestLimits {
  std::size_t maxPemBytes = 64 * 1024;
  std::size_t maxSans = 100;  // DNS + IP + email + URI together
};

// The request's SubjectPublicKeyInfo re-encoded from the parsed key (a request whose bytes differ
// from that encoding is refused), placed into the certificate.
struct SubjectPublicKeyInfo {
  std::vector<unsigned char> der;           // the whole SubjectPublicKeyInfo TLV
  std::vector<unsigned char> algorithmDer;  // AlgorithmIdentifier TLV
  std::vector<unsigned char> publicKey;     // subjectPublicKey bits (whole octets)
};

struct ParsedRequest {
  std::string commonName;                  // empty when absent; more than one CN is refused at parse
  std::vector<std::string> organizations;  // every O, in order
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

  std::size_t sanCount() const {
    return dnsNames.size() + emailAddresses.size() + uris.size() + ipAddresses.size();
  }
};

// The text must be exactly one PEM block "CERTIFICATE REQUEST" (signers/Pem.h) and the request
// must read the same to Go's x509.ParseCertificateRequest: anything Go could read differently is
// refused, never interpreted. The self-signature must verify. Errors are single sentences
// suitable for a CSR condition message.
Result<ParsedRequest> parseCertificateRequest(std::string_view pem, const RequestLimits& limits = {});

// What a cache keeps instead of a request over RequestLimits::maxPemBytes: this prefix and the
// original size in decimal. parseCertificateRequest refuses it with the same "more than the limit"
// message as the request itself, so a decision made from the cache is the one the real request gets.
inline constexpr std::string_view kOversizedRequestMarker = "csr-operator:request too large, bytes=";

}  // namespace signers
