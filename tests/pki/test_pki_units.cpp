// pki's own units, called directly (the other suites run the binary).
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <openssl/x509v3.h>

#include "pki/CertificateFacts.h"
#include "pki/KubeconfigEmbed.h"
#include "pki/PkiArgs.h"
#include "signers/OpenSslPtr.h"

using namespace std::chrono;

namespace {

std::string kubeconfigWithKeyData(const std::string& keyData) {
  return "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: " + keyData + "\n";
}

// A leaf for RFC 5280's "no well-defined expiration" date, with SANs and usages to read back.
signers::X509Ptr leafWithoutExpiry() {
  signers::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  signers::X509Ptr cert(X509_new());
  REQUIRE((key && cert));
  X509_set_version(cert.get(), 2);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("b-org"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("a-org"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("kube-apiserver"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  REQUIRE(ASN1_TIME_set_string(X509_getm_notBefore(cert.get()), "20240101000000Z") == 1);
  REQUIRE(ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), "99991231235959Z") == 1);
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_key_usage, "critical,digitalSignature"}, std::pair{NID_ext_key_usage, "serverAuth,codeSigning"},
                            std::pair{NID_subject_alt_name, "DNS:kubernetes,IP:10.96.0.1,IP:fd00::1,email:a@example.com"}}) {
    signers::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    REQUIRE((ext && X509_add_ext(cert.get(), ext.get(), -1) == 1));
  }
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  return cert;
}

}  // namespace

TEST_CASE("pki kubeconfig: *-data with '=' inside or trailing dashes is not base64 (client-go refuses it too)") {
  // OpenSSL's EVP_DecodeBlock, used before, read '=' as zero bits and dropped trailing '-'.
  for (const char* bad : {"Zg=v", "Zm9v----", "Zg==Zm8="}) {
    auto creds = csrop::pki::readKubeconfig(kubeconfigWithKeyData(bad), "admin.conf");
    REQUIRE_FALSE(creds.ok());
    CHECK(creds.error() == "admin.conf: client-key-data is not valid base64");
  }
  auto folded = csrop::pki::readKubeconfig(kubeconfigWithKeyData("\"Zm9v\\nYmFy\""), "admin.conf");
  REQUIRE(folded.ok());
  CHECK(folded.value().clientKeyPem == "foobar");
}

TEST_CASE("pki flags: durations use the one grammar of signers/Duration.h") {
  CHECK(csrop::pki::parseDuration("1.5d") == hours(36));
  try {
    csrop::pki::parseDuration("30x");
    FAIL("30x parsed");
  } catch (const csrop::pki::PkiUsageError& e) {
    CHECK(std::string(e.what()) ==
          "invalid duration \"30x\": the unit \"x\" is not one of ns, us, ms, s, m, h, d (examples: 30d, 720h, 1h30m)");
  }
  CHECK_THROWS_WITH_AS(csrop::pki::parseDuration("36526d"),
                       "invalid duration \"36526d\": it is longer than 100 years (examples: 30d, 720h, 1h30m)", csrop::pki::PkiUsageError);
}

TEST_CASE("pki certificate facts: subject, SANs, usages, and a 9999 NotAfter read as the far future") {
  auto cert = leafWithoutExpiry();
  auto f = csrop::pki::certificateFacts(cert.get());
  CHECK(f.commonName == "kube-apiserver");
  CHECK(f.organizations == std::vector<std::string>{"a-org", "b-org"});
  CHECK(f.dnsNames == std::vector<std::string>{"kubernetes"});
  CHECK(f.ipAddresses == std::vector<std::string>{"10.96.0.1", "fd00::1"});
  CHECK(f.emails == std::vector<std::string>{"a@example.com"});
  CHECK(f.hasKeyUsage);
  CHECK(f.digitalSignature);
  CHECK_FALSE(f.keyEncipherment);
  CHECK(f.serverAuth);
  CHECK_FALSE(f.clientAuth);
  CHECK(f.otherExtKeyUsages == std::vector<std::string>{"codeSigning"});
  CHECK_FALSE(f.isCa);
  CHECK_FALSE(f.rsaKey);
  CHECK(f.notBefore == system_clock::from_time_t(1704067200));
  // Before the shared conversion, from_time_t overflowed here and the certificate looked long expired.
  CHECK(f.notAfter == system_clock::time_point::max());
}
