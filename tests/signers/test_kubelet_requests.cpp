// The one recogniser of kubelet requests that the signer profiles and the approval policies share.
#include <doctest/doctest.h>

#include "signers/KubeletRequests.h"
#include "signers/Profiles.h"

using namespace signers;

namespace {

ParsedRequest clientRequest() {
  ParsedRequest r;
  r.commonName = "system:node:w1";
  r.organizations = {"system:nodes"};
  r.keyType = KeyType::EcP256;
  r.keyBits = 256;
  return r;
}

const UsageSet kClient{"digital signature", "client auth"};

}  // namespace

TEST_CASE("kubelet requests: the node name of a username") {
  CHECK(nodeNameOf("system:node:worker-1") == "worker-1");
  CHECK(nodeNameOf("system:node:") == "");
  CHECK(nodeNameOf("system:node") == "");
  CHECK(nodeNameOf("system:nodes") == "");
  CHECK(nodeNameOf("alice") == "");
  CHECK(nodeNameOf("") == "");
  CHECK(nodeNameOf("System:Node:worker-1") == "");
}

TEST_CASE("kubelet requests: a node requester is a node username in system:nodes") {
  CHECK(isNodeRequester("system:node:w1", {"system:authenticated", "system:nodes"}));
  CHECK_FALSE(isNodeRequester("system:node:w1", {"system:authenticated"}));
  CHECK_FALSE(isNodeRequester("system:node:", {"system:nodes"}));
  CHECK_FALSE(isNodeRequester("system:bootstrap:abcdef", {"system:nodes"}));
}

TEST_CASE("kubelet requests: the organization is exactly system:nodes") {
  auto r = clientRequest();
  CHECK(organizationIsSystemNodes(r));
  r.organizations = {"system:nodes", "system:nodes"};
  CHECK_FALSE(organizationIsSystemNodes(r));
  r.organizations = {"system:masters"};
  CHECK_FALSE(organizationIsSystemNodes(r));
  r.organizations = {};
  CHECK_FALSE(organizationIsSystemNodes(r));
}

TEST_CASE("kubelet requests: the usage sets, with and without key encipherment") {
  CHECK(isKubeletServingUsageSet({"digital signature", "key encipherment", "server auth"}));
  CHECK(isKubeletServingUsageSet({"digital signature", "server auth"}));
  CHECK_FALSE(isKubeletServingUsageSet({"server auth"}));
  CHECK_FALSE(isKubeletServingUsageSet({"digital signature", "server auth", "client auth"}));
  CHECK_FALSE(isKubeletServingUsageSet({"digital signature", "client auth"}));
  CHECK(isKubeletClientUsageSet({"digital signature", "key encipherment", "client auth"}));
  CHECK(isKubeletClientUsageSet({"digital signature", "client auth"}));
  CHECK_FALSE(isKubeletClientUsageSet({"client auth"}));
  CHECK_FALSE(isKubeletClientUsageSet({"digital signature", "server auth"}));
}

TEST_CASE("kubelet requests: the kube-apiserver-client-kubelet profile refuses exactly what the recogniser refuses") {
  auto r = clientRequest();
  UsageSet usages = kClient;
  SUBCASE("a kubelet client request") {}
  SUBCASE("a DNS SAN") { r.dnsNames = {"w1"}; }
  SUBCASE("another organization") { r.organizations = {"system:masters"}; }
  SUBCASE("a CN that is not a node") { r.commonName = "admin"; }
  SUBCASE("server auth") { usages = {"digital signature", "server auth"}; }
  const auto recognised = validateKubeletClient(r, usages);
  const auto profile = validateKubernetesProfile(kKubeletClientSigner, r, {usages.begin(), usages.end()}, Requester{}, KeyPolicy{});
  CHECK(recognised == profile);
}

TEST_CASE("usages: each listed once, and shown as listed") {
  CHECK(listsEachUsageOnce({"digital signature", "server auth"}));
  CHECK(listsEachUsageOnce({}));
  CHECK_FALSE(listsEachUsageOnce({"digital signature", "server auth", "digital signature"}));
  CHECK(formatRequestedUsages({"server auth", "digital signature"}) == "[server auth, digital signature]");
  CHECK(formatRequestedUsages({}) == "[]");
}
