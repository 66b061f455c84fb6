// Two replicas with leader election: only the leader works, no CSR is signed twice, the standby
// takes over when the leader dies, and a clean shutdown releases the lease at once.
#include "Scenario.h"

#include <doctest/doctest.h>

using namespace itest;

TEST_CASE("e2e: two replicas never sign a CSR twice and fail over") {
  Scenario s;
  OperatorProcess a(s.cluster, "replica-a", s.config(true), s.operatorKubeconfig());
  OperatorProcess b(s.cluster, "replica-b", s.config(true), s.operatorKubeconfig());
  a.start();
  b.start();
  REQUIRE(eventually([&] { return a.metric("csr_operator_leader") + b.metric("csr_operator_leader") == 1; }, std::chrono::seconds(10)));

  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) {
    names.push_back("ha-" + std::to_string(i));
    s.createServing(names.back(), "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  }
  for (const auto& n : names) REQUIRE(isIssued(waitForCsr(s.cluster.admin(), n, isIssued)));
  CHECK(a.metric("csr_operator_certificates_issued_total") + b.metric("csr_operator_certificates_issued_total") == 12);

  OperatorProcess& leader = a.metric("csr_operator_leader") == 1 ? a : b;
  OperatorProcess& standby = &leader == &a ? b : a;
  CHECK(standby.metric("csr_operator_certificates_issued_total") == 0);
  const auto issuedByLeader = leader.metric("csr_operator_certificates_issued_total");
  CHECK(issuedByLeader == 12);

  SUBCASE("the standby takes over when the leader is killed") {
    leader.kill();
    const auto killedAt = std::chrono::steady_clock::now();
    s.createServing("after-failover", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.2"}));
    auto csr = waitForCsr(s.cluster.admin(), "after-failover", isIssued, std::chrono::seconds(20));
    REQUIRE(isIssued(csr));
    // lease 3s + retry period: the standby must not wait much longer than the lease.
    CHECK(std::chrono::steady_clock::now() - killedAt < std::chrono::seconds(10));
    CHECK(standby.metric("csr_operator_leader") == 1);
    CHECK(standby.metric("csr_operator_certificates_issued_total") == 1);
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
