#include "signers/SignerSet.h"

#include <spdlog/spdlog.h>

#include "signers/FileCaSigner.h"

namespace signers {
namespace {

long long unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

Result<SignerSet> SignerSet::load(const std::vector<SignerConfig>& configs, std::chrono::milliseconds reloadInterval,
                                  Signer::CaChangedCallback onCaChanged) {
  SignerSet set;
  for (const auto& config : configs) {
    if (set.signers_.contains(config.signerName)) {
      return Result<SignerSet>::fail("signer " + config.signerName + " is configured twice; keep one entry per signerName");
    }
    auto created = FileCaSigner::create(config);
    if (!created) return Result<SignerSet>::fail("signer " + config.signerName + " cannot start: " + created.error());
    auto& signer = *created.value();
    if (onCaChanged) onCaChanged(signer);
    signer.startReloading(reloadInterval, onCaChanged);
    spdlog::info("signer ready: signer={} ca=\"{}\" caNotAfter={}", signer.name(), signer.caSubject(), unixSeconds(signer.caNotAfter()));
    set.signers_.emplace(config.signerName, std::move(created.value()));
  }
  return Result<SignerSet>::ok(std::move(set));
}

Result<SignerSet> SignerSet::of(std::vector<std::unique_ptr<Signer>> signers) {
  SignerSet set;
  for (auto& signer : signers) {
    const std::string name = signer->name();
    if (!set.signers_.emplace(name, std::move(signer)).second)
      return Result<SignerSet>::fail("signer " + name + " is given twice; keep one per signerName");
  }
  return Result<SignerSet>::ok(std::move(set));
}

SignerSet::~SignerSet() { stop(); }

const Signer* SignerSet::find(std::string_view name) const {
  const auto it = signers_.find(name);
  return it == signers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> SignerSet::names() const {
  std::vector<std::string> out;
  out.reserve(signers_.size());
  for (const auto& entry : signers_) out.push_back(entry.first);
  return out;
}

void SignerSet::stop() {
  for (auto& entry : signers_) entry.second->stopReloading();
}

}  // namespace signers
