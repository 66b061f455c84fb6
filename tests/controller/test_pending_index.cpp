#include "controller/PendingIndex.h"

#include "controller/ConfigLoader.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

using csrop::PendingIndex;

namespace {

k8s::CertificateSigningRequest csr(const std::string& name, const std::string& requester, int second,
                                   const std::string& signer = "kubernetes.io/kubelet-serving") {
  k8s::CertificateSigningRequest c;
  c.metadata.name = name;
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "2026-01-01T00:%02d:%02dZ", second / 60, second % 60);
  c.metadata.creationTimestamp = stamp;
  c.spec.username = requester;
  c.spec.signerName = signer;
  return c;
}

k8s::CertificateSigningRequest decided(k8s::CertificateSigningRequest c, const std::string& type = "Approved") {
  c.status.conditions.push_back({type, "True", "r", "m", "", ""});
  return c;
}

}  // namespace

TEST_CASE("pending index: only a requester's newest N pending CSRs are handled") {
  PendingIndex index(3);
  for (int i = 0; i < 5; ++i) index.update(csr("a" + std::to_string(i), "system:node:a", i));
  index.update(csr("b0", "system:node:b", 0));
  CHECK_FALSE(index.standing("a0").handled);
  CHECK_FALSE(index.standing("a1").handled);
  for (const char* name : {"a2", "a3", "a4"}) CHECK(index.standing(name).handled);
  CHECK(index.standing("a0").pending == 5);
  // One requester's flood never touches another's standing.
  CHECK(index.standing("b0").handled);
  CHECK(index.standing("b0").pending == 1);
  CHECK(index.pendingBySigner().at("kubernetes.io/kubelet-serving") == 6);
}

TEST_CASE("pending index: deciding the newest keeps the older ones out, deleting one lets the next in") {
  PendingIndex index(2);
  for (int i = 0; i < 4; ++i) index.update(csr("a" + std::to_string(i), "u", i));
  CHECK_FALSE(index.standing("a1").handled);
  // Decided CSRs keep their rank: approving the newest does not pull the flood in behind them.
  index.update(decided(csr("a3", "u", 3)));
  index.update(decided(csr("a2", "u", 2), "Denied"));
  CHECK_FALSE(index.standing("a1").handled);
  CHECK(index.standing("a3").handled);  // not pending any more: nothing to hold back
  CHECK(index.standing("a1").pending == 2);
  // A newer CSR is handled at once, however many older ones wait.
  index.update(csr("a9", "u", 9));
  CHECK(index.standing("a9").handled);
  // Deleting one inside the window lets the next older one in, and says which.
  CHECK_FALSE(index.remove("a9"));  // a2 (decided) moves in: nothing to enqueue
  auto promoted = index.remove("a3");
  REQUIRE(promoted);
  CHECK(*promoted == "a1");
  CHECK(index.standing("a1").handled);
  CHECK_FALSE(index.standing("a0").handled);
  // Deleting one outside the window promotes nobody.
  CHECK_FALSE(index.remove("a0"));
  CHECK(index.pendingBySigner().at("kubernetes.io/kubelet-serving") == 1);
}

TEST_CASE("pending index: requesters are counted per signer, repeated events change nothing") {
  PendingIndex index(1);
  index.update(csr("s1", "u", 1, "example.com/one"));
  index.update(csr("s2", "u", 2, "example.com/two"));
  index.update(csr("s2", "u", 2, "example.com/two"));
  CHECK(index.standing("s1").handled);
  CHECK(index.standing("s2").handled);
  CHECK(index.standing("s2").pending == 1);
  CHECK_FALSE(index.remove("unknown"));
  index.remove("s1");
  index.remove("s2");
  CHECK(index.pendingBySigner().empty());
}

TEST_CASE("config: approver.maxPendingPerRequester defaults to 10 and must be at least 1") {
  CHECK(csrop::parseConfigText("", "cfg.yaml").approver.maxPendingPerRequester == 10);
  CHECK(csrop::parseConfigText("approver: {maxPendingPerRequester: 3}\n", "cfg.yaml").approver.maxPendingPerRequester == 3);
  CHECK_THROWS_AS(csrop::parseConfigText("approver: {maxPendingPerRequester: 0}\n", "cfg.yaml"), csrop::ConfigFileError);
}
