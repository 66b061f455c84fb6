// The kubelet-serving signer profile refuses the API server's Service names and anything under
// .svc or .svc.<clusterDomain> (issue 11): the approver refuses them too, but a signer that signs
// for another approver (External CA mode) must not depend on it.
#include <doctest/doctest.h>

#include "signers/Profiles.h"

using namespace signers;

namespace {

const Requester kNode{"system:node:w1", {"system:nodes", "system:authenticated"}};

ParsedRequest servingWith(const std::string& dns) {
  ParsedRequest r;
  r.commonName = "system:node:w1";
  r.organizations = {"system:nodes"};
  r.dnsNames = {"w1", dns};
  r.ipAddresses = {*IpAddress::parse("10.0.0.1")};
  r.keyType = KeyType::EcP256;
  r.keyBits = 256;
  return r;
}

std::optional<std::string> profile(const std::string& dns, std::string_view domain = kDefaultClusterDomain) {
  return validateKubernetesProfile(kKubeletServingSigner, servingWith(dns), {"digital signature", "server auth"}, kNode, KeyPolicy{},
                                   domain);
}

}  // namespace

TEST_CASE("kubelet-serving profile: the API server's Service names are refused") {
  for (const char* name :
       {"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "Kubernetes.Default.SVC"}) {
    CAPTURE(name);
    auto err = profile(name);
    REQUIRE(err);
    CHECK(err->find("the API server's Service name") != std::string::npos);
  }
}

TEST_CASE("kubelet-serving profile: names under .svc and .svc.<clusterDomain> are refused, for the configured domain") {
  for (const char* name : {"svc", "db.prod.svc", "db.prod.svc.cluster.local", "svc.cluster.local"}) {
    CAPTURE(name);
    auto err = profile(name);
    REQUIRE(err);
    CHECK(err->find("under .svc") != std::string::npos);
  }
  CHECK(profile("kubernetes.default.svc.corp.example", "corp.example"));
  CHECK(profile("db.prod.svc.corp.example", "corp.example"));
  // Another domain's .svc.<domain> is still under .svc only when it ends in .svc.
  CHECK_FALSE(profile("db.prod.svc.cluster.local", "corp.example"));
}

TEST_CASE("kubelet-serving profile: node names that only resemble Service names pass") {
  for (const char* name : {"w1.example.com", "svc-1.example.com", "kubernetes-node-1", "kubernetes.example.com", "mysvc"}) {
    CAPTURE(name);
    CHECK_FALSE(profile(name));
  }
}

TEST_CASE("kubelet-serving profile: other signers are not affected") {
  auto r = servingWith("kubernetes.default.svc");
  r.dnsNames = {};
  CHECK_FALSE(validateNotServiceName(r, kDefaultClusterDomain));
  CHECK(validateNotServiceName(servingWith("kubernetes.default.svc"), kDefaultClusterDomain));
}
