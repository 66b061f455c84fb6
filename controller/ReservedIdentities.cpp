#include "controller/ReservedIdentities.h"

#include "controller/IdentityKeys.h"

namespace csrop {

namespace {

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isOrUnder(std::string_view name, std::string_view domain) { return name == domain || endsWith(name, "." + std::string(domain)); }

}  // namespace

ReservedIdentities::ReservedIdentities(ReservedIdentitiesConfig config)
    : config_(std::move(config)), domain_(canonicalDnsName(config_.clusterDomain)) {}

bool ReservedIdentities::isApiServerObject(const k8s::ObjectMeta& meta) { return meta.namespace_ == kNamespace; }

std::set<std::string> ReservedIdentities::ipKeysOf(const std::vector<std::string>& addresses) {
  std::set<std::string> keys;
  for (const auto& a : addresses)
    if (auto ip = signers::IpAddress::parse(a)) keys.insert(ipKey(*ip));
  return keys;
}

void ReservedIdentities::serviceSeen(const k8s::Service& service) {
  if (!isApiServerObject(service.metadata) || service.metadata.name != kServiceName) return;
  auto keys = ipKeysOf(service.clusterIPs);
  std::lock_guard lock(mu_);
  serviceIps_.insert(keys.begin(), keys.end());
}

void ReservedIdentities::endpointSliceSeen(const k8s::EndpointSlice& slice) {
  if (!isApiServerObject(slice.metadata)) return;
  auto label = slice.metadata.labels.find(std::string(kServiceNameLabel));
  if (label == slice.metadata.labels.end() || label->second != kServiceName) return;
  auto keys = ipKeysOf(slice.addresses);
  std::lock_guard lock(mu_);
  sliceIps_[slice.metadata.name].insert(keys.begin(), keys.end());
}

std::optional<Reservation> ReservedIdentities::checkDnsName(std::string_view requested) const {
  const std::string name = canonicalDnsName(requested);
  const std::string value(requested);
  for (const char* service : {"kubernetes", "kubernetes.default", "kubernetes.default.svc"})
    if (name == service) return Reservation{"APIServerServiceName", value, "DNS name " + value + " is the API server's Service name"};
  if (name == "kubernetes.default.svc." + domain_)
    return Reservation{"APIServerServiceName", value, "DNS name " + value + " is the API server's Service name"};
  if (name == "svc" || endsWith(name, ".svc") || (!domain_.empty() && isOrUnder(name, "svc." + domain_)))
    return Reservation{"ServiceDNSName", value, "DNS name " + value + " is a Service name (under .svc), never a node's"};
  if (!domain_.empty() && isOrUnder(name, domain_))
    return Reservation{"ClusterDomainName", value,
                       "DNS name " + value + " is inside the cluster domain " + domain_ + ", which names Services and Pods"};
  return std::nullopt;
}

std::optional<Reservation> ReservedIdentities::checkIp(const signers::IpAddress& requested) const {
  const signers::IpAddress ip = unmappedIp(requested);
  const std::string value = requested.toString();
  const std::string key = ipKey(ip);
  {
    std::lock_guard lock(mu_);
    if (serviceIps_.count(key))
      return Reservation{"APIServerAddress", value, "IP " + value + " is a ClusterIP of the default/kubernetes Service"};
    for (const auto& [slice, keys] : sliceIps_)
      if (keys.count(key))
        return Reservation{"APIServerAddress", value, "IP " + value + " is an API server endpoint (EndpointSlice default/" + slice + ")"};
  }
  for (const auto& cidr : config_.serviceCidrs)
    if (cidr.contains(ip))
      return Reservation{"ServiceCIDRAddress", value, "IP " + value + " is inside the Service CIDR " + cidr.toString()};
  for (const auto& cidr : config_.deniedCidrs)
    if (cidr.contains(ip)) return Reservation{"DeniedCIDRAddress", value, "IP " + value + " is inside the denied CIDR " + cidr.toString()};
  return std::nullopt;
}

std::optional<Reservation> ReservedIdentities::check(const signers::ParsedRequest& request) const {
  for (const auto& name : request.dnsNames)
    if (auto r = checkDnsName(name)) return r;
  for (const auto& ip : request.ipAddresses)
    if (auto r = checkIp(ip)) return r;
  return std::nullopt;
}

}  // namespace csrop
