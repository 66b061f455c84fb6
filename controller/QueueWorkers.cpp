#include "controller/QueueWorkers.h"

#include "controller/WorkQueue.h"
#include "k8sclient/Clock.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <thread>

namespace csrop {

bool waitForCacheSync(const std::vector<CacheSync>& caches, k8s::Clock& clock, std::stop_token stop) {
  for (const auto& cache : caches) {
    spdlog::info("waiting for the {} cache to sync", cache.name);
    while (!cache.hasSynced())
      if (!clock.sleepFor(std::chrono::milliseconds(20), stop)) return false;
  }
  return true;
}

void runWorkers(int workers, const std::function<bool()>& processNextWorkItem) {
  std::vector<std::jthread> threads;
  for (int i = 0; i < workers; ++i)
    threads.emplace_back([&processNextWorkItem] {
      while (processNextWorkItem()) {
      }
    });
}

bool processNextWorkItem(WorkQueue& queue, const std::function<bool()>& mayWrite, std::string_view kind,
                         const std::function<SyncResult(const std::string&)>& sync) {
  const auto key = queue.get();
  if (!key) return false;
  if (!mayWrite()) {
    queue.done(*key);
    return true;
  }
  SyncResult r;
  try {
    r = sync(*key);
  } catch (const std::exception& e) {
    r = SyncResult::again(e.what());
  }
  if (r.retry) {
    const auto delay = queue.addRateLimited(*key);
    spdlog::warn("retrying {}={} in {}ms (attempt {}): {}", kind, *key, delay.count(), queue.failures(*key), r.error);
  } else {
    queue.forget(*key);
  }
  queue.done(*key);
  return true;
}

}  // namespace csrop
