// Identical pending kubelet-serving CSRs from one node are decided once, on the newest (issue 11).
#include "PolicyFixtures.h"
#include "controller/DuplicateRequests.h"

#include <doctest/doctest.h>

namespace {

constexpr const char* kServing = "kubernetes.io/kubelet-serving";

k8s::CertificateSigningRequest filed(const std::string& name, const std::string& created, const std::vector<std::string>& ips,
                                     const std::string& node = "worker-1") {
  testpki::CsrOptions o;
  o.subject = {{"O", "system:nodes"}, {"CN", "system:node:" + node}};
  o.dnsNames = {node};
  o.ips = ips;
  auto csr = fixtures::servingCsr(node, o);  // a new key each time, as the kubelet does
  csr.metadata.name = name;
  csr.metadata.creationTimestamp = created;
  return csr;
}

}  // namespace

TEST_CASE("duplicates: of identical requests only the newest is decided, the others name it") {
  csrop::DuplicateRequests d(kServing);
  d.update(filed("csr-a", "2026-01-01T00:00:00Z", {"10.0.0.7"}));
  d.update(filed("csr-c", "2026-01-01T00:30:00Z", {"10.0.0.7"}));
  d.update(filed("csr-b", "2026-01-01T00:15:00Z", {"10.0.0.7"}));
  CHECK(d.newerIdentical("csr-a") == std::optional<std::string>("csr-c"));
  CHECK(d.newerIdentical("csr-b") == std::optional<std::string>("csr-c"));
  CHECK_FALSE(d.newerIdentical("csr-c"));
}

TEST_CASE("duplicates: different names, requesters or signers are not duplicates") {
  csrop::DuplicateRequests d(kServing);
  d.update(filed("old", "2026-01-01T00:00:00Z", {"10.0.0.7"}));
  d.update(filed("new-ip", "2026-01-01T00:15:00Z", {"10.0.0.9"}));
  d.update(filed("other-node", "2026-01-01T00:20:00Z", {"10.0.0.7"}, "worker-2"));
  auto client = filed("client", "2026-01-01T00:25:00Z", {"10.0.0.7"});
  client.spec.signerName = "kubernetes.io/kube-apiserver-client-kubelet";
  d.update(client);
  CHECK_FALSE(d.newerIdentical("old"));
  CHECK_FALSE(d.newerIdentical("new-ip"));
  CHECK_FALSE(d.newerIdentical("client"));
}

TEST_CASE("duplicates: deleting the newest hands the decision to the next newest") {
  csrop::DuplicateRequests d(kServing);
  d.update(filed("csr-a", "2026-01-01T00:00:00Z", {"10.0.0.7"}));
  d.update(filed("csr-b", "2026-01-01T00:15:00Z", {"10.0.0.7"}));
  CHECK_FALSE(d.remove("csr-a"));  // not the newest: nobody moves up
  d.update(filed("csr-a", "2026-01-01T00:00:00Z", {"10.0.0.7"}));
  CHECK(d.remove("csr-b") == std::optional<std::string>("csr-a"));
  CHECK_FALSE(d.newerIdentical("csr-a"));
  CHECK_FALSE(d.remove("csr-a"));
  CHECK_FALSE(d.remove("never-seen"));
}

TEST_CASE("duplicates: an unreadable request is not tracked, so it is decided on its own") {
  csrop::DuplicateRequests d(kServing);
  auto broken = filed("broken", "2026-01-01T00:00:00Z", {"10.0.0.7"});
  broken.spec.request = "not a PEM";
  d.update(broken);
  d.update(filed("good", "2026-01-01T00:15:00Z", {"10.0.0.7"}));
  CHECK_FALSE(d.newerIdentical("broken"));
}

TEST_CASE("duplicates: within one second of creationTimestamp, the CSR seen later is the newer, whatever its name") {
  csrop::DuplicateRequests d(kServing);
  d.update(filed("zz-first", "2026-01-01T00:00:00Z", {"10.0.0.7"}));
  d.update(filed("aa-second", "2026-01-01T00:00:00Z", {"10.0.0.7"}));
  CHECK(d.newerIdentical("zz-first") == std::optional<std::string>("aa-second"));
  CHECK_FALSE(d.newerIdentical("aa-second"));
}

TEST_CASE("duplicates: a creationTimestamp that does not parse ranks oldest, and times compare as instants, not as text") {
  csrop::DuplicateRequests d(kServing);
  d.update(filed("unparsable", "yesterday", {"10.0.0.7"}));
  d.update(filed("later", "2026-01-01T00:00:10Z", {"10.0.0.7"}));
  d.update(filed("earlier-fraction", "2026-01-01T00:00:09.5Z", {"10.0.0.7"}));
  CHECK(d.newerIdentical("unparsable") == std::optional<std::string>("later"));
  CHECK(d.newerIdentical("earlier-fraction") == std::optional<std::string>("later"));
  CHECK_FALSE(d.newerIdentical("later"));
}

TEST_CASE("duplicates: a thousand groups of two keep apart, each naming its own newest") {
  csrop::DuplicateRequests d(kServing);
  for (int i = 0; i < 1000; ++i) {
    const std::string ip = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    d.update(filed("old-" + std::to_string(i), "2026-01-01T00:00:00Z", {ip}));
    d.update(filed("new-" + std::to_string(i), "2026-01-01T00:01:00Z", {ip}));
  }
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(d.newerIdentical("old-" + std::to_string(i)) == std::optional<std::string>("new-" + std::to_string(i)));
    REQUIRE_FALSE(d.newerIdentical("new-" + std::to_string(i)));
  }
}
