// The real binary against the fake API server: every kubelet-serving rule end to end, the
// kubelet client approval by SubjectAccessReview, and that nothing hostile is ever signed.
#include "Scenario.h"
#include "signers/CertificateInfo.h"

#include <doctest/doctest.h>

#include <algorithm>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

using namespace itest;

namespace {

std::string sansOf(const std::string& pem) {
  auto cert = testpki::parseCertPem(pem);
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    auto* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) out += std::string("DNS:") + reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)) + " ";
    if (n->type == GEN_IPADD) out += "IP ";
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string conditionReason(const k8s::CertificateSigningRequest& csr, const std::string& type) {
  const auto* c = k8s::findCondition(csr, type);
  return c ? c->reason : "";
}

}  // namespace

TEST_CASE("e2e: kubelet serving and client certificates, honest and hostile") {
  Scenario s;
  // Every Node lists its addresses before any CSR: a missing one is denied at once, not after the
  // default addressSettle (test_e2e_node_identity.cpp covers the wait).
  OperatorProcess op(s.cluster, "op", s.config(false, "approver: {kubeletClient: {enabled: true}, kubeletServing: {addressSettle: 0s}}\n"),
                     s.operatorKubeconfig());
  op.start();
  auto& admin = s.cluster.admin();
  REQUIRE(eventually([&] { return httpGet(op.port(), "/readyz").first == 200; }, std::chrono::seconds(10)));
  CHECK(httpGet(op.port(), "/healthz").first == 200);
  CHECK(httpGet(op.port(), "/nope").first == 404);
  // The effective configuration is logged, but never key material.
  CHECK(op.log().find("config: signer kubernetes.io/kubelet-serving caCertFile=") != std::string::npos);
  CHECK(op.log().find("PRIVATE KEY") == std::string::npos);

  SUBCASE("an honest serving request is approved and signed with exactly the requested names") {
    s.createServing("honest", "worker-1", Scenario::servingRequest("worker-1", {"worker-1", "worker-1.cluster.internal"}, {"10.0.0.1"}));
    auto csr = waitForCsr(admin, "honest", isIssued);
    REQUIRE(isIssued(csr));
    CHECK(conditionReason(csr, "Approved") == "AutoApproved");
    CHECK(sansOf(csr.status.certificate) == "DNS:worker-1 DNS:worker-1.cluster.internal IP ");
    auto notAfter = signers::certificateNotAfter(csr.status.certificate);
    REQUIRE(notAfter);
    CHECK(*notAfter > std::chrono::system_clock::now() + std::chrono::hours(24 * 300));
    // The counter moves just after the status write returns, so after the certificate is visible;
    // the decision is counted before the approval is written.
    CHECK(eventually([&] { return op.metric("csr_operator_certificates_issued_total", {"kubernetes.io/kubelet-serving"}) == 1; },
                     std::chrono::seconds(10)));
    CHECK(op.metric("csr_operator_decisions_total", {"decision=\"approve\""}) == 1);
    const double caNotAfter = op.metric("csr_operator_ca_not_after_seconds", {"kubernetes.io/kubelet-serving"});
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(caNotAfter > now + 300 * 86400.0);
    auto events = admin.requestJson("GET", "/api/v1/namespaces/default/events");
    std::vector<std::string> reasons;
    for (const auto& e : events["items"])
      if (e["involvedObject"].value("name", "") == "honest") reasons.push_back(e.value("reason", ""));
    CHECK(std::count(reasons.begin(), reasons.end(), "CSRApproved") == 1);
    CHECK(std::count(reasons.begin(), reasons.end(), "CertificateIssued") == 0);
  }

  SUBCASE("hostile serving requests are denied with the failed check, and never signed") {
    struct Case {
      std::string name, node, pem, reason;
    };
    const std::vector<Case> cases = {
        {"foreign-ip", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.9.9.9"}), "IPNotOwnedByNode"},
        {"other-nodes-ip", "worker-1", Scenario::servingRequest("worker-1", {}, {"10.0.0.2"}), "AddressClaimedByOtherNode"},
        {"other-nodes-dns", "worker-1", Scenario::servingRequest("worker-1", {"worker-2"}, {"10.0.0.1"}), "AddressClaimedByOtherNode"},
        {"prefix-dns", "worker-1", Scenario::servingRequest("worker-1", {"worker-1.evil.example"}, {}), "DNSNameNotOwnedByNode"},
    };
    for (const auto& c : cases) s.createServing(c.name, c.node, c.pem);
    for (const auto& c : cases) {
      CAPTURE(c.name);
      auto csr = waitForCsr(admin, c.name, isDecided);
      CHECK(isDenied(csr));
      CHECK(k8s::findCondition(csr, "Denied")->message.find(c.name == "foreign-ip" ? "10.9.9.9" : "") != std::string::npos);
      CHECK(conditionReason(csr, "Denied") == c.reason);
      CHECK_FALSE(isIssued(csr));
    }
    CHECK(op.metric("csr_operator_certificates_issued_total") == 0);
    // The Event follows the Denied condition, so it may arrive a moment later.
    std::vector<nlohmann::json> denied;
    eventually(
        [&] {
          denied.clear();
          const auto events = admin.requestJson("GET", "/api/v1/namespaces/default/events");
          for (const auto& e : events["items"])
            if (e.value("reason", "") == "CSRDenied" && e["involvedObject"].value("name", "") == "foreign-ip") denied.push_back(e);
          return !denied.empty();
        },
        std::chrono::seconds(5));
    REQUIRE(denied.size() == 1);
    CHECK(denied[0].value("type", "") == "Warning");
    CHECK(denied[0].value("message", "").find("IPNotOwnedByNode") != std::string::npos);
    CHECK(op.log().find("decision csr=foreign-ip signer=kubernetes.io/kubelet-serving requester=system:node:worker-1 "
                        "policy=kubelet-serving decision=deny reason=IPNotOwnedByNode") != std::string::npos);
  }

  SUBCASE("a non-node requester is denied") {
    s.cluster.createCsr(s.cluster.kubeconfigFor("mallory", {"developers"}), "non-node",
                        Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}), "kubernetes.io/kubelet-serving",
                        {"digital signature", "server auth"});
    auto csr = waitForCsr(admin, "non-node", isDecided);
    CHECK(conditionReason(csr, "Denied") == "RequesterNotNode");
    CHECK_FALSE(isIssued(csr));
  }

  SUBCASE("a mismatched CN never reaches the operator: the API server's NodeRestriction refuses it") {
    CHECK_THROWS_WITH(
        s.createServing("mismatch", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {}, "system:node:worker-2")),
        doctest::Contains("can only create a node CSR with CN=system:node:worker-1"));
  }

  SUBCASE("a kubelet client renewal is approved after a SubjectAccessReview and signed") {
    s.cluster.createCsr(s.cluster.nodeKubeconfig("worker-2"), "client", testpki::makeCsr(testpki::nodeClientCsr("worker-2")),
                        "kubernetes.io/kube-apiserver-client-kubelet", {"digital signature", "client auth"});
    auto csr = waitForCsr(admin, "client", isIssued);
    REQUIRE(isIssued(csr));
    const auto* approved = k8s::findCondition(csr, "Approved");
    REQUIRE(approved);
    CHECK(approved->message == "Auto approving self kubelet client certificate after SubjectAccessReview.");
    CHECK(sansOf(csr.status.certificate).empty());
  }

  SUBCASE("a request the signer refuses is marked Failed with SignerValidationFailure") {
    // Approved by a human (an admin may approve anything), but the kubelet-serving profile needs a SAN.
    s.cluster.createCsr(s.cluster.kubeconfigFor("mallory", {"developers"}), "no-san", Scenario::servingRequest("worker-1", {}, {}),
                        "kubernetes.io/kube-apiserver-client-kubelet", {"digital signature", "server auth"});
    auto pending = admin.get<k8s::CertificateSigningRequest>("no-san");
    pending.status.conditions.push_back({"Approved", "True", "KubectlApprove", "approved by a test", "", ""});
    admin.updateSubresource(pending, "approval");
    auto csr = waitForCsr(admin, "no-san", isDecided);
    CHECK(conditionReason(csr, "Failed") == "SignerValidationFailure");
    CHECK_FALSE(isIssued(csr));
  }

  CHECK(op.stop() == 0);
}

TEST_CASE("e2e: approve-only mode never writes Denied, and an approver-only install never signs") {
  Scenario s;
  // "bad" names an IP no Node lists: decided at once, not after the default addressSettle. One
  // worker decides one CSR at a time, so once a CSR created after "bad" is decided, whatever "bad"
  // led to has been written.
  const std::string config =
      "workers: 1\nleaderElection: {enabled: false}\napprover: {denyMode: skip, kubeletServing: {addressSettle: 0s}}\n";
  OperatorProcess op(s.cluster, "approver-only", config, s.operatorKubeconfig());
  op.start();
  auto& admin = s.cluster.admin();
  s.createServing("good", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  s.createServing("bad", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.9.9.9"}));
  auto good = waitForCsr(admin, "good", [](const auto& c) { return k8s::hasCondition(c, "Approved"); });
  CHECK(k8s::hasCondition(good, "Approved"));
  REQUIRE(op.process().waitForLog("decision csr=bad", std::chrono::seconds(10)));
  s.createServing("after-bad", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.2"}));
  CHECK(k8s::hasCondition(waitForCsr(admin, "after-bad", [](const auto& c) { return k8s::hasCondition(c, "Approved"); }), "Approved"));
  auto bad = admin.get<k8s::CertificateSigningRequest>("bad");
  CHECK(bad.status.conditions.empty());
  CHECK_FALSE(isIssued(admin.get<k8s::CertificateSigningRequest>("good")));
  CHECK(op.log().find("approve-only mode, not denying") != std::string::npos);
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e: observe mode decides, logs and counts every CSR and writes nothing") {
  Scenario s;
  // The default install's shape (an approver, no signer), observing. One worker: once a CSR created
  // after the others is decided, whatever the others led to has been written.
  const std::string config =
      "workers: 1\nleaderElection: {enabled: false}\napprover: {mode: observe, kubeletServing: {addressSettle: 0s}}\n";
  OperatorProcess op(s.cluster, "observe", config, s.operatorKubeconfig());
  op.start();
  auto& admin = s.cluster.admin();
  s.createServing("good", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  s.createServing("bad", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.9.9.9"}));
  REQUIRE(op.process().waitForLog("decision csr=good", std::chrono::seconds(20)));
  REQUIRE(op.process().waitForLog("decision csr=bad", std::chrono::seconds(20)));
  s.createServing("last", "worker-2", Scenario::servingRequest("worker-2", {"worker-2"}, {"10.0.0.2"}));
  REQUIRE(op.process().waitForLog("decision csr=last", std::chrono::seconds(20)));

  const auto decisionLine = [&](const std::string& csr) {
    const std::string log = op.log();
    const auto at = log.find("decision csr=" + csr + " ");
    return at == std::string::npos ? std::string() : log.substr(at, log.find('\n', at) - at);
  };
  CHECK(decisionLine("good").find("decision=approve") != std::string::npos);
  CHECK(decisionLine("good").find("mode=observe") != std::string::npos);
  CHECK(decisionLine("bad").find("decision=deny") != std::string::npos);
  CHECK(decisionLine("bad").find("mode=observe") != std::string::npos);
  // At least: a CSR left pending may be decided again (each time logged and counted, never written).
  CHECK(eventually([&] { return op.metric("csr_operator_decisions_total", {"decision=\"approve\""}) >= 2; }, std::chrono::seconds(10)));
  CHECK(eventually([&] { return op.metric("csr_operator_decisions_total", {"decision=\"deny\""}) >= 1; }, std::chrono::seconds(10)));

  for (const std::string name : {"good", "bad", "last"}) {
    CAPTURE(name);
    CHECK(admin.get<k8s::CertificateSigningRequest>(name).status.conditions.empty());
  }
  // No approval or denial (PUT /approval is an update of certificatesigningrequests), no Event.
  // Held in a variable: a range-for over stats()["requests"] would iterate into the destroyed
  // temporary (the sanitizer stress round caught it).
  const auto stats = s.cluster.stats();
  for (const auto& r : stats["requests"]) {
    const std::string verb = r["verb"], resource = r["resource"];
    CAPTURE(verb);
    CAPTURE(resource);
    CHECK_FALSE((resource == "certificatesigningrequests" && verb != "create" && verb != "get" && verb != "list" && verb != "watch"));
    CHECK(resource != "events");
  }
  CHECK(op.log().find("approver.mode is observe") != std::string::npos);
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e: --set changes any configuration key at start - a bad one stops the start naming the flag") {
  Scenario s;
  auto& admin = s.cluster.admin();
  OperatorProcess op(s.cluster, "with-set", s.config(), s.operatorKubeconfig(), {"--set", "approver.kubeletServing.maxDNSNames=1"});
  op.start();
  s.createServing("two-names", "worker-1", Scenario::servingRequest("worker-1", {"worker-1", "worker-1.cluster.internal"}, {"10.0.0.1"}));
  s.createServing("one-name", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  auto denied = waitForCsr(admin, "two-names", isDecided);
  CHECK(isDenied(denied));
  CHECK(conditionReason(denied, "Denied") == "TooManyDNSNames");
  CHECK(isIssued(waitForCsr(admin, "one-name", isIssued)));
  CHECK(op.log().find("maxDNSNames=1") != std::string::npos);
  CHECK(op.stop() == 0);

  OperatorProcess bad(s.cluster, "bad-set", s.config(), s.operatorKubeconfig(), {"--set", "approver.kubeletServing.maxDnsNames=1"});
  CHECK_THROWS(bad.start());
  CHECK(bad.process().wait(std::chrono::seconds(5)) == 1);
  CHECK(bad.log().find("--set approver.kubeletServing.maxDnsNames: approver.kubeletServing has unknown key 'maxDnsNames'") !=
        std::string::npos);
}

TEST_CASE("e2e: with client.httpClient cpprest the operator approves and signs as with the default client") {
  Scenario s;
  auto& admin = s.cluster.admin();
  OperatorProcess op(s.cluster, "on-cpprest", s.config(), s.operatorKubeconfig(), {"--set", "client.httpClient=cpprest"});
  op.start();
  s.createServing("via-cpprest", "worker-1", Scenario::servingRequest("worker-1", {"worker-1"}, {"10.0.0.1"}));
  CHECK(isIssued(waitForCsr(admin, "via-cpprest", isIssued)));
  CHECK(op.log().find("httpClient=cpprest") != std::string::npos);
  CHECK(op.stop() == 0);

  OperatorProcess byDefault(s.cluster, "on-beast", s.config(), s.operatorKubeconfig());
  byDefault.start();
  CHECK(byDefault.log().find("httpClient=beast") != std::string::npos);
  const auto stopped = byDefault.stop();
  CHECK_MESSAGE(stopped == 0, byDefault.log());
}

TEST_CASE("e2e: what the signer would refuse is Denied, never Approved,Failed, a {node} regex from the config file works") {
  Scenario s;
  const std::string extra = "approver:\n  kubeletServing:\n    dnsNameRegexes: ['{node}\\.nodes\\.example\\.com']\n";
  OperatorProcess op(s.cluster, "hardened", s.config(false, extra), s.operatorKubeconfig());
  op.start();
  auto& admin = s.cluster.admin();
  auto request = [](auto mutate) {
    testpki::CsrOptions o;
    o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-1"}};
    o.dnsNames = {"worker-1"};
    o.ips = {"10.0.0.1"};
    mutate(o);
    return testpki::makeCsr(o);
  };
  s.createServing("by-regex", "worker-1", request([](auto& o) { o.dnsNames = {"worker-1.nodes.example.com"}; }));
  s.createServing("ca-true", "worker-1", request([](auto& o) { o.basicConstraintsCa = true; }));
  s.createServing("rsa-1024", "worker-1", request([](auto& o) { o.key = testpki::KeyKind::Rsa1024; }));
  s.createServing("sans-twice", "worker-1", request([](auto& o) { o.dnsNames = {"worker-1", "WORKER-1"}; }));
  auto issued = waitForCsr(admin, "by-regex", isIssued);
  CHECK(isIssued(issued));
  CHECK(sansOf(issued.status.certificate) == "DNS:worker-1.nodes.example.com IP ");
  for (const char* name : {"ca-true", "rsa-1024", "sans-twice"}) {
    CAPTURE(name);
    auto csr = waitForCsr(admin, name, isDecided);
    CHECK(conditionReason(csr, "Denied") == "SignerConstraintsViolated");
    CHECK_FALSE(k8s::hasCondition(csr, "Approved"));
    CHECK_FALSE(k8s::hasCondition(csr, "Failed"));
  }
  CHECK(op.stop() == 0);
}
