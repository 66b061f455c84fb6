// kubernetes.io signer rules (pkg/controller/certificates/signer/signer.go) and csr-operator's common
// rules, on hand-built requests.
#include <doctest/doctest.h>

#include "signers/Profiles.h"

using namespace signers;

namespace {

ParsedRequest servingReq() {
  ParsedRequest r;
  r.commonName = "system:node:w1";
  r.organizations = {"system:nodes"};
  r.dnsNames = {"w1"};
  r.ipAddresses = {*IpAddress::parse("10.0.0.1")};
  r.keyType = KeyType::EcP256;
  r.keyBits = 256;
  return r;
}

ParsedRequest clientReq() {
  ParsedRequest r = servingReq();
  r.dnsNames.clear();
  r.ipAddresses.clear();
  return r;
}

const UsageSet kServing{"digital signature", "key encipherment", "server auth"};
const UsageSet kClient{"digital signature", "key encipherment", "client auth"};

}  // namespace

TEST_CASE("kubelet-serving: accepted shapes") {
  CHECK_FALSE(validateKubeletServing(servingReq(), kServing));
  CHECK_FALSE(validateKubeletServing(servingReq(), {"digital signature", "server auth"}));
  auto ipOnly = servingReq();
  ipOnly.dnsNames.clear();
  CHECK_FALSE(validateKubeletServing(ipOnly, kServing));
  auto dnsOnly = servingReq();
  dnsOnly.ipAddresses.clear();
  CHECK_FALSE(validateKubeletServing(dnsOnly, kServing));
}

TEST_CASE("kubelet-serving: each KCM rule with KCM's message") {
  auto r = servingReq();
  r.organizations = {"system:nodes", "extra"};
  CHECK(validateKubeletServing(r, kServing) == "subject organization is not system:nodes");
  r.organizations = {};
  CHECK(validateKubeletServing(r, kServing) == "subject organization is not system:nodes");
  r = servingReq();
  r.dnsNames.clear();
  r.ipAddresses.clear();
  CHECK(validateKubeletServing(r, kServing) == "DNS or IP subjectAltName is required");
  r = servingReq();
  r.emailAddresses = {"a@b.c"};
  CHECK(validateKubeletServing(r, kServing) == "Email subjectAltNames are not allowed");
  r = servingReq();
  r.uris = {"spiffe://x"};
  CHECK(validateKubeletServing(r, kServing) == "URI subjectAltNames are not allowed");
  r = servingReq();
  const std::string usageMsg = "usages did not match [digital signature key encipherment server auth]";
  CHECK(validateKubeletServing(r, {"server auth"}) == usageMsg);
  CHECK(validateKubeletServing(r, {"digital signature", "key encipherment", "server auth", "client auth"}) == usageMsg);
  CHECK(validateKubeletServing(r, {"digital signature", "server auth", "cert sign"}) == usageMsg);
  r.commonName = "node:w1";
  CHECK(validateKubeletServing(r, kServing) == "subject common name does not begin with system:node:");
}

TEST_CASE("kube-apiserver-client-kubelet: accepted shapes and each rule") {
  CHECK_FALSE(validateKubeletClient(clientReq(), kClient));
  CHECK_FALSE(validateKubeletClient(clientReq(), {"digital signature", "client auth"}));
  auto r = clientReq();
  r.organizations = {"other"};
  CHECK(validateKubeletClient(r, kClient) == "subject organization is not system:nodes");
  r = clientReq();
  r.dnsNames = {"w1"};
  CHECK(validateKubeletClient(r, kClient) == "DNS subjectAltNames are not allowed");
  r = clientReq();
  r.emailAddresses = {"a@b.c"};
  CHECK(validateKubeletClient(r, kClient) == "Email subjectAltNames are not allowed");
  r = clientReq();
  r.ipAddresses = {*IpAddress::parse("10.0.0.1")};
  CHECK(validateKubeletClient(r, kClient) == "IP subjectAltNames are not allowed");
  r = clientReq();
  r.uris = {"spiffe://x"};
  CHECK(validateKubeletClient(r, kClient) == "URI subjectAltNames are not allowed");
  r = clientReq();
  r.commonName = "alice";
  CHECK(validateKubeletClient(r, kClient) == "subject common name does not begin with system:node:");
  CHECK(validateKubeletClient(clientReq(), {"client auth"}) == "usages did not match [client auth digital signature key encipherment]");
  CHECK(validateKubeletClient(clientReq(), kServing) == "usages did not match [client auth digital signature key encipherment]");
}

TEST_CASE("kube-apiserver-client: usages and system:masters") {
  ParsedRequest r;
  r.commonName = "alice";
  r.organizations = {"devs"};
  r.emailAddresses = {"alice@example.com"};  // allowed, as in KCM
  CHECK_FALSE(validateApiServerClient(r, {"client auth"}));
  CHECK_FALSE(validateApiServerClient(r, {"digital signature", "key encipherment", "client auth"}));
  CHECK(validateApiServerClient(r, {"digital signature", "server auth", "client auth"}) ==
        "invalid usage for client certificate: server auth");
  CHECK(validateApiServerClient(r, {"digital signature"}) == "missing required usage for client certificate: client auth");
  r.organizations = {"devs", "system:masters"};
  CHECK(validateApiServerClient(r, {"client auth"}) ==
        "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
}

TEST_CASE("legacy-unknown: no profile restriction") {
  ParsedRequest r;
  r.organizations = {"system:masters"};
  CHECK_FALSE(validateLegacyUnknown(r, {"server auth", "code signing"}));
}

TEST_CASE("key policy: defaults and switches") {
  KeyPolicy policy;
  ParsedRequest r;
  r.keyType = KeyType::Rsa;
  r.keyBits = 2048;
  CHECK_FALSE(validateKeyPolicy(r, policy));
  r.keyBits = 1024;
  CHECK(validateKeyPolicy(r, policy) == "RSA key of 1024 bits is too small (minimum 2048)");
  r.keyBits = 16384;
  CHECK(validateKeyPolicy(r, policy) == "RSA key of 16384 bits is too large (maximum 8192)");
  r.keyBits = 3072;
  policy.minRsaBits = 4096;
  CHECK(validateKeyPolicy(r, policy));
  policy = {};
  policy.allowRsa = false;
  CHECK(validateKeyPolicy(r, policy) == "RSA keys are not allowed by this signer");
  policy = {};
  for (auto [type, field] : {std::pair{KeyType::EcP256, &KeyPolicy::allowP256}, std::pair{KeyType::EcP384, &KeyPolicy::allowP384},
                             std::pair{KeyType::Ed25519, &KeyPolicy::allowEd25519}}) {
    r.keyType = type;
    KeyPolicy p;
    CHECK_FALSE(validateKeyPolicy(r, p));
    p.*field = false;
    CHECK(validateKeyPolicy(r, p));
  }
  r.keyType = KeyType::EcOther;
  CHECK(validateKeyPolicy(r, policy));
  r.keyType = KeyType::Other;
  CHECK(validateKeyPolicy(r, policy));
}

TEST_CASE("common rules: CA request, forbidden and unknown usages, empty usages") {
  KeyPolicy policy;
  ParsedRequest r;
  r.keyType = KeyType::EcP256;
  CHECK_FALSE(validateCommonRules(r, {"client auth"}, policy));
  for (const char* u : {"cert sign", "crl sign", "any"}) {
    CAPTURE(u);
    auto err = validateCommonRules(r, {"client auth", u}, policy);
    REQUIRE(err);
    CHECK(err->find("is not allowed") != std::string::npos);
  }
  CHECK(validateCommonRules(r, {"client auth", "bogus"}, policy) == "unrecognized usage value: \"bogus\"");
  CHECK(validateCommonRules(r, {}, policy) == "at least one usage is required");
  r.requestsCa = true;
  CHECK(validateCommonRules(r, {"client auth"}, policy) == "requests for CA certificates (basicConstraints CA:TRUE) are not allowed");
}

TEST_CASE("signer names") {
  CHECK(isKubernetesSignerName(kKubeletServingSigner));
  CHECK_FALSE(isKubernetesSignerName("kubernetes.io/other"));
  CHECK_FALSE(checkSignerNameFormat("example.com/my-signer"));
  CHECK_FALSE(checkSignerNameFormat("example.com/my.signer"));
  CHECK(checkSignerNameFormat(""));
  CHECK(checkSignerNameFormat("example/signer"));
  CHECK(checkSignerNameFormat("example.com"));
  CHECK(checkSignerNameFormat("example.com/a/b"));
  CHECK(checkSignerNameFormat("Example.com/a"));
  CHECK(checkSignerNameFormat("example.com/"));
}

TEST_CASE("DNS name syntax") {
  CHECK(isWellFormedDnsName("a.example.com"));
  CHECK(isWellFormedDnsName("*.example.com"));
  CHECK(isWellFormedDnsName("Worker-1"));
  CHECK_FALSE(isWellFormedDnsName(""));
  CHECK_FALSE(isWellFormedDnsName("a..b"));
  CHECK_FALSE(isWellFormedDnsName("-a.b"));
  CHECK_FALSE(isWellFormedDnsName("a_b.c"));
  CHECK_FALSE(isWellFormedDnsName("a.*.c"));
  CHECK_FALSE(isWellFormedDnsName(std::string(64, 'a') + ".com"));
}
