// The configuration values that depend on where the process runs, filled in at the edge (main)
// before runOperator, which takes them as given.
#pragma once

#include "controller/Config.h"
#include "controller/Environment.h"
#include "k8sclient/RestConfig.h"

namespace csrop {

// Only what the configuration left empty is filled:
// - leaderElection.identity: POD_NAME, else "<hostname>_<8 random hex digits>" (two replicas on
//   one host, or a restarted process, never share an identity);
// - leaderElection.namespace_: the kubeconfig context's namespace (in-cluster: the pod's), else
//   POD_NAMESPACE, else kube-system.
void fillRuntimeDefaults(Config& config, const k8s::RestConfig& rest, const Environment& environment);

}  // namespace csrop
