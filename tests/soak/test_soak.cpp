// The soak: two csr-operator replicas against the fake API server while simulated kubelets file
// CSRs at a steady rate and the fake injects random faults; the invariants are checked on the
// fake's audit log as the run goes and at the end (tests/soak/README.md).
#include "FaultSchedule.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <thread>

using namespace soak;

namespace {

#ifdef CSR_SOAK_SANITIZED
// ASan's quarantine keeps freed memory resident, so RSS says nothing about leaks there (LSan does).
constexpr bool kCheckRss = false;
constexpr seconds kDefaultLength{60};
#else
constexpr bool kCheckRss = true;
constexpr seconds kDefaultLength{180};
#endif
// Growth allowed between the end of the warm-up and the end of the run, per replica.
constexpr long kRssMarginKiB = 32 * 1024;  // or a quarter of the warm-up RSS, whichever is larger
constexpr long kThreadMargin = 8;
constexpr long kFdMargin = 16;

std::string counts(const std::map<std::string, int>& m) {
  std::string out;
  for (const auto& [k, n] : m) out += (out.empty() ? "" : ", ") + k + " " + std::to_string(n);
  return out;
}

}  // namespace

TEST_CASE("soak: two replicas under random faults issue every honest CSR exactly once and nothing hostile") {
  const Settings settings = Settings::fromEnvironment(kDefaultLength);
  std::cout << "soak: seed " << settings.seed << " (CSR_SOAK_SEED), " << settings.length.count() << " s (CSR_SOAK_SECONDS)" << std::endl;
  testpki::TempDir files;
  const std::string auditLog = (files.path() / "audit.log").string();
  itest::FakeCluster cluster({.rbacFiles = {SOAK_REQUESTERS_RBAC}, .extraArgs = {"--audit-log", auditLog}});
  const KeepArtifacts keep("soak", cluster, files);
  const testpki::TestCa ca = testpki::makeCa({});
  const std::string caCert = files.write("ca.crt", ca.certPem()), caKey = files.write("ca.key", testpki::keyPem(ca.key.get()));
  Kubelets kubelets(cluster, 8, settings.seed);
  Replicas replicas(cluster, operatorConfig(caCert, caKey), 2);
  replicas.startAll();
  REQUIRE(itest::eventually([&] { return replicas.leader().has_value(); }, seconds(20)));
  FaultSchedule faults(cluster, replicas, settings.seed + 1);
  AuditFold audit(auditLog);
  std::mt19937_64 rng(settings.seed + 2);

  const auto start = Steady::now();
  const auto runEnd = start + settings.length;
  // The last quarter (at least 20 s) is fault-free: the bound on deciding is measured from there.
  const auto faultsEnd = runEnd - std::max<Steady::duration>(seconds(20), settings.length / 4);
  const auto warmupEnd = start + std::max<Steady::duration>(seconds(20), settings.length / 6);
  std::jthread filer([&](std::stop_token stop) {
    const auto period = std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(1.0 / settings.csrsPerSecond));
    for (auto next = Steady::now(); !stop.stop_requested() && Steady::now() < runEnd; next += period) {
      kubelets.fileNext();
      std::this_thread::sleep_until(next + period);
    }
  });

  std::vector<std::string> violations;
  auto note = [&](const std::vector<std::string>& found) {
    for (const auto& v : found)
      if (std::find(violations.begin(), violations.end(), v) == violations.end()) violations.push_back(v);
  };
  std::vector<Usage> baseline;
  auto nextFault = start + seconds(5);
  auto nextCheck = start + seconds(5);
  while (Steady::now() < runEnd) {
    const auto now = Steady::now();
    for (const auto& name : replicas.exited()) note({name + " exited"});
    if (baseline.empty() && now >= warmupEnd)
      for (size_t i = 0; i < replicas.size(); ++i) baseline.push_back(usageOf(replicas.at(i).process().pid()));
    if (now >= nextFault && now < faultsEnd) {
      faults.injectNext();
      nextFault = Steady::now() + milliseconds(std::uniform_int_distribution<int>(1500, 4500)(rng));
    }
    if (now >= nextCheck) {
      audit.readNew();
      note(safetyViolations(audit, kubelets.filed()));
      nextCheck = now + seconds(5);
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  filer.request_stop();
  filer.join();
  const Wall::time_point faultsStopped = faults.quietFrom();
  const auto filed = kubelets.filed();
  CHECK_MESSAGE(kubelets.errors().empty(), describe(kubelets.errors()));

  // Everything filed is decided within the bound after the faults stopped (or after its creation).
  const bool decided = itest::eventually(
      [&] {
        audit.readNew();
        return allDecided(audit, filed);
      },
      settings.decideBound + seconds(5), milliseconds(500));
  CHECK(decided);
  for (const auto& name : replicas.exited()) note({name + " exited"});
  note(safetyViolations(audit, filed));
  note(livenessViolations(audit, filed, faultsStopped, settings.decideBound));

  // The API's final state agrees with the audit log: the published certificate is the one stored.
  auto list = cluster.admin().list<k8s::CertificateSigningRequest>();
  std::map<std::string, const k8s::CertificateSigningRequest*> stored;
  for (const auto& c : list.items) stored[c.metadata.uid] = &c;
  size_t issued = 0, denied = 0;
  for (const auto& f : filed) {
    const auto it = stored.find(f.uid);
    if (it == stored.end()) {
      note({f.name + ": missing from the API"});
      continue;
    }
    const auto& csr = *it->second;
    if (itest::isIssued(csr)) ++issued;
    if (itest::isDenied(csr)) ++denied;
    if (k8s::hasCondition(csr, "Approved") && !itest::isIssued(csr)) note({f.name + ": approved but not issued"});
    const auto history = audit.byUid().find(f.uid);
    if (itest::isIssued(csr) && (history == audit.byUid().end() || history->second.certificateSha != sha256Hex(csr.status.certificate)))
      note({f.name + ": the stored certificate is not the one the audit log saw published"});
  }

  if (baseline.empty())  // a run shorter than the warm-up
    for (size_t i = 0; i < replicas.size(); ++i) baseline.push_back(usageOf(replicas.at(i).process().pid()));
  std::vector<Usage> end;
  for (size_t i = 0; i < replicas.size(); ++i) end.push_back(usageOf(replicas.at(i).process().pid()));
  REQUIRE(baseline.size() == end.size());
  const auto honest = std::count_if(filed.begin(), filed.end(), [](const Filed& f) { return f.honest; });
  std::ostringstream figures;
  figures << "soak figures: seed " << settings.seed << ", " << settings.length.count() << " s, " << filed.size() << " CSRs filed ("
          << honest << " honest, " << filed.size() - honest << " hostile; " << kubelets.skipped()
          << " turns skipped, every node still waiting), " << issued << " issued, " << denied << " denied, " << faults.apiRequests()
          << " API requests, " << audit.entries() << " audited writes, " << staleSignings(audit)
          << " signatures that lost to an earlier publication; faults: " << counts(faults.counts()) << "\n";
  for (size_t i = 0; i < replicas.size(); ++i) {
    figures << "  " << replicas.user(i) << ": after warm-up " << baseline[i].text() << "; at the end " << end[i].text() << "\n";
    const long rssMargin = std::max(kRssMarginKiB, baseline[i].rssKiB / 4);
    if (kCheckRss && end[i].rssKiB > baseline[i].rssKiB + rssMargin) note({replicas.user(i) + ": RSS grew beyond the margin"});
    if (end[i].threads > baseline[i].threads + kThreadMargin) note({replicas.user(i) + ": threads grew beyond the margin"});
    if (end[i].fds > baseline[i].fds + kFdMargin) note({replicas.user(i) + ": file descriptors grew beyond the margin"});
  }
  std::cout << figures.str() << std::flush;
  CHECK_MESSAGE(violations.empty(), "seed ", settings.seed, ":", describe(violations));
  CHECK(issued == static_cast<size_t>(honest));
  CHECK(denied == filed.size() - honest);
  for (size_t i = 0; i < replicas.size(); ++i) CHECK(replicas.at(i).stop() == 0);
}
