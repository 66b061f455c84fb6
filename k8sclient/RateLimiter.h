#pragma once
// Client-side token bucket (QPS + burst), like client-go's flowcontrol. qps <= 0 means unlimited.
#include <memory>
#include <mutex>
#include <stop_token>

#include "k8sclient/Clock.h"

namespace k8s {

class RateLimiter {
 public:
  RateLimiter(double qps, int burst, std::shared_ptr<Clock> clock = steadyClock());
  // Takes one token, waiting for it. False when stop was requested while waiting.
  bool wait(std::stop_token stop = {});
  // Takes a token only when one is available now.
  bool tryAccept();
  // Reserves one token and returns how long the caller must wait before using it.
  Clock::duration reserve();

 private:
  void refillLocked(Clock::time_point now);
  double qps_;
  double burst_;
  std::shared_ptr<Clock> clock_;
  std::mutex mu_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace k8s
