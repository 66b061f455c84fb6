#include "controller/Metrics.h"

#include "controller/BuildInfo.h"
#include "controller/CsrBacklog.h"
#include "controller/ProcessMetrics.h"
#include "controller/Timestamp.h"
#include "tests/support/TestPki.h"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include <unistd.h>

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

TEST_CASE("metrics: build info names the version and the commit, always 1") {
  const auto text = csrop::Metrics().render();
  const std::string line = std::string("csr_operator_build_info{version=\"") + CSR_OPERATOR_VERSION + "\",commit=\"" +
                           std::string(csrop::buildCommit()) + "\"} 1\n";
  CHECK(text.find(line) != std::string::npos);
  CHECK(!csrop::buildCommit().empty());
}

TEST_CASE("metrics: every family is declared up front, so the exposition lists every exported name") {
  const auto text = csrop::Metrics().render();
  for (const char* name : {csrop::metric::kCaExpiration, csrop::metric::kCaNotAfter, csrop::metric::kOldestPendingAge,
                           csrop::metric::kApprovedUnissued, csrop::metric::kProcessCpuSeconds, csrop::metric::kProcessResidentMemory,
                           csrop::metric::kProcessOpenFds, csrop::metric::kProcessStartTime})
    CHECK(text.find(std::string("# TYPE ") + name + " ") != std::string::npos);
  CHECK(text.find("# HELP csr_operator_ca_not_after_seconds Deprecated, removed in the next release: use "
                  "csr_operator_ca_expiration_timestamp_seconds") != std::string::npos);
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}

namespace {

// A /proc with one process: its stat line (command name with a space and a parenthesis, as
// proc(5) allows), the boot time, and three open descriptors.
struct FakeProc {
  testpki::TempDir dir;
  FakeProc(const std::string& selfStat, const std::string& procStat) {
    std::filesystem::create_directories(dir.path() / "self" / "fd");
    dir.write("self/stat", selfStat);
    dir.write("stat", procStat);
    for (const char* fd : {"0", "1", "2"}) dir.write(std::string("self/fd/") + fd, "");
  }
};

// Fields 1-24 of /proc/self/stat: utime (14) 250 ticks, stime (15) 150, starttime (22) 1000, rss (24) 2048 pages.
const std::string kStat =
    "4242 (csr op) erator) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 9 0 1000 123456789 2048 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

}  // namespace

TEST_CASE("process metrics: CPU, resident memory, open descriptors and start time from procfs") {
  const FakeProc proc(kStat, "cpu  1 2 3\nbtime 1700000000\nprocesses 7\n");
  const auto s = csrop::readProcessStats(proc.dir.path());
  REQUIRE(s);
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  CHECK(s->cpuSeconds == doctest::Approx(400 / ticks));
  CHECK(s->residentBytes == 2048.0 * static_cast<double>(::sysconf(_SC_PAGESIZE)));
  CHECK(s->openFds == 3);
  CHECK(s->startTimeSeconds == doctest::Approx(1700000000 + 1000 / ticks));

  csrop::Metrics m;
  csrop::updateProcessMetrics(m, proc.dir.path());
  CHECK(m.value(csrop::metric::kProcessOpenFds) == 3);
  CHECK(m.value(csrop::metric::kProcessStartTime) == doctest::Approx(1700000000 + 1000 / ticks));
}

TEST_CASE("process metrics: an unreadable or malformed /proc leaves the metrics unset instead of wrong") {
  CHECK(!csrop::readProcessStats("/nonexistent-proc"));
  CHECK(!csrop::readProcessStats(FakeProc(kStat, "cpu 1 2 3\n").dir.path()));                 // no btime
  CHECK(!csrop::readProcessStats(FakeProc("4242 (short) S 1 2\n", "btime 1\n").dir.path()));  // too few fields
  csrop::Metrics m;
  csrop::updateProcessMetrics(m, "/nonexistent-proc");
  CHECK(m.render().find("\nprocess_open_fds ") == std::string::npos);
}

TEST_CASE("process metrics: this test process, from the real /proc") {
  const auto s = csrop::readProcessStats();
  REQUIRE(s);
  CHECK(s->residentBytes > 1024 * 1024);
  CHECK(s->openFds >= 3);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(s->startTimeSeconds <= now + 1);
  CHECK(s->startTimeSeconds > now - 24 * 3600);
}

namespace {

csrop::CachedCsr cached(const std::string& signer, csrop::CsrPhase phase, const std::string& created) {
  csrop::CachedCsr c;
  c.csr.spec.signerName = signer;
  c.csr.metadata.creationTimestamp = created;
  c.phase = phase;
  return c;
}

}  // namespace

TEST_CASE("CSR backlog: oldest pending age and approved-unissued count per handled signer, zero series for quiet signers") {
  const std::string serving = "kubernetes.io/kubelet-serving", client = "kubernetes.io/kube-apiserver-client-kubelet";
  const auto now = *csrop::parseRfc3339("2026-12-02T12:00:00Z");
  const std::vector<csrop::CachedCsr> csrs = {
      cached(serving, csrop::CsrPhase::Pending, "2026-12-02T11:45:00Z"),
      cached(serving, csrop::CsrPhase::Pending, "2026-12-02T11:59:00Z"),
      cached(serving, csrop::CsrPhase::Pending, "not a time"),  // no age, but not a crash either
      cached(serving, csrop::CsrPhase::Approved, "2026-12-02T10:00:00Z"),
      cached(serving, csrop::CsrPhase::Issued, "2026-12-02T09:00:00Z"),
      cached(serving, csrop::CsrPhase::Failed, "2026-12-02T09:00:00Z"),
      cached(serving, csrop::CsrPhase::Denied, "2026-12-01T09:00:00Z"),
      cached("example.com/not-handled", csrop::CsrPhase::Pending, "2026-11-01T00:00:00Z"),
  };
  csrop::CsrBacklog tracker({serving, client});
  for (std::size_t i = 0; i < csrs.size(); ++i) {
    auto c = csrs[i];
    c.csr.metadata.name = "csr-" + std::to_string(i);
    tracker.update(c);
  }
  const auto backlog = tracker.bySigner(now);
  REQUIRE(backlog.size() == 2);
  CHECK(backlog.at(serving).oldestPendingAgeSeconds == 15 * 60);
  CHECK(backlog.at(serving).approvedUnissued == 1);
  CHECK(backlog.at(client).oldestPendingAgeSeconds == 0);
  CHECK(backlog.at(client).approvedUnissued == 0);
}

TEST_CASE("CSR backlog: follows each CSR through its phases and its deletion, counting it once in its current phase") {
  const std::string serving = "kubernetes.io/kubelet-serving";
  const auto now = *csrop::parseRfc3339("2026-12-02T12:00:00Z");
  csrop::CsrBacklog tracker({serving});
  const auto as = [&](const std::string& name, csrop::CsrPhase phase, const std::string& created) {
    auto c = cached(serving, phase, created);
    c.csr.metadata.name = name;
    return c;
  };
  tracker.update(as("old", csrop::CsrPhase::Pending, "2026-12-02T11:00:00Z"));
  tracker.update(as("new", csrop::CsrPhase::Pending, "2026-12-02T11:50:00Z"));
  tracker.update(as("old", csrop::CsrPhase::Pending, "2026-12-02T11:00:00Z"));  // a repeated event counts once
  CHECK(tracker.bySigner(now).at(serving).oldestPendingAgeSeconds == 3600);

  tracker.update(as("old", csrop::CsrPhase::Approved, "2026-12-02T11:00:00Z"));
  auto b = tracker.bySigner(now).at(serving);
  CHECK(b.oldestPendingAgeSeconds == 600);
  CHECK(b.approvedUnissued == 1);

  tracker.update(as("old", csrop::CsrPhase::Issued, "2026-12-02T11:00:00Z"));
  b = tracker.bySigner(now).at(serving);
  CHECK(b.approvedUnissued == 0);
  CHECK(b.oldestPendingAgeSeconds == 600);

  tracker.update(as("approved", csrop::CsrPhase::Approved, "2026-12-02T11:55:00Z"));
  tracker.remove("approved");
  tracker.remove("new");
  tracker.remove("never-seen");
  b = tracker.bySigner(now).at(serving);
  CHECK(b.approvedUnissued == 0);
  CHECK(b.oldestPendingAgeSeconds == 0);
}
