#pragma once
// A CA private key that stays on a PKCS#11 token: the CertificateAuthority hands it the bytes to
// sign instead of using an EVP_PKEY read from a file.
//
// Sessions come from a pool (up to `sessions`, opened on demand and kept), so workers sign in
// parallel as far as the token allows. When the token goes away (an error isTokenGone() names),
// every session is dropped and the key is unavailable: sign() fails (the caller retries later),
// unavailable() says why, and the next sign() or probe() reconnects: find the token
// again (re-initialising the module when it does not show), open a session, log in, find the key,
// and check with a test signature that it still matches the CA certificate, so a different token
// put in its place never signs. A PIN the token refuses stops the reconnection attempts (each one
// would use up a PIN try) until the CA is loaded again.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "signers/OpenSslPtr.h"
#include "signers/Pkcs11Module.h"
#include "signers/Pkcs11Uri.h"
#include "signers/Result.h"

namespace signers {

struct Pkcs11KeyOptions {
  Pkcs11Uri uri;
  std::string modulePath;          // the module to load (the URI's module-path must agree)
  std::optional<std::string> pin;  // unset: no C_Login (a token that needs none)
  std::size_t sessions = 1;        // the pool's size, at least 1
};

class Pkcs11Key {
 public:
  // certificateKey: the CA certificate's public key; md: the digest the CA signs with (SHA-256 for
  // RSA, by curve for ECDSA). Fails when the module, token or key cannot be found, the PIN is
  // refused, the key type is not RSA or ECDSA, or the key does not match certificateKey.
  static Result<std::shared_ptr<Pkcs11Key>> open(Pkcs11KeyOptions options, EVP_PKEY* certificateKey, const EVP_MD* md);
  ~Pkcs11Key();
  Pkcs11Key(const Pkcs11Key&) = delete;
  Pkcs11Key& operator=(const Pkcs11Key&) = delete;

  // A signature over `data` as X.509 carries it (PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC).
  // Thread-safe.
  Result<std::vector<unsigned char>> sign(const unsigned char* data, std::size_t length) const;

  // std::nullopt while connected; else why not, for /readyz and logs.
  std::optional<std::string> unavailable() const;
  // The CA reload poller calls this every interval, so /readyz follows the token without waiting
  // for a CSR: while connected, one test signature (a token that went away while idle is noticed);
  // while unavailable, one reconnection attempt.
  void probe() const;

  const std::string& display() const { return display_; }  // the URI, for logs
  std::size_t openSessions() const;

 private:
  struct Lease {
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;  // found in the same connection as the session
    std::uint64_t epoch = 0;
  };
  struct Located;

  Pkcs11Key(Pkcs11KeyOptions options, std::shared_ptr<Pkcs11Module> module, EvpPkeyPtr certificateKey, const EVP_MD* md);
  Result<Lease> acquire() const;
  void release(const Lease& lease) const;
  void markUnavailable(std::uint64_t epoch, const std::string& why) const;
  Result<bool> reconnect() const;
  Located locate() const;
  Result<std::vector<unsigned char>> signWith(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key, const std::vector<unsigned char>& input,
                                              CK_RV& rv) const;
  Result<std::vector<unsigned char>> mechanismInput(const unsigned char* data, std::size_t length) const;
  Result<std::vector<unsigned char>> toX509Signature(std::vector<unsigned char> raw) const;

  Pkcs11KeyOptions options_;
  std::string display_;
  std::shared_ptr<Pkcs11Module> module_;
  EvpPkeyPtr certificateKey_;
  const EVP_MD* md_;
  bool rsa_;

  mutable std::mutex connectMutex_;  // one reconnection at a time
  mutable std::mutex mutex_;         // guards everything below
  mutable std::condition_variable sessionFreed_;
  mutable bool connected_ = false;
  mutable bool pinRefused_ = false;
  mutable std::uint64_t epoch_ = 0;  // bumped when the sessions are dropped
  mutable std::uint64_t moduleGeneration_ = 0;
  mutable CK_SLOT_ID slot_ = 0;
  mutable CK_OBJECT_HANDLE key_ = CK_INVALID_HANDLE;
  mutable std::vector<CK_SESSION_HANDLE> idle_;
  mutable std::size_t open_ = 0;  // sessions of this epoch, idle or lent
  mutable std::string lastError_;
};

}  // namespace signers
