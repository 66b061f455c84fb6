#include "FakeNodes.h"

namespace fixtures {

csrop::Lookup<k8s::Node> FakeNodes::find(const std::string& name) {
  ++lookups;
  if (failing) return csrop::Lookup<k8s::Node>::failed("connection refused");
  auto it = nodes.find(name);
  if (it == nodes.end()) return csrop::Lookup<k8s::Node>::notFound();
  return csrop::Lookup<k8s::Node>::found(it->second);
}

void FakeNodes::add(const std::string& name, std::vector<k8s::NodeAddress> addresses) {
  k8s::Node node;
  node.metadata.name = name;
  node.addresses = std::move(addresses);
  nodes[name] = node;
}

}  // namespace fixtures
