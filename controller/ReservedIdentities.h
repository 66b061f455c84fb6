// Names and addresses that are the cluster's own and are never issued to a node, whatever its Node
// or Machine says: the API server's Service names, anything under .svc (a certificate for
// kubernetes.default.svc signed by the CA every pod trusts would let a node impersonate the API
// server), the default/kubernetes Service's ClusterIPs, the API server endpoints published in its
// EndpointSlices, and the configured Service and denied CIDRs. The Service and EndpointSlices are
// followed by informers (namespace default, Service name kubernetes, slices labelled
// kubernetes.io/service-name=kubernetes); objects other than those are ignored. Addresses only
// accumulate for the life of the process: an API server that left the slice (restart, upgrade) or
// a Service being recreated is exactly the moment a node must not be able to claim the address.
#pragma once

#include "k8sclient/IdentityObjects.h"
#include "signers/CertificateRequest.h"
#include "signers/IpAddress.h"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace csrop {

struct ReservedIdentitiesConfig {
  std::string clusterDomain = "cluster.local";
  std::vector<signers::Cidr> serviceCidrs;
  std::vector<signers::Cidr> deniedCidrs;
};

struct Reservation {
  std::string reason;   // condition reason, e.g. APIServerServiceName
  std::string value;    // the offending SAN as requested
  std::string message;  // one sentence: what is reserved and why
};

class ReservedIdentities {
 public:
  static constexpr std::string_view kNamespace = "default";
  static constexpr std::string_view kServiceName = "kubernetes";
  static constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

  explicit ReservedIdentities(ReservedIdentitiesConfig config);

  // Service and EndpointSlice informer add and update handlers; deletes need no handler.
  void serviceSeen(const k8s::Service& service);
  void endpointSliceSeen(const k8s::EndpointSlice& slice);

  // The first reserved SAN of the request (DNS names first, then IPs), or nullopt.
  std::optional<Reservation> check(const signers::ParsedRequest& request) const;
  std::optional<Reservation> checkDnsName(std::string_view name) const;
  std::optional<Reservation> checkIp(const signers::IpAddress& ip) const;

 private:
  static bool isApiServerObject(const k8s::ObjectMeta& meta);
  static std::set<std::string> ipKeysOf(const std::vector<std::string>& addresses);

  ReservedIdentitiesConfig config_;
  std::string domain_;  // canonical cluster domain
  mutable std::mutex mu_;
  std::set<std::string> serviceIps_;                       // ip keys (IdentityKeys.h)
  std::map<std::string, std::set<std::string>> sliceIps_;  // slice name -> ip keys
};

}  // namespace csrop
