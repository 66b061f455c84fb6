#include "k8sclient/IdentityObjects.h"

#include <nlohmann/json.hpp>

#include "k8sclient/JsonFields.h"

namespace k8s {

using nlohmann::json;

namespace {

using json_fields::field;
using json_fields::getStr;

ObjectMeta metaOf(const json& j) {
  const json* m = field(j, "metadata");
  return m ? m->get<ObjectMeta>() : ObjectMeta{};
}

}  // namespace

ResourceRef machineResource(MachineApi api) {
  if (api == MachineApi::OpenShift) return ResourceRef{"machine.openshift.io", "v1beta1", "machines", "Machine", true};
  return ResourceRef{"cluster.x-k8s.io", "v1beta1", "machines", "Machine", true};
}

const char* machineApiName(MachineApi api) { return api == MachineApi::OpenShift ? "openshift" : "cluster-api"; }

std::optional<MachineApi> parseMachineApi(const std::string& name) {
  if (name == "cluster-api") return MachineApi::ClusterApi;
  if (name == "openshift") return MachineApi::OpenShift;
  return std::nullopt;
}

std::optional<uint16_t> kubeletPort(const Node& node) {
  const json* status = field(node.raw.get(), "status");
  const json* endpoints = status ? field(*status, "daemonEndpoints") : nullptr;
  const json* kubelet = endpoints ? field(*endpoints, "kubeletEndpoint") : nullptr;
  const json* port = kubelet ? field(*kubelet, "Port") : nullptr;
  if (!port || !port->is_number_integer()) return std::nullopt;
  const auto value = port->get<int64_t>();
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

void from_json(const json& j, Service& o) {
  o.raw.set(j);
  o.metadata = metaOf(j);
  o.clusterIPs.clear();
  const json* spec = field(j, "spec");
  if (!spec) return;
  std::vector<std::string> ips;
  if (const json* list = field(*spec, "clusterIPs"); list && list->is_array())
    for (const auto& ip : *list)
      if (ip.is_string()) ips.push_back(ip.get<std::string>());
  if (ips.empty())
    if (auto single = getStr(*spec, "clusterIP"); !single.empty()) ips.push_back(single);
  for (auto& ip : ips)
    if (ip != "None") o.clusterIPs.push_back(std::move(ip));
}

void from_json(const json& j, Pod& o) {
  o.raw.set(j);
  o.metadata = metaOf(j);
  const json* spec = field(j, "spec");
  o.nodeName = spec ? getStr(*spec, "nodeName") : "";
  o.serviceAccountName = spec ? getStr(*spec, "serviceAccountName") : "";
}

void from_json(const json& j, ServiceAccount& o) {
  o.raw.set(j);
  o.metadata = metaOf(j);
}

void from_json(const json& j, EndpointSlice& o) {
  o.raw.set(j);
  o.metadata = metaOf(j);
  o.addressType = getStr(j, "addressType");
  o.addresses.clear();
  const json* endpoints = field(j, "endpoints");
  if (!endpoints || !endpoints->is_array()) return;
  for (const auto& endpoint : *endpoints)
    if (const json* addresses = field(endpoint, "addresses"); addresses && addresses->is_array())
      for (const auto& a : *addresses)
        if (a.is_string()) o.addresses.push_back(a.get<std::string>());
}

void from_json(const json& j, Machine& o) {
  o.raw.set(j);
  o.metadata = metaOf(j);
  o.nodeRefName.clear();
  o.addresses.clear();
  const json* status = field(j, "status");
  if (!status) return;
  if (const json* ref = field(*status, "nodeRef")) o.nodeRefName = getStr(*ref, "name");
  if (const json* addresses = field(*status, "addresses"); addresses && addresses->is_array())
    for (const auto& a : *addresses) o.addresses.push_back(a.get<NodeAddress>());
}

}  // namespace k8s
