// A NodeDirectory over a map, for the policy and node-identity tests.
#pragma once

#include "controller/Lookups.h"
#include "k8sclient/Objects.h"

#include <map>
#include <string>
#include <vector>

namespace fixtures {

struct FakeNodes : csrop::NodeDirectory {
  std::map<std::string, k8s::Node> nodes;
  bool failing = false;
  int lookups = 0;
  csrop::Lookup<k8s::Node> find(const std::string& name) override;
  void add(const std::string& name, std::vector<k8s::NodeAddress> addresses);
};

}  // namespace fixtures
