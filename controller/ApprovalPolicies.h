// The approval policies a configuration switches on, and what they consult in a cluster: built
// here once for `run` (Operator.cpp) and `explain` (ExplainCommand.cpp), so that explain asks the
// very policies run asks, with the same inputs.
#pragma once

#include "controller/ApprovalPolicy.h"
#include "controller/Config.h"
#include "controller/KubeLookups.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/Metrics.h"
#include "controller/NodeIdentitySources.h"
#include "controller/QueueWorkers.h"
#include "k8sclient/Informer.h"
#include "k8sclient/KubeClient.h"
#include "signers/SignerSet.h"

#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

namespace csrop {

// What the kubelet-serving policy knows about Nodes in a cluster: the Node cache and the identity
// sources that say which names and addresses a Node really owns.
struct NodeView {
  NodeView(const Config& config, k8s::KubeClient& client, const k8s::ClientOptions& clientOptions, const signers::SignerSet& signerSet,
           Metrics& metrics);

  // Nothing is owned before the index has seen every Node, and no reserved address is known
  // before the Service and its slices are listed.
  void addCaches(std::vector<CacheSync>& caches);
  void startInformers(std::vector<std::jthread>& threads, std::stop_token stop);

  k8s::Informer<k8s::Node> nodes;
  AddressIndex index;
  InformerNodeDirectory directory;
  std::unique_ptr<k8s::KubeClient> machineClient;
  std::unique_ptr<NodeIdentitySources> identity;
};

// What the policies consult besides the CSR. nodes and identity are needed only when the
// kubelet-serving policy is on (null otherwise).
struct PolicyInputs {
  NodeDirectory* nodes = nullptr;
  const NodeIdentity* identity = nullptr;
  HostResolver& resolver;
  AccessReviewer& reviewer;
};

// The approval policies that are switched on, in the order they are asked. Each gets the Signer
// this instance runs for its signer (or none), to refuse what that signer would refuse.
std::vector<std::unique_ptr<ApprovalPolicy>> buildPolicies(const Config& config, const signers::SignerSet& signerSet,
                                                           const PolicyInputs& inputs);

}  // namespace csrop
