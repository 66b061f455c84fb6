// The CSR cache of one operator instance: one informer per signer it handles, each listing and
// watching with fieldSelector=spec.signerName=<signer> (kube-apiserver supports that field for
// CSRs, one value per selector), so CSRs for any other signer never reach this process, however
// many or big they are. Seen from outside as one cache: a CSR's signer never changes and its name
// is unique, so every CSR is in exactly one informer.
#pragma once

#include "controller/CsrLister.h"
#include "k8sclient/Informer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

namespace csrop {

class SignerCaches : public CsrLister {
 public:
  using Csr = CachedCsr;
  SignerCaches(k8s::KubeClient& client, const std::set<std::string>& signers, const k8s::InformerOptions& options);

  static k8s::ListOptions selectorFor(const std::string& signerName);

  // Handlers run on the informers' threads (one per signer), so they must be thread-safe.
  void onAdd(const std::function<void(const Csr&)>& f);
  // Only the new state: the controller is level-based, and decoding the old one would double the
  // work per watch event.
  void onUpdate(const std::function<void(const Csr& now)>& f);
  void onDelete(const std::function<void(const Csr&)>& f);

  // Blocks: runs every informer (one thread each) until stop is requested.
  void run(std::stop_token stop);

  bool hasSynced() const;
  std::optional<Csr> get(const std::string& name) const override;
  std::vector<std::string> names() const override;
  std::size_t size() const;
  std::uint64_t watchRestarts() const;

 private:
  std::vector<std::unique_ptr<k8s::InformerCore>> informers_;
};

}  // namespace csrop
