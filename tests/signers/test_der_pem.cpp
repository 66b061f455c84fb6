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
  auto out =
      f.signer->issue(IssueRequest{testpki::makeCsr(o), kLegacyUnknownSigner, {"client auth"}, {}}, std::chrono::system_clock::now());
  auto cert = testpki::parseCertPem(std::get<IssuedCertificate>(out).pem);
  X509_NAME* name = X509_get_subject_name(cert.get());
  REQUIRE(X509_NAME_entry_count(name) == 2);
  const ASN1_STRING* org = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 0));
  CHECK(ASN1_STRING_type(org) == V_ASN1_UTF8STRING);
  CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(org)), static_cast<std::size_t>(ASN1_STRING_length(org))) ==
        "Zürich AG");
}

TEST_CASE("PEM: exactly one bare block is decoded") {
  auto b = decodeSinglePemBlock("-----BEGIN X-----\nAAEC\n-----END X-----\n");
  REQUIRE_MESSAGE(b, b.error());
  CHECK(b.value().label == "X");
  CHECK(b.value().der == std::vector<unsigned char>{0x00, 0x01, 0x02});
  auto crlf = decodeSinglePemBlock("-----BEGIN X-----\r\nAAE=\r\n-----END X-----\r\n \t\n");
  REQUIRE_MESSAGE(crlf, crlf.error());
  CHECK(crlf.value().der == std::vector<unsigned char>{0x00, 0x01});
  CHECK(decodeSinglePemBlock("-----BEGIN X-----\nAA==\n-----END X-----").ok());  // no final newline
}

TEST_CASE("PEM: everything Go's pem.Decode could read differently is refused, with the reason") {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"-----BEGIN X-----\nAAEC\n", "END line"},                                        // no END
      {"-----BEGIN X-----\nAAEC\n-----END Y-----\n", "does not match its BEGIN line"},  // END of another label
      {"-----BEGIN X-----\nAAEC-----END X-----\n", "glued to the base64"},              // END glued to the base64
      {"-----BEGIN X-----\nAAEC\n-----END X-----x\n", "END line ends in a character"},  // garbage after END
      {"-----BEGIN X-----\nAAEC\n-----END X-----\r", "END line ends in a character"},   // Go skips this block
      {"-----BEGIN X-----\nAAEC\n-----END X----- \r \n", "END line ends in a character"},
      {"-----BEGIN X-----\nAAEC\n-----END X-----\n-----BEGIN X-----\nAAEC\n-----END X-----\n", "continues after"},
      {"leading text\n-----BEGIN X-----\nAAEC\n-----END X-----\n", "bytes before its BEGIN line"},
      {"\n-----BEGIN X-----\nAAEC\n-----END X-----\n", "bytes before its BEGIN line"},
      {"-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END X-----\n", "PEM headers"},
      {"-----BEGIN X-----\nAA EC\n-----END X-----\n", "not base64"},  // Go strips spaces
      {"-----BEGIN X-----\n\nAAEC\n-----END X-----\n", "empty line"},
      {"-----BEGIN X-----\nAA=C\n-----END X-----\n", "'=' before its end"},
      {"-----BEGIN X-----\nAA==\nAAEC\n-----END X-----\n", "'=' before its end"},
      {"-----BEGIN X-----\nAA*C\n-----END X-----\n", "not base64"},
      {"-----BEGIN X-----\nAAE\n-----END X-----\n", "base64 quads"},
      {"-----BEGIN X-----\nAB==\n-----END X-----\n", "not canonical"},  // unused bits set
      {"-----BEGIN X-----\nAAF=\n-----END X-----\n", "not canonical"},
      {"-----BEGIN X----- \nAAEC\n-----END X-----\n", "BEGIN line is malformed"},
      {"-----BEGIN X-----\n-----END X-----\n", "base64 quads"},  // empty body
      {"x-----BEGIN X-----\nAAEC\n-----END X-----\n", "bytes before"},
      {"not a pem at all", "not PEM encoded"},
  };
  for (const auto& c : cases) {
    auto r = decodeSinglePemBlock(c.text);
    REQUIRE_FALSE_MESSAGE(r.ok(), std::string(c.text));
    CHECK_MESSAGE(r.error().find(c.reason) != std::string::npos, std::string(c.text), " -> ", r.error());
  }
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
  const unsigned char int32Max[] = {0x2a, 0x87, 0xff, 0xff, 0xff, 0x7f};
  CHECK(oidToDotted(int32Max) == "1.2.2147483647");
  const unsigned char aboveInt32[] = {0x2a, 0x88, 0x80, 0x80, 0x80, 0x00};  // 2^31: Go 1.19 refuses it
  CHECK(oidToDotted(aboveInt32).empty());
}

TEST_CASE("DER: the TLV reader refuses what Go's DER parsers refuse") {
  auto reads = [](std::vector<unsigned char> bytes) {
    DerBytes in(bytes);
    DerTlv t;
    return readDerTlv(in, t) && in.empty();
  };
  CHECK(reads({0x04, 0x01, 0xaa}));
  std::vector<unsigned char> longForm = {0x04, 0x81, 0x80};
  longForm.resize(3 + 0x80);
  CHECK(reads(longForm));
  CHECK_FALSE(reads({0x04, 0x81, 0x01, 0xaa}));        // long form for a short length
  CHECK_FALSE(reads({0x04, 0x82, 0x00, 0x01, 0xaa}));  // leading zero length octet
  CHECK_FALSE(reads({0x30, 0x80, 0x00, 0x00}));        // indefinite length (BER)
  CHECK_FALSE(reads({0x1f, 0x22, 0x01, 0x00}));        // high tag number form
  CHECK_FALSE(reads({0x04, 0x02, 0xaa}));              // length beyond the input
  CHECK_FALSE(reads({0x04}));
}
