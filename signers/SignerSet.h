#pragma once
// The signers this instance runs, by signerName: built once at start from the configuration,
// each reloading its own CA until stop().
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "signers/Result.h"
#include "signers/Signer.h"
#include "signers/SignerConfig.h"

namespace signers {

class SignerSet {
 public:
  // One FileCaSigner per config, in order. For each: onCaChanged (optional) is called once its CA
  // is loaded, it is logged ready, and it starts reloading every reloadInterval, calling
  // onCaChanged again after each swap. Fails on the first signer that cannot start or a name given
  // twice, with an error naming that signer; the signers started before it are stopped.
  static Result<SignerSet> load(const std::vector<SignerConfig>& configs, std::chrono::milliseconds reloadInterval,
                                Signer::CaChangedCallback onCaChanged = {});

  // Signers built elsewhere (another backend, a test's): they are used as they are, and reload
  // only if they were started.
  static Result<SignerSet> of(std::vector<std::unique_ptr<Signer>> signers);

  SignerSet(SignerSet&&) = default;
  SignerSet& operator=(SignerSet&&) = default;
  ~SignerSet();

  // nullptr when this instance does not sign for `name`. The pointer lives as long as the set.
  const Signer* find(std::string_view name) const;
  std::vector<std::string> names() const;  // sorted
  bool empty() const { return signers_.empty(); }

  // Stops every signer's reloading (joins their threads); they still sign. Idempotent. Call it
  // before whatever onCaChanged uses goes away.
  void stop();

 private:
  SignerSet() = default;

  std::map<std::string, std::unique_ptr<Signer>, std::less<>> signers_;
};

}  // namespace signers
