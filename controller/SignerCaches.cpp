#include "controller/SignerCaches.h"

#include "controller/CacheTransforms.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace csrop {

SignerCaches::SignerCaches(k8s::KubeClient& client, const std::set<std::string>& signers, const k8s::InformerOptions& options) {
  std::string watched;
  for (const auto& n : signers) watched += (watched.empty() ? "" : ",") + n;
  spdlog::info("watching CSRs of signers [{}] only", watched);
  for (const auto& signer : signers)
    informers_.push_back(
        std::make_unique<k8s::InformerCore>(client, k8s::ResourceRef::of<k8s::CertificateSigningRequest>(), selectorFor(signer), options));
}

k8s::ListOptions SignerCaches::selectorFor(const std::string& signerName) {
  k8s::ListOptions o;
  o.fieldSelector = "spec.signerName=" + signerName;
  return o;
}

void SignerCaches::onAdd(const std::function<void(const Csr&)>& f) {
  for (auto& i : informers_) i->onAdd([f](nlohmann::json& j) { f(readCachedCsr(std::move(j))); });
}
void SignerCaches::onUpdate(const std::function<void(const Csr&)>& f) {
  for (auto& i : informers_) i->onUpdateNew([f](nlohmann::json& now) { f(readCachedCsr(std::move(now))); });
}
void SignerCaches::onDelete(const std::function<void(const Csr&)>& f) {
  for (auto& i : informers_) i->onDelete([f](const nlohmann::json& j) { f(readCachedCsr(j)); });
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
    if (auto j = i->get(name)) return readCachedCsr(std::move(*j));
  return std::nullopt;
}

std::vector<std::string> SignerCaches::names() const {
  std::vector<std::string> all;
  for (const auto& i : informers_) {
    auto keys = i->keys();
    all.insert(all.end(), std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
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
