#include "controller/RuntimeDefaults.h"

#include <cstdio>
#include <random>

namespace csrop {
namespace {

std::string randomHex8() {
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return suffix;
}

std::string defaultIdentity(const Environment& environment) {
  if (auto pod = environment.variable("POD_NAME")) return *pod;
  return environment.hostname() + "_" + randomHex8();
}

std::string defaultLeaseNamespace(const k8s::RestConfig& rest, const Environment& environment) {
  if (!rest.namespace_.empty()) return rest.namespace_;
  if (auto ns = environment.variable("POD_NAMESPACE")) return *ns;
  return "kube-system";
}

}  // namespace

void fillRuntimeDefaults(Config& config, const k8s::RestConfig& rest, const Environment& environment) {
  auto& le = config.leaderElection;
  if (le.identity.empty()) le.identity = defaultIdentity(environment);
  if (le.namespace_.empty()) le.namespace_ = defaultLeaseNamespace(rest, environment);
}

}  // namespace csrop
