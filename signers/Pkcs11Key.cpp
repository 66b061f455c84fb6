#include "signers/Pkcs11Key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/crypto.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "signers/OpenSslError.h"
#include "signers/Pkcs11Token.h"

namespace signers {
namespace {

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<&ECDSA_SIG_free>>;

// DER of DigestInfo{sha256, NULL} up to the hash (RFC 8017 section 9.2, note 1): CKM_RSA_PKCS
// signs what it is given, so the caller supplies the EMSA-PKCS1-v1_5 DigestInfo around the hash.
constexpr std::array<unsigned char, 19> kSha256DigestInfo = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
constexpr const char* kTestMessage = "csr-operator: does this token key match the CA certificate?";

// The PIN is kept only for C_Login; scrubbed when the key goes.
void scrub(std::optional<std::string>& pin) {
  if (pin && !pin->empty()) OPENSSL_cleanse(pin->data(), pin->size());
}

}  // namespace

struct Pkcs11Key::Located {
  std::string error;  // empty: found
  bool tokenMissing = false;
  bool pinRefused = false;
  CK_SLOT_ID slot = 0;
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  std::uint64_t generation = 0;
};

Pkcs11Key::Pkcs11Key(Pkcs11KeyOptions options, std::shared_ptr<Pkcs11Module> module, EvpPkeyPtr certificateKey, const EVP_MD* md)
    : options_(std::move(options)),
      display_(options_.uri.display()),
      module_(std::move(module)),
      certificateKey_(std::move(certificateKey)),
      md_(md),
      rsa_(EVP_PKEY_get_base_id(certificateKey_.get()) == EVP_PKEY_RSA) {}

Pkcs11Key::~Pkcs11Key() {
  {
    std::lock_guard lock(mutex_);
    Pkcs11Module::Use f(*module_);
    // After a reinitialisation the handles are gone already; closing them would name others'.
    if (f.generation() == moduleGeneration_)
      for (const auto s : idle_) f->C_CloseSession(s);
    idle_.clear();
  }
  scrub(options_.pin);
}

Result<std::shared_ptr<Pkcs11Key>> Pkcs11Key::open(Pkcs11KeyOptions options, EVP_PKEY* certificateKey, const EVP_MD* md) {
  using R = Result<std::shared_ptr<Pkcs11Key>>;
  const std::string display = options.uri.display();
  const int type = EVP_PKEY_get_base_id(certificateKey);
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
    return R::fail("CA key " + display + ": the CA certificate's key is neither RSA nor ECDSA; a token key must be one of those");
  if (type == EVP_PKEY_RSA && EVP_MD_get_type(md) != NID_sha256) return R::fail("CA key " + display + ": RSA keys sign with SHA-256 only");
  if (options.uri.modulePath && *options.uri.modulePath != options.modulePath)
    return R::fail("CA key " + display + ": the URI's module-path " + *options.uri.modulePath + " is not pkcs11Module " +
                   options.modulePath + "; set one of them, or the same path in both");
  if (options.sessions == 0) options.sessions = 1;
  auto module = Pkcs11Module::load(options.modulePath);
  if (!module) return R::fail("CA key " + display + ": " + module.error());
  EVP_PKEY_up_ref(certificateKey);
  std::shared_ptr<Pkcs11Key> key(new Pkcs11Key(std::move(options), std::move(module.value()), EvpPkeyPtr(certificateKey), md));
  auto connected = key->reconnect();
  if (!connected) return R::fail(connected.error());
  return R::ok(std::move(key));
}

Pkcs11Key::Located Pkcs11Key::locate() const {
  Located out;
  Pkcs11Module::Use f(*module_);
  out.generation = f.generation();
  const auto& uri = options_.uri;
  const std::string who = "CA key " + display_ + " (module " + options_.modulePath + "): ";

  auto token = findToken(f, options_.uri);
  if (!token.error.empty()) {
    out.error = who + token.error;
    out.tokenMissing = token.missing;
    return out;
  }
  out.slot = token.slot;

  auto session = openTokenSession(f, out.slot, options_.pin, false);
  if (!session) {
    out.error = who + session.error();
    out.pinRefused = session.error().find("CKR_PIN_") != std::string::npos;
    if (out.pinRefused) out.error += "; check the PIN in caKeyPinFile / caKeyPinEnv (further attempts stop: each would use a PIN try)";
    out.tokenMissing = !out.pinRefused;
    return out;
  }
  out.session = session.value();
  auto fail = [&](const std::string& why, bool gone) {
    f->C_CloseSession(out.session);
    out.session = CK_INVALID_HANDLE;
    out.error = who + why;
    out.tokenMissing = gone;
    return out;
  };

  CK_OBJECT_CLASS keyClass = CKO_PRIVATE_KEY;
  std::vector<CK_ATTRIBUTE> query{{CKA_CLASS, &keyClass, sizeof keyClass}};
  if (uri.object) query.push_back({CKA_LABEL, const_cast<char*>(uri.object->data()), uri.object->size()});
  if (uri.id) query.push_back({CKA_ID, const_cast<char*>(uri.id->data()), uri.id->size()});
  CK_RV rv = f->C_FindObjectsInit(out.session, query.data(), query.size());
  CK_OBJECT_HANDLE keys[2];
  CK_ULONG n = 0;
  if (rv == CKR_OK) {
    rv = f->C_FindObjects(out.session, keys, 2, &n);
    f->C_FindObjectsFinal(out.session);
  }
  if (rv != CKR_OK) return fail("C_FindObjects failed with " + pkcs11ErrorName(rv), isTokenGone(rv));
  if (n == 0)
    return fail(std::string("no private key on the token matches object=/id=") +
                    (options_.pin ? "" : " (no PIN was given: a private key is only visible after login; set caKeyPinFile)"),
                false);
  if (n > 1) return fail("more than one private key matches; add id= (or a unique object=) to the URI", false);
  out.key = keys[0];

  auto input = mechanismInput(reinterpret_cast<const unsigned char*>(kTestMessage), std::strlen(kTestMessage));
  if (!input) return fail(input.error(), false);
  CK_RV signRv = CKR_OK;
  auto sig = signWith(out.session, out.key, input.value(), signRv);
  if (!sig) return fail("the test signature failed: " + sig.error(), isTokenGone(signRv));
  EvpMdCtxPtr verify(EVP_MD_CTX_new());
  const bool ok =
      verify &&
      EVP_DigestVerifyInit_ex(verify.get(), nullptr, EVP_MD_get0_name(md_), nullptr, nullptr, certificateKey_.get(), nullptr) == 1 &&
      EVP_DigestVerify(verify.get(), sig.value().data(), sig.value().size(), reinterpret_cast<const unsigned char*>(kTestMessage),
                       std::strlen(kTestMessage)) == 1;
  drainOpenSslErrors();
  if (!ok) return fail("the key on the token does not match the CA certificate; point the URI at the CA certificate's key", false);
  return out;
}

Result<bool> Pkcs11Key::reconnect() const {
  std::lock_guard connecting(connectMutex_);
  {
    std::lock_guard lock(mutex_);
    if (connected_) return Result<bool>::ok(true);
    if (pinRefused_) return Result<bool>::fail(lastError_);
  }
  const auto before = module_->generation();
  auto located = locate();
  if (!located.error.empty() && located.tokenMissing) {
    // Modules list the tokens they saw at C_Initialize; one that came back only shows after a new one.
    if (auto reinit = module_->reinitialize(before); reinit) located = locate();
  }
  std::lock_guard lock(mutex_);
  if (!located.error.empty()) {
    const bool first = lastError_ != located.error;
    lastError_ = located.error;
    pinRefused_ = located.pinRefused;
    if (first) spdlog::warn("PKCS#11 key unavailable: {}", located.error);
    return Result<bool>::fail(located.error);
  }
  const bool wasDown = !lastError_.empty();
  connected_ = true;
  slot_ = located.slot;
  key_ = located.key;
  moduleGeneration_ = located.generation;
  idle_.assign(1, located.session);
  open_ = 1;
  lastError_.clear();
  if (wasDown) spdlog::info("PKCS#11 key {} available again (new session, logged in, key found and checked)", display_);
  sessionFreed_.notify_all();
  return Result<bool>::ok(true);
}

void Pkcs11Key::markUnavailable(std::uint64_t epoch, const std::string& why) const {
  std::lock_guard lock(mutex_);
  if (epoch != epoch_) return;  // another thread dropped this epoch's sessions already
  ++epoch_;
  connected_ = false;
  {
    Pkcs11Module::Use f(*module_);
    if (f.generation() == moduleGeneration_)
      for (const auto s : idle_) f->C_CloseSession(s);
  }
  idle_.clear();
  open_ = 0;
  lastError_ = why;
  spdlog::warn("PKCS#11 key unavailable, dropping its sessions: {}", why);
  sessionFreed_.notify_all();
}

Result<Pkcs11Key::Lease> Pkcs11Key::acquire() const {
  using R = Result<Lease>;
  std::unique_lock lock(mutex_);
  while (true) {
    if (connected_ && module_->generation() != moduleGeneration_) {
      // Another key on this module re-initialised it: our handles are gone, reconnect quietly.
      ++epoch_;
      connected_ = false;
      idle_.clear();
      open_ = 0;
      lastError_ = "CA key " + display_ + ": reconnecting after the module was re-initialised";
    }
    if (!connected_) {
      lock.unlock();
      auto r = reconnect();
      if (!r) return R::fail(r.error());
      lock.lock();
      continue;
    }
    if (!idle_.empty()) {
      const Lease lease{idle_.back(), key_, epoch_};
      idle_.pop_back();
      return R::ok(lease);
    }
    if (open_ < options_.sessions) {
      ++open_;
      const std::uint64_t epoch = epoch_;
      const CK_SLOT_ID slot = slot_;
      const CK_OBJECT_HANDLE key = key_;
      lock.unlock();
      Result<CK_SESSION_HANDLE> session = Result<CK_SESSION_HANDLE>::fail("");
      {
        Pkcs11Module::Use f(*module_);
        session = openTokenSession(f, slot, options_.pin, false);
      }
      if (session) return R::ok(Lease{session.value(), key, epoch});
      lock.lock();
      if (epoch == epoch_) --open_;
      sessionFreed_.notify_one();
      lock.unlock();
      markUnavailable(epoch, "CA key " + display_ + ": " + session.error());
      return R::fail("CA key " + display_ + ": " + session.error());
    }
    sessionFreed_.wait(lock);
  }
}

void Pkcs11Key::release(const Lease& lease) const {
  std::lock_guard lock(mutex_);
  if (lease.epoch == epoch_) {
    idle_.push_back(lease.session);
    sessionFreed_.notify_one();
    return;
  }
  Pkcs11Module::Use f(*module_);
  if (f.generation() == moduleGeneration_) f->C_CloseSession(lease.session);
}

Result<std::vector<unsigned char>> Pkcs11Key::mechanismInput(const unsigned char* data, std::size_t length) const {
  using R = Result<std::vector<unsigned char>>;
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hashLength = 0;
  if (EVP_Digest(data, length, hash, &hashLength, md_, nullptr) != 1) return R::fail(withOpenSslErrors("cannot hash the data to sign"));
  std::vector<unsigned char> input;
  if (rsa_) input.assign(kSha256DigestInfo.begin(), kSha256DigestInfo.end());
  input.insert(input.end(), hash, hash + hashLength);
  return R::ok(std::move(input));
}

Result<std::vector<unsigned char>> Pkcs11Key::signWith(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                                                       const std::vector<unsigned char>& input, CK_RV& rv) const {
  using R = Result<std::vector<unsigned char>>;
  CK_MECHANISM mechanism{rsa_ ? CKM_RSA_PKCS : CKM_ECDSA, nullptr, 0};
  Pkcs11Module::Use f(*module_);
  rv = f->C_SignInit(session, &mechanism, key);
  // Large enough for RSA-8192 and for r||s of P-521; the token says how much it used.
  std::vector<unsigned char> raw(1024);
  CK_ULONG rawLength = raw.size();
  if (rv == CKR_OK) rv = f->C_Sign(session, const_cast<unsigned char*>(input.data()), input.size(), raw.data(), &rawLength);
  if (rv != CKR_OK) return R::fail("C_Sign failed with " + pkcs11ErrorName(rv));
  raw.resize(rawLength);
  return toX509Signature(std::move(raw));
}

// CKM_ECDSA returns r || s, each as long as the group order; X.509 carries ECDSA-Sig-Value (DER).
Result<std::vector<unsigned char>> Pkcs11Key::toX509Signature(std::vector<unsigned char> raw) const {
  using R = Result<std::vector<unsigned char>>;
  if (rsa_) return R::ok(std::move(raw));
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * 66) return R::fail("the token returned a malformed ECDSA signature");
  const int half = static_cast<int>(raw.size() / 2);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr r(BN_bin2bn(raw.data(), half, nullptr));
  BignumPtr s(BN_bin2bn(raw.data() + half, half, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1)
    return R::fail(withOpenSslErrors("cannot encode the ECDSA signature"));
  (void)r.release();  // owned by sig from here
  (void)s.release();
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  const OpenSslBytesPtr owned(der);
  if (len <= 0) return R::fail(withOpenSslErrors("cannot encode the ECDSA signature"));
  return R::ok(std::vector<unsigned char>(der, der + len));
}

Result<std::vector<unsigned char>> Pkcs11Key::sign(const unsigned char* data, std::size_t length) const {
  using R = Result<std::vector<unsigned char>>;
  auto input = mechanismInput(data, length);
  if (!input) return input;
  // A second attempt when the first meets a dropped session: the reconnection in between is what
  // recovers from an HSM restart while this signer was idle.
  for (int attempt = 0;; ++attempt) {
    auto lease = acquire();
    if (!lease) return R::fail(lease.error());
    CK_RV rv = CKR_OK;
    auto sig = signWith(lease.value().session, lease.value().key, input.value(), rv);
    if (sig) {
      release(lease.value());
      return sig;
    }
    if (!isTokenGone(rv)) {
      release(lease.value());
      return R::fail("CA key " + display_ + ": " + sig.error());
    }
    const std::string why = "CA key " + display_ + ": the token went away (" + sig.error() + ")";
    release(lease.value());
    markUnavailable(lease.value().epoch, why);
    if (attempt == 1) return R::fail(why);
  }
}

std::optional<std::string> Pkcs11Key::unavailable() const {
  std::lock_guard lock(mutex_);
  if (connected_) return std::nullopt;
  return lastError_.empty() ? "CA key " + display_ + ": not connected" : lastError_;
}

void Pkcs11Key::probe() const {
  if (unavailable()) {
    (void)reconnect();
    return;
  }
  (void)sign(reinterpret_cast<const unsigned char*>(kTestMessage), std::strlen(kTestMessage));
}

std::size_t Pkcs11Key::openSessions() const {
  std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace signers
