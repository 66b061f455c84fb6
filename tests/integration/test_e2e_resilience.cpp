// Network faults between the operator and the API server lose nothing and sign nothing twice:
// dropped watches, 500s, 429s with Retry-After, expired resourceVersions (410) and an API
// server restart.
#include "Scenario.h"
#include "k8sclient/ApiError.h"

#include <doctest/doctest.h>

using namespace itest;

TEST_CASE("e2e: faults lose no CSR and sign none twice") {
  Scenario s;
  OperatorProcess op(s.cluster, "op", s.config(), s.operatorKubeconfig());
  op.start();
  int created = 0;
  std::vector<std::string> names;
  auto createBatch = [&](const std::string& phase) {
    for (int i = 0; i < 3; ++i) {
      const std::string name = phase + "-" + std::to_string(i);
      const std::string node = i % 2 ? "worker-2" : "worker-1";
      const std::string ip = i % 2 ? "10.0.0.2" : "10.0.0.1";
      // -0 and -2 come from worker-1 at once: different names, or they would be identical pending
      // duplicates, decided once on the newest (DuplicateRequests).
      const auto pem =
          i == 2 ? Scenario::servingRequest(node, {node, node + ".cluster.internal"}, {ip}) : Scenario::servingRequest(node, {node}, {ip});
      // The injected faults hit the test's own requests too; a client retries those like any other.
      REQUIRE(eventually(
          [&] {
            try {
              s.createServing(name, node, pem);
              return true;
            } catch (const std::exception& e) {
              if (k8s::isAlreadyExists(e)) return true;
              return false;
            }
          },
          std::chrono::seconds(10), std::chrono::milliseconds(200)));
      names.push_back(name);
      ++created;
    }
  };
  auto allIssued = [&] {
    for (const auto& n : names) {
      auto csr = waitForCsr(s.cluster.admin(), n, isIssued, std::chrono::seconds(30));
      INFO("csr ", n);
      REQUIRE(isIssued(csr));
    }
  };

  createBatch("baseline");
  allIssued();

  s.cluster.fault({{"dropWatches", true}});
  createBatch("dropped");
  allIssued();

  // As with the throttle below: dropping the watches makes the operator's own re-list and re-watch
  // meet the errors, not only the test's requests.
  s.cluster.fault({{"dropWatches", true}, {"failNext", {{"count", 3}, {"code", 500}}}});
  std::this_thread::sleep_for(std::chrono::seconds(3));
  createBatch("errors");
  allIssued();

  // Dropping the watches together with the throttle makes the operator's own re-list and
  // re-watch the requests that get 429 (the test stays quiet meanwhile).
  s.cluster.fault({{"dropWatches", true}, {"throttleNext", {{"count", 3}, {"retryAfter", 1}}}});
  std::this_thread::sleep_for(std::chrono::seconds(4));
  createBatch("throttled");
  allIssued();

  s.cluster.fault({{"compact", true}});
  s.cluster.fault({{"dropWatches", true}});
  createBatch("expired");
  allIssued();

  s.cluster.restart();
  createBatch("restarted");
  allIssued();

  // Every certificate was issued exactly once: one counter increment and one log line per CSR. Both
  // come just after the status write returns, so they are awaited, then counted.
  CHECK(eventually(
      [&] {
        if (op.metric("csr_operator_certificates_issued_total") != created) return false;
        const std::string log = op.log();
        for (const auto& n : names)
          if (issuedLogLines(log, n) == 0) return false;
        return true;
      },
      std::chrono::seconds(10)));
  CHECK(op.metric("csr_operator_certificates_issued_total") == created);
  const std::string log = op.log();
  for (const auto& n : names) {
    INFO("csr ", n);
    CHECK(issuedLogLines(log, n) == 1);
  }
  CHECK(op.metric("csr_operator_watch_restarts_total", {"certificatesigningrequests"}) >= 2);
  CHECK(op.metric("csr_operator_api_requests_total", {"code=\"500\""}) >= 1);
  CHECK(op.metric("csr_operator_api_requests_total", {"code=\"429\""}) >= 1);
  CHECK(op.stop() == 0);
}
