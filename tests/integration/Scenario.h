// The cluster most end-to-end tests start from: a fake API server with two nodes, a CA on
// disk, and operator configurations that sign kubelet serving and client certificates.
#pragma once

#include "FakeCluster.h"

#include <string>

namespace itest {

struct Scenario {
  FakeCluster cluster;
  testpki::TestCa ca;
  std::string caCertFile, caKeyFile;

  explicit Scenario(ClusterOptions options = {});

  // Config with both kubelet signers, leader election as given (short timings for tests).
  std::string config(bool leaderElection = false, const std::string& extra = "") const;
  std::string operatorKubeconfig() { return cluster.adminKubeconfig(); }

  // CSR PEM for a node's serving certificate with the given SANs.
  static std::string servingRequest(const std::string& node, std::vector<std::string> dns, std::vector<std::string> ips,
                                    const std::string& cn = "");
  k8s::CertificateSigningRequest createServing(const std::string& name, const std::string& asNode, const std::string& pem);
};

// Events are best effort (one in flight when the API server restarts is dropped), so "issued once"
// is counted on the operator's own decision log: one "issued csr=NAME " line per certificate written.
int issuedLogLines(const std::string& log, const std::string& csrName);

}  // namespace itest
