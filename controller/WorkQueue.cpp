#include "controller/WorkQueue.h"

#include <algorithm>
#include <cmath>

namespace csrop {

WorkQueue::WorkQueue(WorkQueueOptions options)
    : options_(options), tokens_(options.globalBurst), lastRefill_(Clock::now()) {}

void WorkQueue::addLocked(const std::string& key) {
  if (shutDown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  addLocked(key);
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  if (shutDown_) return;
  if (delay <= std::chrono::milliseconds::zero()) {
    addLocked(key);
    return;
  }
  delayed_.emplace(Clock::now() + delay, key);
  cv_.notify_all();
}

std::chrono::milliseconds WorkQueue::addRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    const int n = failures_[key]++;
    const double perItem = std::min<double>(options_.baseDelay.count() * std::pow(2.0, std::min(n, 30)),
                                            options_.maxDelay.count());
    // Global token bucket: every retry reserves a slot; when the bucket is empty the slot is later.
    const auto now = Clock::now();
    std::chrono::milliseconds bucketDelay{0};
    if (options_.globalQps > 0) {
      const double refill = std::chrono::duration<double>(now - lastRefill_).count() * options_.globalQps;
      tokens_ = std::min<double>(options_.globalBurst, tokens_ + refill);
      lastRefill_ = now;
      tokens_ -= 1;
      if (tokens_ < 0) bucketDelay = std::chrono::milliseconds(static_cast<int64_t>(-tokens_ / options_.globalQps * 1000));
    }
    delay = std::max(std::chrono::milliseconds(static_cast<int64_t>(perItem)), bucketDelay);
  }
  addAfter(key, delay);
  return delay;
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    addLocked(key);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    promoteDueLocked(Clock::now());
    if (shutDown_) return std::nullopt;
    if (!queue_.empty()) break;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      // A copy: another worker may promote (and free) that entry while this one waits.
      const auto deadline = delayed_.begin()->first;
      cv_.wait_until(lock, deadline);
    }
  }
  std::string key = queue_.front();
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) && !shutDown_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::shutDown() {
  std::lock_guard lock(mu_);
  shutDown_ = true;
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard lock(mu_);
  return shutDown_;
}

std::size_t WorkQueue::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size() + delayed_.size();
}

}  // namespace csrop
