// The operator's client rate limit against the real binary: with the defaults (QPS 20, burst 40,
// what kube-controller-manager users expect) a burst of CSRs never makes it send more than the
// token bucket allows, and it is served as fast as the bucket allows, not slower. Judged from the
// fake API server's audit log (one line per write, with the time it was served).
#include "RequestRate.h"
#include "Scenario.h"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

using namespace itest;
using namespace std::chrono_literals;

TEST_CASE("e2e: client limits: a burst of CSRs stays within QPS 20 / burst 40 and is served at the rate they allow") {
  constexpr double kQps = 20, kBurst = 40;
  constexpr int kCsrs = 120;
  ClusterOptions options;
  testpki::TempDir logs;
  const auto audit = (logs.path() / "audit.log").string();
  options.extraArgs = {"--audit-log", audit};
  Scenario s(options);
  // Each CSR asks for a name of its own (identical ones would be decided once, on the newest), and
  // the flood guard is opened wide so that every CSR is worked on as soon as the limit allows.
  // All of them before the operator starts: the whole burst is there at its first list, so
  // nothing but the limit can hold the operator back.
  for (int i = 0; i < kCsrs; ++i) {
    const std::string node = i % 2 == 0 ? "worker-1" : "worker-2";
    s.createServing("burst-" + std::to_string(i), node,
                    Scenario::servingRequest(node, {"csr-" + std::to_string(i) + "." + node + ".example.com"}, {}));
  }
  OperatorProcess op(s.cluster, "limits",
                     s.config(false,
                              "approver: {maxPendingPerRequester: 1000, kubeletServing: {addressSettle: 0s, "
                              "dnsNameRegexes: ['csr-[0-9]+\\.{node}\\.example\\.com']}}\n"),
                     s.operatorKubeconfig());
  const double startedAt = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  op.start();
  auto& admin = s.cluster.admin();
  REQUIRE(eventually([&] { return op.log().find("client.qps=20 client.burst=40") != std::string::npos; }, 20s));
  for (int i = 0; i < kCsrs; ++i) REQUIRE(isIssued(waitForCsr(admin, "burst-" + std::to_string(i), isIssued, 60s)));

  // The operator authenticates as admin; the Nodes were created as admin before it started.
  std::vector<double> writes;
  for (double t : auditedWriteTimes(audit, "admin"))
    if (t >= startedAt) writes.push_back(t);
  REQUIRE(writes.size() >= 2 * kCsrs);  // an approval and a certificate per CSR, and a few Events
  CAPTURE(writes.size());
  // The server stamps a write when it has served it, a moment after the client took its token.
  CHECK(largestBurst(writes, kQps) <= kBurst + 2);
  // Reads (lists, watches) take tokens too, so the writes alone take at least this long ...
  const double took = writes.back() - writes.front();
  const double fastestAllowed = (static_cast<double>(writes.size()) - kBurst) / kQps;
  CAPTURE(took);
  CAPTURE(fastestAllowed);
  CHECK(took >= fastestAllowed - 0.5);
  // ... and the operator keeps up with its budget: nothing but the limit holds it back.
  CHECK(took <= 1.2 * fastestAllowed + 1.5);
  // An approval and a certificate per CSR; approval Events only up to their burst, one a second
  // and a combined one every 10 s (controller/EventRecorder.h), not one per CSR.
  CHECK(static_cast<double>(writes.size()) <= 2 * kCsrs + 25 + took + took / 10 + 2);
}
