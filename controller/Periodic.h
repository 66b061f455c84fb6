// Runs a task every interval until stop, on an injected clock (tests use a fake one).
#pragma once

#include "k8sclient/Clock.h"

#include <chrono>
#include <functional>
#include <stop_token>

namespace csrop {

// The first run is one interval after the start; a stop request ends the wait at once.
inline void runEvery(k8s::Clock& clock, std::chrono::milliseconds interval, std::stop_token stop, const std::function<void()>& task) {
  while (clock.sleepFor(interval, stop) && !stop.stop_requested()) task();
}

}  // namespace csrop
