#include "pki/CertificateFacts.h"

#include <algorithm>

#include <openssl/x509v3.h>

#include "signers/Asn1Time.h"
#include "signers/IpAddress.h"
#include "signers/OpenSslPtr.h"

namespace csrop::pki {
namespace {

std::string nameText(const X509_NAME* name) {
  signers::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::vector<std::string> entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    const signers::OpenSslBytesPtr owned(utf8);
    if (len >= 0) out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  }
  return out;
}

std::string text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

void readExtendedKeyUsages(X509* cert, CertificateFacts& f) {
  const signers::Asn1ObjectStackPtr eku(static_cast<STACK_OF(ASN1_OBJECT)*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
    if (nid == NID_server_auth)
      f.serverAuth = true;
    else if (nid == NID_client_auth)
      f.clientAuth = true;
    else
      f.otherExtKeyUsages.emplace_back(nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
  }
}

void readSubjectAltNames(X509* cert, CertificateFacts& f) {
  const signers::GeneralNamesPtr sans(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
    if (gn->type == GEN_DNS)
      f.dnsNames.push_back(text(gn->d.dNSName));
    else if (gn->type == GEN_EMAIL)
      f.emails.push_back(text(gn->d.rfc822Name));
    else if (gn->type == GEN_URI)
      f.uris.push_back(text(gn->d.uniformResourceIdentifier));
    else if (gn->type == GEN_IPADD) {
      auto ip = signers::IpAddress::fromBytes(ASN1_STRING_get0_data(gn->d.iPAddress),
                                              static_cast<std::size_t>(ASN1_STRING_length(gn->d.iPAddress)));
      f.ipAddresses.push_back(ip ? ip->toString() : "invalid");
    }
  }
}

}  // namespace

CertificateFacts certificateFacts(X509* cert) {
  CertificateFacts f;
  const X509_NAME* subject = X509_get_subject_name(cert);
  auto cns = entries(subject, NID_commonName);
  if (!cns.empty()) f.commonName = cns.front();
  f.organizations = entries(subject, NID_organizationName);
  std::sort(f.organizations.begin(), f.organizations.end());
  f.subject = nameText(subject);
  f.issuer = nameText(X509_get_issuer_name(cert));
  f.notBefore = signers::asn1TimeToTimePoint(X509_get0_notBefore(cert)).value_or(std::chrono::system_clock::time_point{});
  f.notAfter = signers::asn1TimeToTimePoint(X509_get0_notAfter(cert)).value_or(std::chrono::system_clock::time_point{});
  f.isCa = X509_check_ca(cert) != 0;
  const uint32_t ku = X509_get_key_usage(cert);
  f.hasKeyUsage = (X509_get_extension_flags(cert) & EXFLAG_KUSAGE) != 0;
  f.digitalSignature = (ku & KU_DIGITAL_SIGNATURE) != 0;
  f.keyEncipherment = (ku & KU_KEY_ENCIPHERMENT) != 0;
  f.certSign = (ku & KU_KEY_CERT_SIGN) != 0;
  readExtendedKeyUsages(cert, f);
  readSubjectAltNames(cert, f);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  f.rsaKey = key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  return f;
}

}  // namespace csrop::pki
