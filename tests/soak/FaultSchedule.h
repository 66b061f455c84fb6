// The faults of the soak, drawn from a seeded RNG: dropped watches, 410 Gone (in-stream, on the
// next watch, after a compaction), 5xx, 429 with Retry-After, latency before and after writes,
// API server restarts, lease partitions of both replicas and handovers (one replica cut off).
#pragma once

#include "Soak.h"

namespace soak {

class FaultSchedule {
 public:
  FaultSchedule(itest::FakeCluster& cluster, Replicas& replicas, uint64_t seed);
  // Arms one fault; returns its kind. An API server restart blocks until the server is back.
  std::string injectNext();
  // When the faults armed so far have all ended (partitions and latency last a while).
  Wall::time_point quietFrom() const { return quietFrom_; }
  const std::map<std::string, int>& counts() const { return counts_; }
  // Requests the fake served over all its restarts.
  uint64_t apiRequests();

 private:
  void lasting(milliseconds duration);
  itest::FakeCluster& cluster_;
  Replicas& replicas_;
  std::mt19937_64 rng_;
  std::map<std::string, int> counts_;
  Wall::time_point quietFrom_ = Wall::now();
  Steady::time_point lastRestart_ = Steady::now();
  uint64_t requestsBeforeRestarts_ = 0;
};

}  // namespace soak
