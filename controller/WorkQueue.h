// A rate-limited work queue of CSR names with client-go's workqueue protocol: a key is queued
// at most once, a key being processed is never handed to a second worker, and a key added
// while it is processed is handed out again after Done. Failures are retried with per-item
// exponential backoff bounded by a global token bucket (as kube-controller-manager's
// certificate controller does: certificate_controller.go).
//
// A key has at most one pending timer: addAfter and addRateLimited replace it and forget cancels
// it, so the delay addRateLimited returns (and the caller logs) is when the key comes back.
// client-go's delaying queue keeps the earlier of two timers instead (delaying_queue.go); here a
// key only gets a second timer when a watch event made it run before its retry was due, and that
// run's failure is the one whose backoff counts.
#pragma once

#include "k8sclient/Clock.h"
#include "k8sclient/RateLimiter.h"

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace csrop {

struct WorkQueueOptions {
  std::chrono::milliseconds baseDelay{200};
  std::chrono::milliseconds maxDelay{std::chrono::seconds(300)};
  double globalQps = 10;  // <= 0: no global limit
  int globalBurst = 100;
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {}, std::shared_ptr<k8s::Clock> clock = k8s::steadyClock());

  void add(const std::string& key);
  // Replaces the key's pending timer; a delay <= 0 adds it now.
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  // Requeues after the item's backoff (baseDelay * 2^failures, at most maxDelay), or later when
  // the global bucket is empty; returns the delay chosen.
  std::chrono::milliseconds addRateLimited(const std::string& key);
  // Resets the key's backoff and cancels its pending timer.
  void forget(const std::string& key);
  int failures(const std::string& key) const;

  // Blocks until a key is ready or the queue shuts down (then nullopt).
  std::optional<std::string> get();
  void done(const std::string& key);

  void shutDown();
  // Keys queued plus keys waiting on a timer.
  std::size_t depth() const;

 private:
  using TimePoint = k8s::Clock::time_point;
  void addLocked(const std::string& key);
  void setTimerLocked(const std::string& key, TimePoint at);
  void cancelTimerLocked(const std::string& key);
  void promoteDueLocked(TimePoint now);
  std::chrono::milliseconds backoffLocked(const std::string& key);
  void wakeOneLocked();
  void wakeAllLocked();

  WorkQueueOptions options_;
  std::shared_ptr<k8s::Clock> clock_;
  k8s::RateLimiter bucket_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;
  std::set<std::string> processing_;
  std::map<std::string, TimePoint> timerOf_;
  std::set<std::pair<TimePoint, std::string>> timers_;  // the same timers, soonest first
  std::map<std::string, int> failures_;
  // Workers blocked in get(), each sleeping on the clock until the soonest timer; stopping one's
  // source wakes it (the clock may be a fake, so a condition variable's timeout cannot be used).
  std::vector<std::stop_source*> sleepers_;
  bool shutDown_ = false;
};

}  // namespace csrop
