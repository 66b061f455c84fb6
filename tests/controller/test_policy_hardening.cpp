// The approver refuses what the signer would refuse, before it approves (issue 10): the same
// profile functions, hostile names bounded before any regex, {node} regexes that work from a
// configuration file, escaped log lines and Events, Nodes being deleted, bounded durations.
#include "PolicyFixtures.h"
#include "controller/ConfigLoader.h"
#include "controller/CsrApprover.h"
#include "controller/EventRecorder.h"
#include "controller/KubeLookups.h"
#include "controller/KubeletClientPolicy.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/NodeNameRegexes.h"
#include "pki/PkiArgs.h"

#include <doctest/doctest.h>

#include <chrono>

using csrop::Decision;
using csrop::KubeletServingPolicy;

namespace {

struct Setup {
  fixtures::FakeNodes nodes;
  fixtures::FakeResolver resolver;
  csrop::KubeletServingConfig config;

  Setup() { nodes.add("worker-1", {{"InternalIP", "10.0.0.7"}, {"Hostname", "worker-1"}}); }

  csrop::Verdict evaluate(const k8s::CertificateSigningRequest& csr) {
    fixtures::NodeSource source(nodes, config);
    KubeletServingPolicy policy(config, nodes, resolver, source.identity());
    return policy.evaluate(csr);
  }
};

testpki::CsrOptions honest() {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-1"}};
  o.dnsNames = {"worker-1"};
  o.ips = {"10.0.0.7"};
  return o;
}

void checkDeniedByProfile(const csrop::Verdict& v, const std::string& part) {
  CHECK(v.decision == Decision::Deny);
  CHECK(v.reason == "SignerConstraintsViolated");
  CHECK_MESSAGE(v.message.find(part) != std::string::npos, v.message);
}

}  // namespace

TEST_CASE("approver: what the kubelet-serving signer would mark Failed is Denied, never Approved") {
  Setup s;
  SUBCASE("CA:TRUE") {
    auto o = honest();
    o.basicConstraintsCa = true;
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "CA certificates");
  }
  SUBCASE("a 1024-bit RSA key") {
    auto o = honest();
    o.key = testpki::KeyKind::Rsa1024;
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "RSA key of 1024 bits is too small");
  }
  SUBCASE("its own SANs twice") {
    auto o = honest();
    o.dnsNames = {"worker-1", "WORKER-1"};
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "listed more than once");
    o = honest();
    o.ips = {"10.0.0.7", "10.0.0.7"};
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "listed more than once");
  }
  SUBCASE("a loopback address the Node lists") {
    s.nodes.add("worker-1", {{"InternalIP", "127.0.0.1"}, {"Hostname", "worker-1"}});
    auto o = honest();
    o.ips = {"127.0.0.1"};
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "loopback");
  }
  SUBCASE("a wildcard") {
    auto o = honest();
    o.dnsNames = {"*.worker-1"};
    s.config.dnsNameRegexes = {".*"};
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "wildcard");
  }
  SUBCASE("a CN with a newline and quotes, even with the commonName check off") {
    s.config.checks.commonName = false;
    auto o = honest();
    o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-1\" decision=approve\nforged"}};
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "control character");
  }
  SUBCASE("another node's CN, even with the commonName check off") {
    s.config.checks.commonName = false;
    auto o = honest();
    o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-2"}};
    checkDeniedByProfile(s.evaluate(fixtures::servingCsr("worker-1", o)), "not the requesting node");
  }
}

TEST_CASE("approver: a 46 KB DNS name with dnsNameRegexes set is denied quickly, the regex never sees it") {
  Setup s;
  s.config.dnsNameRegexes = {"(a|aa)+\\.{node}\\.example\\.com", "([a-z]+)*x"};
  auto o = honest();
  o.dnsNames = {std::string(46 * 1024, 'a') + ".worker-1.example.com"};
  const auto started = std::chrono::steady_clock::now();
  auto v = s.evaluate(fixtures::servingCsr("worker-1", o));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  checkDeniedByProfile(v, "longer than 253");
  CHECK(v.message.size() < 400);
}

TEST_CASE("approver: dnsNameRegexes with {node} match the requesting node's name only") {
  Setup s;
  s.nodes.add("worker.2", {{"InternalIP", "10.0.0.8"}});
  s.config.dnsNameRegexes = {"{node}\\.(east|west)\\.example\\.com", "metrics-[0-9]+\\.example\\.com"};
  auto o = honest();
  o.dnsNames = {"worker-1.east.example.com", "Worker-1.WEST.example.com", "metrics-7.example.com"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);
  o.dnsNames = {"worker-2.east.example.com"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).reason == "DNSNameNotOwnedByNode");
  // The node name is escaped: the '.' of "worker.2" is not "any character".
  auto dotted = honest();
  dotted.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker.2"}};
  dotted.ips = {"10.0.0.8"};
  dotted.dnsNames = {"workerx2.east.example.com"};
  CHECK(s.evaluate(fixtures::servingCsr("worker.2", dotted)).reason == "DNSNameNotOwnedByNode");
  dotted.dnsNames = {"worker.2.east.example.com"};
  CHECK(s.evaluate(fixtures::servingCsr("worker.2", dotted)).decision == Decision::Approve);
}

TEST_CASE("NodeNameRegexes: checked with a sample node at load, compiled per node name in a bounded cache") {
  CHECK_FALSE(csrop::NodeNameRegexes::check("{node}\\.nodes\\.example\\.com"));
  CHECK_FALSE(csrop::NodeNameRegexes::check("^({node}|{node}-alt)\\.example\\.com$"));
  CHECK(csrop::NodeNameRegexes::check("({node}").value_or("").find("not a valid RE2 regex") != std::string::npos);
  CHECK(csrop::NodeNameRegexes::check("(a)\\1"));  // backreferences are not linear-time, RE2 refuses them
  csrop::NodeNameRegexes regexes({"{node}\\.example\\.com"});
  for (std::size_t i = 0; i < csrop::NodeNameRegexes::kMaxCachedNodes + 10; ++i) {
    const std::string node = "n" + std::to_string(i);
    CHECK(regexes.matches(node + ".example.com", node));
  }
  CHECK_FALSE(regexes.matches("n1.example.com", "n2"));
  CHECK_FALSE(regexes.matches("x.example.com", std::string(300, 'x')));
}

TEST_CASE("config file: documented {node} regexes load and work, invalid ones name the file and line") {
  testpki::TempDir dir;
  const auto path = dir.write("config.yaml",
                              "approver:\n"
                              "  kubeletServing:\n"
                              "    dnsNameRegexes:\n"
                              "      - '^{node}\\.nodes\\.example\\.com$'\n"
                              "      - '{node}-(a|b)\\.example\\.com'\n");
  auto config = csrop::loadConfigFile(path);
  REQUIRE(config.approver.kubeletServing.dnsNameRegexes.size() == 2);
  Setup s;
  s.config = config.approver.kubeletServing;
  auto o = honest();
  o.dnsNames = {"worker-1.nodes.example.com", "worker-1-b.example.com"};
  CHECK(s.evaluate(fixtures::servingCsr("worker-1", o)).decision == Decision::Approve);

  const auto bad = dir.write("bad.yaml", "approver:\n  kubeletServing:\n    dnsNameRegexes: ['({node}']\n");
  try {
    csrop::loadConfigFile(bad);
    FAIL("an invalid regex was accepted");
  } catch (const csrop::ConfigFileError& e) {
    const std::string what = e.what();
    CHECK(what.find(bad + ":3") == 0);
    CHECK(what.find("not a valid RE2 regex") != std::string::npos);
  }
}

TEST_CASE("kubelet-client: a recognised request the signer would refuse is Denied before any SubjectAccessReview") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource["selfnodeclient"] = true;
  csrop::KubeletClientPolicy policy(reviewer);
  auto o = testpki::nodeClientCsr("worker-1");
  o.key = testpki::KeyKind::Rsa1024;
  auto csr = fixtures::csrFor(testpki::makeCsr(o), "kubernetes.io/kube-apiserver-client-kubelet", "system:node:worker-1", {"system:nodes"},
                              {"digital signature", "client auth"});
  auto v = policy.evaluate(csr);
  checkDeniedByProfile(v, "RSA key of 1024 bits");
  CHECK(reviewer.seen.empty());
  csr.spec.request = testpki::makeCsr(testpki::nodeClientCsr("worker-1"));
  CHECK(policy.evaluate(csr).decision == Decision::Approve);
}

TEST_CASE("decision log line and Event message: a CN with a newline and quotes cannot forge a line or a field") {
  auto csr = fixtures::csrFor("", "kubernetes.io/kubelet-serving", "system:node:w1\nfake", {}, {});
  csr.metadata.name = "csr-1";
  auto verdict = csrop::Verdict::deny("CommonNameMismatch", "subject common name \"x\" reason=AutoApproved\ndecision csr=evil\"");
  const auto line = csrop::formatLogLine(csrop::LogFormat::Text, {}, spdlog::level::info, "decision",
                                         csrop::decisionFields(csr, "kubelet-serving", verdict));
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line ==
        "ts=1970-01-01T00:00:00.000Z level=info msg=decision csr=csr-1 signer=kubernetes.io/kubelet-serving "
        "requester=\"system:node:w1\\nfake\" policy=kubelet-serving "
        "decision=deny reason=CommonNameMismatch message=\"subject common name \\\"x\\\" reason=AutoApproved\\ndecision "
        "csr=evil\\\"\"");
  const auto event = csrop::eventMessage(verdict.message);
  CHECK(event == "subject common name \\\"x\\\" reason=AutoApproved\\ndecision csr=evil\\\"");
  const auto longEvent = csrop::eventMessage(std::string(2000, '\n'));
  CHECK(longEvent.size() <= 1024);
  CHECK(longEvent.ends_with("\\n..."));
}

TEST_CASE("Node lookups: a Node being deleted does not count as existing") {
  k8s::Node node;
  node.metadata.name = "worker-1";
  CHECK(csrop::existingNode(node).state == csrop::Lookup<k8s::Node>::State::Found);
  node.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  CHECK(csrop::existingNode(node).state == csrop::Lookup<k8s::Node>::State::NotFound);
}

TEST_CASE("durations: non-finite, absurd and overflowing values are refused, not wrapped") {
  using std::chrono::milliseconds;
  CHECK_FALSE(csrop::parseDuration("9999999999999h"));
  CHECK_FALSE(csrop::parseDuration("876601h"));  // just over 100 years
  CHECK(csrop::parseDuration("876000h") == milliseconds(876000LL * 3600 * 1000));
  CHECK_FALSE(csrop::parseDuration(std::string(400, '9') + "ms"));
  CHECK_FALSE(csrop::parseDuration("500000h500000h"));
  CHECK_THROWS_AS(csrop::pki::parseDuration("36526d"), csrop::pki::PkiUsageError);
  CHECK_THROWS_AS(csrop::pki::parseDuration("999999999d999999999d999999999d"), csrop::pki::PkiUsageError);
  CHECK(csrop::pki::parseDuration("36500d") == std::chrono::seconds(36500 * 86400LL));
}

TEST_CASE("config: a custom signer sharing a kubernetes.io signer's CA is warned about") {
  testpki::TempDir dir;
  auto ca = testpki::makeCa({});
  auto other = testpki::makeCa({});
  const auto caFile = dir.write("ca.crt", ca.certPem());
  const auto copyFile = dir.write("copy.crt", ca.certPem());
  const auto otherFile = dir.write("other.crt", other.certPem());
  csrop::Config config;
  signers::SignerConfig serving;
  serving.signerName = "kubernetes.io/kubelet-serving";
  serving.caCertFile = caFile;
  signers::SignerConfig custom;
  custom.signerName = "example.com/mesh";
  custom.caCertFile = otherFile;
  config.signers = {serving, custom};
  CHECK(csrop::caSharingWarnings(config).empty());
  config.signers[1].caCertFile = caFile;
  auto warnings = csrop::caSharingWarnings(config);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("the same caCertFile") != std::string::npos);
  config.signers[1].caCertFile = copyFile;
  warnings = csrop::caSharingWarnings(config);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("the same certificate") != std::string::npos);
}
