// The default address source, for any cluster: a SAN is the node's when its Node lists it (or it is
// the node's name) and no other Node owns it (AddressIndex: first holder wins, with history).
// The Node's own listing is read from the cache and, before any denial, re-read from the API
// server, so a cache that lags the kubelet's status update never denies; an address that is still
// missing is waited for until addressSettle has passed since the CSR was created. An address
// another Node owns is refused at once: that hold is the index's own fact, and a fresh read of
// the requesting Node cannot lift it.
#pragma once

#include "controller/AddressAuthority.h"
#include "controller/AddressIndex.h"
#include "controller/Lookups.h"
#include "k8sclient/KubeClient.h"

#include <functional>

namespace csrop {

struct NodeAddressOptions {
  std::chrono::seconds addressSettle{300};
  // DNS names the policy accepts beyond the Node's own (patterns anchored to the node name). They
  // are still subject to uniqueness.
  std::function<bool(const std::string& nodeName, const std::string& dnsName)> extraDnsName;
};

class NodeAddressAuthority : public AddressAuthority {
 public:
  // cached: the informer-backed directory; fresh: one that always asks the API server.
  NodeAddressAuthority(NodeDirectory& cached, NodeDirectory& fresh, AddressIndex& index, NodeAddressOptions options);
  std::string_view name() const override { return "node"; }
  AddressVerdict verify(const AddressRequest& request) override;

 private:
  // The first SAN the Node does not list, as a NotOwned verdict; nullopt when all are listed.
  std::optional<AddressVerdict> firstUnlisted(const k8s::Node& node, const AddressRequest& request) const;
  std::optional<AddressVerdict> firstClaimedByOther(const AddressRequest& request);
  // The first listed SAN the index has not yet seen this node hold.
  std::optional<AddressVerdict> firstNotIndexed(const k8s::Node& node, const AddressRequest& request);
  AddressVerdict heldOrWaiting(const k8s::Node& node, const AddressRequest& request);

  NodeDirectory& cached_;
  NodeDirectory& fresh_;
  AddressIndex& index_;
  NodeAddressOptions options_;
};

// A NodeDirectory that reads every Node from the API server (the "fresh read" above).
class ApiNodeDirectory : public NodeDirectory {
 public:
  explicit ApiNodeDirectory(k8s::KubeClient& client) : client_(client) {}
  Lookup<k8s::Node> find(const std::string& name) override;

 private:
  k8s::KubeClient& client_;
};

}  // namespace csrop
