// Leader election on a coordination.k8s.io/v1 Lease with client-go's rules
// (staging/src/k8s.io/client-go/tools/leaderelection/leaderelection.go): a lease held by
// another identity counts as expired only when this replica has seen no change to it for
// leaseDuration (local observation time, so clock skew between replicas does not matter);
// the leader renews every retryPeriod and gives up when it could not renew within
// renewDeadline; a clean shutdown releases the lease so a standby takes over at once.
#pragma once

#include "controller/Config.h"
#include "k8sclient/Clock.h"
#include "k8sclient/KubeClient.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

namespace csrop {

class LeaderElector {
 public:
  using Clock = std::chrono::steady_clock;

  // The clock times lease expiry, renewals and the retry period, and writes the lease's times.
  LeaderElector(k8s::KubeClient& client, LeaderElectionConfig config, std::string identity,
                std::shared_ptr<k8s::Clock> clock = k8s::steadyClock());

  // Blocks until stop: acquires, holds while renewals succeed, calls onLost when a renewal
  // deadline passes, and tries again. Releases the lease on stop when held. onAcquired is also
  // called again when a renewal succeeds after a gap of renewDeadline or more: isLeader() was
  // false meanwhile, so writes in that gap were refused and work dropped, but the lease was never
  // lost, so nothing else would hand that work out again.
  void run(std::stop_token stop, std::function<void()> onAcquired, std::function<void()> onLost);

  // True only while the last successful renewal is younger than renewDeadline, checked on every
  // call: a renewal stuck in a slow or partitioned request ends leadership on time, not when the
  // request finally returns.
  bool isLeader() const;
  const std::string& identity() const { return identity_; }

  // One acquire-or-renew attempt: true when this replica wrote the lease as its holder (then it
  // leads), false otherwise (a read naming another holder ends its leadership at once). Public so
  // tests can drive the protocol step by step.
  bool tryAcquireOrRenew();
  // Hands the lease over (empty holder, 1s duration) when this replica leads.
  void release();

 private:
  // After this replica wrote the lease (created or renewed it) as holder.
  void recordOwnWrite(const std::string& renewTime, const std::string& resourceVersion, Clock::time_point attemptStart);

  k8s::KubeClient& client_;
  LeaderElectionConfig config_;
  std::string identity_;
  std::shared_ptr<k8s::Clock> clock_;
  std::atomic<bool> leader_{false};
  std::atomic<Clock::rep> renewedAt_{0};  // start of the last successful acquire or renew
  std::string observedHolder_;
  std::string observedRenewTime_;
  std::string observedResourceVersion_;
  Clock::time_point observedAt_{};
};

}  // namespace csrop
