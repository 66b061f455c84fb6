// Node identity end to end (issue 11): the real binary against the fake API server, every request
// made with node credentials only, and each Node's status written by that node itself (the fake's
// NodeRestriction lets a node write its own status, addresses included, exactly as kube-apiserver
// does). What a node may write there must never win it another node's, or the cluster's, identity.
#include "Scenario.h"

#include <doctest/doctest.h>

using namespace itest;

namespace {

std::string conditionReason(const k8s::CertificateSigningRequest& csr, const std::string& type) {
  const auto* c = k8s::findCondition(csr, type);
  return c ? c->reason : "";
}

void createMachine(k8s::KubeClient& admin, const std::string& name, const std::string& node, const std::vector<std::string>& ips) {
  nlohmann::json addresses = nlohmann::json::array();
  for (const auto& ip : ips) addresses.push_back({{"type", "InternalIP"}, {"address", ip}});
  admin.requestJson("POST", "/apis/cluster.x-k8s.io/v1beta1/namespaces/capi/machines",
                    nlohmann::json{{"apiVersion", "cluster.x-k8s.io/v1beta1"},
                                   {"kind", "Machine"},
                                   {"metadata", {{"name", name}, {"namespace", "capi"}}},
                                   {"status", {{"nodeRef", {{"name", node}}}, {"addresses", addresses}}}});
}

bool ready(const OperatorProcess& op) { return httpGet(op.port(), "/readyz").first == 200; }

}  // namespace

TEST_CASE("e2e node identity: a node that lists other nodes' or the cluster's identities in its own status is denied, never signed") {
  Scenario s;
  auto& admin = s.cluster.admin();
  s.cluster.addApiServerService("10.96.0.1", "192.168.10.5");
  s.cluster.addNode("worker-3", {{"InternalIP", "10.0.0.3"}, {"Hostname", "worker-3"}});
  OperatorProcess op(s.cluster, "identity", s.config(false, "approver: {kubeletServing: {serviceCIDRs: [10.100.0.0/16]}}\n"),
                     s.operatorKubeconfig());
  op.start();
  REQUIRE(eventually([&] { return ready(op); }, std::chrono::seconds(15)));
  CHECK(op.log().find("allowedCIDRs is empty") != std::string::npos);

  // worker-3 goes away from its IP (NotReady, being replaced): the IP stays its for historyWindow.
  s.cluster.listOwnAddresses("worker-3", {{"Hostname", "worker-3"}});
  // worker-1, with its own credentials, lists everything it wants a certificate for.
  s.cluster.listOwnAddresses("worker-1", {{"InternalIP", "10.0.0.1"},
                                          {"Hostname", "worker-1"},
                                          {"InternalIP", "10.0.0.2"},
                                          {"InternalDNS", "worker-2"},
                                          {"InternalIP", "10.96.0.1"},
                                          {"InternalIP", "192.168.10.5"},
                                          {"InternalDNS", "kubernetes.default.svc"},
                                          {"InternalIP", "10.100.0.5"},
                                          {"InternalIP", "10.0.0.3"}});
  REQUIRE(eventually([&] { return op.metric("csr_operator_node_address_changes_total") >= 2; }, std::chrono::seconds(10)));

  struct Case {
    std::string name, pem, reason;
  };
  const std::vector<Case> cases = {
      {"other-nodes-ip", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.2"}), "AddressClaimedByOtherNode"},
      {"other-nodes-name", Scenario::servingRequest("worker-1", {"worker-2"}, {"10.0.0.1"}), "AddressClaimedByOtherNode"},
      {"apiserver-clusterip", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.96.0.1"}), "APIServerAddress"},
      {"apiserver-endpoint", Scenario::servingRequest("worker-1", {"worker-1"}, {"192.168.10.5"}), "APIServerAddress"},
      // The signer profile refuses the Service name before the approver's own list does.
      {"apiserver-name", Scenario::servingRequest("worker-1", {"kubernetes.default.svc"}, {"10.0.0.1"}), "SignerConstraintsViolated"},
      {"service-cidr", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.100.0.5"}), "ServiceCIDRAddress"},
      {"released-ip", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.3"}), "AddressClaimedByOtherNode"},
  };
  for (const auto& c : cases) s.createServing(c.name, "worker-1", c.pem);
  s.createServing("honest", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.2"}));

  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto csr = waitForCsr(admin, c.name, isDecided);
    CHECK(isDenied(csr));
    CHECK(conditionReason(csr, "Denied") == c.reason);
    CHECK(csr.status.certificate.empty());
  }
  auto released = admin.get<k8s::CertificateSigningRequest>("released-ip");
  CHECK(k8s::findCondition(released, "Denied")->message.find("worker-3") != std::string::npos);
  auto honest = waitForCsr(admin, "honest", isIssued);
  CHECK(isIssued(honest));
  CHECK(eventually([&] { return op.metric("csr_operator_address_conflicts_total") >= 3; }, std::chrono::seconds(10)));
  // The counter moves just after the certificate is written.
  CHECK(eventually([&] { return op.metric("csr_operator_certificates_issued_total", {"kubernetes.io/kubelet-serving"}) == 1; },
                   std::chrono::seconds(5)));
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e node identity: a CSR that arrives before its Node lists the address is retried, then approved") {
  Scenario s;
  OperatorProcess op(s.cluster, "late", s.config(), s.operatorKubeconfig());
  op.start();
  REQUIRE(eventually([&] { return ready(op); }, std::chrono::seconds(15)));
  s.createServing("late", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.22"}));
  REQUIRE(op.process().waitForLog("retrying csr=late", std::chrono::seconds(15)));
  CHECK(s.cluster.admin().get<k8s::CertificateSigningRequest>("late").status.conditions.empty());
  // The cloud-controller-manager (here: the node itself) adds the address.
  s.cluster.listOwnAddresses("worker-2", {{"InternalIP", "10.0.0.2"}, {"InternalIP", "10.0.0.22"}, {"Hostname", "worker-2"}});
  auto csr = waitForCsr(s.cluster.admin(), "late", isIssued, std::chrono::seconds(30));
  CHECK(isIssued(csr));
  CHECK(conditionReason(csr, "Approved") == "AutoApproved");
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e node identity: with addressSource machine the Machine decides, not the Node status") {
  Scenario s;
  auto& admin = s.cluster.admin();
  createMachine(admin, "md-0-worker-1", "worker-1", {"10.0.0.1"});
  createMachine(admin, "md-0-worker-2", "worker-2", {"10.0.0.2", "10.0.0.12"});
  OperatorProcess op(s.cluster, "machine", s.config(false, "approver: {kubeletServing: {addressSource: machine, machineDeadline: 0s}}\n"),
                     s.operatorKubeconfig());
  op.start();
  REQUIRE(eventually([&] { return ready(op); }, std::chrono::seconds(15)));

  // worker-1's own status lies; worker-2's is behind its Machine.
  s.cluster.listOwnAddresses("worker-1", {{"InternalIP", "10.0.0.1"}, {"InternalIP", "10.0.0.50"}, {"Hostname", "worker-1"}});
  s.createServing("node-lies", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.50"}));
  s.createServing("machine-says", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.12"}));

  auto lie = waitForCsr(admin, "node-lies", isDecided);
  CHECK(isDenied(lie));
  CHECK(conditionReason(lie, "Denied") == "IPNotOwnedByMachine");
  CHECK(lie.status.certificate.empty());
  auto truth = waitForCsr(admin, "machine-says", isIssued);
  CHECK(isIssued(truth));
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e node identity: identical pending duplicates from one node are decided once, on the newest") {
  Scenario s;
  auto& admin = s.cluster.admin();
  // Filed before the operator runs, as a kubelet re-files every 15 minutes while unapproved.
  s.createServing("dup-1", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  REQUIRE(eventually(
      [&] {
        // creationTimestamp has a resolution of one second: the second CSR must be visibly newer.
        return k8s::nowRfc3339() > admin.get<k8s::CertificateSigningRequest>("dup-1").metadata.creationTimestamp;
      },
      std::chrono::seconds(5)));
  s.createServing("dup-2", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  OperatorProcess op(s.cluster, "dups", s.config(), s.operatorKubeconfig());
  op.start();
  auto newest = waitForCsr(admin, "dup-2", isIssued);
  CHECK(isIssued(newest));
  REQUIRE(op.process().waitForLog("duplicate: leaving csr=dup-1 alone: csr=dup-2", std::chrono::seconds(10)));
  CHECK(admin.get<k8s::CertificateSigningRequest>("dup-1").status.conditions.empty());
  CHECK(eventually([&] { return op.metric("csr_operator_certificates_issued_total", {"kubernetes.io/kubelet-serving"}) == 1; },
                   std::chrono::seconds(5)));
  CHECK(op.stop() == 0);
}
