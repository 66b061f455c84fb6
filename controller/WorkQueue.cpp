#include "controller/WorkQueue.h"

#include <algorithm>

namespace csrop {

WorkQueue::WorkQueue(WorkQueueOptions options, std::shared_ptr<k8s::Clock> clock)
    : options_(options), clock_(clock ? std::move(clock) : k8s::steadyClock()), bucket_(options.globalQps, options.globalBurst, clock_) {}

void WorkQueue::wakeOneLocked() {
  for (auto* sleeper : sleepers_) {
    if (sleeper->stop_requested()) continue;
    sleeper->request_stop();
    return;
  }
}

void WorkQueue::wakeAllLocked() {
  for (auto* sleeper : sleepers_) sleeper->request_stop();
}

void WorkQueue::addLocked(const std::string& key) {
  if (shutDown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;
  queue_.push_back(key);
  wakeOneLocked();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  addLocked(key);
}

void WorkQueue::cancelTimerLocked(const std::string& key) {
  auto it = timerOf_.find(key);
  if (it == timerOf_.end()) return;
  timers_.erase({it->second, key});
  timerOf_.erase(it);
}

void WorkQueue::setTimerLocked(const std::string& key, TimePoint at) {
  cancelTimerLocked(key);
  timerOf_.emplace(key, at);
  timers_.emplace(at, key);
  // Sleepers wait for the soonest timer; only a new soonest one changes what they wait for.
  if (timers_.begin()->second == key) wakeAllLocked();
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  if (shutDown_) return;
  if (delay <= std::chrono::milliseconds::zero()) {
    cancelTimerLocked(key);
    addLocked(key);
    return;
  }
  setTimerLocked(key, clock_->now() + delay);
}

std::chrono::milliseconds WorkQueue::backoffLocked(const std::string& key) {
  const int n = failures_[key]++;
  // Doubling stops once past the cap, so the shift never overflows.
  auto perItem = options_.baseDelay;
  for (int i = 0; i < n && perItem < options_.maxDelay; ++i) perItem *= 2;
  perItem = std::min(perItem, options_.maxDelay);
  // Every retry takes a token from the global bucket; once it is empty, the retry waits for its slot.
  const auto bucketDelay = std::chrono::ceil<std::chrono::milliseconds>(bucket_.reserve());
  return std::max(perItem, bucketDelay);
}

std::chrono::milliseconds WorkQueue::addRateLimited(const std::string& key) {
  std::lock_guard lock(mu_);
  const auto delay = backoffLocked(key);
  if (shutDown_) return delay;
  if (delay <= std::chrono::milliseconds::zero()) {
    cancelTimerLocked(key);
    addLocked(key);
  } else {
    setTimerLocked(key, clock_->now() + delay);
  }
  return delay;
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
  cancelTimerLocked(key);
}

int WorkQueue::failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked(TimePoint now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const std::string key = timers_.begin()->second;
    cancelTimerLocked(key);
    addLocked(key);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    promoteDueLocked(clock_->now());
    if (shutDown_) return std::nullopt;
    if (!queue_.empty()) break;
    const auto deadline = timers_.empty() ? TimePoint::max() : timers_.begin()->first;
    std::stop_source wake;
    sleepers_.push_back(&wake);
    lock.unlock();
    clock_->sleepUntil(deadline, wake.get_token());
    lock.lock();
    sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), &wake));
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
    wakeOneLocked();
  }
}

void WorkQueue::shutDown() {
  std::lock_guard lock(mu_);
  shutDown_ = true;
  wakeAllLocked();
}

std::size_t WorkQueue::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size() + timers_.size();
}

}  // namespace csrop
