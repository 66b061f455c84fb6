// `pki sign`, `pki renew` and `pki kubeconfig user` with the kubernetes CA's key on a PKCS#11 token
// (SoftHSM2): the tree's ca.key imported, then removed, as in External CA mode with an HSM.
#include <doctest/doctest.h>

#include <filesystem>

#include "tests/pki/KubeadmTree.h"
#include "tests/support/SoftHsm.h"

using pkitest::KubeadmTree;
using pkitest::pki;
using pkitest::run;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

struct TokenTree {
  KubeadmTree t;
  testpki::SoftHsm hsm;
  std::string tokenFlags;

  TokenTree() {
    hsm.initToken("k8s-ca");
    hsm.importKeyFile("k8s-ca", t.path("pki/ca.key"), "kubernetes-ca");
    std::filesystem::remove(t.path("pki/ca.key"));
    tokenFlags = " --ca-key 'pkcs11:token=k8s-ca;object=kubernetes-ca;type=private' --ca-key-pin-file " + q(hsm.pinFile()) +
                 " --pkcs11-module " + testpki::SoftHsm::kModule;
  }

  bool verifies(const std::string& caFile, const std::string& certFile) const {
    auto r = run("openssl verify -CAfile " + q(t.path(caFile)) + " " + q(t.path(certFile)));
    INFO(certFile << ": " << r.output);
    return r.exitCode == 0 && r.output.find(": OK") != std::string::npos;
  }
};

}  // namespace

TEST_CASE("pki token: sign and renew with the kubernetes CA key on a token, the other CAs from files") {
  TokenTree tt;
  const std::string dir = q(tt.t.root().string());
  // Without the key anywhere, signing is refused and names the way out.
  auto missing = pki("sign --dir " + dir);
  CHECK(missing.exitCode != 0);
  CHECK(missing.output.find("pass --ca-dir") != std::string::npos);

  auto signed_ = pki("sign --dir " + dir + tt.tokenFlags);
  INFO(signed_.output);
  REQUIRE(signed_.exitCode == 0);
  CHECK(tt.verifies("pki/ca.crt", "pki/apiserver.crt"));
  CHECK(tt.verifies("pki/ca.crt", "pki/apiserver-kubelet-client.crt"));
  CHECK(tt.verifies("pki/etcd/ca.crt", "pki/etcd/server.crt"));  // etcd-ca's key is still a file
  CHECK(signed_.output.find(testpki::SoftHsm::kPin) == std::string::npos);

  const std::string before = tt.t.read("pki/apiserver.crt");
  auto renewed = pki("renew apiserver --dir " + dir + " --validity-period 100d" + tt.tokenFlags);
  INFO(renewed.output);
  REQUIRE(renewed.exitCode == 0);
  CHECK(tt.t.read("pki/apiserver.crt") != before);
  CHECK(tt.verifies("pki/ca.crt", "pki/apiserver.crt"));
}

TEST_CASE("pki token: kubeconfig user signed by a token key, and flag mistakes") {
  TokenTree tt;
  const std::string out = tt.t.path("johndoe.conf");
  auto made = pki("kubeconfig user --client-name johndoe --org appdevs --server https://10.0.0.1:6443 --ca-cert " +
                  q(tt.t.path("pki/ca.crt")) + tt.tokenFlags + " --out " + q(out));
  INFO(made.output);
  REQUIRE(made.exitCode == 0);
  auto cert = run("grep client-certificate-data " + q(out) + " | awk '{print $2}' | base64 -d > " + q(out + ".crt") +
                  " && openssl verify -CAfile " + q(tt.t.path("pki/ca.crt")) + " " + q(out + ".crt"));
  INFO(cert.output);
  CHECK(cert.exitCode == 0);

  auto wrongPin = pki("kubeconfig user --client-name x --server https://10.0.0.1:6443 --ca-cert " + q(tt.t.path("pki/ca.crt")) +
                      " --ca-key 'pkcs11:token=k8s-ca;object=kubernetes-ca' --ca-key-pin-file " + q(tt.t.path("pki/sa.pub")) +
                      " --pkcs11-module " + testpki::SoftHsm::kModule);
  CHECK(wrongPin.exitCode == 1);
  CHECK(wrongPin.output.find("CKR_PIN_INCORRECT") != std::string::npos);
  auto pinForFile = pki("sign --dir " + q(tt.t.root().string()) + " --ca-key " + q(tt.t.path("pki/etcd/ca.key")) + " --ca-key-pin-file x");
  CHECK(pinForFile.exitCode == 2);
  CHECK(pinForFile.output.find("are for a CA key on a token") != std::string::npos);
}
