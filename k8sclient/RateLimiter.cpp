#include "k8sclient/RateLimiter.h"

#include <algorithm>

namespace k8s {

RateLimiter::RateLimiter(double qps, int burst, std::shared_ptr<Clock> clock)
    : qps_(qps), burst_(std::max(1, burst)), clock_(clock ? std::move(clock) : steadyClock()), tokens_(burst_), last_(clock_->now()) {}

void RateLimiter::refillLocked(Clock::time_point now) {
  if (now <= last_) return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
  last_ = now;
}

Clock::duration RateLimiter::reserve() {
  if (qps_ <= 0) return Clock::duration::zero();
  std::lock_guard lock(mu_);
  refillLocked(clock_->now());
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::duration::zero();
  // The deficit is paid back at qps tokens per second; later callers queue behind earlier ones.
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

bool RateLimiter::tryAccept() {
  if (qps_ <= 0) return true;
  std::lock_guard lock(mu_);
  refillLocked(clock_->now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool RateLimiter::wait(std::stop_token stop) {
  auto d = reserve();
  if (d <= Clock::duration::zero()) return !stop.stop_requested();
  return clock_->sleepFor(d, stop);
}

}  // namespace k8s
