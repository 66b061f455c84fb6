#include "PolicyFixtures.h"
#include "controller/KubeletClientPolicy.h"
#include "signers/CertificateRequest.h"
#include "signers/KubeletRequests.h"

#include <doctest/doctest.h>

using csrop::Decision;

namespace {

k8s::CertificateSigningRequest clientCsr(const std::string& username, const testpki::CsrOptions& o,
                                         std::vector<std::string> usages = {"digital signature", "client auth"}) {
  return fixtures::csrFor(testpki::makeCsr(o), "kubernetes.io/kube-apiserver-client-kubelet", username,
                          {"system:nodes", "system:authenticated"}, std::move(usages));
}

}  // namespace

TEST_CASE("kubelet-client: self node client renewal is approved after a selfnodeclient SubjectAccessReview") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource["selfnodeclient"] = true;
  csrop::KubeletClientPolicy policy(reviewer);
  auto v = policy.evaluate(clientCsr("system:node:worker-1", testpki::nodeClientCsr("worker-1")));
  CHECK(v.decision == Decision::Approve);
  CHECK(v.message == "Auto approving self kubelet client certificate after SubjectAccessReview.");
  REQUIRE(reviewer.seen.size() == 1);
  const auto& ra = reviewer.seen[0].spec.resourceAttributes;
  CHECK(ra.group == "certificates.k8s.io");
  CHECK(ra.resource == "certificatesigningrequests");
  CHECK(ra.verb == "create");
  CHECK(ra.subresource == "selfnodeclient");
  CHECK(reviewer.seen[0].spec.user == "system:node:worker-1");
}

TEST_CASE("kubelet-client: bootstrap requests fall through to nodeclient") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource["nodeclient"] = true;
  csrop::KubeletClientPolicy policy(reviewer);
  auto v = policy.evaluate(clientCsr("system:bootstrap:abcdef", testpki::nodeClientCsr("worker-1")));
  CHECK(v.decision == Decision::Approve);
  CHECK(v.message == "Auto approving kubelet client certificate after SubjectAccessReview.");
  REQUIRE(reviewer.seen.size() == 1);  // selfnodeclient does not apply: username != CN
  CHECK(reviewer.seen[0].spec.resourceAttributes.subresource == "nodeclient");
}

TEST_CASE("kubelet-client: not allowed by any review is left alone, never approved") {
  fixtures::FakeReviewer reviewer;
  csrop::KubeletClientPolicy policy(reviewer);
  auto v = policy.evaluate(clientCsr("system:node:worker-1", testpki::nodeClientCsr("worker-1")));
  CHECK(v.decision == Decision::Skip);
  CHECK(v.reason == "NotAuthorized");
  CHECK(reviewer.seen.size() == 2);
}

TEST_CASE("kubelet-client: a failing SubjectAccessReview retries") {
  fixtures::FakeReviewer reviewer;
  reviewer.failing = true;
  csrop::KubeletClientPolicy policy(reviewer);
  CHECK(policy.evaluate(clientCsr("system:node:worker-1", testpki::nodeClientCsr("worker-1"))).decision == Decision::Retry);
}

TEST_CASE("kubelet-client: requests that are not kubelet client requests are not approved") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource = {{"selfnodeclient", true}, {"nodeclient", true}};
  csrop::KubeletClientPolicy policy(reviewer);
  auto o = testpki::nodeClientCsr("worker-1");
  SUBCASE("with a DNS SAN") { o.dnsNames = {"worker-1"}; }
  SUBCASE("with O=system:masters") { o.subject = {{"O", "system:masters"}, {"CN", "system:node:worker-1"}}; }
  SUBCASE("with a CN that is not a node") { o.subject = {{"O", "system:nodes"}, {"CN", "admin"}}; }
  auto v = policy.evaluate(clientCsr("system:node:worker-1", o));
  CHECK(v.decision == Decision::Skip);
  CHECK(v.reason == "NotKubeletClientRequest");
  CHECK(reviewer.seen.empty());
}

TEST_CASE("kubelet-client: server auth usage is not a client request") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource = {{"selfnodeclient", true}};
  csrop::KubeletClientPolicy policy(reviewer);
  auto v = policy.evaluate(clientCsr("system:node:worker-1", testpki::nodeClientCsr("worker-1"), {"digital signature", "server auth"}));
  CHECK(v.decision == Decision::Skip);
}

TEST_CASE("kubelet-client: the policy recognises a kubelet client request with the signer profile's own rule") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource = {{"selfnodeclient", true}, {"nodeclient", true}};
  csrop::KubeletClientPolicy policy(reviewer);
  auto o = testpki::nodeClientCsr("worker-1");
  std::vector<std::string> usages = {"digital signature", "client auth"};
  SUBCASE("an IP SAN") { o.ips = {"10.0.0.7"}; }
  SUBCASE("an email SAN") { o.emails = {"kubelet@example.com"}; }
  SUBCASE("a URI SAN") { o.uris = {"spiffe://cluster/node/worker-1"}; }
  SUBCASE("server auth") { usages = {"digital signature", "server auth"}; }
  SUBCASE("client auth alone") { usages = {"client auth"}; }
  auto csr = clientCsr("system:node:worker-1", o, usages);
  auto parsed = signers::parseCertificateRequest(csr.spec.request);
  REQUIRE(parsed.ok());
  const auto why = signers::validateKubeletClient(parsed.value(), signers::toUsageSet(usages));
  REQUIRE(why);
  auto v = policy.evaluate(csr);
  CHECK(v.decision == Decision::Skip);
  CHECK(v.reason == "NotKubeletClientRequest");
  CHECK(v.message == "not a kubelet client request (" + *why + "); left for a human");
  CHECK(reviewer.seen.empty());
}

TEST_CASE("kubelet-client: a usage listed twice is not a kubelet client request") {
  fixtures::FakeReviewer reviewer;
  reviewer.allowBySubresource = {{"selfnodeclient", true}, {"nodeclient", true}};
  csrop::KubeletClientPolicy policy(reviewer);
  auto v = policy.evaluate(
      clientCsr("system:node:worker-1", testpki::nodeClientCsr("worker-1"), {"digital signature", "client auth", "client auth"}));
  CHECK(v.decision == Decision::Skip);
  CHECK(v.reason == "NotKubeletClientRequest");
  CHECK(v.message.find("more than once") != std::string::npos);
  CHECK(reviewer.seen.empty());
}
