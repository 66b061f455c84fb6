// podCertificates, trustBundles and signers.list[].trustBundle (issue 14): defaults, a full file,
// and every refusal naming the key, the line and a fix.
#include "controller/ConfigLoader.h"
#include "tests/controller/ConfigErrors.h"

#include <doctest/doctest.h>

using configtest::errorOf;
using csrop::parseConfigText;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string podSigner(const std::string& extra) {
  return "podCertificates:\n  signers:\n    - signerName: example.com/pods\n      caCertFile: /pki/pods.crt\n      caKeyFile: /pki/pods.key\n"
         "      allowedNamespaces: [shop]\n" +
         extra;
}

}  // namespace

TEST_CASE("config: pod certificates are off by default and publish no trust bundle") {
  const auto c = parseConfigText("", "cfg.yaml");
  CHECK(c.podCertificates.signers.empty());
  CHECK(c.trustBundles.csrSigners.empty());
  CHECK(c.trustBundles.nameSuffix == "csr-operator");
}

TEST_CASE("config: a pod certificate signer's defaults are the kubelet's key types, a SPIFFE ID, 24h, refresh at 50-80 %") {
  const auto c = parseConfigText(podSigner(""), "cfg.yaml");
  REQUIRE(c.podCertificates.signers.size() == 1);
  const auto& p = c.podCertificates.signers[0];
  CHECK(p.signerName == "example.com/pods");
  CHECK(p.allowedServiceAccounts.empty());
  CHECK(p.trustDomain == "cluster.local");
  CHECK(p.spiffeId);
  CHECK(p.usages == std::vector<std::string>{"digital signature", "client auth", "server auth"});
  CHECK(p.maxLifetime == std::chrono::hours(24));
  CHECK(p.allowedKeyTypes.size() == 6);
  CHECK(p.refreshFrom == doctest::Approx(0.5));
  CHECK(p.refreshTo == doctest::Approx(0.8));
  CHECK_FALSE(p.publishTrustBundle);
  CHECK_FALSE(p.verifyPod);
  CHECK(p.accessReview.verb.empty());
}

TEST_CASE("config: verifyPod and accessReview are read, a review needs a verb and a resource") {
  const auto c = parseConfigText(
      podSigner("      verifyPod: true\n      accessReview: {verb: request, group: certificates.k8s.io, resource: signers, name: mesh}\n"),
      "cfg.yaml");
  const auto& p = c.podCertificates.signers.at(0);
  CHECK(p.verifyPod);
  CHECK(p.accessReview.verb == "request");
  CHECK(p.accessReview.group == "certificates.k8s.io");
  CHECK(p.accessReview.resource == "signers");
  CHECK(p.accessReview.name == "mesh");
  const auto noResource = errorOf(podSigner("      accessReview: {verb: request}\n"));
  CHECK(has(noResource, "podCertificates.signers[0].accessReview.resource"));
  CHECK(has(noResource, "is empty while verb is set"));
  CHECK(has(errorOf(podSigner("      accessReview: {resource: signers}\n")), "set verb"));
  CHECK(has(errorOf(podSigner("      accessReview: {verb: get, resource: pods, subresource: x}\n")), "unknown key 'subresource'"));
  CHECK(has(errorOf(podSigner("      verifyPod: sometimes\n")), "write true or false"));
}

TEST_CASE("config: a full pod certificate signer and CSR signer bundles are read") {
  const auto c = parseConfigText(R"(
approver: {enabled: false}
signers:
  list:
    - signerName: example.com/app
      caCertFile: /pki/app.crt
      caKeyFile: /pki/app.key
      allowedUsages: [digital signature, server auth]
      trustBundle: {publish: true}
podCertificates:
  signers:
    - signerName: example.com/pods
      caCertFile: /pki/pods.crt
      caKeyFile: /pki/pods.key
      chainFiles: [/pki/int.crt]
      allowedNamespaces: [shop]
      allowedServiceAccounts: [payments/api, batch/*]
      trustDomain: prod.example.com
      dnsNameTemplates: ["{serviceAccount}.{namespace}.svc"]
      usages: [digital signature, client auth]
      userAnnotations:
        example.com/profile:
          server: {dnsNameTemplates: ["{pod}.{namespace}.svc"], usages: [digital signature, server auth]}
      maxLifetime: 12h
      allowedKeyTypes: [ED25519, ECDSAP256]
      refresh: {from: 0.6, to: 0.7}
      trustBundle: {publish: true}
trustBundles: {nameSuffix: prod}
)",
                                 "cfg.yaml");
  CHECK(c.trustBundles.csrSigners == std::vector<std::string>{"example.com/app"});
  CHECK(c.trustBundles.nameSuffix == "prod");
  REQUIRE(c.podCertificates.signers.size() == 1);
  const auto& p = c.podCertificates.signers[0];
  CHECK(p.chainFiles == std::vector<std::string>{"/pki/int.crt"});
  CHECK(p.allowedServiceAccounts == std::vector<std::string>{"payments/api", "batch/*"});
  CHECK(p.trustDomain == "prod.example.com");
  CHECK(p.dnsNameTemplates == std::vector<std::string>{"{serviceAccount}.{namespace}.svc"});
  CHECK(p.usages == std::vector<std::string>{"digital signature", "client auth"});
  const auto& server = p.userAnnotations.at("example.com/profile").at("server");
  CHECK(server.dnsNameTemplates == std::vector<std::string>{"{pod}.{namespace}.svc"});
  CHECK(server.usages == std::vector<std::string>{"digital signature", "server auth"});
  CHECK(p.maxLifetime == std::chrono::hours(12));
  CHECK(p.allowedKeyTypes == std::vector<std::string>{"ED25519", "ECDSAP256"});
  CHECK(p.refreshFrom == doctest::Approx(0.6));
  CHECK(p.publishTrustBundle);
}

TEST_CASE("config: a pod certificate signer alone is a valid instance") {
  CHECK(errorOf("approver: {enabled: false}\n" + podSigner("")) == "");
}

TEST_CASE("config: pod certificate signers are refused with the key and a fix") {
  CHECK(has(errorOf("podCertificates:\n  signers:\n    - caCertFile: a\n      caKeyFile: b\n"), "needs a signerName"));
  CHECK(has(errorOf("podCertificates:\n  signers:\n    - signerName: pods\n      caCertFile: a\n      caKeyFile: b\n"),
            "must look like example.com/pod-identity"));
  CHECK(has(errorOf("podCertificates:\n  signers:\n    - signerName: kubernetes.io/kube-apiserver-client-pod\n      caCertFile: a\n"
                    "      caKeyFile: b\n"),
            "reserved for Kubernetes"));
  CHECK(has(errorOf("podCertificates:\n  signers:\n    - signerName: example.com/pods\n      caCertFile: a\n"),
            "needs caCertFile and caKeyFile"));
  CHECK(has(errorOf(podSigner("    - signerName: example.com/pods\n      caCertFile: a\n      caKeyFile: b\n")), "repeats signer"));
  CHECK(has(errorOf("signers:\n  list:\n    - signerName: example.com/pods\n      caCertFile: a\n      caKeyFile: b\n"
                    "      allowedUsages: [client auth]\n" +
                    podSigner("")),
            "also in signers.list"));
  const auto sa = errorOf(podSigner("      allowedServiceAccounts: [web]\n"));
  CHECK(has(sa, "cfg.yaml:"));
  CHECK(has(sa, "podCertificates.signers[0].allowedServiceAccounts"));
  CHECK(has(sa, "namespace/name"));
  CHECK(has(errorOf(podSigner("      allowedKeyTypes: [RSA2048]\n")), "the kubelet's key types are"));
  CHECK(has(errorOf(podSigner("      allowedKeyTypes: []\n")), "is empty"));
  CHECK(has(errorOf(podSigner("      maxLifetime: 30m\n")), "must be between 1h and 2184h"));
  CHECK(has(errorOf(podSigner("      maxLifetime: 2200h\n")), "must be between 1h and 2184h"));
  CHECK(has(errorOf(podSigner("      refresh: {from: 0.8, to: 0.5}\n")), "refresh.to"));
  CHECK(has(errorOf(podSigner("      refresh: {from: 0.01}\n")), "refresh.from"));
  CHECK(has(errorOf(podSigner("      trustDomain: Prod_Domain\n")), "SPIFFE trust domain"));
  CHECK(has(errorOf(podSigner("      usages: [cert sign]\n")), "may use only"));
  CHECK(has(errorOf(podSigner("      usages: []\n")), "is empty"));
  CHECK(has(errorOf(podSigner("      dnsNameTemplates: [\"{node}.example.com\"]\n")), "the placeholders are"));
  CHECK(has(errorOf(podSigner("      spiffeId: false\n")), "would carry no identity"));
  CHECK(errorOf(podSigner("      spiffeId: false\n      dnsNameTemplates: [\"{pod}.example.com\"]\n")) == "");
  CHECK(has(errorOf(podSigner("      userAnnotations: {profile: {a: {}}}\n")), "domain-prefixed"));
  CHECK(has(errorOf(podSigner("      userAnnotations: {example.com/profile: [a]}\n")),
            "podCertificates.signers[0].userAnnotations.example.com/profile must be a mapping"));
  CHECK(has(errorOf(podSigner("      userAnnotations: {example.com/profile: {}}\n")), "lists no values"));
  CHECK(has(errorOf(podSigner("      userAnnotations: {example.com/profile: {a: {usages: [any]}}}\n")),
            "podCertificates.signers[0].userAnnotations.example.com/profile.a.usages"));
  CHECK(has(errorOf(podSigner("      userAnnotations: {example.com/profile: {a: {spiffeId: false}}}\n")), "unknown key 'spiffeId'"));
  CHECK(has(errorOf(podSigner("      trustBundle: {publish: maybe}\n")), "write true or false"));
  CHECK(has(errorOf(podSigner("      bogus: 1\n")), "unknown key 'bogus'"));
}

TEST_CASE("config: trustBundles.nameSuffix must be a label value, signers.list[].trustBundle has only publish") {
  CHECK(has(errorOf("trustBundles: {nameSuffix: 'My Suffix'}\n"), "trustBundles.nameSuffix"));
  CHECK(has(errorOf("trustBundles: {nameSuffix: ''}\n"), "lower-case letters"));
  CHECK(has(errorOf("signers:\n  list:\n    - signerName: example.com/app\n      caCertFile: a\n      caKeyFile: b\n"
                    "      trustBundle: {publish: true, name: x}\n"),
            "unknown key 'name'"));
}
