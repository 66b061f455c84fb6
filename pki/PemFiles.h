// Reading and writing the PEM files of a PKI tree, and the facts `pki verify` checks in a
// certificate. Everything OpenSSL is held by the signers/OpenSslPtr.h owners.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "signers/OpenSslPtr.h"
#include "signers/Result.h"

namespace csrop::pki {

template <class T>
using Result = signers::Result<T>;

// The first certificate of a PEM text; `what` names the source in the error.
Result<signers::X509Ptr> parseCertificate(const std::string& pem, const std::string& what);
// Exactly one certificate in the file.
Result<signers::X509Ptr> loadCertificateFile(const std::filesystem::path& path, const std::string& shownAs);
// An unencrypted private key (PKCS#8, PKCS#1 or SEC1).
Result<signers::EvpPkeyPtr> parsePrivateKey(const std::string& pem, const std::string& what);
Result<signers::EvpPkeyPtr> loadPrivateKeyFile(const std::filesystem::path& path, const std::string& shownAs);
Result<signers::EvpPkeyPtr> loadPublicKeyFile(const std::filesystem::path& path, const std::string& shownAs);

bool samePublicKey(EVP_PKEY* a, EVP_PKEY* b);

std::string certificatePem(X509* cert);
std::string privateKeyPem(EVP_PKEY* key);  // PKCS#8
std::string publicKeyPem(EVP_PKEY* key);   // SubjectPublicKeyInfo

std::string base64Encode(const std::string& data);
Result<std::string> base64Decode(const std::string& text, const std::string& what);

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
  std::chrono::system_clock::time_point notBefore, notAfter;
  std::string subject, issuer;  // RFC 2253
};

CertificateFacts certificateFacts(X509* cert);

// Writes through a temporary file in the same directory and renames it over `path`, so a crash
// never leaves a half-written certificate or kubeconfig behind.
Result<bool> writeFileAtomically(const std::filesystem::path& path, const std::string& content,
                                 std::filesystem::perms permissions);

}  // namespace csrop::pki
