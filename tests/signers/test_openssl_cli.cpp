// Independent check: the openssl command-line tool verifies and decodes what we issue.
#include <doctest/doctest.h>

#include "SignerFixture.h"
#include "signers/Profiles.h"

using namespace signers;
using namespace testpki;

namespace {

std::string issuePem(const Signer& s, const IssueRequest& r) {
  auto out = s.issue(r, std::chrono::system_clock::now());
  if (auto* e = std::get_if<IssueError>(&out)) FAIL("issue failed: " << e->message);
  return std::get<IssuedCertificate>(out).pem;
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("openssl verify and x509 -text agree with the kubelet-serving profile") {
  for (auto caKey : {KeyKind::Rsa2048, KeyKind::P256, KeyKind::P384, KeyKind::Ed25519}) {
    CaOptions co;
    co.key = caKey;
    SignerFixture f(SignerFixture::named(kKubeletServingSigner), co);
    auto csr = nodeServingCsr("node-a");
    csr.ips = {"10.0.0.7", "fd00::7"};
    csr.extensions = {{"nsComment", "must-not-be-copied"}, {"keyUsage", "critical,keyCertSign"}};
    auto pem = issuePem(*f.signer,
                        IssueRequest{makeCsr(csr), kKubeletServingSigner, {"digital signature", "key encipherment", "server auth"}, 3600});
    auto leaf = f.dir.write("leaf.pem", pem);
    auto [vrc, vout] = runCommand("openssl verify -CAfile " + f.certFile + " -purpose sslserver " + leaf);
    CHECK_MESSAGE(vrc == 0, vout);
    CHECK(has(vout, ": OK"));
    auto [xrc, text] = runCommand("openssl x509 -text -noout -in " + leaf);
    REQUIRE(xrc == 0);
    CAPTURE(text);
    CHECK(has(text, "Version: 3 (0x2)"));
    CHECK(has(text, "Subject: O = system:nodes, CN = system:node:node-a"));
    CHECK(has(text, "X509v3 Basic Constraints: critical\n                CA:FALSE"));
    CHECK(has(text, "X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment\n"));
    CHECK(has(text, "X509v3 Extended Key Usage: \n                TLS Web Server Authentication\n"));
    CHECK(has(text, "DNS:node-a, DNS:node-a.cluster.local, IP Address:10.0.0.7, IP Address:FD00:0:0:0:0:0:0:7"));
    CHECK(has(text, "X509v3 Subject Key Identifier"));
    CHECK(has(text, "X509v3 Authority Key Identifier"));
    CHECK_FALSE(has(text, "must-not-be-copied"));
    CHECK_FALSE(has(text, "Netscape Comment"));
    CHECK_FALSE(has(text, "Certificate Sign"));
    // The purpose check is real: the server-only leaf is refused as a TLS client certificate.
    auto [crc, cout] = runCommand("openssl verify -CAfile " + f.certFile + " -purpose sslclient " + leaf);
    CHECK(crc != 0);
  }
}

TEST_CASE("openssl verify accepts the chain of an intermediate-issued certificate") {
  TestCa root = makeCa({.commonName = "root"});
  TestCa inter = makeIntermediate(root);
  TempDir dir;
  SignerConfig c = SignerFixture::named(kKubeletClientSigner);
  c.caCertFile = dir.write("inter.crt", inter.certPem());
  c.caKeyFile = dir.write("inter.key", keyPem(inter.key.get(), KeyFormat::Traditional));
  auto s = FileCaSigner::create(c);
  REQUIRE(s.ok());
  auto pem = issuePem(*s.value(), IssueRequest{makeCsr(nodeClientCsr()), kKubeletClientSigner, {"digital signature", "client auth"}, {}});
  auto leaf = dir.write("leaf.pem", pem);
  auto rootFile = dir.write("root.pem", root.certPem());
  auto [rc, out] = runCommand("openssl verify -CAfile " + rootFile + " -untrusted " + c.caCertFile + " -purpose sslclient " + leaf);
  CHECK_MESSAGE(rc == 0, out);
  auto [xrc, text] = runCommand("openssl x509 -text -noout -in " + leaf);
  CHECK(has(text, "TLS Web Client Authentication"));
  CHECK_FALSE(has(text, "Subject Alternative Name"));
}
