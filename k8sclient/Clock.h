#pragma once
// The clock every timed decision reads (rate limits, retry backoff, lease expiry, work-queue
// timers), injected so tests drive time instead of sleeping. Steady time is for intervals and
// deadlines; system (wall) time only for timestamps written to the API server, which other
// replicas and kubectl read.
#include <chrono>
#include <memory>
#include <stop_token>

namespace k8s {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;
  using system_time_point = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  virtual time_point now() = 0;
  virtual system_time_point systemNow() = 0;
  // True when d has passed; false, early, when stop is requested.
  virtual bool sleepFor(duration d, std::stop_token stop) = 0;
  // As sleepFor, to a deadline; time_point::max() sleeps until stop. Clocks whose time can jump
  // (a fake) override it so a deadline that passes while the caller is on its way in still counts.
  virtual bool sleepUntil(time_point deadline, std::stop_token stop);
};

// The process's clocks: std::chrono::steady_clock and std::chrono::system_clock.
std::shared_ptr<Clock> steadyClock();

}  // namespace k8s
