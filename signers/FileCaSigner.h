#pragma once
// A Signer whose CA certificate and key are files (PEM, optionally an encrypted key and
// intermediates), re-read when they change so a CA rotation needs no restart. The key may instead
// stay on a PKCS#11 token (caKeyFile is then its URI; signers/Pkcs11Key.h).
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "signers/ReloadingCertificateAuthority.h"
#include "signers/Result.h"
#include "signers/Signer.h"
#include "signers/SignerConfig.h"

namespace signers {

class ProfileRules;

class FileCaSigner final : public Signer {
 public:
  // Validates the config (name, durations, custom rules) and loads the CA.
  static Result<std::unique_ptr<FileCaSigner>> create(const SignerConfig& config);
  ~FileCaSigner() override;

  const std::string& name() const override { return config_.signerName; }
  std::variant<IssuedCertificate, IssueError> issue(const IssueRequest& request, std::chrono::system_clock::time_point now) const override;
  // Subject text, profile rules, then csr-operator's common rules.
  std::optional<std::string> validate(const ParsedRequest& request, const std::vector<std::string>& usages,
                                      const Requester& requester = {}) const override;
  // maxSans from the config.
  RequestLimits requestLimits() const override;
  std::chrono::system_clock::time_point caNotAfter() const override;
  std::optional<std::string> unavailable() const override;
  std::string caPem() const override;
  std::string caSubject() const override;

  // Polls the files every `interval` on a background thread.
  void startReloading(std::chrono::milliseconds interval, CaChangedCallback onCaChanged) override;
  void stopReloading() override;
  // One attempt now, handled as the poller handles it (logged; the observer of startReloading,
  // if any, is called on a swap). ok(true): swapped; ok(false): unchanged; fail: refused, the
  // previous CA stays.
  Result<bool> reloadIfChanged();

  const SignerConfig& config() const { return config_; }

 private:
  FileCaSigner(SignerConfig config, std::unique_ptr<ReloadingCertificateAuthority> authority, std::shared_ptr<const ProfileRules> rules);
  void report(const Result<bool>& reload);

  SignerConfig config_;
  std::unique_ptr<ReloadingCertificateAuthority> authority_;
  std::shared_ptr<const ProfileRules> rules_;
  std::mutex observerMutex_;  // guards onCaChanged_: set by startReloading, read by any reload
  CaChangedCallback onCaChanged_;
};

}  // namespace signers
