#include <doctest/doctest.h>

#include "signers/Asn1Time.h"
#include "signers/CertificateInfo.h"
#include "signers/OpenSslPem.h"
#include "signers/Usages.h"
#include "signers/Validity.h"
#include "tests/support/TestPki.h"

#include <openssl/x509.h>

using namespace signers;
using namespace std::chrono;

TEST_CASE("usage table holds the 23 API strings") {
  CHECK(usageTable().size() == 23);
  for (const char* u : {"signing",
                        "digital signature",
                        "content commitment",
                        "key encipherment",
                        "key agreement",
                        "data encipherment",
                        "cert sign",
                        "crl sign",
                        "encipher only",
                        "decipher only",
                        "any",
                        "server auth",
                        "client auth",
                        "code signing",
                        "email protection",
                        "s/mime",
                        "ipsec end system",
                        "ipsec tunnel",
                        "ipsec user",
                        "timestamping",
                        "ocsp signing",
                        "microsoft sgc",
                        "netscape sgc"}) {
    CAPTURE(u);
    CHECK(isKnownUsage(u));
  }
  CHECK_FALSE(isKnownUsage("Server Auth"));
  CHECK_FALSE(isKnownUsage("serverAuth"));
  CHECK_FALSE(isKnownUsage(""));
  CHECK(isForbiddenUsage("cert sign"));
  CHECK(isForbiddenUsage("crl sign"));
  CHECK(isForbiddenUsage("any"));
  CHECK_FALSE(isForbiddenUsage("server auth"));
  CHECK(formatUsageList(toUsageSet({"server auth", "digital signature", "server auth"})) == "[digital signature server auth]");
}

TEST_CASE("TTL: default, clamp to max, minimum 10 minutes") {
  const seconds max = hours(8760);
  CHECK(effectiveTtl(std::nullopt, max) == max);
  CHECK(effectiveTtl(3600, max) == seconds(3600));
  CHECK(effectiveTtl(int64_t{1} << 62, max) == max);
  CHECK(effectiveTtl(60, max) == minutes(10));
  CHECK(effectiveTtl(-5, max) == minutes(10));
  CHECK(effectiveTtl(600, max) == minutes(10));
  CHECK(effectiveTtl(std::nullopt, hours(2)) == hours(2));
}

TEST_CASE("validity window: backdate, 8h rule, CA clamp, CA expired") {
  auto now = floor<seconds>(system_clock::now());
  auto caEnd = now + hours(24 * 365 * 5);
  auto shortW = std::get<ValidityWindow>(computeValidity(now, 3600, hours(8760), caEnd));
  CHECK(shortW.notBefore == now - minutes(5));
  CHECK(shortW.notAfter == now + hours(1));
  CHECK_FALSE(shortW.clampedToCaNotAfter);
  auto atEight = std::get<ValidityWindow>(computeValidity(now, 8 * 3600, hours(8760), caEnd));
  CHECK(atEight.notAfter == now + hours(8) - minutes(5));
  auto justUnder = std::get<ValidityWindow>(computeValidity(now, 8 * 3600 - 1, hours(8760), caEnd));
  CHECK(justUnder.notAfter == now + hours(8) - seconds(1));
  auto longW = std::get<ValidityWindow>(computeValidity(now, std::nullopt, hours(8760), caEnd));
  CHECK(longW.notAfter == now + hours(8760) - minutes(5));

  auto clamped = std::get<ValidityWindow>(computeValidity(now, std::nullopt, hours(8760), now + hours(2)));
  CHECK(clamped.clampedToCaNotAfter);
  CHECK(clamped.notAfter == now + hours(2));

  auto expired = computeValidity(now, 3600, hours(8760), now - hours(1));
  REQUIRE(std::holds_alternative<std::string>(expired));
  CHECK(std::get<std::string>(expired).starts_with("the signer has expired: NotAfter="));
  auto justExpired = computeValidity(now, 3600, hours(8760), now - minutes(1));
  REQUIRE(std::holds_alternative<std::string>(justExpired));
  CHECK(std::get<std::string>(justExpired).starts_with("refusing to sign a certificate that expired in the past"));
}

TEST_CASE("certificateNotAfter: read from the DER, equal to OpenSSL's full parse, for UTCTime and GeneralizedTime, first of a chain") {
  const auto fullParse = [](const std::string& pem) {
    const auto cert = signers::readFirstCertificate(pem);
    REQUIRE(cert);
    return signers::asn1TimeToTimePoint(X509_get0_notAfter(cert.get()));
  };
  testpki::CaOptions utc, generalized;
  utc.commonName = "one-year";
  generalized.commonName = "thirty-years";  // NotAfter after 2049: GeneralizedTime (RFC 5280 4.1.2.5)
  generalized.lifetime = std::chrono::hours(24 * 365 * 30);
  const auto a = testpki::makeCa(utc), b = testpki::makeCa(generalized);
  for (const auto* ca : {&a, &b}) {
    const auto notAfter = signers::certificateNotAfter(ca->certPem());
    REQUIRE(notAfter);
    CHECK(*notAfter == *fullParse(ca->certPem()));
  }
  CHECK(*signers::certificateNotAfter(b.certPem() + a.certPem()) == *fullParse(b.certPem()));
  // A block of another type first: the full parse, which skips it, decides.
  CHECK(*signers::certificateNotAfter(testpki::keyPem(a.key.get()) + b.certPem()) == *fullParse(b.certPem()));
  CHECK_FALSE(signers::certificateNotAfter("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
  CHECK_FALSE(signers::certificateNotAfter("garbage"));
}
