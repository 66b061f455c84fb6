#include "controller/Metrics.h"

#include <doctest/doctest.h>

TEST_CASE("metrics: counters, gauges and histograms in Prometheus text format") {
  csrop::Metrics m;
  m.inc(csrop::metric::kDecisions, {{"signer", "kubernetes.io/kubelet-serving"}, {"decision", "deny"}, {"reason", "IPNotOwnedByNode"}});
  m.inc(csrop::metric::kDecisions, {{"signer", "kubernetes.io/kubelet-serving"}, {"decision", "deny"}, {"reason", "IPNotOwnedByNode"}});
  m.set(csrop::metric::kLeader, {}, 1);
  m.observe(csrop::metric::kSigningDuration, {{"signer", "s"}}, 0.003);
  const auto text = m.render();
  CHECK(text.find("# TYPE csr_operator_decisions_total counter\n") != std::string::npos);
  CHECK(text.find(
            "csr_operator_decisions_total{signer=\"kubernetes.io/kubelet-serving\",decision=\"deny\",reason=\"IPNotOwnedByNode\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("csr_operator_leader 1\n") != std::string::npos);
  CHECK(text.find("csr_operator_signing_duration_seconds_bucket{signer=\"s\",le=\"0.0025\"} 0\n") != std::string::npos);
  CHECK(text.find("csr_operator_signing_duration_seconds_bucket{signer=\"s\",le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(text.find("csr_operator_signing_duration_seconds_bucket{signer=\"s\",le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(text.find("csr_operator_signing_duration_seconds_count{signer=\"s\"} 1\n") != std::string::npos);
  CHECK(m.value(csrop::metric::kSigningDuration, {{"signer", "s"}}) == 1);
}

TEST_CASE("metrics: label values are escaped") {
  csrop::Metrics m;
  m.inc(csrop::metric::kGcDeleted, {{"reason", "a \"quoted\"\nline"}});
  CHECK(m.render().find("reason=\"a \\\"quoted\\\"\\nline\"") != std::string::npos);
}
