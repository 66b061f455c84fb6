#pragma once
// The test PKI every suite uses (target test_pki): keys, CAs, leaf certificates and CSRs made with
// the OpenSSL C API, never the openssl command line (that is kept for the tests that check
// compatibility with it: tests/signers/test_openssl_cli.cpp, `openssl verify` in tests/pki).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "signers/OpenSslPtr.h"

namespace testpki {

enum class KeyKind { Rsa1024, Rsa2048, P256, P384, P521, Ed25519, Rsa3072, Rsa4096 };

// Fixed test keys: generated once per process for each kind and role and shared (RSA generation
// is slow); returns a new reference. Different roles get different keys, for fixtures that need a
// key per party (a server and its client, each file of a kubeadm tree).
signers::EvpPkeyPtr sharedKey(KeyKind kind, const std::string& role = "");
// A fresh key, for tests that need two different keys of one kind.
signers::EvpPkeyPtr freshKey(KeyKind kind);

struct CaOptions {
  KeyKind key = KeyKind::P256;
  std::string commonName = "test-ca";
  bool expired = false;
  bool notYetValid = false;
  bool basicConstraintsCa = true;
  bool keyCertSign = true;
  std::chrono::hours lifetime{24 * 365};
  // When set, the CA is an intermediate signed by this issuer.
  const struct TestCa* issuer = nullptr;
  // When set, the CA's key is sharedKey(key, keyRole); else a fresh key (CAs that must differ).
  std::string keyRole = {};
};

struct TestCa {
  signers::X509Ptr cert;
  signers::EvpPkeyPtr key;
  std::string certPem() const;
};

TestCa makeCa(const CaOptions& options);
// An intermediate CA named commonName, signed by issuer.
TestCa makeIntermediate(const TestCa& issuer, const std::string& commonName = "intermediate");

struct LeafOptions {
  std::vector<std::pair<std::string, std::string>> subject = {};  // short name -> value, in order
  std::vector<std::string> dnsNames = {}, ips = {};
  std::vector<std::string> extendedKeyUsages = {};  // OpenSSL short names: "serverAuth", "clientAuth"
  std::chrono::hours lifetime{48};
  bool expired = false;  // valid from two hours ago to one hour ago instead
  // The leaf's key is sharedKey(key, keyRole), or keyOverride's public key when set.
  KeyKind key = KeyKind::P256;
  std::string keyRole = "leaf";
  EVP_PKEY* keyOverride = nullptr;
  std::vector<std::string> emails = {}, uris = {};
  // When set, the validity is exactly [notBefore, notAfter] (PodCertificateRequests compare them to
  // the second) instead of from an hour ago to now + lifetime.
  std::optional<std::chrono::system_clock::time_point> notBefore = {}, notAfter = {};
};

struct TestCert {
  signers::X509Ptr cert;
  signers::EvpPkeyPtr key;
  std::string certPem() const;
};

// An end-entity certificate (CA:FALSE, digitalSignature, the given EKUs) signed by issuer.
TestCert issueCert(const TestCa& issuer, const LeafOptions& options);

std::string certPem(X509* cert);

enum class KeyFormat { Pkcs8, Traditional /* PKCS#1 for RSA, SEC1 for EC */, EncryptedPkcs8, EncryptedTraditional };
std::string keyPem(EVP_PKEY* key, KeyFormat format = KeyFormat::Pkcs8, const std::string& passphrase = "");
// SubjectPublicKeyInfo PEM ("PUBLIC KEY"), as `openssl pkey -pubout` writes it.
std::string publicKeyPem(EVP_PKEY* key);
// An unencrypted private key PEM; throws when it is none.
signers::EvpPkeyPtr parseKeyPem(const std::string& pem);

struct CsrOptions {
  KeyKind key = KeyKind::P256;
  std::vector<std::pair<std::string, std::string>> subject = {};  // short name -> value
  std::vector<std::string> dnsNames = {}, emails = {}, uris = {}, ips = {};
  bool basicConstraintsCa = false;
  // Extra extensions as OpenSSL config pairs, e.g. {"keyUsage", "critical,keyCertSign"}.
  std::vector<std::pair<std::string, std::string>> extensions = {};
  // Sign with this key instead of the request's own: the signature then does not verify.
  EVP_PKEY* signWith = nullptr;
  // Digest of the request signature (ignored for Ed25519).
  std::string digest = "SHA256";
  // Use this key instead of sharedKey(key).
  EVP_PKEY* keyOverride = nullptr;
};

std::string makeCsr(const CsrOptions& options);

// Kubelet-serving style request for node `node`.
CsrOptions nodeServingCsr(const std::string& node = "worker-1");
CsrOptions nodeClientCsr(const std::string& node = "worker-1");

// PodCertificateRequest key material as the kubelet makes it (pkg/kubelet/podcertificate):
// the SubjectPublicKeyInfo DER (spec.pkixPublicKey); the proof of possession over the pod UID
// (Ed25519; ECDSA ASN.1 over SHA-256; RSA-PSS SHA-256 with the maximum salt, Go's SignPSS with nil
// options); an empty PKCS#10 request signed by the key (spec.stubPKCS10Request, DER; SHA-256 for
// RSA and P-256, SHA-384 for P-384, SHA-512 for P-521, as Go's CreateCertificateRequest picks).
// signWith (another key) makes a stub whose signature does not verify.
std::string publicKeyDer(EVP_PKEY* key);
std::string proofOfPossession(EVP_PKEY* key, const std::string& podUid);
std::string stubPkcs10Der(EVP_PKEY* key, EVP_PKEY* signWith = nullptr);

signers::X509Ptr parseCertPem(const std::string& pem);
int countPemCertificates(const std::string& pem);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// Runs a shell command, returns exit status and captured stdout+stderr.
std::pair<int, std::string> runCommand(const std::string& command);

}  // namespace testpki
