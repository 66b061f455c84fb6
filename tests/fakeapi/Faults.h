// Fault injection and request statistics of the fake kube-apiserver (driven by POST /fake/faults,
// read by GET /fake/stats).
#pragma once

#include "tests/fakeapi/Api.h"

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

namespace fakeapi {

class Faults {
 public:
  void failNext(int count, int code);
  void throttleNext(int count, int retryAfterSeconds);
  // Every request for `resource` (as routed, e.g. "leases") fails with `code` for `seconds`:
  // a partition that cuts one kind of traffic while watches and other writes keep flowing.
  void failResourceFor(const std::string& resource, int code, std::chrono::milliseconds duration);
  // The error to answer the next API request for `resource` with, if one is armed; consumes one.
  std::optional<ApiError> take(const std::string& resource);
  json describe() const;

 private:
  mutable std::mutex mu_;
  int failCount_ = 0;
  int failCode_ = 500;
  int throttleCount_ = 0;
  int retryAfter_ = 1;
  std::string partitionedResource_;
  int partitionCode_ = 503;
  std::chrono::steady_clock::time_point partitionUntil_{};
};

class Stats {
 public:
  Stats();
  void record(const std::string& verb, const std::string& resource, int code);
  json report() const;

 private:
  using Clock = std::chrono::steady_clock;
  mutable std::mutex mu_;
  Clock::time_point start_;
  uint64_t total_ = 0;
  std::map<std::string, uint64_t> counts_;              // "verb resource code"
  std::deque<std::pair<int64_t, uint64_t>> perSecond_;  // second since start -> requests
};

}  // namespace fakeapi
