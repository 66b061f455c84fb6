// Garbage collection of finished CSRs with kube-controller-manager's csrcleaner durations
// (pkg/controller/certificates/cleaner/cleaner.go), plus approved CSRs that no signer ever
// issued (KCM keeps those forever).
#pragma once

#include "controller/Config.h"
#include "controller/Metrics.h"
#include "k8sclient/KubeClient.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace csrop {

// Why a CSR should be deleted now, or nothing. certificateExpired tells whether the issued
// certificate's NotAfter has passed (false when it cannot be parsed, as KCM does).
std::optional<std::string> garbageReason(const k8s::CertificateSigningRequest& csr, const GcConfig& config,
                                         std::chrono::system_clock::time_point now,
                                         const std::function<bool(const std::string& pem)>& certificateExpired);

class CsrCleaner {
 public:
  CsrCleaner(k8s::KubeClient& client, GcConfig config, Metrics& metrics, std::function<bool(const std::string&)> certificateExpired)
      : client_(client), config_(std::move(config)), metrics_(metrics), certificateExpired_(std::move(certificateExpired)) {}

  // Deletes every CSR in `csrs` that is due; returns how many were deleted.
  int sweep(const std::vector<k8s::CertificateSigningRequest>& csrs);

 private:
  k8s::KubeClient& client_;
  GcConfig config_;
  Metrics& metrics_;
  std::function<bool(const std::string&)> certificateExpired_;
};

}  // namespace csrop
