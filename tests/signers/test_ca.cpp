#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "tests/support/TestPki.h"
#include "signers/CertificateAuthority.h"
#include "signers/ReloadingCertificateAuthority.h"

using namespace signers;
using namespace testpki;

namespace {

struct CaOnDisk {
  TempDir dir;
  std::string cert, key;
};

void writeCa(CaOnDisk& d, const TestCa& ca, KeyFormat format = KeyFormat::Pkcs8, const std::string& pass = "") {
  d.cert = d.dir.write("ca.crt", ca.certPem());
  d.key = d.dir.write("ca.key", keyPem(ca.key.get(), format, pass));
}

}  // namespace

TEST_CASE("CA load: key formats and key types") {
  struct Case {
    KeyKind kind;
    KeyFormat format;
  };
  for (auto c :
       {Case{KeyKind::Rsa2048, KeyFormat::Pkcs8}, Case{KeyKind::Rsa2048, KeyFormat::Traditional}, Case{KeyKind::P256, KeyFormat::Pkcs8},
        Case{KeyKind::P256, KeyFormat::Traditional}, Case{KeyKind::P384, KeyFormat::Traditional}, Case{KeyKind::P521, KeyFormat::Pkcs8},
        Case{KeyKind::Ed25519, KeyFormat::Pkcs8}}) {
    CaOptions o;
    o.key = c.kind;
    TestCa ca = makeCa(o);
    CaOnDisk d;
    writeCa(d, ca, c.format);
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_MESSAGE(r.ok(), r.error());
    CHECK(r.value()->subject() == "CN=test-ca");
    CHECK(r.value()->notAfter() > std::chrono::system_clock::now());
    CHECK(r.value()->keyId().size() == 20);
    CHECK((r.value()->digest() == nullptr) == (c.kind == KeyKind::Ed25519));
  }
}

TEST_CASE("CA load: digest follows the CA key") {
  for (auto [kind, name] :
       {std::pair{KeyKind::Rsa2048, "SHA2-256"}, std::pair{KeyKind::P256, "SHA2-256"}, std::pair{KeyKind::P384, "SHA2-384"}}) {
    CaOptions o;
    o.key = kind;
    CaOnDisk d;
    writeCa(d, makeCa(o));
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE(r.ok());
    CHECK(std::string(EVP_MD_get0_name(r.value()->digest())) == name);
  }
}

TEST_CASE("CA load: encrypted keys need the passphrase file") {
  for (auto format : {KeyFormat::EncryptedPkcs8, KeyFormat::EncryptedTraditional}) {
    TestCa ca = makeCa({});
    CaOnDisk d;
    writeCa(d, ca, format, "s3cret");
    auto noPass = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_FALSE(noPass.ok());
    CHECK(noPass.error().find("is encrypted; set caKeyPassphraseFile") != std::string::npos);
    CHECK(noPass.error().find(d.key) != std::string::npos);
    auto good = CertificateAuthority::load(d.cert, d.key, d.dir.write("pass", "s3cret\n"));
    CHECK_MESSAGE(good.ok(), good.error());
    auto wrong = CertificateAuthority::load(d.cert, d.key, d.dir.write("wrong", "nope\n"));
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().find("cannot be decrypted") != std::string::npos);
    auto missing = CertificateAuthority::load(d.cert, d.key, (d.dir.path() / "absent").string());
    CHECK_FALSE(missing.ok());
  }
}

TEST_CASE("CA load: refusals name the file and say what to do") {
  TestCa good = makeCa({});
  SUBCASE("mismatched key") {
    CaOnDisk d;
    d.cert = d.dir.write("ca.crt", good.certPem());
    auto other = freshKey(KeyKind::P256);
    d.key = d.dir.write("ca.key", keyPem(other.get()));
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("does not match the certificate in " + d.cert) != std::string::npos);
  }
  SUBCASE("not a CA") {
    CaOptions o;
    o.basicConstraintsCa = false;
    CaOnDisk d;
    writeCa(d, makeCa(o));
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("is not a CA certificate") != std::string::npos);
    CHECK(r.error().find(d.cert) != std::string::npos);
  }
  SUBCASE("no keyCertSign") {
    CaOptions o;
    o.keyCertSign = false;
    CaOnDisk d;
    writeCa(d, makeCa(o));
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("keyCertSign missing") != std::string::npos);
  }
  SUBCASE("expired") {
    CaOptions o;
    o.expired = true;
    CaOnDisk d;
    writeCa(d, makeCa(o));
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("has expired") != std::string::npos);
  }
  SUBCASE("not yet valid") {
    CaOptions o;
    o.notYetValid = true;
    CaOnDisk d;
    writeCa(d, makeCa(o));
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find("not valid yet") != std::string::npos);
  }
  SUBCASE("bundle instead of one certificate") {
    TestCa other = makeCa({});
    CaOnDisk d;
    d.cert = d.dir.write("ca.crt", good.certPem() + other.certPem());
    d.key = d.dir.write("ca.key", keyPem(good.key.get()));
    auto r = CertificateAuthority::load(d.cert, d.key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == "error reading CA cert file " + d.cert + ": expected 1 certificate, found 2; put intermediates in chainFiles");
  }
  SUBCASE("empty and missing files, key in the cert file") {
    CaOnDisk d;
    d.cert = d.dir.write("ca.crt", "");
    d.key = d.dir.write("ca.key", keyPem(good.key.get()));
    CHECK(CertificateAuthority::load(d.cert, d.key).error().find("found 0") != std::string::npos);
    auto missing = CertificateAuthority::load((d.dir.path() / "nope.crt").string(), d.key);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().find("cannot read CA certificate file") != std::string::npos);
    d.cert = d.dir.write("ca.crt", keyPem(good.key.get()));
    CHECK(CertificateAuthority::load(d.cert, d.key).error().find("PRIVATE KEY") != std::string::npos);
    d.cert = d.dir.write("ca.crt", good.certPem());
    d.key = d.dir.write("ca.key", "garbage");
    CHECK(CertificateAuthority::load(d.cert, d.key).error().find("no readable PEM private key") != std::string::npos);
  }
  SUBCASE("weak RSA CA key") {
    CaOptions o;
    o.key = KeyKind::Rsa1024;
    CaOnDisk d;
    writeCa(d, makeCa(o));
    CHECK_FALSE(CertificateAuthority::load(d.cert, d.key).ok());
  }
}

TEST_CASE("CA load: chain files must continue the chain") {
  TestCa root = makeCa({.commonName = "root"});
  TestCa inter = makeIntermediate(root);
  CaOnDisk d;
  writeCa(d, inter);
  auto rootFile = d.dir.write("root.crt", root.certPem());
  auto r = CertificateAuthority::load(CaFiles{d.cert, d.key, "", {rootFile}});
  REQUIRE_MESSAGE(r.ok(), r.error());
  CHECK(r.value()->chainLength() == 1);
  CHECK(r.value()->chainPem() == root.certPem());
  auto unrelated = d.dir.write("other.crt", makeCa({}).certPem());
  auto bad = CertificateAuthority::load(CaFiles{d.cert, d.key, "", {unrelated}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("did not issue") != std::string::npos);
}

TEST_CASE("CA reload: swap files, bad new pair keeps the old CA") {
  TestCa first = makeCa({.commonName = "first"});
  CaOnDisk d;
  writeCa(d, first);
  auto holder = ReloadingCertificateAuthority::create(CaFiles{d.cert, d.key, "", {}});
  REQUIRE(holder.ok());
  auto& rca = *holder.value();
  CHECK(rca.current()->subject() == "CN=first");
  auto unchanged = rca.reloadIfChanged();
  REQUIRE(unchanged.ok());
  CHECK_FALSE(unchanged.value());

  TestCa second = makeCa({.commonName = "second"});
  writeCa(d, second);
  auto changed = rca.reloadIfChanged();
  REQUIRE(changed.ok());
  CHECK(changed.value());
  CHECK(rca.current()->subject() == "CN=second");

  // New cert with the old key: mismatch, old (second) stays.
  TestCa third = makeCa({.commonName = "third"});
  d.dir.write("ca.crt", third.certPem());
  auto bad = rca.reloadIfChanged();
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("keeping the previous CA") != std::string::npos);
  CHECK(rca.current()->subject() == "CN=second");
  CHECK_FALSE(rca.lastError().empty());
  // Still bad and unchanged: still reported.
  CHECK_FALSE(rca.reloadIfChanged().ok());
  // The matching key arrives: the third CA is taken.
  d.dir.write("ca.key", keyPem(third.key.get()));
  auto fixed = rca.reloadIfChanged();
  REQUIRE(fixed.ok());
  CHECK(fixed.value());
  CHECK(rca.current()->subject() == "CN=third");
  CHECK(rca.lastError().empty());

  // An expired replacement is refused too.
  TestCa expired = makeCa({.commonName = "expired", .expired = true});
  writeCa(d, expired);
  CHECK_FALSE(rca.reloadIfChanged().ok());
  CHECK(rca.current()->subject() == "CN=third");
}

TEST_CASE("CA reload: the polling thread picks up a change and stops on destruction") {
  TestCa first = makeCa({.commonName = "first"});
  CaOnDisk d;
  writeCa(d, first);
  // Before the holder, so the poller is joined before they go even when a REQUIRE throws.
  std::mutex mutex;
  std::condition_variable swapped;
  int swaps = 0;
  auto holder = ReloadingCertificateAuthority::create(CaFiles{d.cert, d.key, "", {}});
  REQUIRE(holder.ok());
  holder.value()->startPolling(std::chrono::milliseconds(10), [&](const Result<bool>& r) {
    if (!r.ok() || !r.value()) return;
    std::lock_guard lock(mutex);
    ++swaps;
    swapped.notify_all();
  });
  TestCa second = makeCa({.commonName = "second"});
  writeCa(d, second);
  {
    std::unique_lock lock(mutex);
    REQUIRE(swapped.wait_for(lock, std::chrono::seconds(20), [&] { return swaps > 0; }));
    CHECK(swaps == 1);
  }
  CHECK(holder.value()->current()->subject() == "CN=second");
  holder.value().reset();  // joins the poller
}
