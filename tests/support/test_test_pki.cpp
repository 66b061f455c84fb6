// The shared test PKI itself: fixed keys are cached per kind and role, and what it issues is what
// the fixtures ask for.
#include <doctest/doctest.h>

#include <openssl/x509v3.h>

#include "tests/support/TestPki.h"

using namespace testpki;

namespace {

bool verifies(X509* cert, X509* issuer) {
  signers::EvpPkeyPtr issuerKey(X509_get_pubkey(issuer));
  return X509_verify(cert, issuerKey.get()) == 1;
}

std::string sanText(X509* cert) {
  signers::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  std::string out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) out += "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName))) + " ";
    if (name->type == GEN_IPADD) out += "IP:" + std::to_string(ASN1_STRING_length(name->d.iPAddress)) + "bytes ";
  }
  return out;
}

}  // namespace

TEST_CASE("test PKI: a fixed key is generated once per kind and role") {
  auto a = sharedKey(KeyKind::P256, "server");
  auto again = sharedKey(KeyKind::P256, "server");
  auto other = sharedKey(KeyKind::P256, "client");
  CHECK(a.get() == again.get());
  CHECK(a.get() != other.get());
  CHECK(EVP_PKEY_eq(a.get(), other.get()) != 1);
  CHECK(sharedKey(KeyKind::P384, "server").get() != a.get());
}

TEST_CASE("test PKI: CAs get fresh keys unless they name a key role") {
  auto first = makeCa({});
  auto second = makeCa({});
  CHECK(EVP_PKEY_eq(first.key.get(), second.key.get()) != 1);
  CaOptions fixed;
  fixed.keyRole = "root";
  CHECK(EVP_PKEY_eq(makeCa(fixed).key.get(), makeCa(fixed).key.get()) == 1);
}

TEST_CASE("test PKI: a leaf certificate carries the subject, SANs and usages asked for, signed by its CA") {
  auto ca = makeCa({.commonName = "leaf-ca"});
  auto leaf = issueCert(ca, {.subject = {{"O", "system:masters"}, {"CN", "admin"}},
                             .dnsNames = {"localhost"},
                             .ips = {"127.0.0.1", "::1"},
                             .extendedKeyUsages = {"serverAuth", "clientAuth"},
                             .keyRole = "leaf-test"});
  X509* cert = leaf.cert.get();
  CHECK(verifies(cert, ca.cert.get()));
  CHECK(X509_check_issued(ca.cert.get(), cert) == X509_V_OK);
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  CHECK(std::string(subject) == "/O=system:masters/CN=admin");
  CHECK(sanText(cert) == "DNS:localhost IP:4bytes IP:16bytes ");
  CHECK((X509_get_extended_key_usage(cert) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK(X509_check_ca(cert) == 0);
  CHECK(EVP_PKEY_eq(leaf.key.get(), sharedKey(KeyKind::P256, "leaf-test").get()) == 1);
  CHECK(parseCertPem(leaf.certPem()) != nullptr);
}

TEST_CASE("test PKI: key PEM round trip and the public key as openssl pkey -pubout writes it") {
  auto key = sharedKey(KeyKind::P256, "pem-test");
  auto parsed = parseKeyPem(keyPem(key.get()));
  CHECK(EVP_PKEY_eq(parsed.get(), key.get()) == 1);
  CHECK(publicKeyPem(key.get()).rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
  CHECK_THROWS(parseKeyPem(publicKeyPem(key.get())));
}

TEST_CASE("test PKI: an expired leaf ended an hour ago") {
  auto ca = makeCa({});
  auto leaf = issueCert(ca, {.expired = true});
  CHECK(X509_cmp_current_time(X509_get0_notAfter(leaf.cert.get())) < 0);
  CHECK(X509_cmp_current_time(X509_get0_notAfter(issueCert(ca, {}).cert.get())) > 0);
}
