#include "controller/Metrics.h"

#include "controller/BuildInfo.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace csrop {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string labelText(const Labels& labels, const std::string& extraKey = "", const std::string& extraValue = "") {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=\"" + escape(v) + "\"";
  if (!extraKey.empty()) out += (out.empty() ? "" : ",") + extraKey + "=\"" + extraValue + "\"";
  return out.empty() ? "" : "{" + out + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

Metrics::Metrics() {
  const std::vector<double> latency = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  declare(metric::kDecisions, "counter", "Approval decisions by signer, decision and reason.");
  declare(metric::kIssued, "counter", "Certificates issued by signer.");
  declare(metric::kSigningDuration, "histogram", "Time to validate and sign one certificate.", latency);
  declare(metric::kCsrLatency, "histogram", "Time from CSR creation to the certificate being written.", latency);
  declare(metric::kBuildInfo, "gauge", "Always 1; the labels say which version and commit this binary was built from.");
  families_[metric::kBuildInfo].values[{{"version", std::string(buildVersion())}, {"commit", std::string(buildCommit())}}] = 1;
  declare(metric::kCaExpiration, "gauge", "NotAfter of each signer's CA certificate, in Unix seconds.");
  declare(metric::kCaNotAfter, "gauge",
          "Deprecated, removed in the next release: use csr_operator_ca_expiration_timestamp_seconds (same value). "
          "NotAfter of each signer's CA certificate, in Unix seconds.");
  declare(metric::kWatchRestarts, "counter", "Watches re-opened, by resource.");
  declare(metric::kQueueDepth, "gauge", "Work items queued or waiting for a retry.");
  declare(metric::kLeader, "gauge", "1 while this replica holds the leader lease.");
  declare(metric::kApiRequests, "counter", "Kubernetes API requests by verb and HTTP code (0: transport error).");
  declare(metric::kGcDeleted, "counter", "CSRs deleted by garbage collection, by reason.");
  declare(metric::kPendingCsrs, "gauge", "CSRs without a decision, by signer (only the signers this instance handles).");
  declare(metric::kOldestPendingAge, "gauge", "Age of the oldest CSR without a decision, by signer; 0 when none is pending.");
  declare(metric::kApprovedUnissued, "gauge", "CSRs approved but without a certificate and not failed, by signer.");
  declare(metric::kSignerAvailable, "gauge", "1 while the signer can sign, 0 while its CA key cannot be used (a token that went away).");
  declare(metric::kAddressConflicts, "counter", "Times a Node listed an address or name that another Node owns.");
  declare(metric::kNodeAddressChanges, "counter", "Times a Node changed the addresses in its status.");
  // PodCertificateRequests are deleted 15 minutes after creation, so the buckets reach past that.
  const std::vector<double> podLatency = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900};
  declare(metric::kPodCertificatesIssued, "counter", "Pod certificates issued, by signer.");
  declare(metric::kPodCertificateDecisions, "counter",
          "PodCertificateRequest decisions by signer, decision (issued, denied, failed) and reason.");
  declare(metric::kPodCertificateLatency, "histogram", "Time from PodCertificateRequest creation to the certificate being written.",
          podLatency);
  declare(metric::kTrustBundleWrites, "counter", "ClusterTrustBundle writes by signer and action (create, update, delete).");
  declare(metric::kProcessCpuSeconds, "counter", "Total user and system CPU time spent in seconds.");
  declare(metric::kProcessResidentMemory, "gauge", "Resident memory size in bytes.");
  declare(metric::kProcessOpenFds, "gauge", "Number of open file descriptors.");
  declare(metric::kProcessStartTime, "gauge", "Start time of the process since unix epoch in seconds.");
}

void Metrics::declare(const std::string& name, const std::string& type, const std::string& help, std::vector<double> buckets) {
  families_[name] = Family{type, help, std::move(buckets), {}, {}, {}};
}

void Metrics::inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  families_.at(name).values[labels] += by;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  families_.at(name).values[labels] = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double seconds) {
  std::lock_guard lock(mu_);
  auto& f = families_.at(name);
  auto& counts = f.bucketCounts[labels];
  counts.resize(f.buckets.size() + 1, 0);
  for (std::size_t i = 0; i < f.buckets.size(); ++i)
    if (seconds <= f.buckets[i]) counts[i] += 1;
  counts.back() += 1;
  f.sums[labels] += seconds;
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  const auto& f = families_.at(name);
  if (f.type == "histogram") {
    auto it = f.bucketCounts.find(labels);
    return it == f.bucketCounts.end() ? 0 : it->second.back();
  }
  auto it = f.values.find(labels);
  return it == f.values.end() ? 0 : it->second;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    out << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
    if (f.type != "histogram") {
      for (const auto& [labels, v] : f.values) out << name << labelText(labels) << " " << number(v) << "\n";
      continue;
    }
    for (const auto& [labels, counts] : f.bucketCounts) {
      for (std::size_t i = 0; i < f.buckets.size(); ++i)
        out << name << "_bucket" << labelText(labels, "le", number(f.buckets[i])) << " " << number(counts[i]) << "\n";
      out << name << "_bucket" << labelText(labels, "le", "+Inf") << " " << number(counts.back()) << "\n";
      out << name << "_sum" << labelText(labels) << " " << number(f.sums.at(labels)) << "\n";
      out << name << "_count" << labelText(labels) << " " << number(counts.back()) << "\n";
    }
  }
  return out.str();
}

}  // namespace csrop
