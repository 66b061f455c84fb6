// An event count a test waits on with a deadline: fired by the code under test on its own thread
// (a callback, a fake server's handler), awaited by the test instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace testsupport {

class Signal {
 public:
  void fire() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  // True once fired at least n times; false when that does not happen within the bound.
  bool await(int n = 1, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, within, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

}  // namespace testsupport
