// A rate-limited work queue of CSR names with client-go's workqueue protocol: a key is queued
// at most once, a key being processed is never handed to a second worker, and a key added
// while it is processed is handed out again after Done. Failures are retried with per-item
// exponential backoff bounded by a global token bucket (as kube-controller-manager's
// certificate controller does: certificate_controller.go).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <deque>
#include <string>

namespace csrop {

struct WorkQueueOptions {
  std::chrono::milliseconds baseDelay{200};
  std::chrono::milliseconds maxDelay{std::chrono::seconds(300)};
  double globalQps = 10;
  int globalBurst = 100;
};

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(WorkQueueOptions options = {});

  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  // Requeues after the item's backoff; returns the delay chosen.
  std::chrono::milliseconds addRateLimited(const std::string& key);
  void forget(const std::string& key);
  int failures(const std::string& key) const;

  // Blocks until a key is ready or the queue shuts down (then nullopt).
  std::optional<std::string> get();
  void done(const std::string& key);

  void shutDown();
  bool shuttingDown() const;
  std::size_t depth() const;

 private:
  void promoteDueLocked(Clock::time_point now);
  void addLocked(const std::string& key);

  WorkQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;
  std::set<std::string> processing_;
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, int> failures_;
  double tokens_;
  Clock::time_point lastRefill_;
  bool shutDown_ = false;
};

}  // namespace csrop
