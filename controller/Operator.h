// Wires the operator together: API client, informers on CSRs and Nodes, the work queue and its
// workers, the approver and signer steps, leader election, garbage collection and the
// health/metrics endpoint. Handlers only enqueue names; workers read the cache and decide
// (the sample-controller shape).
#pragma once

#include "controller/Config.h"
#include "k8sclient/RestConfig.h"

#include <functional>
#include <stop_token>

namespace csrop {

struct OperatorHooks {
  // Called once the health server listens, with its port (tests and the demo use port 0).
  std::function<void(int port)> onListening;
};

// Runs until stop is requested; returns the process exit code. Throws std::runtime_error with
// a message for the operator when it cannot start (bad CA, port in use, no API access).
int runOperator(const Config& config, const k8s::RestConfig& rest, std::stop_token stop, OperatorHooks hooks = {});

}  // namespace csrop
