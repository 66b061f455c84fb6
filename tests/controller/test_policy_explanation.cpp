// What explain() says about each check (csr-operator explain), and that evaluate() is its verdict.
#include "PolicyFixtures.h"
#include "controller/KubeletClientPolicy.h"
#include "controller/KubeletServingPolicy.h"
#include "controller/RequesterRulePolicy.h"

#include <doctest/doctest.h>

using csrop::CheckResult;
using csrop::Decision;

namespace csrop {
inline std::ostream& operator<<(std::ostream& os, CheckResult r) { return os << checkResultName(r, Decision::Deny); }
}  // namespace csrop

namespace {

const std::vector<std::string> kServingRows = {
    "nonNodeRequester",   "request",         "requesterIsNode", "commonName",        "organization", "usages",
    "noEmailOrUri",       "subjectAltNames", "maxDNSNames",     "dnsNamesMustMatch", "expiration",   "signerProfile",
    "reservedIdentities", "nodeExists",      "allowedCIDRs",    "addressOwnership",  "dnsResolution"};

struct Serving {
  fixtures::FakeNodes nodes;
  fixtures::FakeResolver resolver;
  csrop::KubeletServingConfig config;

  Serving() {
    nodes.add("worker-1", {{"InternalIP", "10.0.0.7"}, {"Hostname", "worker-1"}});
    nodes.add("worker-2", {{"InternalIP", "10.0.0.8"}, {"Hostname", "worker-2"}});
  }
  // A fresh policy each time, as the operator's evaluation would see it.
  csrop::Explanation explain(const k8s::CertificateSigningRequest& csr) {
    fixtures::NodeSource source(nodes, config);
    csrop::KubeletServingPolicy policy(config, nodes, resolver, source.identity());
    return policy.explain(csr);
  }
  csrop::Verdict evaluate(const k8s::CertificateSigningRequest& csr) {
    fixtures::NodeSource source(nodes, config);
    csrop::KubeletServingPolicy policy(config, nodes, resolver, source.identity());
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

std::vector<std::string> names(const csrop::Explanation& e) {
  std::vector<std::string> out;
  for (const auto& row : e.checks) out.push_back(row.check);
  return out;
}

const csrop::CheckRow& row(const csrop::Explanation& e, const std::string& check) {
  for (const auto& r : e.checks)
    if (r.check == check) return r;
  FAIL("no row " << check);
  return e.checks.front();
}

}  // namespace

TEST_CASE("explain: kubelet-serving lists every check of its table in order, the switched-off ones as off") {
  Serving s;
  const auto e = s.explain(fixtures::servingCsr("worker-1", honest()));
  CHECK(e.policy == "kubelet-serving");
  CHECK(names(e) == kServingRows);
  for (const auto& r : e.checks) {
    CAPTURE(r.check);
    const bool off =
        r.check == "nonNodeRequester" || r.check == "dnsNamesMustMatch" || r.check == "allowedCIDRs" || r.check == "dnsResolution";
    CHECK(r.result == (off ? CheckResult::Off : CheckResult::Passed));
    CHECK_FALSE(r.message.empty());
  }
  CHECK(row(e, "allowedCIDRs").message == "approver.kubeletServing.allowedCIDRs is empty");
  CHECK(e.verdict.decision == Decision::Approve);

  s.config.checks.commonName = false;
  CHECK(row(s.explain(fixtures::servingCsr("worker-1", honest())), "commonName").result == CheckResult::Off);
}

TEST_CASE("explain: kubelet-serving stops at the deciding check, the later ones not reached") {
  Serving s;
  s.config.dnsResolution.enabled = true;
  SUBCASE("a foreign IP: DENY at addressOwnership, dnsResolution not reached") {
    auto o = honest();
    o.ips = {"10.0.0.8"};
    const auto e = s.explain(fixtures::servingCsr("worker-1", o));
    CHECK(row(e, "nodeExists").result == CheckResult::Passed);
    CHECK(row(e, "addressOwnership").result == CheckResult::Decided);
    CHECK(row(e, "addressOwnership").message == e.verdict.message);
    CHECK(row(e, "dnsResolution").result == CheckResult::NotReached);
    CHECK(e.verdict.decision == Decision::Deny);
    CHECK(e.verdict.reason == "AddressClaimedByOtherNode");
    CHECK(csrop::checkResultName(row(e, "addressOwnership").result, e.verdict.decision) == "DENY");
  }
  SUBCASE("a client usage: DENY at usages, and no later check looks the Node up") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.usages = {"digital signature", "client auth"};
    const auto e = s.explain(csr);
    CHECK(row(e, "usages").result == CheckResult::Decided);
    bool after = false;
    for (const auto& r : e.checks) {
      CAPTURE(r.check);
      // A check switched off stays off: it would not have run either way.
      const bool off = r.check == "dnsNamesMustMatch" || r.check == "allowedCIDRs";
      if (after) CHECK(r.result == (off ? CheckResult::Off : CheckResult::NotReached));
      after = after || r.check == "usages";
    }
    CHECK(s.nodes.lookups == 0);
  }
  SUBCASE("a garbage request: DENY at request, every table check not reached") {
    auto csr = fixtures::servingCsr("worker-1", honest());
    csr.spec.request = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    const auto e = s.explain(csr);
    CHECK(row(e, "request").result == CheckResult::Decided);
    CHECK(row(e, "requesterIsNode").result == CheckResult::NotReached);
    CHECK(row(e, "dnsResolution").result == CheckResult::NotReached);
    CHECK(e.verdict.reason == "InvalidRequest");
  }
  SUBCASE("a lookup that fails: RETRY at nodeExists") {
    s.nodes.failing = true;
    const auto e = s.explain(fixtures::servingCsr("worker-1", honest()));
    CHECK(row(e, "nodeExists").result == CheckResult::Decided);
    CHECK(csrop::checkResultName(CheckResult::Decided, e.verdict.decision) == "RETRY");
  }
}

TEST_CASE("explain: evaluate and explain agree on honest and hostile kubelet-serving CSRs") {
  using Options = testpki::CsrOptions;
  using Csr = k8s::CertificateSigningRequest;
  struct Case {
    const char* name;
    std::function<void(Options&)> request = {};  // what the requester signs (empty: the honest request)
    std::function<void(Csr&)> object = {};       // what the API server stores around it (empty: as created)
  };
  const std::vector<Case> cases = {
      {"honest"},
      {"foreign IP", [](Options& o) { o.ips = {"10.0.0.99"}; }},
      {"other node's IP", [](Options& o) { o.ips = {"10.0.0.8"}; }},
      {"other node's name", [](Options& o) { o.dnsNames = {"worker-2"}; }},
      {"reserved name", [](Options& o) { o.dnsNames = {"kubernetes.default.svc"}; }},
      {"CN of another node",
       [](Options& o) {
         o.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-2"}};
       }},
      {"email SAN", [](Options& o) { o.emails = {"root@example.com"}; }},
      {"not a node", {}, [](Csr& c) { c.spec.username = "alice"; }},
      {"ghost node", {}, [](Csr& c) { c.spec.username = "system:node:ghost"; }},
      {"client usage",
       {},
       [](Csr& c) {
         c.spec.usages = {"digital signature", "client auth"};
       }},
      {"too long", {}, [](Csr& c) { c.spec.expirationSeconds = 400LL * 24 * 3600; }},
  };
  for (const bool ignoreNonNodes : {false, true})
    for (const auto& c : cases) {
      CAPTURE(c.name);
      CAPTURE(ignoreNonNodes);
      Serving s;
      if (ignoreNonNodes) s.config.nonNodeRequester = csrop::NonNodeRequester::Ignore;
      auto o = honest();
      if (c.request) c.request(o);
      auto csr = fixtures::servingCsr("worker-1", o);
      if (c.object) c.object(csr);
      const auto explained = s.explain(csr);
      const auto evaluated = s.evaluate(csr);
      CHECK(explained.verdict.decision == evaluated.decision);
      CHECK(explained.verdict.reason == evaluated.reason);
      CHECK(explained.verdict.message == evaluated.message);
      int decided = 0;
      for (const auto& r : explained.checks) decided += r.result == CheckResult::Decided;
      CHECK(decided == (evaluated.decision == Decision::Approve ? 0 : 1));
    }
}

TEST_CASE("explain: kubelet-client lists its steps, the SubjectAccessReview deciding") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource["selfnodeclient"] = true;
  csrop::KubeletClientPolicy policy(reviewer);
  auto csr = fixtures::csrFor(testpki::makeCsr(testpki::nodeClientCsr("worker-1")), "kubernetes.io/kube-apiserver-client-kubelet",
                              "system:node:worker-1", {"system:nodes"}, {"digital signature", "client auth"});
  auto e = policy.explain(csr);
  CHECK(e.policy == "kubelet-client");
  CHECK(names(e) == std::vector<std::string>{"request", "kubeletClientRequest", "signerProfile", "subjectAccessReview"});
  CHECK(row(e, "subjectAccessReview").result == CheckResult::Decided);
  CHECK(e.verdict.decision == Decision::Approve);
  CHECK(policy.evaluate(csr).decision == Decision::Approve);

  csr.spec.usages = {"digital signature", "server auth"};
  e = policy.explain(csr);
  CHECK(row(e, "kubeletClientRequest").result == CheckResult::Decided);
  CHECK(row(e, "subjectAccessReview").result == CheckResult::NotReached);
  CHECK(e.verdict.decision == Decision::Skip);
}

TEST_CASE("explain: requester rules list the rule, the request and the signer's profile") {
  csrop::RequesterRule rule;
  rule.signerName = "example.com/my-signer";
  rule.users = {"alice"};
  csrop::RequesterRulePolicy policy({rule}, {});
  testpki::CsrOptions o;
  o.subject = {{"CN", "web"}};
  const auto allowed = fixtures::csrFor(testpki::makeCsr(o), "example.com/my-signer", "alice", {}, {"digital signature"});
  auto e = policy.explain(allowed);
  CHECK(names(e) == std::vector<std::string>{"requesterRule", "request", "signerProfile"});
  CHECK(row(e, "requesterRule").result == CheckResult::Passed);
  CHECK(row(e, "signerProfile").result == CheckResult::Off);
  CHECK(e.verdict.decision == Decision::Approve);

  auto denied = allowed;
  denied.spec.username = "mallory";
  e = policy.explain(denied);
  CHECK(row(e, "requesterRule").result == CheckResult::Decided);
  CHECK(row(e, "request").result == CheckResult::NotReached);
  CHECK(e.verdict.reason == "RequesterNotAllowed");
}
