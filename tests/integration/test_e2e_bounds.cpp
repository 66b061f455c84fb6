// Hostile requesters against the real binary: the flood guard, CSRs of signers this instance does
// not handle, oversized requests, and what the cache transform must not lose on a write.
#include "Scenario.h"
#include "k8sclient/ApiError.h"

#include <doctest/doctest.h>

using namespace itest;
using namespace std::chrono_literals;

namespace {

bool pending(const k8s::CertificateSigningRequest& c) { return c.status.conditions.empty(); }

std::string servingFor(const std::string& node) { return Scenario::servingRequest(node, {node}, {}); }

bool logHas(const OperatorProcess& op, const std::string& text) { return op.log().find(text) != std::string::npos; }

}  // namespace

TEST_CASE("e2e: flood guard: a node's newest CSRs are handled, the older ones left alone, other nodes unaffected") {
  Scenario s;
  auto& admin = s.cluster.admin();
  // Names sort in creation order, so "newest" is also the last names when creation times tie. Each
  // asks for other names: identical ones would be decided once, on the newest (DuplicateRequests).
  const std::vector<std::vector<std::string>> dns = {
      {"worker-1"}, {"worker-1.cluster.internal"}, {"worker-1", "worker-1.cluster.internal"}};
  for (int i = 0; i < 6; ++i)
    s.createServing(
        "flood-" + std::to_string(i), "worker-1",
        Scenario::servingRequest("worker-1", dns[i % 3], i < 3 ? std::vector<std::string>{} : std::vector<std::string>{"10.0.0.1"}));
  s.createServing("other-node", "worker-2", servingFor("worker-2"));
  OperatorProcess op(s.cluster, "flood", s.config(false, "approver: {maxPendingPerRequester: 3}\n"), s.operatorKubeconfig());
  op.start();

  CHECK(isIssued(waitForCsr(admin, "other-node", isIssued)));
  for (const char* name : {"flood-3", "flood-4", "flood-5"}) CHECK(isIssued(waitForCsr(admin, name, isIssued)));
  // The older three are looked at and left alone: a log line each, and no write.
  for (const char* name : {"flood-0", "flood-1", "flood-2"})
    CHECK(eventually([&] { return logHas(op, std::string("flood guard: leaving csr=") + name + " alone"); }, 10s, 50ms));
  for (const char* name : {"flood-0", "flood-1", "flood-2"}) CHECK(pending(admin.get<k8s::CertificateSigningRequest>(name)));
  // The gauge follows the watch, which may still be delivering the issued CSRs' updates.
  CHECK(eventually([&] { return op.metric("csr_operator_pending_csrs", {"kubernetes.io/kubelet-serving"}) == 3; }, 10s, 50ms));

  // Deleting one of the handled CSRs lets the next older one in; the oldest stay alone.
  admin.remove<k8s::CertificateSigningRequest>("flood-5");
  CHECK(isIssued(waitForCsr(admin, "flood-2", isIssued)));
  CHECK(pending(admin.get<k8s::CertificateSigningRequest>("flood-1")));
  CHECK(eventually([&] { return op.metric("csr_operator_pending_csrs", {"kubernetes.io/kubelet-serving"}) == 2; }, 10s, 50ms));
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e: only handled signers are watched, an oversized request is denied with the limit in the message") {
  Scenario s;
  auto& admin = s.cluster.admin();
  auto mallory = s.cluster.kubeconfigFor("mallory", {"developers"});
  for (const char* name : {"unhandled-1", "unhandled-2"})
    s.cluster.createCsr(mallory, name, testpki::makeCsr(testpki::nodeClientCsr("x")), "example.com/unhandled",
                        {"digital signature", "client auth"});
  // Above the request parser's 64 KiB limit, still a valid request for the API server.
  std::vector<std::string> names;
  for (int i = 0; i < 1500; ++i) names.push_back("n" + std::to_string(i) + ".worker-1.some-long-domain-name.example.com");
  const auto big = Scenario::servingRequest("worker-1", names, {});
  REQUIRE(big.size() > 64 * 1024);
  s.createServing("oversized", "worker-1", big);

  OperatorProcess op(s.cluster, "signers", s.config(), s.operatorKubeconfig());
  op.start();
  const auto denied = waitForCsr(admin, "oversized", isDenied);
  REQUIRE(isDenied(denied));
  const auto* condition = k8s::findCondition(denied, "Denied");
  REQUIRE(condition);
  CHECK(condition->reason == "InvalidRequest");
  CHECK(condition->message.find("more than the limit of 65536") != std::string::npos);
  CHECK(eventually([&] { return logHas(op, "informers synced: 1 CSRs cached"); }, 10s, 50ms));
  CHECK(logHas(op, "watching CSRs of signers [kubernetes.io/kube-apiserver-client-kubelet,kubernetes.io/kubelet-serving] only"));
  CHECK(pending(admin.get<k8s::CertificateSigningRequest>("unhandled-1")));
  CHECK(op.stop() == 0);
}

TEST_CASE("e2e: labels and annotations the cache drops survive the approval write") {
  Scenario s;
  auto& admin = s.cluster.admin();
  k8s::CertificateSigningRequest csr;
  csr.metadata.name = "labelled";
  csr.metadata.labels = {{"team", "nodes"}};
  csr.metadata.annotations = {{"example.com/ticket", "1234"}};
  csr.spec.request = servingFor("worker-1");
  csr.spec.signerName = "kubernetes.io/kubelet-serving";
  csr.spec.usages = {"digital signature", "server auth"};
  s.cluster.clientFor(s.cluster.nodeKubeconfig("worker-1"))->create(csr);
  OperatorProcess op(s.cluster, "labels", s.config(), s.operatorKubeconfig());
  op.start();
  const auto issued = waitForCsr(admin, "labelled", isIssued);
  REQUIRE(isIssued(issued));
  CHECK(issued.metadata.labels == std::map<std::string, std::string>{{"team", "nodes"}});
  CHECK(issued.metadata.annotations.at("example.com/ticket") == "1234");
  CHECK(op.stop() == 0);
}
