#include "pki/CaCertificate.h"

#include <ctime>

#include <openssl/rsa.h>

#include "signers/Asn1Time.h"
#include "signers/OpenSslError.h"

namespace csrop::pki {

using signers::withOpenSslErrors;

signers::Result<signers::EvpPkeyPtr> generateRsaKey(int bits) {
  using R = signers::Result<signers::EvpPkeyPtr>;
  signers::EvpPkeyPtr key(EVP_RSA_gen(static_cast<unsigned>(bits)));
  if (!key) return R::fail(withOpenSslErrors("cannot generate an RSA key"));
  return R::ok(std::move(key));
}

signers::Result<signers::X509Ptr> buildCaCertificate(const std::string& commonName, EVP_PKEY* publicKey, X509* issuerCert,
                                                     const signers::CertificateSigningKey& signer, std::chrono::hours lifetime) {
  using R = signers::Result<signers::X509Ptr>;
  signers::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return R::fail(withOpenSslErrors("cannot create a certificate"));

  signers::BignumPtr serial(BN_new());
  signers::Asn1IntegerPtr asn1Serial;
  if (serial && BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1) {
    asn1Serial.reset(BN_to_ASN1_INTEGER(serial.get(), nullptr));
  }
  if (!asn1Serial || X509_set_serialNumber(cert.get(), asn1Serial.get()) != 1) {
    return R::fail(withOpenSslErrors("cannot set a serial number"));
  }

  signers::X509NamePtr name(X509_NAME_new());
  if (!name || X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(commonName.c_str()), -1,
                                          -1, 0) != 1) {
    return R::fail(withOpenSslErrors("cannot build the subject"));
  }
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(), issuerCert != nullptr ? X509_get_subject_name(issuerCert) : name.get());

  // Backdated like signers/ leaves, so a slightly slow clock elsewhere still accepts the CA.
  std::time_t now = std::time(nullptr);
  std::time_t notBefore = now - 5 * 60;
  std::time_t notAfter = now + static_cast<std::time_t>(std::chrono::seconds(lifetime).count());
  if (issuerCert != nullptr) {
    auto issuerEnd = signers::asn1TimeToTimePoint(X509_get0_notAfter(issuerCert));
    if (issuerEnd && std::chrono::system_clock::to_time_t(*issuerEnd) < notAfter) {
      notAfter = std::chrono::system_clock::to_time_t(*issuerEnd);
    }
  }
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &notBefore) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, 0, &notAfter) == nullptr) {
    return R::fail(withOpenSslErrors("cannot set the validity"));
  }
  if (X509_set_pubkey(cert.get(), publicKey) != 1) return R::fail(withOpenSslErrors("cannot set the public key"));

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuerCert != nullptr ? issuerCert : cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    signers::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    return ext && X509_add_ext(cert.get(), ext.get(), -1) == 1;
  };
  bool ok = add(NID_basic_constraints, issuerCert != nullptr ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE") &&
            add(NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign") && add(NID_subject_key_identifier, "hash");
  if (ok && issuerCert != nullptr) ok = add(NID_authority_key_identifier, "keyid:always");
  if (!ok) return R::fail(withOpenSslErrors("cannot add CA extensions"));

  auto signed_ = signer.sign(std::move(cert));
  if (!signed_) return R::fail("cannot sign the CA certificate: " + signed_.error());
  return signed_;
}

}  // namespace csrop::pki
