#include "controller/ApprovalPolicies.h"

#include "controller/CacheTransforms.h"
#include "controller/KubeletClientPolicy.h"
#include "controller/RequesterRulePolicy.h"
#include "k8sclient/KubeConfigLoader.h"

#include <spdlog/spdlog.h>

#include <map>

namespace csrop {
namespace {

// The Machine API's client: this cluster's, or the management cluster's of machineKubeconfig.
std::unique_ptr<k8s::KubeClient> machineApiClient(const Config& all, const k8s::ClientOptions& options) {
  const KubeletServingConfig& config = all.approver.kubeletServing;
  if (config.addressSource != AddressSource::Machine || config.machineKubeconfig.empty()) return nullptr;
  auto rest = k8s::loadKubeConfig(config.machineKubeconfig);
  rest.httpClient = all.httpClient;
  spdlog::info("Machine API: server={} from {}", rest.server, rest.source);
  return std::make_unique<k8s::KubeClient>(k8s::makeTransport(rest), options);
}

k8s::InformerOptions nodeCacheOptions(const Config& config) {
  k8s::InformerOptions options;
  options.transform = config.approver.kubeletServing.renewalContinuity ? compactNodeKeepingKubeletPort : compactNode;
  // The address index holds every Node's addresses once; the cache keeps the rest.
  options.storeTransform = dropNodeAddresses;
  options.idleDeadline = config.watchSilenceTimeout;
  // Compacted Nodes differ in little more than names and addresses: deflated against the first one
  // they take a quarter of the memory (issue 17: 100,000 Nodes within 64 MiB).
  options.compressCache = true;
  return options;
}

}  // namespace

NodeView::NodeView(const Config& config, k8s::KubeClient& client, const k8s::ClientOptions& clientOptions,
                   const signers::SignerSet& signerSet, Metrics& metrics)
    : nodes(client, {}, nodeCacheOptions(config)),
      index(addressIndexOptions(config.approver.kubeletServing), k8s::steadyClock(), &metrics),
      directory(nodes, index, client),
      machineClient(machineApiClient(config, clientOptions)) {
  std::function<std::string()> caPem = [] { return std::string(); };
  if (const auto* serving = signerSet.find(KubeletServingPolicy::kSignerName)) caPem = [serving] { return serving->caPem(); };
  identity = std::make_unique<NodeIdentitySources>(config.approver.kubeletServing, client, machineClient ? *machineClient : client, index,
                                                   directory, caPem, metrics, config.watchSilenceTimeout);
  nodes.onAdd([this](const k8s::Node& n) { identity->nodeAdded(n); });
  nodes.onUpdate([this](const k8s::Node&, const k8s::Node& n) { identity->nodeUpdated(n); });
  nodes.onDelete([this](const k8s::Node& n) { identity->nodeDeleted(n); });
}

void NodeView::addCaches(std::vector<CacheSync>& caches) {
  caches.push_back({"nodes", [this] { return nodes.hasSynced(); }});
  caches.push_back({"node identity sources", [this] { return identity->hasSynced(); }});
}

void NodeView::startInformers(std::vector<std::jthread>& threads, std::stop_token stop) {
  threads.emplace_back([this, stop](std::stop_token) { nodes.run(stop); });
  for (auto& loop : identity->informerLoops()) threads.emplace_back([stop, loop = std::move(loop)](std::stop_token) { loop(stop); });
}

std::vector<std::unique_ptr<ApprovalPolicy>> buildPolicies(const Config& config, const signers::SignerSet& signerSet,
                                                           const PolicyInputs& inputs) {
  std::vector<std::unique_ptr<ApprovalPolicy>> policies;
  if (!config.approver.enabled) return policies;
  const auto signerFor = [&](std::string_view name) { return signerSet.find(name); };
  if (config.approver.kubeletServing.enabled)
    policies.push_back(std::make_unique<KubeletServingPolicy>(config.approver.kubeletServing, *inputs.nodes, inputs.resolver,
                                                              *inputs.identity, signerFor(KubeletServingPolicy::kSignerName)));
  if (config.approver.kubeletClient.enabled)
    policies.push_back(std::make_unique<KubeletClientPolicy>(inputs.reviewer, signerFor(KubeletClientPolicy::kSignerName)));
  if (!config.approver.rules.empty()) {
    std::map<std::string, const signers::Signer*> byName;
    for (const auto& name : signerSet.names()) byName[name] = signerSet.find(name);
    policies.push_back(std::make_unique<RequesterRulePolicy>(config.approver.rules, byName));
  }
  return policies;
}

}  // namespace csrop
