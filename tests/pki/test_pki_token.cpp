// `pki sign`, `pki renew` and `pki kubeconfig user` with the kubernetes CA's key on a PKCS#11 token
// (SoftHSM2): the tree's ca.key imported, then removed, as in External CA mode with an HSM.
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>

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

namespace {

constexpr const char* kInitUri = "pkcs11:token=k8s-ca;object=kubernetes-ca";

// A tree whose kubernetes CA key `pki init --key-uri` created on a fresh token.
struct TokenInitTree {
  testpki::SoftHsm hsm;
  std::string tokenFlags;  // --ca-key-pin-file and --pkcs11-module, for init and sign alike
  std::unique_ptr<KubeadmTree> t;

  explicit TokenInitTree(const std::string& keyType) {
    hsm.initToken("k8s-ca");
    tokenFlags = " --ca-key-pin-file " + q(hsm.pinFile()) + " --pkcs11-module " + testpki::SoftHsm::kModule;
    t = std::make_unique<KubeadmTree>(" --key-uri " + q(kInitUri) + " --key-type " + keyType + tokenFlags);
  }
};

}  // namespace

TEST_CASE("pki token: init --key-uri creates the kubernetes CA key on the token, and pki sign signs the tree with it") {
  for (const std::string keyType : {"rsa", "ecdsa"}) {
    CAPTURE(keyType);
    TokenInitTree tt(keyType);
    KubeadmTree& t = *tt.t;
    CHECK(t.exists("pki/ca.crt"));
    CHECK_FALSE(t.exists("pki/ca.key"));
    CHECK(t.exists("pki/etcd/ca.key"));  // the other CAs and sa.key stay files
    CHECK(t.exists("pki/front-proxy-ca.key"));
    CHECK(t.exists("pki/sa.key"));

    const auto facts = tt.hsm.objectFacts("k8s-ca", "kubernetes-ca");
    CHECK(facts.privateKeys == 1);
    CHECK(facts.publicKeys == 1);
    CHECK_FALSE(facts.extractable);
    CHECK(facts.sensitive);
    CHECK(facts.neverExtractable);  // generated there, not imported
    CHECK(facts.keyType == (keyType == "rsa" ? 0ul : 3ul));

    // The same subject and CA extensions as a file CA of `pki init`, signed by the token key.
    auto text = run("openssl x509 -noout -text -in " + q(t.path("pki/ca.crt")));
    INFO(text.output);
    CHECK(text.output.find("Subject: CN = kubernetes-ca") != std::string::npos);
    CHECK(text.output.find("Issuer: CN = kubernetes-ca") != std::string::npos);
    CHECK(text.output.find("CA:TRUE") != std::string::npos);
    CHECK(text.output.find("Certificate Sign") != std::string::npos);
    CHECK(text.output.find(keyType == "rsa" ? "sha256WithRSAEncryption" : "ecdsa-with-SHA256") != std::string::npos);
    auto self = run("openssl verify -CAfile " + q(t.path("pki/ca.crt")) + " " + q(t.path("pki/ca.crt")));
    CHECK(self.exitCode == 0);

    auto signed_ = pki("sign --dir " + q(t.root().string()) + " --ca-key " + q(kInitUri) + tt.tokenFlags);
    INFO(signed_.output);
    REQUIRE(signed_.exitCode == 0);
    for (const std::string cert : {"pki/apiserver.crt", "pki/apiserver-kubelet-client.crt"}) {
      auto r = run("openssl verify -CAfile " + q(t.path("pki/ca.crt")) + " " + q(t.path(cert)));
      INFO(cert << ": " << r.output);
      CHECK(r.exitCode == 0);
    }
    auto verified = pki("verify --dir " + q(t.root().string()));
    INFO(verified.output);
    CHECK(verified.exitCode == 0);
  }
}

TEST_CASE("pki token: init --key-uri never replaces a key on the token, keeps its own tree, and says why it cannot start") {
  TokenInitTree tt("ecdsa");
  const std::string first = tt.t->read("pki/ca.crt");

  // Again on the same tree: the certificate and its token key are kept.
  auto again = pki("init --dir " + q(tt.t->root().string()) + " --key-uri " + q(kInitUri) + tt.tokenFlags);
  INFO(again.output);
  CHECK(again.exitCode == 0);
  CHECK(again.output.find("kept existing ca") != std::string::npos);
  CHECK(tt.t->read("pki/ca.crt") == first);

  // A second tree with the same object: refused, nothing written, the first key untouched.
  testpki::TempDir other;
  auto second = pki("init --dir " + q(other.path().string()) + " --key-uri " + q(kInitUri) + tt.tokenFlags);
  INFO(second.output);
  CHECK(second.exitCode == 1);
  CHECK(second.output.find("already holds an object labelled \"kubernetes-ca\"") != std::string::npos);
  CHECK(second.output.find("choose another object=") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(other.path() / "pki/ca.crt"));
  const auto facts = tt.hsm.objectFacts("k8s-ca", "kubernetes-ca");
  CHECK(facts.privateKeys == 1);
  CHECK(facts.publicKeys == 1);
  auto stillSigns = pki("sign --dir " + q(tt.t->root().string()) + " --ca-key " + q(kInitUri) + tt.tokenFlags);
  INFO(stillSigns.output);
  CHECK(stillSigns.exitCode == 0);

  // An intermediate of a file root: the token key, certified by the root.
  testpki::TempDir intermediate;
  auto underRoot =
      pki("init --dir " + q(intermediate.path().string()) + " --key-uri 'pkcs11:token=k8s-ca;object=intermediate-ca'" + tt.tokenFlags +
          " --root-ca " + q(tt.t->path("pki/etcd/ca.crt")) + " --root-key " + q(tt.t->path("pki/etcd/ca.key")));
  INFO(underRoot.output);
  CHECK(underRoot.exitCode == 0);
  CHECK_FALSE(std::filesystem::exists(intermediate.path() / "pki/ca.key"));
  auto chained = run("openssl verify -CAfile " + q(tt.t->path("pki/etcd/ca.crt")) + " " + q((intermediate.path() / "pki/ca.crt").string()));
  CHECK(chained.exitCode == 0);
  CHECK(tt.hsm.objectFacts("k8s-ca", "intermediate-ca").privateKeys == 1);

  // Token not found, PIN refused, a key file in the way, flags without --key-uri.
  testpki::TempDir failing;
  const std::string dir = " --dir " + q(failing.path().string());
  auto noToken = pki("init" + dir + " --key-uri 'pkcs11:token=nope;object=x'" + tt.tokenFlags);
  CHECK(noToken.exitCode == 1);
  CHECK(noToken.output.find("no token present matches") != std::string::npos);
  auto wrongPin = pki("init" + dir + " --key-uri 'pkcs11:token=k8s-ca;object=x' --ca-key-pin-file " + q(tt.t->path("pki/sa.pub")) +
                      " --pkcs11-module " + testpki::SoftHsm::kModule);
  CHECK(wrongPin.exitCode == 1);
  CHECK(wrongPin.output.find("CKR_PIN_INCORRECT") != std::string::npos);
  CHECK(tt.hsm.objectFacts("k8s-ca", "x").privateKeys == 0);
  auto noPin = pki("init" + dir + " --key-uri 'pkcs11:token=k8s-ca;object=x' --pkcs11-module " + testpki::SoftHsm::kModule);
  CHECK(noPin.exitCode == 1);
  CHECK(noPin.output.find("needs --ca-key-pin-file") != std::string::npos);
  auto otherKey = pki("init --dir " + q(tt.t->root().string()) + " --key-uri 'pkcs11:token=k8s-ca;object=y'" + tt.tokenFlags);
  CHECK(otherKey.exitCode == 1);
  CHECK(otherKey.output.find("pki/ca.crt exists but does not work with the token key") != std::string::npos);
  KubeadmTree fileTree;
  auto keyFile = pki("init --dir " + q(fileTree.root().string()) + " --key-uri 'pkcs11:token=k8s-ca;object=y'" + tt.tokenFlags);
  CHECK(keyFile.exitCode == 1);
  CHECK(keyFile.output.find("pki/ca.key exists") != std::string::npos);
  CHECK(tt.hsm.objectFacts("k8s-ca", "y").privateKeys == 0);
  auto badType = pki("init" + dir + " --key-uri " + q(kInitUri) + " --key-type dsa" + tt.tokenFlags);
  CHECK(badType.exitCode == 2);
  CHECK(badType.output.find("--key-type must be rsa or ecdsa") != std::string::npos);
  auto pinAlone = pki("init" + dir + " --ca-key-pin-file x");
  CHECK(pinAlone.exitCode == 2);
  CHECK(pinAlone.output.find("give --key-uri pkcs11:") != std::string::npos);
}

TEST_CASE("pki token: init --key-uri on a token that cannot sign with the key type refuses and leaves no key behind") {
  // SoftHSM2 still generates EC keys without CKM_ECDSA, and refuses only the signature. Its parser
  // (2.6.1) ignores the first name of a "-" list, hence CKM_ECDSA_SHA1 before it.
  testpki::SoftHsm hsm("slots.mechanisms = -CKM_ECDSA_SHA1,CKM_ECDSA");
  hsm.initToken("k8s-ca");
  testpki::TempDir dir;
  const std::string flags = " --ca-key-pin-file " + q(hsm.pinFile()) + " --pkcs11-module " + testpki::SoftHsm::kModule;
  auto ecdsa = pki("init --dir " + q(dir.path().string()) + " --key-uri " + q(kInitUri) + " --key-type ecdsa" + flags);
  INFO(ecdsa.output);
  CHECK(ecdsa.exitCode == 1);
  CHECK(ecdsa.output.find("CKR_MECHANISM_INVALID") != std::string::npos);
  CHECK(ecdsa.output.find("removed from the token again") != std::string::npos);
  CHECK(ecdsa.output.find("choose the other key type") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "pki/ca.crt"));
  const auto facts = hsm.objectFacts("k8s-ca", "kubernetes-ca");
  CHECK(facts.privateKeys == 0);
  CHECK(facts.publicKeys == 0);
  // The other key type works on the same token, under the same object name.
  auto rsa = pki("init --dir " + q(dir.path().string()) + " --key-uri " + q(kInitUri) + flags);
  INFO(rsa.output);
  CHECK(rsa.exitCode == 0);
  CHECK(hsm.objectFacts("k8s-ca", "kubernetes-ca").privateKeys == 1);
}
