#include <doctest/doctest.h>

#include "tests/support/TestPki.h"
#include "signers/CertificateRequest.h"
#include "signers/Digests.h"
#include "signers/RequestKey.h"

using namespace signers;
using namespace testpki;

TEST_CASE("parse: key types and sizes") {
  struct Case {
    KeyKind kind;
    KeyType type;
    int bits;
  };
  for (auto c : {Case{KeyKind::Rsa2048, KeyType::Rsa, 2048}, Case{KeyKind::Rsa1024, KeyType::Rsa, 1024},
                 Case{KeyKind::P256, KeyType::EcP256, 256}, Case{KeyKind::P384, KeyType::EcP384, 384},
                 Case{KeyKind::P521, KeyType::EcOther, 521}, Case{KeyKind::Ed25519, KeyType::Ed25519, 253}}) {
    CsrOptions o;
    o.key = c.kind;
    o.subject = {{"CN", "x"}};
    auto r = parseCertificateRequest(makeCsr(o));
    REQUIRE_MESSAGE(r.ok(), r.error());
    CHECK(r.value().keyType == c.type);
    if (c.kind != KeyKind::Ed25519) CHECK(r.value().keyBits == c.bits);
    CHECK(r.value().publicKey != nullptr);
  }
}

TEST_CASE("parse: subject, SANs and extension OIDs are exposed in order") {
  CsrOptions o;
  o.subject = {{"C", "CH"}, {"O", "b-org"}, {"O", "a-org"}, {"OU", "unit"}, {"CN", "alice"}};
  o.dnsNames = {"a.example.com", "b.example.com"};
  o.emails = {"alice@example.com"};
  o.uris = {"spiffe://cluster.local/ns/x/sa/y"};
  o.ips = {"10.0.0.1", "2001:db8::1"};
  o.extensions = {{"keyUsage", "critical,digitalSignature"}};
  auto r = parseCertificateRequest(makeCsr(o));
  REQUIRE_MESSAGE(r.ok(), r.error());
  const auto& p = r.value();
  CHECK(p.commonName == "alice");
  CHECK(p.organizations == std::vector<std::string>{"b-org", "a-org"});
  REQUIRE(p.subject.size() == 5);
  CHECK(p.subject[0] == std::pair<std::string, std::string>{"C", "CH"});
  CHECK(p.subject[4] == std::pair<std::string, std::string>{"CN", "alice"});
  CHECK(p.dnsNames == std::vector<std::string>{"a.example.com", "b.example.com"});
  CHECK(p.emailAddresses == std::vector<std::string>{"alice@example.com"});
  CHECK(p.uris == std::vector<std::string>{"spiffe://cluster.local/ns/x/sa/y"});
  REQUIRE(p.ipAddresses.size() == 2);
  CHECK(p.ipAddresses[0].toString() == "10.0.0.1");
  CHECK(p.ipAddresses[1].toString() == "2001:db8::1");
  CHECK(p.extensionOids == std::vector<std::string>{"2.5.29.17", "2.5.29.15"});
  CHECK_FALSE(p.requestsCa);
  CHECK(p.sanCount() == 6);
}

TEST_CASE("parse: CA:TRUE request is flagged, CA:FALSE is not") {
  CsrOptions o;
  o.subject = {{"CN", "ca"}};
  o.basicConstraintsCa = true;
  auto r = parseCertificateRequest(makeCsr(o));
  REQUIRE(r.ok());
  CHECK(r.value().requestsCa);
  o.basicConstraintsCa = false;
  o.extensions = {{"basicConstraints", "critical,CA:FALSE"}};
  auto r2 = parseCertificateRequest(makeCsr(o));
  REQUIRE(r2.ok());
  CHECK_FALSE(r2.value().requestsCa);
}

TEST_CASE("parse: wrong signature is refused") {
  auto other = freshKey(KeyKind::P256);
  CsrOptions o;
  o.subject = {{"CN", "x"}};
  o.signWith = other.get();
  auto r = parseCertificateRequest(makeCsr(o));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "request signature does not verify with its own public key");
}

TEST_CASE("parse: a request's signature is checked once per process, a refused one every time") {
  auto key = freshKey(KeyKind::P256);
  auto other = freshKey(KeyKind::P256);
  CsrOptions o;
  o.subject = {{"CN", "once"}};
  o.keyOverride = key.get();
  const std::string good = makeCsr(o);
  o.signWith = other.get();  // the same signed bytes with a signature that does not verify
  const std::string bad = makeCsr(o);

  const auto before = requestSignatureChecks();
  REQUIRE(parseCertificateRequest(good).ok());
  CHECK(requestSignatureChecks() == before + 1);
  REQUIRE(parseCertificateRequest(good).ok());
  REQUIRE(parseCertificateRequest(good).ok());
  CHECK(requestSignatureChecks() == before + 1);
  for (int i = 0; i < 2; ++i) {
    const auto r = parseCertificateRequest(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == "request signature does not verify with its own public key");
  }
  CHECK(requestSignatureChecks() == before + 3);
  // Another signature over the same bytes (ECDSA signatures differ each time) is checked on its own.
  o.signWith = nullptr;
  REQUIRE(parseCertificateRequest(makeCsr(o)).ok());
  CHECK(requestSignatureChecks() == before + 4);
}

TEST_CASE("parse: a request read again is not parsed again, under other limits it is, and a refused one every time") {
  CsrOptions o;
  o.subject = {{"CN", "remembered"}, {"O", "system:nodes"}};
  o.dnsNames = {"a.example.com", "b.example.com", "c.example.com"};
  const std::string pem = makeCsr(o);
  const auto before = requestParses();
  const auto first = parseCertificateRequest(pem);
  REQUIRE(first.ok());
  CHECK(requestParses() == before + 1);
  const auto again = parseCertificateRequest(pem);
  REQUIRE(again.ok());
  CHECK(requestParses() == before + 1);
  CHECK(again.value().commonName == "remembered");
  CHECK(again.value().organizations == first.value().organizations);
  CHECK(again.value().dnsNames == first.value().dnsNames);
  CHECK(again.value().spki->der == first.value().spki->der);
  CHECK(again.value().publicKey == first.value().publicKey);

  RequestLimits twoSans;
  twoSans.maxSans = 2;
  for (int i = 1; i <= 2; ++i) {
    const auto refused = parseCertificateRequest(pem, twoSans);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().find("more than the limit of 2") != std::string::npos);
    CHECK(requestParses() == before + 1 + i);
  }
  CHECK(parseCertificateRequest(pem).ok());
  CHECK(requestParses() == before + 3);
}

TEST_CASE("RememberedByDigest: at most its capacity, the oldest forgotten first, and sha256Of tells its parts apart") {
  auto digest = [](std::string_view text) { return sha256Of({{reinterpret_cast<const unsigned char*>(text.data()), text.size()}}); };
  const auto a = digest("a"), b = digest("b"), c = digest("c");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a != *b);
  const unsigned char x[] = {'x'}, y[] = {'y'};
  CHECK(*sha256Of({x, y}) == *digest("xy"));
  CHECK(*sha256Of({y, x}) != *digest("xy"));

  RememberedByDigest<std::string> remembered(2);
  remembered.remember(*a, "a");
  remembered.remember(*b, "b");
  remembered.remember(*a, "a again");
  CHECK(remembered.find(*a) == std::optional<std::string>("a"));
  remembered.remember(*c, "c");
  CHECK(remembered.size() == 2);
  CHECK_FALSE(remembered.find(*a));
  CHECK(remembered.find(*b) == std::optional<std::string>("b"));
  CHECK(remembered.find(*c) == std::optional<std::string>("c"));
}

TEST_CASE("parse: garbage, truncated, empty, wrong block type, trailing data") {
  CsrOptions o;
  o.subject = {{"CN", "x"}};
  std::string good = makeCsr(o);
  CHECK_FALSE(parseCertificateRequest("").ok());
  CHECK_FALSE(parseCertificateRequest("not a pem at all").ok());
  CHECK_FALSE(parseCertificateRequest(good.substr(0, good.size() / 2)).ok());
  std::string noEnd = good.substr(0, good.find("-----END"));
  CHECK_FALSE(parseCertificateRequest(noEnd).ok());
  std::string corrupted = good;
  corrupted[corrupted.size() / 2] = corrupted[corrupted.size() / 2] == 'A' ? 'B' : 'A';
  CHECK_FALSE(parseCertificateRequest(corrupted).ok());

  TestCa ca = makeCa({});
  auto wrongType = parseCertificateRequest(ca.certPem());
  REQUIRE_FALSE(wrongType.ok());
  CHECK(wrongType.error() == "PEM block type must be CERTIFICATE REQUEST, found CERTIFICATE");
  // A certificate first: Go's pem.Decode would return it and kube-apiserver would refuse the CSR.
  CHECK_FALSE(parseCertificateRequest(ca.certPem() + good).ok());

  std::string renamed = good;
  for (std::string from : {"BEGIN CERTIFICATE REQUEST", "END CERTIFICATE REQUEST"}) {
    auto pos = renamed.find(from);
    renamed.replace(pos, from.size(), from.substr(0, from.find(' ')) + " NEW CERTIFICATE REQUEST");
  }
  CHECK_FALSE(parseCertificateRequest(renamed).ok());

  // Two concatenated requests: refused. Go's pem.Decode skips a malformed first block and reads
  // the second, so a reader that takes "the first" can see another request than Kubernetes.
  auto twice = parseCertificateRequest(good + good);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().find("continues after its END line") != std::string::npos);
  // Random DER in a correctly labelled block.
  std::string fake = "-----BEGIN CERTIFICATE REQUEST-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE REQUEST-----\n";
  CHECK_FALSE(parseCertificateRequest(fake).ok());
}

TEST_CASE("parse: size and SAN count limits") {
  CsrOptions o;
  o.subject = {{"CN", "many"}};
  for (int i = 0; i < 5000; ++i) o.dnsNames.push_back("n" + std::to_string(i) + ".example.com");
  std::string big = makeCsr(o);
  auto tooBig = parseCertificateRequest(big);
  REQUIRE_FALSE(tooBig.ok());
  CHECK(tooBig.error().find("more than the limit of 65536") != std::string::npos);
  RequestLimits generous;
  generous.maxPemBytes = 1 << 20;
  auto tooMany = parseCertificateRequest(big, generous);
  REQUIRE_FALSE(tooMany.ok());
  CHECK(tooMany.error() == "request has 5000 subjectAltNames, more than the limit of 100");

  o.dnsNames.resize(100);
  CHECK(parseCertificateRequest(makeCsr(o)).ok());
  o.dnsNames.push_back("one-more.example.com");
  CHECK_FALSE(parseCertificateRequest(makeCsr(o)).ok());
}

TEST_CASE("parse: more than one CN is ambiguous and refused") {
  CsrOptions o;
  o.subject = {{"CN", "system:node:a"}, {"CN", "system:node:b"}};
  auto r = parseCertificateRequest(makeCsr(o));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "subject has more than one common name");
}

TEST_CASE("parse: SAN values with control bytes and unsupported SAN types are refused") {
  CsrOptions o;
  o.subject = {{"CN", "x"}};
  o.dnsNames = {std::string("good.example.com\0evil.com", 25)};
  CHECK_FALSE(parseCertificateRequest(makeCsr(o)).ok());
  CsrOptions o2;
  o2.subject = {{"CN", "x"}};
  o2.extensions = {{"subjectAltName", "dirName:dir_sect"}};
  // dirName needs a config section; use a registered ID instead, also unsupported.
  o2.extensions = {{"subjectAltName", "RID:1.2.3.4"}};
  auto r = parseCertificateRequest(makeCsr(o2));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("unsupported subjectAltName type") != std::string::npos);
}

TEST_CASE("parse: duplicate extensions are refused") {
  CsrOptions o;
  o.subject = {{"CN", "x"}};
  o.extensions = {{"keyUsage", "digitalSignature"}, {"keyUsage", "keyCertSign"}};
  auto r = parseCertificateRequest(makeCsr(o));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("more than once") != std::string::npos);
}

TEST_CASE("parse: signature digests") {
  for (auto key : {KeyKind::Rsa2048, KeyKind::P256, KeyKind::P384}) {
    for (const char* md : {"SHA256", "SHA384", "SHA512"}) {
      CsrOptions o;
      o.key = key;
      o.subject = {{"CN", "x"}};
      o.digest = md;
      auto r = parseCertificateRequest(makeCsr(o));
      CHECK_MESSAGE(r.ok(), md << ": " << r.error());
    }
    CsrOptions weak;
    weak.key = key;
    weak.subject = {{"CN", "x"}};
    weak.digest = "SHA1";
    auto r = parseCertificateRequest(makeCsr(weak));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == "request uses an insecure or unsupported signature algorithm");
  }
}

TEST_CASE("parse: wrong signature for every key type") {
  for (auto key : {KeyKind::Rsa2048, KeyKind::P384, KeyKind::Ed25519}) {
    auto other = freshKey(key);
    CsrOptions o;
    o.key = key;
    o.subject = {{"CN", "x"}};
    o.signWith = other.get();
    CHECK_FALSE(parseCertificateRequest(makeCsr(o)).ok());
  }
  // Signed by a key of another type than the one in the request.
  auto rsa = sharedKey(KeyKind::Rsa2048);
  CsrOptions mixed;
  mixed.subject = {{"CN", "x"}};
  mixed.signWith = rsa.get();
  auto r = parseCertificateRequest(makeCsr(mixed));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "request signature algorithm does not match its public key");
}
