// The SubjectPublicKeyInfo the certificate carries is re-encoded from the parsed key with our DER
// writer (signers/RequestKey.cpp); it must be exactly what OpenSSL's i2d_PUBKEY writes.
#include <doctest/doctest.h>

#include "signers/CertificateRequest.h"
#include "tests/goparity/RequestBuilder.h"

using namespace goparity;

TEST_CASE("parity: the re-encoded public key equals OpenSSL's i2d_PUBKEY for every accepted key type") {
  for (Key kind : {Key::P256, Key::P384, Key::P224, Key::Rsa2048, Key::Ed25519}) {
    EVP_PKEY* key = testKey(kind);
    auto r = signers::parseCertificateRequest(pem(buildRequest(richRequest(key), key)));
    REQUIRE_MESSAGE(r.ok(), r.error());
    REQUIRE(r.value().spki);
    CHECK(r.value().spki->der == spkiOf(key));
    CHECK(r.value().spki->der == spkiOf(r.value().publicKey.get()));
  }
}
