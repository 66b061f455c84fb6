#include "controller/LeaderElector.h"

#include "k8sclient/ApiError.h"
#include "k8sclient/RateLimiter.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace csrop {
namespace {

// Wakes at once when stop is requested.
void sleepFor(std::stop_token stop, std::chrono::milliseconds d) { k8s::steadyClock()->sleepFor(d, stop); }

}  // namespace

LeaderElector::LeaderElector(k8s::KubeClient& client, LeaderElectionConfig config, std::string identity)
    : client_(client), config_(std::move(config)), identity_(std::move(identity)) {}

bool LeaderElector::isLeader() const {
  if (!leader_.load()) return false;
  const Clock::time_point renewed{Clock::duration{renewedAt_.load()}};
  return Clock::now() - renewed < config_.renewDeadline;
}

void LeaderElector::recordOwnWrite(const std::string& renewTime, const std::string& resourceVersion, Clock::time_point attemptStart) {
  observedHolder_ = identity_;
  observedRenewTime_ = renewTime;
  observedResourceVersion_ = resourceVersion;
  observedAt_ = Clock::now();
  renewedAt_ = attemptStart.time_since_epoch().count();
}

bool LeaderElector::tryAcquireOrRenew() {
  // Others time our lease from when they see it change, which is after we send it, so counting
  // from before the request keeps our view of leadership the shorter one.
  const auto attemptStart = Clock::now();
  const auto leaseSeconds = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(config_.leaseDuration).count());
  const std::string now = k8s::nowRfc3339Micro();
  k8s::Lease lease;
  try {
    lease = client_.get<k8s::Lease>(config_.leaseName, config_.namespace_);
  } catch (const std::exception& e) {
    if (!k8s::isNotFound(e)) {
      spdlog::warn("leader election: reading lease {}/{} failed: {}", config_.namespace_, config_.leaseName, e.what());
      return false;
    }
    k8s::Lease fresh;
    fresh.metadata.name = config_.leaseName;
    fresh.metadata.namespace_ = config_.namespace_;
    fresh.holderIdentity = identity_;
    fresh.leaseDurationSeconds = std::max(1, leaseSeconds);
    fresh.acquireTime = now;
    fresh.renewTime = now;
    fresh.leaseTransitions = 0;
    try {
      auto created = client_.create(fresh, config_.namespace_);
      recordOwnWrite(now, created.metadata.resourceVersion, attemptStart);
      return true;
    } catch (const std::exception& ce) {
      spdlog::debug("leader election: creating lease failed: {}", ce.what());
      return false;
    }
  }

  const std::string holder = lease.holderIdentity.value_or("");
  const std::string renew = lease.renewTime.value_or("");
  if (holder != observedHolder_ || renew != observedRenewTime_ || lease.metadata.resourceVersion != observedResourceVersion_) {
    observedHolder_ = holder;
    observedRenewTime_ = renew;
    observedResourceVersion_ = lease.metadata.resourceVersion;
    observedAt_ = Clock::now();
  }
  const auto heldFor = std::chrono::seconds(lease.leaseDurationSeconds.value_or(leaseSeconds));
  const bool heldByOther = !holder.empty() && holder != identity_;
  if (heldByOther && Clock::now() < observedAt_ + heldFor) return false;

  if (holder != identity_) {
    lease.leaseTransitions = lease.leaseTransitions.value_or(0) + 1;
    lease.acquireTime = now;
  }
  lease.holderIdentity = identity_;
  lease.leaseDurationSeconds = std::max(1, leaseSeconds);
  lease.renewTime = now;
  try {
    auto updated = client_.update(lease);
    recordOwnWrite(now, updated.metadata.resourceVersion, attemptStart);
    return true;
  } catch (const std::exception& e) {
    spdlog::debug("leader election: updating lease failed: {}", e.what());
    return false;
  }
}

void LeaderElector::release() {
  if (!leader_.exchange(false)) return;
  try {
    auto lease = client_.get<k8s::Lease>(config_.leaseName, config_.namespace_);
    if (lease.holderIdentity.value_or("") != identity_) return;
    // client-go's ReleaseOnCancel: an empty holder with a 1s duration lets a standby take over at once.
    lease.holderIdentity = std::nullopt;
    lease.leaseDurationSeconds = 1;
    lease.renewTime = k8s::nowRfc3339Micro();
    client_.update(lease);
    spdlog::info("leader election: released lease {}/{} identity={}", config_.namespace_, config_.leaseName, identity_);
  } catch (const std::exception& e) {
    spdlog::warn("leader election: releasing lease failed: {}", e.what());
  }
}

void LeaderElector::run(std::stop_token stop, std::function<void()> onAcquired, std::function<void()> onLost) {
  while (!stop.stop_requested()) {
    if (!tryAcquireOrRenew()) {
      sleepFor(stop, config_.retryPeriod);
      continue;
    }
    leader_ = true;
    spdlog::info("leader election: acquired lease {}/{} identity={}", config_.namespace_, config_.leaseName, identity_);
    onAcquired();
    while (!stop.stop_requested()) {
      sleepFor(stop, config_.retryPeriod);
      if (stop.stop_requested()) break;
      if (tryAcquireOrRenew()) continue;
      // client-go keeps retrying until renewDeadline even when it reads another holder; we stop at
      // once then, because a lease that names someone else is lost whatever we retry.
      const bool takenOver = !observedHolder_.empty() && observedHolder_ != identity_;
      if (takenOver || !isLeader()) {
        leader_ = false;
        if (takenOver)
          spdlog::error("leader election: lost lease {}/{} identity={}: now held by {}", config_.namespace_, config_.leaseName,
                        identity_, observedHolder_);
        else
          spdlog::error("leader election: lost lease {}/{} identity={}: no renewal within {}ms", config_.namespace_,
                        config_.leaseName, identity_, config_.renewDeadline.count());
        onLost();
        break;
      }
    }
  }
  release();
}

}  // namespace csrop
