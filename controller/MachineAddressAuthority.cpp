#include "controller/MachineAddressAuthority.h"

#include "controller/IdentityKeys.h"

#include <algorithm>

namespace csrop {

using MachineLookup = Lookup<std::vector<k8s::Machine>>;

InformerMachineDirectory::InformerMachineDirectory(k8s::KubeClient& client, k8s::MachineApi api, std::string ns)
    : client_(client), resource_(k8s::machineResource(api)), ns_(std::move(ns)) {}

std::string InformerMachineDirectory::keyOf(const k8s::Machine& machine) {
  return machine.metadata.namespace_ + "/" + machine.metadata.name;
}

void InformerMachineDirectory::machineSeen(const k8s::Machine& machine) {
  machineDeleted(machine);
  std::lock_guard lock(mu_);
  const auto key = keyOf(machine);
  machines_[key] = machine;
  if (!machine.nodeRefName.empty()) keysByNode_[machine.nodeRefName].insert(key);
}

void InformerMachineDirectory::machineDeleted(const k8s::Machine& machine) {
  std::lock_guard lock(mu_);
  const auto key = keyOf(machine);
  auto it = machines_.find(key);
  if (it == machines_.end()) return;
  if (auto byNode = keysByNode_.find(it->second.nodeRefName); byNode != keysByNode_.end()) {
    byNode->second.erase(key);
    if (byNode->second.empty()) keysByNode_.erase(byNode);
  }
  machines_.erase(it);
}

MachineLookup InformerMachineDirectory::listLive(const std::string& nodeName) {
  try {
    std::vector<k8s::Machine> matching;
    for (auto& item : client_.listAllJson(resource_, {}, ns_).items) {
      auto machine = item.get<k8s::Machine>();
      if (machine.nodeRefName == nodeName) matching.push_back(std::move(machine));
    }
    return matching.empty() ? MachineLookup::notFound() : MachineLookup::found(std::move(matching));
  } catch (const std::exception& e) {
    return MachineLookup::failed("listing " + resource_.plural + "." + resource_.group + " failed: " + e.what());
  }
}

MachineLookup InformerMachineDirectory::byNode(const std::string& nodeName, bool fresh) {
  if (fresh) return listLive(nodeName);
  std::lock_guard lock(mu_);
  auto it = keysByNode_.find(nodeName);
  if (it == keysByNode_.end()) return MachineLookup::notFound();
  std::vector<k8s::Machine> out;
  for (const auto& key : it->second) out.push_back(machines_.at(key));
  return MachineLookup::found(std::move(out));
}

MachineAddressAuthority::MachineAddressAuthority(MachineDirectory& machines, MachineAddressOptions options)
    : machines_(machines), options_(options) {}

AddressVerdict MachineAddressAuthority::compare(const k8s::Machine& machine, const AddressRequest& request) {
  std::vector<signers::IpAddress> ips;
  std::vector<std::string> names = {canonicalDnsName(request.nodeName)};
  for (const auto& a : machine.addresses) {
    if (a.type == "InternalIP" || a.type == "ExternalIP") {
      if (auto ip = signers::IpAddress::parse(a.address)) ips.push_back(unmappedIp(*ip));
    } else if (a.type == "InternalDNS" || a.type == "ExternalDNS" || a.type == "Hostname") {
      names.push_back(canonicalDnsName(a.address));
    }
  }
  const std::string where = " of Machine " + machine.metadata.namespace_ + "/" + machine.metadata.name;
  for (const auto& ip : request.request.ipAddresses)
    if (std::find(ips.begin(), ips.end(), unmappedIp(ip)) == ips.end())
      return AddressVerdict::notOwned("IPNotOwnedByMachine", ip.toString(),
                                      "IP " + ip.toString() + " is not an InternalIP/ExternalIP address" + where);
  for (const auto& dns : request.request.dnsNames) {
    if (!dns.empty() && dns.back() == '.')
      return AddressVerdict::notOwned("DNSNameNotOwnedByMachine", dns, "DNS name " + dns + " ends with a dot; request it without");
    if (std::find(names.begin(), names.end(), canonicalDnsName(dns)) == names.end())
      return AddressVerdict::notOwned(
          "DNSNameNotOwnedByMachine", dns,
          "DNS name " + dns + " is neither the node name nor an InternalDNS/ExternalDNS/Hostname address" + where);
  }
  return AddressVerdict::owned();
}

AddressVerdict MachineAddressAuthority::judge(const MachineLookup& found, const AddressRequest& request) const {
  const bool late = request.age >= options_.machineDeadline;
  if (found.state == MachineLookup::State::Error) return AddressVerdict::notYetKnown("MachineLookupFailed", request.nodeName, found.error);
  if (found.state == MachineLookup::State::NotFound) {
    const std::string message = "no Machine has status.nodeRef.name " + request.nodeName;
    return late ? AddressVerdict::notOwned("MachineNotFound", request.nodeName, message)
                : AddressVerdict::notYetKnown("MachineNotFound", request.nodeName, message + " yet");
  }
  if (found.value->size() > 1)
    return AddressVerdict::notOwned("MachineAmbiguous", request.nodeName,
                                    std::to_string(found.value->size()) + " Machines have status.nodeRef.name " + request.nodeName +
                                        "; the infrastructure provider must fix its records");
  auto verdict = compare(found.value->front(), request);
  const bool trailingDot = !verdict.value.empty() && verdict.value.back() == '.';
  // The provider may not have written the address yet (cluster-machine-approver requeues "in case
  // machine network is out of date").
  if (!verdict.isOwned() && !late && !trailingDot) verdict.outcome = AddressVerdict::Outcome::NotYetKnown;
  return verdict;
}

AddressVerdict MachineAddressAuthority::verify(const AddressRequest& request) {
  auto cached = machines_.byNode(request.nodeName, false);
  if (cached.state == MachineLookup::State::Found && cached.value->size() == 1 && compare(cached.value->front(), request).isOwned())
    return AddressVerdict::owned();
  // Never deny on the cache alone.
  return judge(machines_.byNode(request.nodeName, true), request);
}

}  // namespace csrop
