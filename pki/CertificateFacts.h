// What `pki verify` and `pki check-expiration` read from a certificate: subject, SANs, key usages,
// validity, key type.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <openssl/x509.h>

namespace csrop::pki {

struct CertificateFacts {
  std::string commonName;
  std::vector<std::string> organizations;  // sorted
  std::vector<std::string> dnsNames, ipAddresses, emails, uris;
  bool isCa = false;
  bool hasKeyUsage = false;
  bool digitalSignature = false, keyEncipherment = false, certSign = false;
  bool serverAuth = false, clientAuth = false;
  std::vector<std::string> otherExtKeyUsages;
  bool rsaKey = false;
  // The epoch when a date cannot be read, so such a certificate counts as expired.
  std::chrono::system_clock::time_point notBefore, notAfter;
  std::string subject, issuer;  // RFC 2253
};

CertificateFacts certificateFacts(X509* cert);

}  // namespace csrop::pki
