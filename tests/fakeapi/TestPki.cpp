#include "tests/fakeapi/TestPki.h"

#include <openssl/pem.h>

namespace fakeapi::testing {

namespace {
std::string bioString(BIO* b) {
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  return std::string(p, static_cast<size_t>(n));
}
}  // namespace

std::string csrPem(const std::string& cn, const std::vector<std::string>& orgs, bool breakSignature) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509ReqPtr req(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  for (const auto& o : orgs)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key.get());
  X509_REQ_sign(req.get(), key.get(), EVP_sha256());
  if (breakSignature) {
    // Changing the subject after signing keeps a well-formed request whose signature no longer verifies.
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "OU", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("tampered"), -1, -1, 0);
  }
  BioPtr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(b.get(), req.get());
  return bioString(b.get());
}

std::string selfSignedCertPem(const std::string& cn) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), 3600);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c.get(), name);
  X509_set_pubkey(c.get(), key.get());
  X509_sign(c.get(), key.get(), EVP_sha256());
  BioPtr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), c.get());
  return bioString(b.get());
}

json csrObject(const std::string& name, const std::string& signer, const std::string& cn, const std::vector<std::string>& orgs,
               std::vector<std::string> usages) {
  return {{"apiVersion", "certificates.k8s.io/v1"},
          {"kind", "CertificateSigningRequest"},
          {"metadata", {{"name", name}}},
          {"spec", {{"request", base64Encode(csrPem(cn, orgs))}, {"signerName", signer}, {"usages", usages}}}};
}

UserInfo user(const std::string& name, std::vector<std::string> groups) {
  groups.push_back("system:authenticated");
  return UserInfo{name, "uid-" + name, groups, json::object()};
}

}  // namespace fakeapi::testing
