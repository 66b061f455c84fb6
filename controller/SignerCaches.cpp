#include "controller/SignerCaches.h"

#include <thread>

namespace csrop {

SignerCaches::SignerCaches(k8s::KubeClient& client, const std::set<std::string>& signers, const k8s::InformerOptions& options) {
  for (const auto& signer : signers) informers_.push_back(std::make_unique<k8s::Informer<Csr>>(client, selectorFor(signer), options));
}

k8s::ListOptions SignerCaches::selectorFor(const std::string& signerName) {
  k8s::ListOptions o;
  o.fieldSelector = "spec.signerName=" + signerName;
  return o;
}

void SignerCaches::onAdd(const std::function<void(const Csr&)>& f) {
  for (auto& i : informers_) i->onAdd(f);
}
void SignerCaches::onUpdate(const std::function<void(const Csr&, const Csr&)>& f) {
  for (auto& i : informers_) i->onUpdate(f);
}
void SignerCaches::onDelete(const std::function<void(const Csr&)>& f) {
  for (auto& i : informers_) i->onDelete(f);
}

void SignerCaches::run(std::stop_token stop) {
  std::vector<std::jthread> threads;
  for (auto& i : informers_) threads.emplace_back([&i, stop](std::stop_token) { i->run(stop); });
}

bool SignerCaches::hasSynced() const {
  for (const auto& i : informers_)
    if (!i->hasSynced()) return false;
  return true;
}

std::optional<SignerCaches::Csr> SignerCaches::get(const std::string& name) const {
  for (const auto& i : informers_)
    if (auto csr = i->get(name)) return csr;
  return std::nullopt;
}

std::optional<nlohmann::json> SignerCaches::getJson(const std::string& name) const {
  for (const auto& i : informers_)
    if (auto j = i->core().get(name)) return j;
  return std::nullopt;
}

std::vector<SignerCaches::Csr> SignerCaches::list() const {
  std::vector<Csr> all;
  for (const auto& i : informers_) {
    auto some = i->list();
    all.insert(all.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }
  return all;
}

std::size_t SignerCaches::size() const {
  std::size_t n = 0;
  for (const auto& i : informers_) n += i->size();
  return n;
}

std::uint64_t SignerCaches::watchRestarts() const {
  std::uint64_t n = 0;
  for (const auto& i : informers_) n += i->watchRestarts();
  return n;
}

}  // namespace csrop
