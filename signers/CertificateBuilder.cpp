#include "signers/CertificateBuilder.h"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "signers/OpenSslError.h"
#include "signers/Usages.h"

namespace signers {
namespace {

using R = Result<BuiltCertificate>;

constexpr std::array<const char*, 9> kCopiedAttributes{"C", "ST", "L", "street", "postalCode", "O", "OU", "CN",
                                                       "serialNumber"};

bool setTime(ASN1_TIME* field, std::chrono::system_clock::time_point t) {
  return ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) != nullptr;
}

// 128 random bits, as KCM; a BIGNUM from unsigned bytes is never negative, zero is excluded.
bool setRandomSerial(X509* cert, std::string& hexOut) {
  unsigned char bytes[16];
  do {
    if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  } while (std::all_of(std::begin(bytes), std::end(bytes), [](unsigned char b) { return b == 0; }));
  BignumPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) return false;
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return false;
  hexOut = hex;
  OPENSSL_free(hex);
  return true;
}

bool setSubject(X509* cert, const ParsedRequest& req) {
  X509_NAME* name = X509_get_subject_name(cert);
  for (const auto& [key, value] : req.subject) {
    if (!isCopiedSubjectAttribute(key)) continue;
    if (X509_NAME_add_entry_by_txt(name, key.c_str(), MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return false;
    }
  }
  return true;
}

bool addKeyUsages(X509* cert, const std::vector<std::string>& usages) {
  Asn1BitStringPtr ku(ASN1_BIT_STRING_new());
  Asn1ObjectStackPtr eku(sk_ASN1_OBJECT_new_null());
  if (!ku || !eku) return false;
  bool anyKu = false;
  std::vector<const UsageMapping*> ekus;
  for (const auto& u : usages) {
    const UsageMapping* m = findUsage(u);
    if (m == nullptr) return false;
    if (m->keyUsage) {
      if (ASN1_BIT_STRING_set_bit(ku.get(), static_cast<int>(*m->keyUsage), 1) != 1) return false;
      anyKu = true;
    } else if (std::none_of(ekus.begin(), ekus.end(), [m](auto* e) { return e->extKeyUsageNid == m->extKeyUsageNid; })) {
      ekus.push_back(m);
    }
  }
  std::sort(ekus.begin(), ekus.end(), [](auto* a, auto* b) { return a->extKeyUsageOrder < b->extKeyUsageOrder; });
  for (const auto* m : ekus) {
    ASN1_OBJECT* obj = OBJ_nid2obj(m->extKeyUsageNid);
    if (obj == nullptr || sk_ASN1_OBJECT_push(eku.get(), obj) <= 0) return false;
  }
  if (anyKu && X509_add1_ext_i2d(cert, NID_key_usage, ku.get(), 1, X509V3_ADD_DEFAULT) != 1) return false;
  if (!ekus.empty() && X509_add1_ext_i2d(cert, NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT) != 1) return false;
  return true;
}

bool addGeneralName(GENERAL_NAMES* names, int type, const std::string& value) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  ASN1_IA5STRING* s = ASN1_IA5STRING_new();
  if (gn == nullptr || s == nullptr || ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1) {
    GENERAL_NAME_free(gn);
    ASN1_IA5STRING_free(s);
    return false;
  }
  GENERAL_NAME_set0_value(gn, type, s);
  if (sk_GENERAL_NAME_push(names, gn) <= 0) {
    GENERAL_NAME_free(gn);
    return false;
  }
  return true;
}

bool addSans(X509* cert, const ParsedRequest& req) {
  if (req.sanCount() == 0) return true;
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) return false;
  for (const auto& d : req.dnsNames) if (!addGeneralName(names.get(), GEN_DNS, d)) return false;
  for (const auto& e : req.emailAddresses) if (!addGeneralName(names.get(), GEN_EMAIL, e)) return false;
  for (const auto& u : req.uris) if (!addGeneralName(names.get(), GEN_URI, u)) return false;
  for (const auto& ip : req.ipAddresses) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
    if (gn == nullptr || os == nullptr || ASN1_OCTET_STRING_set(os, ip.bytes.data(), static_cast<int>(ip.length())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_OCTET_STRING_free(os);
      return false;
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    if (sk_GENERAL_NAME_push(names.get(), gn) <= 0) {
      GENERAL_NAME_free(gn);
      return false;
    }
  }
  // RFC 5280 4.2.1.6: critical when the subject is empty.
  bool critical = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0;
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical ? 1 : 0, X509V3_ADD_DEFAULT) == 1;
}

// Fetched once: implicit fetches (EVP_sha1()) take a global lock on every call.
const EVP_MD* sha1() {
  static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  return md.get();
}

// Copies the request's SubjectPublicKeyInfo field by field. X509_set_pubkey would re-encode the
// key through OpenSSL 3.0's encoder and decoder chains, which cost more than the CA signature.
bool setPublicKey(X509* cert, const SubjectPublicKeyInfo& spki) {
  const unsigned char* p = spki.algorithmDer.data();
  X509AlgorPtr alg(d2i_X509_ALGOR(nullptr, &p, static_cast<long>(spki.algorithmDer.size())));
  if (!alg || spki.publicKey.empty()) return false;
  const ASN1_OBJECT* obj = nullptr;
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(&obj, &ptype, &pval, alg.get());
  void* param = nullptr;
  if (ptype == V_ASN1_OBJECT) {
    param = OBJ_dup(static_cast<const ASN1_OBJECT*>(pval));
  } else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) {
    param = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(pval));
  }
  ASN1_OBJECT* algorithm = OBJ_dup(obj);
  auto* bits = static_cast<unsigned char*>(OPENSSL_memdup(spki.publicKey.data(), spki.publicKey.size()));
  bool paramOk = param != nullptr || ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF;
  if (algorithm == nullptr || bits == nullptr || !paramOk ||
      X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), algorithm, ptype, param, bits,
                             static_cast<int>(spki.publicKey.size())) != 1) {
    ASN1_OBJECT_free(algorithm);
    OPENSSL_free(bits);
    if (ptype == V_ASN1_OBJECT) ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(param));
    else ASN1_STRING_free(static_cast<ASN1_STRING*>(param));
    return false;
  }
  return true;
}

bool addKeyIdentifiers(X509* cert, const CertificateAuthority& ca, const SubjectPublicKeyInfo& spki) {
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(spki.publicKey.data(), spki.publicKey.size(), md, &len, sha1(), nullptr) != 1) return false;
  Asn1OctetStringPtr ski(ASN1_OCTET_STRING_new());
  if (!ski || ASN1_OCTET_STRING_set(ski.get(), md, static_cast<int>(len)) != 1) return false;
  if (X509_add1_ext_i2d(cert, NID_subject_key_identifier, ski.get(), 0, X509V3_ADD_DEFAULT) != 1) return false;

  AuthorityKeyIdPtr aki(AUTHORITY_KEYID_new());
  if (!aki) return false;
  aki->keyid = ASN1_OCTET_STRING_new();
  if (aki->keyid == nullptr ||
      ASN1_OCTET_STRING_set(aki->keyid, ca.keyId().data(), static_cast<int>(ca.keyId().size())) != 1) {
    return false;
  }
  return X509_add1_ext_i2d(cert, NID_authority_key_identifier, aki.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

bool addBasicConstraints(X509* cert) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (!bc) return false;
  bc->ca = 0;
  return X509_add1_ext_i2d(cert, NID_basic_constraints, bc.get(), 1, X509V3_ADD_DEFAULT) == 1;
}

std::string toPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

bool isCopiedSubjectAttribute(const std::string& shortName) {
  return std::find(kCopiedAttributes.begin(), kCopiedAttributes.end(), shortName) != kCopiedAttributes.end();
}

Result<BuiltCertificate> buildCertificate(const CertificateAuthority& ca, const ParsedRequest& request,
                                          const std::vector<std::string>& usages, const ValidityWindow& validity) {
  X509Ptr cert(X509_new());
  BuiltCertificate out;
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return R::fail(withOpenSslErrors("cannot allocate certificate"));
  if (!setRandomSerial(cert.get(), out.serialHex)) return R::fail(withOpenSslErrors("cannot generate a serial number"));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.certificate())) != 1 || !setSubject(cert.get(), request)) {
    return R::fail(withOpenSslErrors("cannot set the certificate names"));
  }
  if (!setTime(X509_getm_notBefore(cert.get()), validity.notBefore) ||
      !setTime(X509_getm_notAfter(cert.get()), validity.notAfter)) {
    return R::fail(withOpenSslErrors("cannot set the validity period"));
  }
  if (!request.spki || !setPublicKey(cert.get(), *request.spki)) return R::fail(withOpenSslErrors("cannot set the public key"));
  if (!addBasicConstraints(cert.get()) || !addKeyUsages(cert.get(), usages) || !addSans(cert.get(), request) ||
      !addKeyIdentifiers(cert.get(), ca, *request.spki)) {
    return R::fail(withOpenSslErrors("cannot add certificate extensions"));
  }
  if (X509_sign(cert.get(), ca.privateKey(), ca.digest()) <= 0) return R::fail(withOpenSslErrors("signing failed"));
  out.pem = toPem(cert.get());
  if (out.pem.empty()) return R::fail(withOpenSslErrors("cannot PEM-encode the certificate"));
  return R::ok(std::move(out));
}

}  // namespace signers
