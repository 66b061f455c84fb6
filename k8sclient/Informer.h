#pragma once
// Typed informer: list+watch of one resource with a thread-safe local cache and ordered handlers.
// All the work is in InformerCore; this template only converts JSON to T.
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "k8sclient/InformerCore.h"

namespace k8s {

template <class T>
class Informer {
 public:
  Informer(KubeClient& client, ListOptions selectors = {}, InformerOptions options = {})
      : core_(client, ResourceRef::of<T>(), std::move(selectors), std::move(options)) {}

  void onAdd(std::function<void(const T&)> f) {
    core_.onAdd([f = std::move(f)](const nlohmann::json& j) { f(j.get<T>()); });
  }
  void onUpdate(std::function<void(const T& old, const T& now)> f) {
    core_.onUpdate([f = std::move(f)](const nlohmann::json& o, const nlohmann::json& n) { f(o.get<T>(), n.get<T>()); });
  }
  void onDelete(std::function<void(const T&)> f) {
    core_.onDelete([f = std::move(f)](const nlohmann::json& j) { f(j.get<T>()); });
  }

  // Blocking: list, then watch until stop is requested.
  void run(std::stop_token stop) { core_.run(stop); }

  bool hasSynced() const { return core_.hasSynced(); }
  // name, or "namespace/name" for a namespaced resource watched across all namespaces.
  std::optional<T> get(const std::string& name) const {
    auto j = core_.get(name);
    if (!j) return std::nullopt;
    return j->template get<T>();
  }
  std::vector<T> list() const {
    std::vector<T> out;
    for (const auto& j : core_.list()) out.push_back(j.template get<T>());
    return out;
  }
  size_t size() const { return core_.size(); }
  uint64_t watchRestarts() const { return core_.watchRestarts(); }
  InformerCore& core() { return core_; }
  const InformerCore& core() const { return core_; }

 private:
  InformerCore core_;
};

}  // namespace k8s
