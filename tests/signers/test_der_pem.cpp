#include <doctest/doctest.h>

#include <ctime>

#include "SignerFixture.h"
#include "signers/Der.h"
#include "signers/Pem.h"
#include "signers/RequestDer.h"
#include "signers/Profiles.h"

using namespace signers;
using der::Bytes;

namespace {

std::time_t utc(int y, int mo, int d) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  return timegm(&tm);
}

Bytes kuExtensionBytes(const std::vector<std::string>& usages) {
  testpki::SignerFixture f(testpki::SignerFixture::named(kLegacyUnknownSigner));
  testpki::CsrOptions o;
  o.subject = {{"CN", "x"}};
  auto out = f.signer->issue(IssueRequest{testpki::makeCsr(o), kLegacyUnknownSigner, usages, {}}, std::chrono::system_clock::now());
  auto cert = testpki::parseCertPem(std::get<IssuedCertificate>(out).pem);
  int idx = X509_get_ext_by_NID(cert.get(), NID_key_usage, -1);
  REQUIRE(idx >= 0);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert.get(), idx));
  return Bytes(ASN1_STRING_get0_data(data), ASN1_STRING_get0_data(data) + ASN1_STRING_length(data));
}

}  // namespace

TEST_CASE("DER: lengths, integers, OIDs, strings, times") {
  Bytes b;
  der::appendLength(b, 5);
  der::appendLength(b, 200);
  der::appendLength(b, 300);
  CHECK(b == Bytes{0x05, 0x81, 0xc8, 0x82, 0x01, 0x2c});
  b.clear();
  const unsigned char high[] = {0x80};
  der::appendUnsignedInteger(b, high);
  CHECK(b == Bytes{0x02, 0x02, 0x00, 0x80});
  b.clear();
  const unsigned char leadingZero[] = {0x00, 0x00, 0x01};
  der::appendUnsignedInteger(b, leadingZero);
  CHECK(b == Bytes{0x02, 0x01, 0x01});
  CHECK(der::oid("2.5.29.19") == Bytes{0x06, 0x03, 0x55, 0x1d, 0x13});
  CHECK(der::oid("1.3.6.1.5.5.7.3.1") == Bytes{0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01});
  CHECK(der::oid("1.2.840.113549") == Bytes{0x06, 0x06, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d});
  b.clear();
  der::appendDirectoryString(b, "system:nodes");
  CHECK(b[0] == der::kPrintableString);
  b.clear();
  der::appendDirectoryString(b, "a@b");
  CHECK(b[0] == der::kUtf8String);
  b.clear();
  der::appendTime(b, utc(2049, 12, 31));
  CHECK(b[0] == der::kUtcTime);
  CHECK(std::string(b.begin() + 2, b.end()) == "491231000000Z");
  b.clear();
  der::appendTime(b, utc(2050, 1, 1));
  CHECK(b[0] == der::kGeneralizedTime);
  CHECK(std::string(b.begin() + 2, b.end()) == "20500101000000Z");
}

TEST_CASE("DER: KeyUsage bit strings are minimal") {
  CHECK(kuExtensionBytes({"digital signature", "key encipherment"}) == Bytes{0x03, 0x02, 0x05, 0xa0});
  CHECK(kuExtensionBytes({"digital signature"}) == Bytes{0x03, 0x02, 0x07, 0x80});
  CHECK(kuExtensionBytes({"decipher only"}) == Bytes{0x03, 0x03, 0x07, 0x00, 0x80});
  CHECK(kuExtensionBytes({"key agreement", "encipher only"}) == Bytes{0x03, 0x02, 0x00, 0x09});
}

TEST_CASE("issued subject keeps UTF-8 values") {
  testpki::SignerFixture f(testpki::SignerFixture::named(kLegacyUnknownSigner));
  testpki::CsrOptions o;
  o.subject = {{"O", "Zürich AG"}, {"CN", "user@example.com"}};
  auto out = f.signer->issue(IssueRequest{testpki::makeCsr(o), kLegacyUnknownSigner, {"client auth"}, {}}, std::chrono::system_clock::now());
  auto cert = testpki::parseCertPem(std::get<IssuedCertificate>(out).pem);
  X509_NAME* name = X509_get_subject_name(cert.get());
  REQUIRE(X509_NAME_entry_count(name) == 2);
  const ASN1_STRING* org = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 0));
  CHECK(ASN1_STRING_type(org) == V_ASN1_UTF8STRING);
  CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(org)), static_cast<std::size_t>(ASN1_STRING_length(org))) ==
        "Zürich AG");
}

TEST_CASE("PEM: strict decoding of the first block") {
  const std::string body = "-----BEGIN X-----\nAAEC\n-----END X-----\n";
  auto b = decodeFirstPemBlock("leading text\n" + body);
  REQUIRE(b);
  CHECK(b->label == "X");
  CHECK(b->der == std::vector<unsigned char>{0x00, 0x01, 0x02});
  auto crlf = decodeFirstPemBlock("-----BEGIN X-----\r\nAAE=\r\n-----END X-----\r\n");
  REQUIRE(crlf);
  CHECK(crlf->der == std::vector<unsigned char>{0x00, 0x01});
  CHECK_FALSE(decodeFirstPemBlock("-----BEGIN X-----\nAAEC\n"));                          // no END
  CHECK_FALSE(decodeFirstPemBlock("-----BEGIN X-----\nAAEC\n-----END Y-----\n"));          // END of another label
  CHECK_FALSE(decodeFirstPemBlock("-----BEGIN X-----\nAA=C\n-----END X-----\n"));          // '=' inside
  CHECK_FALSE(decodeFirstPemBlock("-----BEGIN X-----\nAA*C\n-----END X-----\n"));          // not base64
  CHECK_FALSE(decodeFirstPemBlock("-----BEGIN X-----\nAAE\n-----END X-----\n"));           // not a multiple of 4
  CHECK_FALSE(decodeFirstPemBlock("x-----BEGIN X-----\nAAEC\n-----END X-----\n"));         // BEGIN not at line start
  auto headers = decodeFirstPemBlock("-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END X-----\n");
  REQUIRE(headers);
  CHECK(headers->hasHeaders);
}

TEST_CASE("DER: OID content to dotted text") {
  const unsigned char san[] = {0x55, 0x1d, 0x11};
  CHECK(oidToDotted(san) == "2.5.29.17");
  const unsigned char rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
  CHECK(oidToDotted(rsa) == "1.2.840.113549.1.1.1");
  const unsigned char truncated[] = {0x2a, 0x86};
  CHECK(oidToDotted(truncated).empty());
  const unsigned char nonMinimal[] = {0x2a, 0x80, 0x01};
  CHECK(oidToDotted(nonMinimal).empty());
}
