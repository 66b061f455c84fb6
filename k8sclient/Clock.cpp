#include "k8sclient/Clock.h"

#include <condition_variable>
#include <mutex>

namespace k8s {

bool Clock::sleepUntil(time_point deadline, std::stop_token stop) {
  if (deadline == time_point::max()) return sleepFor(duration::max(), stop);
  return sleepFor(deadline - now(), stop);
}

namespace {

class RealClock : public Clock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  system_time_point systemNow() override { return std::chrono::system_clock::now(); }

  bool sleepFor(duration d, std::stop_token stop) override {
    if (d <= duration::zero()) return !stop.stop_requested();
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    const auto never = [] { return false; };
    // now() + duration::max() overflows: an unbounded sleep waits for stop alone.
    if (d >= std::chrono::hours(24 * 365 * 100)) {
      cv.wait(lock, stop, never);
      return false;
    }
    return !cv.wait_for(lock, stop, d, never) && !stop.stop_requested();
  }
};

}  // namespace

std::shared_ptr<Clock> steadyClock() {
  static auto clock = std::make_shared<RealClock>();
  return clock;
}

}  // namespace k8s
