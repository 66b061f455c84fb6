#include "FaultSchedule.h"

namespace soak {

FaultSchedule::FaultSchedule(itest::FakeCluster& cluster, Replicas& replicas, uint64_t seed)
    : cluster_(cluster), replicas_(replicas), rng_(seed) {}

void FaultSchedule::lasting(milliseconds duration) { quietFrom_ = std::max(quietFrom_, Wall::now() + duration); }

uint64_t FaultSchedule::apiRequests() { return requestsBeforeRestarts_ + cluster_.stats()["totalRequests"].get<uint64_t>(); }

std::string FaultSchedule::injectNext() {
  auto between = [this](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); };
  std::string kind;
  switch (between(0, 9)) {
    case 0:
      kind = "drop watches";
      cluster_.fault({{"dropWatches", true}});
      break;
    case 1:
      kind = "410 in an open watch";
      cluster_.fault({{"expireOpenWatches", nlohmann::json::object()}});
      break;
    case 2:
      kind = "410 on the next watches";
      cluster_.fault({{"expireNextWatches", {{"count", between(1, 4)}}}, {"dropWatches", true}});
      break;
    case 3:
      kind = "compaction";
      cluster_.fault({{"compact", true}, {"dropWatches", true}});
      break;
    case 4: {
      const int codes[] = {500, 503, 504};
      kind = "5xx";
      cluster_.fault({{"failNext", {{"count", between(1, 4)}, {"code", codes[between(0, 2)]}}}});
      break;
    }
    case 5:
      kind = "429 with Retry-After";
      cluster_.fault({{"throttleNext", {{"count", between(1, 4)}, {"retryAfter", 1}}}});
      break;
    case 6: {
      const char* resources[] = {"", "certificatesigningrequests/status", "certificatesigningrequests/approval", "leases"};
      const bool afterWrite = between(0, 1) == 1;
      const int lasts = between(2000, 4000);
      kind = afterWrite ? "latency after a write" : "latency";
      cluster_.fault({{"latency",
                       {{"resource", resources[between(0, 3)]},
                        {"milliseconds", between(100, 700)},
                        {"afterWrite", afterWrite},
                        {"forMilliseconds", lasts}}}});
      lasting(milliseconds(lasts + 700));
      break;
    }
    case 7:
      // Restarts take the whole API away; a few per run are enough to prove recovery.
      if (Steady::now() - lastRestart_ < seconds(25)) return injectNext();
      kind = "API server restart";
      requestsBeforeRestarts_ += cluster_.stats()["totalRequests"].get<uint64_t>();
      cluster_.restart();
      lastRestart_ = Steady::now();
      break;
    case 8:
      kind = "lease partition, both replicas";
      cluster_.fault({{"partition", {{"resource", "leases"}, {"code", 503}, {"milliseconds", 2500}}}});
      lasting(milliseconds(2500));
      break;
    default: {
      // The leader alone loses the lease API: it steps down at renewDeadline and the other
      // replica takes over when the lease expires.
      const auto leader = replicas_.leader();
      if (!leader) return injectNext();
      kind = "handover";
      cluster_.fault({{"partition", {{"resource", "leases"}, {"code", 503}, {"milliseconds", 4000}, {"user", replicas_.user(*leader)}}}});
      lasting(milliseconds(4000));
      break;
    }
  }
  ++counts_[kind];
  lasting(milliseconds(0));
  return kind;
}

}  // namespace soak
