#include "tests/controller/IdentityFixtures.h"

#include <stdexcept>

namespace identity {
namespace {

std::vector<k8s::NodeAddress> addressesOf(const std::vector<std::string>& typed) {
  std::vector<k8s::NodeAddress> out;
  for (const auto& t : typed) {
    auto eq = t.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("address without a type: " + t);
    out.push_back({t.substr(0, eq), t.substr(eq + 1)});
  }
  return out;
}

}  // namespace

k8s::Node node(const std::string& name, const std::vector<std::string>& typedAddresses) {
  k8s::Node n;
  n.metadata.name = name;
  n.addresses = addressesOf(typedAddresses);
  return n;
}

k8s::Machine machine(const std::string& name, const std::string& nodeRef, const std::vector<std::string>& typedAddresses) {
  k8s::Machine m;
  m.metadata.name = name;
  m.metadata.namespace_ = "machines";
  m.nodeRefName = nodeRef;
  m.addresses = addressesOf(typedAddresses);
  return m;
}

signers::ParsedRequest request(const std::vector<std::string>& dnsNames, const std::vector<std::string>& ips,
                               const std::string& commonName) {
  signers::ParsedRequest r;
  r.commonName = commonName;
  r.dnsNames = dnsNames;
  for (const auto& ip : ips) {
    auto parsed = signers::IpAddress::parse(ip);
    if (!parsed) throw std::invalid_argument("not an IP: " + ip);
    r.ipAddresses.push_back(*parsed);
  }
  return r;
}

}  // namespace identity
