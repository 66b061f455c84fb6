// RFC 7512 URIs naming a CA key on a token: what is accepted, and every way a bad one is refused.
#include <doctest/doctest.h>

#include "signers/Pkcs11Uri.h"

using signers::isPkcs11Uri;
using signers::parsePkcs11Uri;

namespace {

std::string refusal(const std::string& uri) {
  auto r = parsePkcs11Uri(uri);
  return r ? std::string("accepted") : r.error();
}

}  // namespace

TEST_CASE("pkcs11 uri: the issue's example and every path attribute") {
  auto r = parsePkcs11Uri("pkcs11:token=k8s-ca;object=kubernetes-ca;type=private");
  REQUIRE(r.ok());
  CHECK(*r.value().token == "k8s-ca");
  CHECK(*r.value().object == "kubernetes-ca");
  CHECK_FALSE(r.value().id.has_value());
  CHECK(r.value().display() == "pkcs11:token=k8s-ca;object=kubernetes-ca;type=private");

  auto all = parsePkcs11Uri(
      "PKCS11:token=My%20CA;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=e2df9c064ba464b5;"
      "slot-description=slot%200;slot-manufacturer=Acme;slot-id=1269064885;object=ca;id=%01%a0%FF"
      "?module-path=/usr/lib/softhsm/libsofthsm2.so");
  REQUIRE_MESSAGE(all.ok(), all.error());
  const auto& u = all.value();
  CHECK(*u.token == "My CA");
  CHECK(*u.manufacturer == "SoftHSM project");
  CHECK(*u.model == "SoftHSM v2");
  CHECK(*u.serial == "e2df9c064ba464b5");
  CHECK(*u.slotDescription == "slot 0");
  CHECK(*u.slotManufacturer == "Acme");
  CHECK(*u.slotId == 1269064885UL);
  CHECK(*u.id == std::string("\x01\xa0\xff", 3));
  CHECK(*u.modulePath == "/usr/lib/softhsm/libsofthsm2.so");
  // Shown without the query, re-encoded so it parses back to the same key.
  CHECK(u.display().find("module-path") == std::string::npos);
  CHECK(parsePkcs11Uri(u.display()).value().id == u.id);

  CHECK(parsePkcs11Uri("pkcs11:id=%01").ok());  // an id alone names the key
  CHECK(isPkcs11Uri("Pkcs11:x"));
  CHECK_FALSE(isPkcs11Uri("/etc/kubernetes/pki/ca.key"));
  CHECK_FALSE(isPkcs11Uri("pkcs11"));
}

TEST_CASE("pkcs11 uri: a PIN in the URI is refused, pointing at the PIN settings") {
  CHECK(refusal("pkcs11:token=a;object=b?pin-value=1234").find("caKeyPinFile") != std::string::npos);
  CHECK(refusal("pkcs11:token=a;object=b?pin-source=file:/pin").find("pin-source is not accepted") != std::string::npos);
  // The refusal never repeats the PIN.
  CHECK(refusal("pkcs11:token=a;object=b?pin-value=s3cr3t").find("s3cr3t") == std::string::npos);
}

TEST_CASE("pkcs11 uri: bad input, one row per rule") {
  struct Row {
    const char* uri;
    const char* because;
  };
  const Row rows[] = {
      {"file:/ca.key", "must start with \"pkcs11:\""},
      {"pkcs11:", "names no key"},
      {"pkcs11:token=a", "names no key"},
      {"pkcs11:token=a;type=cert;object=b", "does not name a private key"},
      {"pkcs11:object=a;object=b", "given twice"},
      {"pkcs11:object=a;;token=b", "empty attribute"},
      {"pkcs11:object=a;", "empty attribute"},
      {"pkcs11:object=", "empty value"},
      {"pkcs11:object", "not name=value"},
      {"pkcs11:=a", "not name=value"},
      {"pkcs11:Object=a", "not a lowercase"},
      {"pkcs11:object=a%2", "two hex digits"},
      {"pkcs11:object=a%zz", "two hex digits"},
      {"pkcs11:object=a b", "percent-encode it"},
      {"pkcs11:object=a/b", "percent-encode it"},
      {"pkcs11:object=a?module-path=/m.so&x=1", "unknown attribute"},
      {"pkcs11:object=a#frag", "fragment"},
      {"pkcs11:object=a?", "empty query"},
      {"pkcs11:object=a;x-vendor=1", "unknown attribute"},
      {"pkcs11:object=a;library-manufacturer=x", "library-manufacturer is not accepted"},
      {"pkcs11:object=a?module-name=softhsm2", "module-name is not accepted"},
      {"pkcs11:object=a?module-path=libsofthsm2.so", "absolute path"},
      {"pkcs11:object=a;slot-id=12a", "decimal"},
      {"pkcs11:object=a;slot-id=99999999999999999999", "out of range"},
      {"pkcs11:object=a;slot-id=99999999999999999999999", "longer than 20"},
      {"pkcs11:object=a;token=0123456789012345678901234567890123", "longer than 32"},
      {"pkcs11:object=a;serial=01234567890123456", "longer than 16"},
      {"pkcs11:object=a%00b", "NUL"},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.uri));
    const std::string why = refusal(row.uri);
    CHECK_MESSAGE(why.find(row.because) != std::string::npos, why);
  }
  CHECK(refusal("pkcs11:object=" + std::string(2100, 'a')).find("longer than 2048") != std::string::npos);
  CHECK(refusal("pkcs11:object=" + std::string(257, 'a')).find("longer than 256") != std::string::npos);
  CHECK(refusal("pkcs11:object=a;slot-id=18446744073709551616").find("out of range") != std::string::npos);
}
