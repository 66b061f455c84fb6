#pragma once
// The CA a signer uses now, swapped for a new one when its files (or its key's URI or PIN file) change.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "signers/CertificateAuthority.h"
#include "signers/Result.h"

namespace signers {

// Holds the current CA; readers never block writers for long and always see a complete pair.
class ReloadingCertificateAuthority {
 public:
  // The initial load must succeed.
  static Result<std::unique_ptr<ReloadingCertificateAuthority>> create(const CaFiles& files);
  ~ReloadingCertificateAuthority();
  ReloadingCertificateAuthority(const ReloadingCertificateAuthority&) = delete;
  ReloadingCertificateAuthority& operator=(const ReloadingCertificateAuthority&) = delete;

  std::shared_ptr<const CertificateAuthority> current() const { return current_.load(); }

  // Re-reads every file; when any byte changed, loads the new pair. ok(true): swapped in;
  // ok(false): unchanged; fail(message): the new files are bad and the old CA stays current
  // (the same bad content is not retried until it changes again, but keeps being reported).
  Result<bool> reloadIfChanged();

  // Calls reloadIfChanged() every `interval` on a background thread until stopPolling() or
  // destruction. onResult (optional) is called from that thread after each attempt. A token key
  // is probed once per interval as well (Pkcs11Key::probe).
  void startPolling(std::chrono::milliseconds interval, std::function<void(const Result<bool>&)> onResult = {});
  void stopPolling();

  // Error of the last reload attempt, empty when it succeeded or nothing changed.
  std::string lastError() const;

 private:
  explicit ReloadingCertificateAuthority(std::shared_ptr<const CertificateAuthority> initial, std::string fingerprint);

  CaFiles files_;
  std::atomic<std::shared_ptr<const CertificateAuthority>> current_;
  mutable std::mutex mutex_;  // guards fingerprint_, lastError_ and reload serialisation
  std::string fingerprint_;   // concatenated file contents of the last attempt
  std::string lastError_;
  std::mutex pollMutex_;
  std::condition_variable pollCv_;
  bool stopRequested_ = false;
  std::thread poller_;
};

}  // namespace signers
