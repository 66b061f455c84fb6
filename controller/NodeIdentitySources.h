// The node-identity units of docs/node-identity.md, built from approver.kubeletServing and fed by
// their informers, ready for the kubelet-serving policy: the reserved identities (the
// default/kubernetes Service and its EndpointSlices), the address index (every Node), the address
// source chosen by addressSource (node or machine, with the Machine API's own client when it lives
// in a management cluster) and, when renewalContinuity is on, renewal continuity in front of it.
#pragma once

#include "controller/AddressIndex.h"
#include "controller/Config.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/MachineAddressAuthority.h"
#include "controller/Metrics.h"
#include "controller/NodeAddressAuthority.h"
#include "controller/RenewalContinuity.h"
#include "controller/ReservedIdentities.h"
#include "controller/TlsDialer.h"
#include "k8sclient/IdentityObjects.h"
#include "k8sclient/Informer.h"
#include "k8sclient/InformerCore.h"

#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

namespace csrop {

class NodeIdentitySources {
 public:
  // client: this cluster's; machineClient: the Machine API's (the same client unless
  // machineKubeconfig names a management cluster). index: every Node's addresses (owned by the
  // caller, since the Node directory reads them from it too). cachedNodes: the Node informer's
  // directory.
  // caBundlePem: the kubelet-serving signer's CA, read on every renewal check (needed only with
  // renewalContinuity). watchSilence: the informers' idle deadline (client.watchSilenceTimeout).
  NodeIdentitySources(const KubeletServingConfig& config, k8s::KubeClient& client, k8s::KubeClient& machineClient, AddressIndex& index,
                      NodeDirectory& cachedNodes, std::function<std::string()> caBundlePem, Metrics& metrics,
                      std::chrono::seconds watchSilence);

  // Node informer handlers (the index follows every Node); call nodesSynced() once it has synced.
  void nodeAdded(const k8s::Node& node) { index_.nodeAdded(node); }
  void nodeUpdated(const k8s::Node& node) { index_.nodeUpdated(node); }
  void nodeDeleted(const k8s::Node& node) { index_.nodeDeleted(node); }
  void nodesSynced() { index_.initialListDone(); }

  // One blocking loop per informer these units need (Services, EndpointSlices, Machines), each to
  // run on its own thread until stop.
  std::vector<std::function<void(std::stop_token)>> informerLoops();
  bool hasSynced() const;
  std::vector<std::pair<std::string, uint64_t>> watchRestarts() const;

  NodeIdentity identity() { return {reserved_, *authority_}; }
  AddressIndex& index() { return index_; }

 private:
  ReservedIdentities reserved_;
  AddressIndex& index_;
  ApiNodeDirectory freshNodes_;
  k8s::Informer<k8s::Service> services_;
  k8s::Informer<k8s::EndpointSlice> slices_;
  std::unique_ptr<InformerMachineDirectory> machineDirectory_;
  std::unique_ptr<k8s::InformerCore> machines_;
  std::unique_ptr<AddressAuthority> source_;
  OpenSslTlsDialer dialer_;
  std::unique_ptr<RenewalContinuity> continuity_;
  AddressAuthority* authority_ = nullptr;
};

// The address index approver.kubeletServing configures (historyWindow, maxAddressesPerNode).
AddressIndex::Options addressIndexOptions(const KubeletServingConfig& config);

// compactNode, keeping status.daemonEndpoints: renewal continuity dials the kubelet's port, which
// only that field tells (the Node cache transform when renewalContinuity is on).
void compactNodeKeepingKubeletPort(nlohmann::json& node);

}  // namespace csrop
