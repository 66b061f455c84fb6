// Garbage collection with the real binary: finished CSRs are deleted once their time is up,
// including approved CSRs that no signer ever issued; recent and pending ones stay.
#include "Scenario.h"
#include "k8sclient/ApiError.h"

#include <doctest/doctest.h>

using namespace itest;

TEST_CASE("e2e: garbage collection deletes what is due and nothing else") {
  Scenario s;
  // An approver without a signer for kubelet-serving: approved serving CSRs stay unissued.
  const std::string config =
      "leaderElection: {enabled: false}\n"
      "gc: {enabled: true, interval: 10s, approvedExpiration: 1s, deniedExpiration: 1s, approvedUnissuedExpiration: 1s}\n"
      // "denied" names a DNS name no Node lists: denied at once, not after the default addressSettle.
      "approver: {kubeletServing: {addressSettle: 0s}}\n";
  s.createServing("unissued", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  s.createServing("denied", "worker-1", Scenario::servingRequest("worker-1", {"worker-9"}, {}));
  OperatorProcess op(s.cluster, "gc", config, s.operatorKubeconfig());
  op.start();
  auto& admin = s.cluster.admin();
  REQUIRE(k8s::hasCondition(waitForCsr(admin, "unissued", [](const auto& c) { return k8s::hasCondition(c, "Approved"); }), "Approved"));
  REQUIRE(isDenied(waitForCsr(admin, "denied", isDenied)));
  s.cluster.createCsr(s.cluster.kubeconfigFor("mallory", {"developers"}), "pending-other-signer",
                      testpki::makeCsr(testpki::nodeClientCsr("x")), "example.com/unhandled", {"digital signature", "client auth"});

  auto gone = [&](const std::string& name) {
    try {
      admin.get<k8s::CertificateSigningRequest>(name);
      return false;
    } catch (const std::exception& e) {
      return k8s::isNotFound(e);
    }
  };
  CHECK(eventually([&] { return gone("unissued") && gone("denied"); }, std::chrono::seconds(25), std::chrono::milliseconds(250)));
  CHECK_FALSE(gone("pending-other-signer"));
  // Counted just after each DELETE returns, so after the CSR is gone.
  CHECK(eventually(
      [&] {
        return op.metric("csr_operator_gc_deleted_total", {"approved but never issued"}) == 1 &&
               op.metric("csr_operator_gc_deleted_total", {"reason=\"denied\""}) == 1;
      },
      std::chrono::seconds(10)));
  CHECK(op.stop() == 0);
}
