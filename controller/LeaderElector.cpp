#include "controller/LeaderElector.h"

#include "controller/WriteFailures.h"
#include "k8sclient/ApiError.h"
#include "k8sclient/Rfc3339.h"

#include <spdlog/spdlog.h>

namespace csrop {
namespace {

// A conflict or an existing lease means another replica wrote first: the next round reads it.
// Forbidden will not heal by retrying, so it says what to grant.
void logLeaseError(const char* what, const LeaderElectionConfig& config, const std::exception& e) {
  switch (classifyWriteFailure(e)) {
    case WriteFailure::Conflict:
      spdlog::debug("leader election: {} lease {}/{} lost a race: {}", what, config.namespace_, config.leaseName, e.what());
      return;
    case WriteFailure::Forbidden:
      spdlog::error(
          "leader election: {} lease {}/{} is forbidden: {}; grant the operator's ServiceAccount get, create "
          "and update on coordination.k8s.io leases in namespace {}",
          what, config.namespace_, config.leaseName, e.what(), config.namespace_);
      return;
    case WriteFailure::NotFound:
    case WriteFailure::Transient:
      spdlog::warn("leader election: {} lease {}/{} failed: {}", what, config.namespace_, config.leaseName, e.what());
      return;
  }
}

}  // namespace

LeaderElector::LeaderElector(k8s::KubeClient& client, LeaderElectionConfig config, std::string identity, std::shared_ptr<k8s::Clock> clock)
    : client_(client), config_(std::move(config)), identity_(std::move(identity)), clock_(clock ? std::move(clock) : k8s::steadyClock()) {}

bool LeaderElector::isLeader() const {
  if (!leader_.load()) return false;
  const Clock::time_point renewed{Clock::duration{renewedAt_.load()}};
  return clock_->now() - renewed < config_.renewDeadline;
}

void LeaderElector::recordOwnWrite(const std::string& renewTime, const std::string& resourceVersion, Clock::time_point attemptStart) {
  observedHolder_ = identity_;
  observedRenewTime_ = renewTime;
  observedResourceVersion_ = resourceVersion;
  observedAt_ = clock_->now();
  renewedAt_ = attemptStart.time_since_epoch().count();
  leader_ = true;
}

bool LeaderElector::tryAcquireOrRenew() {
  // Others time our lease from when they see it change, which is after we send it, so counting
  // from before the request keeps our view of leadership the shorter one.
  const auto attemptStart = clock_->now();
  const auto leaseSeconds = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(config_.leaseDuration).count());
  const std::string now = k8s::formatRfc3339Micro(clock_->systemNow());
  k8s::Lease lease;
  try {
    lease = client_.get<k8s::Lease>(config_.leaseName, config_.namespace_);
  } catch (const std::exception& e) {
    if (!k8s::isNotFound(e)) {
      logLeaseError("reading", config_, e);
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
      logLeaseError("creating", config_, ce);
      return false;
    }
  }

  const std::string holder = lease.holderIdentity.value_or("");
  const std::string renew = lease.renewTime.value_or("");
  if (holder != observedHolder_ || renew != observedRenewTime_ || lease.metadata.resourceVersion != observedResourceVersion_) {
    observedHolder_ = holder;
    observedRenewTime_ = renew;
    observedResourceVersion_ = lease.metadata.resourceVersion;
    observedAt_ = clock_->now();
  }
  const auto heldFor = std::chrono::seconds(lease.leaseDurationSeconds.value_or(leaseSeconds));
  const bool heldByOther = !holder.empty() && holder != identity_;
  // A lease that names someone else is lost whatever this replica retries.
  if (heldByOther) leader_ = false;
  if (heldByOther && clock_->now() < observedAt_ + heldFor) return false;

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
    logLeaseError("updating", config_, e);
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
    lease.renewTime = k8s::formatRfc3339Micro(clock_->systemNow());
    client_.update(lease);
    spdlog::info("leader election: released lease {}/{} identity={}", config_.namespace_, config_.leaseName, identity_);
  } catch (const std::exception& e) {
    spdlog::warn("leader election: releasing lease failed: {}", e.what());
  }
}

void LeaderElector::run(std::stop_token stop, std::function<void()> onAcquired, std::function<void()> onLost) {
  while (!stop.stop_requested()) {
    if (!tryAcquireOrRenew()) {
      clock_->sleepFor(config_.retryPeriod, stop);
      continue;
    }
    spdlog::info("leader election: acquired lease {}/{} identity={}", config_.namespace_, config_.leaseName, identity_);
    onAcquired();
    bool lapsed = false;
    while (!stop.stop_requested()) {
      clock_->sleepFor(config_.retryPeriod, stop);
      if (stop.stop_requested()) break;
      const Clock::time_point before{Clock::duration{renewedAt_.load()}};
      if (tryAcquireOrRenew()) {
        // A renewal that took renewDeadline or more (a slow or retried request) keeps the lease,
        // but isLeader() was false for a while; the resync waits until it is true again.
        lapsed = lapsed || clock_->now() - before >= config_.renewDeadline;
        if (lapsed && isLeader()) {
          lapsed = false;
          spdlog::warn(
              "leader election: renewed lease {}/{} identity={} after a gap of renewDeadline ({}ms) or more, in which "
              "nothing was written; handing all work out again",
              config_.namespace_, config_.leaseName, identity_, config_.renewDeadline.count());
          onAcquired();
        }
        continue;
      }
      // client-go keeps retrying until renewDeadline even when it reads another holder; we stop at
      // once then, because a lease that names someone else is lost whatever we retry.
      const bool takenOver = !observedHolder_.empty() && observedHolder_ != identity_;
      if (takenOver || !isLeader()) {
        leader_ = false;
        if (takenOver)
          spdlog::error("leader election: lost lease {}/{} identity={}: now held by {}", config_.namespace_, config_.leaseName, identity_,
                        observedHolder_);
        else
          spdlog::error("leader election: lost lease {}/{} identity={}: no renewal within {}ms", config_.namespace_, config_.leaseName,
                        identity_, config_.renewDeadline.count());
        onLost();
        break;
      }
    }
  }
  release();
}

}  // namespace csrop
