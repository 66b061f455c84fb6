// The operator works with exactly the RBAC that deploy/ grants, and says loudly which
// permission is missing when it does not have it.
#include "Scenario.h"

#include <doctest/doctest.h>

using namespace itest;

namespace {

const std::vector<std::string> kServiceAccountGroups = {"system:serviceaccounts", "system:serviceaccounts:csr-operator"};
const char* kServiceAccount = "system:serviceaccount:csr-operator:csr-operator";

// deploy/configmap.yaml's choices (approver only, kubelet client CSRs left to KCM), with test timings.
std::string deployLikeConfig() {
  return "leaderElection: {enabled: true, namespace: csr-operator, leaseName: csr-operator, leaseDuration: 3s, renewDeadline: 2s, "
         "retryPeriod: 500ms}\n"
         "approver: {kubeletClient: {enabled: false}}\n";
}

}  // namespace

TEST_CASE("e2e: deploy/rbac.yaml is enough for deploy/'s approver-only install, and nothing is forbidden") {
  ClusterOptions options;
  options.rbacFiles = {DEPLOY_RBAC};
  Scenario s(options);
  OperatorProcess op(s.cluster, "sa", deployLikeConfig(), s.cluster.kubeconfigFor(kServiceAccount, kServiceAccountGroups));
  op.start();
  s.cluster.createCsr(s.cluster.nodeKubeconfig("worker-2"), "rbac-client", testpki::makeCsr(testpki::nodeClientCsr("worker-2")),
                      "kubernetes.io/kube-apiserver-client-kubelet", {"digital signature", "client auth"});
  s.createServing("rbac-serving", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  // Approved and left to kube-controller-manager's signer (the fake has none): no certificate.
  const auto serving = waitForCsr(s.cluster.admin(), "rbac-serving", [](const auto& c) { return k8s::hasCondition(c, "Approved"); });
  CHECK(k8s::hasCondition(serving, "Approved"));
  CHECK(serving.status.certificate.empty());
  // The client CSR is KCM's csrapproving's: its signer is not even watched.
  CHECK(s.cluster.admin().get<k8s::CertificateSigningRequest>("rbac-client").status.conditions.empty());
  CHECK(op.metric("csr_operator_leader") == 1);
  CHECK(op.metric("csr_operator_api_requests_total", {"code=\"403\""}) == 0);
  CHECK(op.log().find("permission missing") == std::string::npos);
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e: a missing permission is reported with the rule to add") {
  ClusterOptions options;
  options.rbacFiles = {TEST_RBAC_DIR "/operator-without-approve.yaml"};
  Scenario s(options);
  std::string config = deployLikeConfig();
  config.replace(config.find("enabled: true"), 13, "enabled: false");
  OperatorProcess op(s.cluster, "sa", config, s.cluster.kubeconfigFor(kServiceAccount, kServiceAccountGroups));
  op.start();
  s.createServing("no-approve", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  REQUIRE(op.process().waitForLog("permission missing: csr=no-approve", std::chrono::seconds(15)));
  CHECK(op.log().find("verb 'approve' on certificates.k8s.io signers with resourceNames [kubernetes.io/kubelet-serving]") !=
        std::string::npos);
  CHECK(s.cluster.admin().get<k8s::CertificateSigningRequest>("no-approve").status.conditions.empty());
  CHECK(op.stop() == 0);
}
