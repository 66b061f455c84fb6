// A k8s::Clock that moves only when a test advances it. Sleepers block until the fake time
// reaches their deadline (or stop is requested), so a test can see that a worker waits for
// exactly the time it should, then release it by advancing: no real sleeps, no races on timing.
// Thread-safe: workers sleep on it while the test thread advances and inspects it.
#pragma once

#include "k8sclient/Clock.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <stop_token>

namespace testsupport {

class FakeClock : public k8s::Clock {
 public:
  // Not the steady clock's epoch, so code that treats a zero time_point as "never" is caught.
  static constexpr duration kStart = std::chrono::hours(1);
  // 2026-01-01T00:00:00Z: wall time moves with steady time from here.
  static constexpr system_time_point kWallStart{std::chrono::seconds(1767225600)};

  time_point now() override {
    std::lock_guard lock(mu_);
    return now_;
  }

  system_time_point systemNow() override {
    std::lock_guard lock(mu_);
    return kWallStart + std::chrono::duration_cast<system_time_point::duration>(now_ - start());
  }

  bool sleepFor(duration d, std::stop_token stop) override {
    std::unique_lock lock(mu_);
    const auto deadline = d >= time_point::max() - now_ ? time_point::max() : now_ + d;
    return sleepUntilLocked(lock, deadline, stop);
  }

  bool sleepUntil(time_point deadline, std::stop_token stop) override {
    std::unique_lock lock(mu_);
    return sleepUntilLocked(lock, deadline, stop);
  }

  // Moves time forward and wakes every sleeper whose deadline has come.
  void advance(duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
    cv_.notify_all();
  }

  // Test side: waits (in real time, bounded) until some thread sleeps until exactly this deadline.
  bool awaitSleeperUntil(time_point deadline, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, within, [&] { return sleeping_.count(deadline) > 0; });
  }

  // Test side: waits (in real time, bounded) until at least n threads sleep on this clock.
  bool awaitSleepers(std::size_t n, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, within, [&] { return sleeping_.size() >= n; });
  }

  // A thread that sleeps until this deadline now cannot be running: it wakes only when the fake
  // time reaches the deadline or it is stopped.
  bool isSleepingUntil(time_point deadline) {
    std::lock_guard lock(mu_);
    return sleeping_.count(deadline) > 0;
  }

  static time_point start() { return time_point{kStart}; }

 private:
  bool sleepUntilLocked(std::unique_lock<std::mutex>& lock, time_point deadline, std::stop_token stop) {
    const auto it = sleeping_.insert(deadline);
    cv_.notify_all();
    const bool reached = cv_.wait(lock, stop, [&] { return now_ >= deadline; });
    sleeping_.erase(it);
    cv_.notify_all();
    return reached;
  }

  std::mutex mu_;
  std::condition_variable_any cv_;
  time_point now_ = start();
  std::multiset<time_point> sleeping_;
};

}  // namespace testsupport
