#pragma once
// Jittered exponential backoff: base * 2^n capped at cap, each delay scaled by a random factor in
// [1 - jitter, 1 + jitter] (and never above cap).
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace k8s {

struct BackoffPolicy {
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{30000};
  double jitter = 0.2;
};

class Backoff {
 public:
  // random returns a value in [0, 1); the default is a thread-local mt19937.
  explicit Backoff(BackoffPolicy policy = {}, std::function<double()> random = {});
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  BackoffPolicy policy_;
  std::function<double()> random_;
  int attempt_ = 0;
};

// Retry-After as delta-seconds (the form the API server sends). nullopt when absent or not a number.
std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value);

}  // namespace k8s
