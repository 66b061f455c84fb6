// signers.list[] and podCertificates.signers[] with a CA key on a PKCS#11 token: caKeyFile as a URI, caKeyPinFile/caKeyPinEnv,
// pkcs11Module, pkcs11Sessions, and the mistakes refused with file:line.
#include "controller/ConfigLoader.h"
#include "tests/controller/ConfigErrors.h"

#include <doctest/doctest.h>

using configtest::errorOf;

namespace {

std::string signer(const std::string& fields) {
  return "workers: 6\nsigners:\n  list:\n    - {signerName: kubernetes.io/kubelet-serving, caCertFile: /pki/ca.crt, " + fields + "}\n";
}

}  // namespace

TEST_CASE("config pkcs11: a token key, its PIN source, module and session pool") {
  auto config = csrop::parseConfigText(signer("caKeyFile: 'pkcs11:token=k8s-ca;object=kubernetes-ca;type=private', caKeyPinFile: /pin/pin, "
                                              "pkcs11Module: /usr/lib/softhsm/libsofthsm2.so"),
                                       "cfg.yaml");
  REQUIRE(config.signers.size() == 1);
  const auto& s = config.signers[0];
  CHECK(s.caKeyFile == "pkcs11:token=k8s-ca;object=kubernetes-ca;type=private");
  CHECK(s.caKeyPinFile == "/pin/pin");
  CHECK(s.pkcs11Module == "/usr/lib/softhsm/libsofthsm2.so");
  CHECK(s.pkcs11Sessions == 6);  // one per worker unless set

  auto fromDefaults = csrop::parseConfigText(
      "signers:\n  defaults: {caCertFile: /ca.crt, caKeyFile: 'pkcs11:object=ca', caKeyPinEnv: TOKEN_PIN, pkcs11Sessions: 2}\n"
      "  list: [{signerName: kubernetes.io/kubelet-serving}, {signerName: kubernetes.io/kube-apiserver-client-kubelet}]\n",
      "cfg.yaml");
  for (const auto& c : fromDefaults.signers) {
    CHECK(c.caKeyPinEnv == "TOKEN_PIN");
    CHECK(c.pkcs11Sessions == 2);
    CHECK(c.pkcs11Module.empty());  // the signer uses p11-kit's proxy
  }
}

TEST_CASE("config pkcs11: mistakes name the line and the fix") {
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:token=k8s-ca;object=ca?pin-value=1234'")).find("cfg.yaml:4: signers.list[0]") == 0);
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:token=k8s-ca;object=ca?pin-value=1234'")).find("caKeyPinFile") != std::string::npos);
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:token=k8s-ca;object=ca?pin-value=1234'")).find("1234") == std::string::npos);
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:token=k8s-ca'")).find("names no key") != std::string::npos);
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:object=ca', caKeyPassphraseFile: /p")).find("goes in caKeyPinFile or caKeyPinEnv") !=
        std::string::npos);
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:object=ca', caKeyPinFile: /p, caKeyPinEnv: P")).find("keep one") != std::string::npos);
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:object=ca', pkcs11Module: libsofthsm2.so")).find("absolute path") != std::string::npos);
  CHECK(errorOf(signer("caKeyFile: /pki/ca.key, caKeyPinFile: /p")).find("not a pkcs11: URI") != std::string::npos);
  CHECK(errorOf(signer("caKeyFile: 'pkcs11:object=ca', pkcs11Sessions: 1000")).find("between 0 and 256") != std::string::npos);
}

namespace {

std::string podSigner(const std::string& fields) {
  return "workers: 3\npodCertificates:\n  signers:\n    - {signerName: example.com/pods, caCertFile: /c, allowedNamespaces: [a], " +
         fields + "}\n";
}

}  // namespace

TEST_CASE("config pkcs11: a pod-certificate signer's key on a token, with the same settings and checks as signers.list") {
  auto config = csrop::parseConfigText(podSigner("caKeyFile: 'pkcs11:token=pods;object=pod-ca', caKeyPinEnv: POD_PIN, "
                                                 "pkcs11Module: /usr/lib/softhsm/libsofthsm2.so"),
                                       "cfg.yaml");
  REQUIRE(config.podCertificates.signers.size() == 1);
  const auto& s = config.podCertificates.signers[0];
  CHECK(s.caKeyFile == "pkcs11:token=pods;object=pod-ca");
  CHECK(s.caKeyPinEnv == "POD_PIN");
  CHECK(s.pkcs11Module == "/usr/lib/softhsm/libsofthsm2.so");
  CHECK(s.pkcs11Sessions == 3);  // one per worker unless set
  CHECK(csrop::parseConfigText(podSigner("caKeyFile: 'pkcs11:object=pod-ca', pkcs11Sessions: 2"), "cfg.yaml")
            .podCertificates.signers[0]
            .pkcs11Sessions == 2);

  CHECK(errorOf(podSigner("caKeyFile: 'pkcs11:object=ca', caKeyPassphraseFile: /p")).find("goes in caKeyPinFile or caKeyPinEnv") !=
        std::string::npos);
  CHECK(errorOf(podSigner("caKeyFile: 'pkcs11:object=ca', caKeyPinFile: /p, caKeyPinEnv: P")).find("keep one") != std::string::npos);
  CHECK(errorOf(podSigner("caKeyFile: 'pkcs11:token=pods'")).find("names no key") != std::string::npos);
  CHECK(errorOf(podSigner("caKeyFile: /pki/pods.key, caKeyPinFile: /p")).find("not a pkcs11: URI") != std::string::npos);
  CHECK(errorOf(podSigner("caKeyFile: 'pkcs11:object=ca', pkcs11Module: rel.so")).find("absolute path") != std::string::npos);
  CHECK(errorOf(podSigner("caKeyFile: 'pkcs11:object=ca', pkcs11Sessions: 300")).find("between 0 and 256") != std::string::npos);
}
