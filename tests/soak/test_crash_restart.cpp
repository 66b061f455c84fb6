// kill -9 of the leader at random points of a burst, in the windows the fake's latency holds
// open: after an approval is stored and before its answer (between approval and signing), before
// a status write reaches the store, and after it is stored but before its answer. The replica is
// restarted each time; every honest CSR is still issued exactly once and none is left approved
// but unissued.
#include "Soak.h"

#include <doctest/doctest.h>

#include <iostream>
#include <thread>

using namespace soak;

TEST_CASE("soak: kill -9 of the leader between approval and signing or during a status write, then a restart, issues exactly once") {
  const Settings settings = Settings::fromEnvironment(seconds(0));
  std::cout << "crash-restart: seed " << settings.seed << " (CSR_SOAK_SEED)" << std::endl;
  testpki::TempDir files;
  const std::string auditLog = (files.path() / "audit.log").string();
  itest::FakeCluster cluster({.rbacFiles = {SOAK_REQUESTERS_RBAC}, .extraArgs = {"--audit-log", auditLog}});
  const KeepArtifacts keep("crash-restart", cluster, files);
  const testpki::TestCa ca = testpki::makeCa({});
  const std::string caCert = files.write("ca.crt", ca.certPem()), caKey = files.write("ca.key", testpki::keyPem(ca.key.get()));
  Kubelets kubelets(cluster, 6, settings.seed);
  Replicas replicas(cluster, operatorConfig(caCert, caKey), 2);
  replicas.startAll();
  AuditFold audit(auditLog);
  std::mt19937_64 rng(settings.seed + 1);

  struct Window {
    const char* name;
    const char* resource;
    bool afterWrite;
  };
  const Window windows[] = {{"between approval and signing", "certificatesigningrequests/approval", true},
                            {"before a status write is stored", "certificatesigningrequests/status", false},
                            {"after a status write is stored, before its answer", "certificatesigningrequests/status", true}};
  std::vector<size_t> rounds = {0, 1, 2, 0, 1, 2};
  std::shuffle(rounds.begin(), rounds.end(), rng);
  int killsWhileHeld = 0, takeovers = 0;
  for (size_t round = 0; round < rounds.size(); ++round) {
    const Window& window = windows[rounds[round]];
    INFO("round: kill -9 ", std::string(window.name));
    std::optional<size_t> leader;
    REQUIRE(itest::eventually([&] { return (leader = replicas.leader()).has_value(); }, seconds(20)));
    cluster.fault(
        {{"latency",
          {{"resource", window.resource}, {"milliseconds", 1500}, {"afterWrite", window.afterWrite}, {"forMilliseconds", 8000}}}});
    const size_t before = kubelets.count();
    for (int i = 0; i < 8; ++i) REQUIRE(kubelets.fileNext(i == 7));
    // A write of this window is held: kill at a random point inside the hold.
    const bool held = itest::eventually([&] { return cluster.admin().requestJson("GET", "/fake/faults")["held"].get<int>() > 0; },
                                        seconds(15), milliseconds(20));
    CHECK(held);
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 800)(rng)));
    if (cluster.admin().requestJson("GET", "/fake/faults")["held"].get<int>() > 0) ++killsWhileHeld;
    replicas.at(*leader).kill();
    std::cout << "crash-restart: killed " << replicas.user(*leader) << " " << window.name << std::endl;
    // Every other round the other replica takes over first; else the killed one comes back at
    // once, finds the lease still its own and goes on as leader.
    if (round % 2 == 1) {
      CHECK(itest::eventually([&] { return replicas.leader() == 1 - *leader; }, seconds(15)));
      ++takeovers;
    }
    replicas.at(*leader).start();
    const auto burst = kubelets.filed();
    const std::vector<Filed> mine(burst.begin() + static_cast<long>(before), burst.end());
    CHECK(itest::eventually(
        [&] {
          audit.readNew();
          return allDecided(audit, mine);
        },
        seconds(60), milliseconds(250)));
  }

  audit.readNew();
  const auto filed = kubelets.filed();
  CHECK_MESSAGE(safetyViolations(audit, filed).empty(), describe(safetyViolations(audit, filed)));
  CHECK_MESSAGE(allDecided(audit, filed), describe(livenessViolations(audit, filed, Wall::now(), seconds(3600))));
  int issued = 0;
  for (const auto& csr : cluster.admin().list<k8s::CertificateSigningRequest>().items) {
    INFO("csr ", csr.metadata.name);
    CHECK_FALSE((k8s::hasCondition(csr, "Approved") && !itest::isIssued(csr)));
    issued += itest::isIssued(csr);
  }
  std::cout << "crash-restart figures: " << rounds.size() << " kills -9 of the leader, " << killsWhileHeld
            << " while a write of the window was held, " << takeovers << " taken over by the other replica before the restart, "
            << filed.size() << " CSRs, " << issued << " issued, " << staleSignings(audit)
            << " signatures that lost to an earlier publication" << std::endl;
  // Most kills land inside the hold (1.5 s, killed within 0.8 s of it starting).
  CHECK(killsWhileHeld >= static_cast<int>(rounds.size()) / 2);
  for (size_t i = 0; i < replicas.size(); ++i) CHECK(replicas.at(i).stop() == 0);
}
