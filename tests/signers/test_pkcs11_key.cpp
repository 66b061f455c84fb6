// CA keys on a PKCS#11 token (SoftHSM2 in a temporary folder): issuing with RSA and ECDSA token
// keys, what is refused at load, and a token that goes away and comes back.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "signers/CertificateAuthority.h"
#include "signers/FileCaSigner.h"
#include "signers/Pkcs11Key.h"
#include "signers/PodCertificate.h"
#include "signers/Profiles.h"
#include "tests/support/SoftHsm.h"

using namespace signers;
using namespace testpki;

namespace {

const std::vector<std::string> kServingUsages{"digital signature", "server auth"};

// A CA whose key is on a fresh SoftHSM token "k8s-ca" as object "kubernetes-ca".
struct TokenCa {
  SoftHsm hsm;
  TestCa ca;
  std::string certFile;

  explicit TokenCa(KeyKind kind) : ca(makeCa({.key = kind})) {
    hsm.initToken("k8s-ca");
    hsm.importKey("k8s-ca", ca.key.get(), "kubernetes-ca");
    certFile = (hsm.dir() / "ca.crt").string();
    std::ofstream(certFile) << ca.certPem();
  }

  SignerConfig config(const std::string& uri = "pkcs11:token=k8s-ca;object=kubernetes-ca;type=private") const {
    SignerConfig c;
    c.signerName = kKubeletServingSigner;
    c.caCertFile = certFile;
    c.caKeyFile = uri;
    c.caKeyPinFile = hsm.pinFile();
    c.pkcs11Module = SoftHsm::kModule;
    c.pkcs11Sessions = 2;
    return c;
  }
};

IssueRequest servingRequest(KeyKind key = KeyKind::P256) {
  auto o = nodeServingCsr();
  o.key = key;
  return IssueRequest{makeCsr(o), kKubeletServingSigner, kServingUsages, std::nullopt};
}

// The issued certificate's signature checks out against the CA certificate's key.
bool issuedBy(const std::variant<IssuedCertificate, IssueError>& out, const TestCa& ca) {
  if (const auto* e = std::get_if<IssueError>(&out)) {
    MESSAGE("issue failed: " << e->message);
    return false;
  }
  auto leaf = parseCertPem(std::get<IssuedCertificate>(out).pem);
  return leaf && X509_verify(leaf.get(), X509_get0_pubkey(ca.cert.get())) == 1;
}

}  // namespace

TEST_CASE("pkcs11 key: RSA and ECDSA CA keys on a token issue certificates the CA verifies") {
  for (const auto kind : {KeyKind::Rsa2048, KeyKind::P256, KeyKind::P384}) {
    CAPTURE(static_cast<int>(kind));
    TokenCa t(kind);
    auto signer = FileCaSigner::create(t.config());
    REQUIRE_MESSAGE(signer.ok(), signer.error());
    CHECK_FALSE(signer.value()->unavailable().has_value());
    for (int i = 0; i < 3; ++i) CHECK(issuedBy(signer.value()->issue(servingRequest(), std::chrono::system_clock::now()), t.ca));
  }
}

TEST_CASE("pkcs11 key: the key is found by id alone, the PIN comes from an environment variable") {
  TokenCa t(KeyKind::P256);
  auto c = t.config("pkcs11:token=k8s-ca;id=%01");
  c.caKeyPinFile.clear();
  c.caKeyPinEnv = "CSR_OPERATOR_TEST_TOKEN_PIN";
  setenv("CSR_OPERATOR_TEST_TOKEN_PIN", SoftHsm::kPin, 1);
  auto signer = FileCaSigner::create(c);
  unsetenv("CSR_OPERATOR_TEST_TOKEN_PIN");
  REQUIRE_MESSAGE(signer.ok(), signer.error());
  CHECK(issuedBy(signer.value()->issue(servingRequest(), std::chrono::system_clock::now()), t.ca));
}

TEST_CASE("pkcs11 key: refused at load, with the reason and never the PIN") {
  TokenCa t(KeyKind::P256);
  auto refusal = [](const SignerConfig& c) {
    auto s = FileCaSigner::create(c);
    return s ? std::string("accepted") : s.error();
  };
  SUBCASE("a token key that is not the CA certificate's key") {
    t.hsm.importKey("k8s-ca", freshKey(KeyKind::P256).get(), "other-key", "02");
    CHECK(refusal(t.config("pkcs11:token=k8s-ca;object=other-key")).find("does not match the CA certificate") != std::string::npos);
  }
  SUBCASE("a wrong PIN") {
    auto c = t.config();
    TempDir d;
    c.caKeyPinFile = d.write("pin", "0000-wrong\n");
    const auto why = refusal(c);
    CHECK(why.find("CKR_PIN_INCORRECT") != std::string::npos);
    CHECK(why.find("0000-wrong") == std::string::npos);
  }
  SUBCASE("no PIN: the private key is not visible") {
    auto c = t.config();
    c.caKeyPinFile.clear();
    CHECK(refusal(c).find("no PIN was given") != std::string::npos);
  }
  SUBCASE("no such token or key") {
    CHECK(refusal(t.config("pkcs11:token=other;object=kubernetes-ca")).find("no token present matches") != std::string::npos);
    CHECK(refusal(t.config("pkcs11:token=k8s-ca;object=nope")).find("no private key on the token matches") != std::string::npos);
  }
  SUBCASE("two keys match") {
    t.hsm.importKey("k8s-ca", freshKey(KeyKind::P256).get(), "kubernetes-ca", "03");
    CHECK(refusal(t.config()).find("more than one private key matches") != std::string::npos);
  }
  SUBCASE("settings that do not fit a token key") {
    auto c = t.config();
    c.caKeyPassphraseFile = c.caKeyPinFile;
    CHECK(refusal(c).find("takes caKeyPinFile or caKeyPinEnv") != std::string::npos);
    c = t.config();
    c.caKeyPinEnv = "X";
    CHECK(refusal(c).find("keep one") != std::string::npos);
    c = t.config();
    c.pkcs11Module = "/nonexistent/module.so";
    CHECK(refusal(c).find("cannot load PKCS#11 module /nonexistent/module.so") != std::string::npos);
    c = t.config("pkcs11:token=k8s-ca;object=kubernetes-ca?module-path=/other.so");
    CHECK(refusal(c).find("is not pkcs11Module") != std::string::npos);
    CHECK(refusal(t.config("pkcs11:token=k8s-ca;object=kubernetes-ca?pin-value=1")).find("pin-value is not accepted") != std::string::npos);
  }
  SUBCASE("a PIN setting for a key file") {
    TempDir d;
    auto c = t.config(d.write("ca.key", keyPem(t.ca.key.get())));
    CHECK(refusal(c).find("not a PKCS#11 URI") != std::string::npos);
  }
}

TEST_CASE("pkcs11 key: a token that goes away is unavailable, then reconnected, and another token in its place never signs") {
  TokenCa t(KeyKind::P256);
  auto created = FileCaSigner::create(t.config());
  REQUIRE_MESSAGE(created.ok(), created.error());
  auto& signer = *created.value();
  const auto now = std::chrono::system_clock::now();
  REQUIRE(issuedBy(signer.issue(servingRequest(), now), t.ca));

  t.hsm.unplug();
  auto out = signer.issue(servingRequest(), now);
  REQUIRE(std::holds_alternative<IssueError>(out));
  CHECK(std::get<IssueError>(out).kind == IssueErrorKind::Transient);
  REQUIRE(signer.unavailable().has_value());
  CHECK(signer.unavailable()->find("kubernetes-ca") != std::string::npos);
  // Still away: a reconnection attempt fails and says so.
  REQUIRE(signer.reloadIfChanged().ok());
  CHECK(std::holds_alternative<IssueError>(signer.issue(servingRequest(), now)));
  CHECK(signer.unavailable()->find("no token present matches") != std::string::npos);

  t.hsm.plug();
  // issue() reconnects by itself: new session, login, key found and checked.
  CHECK(issuedBy(signer.issue(servingRequest(), now), t.ca));
  CHECK_FALSE(signer.unavailable().has_value());

  // Taken away again, and a token with the same label but another key is put in: refused.
  t.hsm.unplug();
  CHECK(std::holds_alternative<IssueError>(signer.issue(servingRequest(), now)));
  t.hsm.initToken("k8s-ca");
  t.hsm.importKey("k8s-ca", freshKey(KeyKind::P256).get(), "kubernetes-ca");
  out = signer.issue(servingRequest(), now);
  REQUIRE(std::holds_alternative<IssueError>(out));
  CHECK(std::get<IssueError>(out).message.find("does not match the CA certificate") != std::string::npos);
  CHECK(signer.unavailable().has_value());
}

TEST_CASE("pkcs11 key: the reload poller's probe notices a token that went away while idle, and its return") {
  TokenCa t(KeyKind::Rsa2048);
  auto c = t.config();
  auto ca = CertificateAuthority::load(CaFiles{t.certFile, c.caKeyFile, "", {}, c.caKeyPinFile, "", SoftHsm::kModule, 1});
  REQUIRE_MESSAGE(ca.ok(), ca.error());
  const auto* key = ca.value()->tokenKey();
  REQUIRE(key != nullptr);
  key->probe();
  CHECK_FALSE(ca.value()->unavailable().has_value());
  t.hsm.unplug();
  key->probe();  // no signing request needed to notice
  REQUIRE(ca.value()->unavailable().has_value());
  key->probe();
  CHECK(ca.value()->unavailable().has_value());
  t.hsm.plug();
  key->probe();
  CHECK_FALSE(ca.value()->unavailable().has_value());
}

TEST_CASE("pkcs11 key: concurrent signers share a bounded session pool") {
  TokenCa t(KeyKind::P256);
  auto c = t.config();
  c.pkcs11Sessions = 3;
  auto ca = CertificateAuthority::load(CaFiles{t.certFile, c.caKeyFile, "", {}, c.caKeyPinFile, "", SoftHsm::kModule, 3});
  REQUIRE_MESSAGE(ca.ok(), ca.error());
  const auto* key = ca.value()->tokenKey();
  REQUIRE(key != nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        const unsigned char data[] = "tbs";
        auto sig = ca.value()->sign(data, sizeof data);
        EvpMdCtxPtr v(EVP_MD_CTX_new());
        if (sig && EVP_DigestVerifyInit(v.get(), nullptr, EVP_sha256(), nullptr, X509_get0_pubkey(t.ca.cert.get())) == 1 &&
            EVP_DigestVerify(v.get(), sig.value().data(), sig.value().size(), data, sizeof data) == 1)
          ++good;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(good == 120);
  CHECK(key->openSessions() <= 3);
  CHECK(key->openSessions() >= 1);
}

TEST_CASE("pkcs11 key: a pod-certificate signer signs with a token key, and postpones while the token is away") {
  TokenCa t(KeyKind::P256);
  const auto c = t.config();
  PodCertificatePolicy policy;
  policy.signerName = "example.com/pods";
  policy.allowedNamespaces = {"team-a"};
  policy.trustDomain = "cluster.example.com";
  auto created = createPodCertificateSigner(policy, CaFiles{t.certFile, c.caKeyFile, "", {}, c.caKeyPinFile, "", SoftHsm::kModule, 2});
  REQUIRE_MESSAGE(created.ok(), created.error());
  const auto& signer = *created.value();
  CHECK_FALSE(signer.unavailable().has_value());

  auto podKey = freshKey(KeyKind::P256);
  PodCertificateRequestFacts request;
  request.namespaceName = "team-a";
  request.name = "req-1";
  request.signerName = policy.signerName;
  request.podName = "web-0";
  request.podUID = "7f7c6a9e-2b1d-4c55-9d0e-0123456789ab";
  request.serviceAccountName = "web";
  request.serviceAccountUID = "5d2e9c1a-0000-4000-8000-00000000aaaa";
  request.nodeName = "worker-1";
  request.nodeUID = "1b3c5d7e-0000-4000-8000-00000000bbbb";
  request.stubPkcs10Der = stubPkcs10Der(podKey.get());
  const auto now = std::chrono::system_clock::now();

  auto out = signer.issue(request, now);
  const auto* issued = std::get_if<PodCertificateIssued>(&out);
  REQUIRE(issued != nullptr);
  auto leaf = parseCertPem(issued->certificateChainPem);
  REQUIRE(leaf);
  CHECK(X509_verify(leaf.get(), X509_get0_pubkey(t.ca.cert.get())) == 1);

  // A token that went away is a retry, never a Failed condition: the kubelet would give up.
  t.hsm.unplug();
  out = signer.issue(request, now);
  CHECK(std::holds_alternative<PodCertificateRetry>(out));
  REQUIRE(signer.unavailable().has_value());
  CHECK(signer.unavailable()->find("kubernetes-ca") != std::string::npos);

  t.hsm.plug();
  out = signer.issue(request, now);
  CHECK(std::holds_alternative<PodCertificateIssued>(out));
  CHECK_FALSE(signer.unavailable().has_value());
}
