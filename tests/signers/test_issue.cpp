#include <doctest/doctest.h>

#include <openssl/x509v3.h>

#include <set>
#include <thread>

#include "SignerFixture.h"
#include "signers/Profiles.h"

using namespace signers;
using namespace testpki;
using namespace std::chrono;

namespace {

const std::vector<std::string> kServingUsages{"digital signature", "key encipherment", "server auth"};

IssuedCertificate mustIssue(const Signer& s, const IssueRequest& r, system_clock::time_point now = system_clock::now()) {
  auto out = s.issue(r, now);
  if (auto* e = std::get_if<IssueError>(&out)) FAIL("unexpected issue error: " << e->message);
  return std::get<IssuedCertificate>(out);
}

IssueError mustFail(const Signer& s, const IssueRequest& r, system_clock::time_point now = system_clock::now()) {
  auto out = s.issue(r, now);
  REQUIRE(std::holds_alternative<IssueError>(out));
  return std::get<IssueError>(out);
}

IssueRequest servingRequest(KeyKind key = KeyKind::P256) {
  auto o = nodeServingCsr();
  o.key = key;
  return IssueRequest{makeCsr(o), kKubeletServingSigner, kServingUsages, std::nullopt};
}

std::string subjectOf(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

TEST_CASE("issue: kubelet-serving certificate has the KCM profile") {
  SignerFixture f(SignerFixture::named(kKubeletServingSigner));
  auto now = floor<seconds>(system_clock::now());
  auto issued = mustIssue(*f.signer, servingRequest(), now);
  CHECK(countPemCertificates(issued.pem) == 1);
  auto cert = parseCertPem(issued.pem);
  REQUIRE(cert);
  CHECK(X509_verify(cert.get(), f.ca.key.get()) == 1);
  CHECK(X509_get_version(cert.get()) == X509_VERSION_3);
  CHECK(issued.notBefore == now - minutes(5));
  CHECK(issued.notAfter == now + hours(8760) - minutes(5));
  CHECK_FALSE(issued.clampedToCaNotAfter);

  uint32_t flags = X509_get_extension_flags(cert.get());
  CHECK((flags & EXFLAG_BCONS) != 0);
  CHECK((flags & EXFLAG_CA) == 0);
  int bcIndex = X509_get_ext_by_NID(cert.get(), NID_basic_constraints, -1);
  REQUIRE(bcIndex >= 0);
  CHECK(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), bcIndex)) == 1);
  CHECK(X509_get_key_usage(cert.get()) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  CHECK(X509_get_extended_key_usage(cert.get()) == XKU_SSL_SERVER);
  REQUIRE(X509_get0_subject_key_id(cert.get()) != nullptr);
  REQUIRE(X509_get0_authority_key_id(cert.get()) != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cert.get()), X509_get0_subject_key_id(f.ca.cert.get())) == 0);
  CHECK(subjectOf(cert.get()) == "CN=system:node:worker-1,O=system:nodes");
  CHECK(X509_check_host(cert.get(), "worker-1", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(cert.get(), "10.0.0.7", 0) == 1);
  CHECK(X509_get_ext_count(cert.get()) == 6);  // BC, KU, EKU, SAN, SKI, AKI

  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  CHECK_FALSE(BN_is_negative(serial.get()));
  CHECK(BN_num_bits(serial.get()) <= 128);
  char* hex = BN_bn2hex(serial.get());
  CHECK(issued.serialHex == hex);
  OPENSSL_free(hex);
}

TEST_CASE("issue: signature digest follows the CA key") {
  struct Case {
    KeyKind ca;
    int sigNid;
  };
  for (auto c : {Case{KeyKind::Rsa2048, NID_sha256WithRSAEncryption}, Case{KeyKind::P256, NID_ecdsa_with_SHA256},
                 Case{KeyKind::P384, NID_ecdsa_with_SHA384}, Case{KeyKind::Ed25519, NID_ED25519}}) {
    CaOptions co;
    co.key = c.ca;
    SignerFixture f(SignerFixture::named(kKubeletServingSigner), co);
    for (auto reqKey : {KeyKind::Rsa2048, KeyKind::P256, KeyKind::P384, KeyKind::Ed25519}) {
      auto cert = parseCertPem(mustIssue(*f.signer, servingRequest(reqKey)).pem);
      REQUIRE(cert);
      CHECK(X509_get_signature_nid(cert.get()) == c.sigNid);
      CHECK(X509_verify(cert.get(), f.ca.key.get()) == 1);
    }
  }
}

TEST_CASE("issue: requested extensions are never copied and the subject is rebuilt") {
  SignerFixture f(SignerFixture::named(kLegacyUnknownSigner));
  CsrOptions o;
  o.subject = {{"O", "org"}, {"CN", "svc"}, {"emailAddress", "x@example.com"}, {"UID", "42"}};
  o.dnsNames = {"svc.example.com"};
  o.extensions = {{"keyUsage", "critical,keyCertSign,cRLSign"},
                  {"extendedKeyUsage", "codeSigning"},
                  {"nsComment", "copied?"},
                  {"subjectKeyIdentifier", "0102030405"}};
  auto issued = mustIssue(*f.signer, IssueRequest{makeCsr(o), kLegacyUnknownSigner, {"digital signature", "client auth"}, 3600});
  auto cert = parseCertPem(issued.pem);
  REQUIRE(cert);
  CHECK(subjectOf(cert.get()) == "CN=svc,O=org");
  CHECK(X509_get_key_usage(cert.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_get_extended_key_usage(cert.get()) == XKU_SSL_CLIENT);
  CHECK(X509_get_ext_by_NID(cert.get(), NID_netscape_comment, -1) < 0);
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert.get());
  REQUIRE(ski != nullptr);
  CHECK(ASN1_STRING_length(ski) == 20);
}

TEST_CASE("issue: usages map to KU/EKU, EKUs in Go order and de-duplicated") {
  SignerFixture f(SignerFixture::named(kLegacyUnknownSigner));
  CsrOptions o;
  o.subject = {{"CN", "x"}};
  auto issued = mustIssue(*f.signer, IssueRequest{makeCsr(o),
                                                  kLegacyUnknownSigner,
                                                  {"s/mime", "client auth", "server auth", "email protection", "signing",
                                                   "content commitment", "key agreement", "timestamping"},
                                                  std::nullopt});
  auto cert = parseCertPem(issued.pem);
  CHECK(X509_get_key_usage(cert.get()) == (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_AGREEMENT));
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr));
  REQUIRE(eku != nullptr);
  std::vector<int> nids;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) nids.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)));
  sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  CHECK(nids == std::vector<int>{NID_server_auth, NID_client_auth, NID_email_protect, NID_time_stamp});
  // Only EKUs: no KeyUsage extension at all.
  auto onlyEku = parseCertPem(mustIssue(*f.signer, IssueRequest{makeCsr(o), kLegacyUnknownSigner, {"client auth"}, {}}).pem);
  CHECK(X509_get_ext_by_NID(onlyEku.get(), NID_key_usage, -1) < 0);
}

TEST_CASE("issue: SAN is critical when the subject is empty") {
  SignerFixture f(SignerFixture::named(kLegacyUnknownSigner));
  CsrOptions o;
  o.dnsNames = {"only-san.example.com"};
  auto cert = parseCertPem(mustIssue(*f.signer, IssueRequest{makeCsr(o), kLegacyUnknownSigner, {"server auth"}, {}}).pem);
  int idx = X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1);
  REQUIRE(idx >= 0);
  CHECK(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), idx)) == 1);
}

TEST_CASE("issue: TTL rules and CA NotAfter clamp") {
  SignerConfig c = SignerFixture::named(kKubeletServingSigner);
  c.maxDuration = hours(24);
  CaOptions co;
  co.lifetime = hours(48);
  SignerFixture f(c, co);
  auto now = floor<seconds>(system_clock::now());
  auto req = servingRequest();
  req.expirationSeconds = 3600;
  CHECK(mustIssue(*f.signer, req, now).notAfter == now + hours(1));
  req.expirationSeconds = 60;
  CHECK(mustIssue(*f.signer, req, now).notAfter == now + minutes(10));
  req.expirationSeconds = 10 * 24 * 3600;
  CHECK(mustIssue(*f.signer, req, now).notAfter == now + hours(24) - minutes(5));
  auto later = now + hours(40);
  auto clamped = mustIssue(*f.signer, req, later);
  CHECK(clamped.clampedToCaNotAfter);
  CHECK(clamped.notAfter == f.signer->caNotAfter());
  auto cert = parseCertPem(clamped.pem);
  CHECK(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()), system_clock::to_time_t(f.signer->caNotAfter())) == 0);
}

TEST_CASE("issue: expired CA and not-yet-valid CA are transient errors") {
  SignerFixture f(SignerFixture::named(kKubeletServingSigner));
  auto afterExpiry = f.signer->caNotAfter() + hours(1);
  auto e = mustFail(*f.signer, servingRequest(), afterExpiry);
  CHECK(e.kind == IssueErrorKind::Transient);
  CHECK(e.message.starts_with("the signer has expired: NotAfter="));
  auto e2 = mustFail(*f.signer, servingRequest(), f.signer->caNotAfter() + minutes(1));
  CHECK(e2.kind == IssueErrorKind::Transient);
  CHECK(e2.message.starts_with("refusing to sign a certificate that expired in the past"));
  auto e3 = mustFail(*f.signer, servingRequest(), system_clock::now() - hours(24));
  CHECK(e3.kind == IssueErrorKind::Transient);
}

TEST_CASE("issue: validation failures are terminal with KCM's messages") {
  SignerFixture serving(SignerFixture::named(kKubeletServingSigner));
  auto r = servingRequest();
  r.usages = {"digital signature", "server auth", "client auth"};
  auto e = mustFail(*serving.signer, r);
  CHECK(e.kind == IssueErrorKind::ValidationFailed);
  CHECK(e.message == "usages did not match [digital signature key encipherment server auth]");

  auto withEmail = nodeServingCsr();
  withEmail.emails = {"n@example.com"};
  CHECK(mustFail(*serving.signer, IssueRequest{makeCsr(withEmail), kKubeletServingSigner, kServingUsages, {}}).message ==
        "Email subjectAltNames are not allowed");
  auto withUri = nodeServingCsr();
  withUri.uris = {"spiffe://x/y"};
  CHECK(mustFail(*serving.signer, IssueRequest{makeCsr(withUri), kKubeletServingSigner, kServingUsages, {}}).message ==
        "URI subjectAltNames are not allowed");

  auto weak = nodeServingCsr();
  weak.key = KeyKind::Rsa1024;
  auto weakErr = mustFail(*serving.signer, IssueRequest{makeCsr(weak), kKubeletServingSigner, kServingUsages, {}});
  CHECK(weakErr.kind == IssueErrorKind::ValidationFailed);
  CHECK(weakErr.message == "RSA key of 1024 bits is too small (minimum 2048)");

  auto caReq = nodeServingCsr();
  caReq.basicConstraintsCa = true;
  CHECK(mustFail(*serving.signer, IssueRequest{makeCsr(caReq), kKubeletServingSigner, kServingUsages, {}}).message ==
        "requests for CA certificates (basicConstraints CA:TRUE) are not allowed");

  auto badSig = nodeServingCsr();
  auto other = freshKey(KeyKind::P256);
  badSig.signWith = other.get();
  auto sigErr = mustFail(*serving.signer, IssueRequest{makeCsr(badSig), kKubeletServingSigner, kServingUsages, {}});
  CHECK(sigErr.kind == IssueErrorKind::ValidationFailed);
  CHECK(sigErr.message.starts_with("invalid certificate request:"));

  CHECK(mustFail(*serving.signer, IssueRequest{"garbage", kKubeletServingSigner, kServingUsages, {}}).kind ==
        IssueErrorKind::ValidationFailed);
  auto wrongSigner = servingRequest();
  wrongSigner.signerName = kLegacyUnknownSigner;
  CHECK(mustFail(*serving.signer, wrongSigner).kind == IssueErrorKind::ValidationFailed);

  SignerFixture client(SignerFixture::named(kKubeletClientSigner));
  auto kubeletClient = IssueRequest{makeCsr(nodeClientCsr()), kKubeletClientSigner, {"digital signature", "client auth"}, {}};
  mustIssue(*client.signer, kubeletClient);
  auto clientWithDns = nodeClientCsr();
  clientWithDns.dnsNames = {"w1"};
  CHECK(mustFail(*client.signer, IssueRequest{makeCsr(clientWithDns), kKubeletClientSigner, {"digital signature", "client auth"}, {}})
            .message == "DNS subjectAltNames are not allowed");

  SignerFixture apiClient(SignerFixture::named(kApiServerClientSigner));
  CsrOptions masters;
  masters.subject = {{"O", "system:masters"}, {"CN", "mallory"}};
  CHECK(mustFail(*apiClient.signer, IssueRequest{makeCsr(masters), kApiServerClientSigner, {"client auth"}, {}}).message ==
        "use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed");
  CsrOptions alice;
  alice.subject = {{"O", "devs"}, {"CN", "alice"}};
  mustIssue(*apiClient.signer, IssueRequest{makeCsr(alice), kApiServerClientSigner, {"client auth"}, {}});

  SignerFixture legacy(SignerFixture::named(kLegacyUnknownSigner));
  for (const char* u : {"cert sign", "crl sign", "any"}) {
    CAPTURE(u);
    auto err = mustFail(*legacy.signer, IssueRequest{makeCsr(alice), kLegacyUnknownSigner, {"digital signature", u}, {}});
    CHECK(err.kind == IssueErrorKind::ValidationFailed);
  }
}

TEST_CASE("issue: custom signer end to end") {
  SignerConfig c = SignerFixture::named("example.com/mesh");
  c.allowedUsages = {"digital signature", "server auth", "client auth"};
  c.allowDns = true;
  c.dnsSuffixes = {"svc.cluster.local"};
  c.allowedOrganizations = {"*"};
  c.commonNameRegex = "[a-z]+";
  SignerFixture f(c);
  CsrOptions o;
  o.subject = {{"CN", "web"}};
  o.dnsNames = {"web.ns.svc.cluster.local"};
  auto cert = parseCertPem(mustIssue(*f.signer, IssueRequest{makeCsr(o), "example.com/mesh", {"server auth"}, {}}).pem);
  CHECK(X509_check_host(cert.get(), "web.ns.svc.cluster.local", 0, 0, nullptr) == 1);
  o.dnsNames = {"web.example.org"};
  CHECK(mustFail(*f.signer, IssueRequest{makeCsr(o), "example.com/mesh", {"server auth"}, {}}).kind == IssueErrorKind::ValidationFailed);
}

TEST_CASE("issue: chain is appended only when configured, the issuing intermediate first") {
  TestCa root = makeCa({.commonName = "root"});
  TestCa inter = makeIntermediate(root);
  TempDir dir;
  SignerConfig c = SignerFixture::named(kKubeletServingSigner);
  c.caCertFile = dir.write("inter.crt", inter.certPem());
  c.caKeyFile = dir.write("inter.key", keyPem(inter.key.get()));
  c.chainFiles = {dir.write("root.crt", root.certPem())};
  auto without = FileCaSigner::create(c);
  REQUIRE(without.ok());
  CHECK(countPemCertificates(mustIssue(*without.value(), servingRequest()).pem) == 1);
  c.includeChain = true;
  auto with = FileCaSigner::create(c);
  REQUIRE(with.ok());
  auto pem = mustIssue(*with.value(), servingRequest()).pem;
  CHECK(countPemCertificates(pem) == 3);
  CHECK(pem.ends_with(inter.certPem() + root.certPem()));
}

TEST_CASE("issue: a self-signed CA is not repeated after the leaf") {
  TestCa root = makeCa({.commonName = "root"});
  TempDir dir;
  SignerConfig c = SignerFixture::named(kKubeletServingSigner);
  c.caCertFile = dir.write("root.crt", root.certPem());
  c.caKeyFile = dir.write("root.key", keyPem(root.key.get()));
  c.includeChain = true;
  auto signer = FileCaSigner::create(c);
  REQUIRE(signer.ok());
  CHECK(countPemCertificates(mustIssue(*signer.value(), servingRequest()).pem) == 1);
}

TEST_CASE("create: configuration errors") {
  TempDir dir;
  TestCa ca = makeCa({});
  SignerConfig c = SignerFixture::named(kKubeletServingSigner);
  c.caCertFile = dir.write("ca.crt", ca.certPem());
  c.caKeyFile = dir.write("ca.key", keyPem(ca.key.get()));
  CHECK(FileCaSigner::create(c).ok());
  auto bad = [&](auto mutate) {
    SignerConfig copy = c;
    mutate(copy);
    return FileCaSigner::create(copy);
  };
  CHECK_FALSE(bad([](SignerConfig& s) { s.signerName = "kubernetes.io/other"; }).ok());
  CHECK_FALSE(bad([](SignerConfig& s) { s.signerName = "nodomain/x"; }).ok());
  CHECK_FALSE(bad([](SignerConfig& s) { s.maxDuration = minutes(5); }).ok());
  CHECK_FALSE(bad([](SignerConfig& s) { s.keyPolicy.minRsaBits = 1024; }).ok());
  CHECK_FALSE(bad([](SignerConfig& s) { s.caKeyFile.clear(); }).ok());
  auto custom = bad([](SignerConfig& s) { s.dnsSuffixes = {"example.com"}; });
  REQUIRE_FALSE(custom.ok());
  CHECK(custom.error().find("dnsSuffixes applies to custom signers only") != std::string::npos);
  CHECK_FALSE(bad([](SignerConfig& s) { s.signerName = "example.com/x"; }).ok());  // custom without allowedUsages
  auto mismatch = bad([&](SignerConfig& s) {
    auto other = freshKey(KeyKind::P256);
    s.caKeyFile = dir.write("other.key", keyPem(other.get()));
  });
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().find("does not match") != std::string::npos);
}

TEST_CASE("issue: concurrent signing is safe and serials are unique") {
  SignerFixture f(SignerFixture::named(kKubeletServingSigner));
  auto req = servingRequest();
  std::mutex m;
  std::set<std::string> serials;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto out = f.signer->issue(req, system_clock::now());
        if (auto* c = std::get_if<IssuedCertificate>(&out)) {
          std::lock_guard lock(m);
          serials.insert(c->serialHex);
        } else {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(serials.size() == 200);
}

TEST_CASE("issue: signing keeps working while the CA is swapped underneath") {
  SignerFixture f(SignerFixture::named(kKubeletServingSigner));
  TestCa second = makeCa({.commonName = "second"});
  auto req = servingRequest();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, byFirst{0}, bySecond{0};
  std::thread worker([&] {
    while (!stop) {
      auto out = f.signer->issue(req, system_clock::now());
      auto* c = std::get_if<IssuedCertificate>(&out);
      if (c == nullptr) {
        ++failures;
        continue;
      }
      auto cert = parseCertPem(c->pem);
      if (X509_verify(cert.get(), f.ca.key.get()) == 1)
        ++byFirst;
      else if (X509_verify(cert.get(), second.key.get()) == 1)
        ++bySecond;
      else
        ++failures;
    }
  });
  std::this_thread::sleep_for(milliseconds(100));
  f.dir.write("ca.crt", second.certPem());
  f.dir.write("ca.key", keyPem(second.key.get()));
  auto reloaded = f.signer->reloadIfChanged();
  std::this_thread::sleep_for(milliseconds(100));
  stop = true;
  worker.join();
  REQUIRE(reloaded.ok());
  CHECK(reloaded.value());
  CHECK(failures == 0);
  CHECK(byFirst > 0);
  CHECK(bySecond > 0);
}

TEST_CASE("issue: the kubelet signers issue a node requester only its own CN") {
  const Requester worker1{"system:node:worker-1", {"system:nodes", "system:authenticated"}};
  SignerFixture serving(SignerFixture::named(kKubeletServingSigner));
  auto own = servingRequest();
  own.requester = worker1;
  mustIssue(*serving.signer, own);
  auto forOther = IssueRequest{makeCsr(nodeServingCsr("worker-2")), kKubeletServingSigner, kServingUsages, {}, worker1};
  auto err = mustFail(*serving.signer, forOther);
  CHECK(err.kind == IssueErrorKind::ValidationFailed);
  CHECK(err.message.find("is not the requesting node") != std::string::npos);

  SignerFixture client(SignerFixture::named(kKubeletClientSigner));
  const std::vector<std::string> clientUsages{"digital signature", "client auth"};
  CHECK(mustFail(*client.signer, IssueRequest{makeCsr(nodeClientCsr("worker-2")), kKubeletClientSigner, clientUsages, {}, worker1})
            .message.find("is not the requesting node") != std::string::npos);
  const Requester bootstrap{"system:bootstrap:abcdef", {"system:bootstrappers"}};
  mustIssue(*client.signer, IssueRequest{makeCsr(nodeClientCsr("worker-2")), kKubeletClientSigner, clientUsages, {}, bootstrap});
}

TEST_CASE("issue: kubelet-serving refuses duplicate, wildcard and loopback SANs and control characters in the CN") {
  SignerFixture serving(SignerFixture::named(kKubeletServingSigner));
  auto refused = [&](const CsrOptions& o) {
    return mustFail(*serving.signer, IssueRequest{makeCsr(o), kKubeletServingSigner, kServingUsages, {}}).message;
  };
  auto twice = nodeServingCsr();
  twice.dnsNames = {"worker-1", "Worker-1"};
  CHECK(refused(twice).find("listed more than once") != std::string::npos);
  auto wildcard = nodeServingCsr();
  wildcard.dnsNames = {"*.cluster.local"};
  CHECK(refused(wildcard).find("wildcard") != std::string::npos);
  auto loopback = nodeServingCsr();
  loopback.ips = {"127.0.0.1"};
  CHECK(refused(loopback).find("loopback") != std::string::npos);
  auto control = nodeServingCsr();
  control.subject = {{"O", "system:nodes"}, {"CN", "system:node:worker-1\nforged"}};
  CHECK(refused(control).find("control character") != std::string::npos);
}
