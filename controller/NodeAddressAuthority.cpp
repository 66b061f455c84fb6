#include "controller/NodeAddressAuthority.h"

#include "controller/IdentityKeys.h"
#include "k8sclient/ApiError.h"
#include "k8sclient/KubeClient.h"

#include <algorithm>
#include <set>

namespace csrop {

NodeAddressAuthority::NodeAddressAuthority(NodeDirectory& cached, NodeDirectory& fresh, AddressIndex& index, NodeAddressOptions options)
    : cached_(cached), fresh_(fresh), index_(index), options_(std::move(options)) {}

std::optional<AddressVerdict> NodeAddressAuthority::firstClaimedByOther(const AddressRequest& request) {
  for (const auto& ip : request.request.ipAddresses)
    if (auto other = index_.otherOwner(request.nodeName, ip))
      return AddressVerdict::notOwned("AddressClaimedByOtherNode", ip.toString(),
                                      "IP " + ip.toString() + " belongs to node " + *other + ", which listed it first");
  for (const auto& dns : request.request.dnsNames)
    if (auto other = index_.otherOwner(request.nodeName, dns))
      return AddressVerdict::notOwned("AddressClaimedByOtherNode", dns,
                                      "DNS name " + dns + " belongs to node " + *other + ", which listed it first");
  return std::nullopt;
}

std::optional<AddressVerdict> NodeAddressAuthority::firstUnlisted(const k8s::Node& node, const AddressRequest& request) const {
  std::set<std::string> listed;
  for (const auto& key : AddressIndex::keysOf(node)) listed.insert(key);
  for (const auto& ip : request.request.ipAddresses)
    if (!listed.count(ipKey(ip)))
      return AddressVerdict::notOwned("IPNotOwnedByNode", ip.toString(),
                                      "IP " + ip.toString() + " is not one of node " + request.nodeName + "'s addresses");
  for (const auto& dns : request.request.dnsNames) {
    if (listed.count(dnsKey(dns))) continue;
    if (options_.extraDnsName && options_.extraDnsName(request.nodeName, dns)) continue;
    return AddressVerdict::notOwned(
        "DNSNameNotOwnedByNode", dns,
        "DNS name " + dns + " is neither node " + request.nodeName + "'s name nor one of its Hostname/InternalDNS/ExternalDNS addresses");
  }
  return std::nullopt;
}

std::optional<AddressVerdict> NodeAddressAuthority::firstNotIndexed(const k8s::Node& node, const AddressRequest& request) {
  const std::string why = " is listed by node " + request.nodeName + " but the Node informer has not delivered that yet";
  for (const auto& ip : request.request.ipAddresses)
    if (!index_.holds(request.nodeName, ip))
      return AddressVerdict::notOwned("IPNotOwnedByNode", ip.toString(), "IP " + ip.toString() + why);
  const auto listed = AddressIndex::keysOf(node);
  for (const auto& dns : request.request.dnsNames) {
    const bool fromNode = std::find(listed.begin(), listed.end(), dnsKey(dns)) != listed.end();
    if (fromNode && !index_.holds(request.nodeName, dns))
      return AddressVerdict::notOwned("DNSNameNotOwnedByNode", dns, "DNS name " + dns + why);
  }
  return std::nullopt;
}

AddressVerdict NodeAddressAuthority::heldOrWaiting(const k8s::Node& node, const AddressRequest& request) {
  auto notIndexed = firstNotIndexed(node, request);
  if (!notIndexed) return AddressVerdict::owned();
  if (request.age < options_.addressSettle) notIndexed->outcome = AddressVerdict::Outcome::NotYetKnown;
  return *notIndexed;
}

AddressVerdict NodeAddressAuthority::verify(const AddressRequest& request) {
  if (auto claimed = firstClaimedByOther(request)) return *claimed;
  auto node = cached_.find(request.nodeName);
  std::optional<AddressVerdict> missing;
  if (node.state == Lookup<k8s::Node>::State::Found) {
    missing = firstUnlisted(*node.value, request);
    if (!missing) return heldOrWaiting(*node.value, request);
  }
  // Never deny on the cache alone.
  node = fresh_.find(request.nodeName);
  if (node.state == Lookup<k8s::Node>::State::Error)
    return AddressVerdict::notYetKnown("NodeLookupFailed", request.nodeName, "reading node " + request.nodeName + " failed: " + node.error);
  const bool settled = request.age >= options_.addressSettle;
  if (node.state == Lookup<k8s::Node>::State::NotFound) {
    const std::string message = "node " + request.nodeName + " does not exist";
    return settled ? AddressVerdict::notOwned("NodeNotFound", request.nodeName, message)
                   : AddressVerdict::notYetKnown("NodeNotFound", request.nodeName, message + " yet");
  }
  missing = firstUnlisted(*node.value, request);
  if (!missing) return heldOrWaiting(*node.value, request);
  if (settled) return *missing;
  missing->outcome = AddressVerdict::Outcome::NotYetKnown;
  missing->message += " (yet; waiting for the Node status to catch up)";
  return *missing;
}

Lookup<k8s::Node> ApiNodeDirectory::find(const std::string& name) {
  try {
    return Lookup<k8s::Node>::found(client_.get<k8s::Node>(name));
  } catch (const std::exception& e) {
    if (k8s::isNotFound(e)) return Lookup<k8s::Node>::notFound();
    return Lookup<k8s::Node>::failed(e.what());
  }
}

}  // namespace csrop
