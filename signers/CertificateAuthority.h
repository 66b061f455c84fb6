#pragma once
// A loaded signing CA, immutable; signers/ReloadingCertificateAuthority.h swaps in a new one when
// its files change.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signers/OpenSslPtr.h"
#include "signers/Result.h"

namespace signers {

class Pkcs11Key;

// p11-kit's proxy (every module p11-kit is configured with, /etc/pkcs11/modules/): the default
// pkcs11Module, at the path this build's p11-kit installs it.
extern const char* const kDefaultPkcs11Module;

struct CaFiles {
  std::string certFile;
  std::string keyFile;                  // a PEM file, or a PKCS#11 URI (signers/Pkcs11Uri.h) naming a key on a token
  std::string passphraseFile;           // empty: the key must not be encrypted
  std::vector<std::string> chainFiles;  // intermediates, PEM, any number of certificates per file
  // Only for a PKCS#11 keyFile. The PIN: a file (one trailing newline ignored) or the name of an
  // environment variable; neither: no login.
  std::string pinFile = "";
  std::string pinEnv = "";
  std::string pkcs11Module = kDefaultPkcs11Module;
  std::size_t pkcs11Sessions = 1;  // the token key's session pool
};

class CertificateAuthority {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Refuses: not exactly one certificate in certFile, unreadable/encrypted key without passphrase,
  // a token key that cannot be found or logged in to, key not matching the certificate, no BasicConstraints CA:TRUE, no keyCertSign, expired or not
  // yet valid at `now`, unsupported key type. Every error names the file and says what to do.
  static Result<std::shared_ptr<const CertificateAuthority>> load(const std::string& certFile, const std::string& keyFile,
                                                                  const std::string& passphraseFile = "");
  static Result<std::shared_ptr<const CertificateAuthority>> load(const CaFiles& files, TimePoint now = std::chrono::system_clock::now());

  X509* certificate() const { return cert_.get(); }
  // The key read from keyFile; nullptr when it is on a token (tokenKey()).
  EVP_PKEY* privateKey() const { return key_.get(); }
  // The token key when keyFile is a PKCS#11 URI, else nullptr.
  const Pkcs11Key* tokenKey() const { return tokenKey_.get(); }
  // std::nullopt when the CA can sign now; else why not (a token that went away).
  std::optional<std::string> unavailable() const;
  // Digest for X509_sign: SHA-256 (RSA, P-256), SHA-384 (P-384), SHA-512 (P-521), nullptr (Ed25519).
  const EVP_MD* digest() const { return digest_.get(); }
  // Key identifier put in issued certificates' AuthorityKeyIdentifier (CA's SKI, else SHA-1 of its key).
  const std::vector<unsigned char>& keyId() const { return keyId_; }
  // Precomputed DER pieces of every issued certificate: the CA subject (the leaf's issuer) and
  // the signature AlgorithmIdentifier the CA key produces.
  const std::vector<unsigned char>& subjectDer() const { return subjectDer_; }
  const std::vector<unsigned char>& signatureAlgorithmDer() const { return signatureAlgorithmDer_; }
  // Signs `data` with the CA key (digest() applied). Thread-safe: each call works on its own copy
  // of a context initialised once at load.
  Result<std::vector<unsigned char>> sign(const unsigned char* data, std::size_t length) const;
  // The CA certificate alone, PEM-encoded (what a client that trusts this CA needs).
  const std::string& certificatePem() const { return certificatePem_; }
  // Intermediates loaded from chainFiles, in order, already PEM-encoded.
  const std::string& chainPem() const { return chainPem_; }
  std::size_t chainLength() const { return chainLength_; }
  // What follows an issued leaf when a signer includes the chain: this CA's own certificate when
  // it is an intermediate (a client that trusts only the root cannot build the path without it),
  // then chainPem(). A self-signed CA is left out: the client must already trust it.
  const std::string& chainAfterLeafPem() const { return chainAfterLeafPem_; }

  TimePoint notBefore() const { return notBefore_; }
  TimePoint notAfter() const { return notAfter_; }
  const std::string& subject() const { return subject_; }  // RFC 2253
  const std::string& certFile() const { return files_.certFile; }
  const CaFiles& files() const { return files_; }

 private:
  CertificateAuthority() = default;
  friend struct CaLoader;

  X509Ptr cert_;
  EvpPkeyPtr key_;
  std::shared_ptr<Pkcs11Key> tokenKey_;
  EvpMdPtr digest_;
  std::vector<unsigned char> keyId_;
  std::vector<unsigned char> subjectDer_;
  std::vector<unsigned char> signatureAlgorithmDer_;
  EvpMdCtxPtr signTemplate_;
  std::string certificatePem_;
  std::vector<X509Ptr> chain_;
  std::string chainPem_;
  std::size_t chainLength_ = 0;
  std::string chainAfterLeafPem_;
  TimePoint notBefore_{};
  TimePoint notAfter_{};
  std::string subject_;
  CaFiles files_;
};

}  // namespace signers
