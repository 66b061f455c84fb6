#include "controller/NodeIdentitySources.h"

#include "controller/CacheTransforms.h"

namespace csrop {
namespace {

k8s::ListOptions kubernetesServiceOnly() {
  k8s::ListOptions o;
  o.fieldSelector = "metadata.name=" + std::string(ReservedIdentities::kServiceName);
  return o;
}

k8s::ListOptions kubernetesSlicesOnly() {
  k8s::ListOptions o;
  o.labelSelector = std::string(ReservedIdentities::kServiceNameLabel) + "=" + std::string(ReservedIdentities::kServiceName);
  return o;
}

k8s::InformerOptions inNamespace(std::string ns, std::chrono::seconds watchSilence) {
  k8s::InformerOptions o;
  o.ns = std::move(ns);
  o.idleDeadline = watchSilence;
  return o;
}

k8s::MachineApi machineApiOf(MachineApiGroup group) {
  return group == MachineApiGroup::OpenShift ? k8s::MachineApi::OpenShift : k8s::MachineApi::ClusterApi;
}

ReservedIdentitiesConfig reservedConfig(const KubeletServingConfig& c) { return {c.clusterDomain, c.serviceCIDRs, c.deniedCIDRs}; }

}  // namespace

AddressIndex::Options addressIndexOptions(const KubeletServingConfig& c) {
  return {c.historyWindow, static_cast<std::size_t>(c.maxAddressesPerNode)};
}

NodeIdentitySources::NodeIdentitySources(const KubeletServingConfig& config, k8s::KubeClient& client, k8s::KubeClient& machineClient,
                                         AddressIndex& index, NodeDirectory& cachedNodes, std::function<std::string()> caBundlePem,
                                         Metrics& metrics, std::chrono::seconds watchSilence)
    : reserved_(reservedConfig(config)),
      index_(index),
      freshNodes_(client),
      services_(client, kubernetesServiceOnly(), inNamespace(std::string(ReservedIdentities::kNamespace), watchSilence)),
      slices_(client, kubernetesSlicesOnly(), inNamespace(std::string(ReservedIdentities::kNamespace), watchSilence)) {
  // Exported from the start, so an alert on a rise works from the first scrape.
  metrics.inc(metric::kAddressConflicts, {}, 0);
  metrics.inc(metric::kNodeAddressChanges, {}, 0);
  services_.onAdd([this](const k8s::Service& s) { reserved_.serviceSeen(s); });
  services_.onUpdate([this](const k8s::Service&, const k8s::Service& s) { reserved_.serviceSeen(s); });
  slices_.onAdd([this](const k8s::EndpointSlice& s) { reserved_.endpointSliceSeen(s); });
  slices_.onUpdate([this](const k8s::EndpointSlice&, const k8s::EndpointSlice& s) { reserved_.endpointSliceSeen(s); });

  if (config.addressSource == AddressSource::Machine) {
    const auto api = machineApiOf(config.machineApiGroup);
    machineDirectory_ = std::make_unique<InformerMachineDirectory>(machineClient, api, config.machineNamespace);
    machines_ = std::make_unique<k8s::InformerCore>(machineClient, k8s::machineResource(api), k8s::ListOptions{},
                                                    inNamespace(config.machineNamespace, watchSilence));
    auto* directory = machineDirectory_.get();
    machines_->onAdd([directory](const nlohmann::json& j) { directory->machineSeen(j.get<k8s::Machine>()); });
    machines_->onUpdate([directory](const nlohmann::json&, const nlohmann::json& j) { directory->machineSeen(j.get<k8s::Machine>()); });
    machines_->onDelete([directory](const nlohmann::json& j) { directory->machineDeleted(j.get<k8s::Machine>()); });
    source_ = std::make_unique<MachineAddressAuthority>(*machineDirectory_, MachineAddressOptions{config.machineDeadline});
  } else {
    source_ = std::make_unique<NodeAddressAuthority>(cachedNodes, freshNodes_, index_,
                                                     NodeAddressOptions{config.addressSettle, configuredDnsNames(config)});
  }
  authority_ = source_.get();
  if (config.renewalContinuity) {
    continuity_ = std::make_unique<RenewalContinuity>(cachedNodes, dialer_, std::move(caBundlePem), *source_,
                                                      RenewalContinuityOptions{config.renewalDialTimeout});
    authority_ = continuity_.get();
  }
}

std::vector<std::function<void(std::stop_token)>> NodeIdentitySources::informerLoops() {
  std::vector<std::function<void(std::stop_token)>> loops;
  loops.emplace_back([this](std::stop_token stop) { services_.run(stop); });
  loops.emplace_back([this](std::stop_token stop) { slices_.run(stop); });
  if (machines_) loops.emplace_back([this](std::stop_token stop) { machines_->run(stop); });
  return loops;
}

bool NodeIdentitySources::hasSynced() const {
  return services_.hasSynced() && slices_.hasSynced() && (!machines_ || machines_->hasSynced());
}

std::vector<std::pair<std::string, uint64_t>> NodeIdentitySources::watchRestarts() const {
  std::vector<std::pair<std::string, uint64_t>> out{{"services", services_.watchRestarts()}, {"endpointslices", slices_.watchRestarts()}};
  if (machines_) out.emplace_back("machines", machines_->watchRestarts());
  return out;
}

void compactNodeKeepingKubeletPort(nlohmann::json& node) {
  nlohmann::json daemonEndpoints;
  if (auto status = node.find("status"); status != node.end() && status->is_object())
    if (auto d = status->find("daemonEndpoints"); d != status->end()) daemonEndpoints = std::move(*d);
  compactNode(node);
  if (!daemonEndpoints.is_null()) node["status"]["daemonEndpoints"] = std::move(daemonEndpoints);
}

}  // namespace csrop
