#pragma once
// Read-only typed views of the objects that tell who a node is, for the kubelet-serving approver:
// the API server's own Service and EndpointSlices, Cluster API / OpenShift Machines, and the
// kubelet's serving port from Node.status.daemonEndpoints. Kept apart from Objects.h because
// nothing here is ever written back; each type keeps `raw` like the others.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "k8sclient/Objects.h"

namespace k8s {

struct Service {
  ObjectMeta metadata;
  // spec.clusterIPs, with the legacy spec.clusterIP first when clusterIPs is absent. "None"
  // (headless) is dropped: it is not an address.
  std::vector<std::string> clusterIPs;
  RawJson raw;
};

struct EndpointSlice {
  ObjectMeta metadata;
  std::string addressType;  // IPv4, IPv6 or FQDN
  // Every endpoints[].addresses[] entry, ready or not: a not-ready API server is still the API server.
  std::vector<std::string> addresses;
  RawJson raw;
};

// status.nodeRef and status.addresses are the same shape in cluster.x-k8s.io/v1beta1 and
// machine.openshift.io/v1beta1; which group is read is chosen at run time (machineResource).
struct Machine {
  ObjectMeta metadata;
  std::string nodeRefName;             // status.nodeRef.name; empty until the Node joined
  std::vector<NodeAddress> addresses;  // status.addresses, written by the infrastructure provider
  RawJson raw;
};

// What a PodCertificateRequest's spec claims about its pod, read back from the pod itself.
struct Pod {
  ObjectMeta metadata;
  std::string nodeName;            // spec.nodeName
  std::string serviceAccountName;  // spec.serviceAccountName
  RawJson raw;
};

struct ServiceAccount {
  ObjectMeta metadata;
  RawJson raw;
};

enum class MachineApi { ClusterApi, OpenShift };
ResourceRef machineResource(MachineApi api);
// "cluster-api" or "openshift", as written in configuration.
const char* machineApiName(MachineApi api);
std::optional<MachineApi> parseMachineApi(const std::string& name);

// Node.status.daemonEndpoints.kubeletEndpoint.Port; nullopt when absent or outside 1..65535.
std::optional<uint16_t> kubeletPort(const Node& node);

template <>
struct ResourceTraits<Service> {
  static constexpr const char* group = "";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "services";
  static constexpr const char* kind = "Service";
  static constexpr bool namespaced = true;
};
template <>
struct ResourceTraits<EndpointSlice> {
  static constexpr const char* group = "discovery.k8s.io";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "endpointslices";
  static constexpr const char* kind = "EndpointSlice";
  static constexpr bool namespaced = true;
};

template <>
struct ResourceTraits<Pod> {
  static constexpr const char* group = "";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "pods";
  static constexpr const char* kind = "Pod";
  static constexpr bool namespaced = true;
};
template <>
struct ResourceTraits<ServiceAccount> {
  static constexpr const char* group = "";
  static constexpr const char* version = "v1";
  static constexpr const char* plural = "serviceaccounts";
  static constexpr const char* kind = "ServiceAccount";
  static constexpr bool namespaced = true;
};

void from_json(const nlohmann::json& j, Service& o);
void from_json(const nlohmann::json& j, Pod& o);
void from_json(const nlohmann::json& j, ServiceAccount& o);
void from_json(const nlohmann::json& j, EndpointSlice& o);
void from_json(const nlohmann::json& j, Machine& o);

}  // namespace k8s
