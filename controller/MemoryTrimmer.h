// Bursts of CSRs leave freed request and certificate buffers in glibc's per-thread arenas; handing
// them back now and then keeps RSS close to what the caches really hold (README, "Memory").
#pragma once

#include "k8sclient/Clock.h"

#include <chrono>
#include <stop_token>

namespace csrop {

inline constexpr std::chrono::seconds kMemoryTrimInterval{2};

// Blocks until stop, returning freed heap memory to the kernel every kMemoryTrimInterval.
void trimMemoryUntil(k8s::Clock& clock, std::stop_token stop);

}  // namespace csrop
