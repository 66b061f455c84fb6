// The soak test's parts: its settings, simulated kubelets filing CSRs at a steady rate, the two
// operator replicas with their /proc usage, and the fake's audit log folded into what happened
// to each CSR, checked against what its kubelet intended (tests/soak/README.md).
#pragma once

#include "FakeCluster.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>

namespace soak {

using Wall = std::chrono::system_clock;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Length and seed come from the environment (CSR_SOAK_SECONDS, CSR_SOAK_SEED) so one binary runs
// the short CI soak and a long one on demand (scripts/soak.sh); the seed is always logged.
struct Settings {
  seconds length;
  uint64_t seed;
  double csrsPerSecond = 2;
  // After the last fault, every CSR is decided within this bound (CSR_SOAK_DECIDE_BOUND_SECONDS).
  seconds decideBound{30};
  static Settings fromEnvironment(seconds defaultLength);
};

// One CSR a kubelet (or an intruder) filed, and what must become of it.
struct Filed {
  std::string name, uid, story, signer;
  bool honest = false;
};

// Simulated kubelets on `nodes` Nodes: honest serving and client certificate rotations and
// re-filed requests, and hostile requests (another node's address, foreign IP or DNS name, a CA
// request, the API server's name, a requester that is no node).
class Kubelets {
 public:
  Kubelets(itest::FakeCluster& cluster, int nodes, uint64_t seed);
  // Files the next CSR of the seeded mix (hostile ones only when `hostile`); retries through the
  // injected faults as a kubelet does. False (and an entry in errors()) when the API server
  // refused it or did not take it within 30 s.
  bool fileNext(bool hostile = true);
  std::vector<Filed> filed() const;
  std::vector<std::string> errors() const;
  size_t count() const;
  // Turns in which every node still waited for its CSR of the chosen kind.
  size_t skipped() const;

 private:
  struct Node {
    std::string name, ip;
    std::unique_ptr<k8s::KubeClient> client;
    std::string lastServingPem;
  };
  bool slotFree(const std::string& slot);
  bool file(k8s::KubeClient& client, const std::string& story, bool honest, const std::string& pem, const std::string& signer,
            std::vector<std::string> usages);
  itest::FakeCluster& cluster_;
  std::vector<Node> nodes_;
  std::unique_ptr<k8s::KubeClient> admin_, intruder_;
  std::mt19937_64 rng_;
  mutable std::mutex mu_;
  std::vector<Filed> filed_;
  std::vector<std::string> errors_;
  std::map<std::string, std::string> slots_;  // requester|signer|names -> the CSR filed last for them
  size_t skipped_ = 0;
  int serial_ = 0;
};

// What /proc says about a process.
struct Usage {
  long rssKiB = 0;
  long threads = 0;
  long fds = 0;
  std::string text() const;
};
Usage usageOf(int pid);

// csr-operator replicas with leader election against one fake API server, each with its own user
// (soak-replica-a, -b) so a lease partition can cut off one of them.
class Replicas {
 public:
  Replicas(itest::FakeCluster& cluster, const std::string& configYaml, int count = 2);
  void startAll();
  itest::OperatorProcess& at(size_t i) { return *ops_[i]; }
  size_t size() const { return ops_.size(); }
  std::string user(size_t i) const { return users_[i]; }
  // The index of the replica that reports csr_operator_leader 1, if exactly one does.
  std::optional<size_t> leader();
  // Names of replicas that are not running (they must never exit on their own).
  std::vector<std::string> exited();

 private:
  std::vector<std::unique_ptr<itest::OperatorProcess>> ops_;
  std::vector<std::string> users_;
};

// The audit log of the fake (--audit-log), read incrementally and folded per CSR uid.
struct CsrHistory {
  std::string name;
  std::optional<Wall::time_point> createdAt, approvedAt, deniedAt, failedAt, issuedAt;
  std::string certificateSha, issuedBy;
  int published = 0;  // successful status writes that set a certificate where there was none
  int replaced = 0;   // successful status writes that changed an existing certificate
  // Status writes carrying a certificate after one was published: answered 409 Conflict, the
  // writer had read the CSR before the publication (a replica killed or cut off mid-write, whose
  // write the API server finished anyway): signed twice, published once, unavoidable. Any other
  // answer means the writer had seen the certificate and signed anyway.
  int staleAttempts = 0;
  int lateAttempts = 0;
};

class AuditFold {
 public:
  explicit AuditFold(std::string path) : path_(std::move(path)) {}
  void readNew();
  const std::map<std::string, CsrHistory>& byUid() const { return csrs_; }
  size_t entries() const { return entries_; }
  // Entries by verb and user, e.g. "update soak-replica-a certificatesigningrequests/status 200".
  const std::map<std::string, int>& tally() const { return tally_; }

 private:
  std::string path_;
  std::streamoff offset_ = 0;
  size_t entries_ = 0;
  std::map<std::string, CsrHistory> csrs_;
  std::map<std::string, int> tally_;
};

// Safety, checked continuously: no hostile CSR approved or signed, no certificate published twice
// or replaced, no certificate signed again once one was published.
std::vector<std::string> safetyViolations(const AuditFold& audit, const std::vector<Filed>& filed);
// Liveness, at the end: every filed CSR decided as intended (honest: issued; hostile: denied),
// within `bound` of max(its creation, faultsStopped).
std::vector<std::string> livenessViolations(const AuditFold& audit, const std::vector<Filed>& filed, Wall::time_point faultsStopped,
                                            seconds bound);
// Signatures that lost the race to an earlier publication (CsrHistory::staleAttempts), over all CSRs.
int staleSignings(const AuditFold& audit);
// Every filed CSR is decided in the audit log.
bool allDecided(const AuditFold& audit, const std::vector<Filed>& filed);

// The operator configuration of the soak: both kubelet signers, leader election with short
// timings, the node-address rules answered at once (addressSettle 0s) so a hostile request is
// denied instead of waiting for a Node that will never list the address. `signerOptions` are
// flow-style keys added to both signer entries (", includeChain: true").
std::string operatorConfig(const std::string& caCertFile, const std::string& caKeyFile, const std::string& signerOptions = "");

// With CSR_SOAK_KEEP=DIR, copies the run's files (operator and fake logs, audit log, configs) to
// DIR/<case> when it goes out of scope, also after a failed REQUIRE, for a post-mortem: the
// temporary directories go away with the test.
class KeepArtifacts {
 public:
  KeepArtifacts(std::string testCase, const itest::FakeCluster& cluster, const testpki::TempDir& files)
      : testCase_(std::move(testCase)), cluster_(cluster), files_(files) {}
  ~KeepArtifacts();
  KeepArtifacts(const KeepArtifacts&) = delete;
  KeepArtifacts& operator=(const KeepArtifacts&) = delete;

 private:
  std::string testCase_;
  const itest::FakeCluster& cluster_;
  const testpki::TempDir& files_;
};

std::string sha256Hex(const std::string& data);
Wall::time_point parseTimestamp(const std::string& rfc3339Micro);
std::string describe(const std::vector<std::string>& violations);

}  // namespace soak
