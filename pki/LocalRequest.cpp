#include "pki/LocalRequest.h"

#include <memory>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"

namespace csrop::pki {

using signers::withOpenSslErrors;

namespace {

using R = signers::Result<std::string>;

bool addSubject(X509_NAME* name, const LocalRequest& request, std::string& error) {
  for (const auto& [field, value] : request.subject) {
    const int nid = field == "CN" ? NID_commonName : field == "O" ? NID_organizationName : NID_undef;
    if (nid == NID_undef) {
      error = "subject attribute " + field + " is not one pki issues (CN and O only)";
      return false;
    }
    if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      error = withOpenSslErrors("cannot put " + field + " into the request subject");
      return false;
    }
  }
  return true;
}

using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, signers::OpenSslDeleter<&GENERAL_NAME_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, signers::OpenSslDeleter<&ASN1_STRING_free>>;

bool pushName(GENERAL_NAMES* names, int type, int asn1Type, const void* data, std::size_t length) {
  Asn1StringPtr value(ASN1_STRING_type_new(asn1Type));
  GeneralNamePtr gn(GENERAL_NAME_new());
  if (!value || !gn || ASN1_STRING_set(value.get(), data, static_cast<int>(length)) != 1) return false;
  GENERAL_NAME_set0_value(gn.get(), type, value.release());
  if (sk_GENERAL_NAME_push(names, gn.get()) <= 0) return false;
  gn.release();  // owned by names now
  return true;
}

// GENERAL_NAMES built one by one (not from "DNS:a,IP:b" config text, where a comma in a name
// would become a second name).
signers::GeneralNamesPtr subjectAltNames(const LocalRequest& request) {
  signers::GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return nullptr;
  for (const auto& dns : request.dnsNames) {
    if (!pushName(names.get(), GEN_DNS, V_ASN1_IA5STRING, dns.data(), dns.size())) return nullptr;
  }
  for (const auto& ip : request.ipAddresses) {
    if (!pushName(names.get(), GEN_IPADD, V_ASN1_OCTET_STRING, ip.bytes.data(), ip.length())) return nullptr;
  }
  return names;
}

}  // namespace

signers::Result<std::string> buildRequestPem(EVP_PKEY* key, const LocalRequest& request) {
  signers::X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1) return R::fail(withOpenSslErrors("cannot create a certificate request"));
  std::string error;
  if (!addSubject(X509_REQ_get_subject_name(req.get()), request, error)) return R::fail(error);
  if (X509_REQ_set_pubkey(req.get(), key) != 1) return R::fail(withOpenSslErrors("cannot put the public key into the request"));
  if (!request.dnsNames.empty() || !request.ipAddresses.empty()) {
    auto names = subjectAltNames(request);
    if (!names) return R::fail(withOpenSslErrors("cannot build the request's subjectAltNames"));
    signers::X509ExtensionStackPtr exts(sk_X509_EXTENSION_new_null());
    signers::X509ExtensionPtr san(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    if (!exts || !san || sk_X509_EXTENSION_push(exts.get(), san.get()) <= 0) {
      return R::fail(withOpenSslErrors("cannot build the request's subjectAltName extension"));
    }
    san.release();  // owned by exts now
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) return R::fail(withOpenSslErrors("cannot add the request's extensions"));
  }
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_REQ_sign(req.get(), key, md) <= 0) return R::fail(withOpenSslErrors("cannot sign the certificate request"));
  signers::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) return R::fail(withOpenSslErrors("cannot encode the certificate request"));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0) return R::fail("cannot encode the certificate request: empty output");
  return R::ok(std::string(data, static_cast<std::size_t>(len)));
}

}  // namespace csrop::pki
