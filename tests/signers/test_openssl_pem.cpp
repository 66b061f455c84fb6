#include <doctest/doctest.h>

#include <openssl/err.h>

#include <string>

#include "tests/support/TestPki.h"
#include "signers/OpenSslPem.h"

namespace {

const std::string& caPem() {
  static const std::string pem = testpki::makeCa({}).certPem();
  return pem;
}

}  // namespace

TEST_CASE("OpenSslPem: the first certificate, past text and other blocks, as openssl's own files hold them") {
  auto key = testpki::sharedKey(testpki::KeyKind::P256);
  const std::string mixed = "Bag Attributes\n" + testpki::keyPem(key.get()) + "subject=CN=test-ca\n" + caPem();
  auto cert = signers::readFirstCertificate(mixed);
  REQUIRE(cert);
  CHECK(signers::certificatePem(cert.get()) == caPem());
  CHECK(signers::countCertificates(mixed) == 1);
  CHECK(signers::countCertificates(caPem() + caPem()) == 2);
  CHECK(signers::countCertificates("no PEM here") == 0);
  CHECK_FALSE(signers::readFirstCertificate(testpki::keyPem(key.get())));
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("OpenSslPem: keys round-trip, and an encrypted key is refused without asking for a passphrase") {
  auto key = testpki::sharedKey(testpki::KeyKind::P256);
  auto read = signers::readUnencryptedPrivateKey(testpki::keyPem(key.get(), testpki::KeyFormat::Traditional));
  REQUIRE(read);
  CHECK(signers::samePublicKey(read.get(), key.get()));
  CHECK(signers::samePublicKey(signers::readUnencryptedPrivateKey(signers::privateKeyPem(key.get())).get(), key.get()));
  CHECK(signers::samePublicKey(signers::readPublicKey(signers::publicKeyPem(key.get())).get(), key.get()));
  for (auto format : {testpki::KeyFormat::EncryptedPkcs8, testpki::KeyFormat::EncryptedTraditional}) {
    CHECK_FALSE(signers::readUnencryptedPrivateKey(testpki::keyPem(key.get(), format, "secret")));
  }
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("OpenSslPem: samePublicKey is false for another key or none") {
  auto p256 = testpki::sharedKey(testpki::KeyKind::P256);
  auto other = testpki::freshKey(testpki::KeyKind::P256);
  CHECK_FALSE(signers::samePublicKey(p256.get(), other.get()));
  CHECK_FALSE(signers::samePublicKey(p256.get(), nullptr));
  CHECK_FALSE(signers::samePublicKey(nullptr, nullptr));
}

TEST_CASE("OpenSslPem: a key encrypted with an empty passphrase is refused too (it is not unencrypted)") {
  // pki's reader answered OpenSSL's passphrase callback with 0 before, which OpenSSL 3 takes as the
  // empty passphrase.
  auto key = testpki::sharedKey(testpki::KeyKind::P256);
  CHECK_FALSE(signers::readUnencryptedPrivateKey(testpki::keyPem(key.get(), testpki::KeyFormat::EncryptedPkcs8, "")));
  CHECK(ERR_peek_error() == 0);
}
