#include "signers/ReloadingCertificateAuthority.h"

#include "signers/FileUtil.h"
#include "signers/Pkcs11Key.h"
#include "signers/Pkcs11Uri.h"

namespace signers {
namespace {

// Contents of every file, length-prefixed, so any change anywhere is detected. An unreadable file
// contributes its error text, so a file that disappears and comes back is seen as a change.
std::string fingerprintOf(const CaFiles& files) {
  std::string out;
  auto add = [&out](const std::string& path) {
    if (path.empty()) return;
    if (isPkcs11Uri(path)) {  // not a file: the key is on a token, and its URI is its identity
      out += std::to_string(path.size()) + "@" + path;
      return;
    }
    auto r = readSmallFile(path);
    const std::string& part = r ? r.value() : r.error();
    out += std::to_string(part.size()) + (r ? "+" : "!") + part;
  };
  add(files.certFile);
  add(files.keyFile);
  add(files.passphraseFile);
  add(files.pinFile);
  for (const auto& f : files.chainFiles) add(f);
  return out;
}

}  // namespace

ReloadingCertificateAuthority::ReloadingCertificateAuthority(std::shared_ptr<const CertificateAuthority> initial, std::string fingerprint)
    : files_(initial->files()), current_(std::move(initial)), fingerprint_(std::move(fingerprint)) {}

Result<std::unique_ptr<ReloadingCertificateAuthority>> ReloadingCertificateAuthority::create(const CaFiles& files) {
  using R = Result<std::unique_ptr<ReloadingCertificateAuthority>>;
  std::string fingerprint = fingerprintOf(files);
  auto ca = CertificateAuthority::load(files);
  if (!ca) return R::fail(ca.error());
  return R::ok(
      std::unique_ptr<ReloadingCertificateAuthority>(new ReloadingCertificateAuthority(std::move(ca.value()), std::move(fingerprint))));
}

ReloadingCertificateAuthority::~ReloadingCertificateAuthority() { stopPolling(); }

Result<bool> ReloadingCertificateAuthority::reloadIfChanged() {
  std::lock_guard lock(mutex_);
  std::string fingerprint = fingerprintOf(files_);
  if (fingerprint == fingerprint_) {
    return lastError_.empty() ? Result<bool>::ok(false) : Result<bool>::fail(lastError_);
  }
  fingerprint_ = std::move(fingerprint);
  auto ca = CertificateAuthority::load(files_);
  if (!ca) {
    lastError_ = "CA reload failed, keeping the previous CA: " + ca.error();
    return Result<bool>::fail(lastError_);
  }
  current_.store(std::move(ca.value()));
  lastError_.clear();
  return Result<bool>::ok(true);
}

void ReloadingCertificateAuthority::startPolling(std::chrono::milliseconds interval, std::function<void(const Result<bool>&)> onResult) {
  stopPolling();
  {
    std::lock_guard lock(pollMutex_);
    stopRequested_ = false;
  }
  poller_ = std::thread([this, interval, onResult = std::move(onResult)] {
    std::unique_lock lock(pollMutex_);
    while (!pollCv_.wait_for(lock, interval, [this] { return stopRequested_; })) {
      lock.unlock();
      auto result = reloadIfChanged();
      if (onResult) onResult(result);
      // A token key is checked here too, so readiness follows it without waiting for a CSR.
      if (const auto* key = current()->tokenKey()) key->probe();
      lock.lock();
    }
  });
}

void ReloadingCertificateAuthority::stopPolling() {
  {
    std::lock_guard lock(pollMutex_);
    stopRequested_ = true;
  }
  pollCv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

std::string ReloadingCertificateAuthority::lastError() const {
  std::lock_guard lock(mutex_);
  return lastError_;
}

}  // namespace signers
