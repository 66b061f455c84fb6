#include "tests/fakeapi/NodeRestriction.h"

#include <algorithm>
#include <map>
#include <set>

namespace fakeapi::noderestriction {
namespace {

const ResourceInfo& nodes() { return *findResource("", "v1", "nodes"); }

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string labelNamespace(const std::string& key) {
  auto slash = key.find('/');
  return slash == std::string::npos ? "" : key.substr(0, slash);
}

// k8s.io/kubelet/pkg/apis/well_known_labels.go: the labels a kubelet sets on its own Node.
bool isKubeletLabel(const std::string& key) {
  static const std::set<std::string> known = {"kubernetes.io/hostname",
                                              "topology.kubernetes.io/zone",
                                              "topology.kubernetes.io/region",
                                              "failure-domain.beta.kubernetes.io/zone",
                                              "failure-domain.beta.kubernetes.io/region",
                                              "beta.kubernetes.io/instance-type",
                                              "node.kubernetes.io/instance-type",
                                              "kubernetes.io/os",
                                              "kubernetes.io/arch",
                                              "beta.kubernetes.io/os",
                                              "beta.kubernetes.io/arch"};
  if (known.count(key)) return true;
  const std::string ns = labelNamespace(key);
  return ns == "kubelet.kubernetes.io" || endsWith(ns, ".kubelet.kubernetes.io") || ns == "node.kubernetes.io" ||
         endsWith(ns, ".node.kubernetes.io");
}

bool isForbiddenLabel(const std::string& key) {
  const std::string ns = labelNamespace(key);
  if (ns == "node-restriction.kubernetes.io" || endsWith(ns, ".node-restriction.kubernetes.io")) return true;
  const bool kubernetesLabel = ns == "kubernetes.io" || endsWith(ns, ".kubernetes.io") || ns == "k8s.io" || endsWith(ns, ".k8s.io");
  return kubernetesLabel && !isKubeletLabel(key);
}

std::map<std::string, std::string> labelsOf(const json& node) {
  std::map<std::string, std::string> out;
  auto md = node.find("metadata");
  if (md == node.end() || !md->is_object()) return out;
  auto labels = md->find("labels");
  if (labels == md->end() || !labels->is_object()) return out;
  for (auto it = labels->begin(); it != labels->end(); ++it)
    out[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  return out;
}

// Keys added, removed or changed between the two label maps that a node may not touch, sorted.
std::string forbiddenChanges(const json& now, const json* old) {
  const auto a = labelsOf(now);
  const auto b = old ? labelsOf(*old) : std::map<std::string, std::string>{};
  std::set<std::string> changed;
  for (const auto& [k, v] : a)
    if (auto it = b.find(k); it == b.end() || it->second != v) changed.insert(k);
  for (const auto& [k, v] : b)
    if (auto it = a.find(k); it == a.end() || it->second != v) changed.insert(k);
  std::string out;
  for (const auto& k : changed)
    if (isForbiddenLabel(k)) out += (out.empty() ? "" : ", ") + k;
  return out;
}

json taintsOf(const json& node) {
  auto spec = node.find("spec");
  if (spec == node.end() || !spec->is_object()) return json::array();
  auto taints = spec->find("taints");
  return taints == spec->end() || taints->is_null() ? json::array() : *taints;
}

std::string nameOf(const json& node) {
  auto md = node.find("metadata");
  return md != node.end() && md->is_object() ? md->value("name", "") : "";
}

}  // namespace

std::optional<std::string> nodeOf(const UserInfo& user) {
  static const std::string prefix = "system:node:";
  if (user.name.compare(0, prefix.size(), prefix) != 0 || !user.inGroup("system:nodes")) return std::nullopt;
  std::string name = user.name.substr(prefix.size());
  if (name.empty()) throw forbiddenObject(nodes(), "", "could not determine node from user " + json(user.name).dump());
  return name;
}

void admitNodeRequest(const UserInfo& user, const std::string& verb, const std::string& name) {
  if (verb != "create" && verb != "update" && verb != "patch" && verb != "delete") return;
  auto self = nodeOf(user);
  if (self && name != *self)
    throw forbiddenObject(nodes(), name, "node " + json(*self).dump() + " is not allowed to modify node " + json(name).dump());
}

void admitNodeCreate(const UserInfo& user, const json& node) {
  auto self = nodeOf(user);
  if (!self) return;
  admitNodeRequest(user, "create", nameOf(node));
  if (auto bad = forbiddenChanges(node, nullptr); !bad.empty())
    throw forbiddenObject(nodes(), *self, "node " + json(*self).dump() + " is not allowed to set the following labels: " + bad);
}

void admitNodeUpdate(const UserInfo& user, const json& now, const json& old) {
  auto self = nodeOf(user);
  if (!self) return;
  if (taintsOf(now) != taintsOf(old))
    throw forbiddenObject(nodes(), *self, "node " + json(*self).dump() + " is not allowed to modify taints");
  if (auto bad = forbiddenChanges(now, &old); !bad.empty())
    throw forbiddenObject(nodes(), *self, "is not allowed to modify labels: " + bad);
}

}  // namespace fakeapi::noderestriction
