#pragma once
// Client-side token bucket (QPS + burst), like client-go's flowcontrol. qps <= 0 means unlimited.
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>

namespace k8s {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() = 0;
  // Returns early (false) when stop is requested.
  virtual bool sleepFor(duration d, std::stop_token stop) = 0;
};

std::shared_ptr<Clock> steadyClock();

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
