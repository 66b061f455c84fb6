// The sample-controller worker protocol, shared by the CSR and the PodCertificateRequest
// controllers: wait for the caches the decisions read, then workers that each take one key at a
// time through a level-based sync function, with the queue's per-key backoff on failure.
#pragma once

#include "controller/SyncResult.h"

#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace k8s {
class Clock;
}

namespace csrop {

class WorkQueue;

// A cache the workers must not start before: its name (for the log) and whether it has synced.
struct CacheSync {
  std::string name;
  std::function<bool()> hasSynced;
};

// Polls every cache on `clock` until it has synced; false when `stop` came first.
bool waitForCacheSync(const std::vector<CacheSync>& caches, k8s::Clock& clock, std::stop_token stop);

// Runs `workers` threads, each calling processNextWorkItem until it returns false; joins them.
void runWorkers(int workers, const std::function<bool()>& processNextWorkItem);

// One key from `queue` through `sync`: forgotten on success, requeued with its backoff on error
// (logged with `kind`, e.g. "csr"), done either way. A replica that may not write drops the key:
// the next leader enqueues everything when it takes over. False once the queue is shut down.
bool processNextWorkItem(WorkQueue& queue, const std::function<bool()>& mayWrite, std::string_view kind,
                         const std::function<SyncResult(const std::string&)>& sync);

}  // namespace csrop
