// Garbage collection of finished CSRs with kube-controller-manager's csrcleaner durations
// (pkg/controller/certificates/cleaner/cleaner.go), plus approved CSRs that no signer ever
// issued (KCM keeps those forever).
#pragma once

#include "controller/CachedCsr.h"
#include "controller/Config.h"
#include "controller/CsrLister.h"
#include "controller/Metrics.h"
#include "k8sclient/KubeClient.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace csrop {

// Why a CSR should be deleted now, or nothing. An issued certificate whose NotAfter is unknown
// (it did not parse) never counts as expired, as in KCM.
std::optional<std::string> garbageReason(const CachedCsr& csr, const GcConfig& config, std::chrono::system_clock::time_point now);

class CsrCleaner {
 public:
  CsrCleaner(k8s::KubeClient& client, GcConfig config, Metrics& metrics) : client_(client), config_(std::move(config)), metrics_(metrics) {}

  // Deletes every cached CSR that is due at `now`; returns how many were deleted. Reads the
  // cache one CSR at a time: an hourly sweep must not hold every cached CSR decoded at once.
  int sweep(const CsrLister& csrs, std::chrono::system_clock::time_point now);

 private:
  bool sweepOne(const CachedCsr& cached, std::chrono::system_clock::time_point now);

  k8s::KubeClient& client_;
  GcConfig config_;
  Metrics& metrics_;
};

}  // namespace csrop
