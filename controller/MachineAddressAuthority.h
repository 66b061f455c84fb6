// The Machine address source (approver.kubeletServing.addressSource: machine): a SAN is the node's
// when the Machine whose status.nodeRef.name is the node lists it. Machine status is written by
// the infrastructure provider from the cloud or bare-metal API, never by the kubelet, which is
// what the Node status lacks (OpenShift cluster-machine-approver, pkg/controller/csr_check.go).
// IP SANs must be InternalIP/ExternalIP addresses (compared parsed), DNS SANs
// InternalDNS/ExternalDNS/Hostname addresses or the node name (case-insensitive); a DNS SAN with a
// trailing dot is refused. The Node's own addresses play no part.
#pragma once

#include "controller/AddressAuthority.h"
#include "controller/Lookups.h"
#include "k8sclient/IdentityObjects.h"
#include "k8sclient/KubeClient.h"

#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace csrop {

class MachineDirectory {
 public:
  virtual ~MachineDirectory() = default;
  // Every Machine whose status.nodeRef.name is nodeName (NotFound when none). fresh: ask the API
  // server rather than the cache.
  virtual Lookup<std::vector<k8s::Machine>> byNode(const std::string& nodeName, bool fresh) = 0;
};

// Machines of one API group (cluster.x-k8s.io or machine.openshift.io), indexed by nodeRef from an
// informer on `client`, which may be a management cluster's (Cluster API, HyperShift).
class InformerMachineDirectory : public MachineDirectory {
 public:
  InformerMachineDirectory(k8s::KubeClient& client, k8s::MachineApi api, std::string ns = "");
  // Informer handlers; an update is a delete of the old object and an add of the new one.
  void machineSeen(const k8s::Machine& machine);
  void machineDeleted(const k8s::Machine& machine);
  Lookup<std::vector<k8s::Machine>> byNode(const std::string& nodeName, bool fresh) override;

 private:
  static std::string keyOf(const k8s::Machine& machine);
  Lookup<std::vector<k8s::Machine>> listLive(const std::string& nodeName);

  k8s::KubeClient& client_;
  k8s::ResourceRef resource_;
  std::string ns_;
  std::mutex mu_;
  std::map<std::string, k8s::Machine> machines_;             // namespace/name -> Machine
  std::map<std::string, std::set<std::string>> keysByNode_;  // nodeRef name -> machine keys
};

struct MachineAddressOptions {
  // How long after the CSR was created a missing Machine or address is waited for before the
  // request is denied (MachineNotFound, ...).
  std::chrono::seconds machineDeadline{600};
};

class MachineAddressAuthority : public AddressAuthority {
 public:
  MachineAddressAuthority(MachineDirectory& machines, MachineAddressOptions options);
  std::string_view name() const override { return "machine"; }
  AddressVerdict verify(const AddressRequest& request) override;

 private:
  // Owned, or the verdict for the first SAN the Machine does not list (always NotOwned).
  static AddressVerdict compare(const k8s::Machine& machine, const AddressRequest& request);
  AddressVerdict judge(const Lookup<std::vector<k8s::Machine>>& found, const AddressRequest& request) const;

  MachineDirectory& machines_;
  MachineAddressOptions options_;
};

}  // namespace csrop
