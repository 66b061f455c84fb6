#include "controller/FileNodeIdentity.h"

#include "controller/KubeLookups.h"
#include "controller/NodeAddressAuthority.h"

namespace csrop {
namespace {

// addressSource machine: the Machines live in the cluster, so ownership cannot be decided here.
class MachinesNotConsulted : public AddressAuthority {
 public:
  std::string_view name() const override { return "machine"; }
  AddressVerdict verify(const AddressRequest& request) override {
    return AddressVerdict::notYetKnown("MachinesNotConsulted", request.nodeName,
                                       "addressSource is machine and explain --file does not read Machines; explain the CSR by name "
                                       "against the cluster to consult them");
  }
};

}  // namespace

Lookup<k8s::Node> FileNodeIdentity::Nodes::find(const std::string& name) {
  const auto it = byName.find(name);
  if (it == byName.end()) return Lookup<k8s::Node>::notFound();
  return existingNode(it->second);
}

Lookup<std::vector<std::string>> FileNodeIdentity::NoResolver::resolve(const std::string& host, std::chrono::milliseconds) {
  return Lookup<std::vector<std::string>>::failed("explain --file does not resolve " + host +
                                                  "; explain the CSR by name to resolve it as run does");
}

Lookup<bool> FileNodeIdentity::NoReviewer::allowed(const k8s::SubjectAccessReview&) {
  return Lookup<bool>::failed("explain --file asks no API server; explain the CSR by name to ask it");
}

FileNodeIdentity::FileNodeIdentity(const KubeletServingConfig& config, const std::vector<k8s::Node>& nodes)
    : reserved_({config.clusterDomain, config.serviceCIDRs, config.deniedCIDRs}),
      index_({config.historyWindow, static_cast<std::size_t>(config.maxAddressesPerNode)}, k8s::steadyClock(), nullptr) {
  for (const auto& node : nodes) {
    nodes_.byName[node.metadata.name] = node;
    index_.nodeAdded(node);
  }
  index_.initialListDone();
  notes_.push_back(
      "file mode: Node identity from the --node files only; the default/kubernetes Service and its EndpointSlices are not read "
      "(clusterDomain, serviceCIDRs and deniedCIDRs still apply), nor SubjectAccessReviews asked");
  if (config.addressSource == AddressSource::Machine) {
    authority_ = std::make_unique<MachinesNotConsulted>();
    notes_.push_back("file mode: addressSource is machine and Machines are not read: addressOwnership cannot decide");
  } else {
    authority_ = std::make_unique<NodeAddressAuthority>(nodes_, nodes_, index_,
                                                        NodeAddressOptions{config.addressSettle, configuredDnsNames(config)});
  }
  if (config.renewalContinuity)
    notes_.push_back(
        "file mode: renewalContinuity is on but the kubelet's served certificate is not dialled: the address source decides alone, "
        "so run may approve a renewal that this denies");
  if (config.dnsResolution.enabled) notes_.push_back("file mode: dnsResolution is on but DNS is not consulted: dnsResolution cannot pass");
}

}  // namespace csrop
