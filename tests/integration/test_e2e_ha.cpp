// Two replicas with leader election: only the leader works, no CSR is signed twice, the standby
// takes over when the leader dies, and a clean shutdown releases the lease at once.
#include "Scenario.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <ctime>
#include <optional>
#include <thread>

using namespace itest;

TEST_CASE("e2e: two replicas never sign a CSR twice and fail over") {
  Scenario s;
  // Twelve CSRs from one node at once, each for another name: identical pending ones would be
  // decided once, on the newest (DuplicateRequests).
  const std::string names12 = "approver: {kubeletServing: {dnsNameRegexes: ['{node}-[0-9]+\\.ha\\.example']}}\n";
  OperatorProcess a(s.cluster, "replica-a", s.config(true, names12), s.operatorKubeconfig());
  OperatorProcess b(s.cluster, "replica-b", s.config(true, names12), s.operatorKubeconfig());
  a.start();
  b.start();
  REQUIRE(eventually([&] { return a.metric("csr_operator_leader") + b.metric("csr_operator_leader") == 1; }, std::chrono::seconds(10)));

  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    names.push_back("ha-" + std::to_string(i));
    s.createServing(names.back(), "worker-1",
                    Scenario::servingRequest("worker-1", {"worker-1-" + std::to_string(i) + ".ha.example"}, {"10.0.0.1"}));
  }
  for (const auto& n : names) REQUIRE(isIssued(waitForCsr(s.cluster.admin(), n, isIssued)));
  // Each counter moves just after its status write returns, so after the certificate is visible.
  CHECK(eventually(
      [&] { return a.metric("csr_operator_certificates_issued_total") + b.metric("csr_operator_certificates_issued_total") == 12; },
      std::chrono::seconds(10)));

  OperatorProcess& leader = a.metric("csr_operator_leader") == 1 ? a : b;
  OperatorProcess& standby = &leader == &a ? b : a;
  CHECK(standby.metric("csr_operator_certificates_issued_total") == 0);
  CHECK(leader.metric("csr_operator_certificates_issued_total") == 12);

  SUBCASE("the standby takes over when the leader is killed") {
    leader.kill();
    const auto killedAt = std::chrono::steady_clock::now();
    s.createServing("after-failover", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.2"}));
    auto csr = waitForCsr(s.cluster.admin(), "after-failover", isIssued, std::chrono::seconds(20));
    REQUIRE(isIssued(csr));
    // lease 3s + retry period: the standby must not wait much longer than the lease.
    CHECK(std::chrono::steady_clock::now() - killedAt < std::chrono::seconds(10));
    CHECK(standby.metric("csr_operator_leader") == 1);
    CHECK(eventually([&] { return standby.metric("csr_operator_certificates_issued_total") == 1; }, std::chrono::seconds(10)));
    CHECK(standby.stop() == 0);
  }

  SUBCASE("SIGTERM releases the lease and exits 0 within seconds") {
    const auto started = std::chrono::steady_clock::now();
    CHECK(leader.stop() == 0);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    REQUIRE(eventually([&] { return standby.metric("csr_operator_leader") == 1; }, std::chrono::seconds(5)));
    CHECK(leader.log().find("released lease") != std::string::npos);
    CHECK(standby.stop() == 0);
    auto lease = s.cluster.admin().get<k8s::Lease>("csr-operator", "kube-system");
    CHECK(lease.holderIdentity.value_or("") == "");
  }
}

namespace {

// A Lease's renewTime (metav1.MicroTime, "2026-11-23T11:22:50.123456Z").
std::optional<std::chrono::system_clock::time_point> parseMicroTime(const std::string& text) {
  std::tm tm{};
  int micros = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                  &micros) != 7)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::microseconds(micros);
}

// The CSR stays untouched for `window`: no condition, no certificate.
bool untouchedFor(k8s::KubeClient& admin, const std::string& name, std::chrono::milliseconds window) {
  const auto until = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < until) {
    auto csr = admin.get<k8s::CertificateSigningRequest>(name);
    if (!csr.status.conditions.empty() || !csr.status.certificate.empty()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

}  // namespace

TEST_CASE("e2e: a live leader that loses its lease stops writing at once and resumes when it holds it again") {
  Scenario s;
  OperatorProcess op(s.cluster, "leader", s.config(true), s.operatorKubeconfig());
  op.start();
  REQUIRE(eventually([&] { return op.metric("csr_operator_leader") == 1; }, std::chrono::seconds(10)));
  s.createServing("before", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  REQUIRE(isIssued(waitForCsr(s.cluster.admin(), "before", isIssued)));

  SUBCASE("cut off from the lease: leadership ends at renewDeadline while watches still flow") {
    // Scenario::config: leaseDuration 3s, renewDeadline 2s, retryPeriod 500ms. Only the operator's
    // user (admin) is cut off, so the test can still read which renewal got through last.
    auto observer = s.cluster.clientFor(s.cluster.kubeconfigFor("lease-observer", {"system:masters"}));
    const auto cutAt = std::chrono::steady_clock::now();
    s.cluster.fault({{"partition", {{"resource", "leases"}, {"code", 503}, {"milliseconds", 7000}, {"user", "admin"}}}});
    REQUIRE(eventually([&] { return op.metric("csr_operator_leader") == 0; }, std::chrono::seconds(4), std::chrono::milliseconds(50)));
    const auto demotedAt = std::chrono::system_clock::now();
    CHECK(std::chrono::steady_clock::now() - cutAt < std::chrono::milliseconds(3000));
    // Leadership lasts renewDeadline from the last renewal that succeeded, never less (giving up on
    // the first failed renewal would end it about retryPeriod after it) and not past leaseDuration,
    // when a standby may take over. Timed from that renewal, not from the cut: on a busy machine the
    // last renewal can be more than a retryPeriod older than the cut.
    const auto lastRenewal = parseMicroTime(observer->get<k8s::Lease>("csr-operator", "kube-system").renewTime.value_or(""));
    REQUIRE(lastRenewal.has_value());
    CHECK(demotedAt - *lastRenewal >= std::chrono::milliseconds(1990));
    CHECK(demotedAt - *lastRenewal < std::chrono::milliseconds(3000));
    // The metric follows isLeader() at once; the elector's own loop logs on its next turn.
    CHECK(eventually([&] { return op.log().find("no renewal within 2000ms") != std::string::npos; }, std::chrono::seconds(2)));

    s.createServing("during", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
    CHECK(untouchedFor(s.cluster.admin(), "during", std::chrono::seconds(2)));
    CHECK(op.metric("csr_operator_certificates_issued_total") == 1);

    auto csr = waitForCsr(s.cluster.admin(), "during", isIssued, std::chrono::seconds(15));
    CHECK(isIssued(csr));
    CHECK(op.metric("csr_operator_leader") == 1);
    CHECK(std::chrono::steady_clock::now() - cutAt >= std::chrono::milliseconds(7000));
  }

  SUBCASE("another holder takes the lease: leadership ends on the next renewal") {
    auto& admin = s.cluster.admin();
    auto lease = admin.get<k8s::Lease>("csr-operator", "kube-system");
    lease.holderIdentity = "intruder";
    lease.leaseDurationSeconds = 3600;
    lease.renewTime = k8s::nowRfc3339Micro();
    const auto takenAt = std::chrono::steady_clock::now();
    admin.update(lease);
    REQUIRE(eventually([&] { return op.metric("csr_operator_leader") == 0; }, std::chrono::seconds(3), std::chrono::milliseconds(50)));
    // The renew loop runs every retryPeriod (500ms); waiting for renewDeadline would be 2s.
    CHECK(std::chrono::steady_clock::now() - takenAt < std::chrono::milliseconds(1500));
    CHECK(eventually([&] { return op.log().find("now held by intruder") != std::string::npos; }, std::chrono::seconds(2)));

    s.createServing("while-held", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
    CHECK(untouchedFor(admin, "while-held", std::chrono::seconds(2)));
    CHECK(op.metric("csr_operator_decisions_total") == 1);

    lease = admin.get<k8s::Lease>("csr-operator", "kube-system");
    lease.holderIdentity = std::nullopt;
    lease.leaseDurationSeconds = 1;
    admin.update(lease);
    auto csr = waitForCsr(admin, "while-held", isIssued, std::chrono::seconds(10));
    CHECK(isIssued(csr));
    CHECK(op.metric("csr_operator_leader") == 1);
  }
  CHECK(op.stop() == 0);
}
