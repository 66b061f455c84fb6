#include "controller/MemoryTrimmer.h"

#include "controller/Periodic.h"

#include <malloc.h>

namespace csrop {

void trimMemoryUntil(k8s::Clock& clock, std::stop_token stop) {
  runEvery(clock, kMemoryTrimInterval, std::move(stop), [] { malloc_trim(0); });
}

}  // namespace csrop
