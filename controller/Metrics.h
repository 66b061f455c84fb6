// Prometheus metrics of the operator, kept in memory and rendered in the text exposition
// format (version 0.0.4). Small on purpose: counters, gauges and fixed-bucket histograms with
// label sets, which is all /metrics needs. Every family the binary exports is declared in the
// constructor, so a Metrics object is also the list of exported names (the chart's alert and
// dashboard tests read it from there).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace csrop {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics();

  void inc(const std::string& name, const Labels& labels = {}, double by = 1);
  void set(const std::string& name, const Labels& labels, double value);
  void observe(const std::string& name, const Labels& labels, double seconds);

  double value(const std::string& name, const Labels& labels = {}) const;
  std::string render() const;

 private:
  struct Family {
    std::string type;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, double> values;
    std::map<Labels, std::vector<double>> bucketCounts;  // histograms: per-bucket counts, then +Inf
    std::map<Labels, double> sums;
  };
  void declare(const std::string& name, const std::string& type, const std::string& help, std::vector<double> buckets = {});

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

namespace metric {
inline constexpr const char* kDecisions = "csr_operator_decisions_total";
inline constexpr const char* kIssued = "csr_operator_certificates_issued_total";
inline constexpr const char* kSigningDuration = "csr_operator_signing_duration_seconds";
inline constexpr const char* kCsrLatency = "csr_operator_csr_latency_seconds";
inline constexpr const char* kBuildInfo = "csr_operator_build_info";
inline constexpr const char* kCaExpiration = "csr_operator_ca_expiration_timestamp_seconds";
// Deprecated: kCaExpiration under the name of the first release; exported until the next one.
inline constexpr const char* kCaNotAfter = "csr_operator_ca_not_after_seconds";
inline constexpr const char* kWatchRestarts = "csr_operator_watch_restarts_total";
inline constexpr const char* kQueueDepth = "csr_operator_queue_depth";
inline constexpr const char* kLeader = "csr_operator_leader";
inline constexpr const char* kApiRequests = "csr_operator_api_requests_total";
inline constexpr const char* kGcDeleted = "csr_operator_gc_deleted_total";
inline constexpr const char* kPendingCsrs = "csr_operator_pending_csrs";
inline constexpr const char* kOldestPendingAge = "csr_operator_oldest_pending_csr_age_seconds";
inline constexpr const char* kApprovedUnissued = "csr_operator_approved_unissued_csrs";
inline constexpr const char* kSignerAvailable = "csr_operator_signer_available";
inline constexpr const char* kAddressConflicts = "csr_operator_address_conflicts_total";
inline constexpr const char* kNodeAddressChanges = "csr_operator_node_address_changes_total";
inline constexpr const char* kPodCertificatesIssued = "csr_operator_pod_certificates_issued_total";
inline constexpr const char* kPodCertificateDecisions = "csr_operator_pod_certificate_decisions_total";
inline constexpr const char* kPodCertificateLatency = "csr_operator_pod_certificate_latency_seconds";
inline constexpr const char* kTrustBundleWrites = "csr_operator_trust_bundle_writes_total";
// The process collector's names (controller/ProcessMetrics.h).
inline constexpr const char* kProcessCpuSeconds = "process_cpu_seconds_total";
inline constexpr const char* kProcessResidentMemory = "process_resident_memory_bytes";
inline constexpr const char* kProcessOpenFds = "process_open_fds";
inline constexpr const char* kProcessStartTime = "process_start_time_seconds";
}  // namespace metric

}  // namespace csrop
