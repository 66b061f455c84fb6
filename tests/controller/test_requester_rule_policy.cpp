#include "PolicyFixtures.h"
#include "controller/RequesterRulePolicy.h"
#include "signers/FileCaSigner.h"

#include <doctest/doctest.h>

using csrop::Decision;

namespace {

csrop::RequesterRule rule() {
  csrop::RequesterRule r;
  r.signerName = "example.com/my-signer";
  r.users = {"alice"};
  r.groups = {"team-a"};
  r.serviceAccounts = {"apps/web"};
  return r;
}

k8s::CertificateSigningRequest request(const std::string& user, std::vector<std::string> groups) {
  testpki::CsrOptions o;
  o.subject = {{"CN", "web"}};
  o.dnsNames = {"web.apps.svc"};
  return fixtures::csrFor(testpki::makeCsr(o), "example.com/my-signer", user, std::move(groups), {"digital signature", "server auth"});
}

}  // namespace

TEST_CASE("requester rules: handles only the signers it names") {
  csrop::RequesterRulePolicy policy({rule()}, {});
  CHECK(policy.handles("example.com/my-signer"));
  CHECK_FALSE(policy.handles("example.com/other"));
  CHECK_FALSE(policy.handles("kubernetes.io/kubelet-serving"));
}

TEST_CASE("requester rules: users, groups and service accounts") {
  csrop::RequesterRulePolicy policy({rule()}, {});
  CHECK(policy.evaluate(request("alice", {})).decision == Decision::Approve);
  CHECK(policy.evaluate(request("bob", {"team-a"})).decision == Decision::Approve);
  CHECK(policy.evaluate(request("system:serviceaccount:apps:web", {})).decision == Decision::Approve);
  auto v = policy.evaluate(request("system:serviceaccount:apps:other", {"system:serviceaccounts"}));
  CHECK(v.decision == Decision::Deny);
  CHECK(v.reason == "RequesterNotAllowed");
}

TEST_CASE("requester rules: the signer's own constraints are checked before approving") {
  testpki::TempDir dir;
  auto ca = testpki::makeCa({});
  signers::SignerConfig sc;
  sc.signerName = "example.com/my-signer";
  sc.caCertFile = dir.write("ca.crt", ca.certPem());
  sc.caKeyFile = dir.write("ca.key", testpki::keyPem(ca.key.get()));
  sc.allowedUsages = {"digital signature", "server auth"};
  sc.allowDns = true;
  sc.dnsSuffixes = {"other.svc"};
  auto signer = signers::FileCaSigner::create(sc);
  REQUIRE_MESSAGE(signer.ok(), signer.error());
  csrop::RequesterRulePolicy policy({rule()}, {{"example.com/my-signer", signer.value().get()}});
  auto v = policy.evaluate(request("alice", {}));
  CHECK(v.decision == Decision::Deny);
  CHECK(v.reason == "SignerConstraintsViolated");
}
