// The operator signing with a CA key on a PKCS#11 token (SoftHSM2 in a temporary folder), through
// the binary against the fake API server: every certificate verified with `openssl verify` against
// the CA; the token unplugged mid-burst and plugged back: nothing signed meanwhile, nothing Failed,
// /readyz and csr_operator_signer_available say which signer is down, and the backlog is issued
// exactly once when the token returns. A pod-certificate signer with its key on a token does the same
// for PodCertificateRequests.
#include "Scenario.h"
#include "tests/support/SoftHsm.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace itest;
using namespace std::chrono_literals;

namespace {

constexpr const char* kServing = "kubernetes.io/kubelet-serving";

struct HsmScenario {
  Scenario s;
  testpki::SoftHsm hsm;

  HsmScenario() {
    hsm.initToken("k8s-ca");
    hsm.importKey("k8s-ca", s.ca.key.get(), "kubernetes-ca");
    std::filesystem::remove(s.caKeyFile);  // the key now exists only on the token
  }

  std::string config() const {
    return "workers: 2\n"
           "signers:\n"
           "  defaults:\n"
           "    caCertFile: " +
           s.caCertFile +
           "\n"
           "    caKeyFile: 'pkcs11:token=k8s-ca;object=kubernetes-ca;type=private'\n"
           "    caKeyPinFile: " +
           hsm.pinFile() +
           "\n"
           "    pkcs11Module: " +
           testpki::SoftHsm::kModule +
           "\n"
           "  reloadInterval: 200ms\n"
           "  list:\n"
           "    - signerName: kubernetes.io/kubelet-serving\n";
  }

  // A node of its own per CSR, so no two are duplicates of each other.
  std::string createFromNewNode(const std::string& name, int n) {
    const std::string node = "node-" + std::to_string(n);
    const std::string ip = "10.0.1." + std::to_string(n);
    s.cluster.addNode(node, {{"InternalIP", ip}, {"Hostname", node}});
    s.createServing(name, node, Scenario::servingRequest(node, {node}, {ip}));
    return name;
  }

  // `openssl verify` of the issued certificate against the CA certificate.
  bool verifies(const k8s::CertificateSigningRequest& csr) const {
    const auto file = s.cluster.dir() / (csr.metadata.name + ".crt");
    std::ofstream(file) << csr.status.certificate;
    const auto [status, output] = testpki::runCommand("openssl verify -CAfile " + s.caCertFile + " " + file.string());
    INFO(output);
    return status == 0 && output.find(": OK") != std::string::npos;
  }
};

}  // namespace

TEST_CASE("e2e hsm: kubelet-serving certificates signed by a CA key on a token verify against the CA") {
  HsmScenario h;
  OperatorProcess op(h.s.cluster, "op", h.config(), h.s.operatorKubeconfig(), {}, {h.hsm.env()});
  op.start();
  REQUIRE(eventually([&] { return httpGet(op.port(), "/readyz").first == 200; }, 20s));
  std::vector<std::string> names;
  for (int i = 1; i <= 6; ++i) names.push_back(h.createFromNewNode("token-" + std::to_string(i), i));
  for (const auto& n : names) {
    INFO("csr ", n);
    auto csr = waitForCsr(h.s.cluster.admin(), n, isIssued, 30s);
    REQUIRE(isIssued(csr));
    CHECK(h.verifies(csr));
  }
  CHECK(op.metric("csr_operator_signer_available", {kServing}) == 1);
  CHECK(op.log().find(testpki::SoftHsm::kPin) == std::string::npos);  // the PIN is never logged
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e hsm: the token unplugged mid-burst and plugged back: nothing signed meanwhile, everything issued once") {
  HsmScenario h;
  OperatorProcess op(h.s.cluster, "op", h.config(), h.s.operatorKubeconfig(), {}, {h.hsm.env()});
  op.start();
  REQUIRE(eventually([&] { return httpGet(op.port(), "/readyz").first == 200; }, 20s));
  std::vector<std::string> before, during;
  for (int i = 1; i <= 4; ++i) before.push_back(h.createFromNewNode("before-" + std::to_string(i), i));
  for (const auto& n : before) REQUIRE(isIssued(waitForCsr(h.s.cluster.admin(), n, isIssued, 30s)));

  h.hsm.unplug();
  for (int i = 11; i <= 20; ++i) during.push_back(h.createFromNewNode("during-" + std::to_string(i), i));
  // Down, named, and every CSR of the burst tried and postponed (not Failed) at least once.
  REQUIRE(eventually(
      [&] {
        const auto [status, body] = httpGet(op.port(), "/readyz");
        return status == 503 && body.find("signer kubernetes.io/kubelet-serving unavailable") != std::string::npos;
      },
      20s));
  REQUIRE(eventually([&] { return op.metric("csr_operator_signer_available", {kServing}) == 0; }, 10s));
  REQUIRE(eventually(
      [&] {
        const std::string log = op.log();
        for (const auto& n : during)
          if (log.find("signing postponed: csr=" + n + " ") == std::string::npos) return false;
        return true;
      },
      30s));
  for (const auto& n : during) {
    INFO("csr ", n);
    const auto csr = h.s.cluster.admin().get<k8s::CertificateSigningRequest>(n);
    CHECK_FALSE(isIssued(csr));
    CHECK_FALSE(k8s::hasCondition(csr, "Failed"));
  }

  h.hsm.plug();
  for (const auto& n : during) {
    INFO("csr ", n);
    auto csr = waitForCsr(h.s.cluster.admin(), n, isIssued, 60s);
    REQUIRE(isIssued(csr));
    CHECK_FALSE(k8s::hasCondition(csr, "Failed"));
    CHECK(h.verifies(csr));
  }
  REQUIRE(eventually([&] { return httpGet(op.port(), "/readyz").first == 200; }, 20s));
  CHECK(op.metric("csr_operator_signer_available", {kServing}) == 1);
  const auto total = static_cast<double>(before.size() + during.size());
  REQUIRE(eventually([&] { return op.metric("csr_operator_certificates_issued_total") == total; }, 10s));
  const std::string log = op.log();
  for (const auto& n : during) {
    INFO("csr ", n);
    CHECK(issuedLogLines(log, n) == 1);
  }
  CHECK(log.find("available again") != std::string::npos);
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e hsm: a pod-certificate signer's key on a token: issued, postponed with /readyz naming it while away, issued on return") {
  using nlohmann::json;
  HsmScenario h;
  auto& cluster = h.s.cluster;
  const itest::PodRef first = cluster.addPod("shop", "web-0", "web", "node-a");
  const itest::PodRef second = cluster.addPod("shop", "web-1", "web", "node-a");
  const std::string config = std::string("workers: 2\nleaderElection: {enabled: false}\napprover: {enabled: false}\n") +
                             "signers: {reloadInterval: 200ms}\npodCertificates:\n  signers:\n    - signerName: example.com/pods\n" +
                             "      caCertFile: " + h.s.caCertFile + "\n" +
                             "      caKeyFile: 'pkcs11:token=k8s-ca;object=kubernetes-ca;type=private'\n" +
                             "      caKeyPinFile: " + h.hsm.pinFile() + "\n" + "      pkcs11Module: " + testpki::SoftHsm::kModule + "\n" +
                             "      allowedNamespaces: [shop]\n";
  OperatorProcess op(cluster, "pods-token", config, cluster.adminKubeconfig(), {}, {h.hsm.env()});
  op.start();
  REQUIRE(eventually([&] { return httpGet(op.port(), "/readyz").first == 200; }, 20s));
  auto key = testpki::sharedKey(testpki::KeyKind::P256, "pod");
  const auto request = [&](const itest::PodRef& pod) {
    itest::PodCertificateRequestParams p;
    p.signerName = "example.com/pods";
    p.stubPkcs10Der = testpki::stubPkcs10Der(key.get());
    return cluster.createPodCertificateRequest(cluster.nodeKubeconfig(pod.node), pod, p);
  };
  const auto conditionOf = [](const json& pcr) -> std::string {
    for (const auto& c : pcr.value("status", json::object()).value("conditions", json::array()))
      if (c.value("status", "") == "True") return c.value("type", "");
    return "";
  };
  const auto awaitIssued = [&](const json& created) {
    const auto pcr = cluster.waitForPodCertificateRequest(
        created["metadata"]["namespace"], created["metadata"]["name"], [&](const json& p) { return !conditionOf(p).empty(); }, 60s);
    INFO(pcr.dump());
    REQUIRE(conditionOf(pcr) == "Issued");
    const auto file = cluster.dir() / (created["metadata"]["name"].get<std::string>() + ".pem");
    std::ofstream(file) << pcr["status"]["certificateChain"].get<std::string>();
    const auto [rc, out] = testpki::runCommand("openssl verify -CAfile " + h.s.caCertFile + " " + file.string());
    INFO(out);
    CHECK(rc == 0);
  };
  awaitIssued(request(first));

  h.hsm.unplug();
  const json waiting = request(second);
  const std::string key2 = waiting["metadata"]["namespace"].get<std::string>() + "/" + waiting["metadata"]["name"].get<std::string>();
  REQUIRE(eventually(
      [&] {
        const auto [status, body] = httpGet(op.port(), "/readyz");
        return status == 503 && body.find("signer example.com/pods unavailable") != std::string::npos;
      },
      20s));
  REQUIRE(eventually([&] { return op.metric("csr_operator_signer_available", {"example.com/pods"}) == 0; }, 10s));
  REQUIRE(eventually([&] { return op.log().find("signing postponed: pcr=" + key2 + " ") != std::string::npos; }, 30s));
  CHECK(conditionOf(cluster.getPodCertificateRequest(waiting["metadata"]["namespace"], waiting["metadata"]["name"])).empty());

  h.hsm.plug();
  awaitIssued(waiting);
  REQUIRE(eventually([&] { return httpGet(op.port(), "/readyz").first == 200; }, 20s));
  CHECK(op.metric("csr_operator_signer_available", {"example.com/pods"}) == 1);
  CHECK(op.log().find(testpki::SoftHsm::kPin) == std::string::npos);
  CHECK(op.stop() == 0);
}
