#include "signers/CertificateRequest.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <set>

#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"
#include "signers/Pem.h"
#include "signers/RequestDer.h"
#include "signers/RequestExtensions.h"
#include "signers/RequestKey.h"

namespace signers {
namespace {

std::string objectText(const ASN1_OBJECT* obj, bool numeric) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, numeric ? 1 : 0);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(std::min<int>(n, static_cast<int>(sizeof buf) - 1)));
}

std::optional<std::string> readSubject(const X509_NAME* name, ParsedRequest& out) {
  int count = X509_NAME_entry_count(name);
  int commonNames = 0;
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(entry);
    int nid = OBJ_obj2nid(obj);
    std::string key = nid != NID_undef ? OBJ_nid2sn(nid) : objectText(obj, true);
    unsigned char* raw = nullptr;
    int n = ASN1_STRING_to_UTF8(&raw, X509_NAME_ENTRY_get_data(entry));
    if (n < 0) return "subject attribute " + key + " is not a valid string";
    std::string value(reinterpret_cast<char*>(raw), static_cast<std::size_t>(n));
    OPENSSL_free(raw);
    if (value.find('\0') != std::string::npos) return "subject attribute " + key + " contains a NUL byte";
    if (nid == NID_commonName) {
      if (++commonNames > 1) return "subject has more than one common name";
      out.commonName = value;
    } else if (nid == NID_organizationName) {
      out.organizations.push_back(value);
    }
    out.subject.emplace_back(std::move(key), std::move(value));
  }
  return std::nullopt;
}

}  // namespace

const char* keyTypeName(KeyType type) {
  switch (type) {
    case KeyType::Rsa: return "RSA";
    case KeyType::EcP256: return "ECDSA P-256";
    case KeyType::EcP384: return "ECDSA P-384";
    case KeyType::EcOther: return "ECDSA (other curve)";
    case KeyType::Ed25519: return "Ed25519";
    case KeyType::Other: return "unsupported key type";
  }
  return "unsupported key type";
}

Result<ParsedRequest> parseCertificateRequest(std::string_view pem, const RequestLimits& limits) {
  using R = Result<ParsedRequest>;
  if (pem.size() > limits.maxPemBytes) {
    return R::fail("request is " + std::to_string(pem.size()) + " bytes, more than the limit of " +
                   std::to_string(limits.maxPemBytes));
  }
  ERR_clear_error();
  auto block = decodeFirstPemBlock(pem);
  if (!block) return R::fail("request is not PEM encoded (no complete PEM block found)");
  if (block->label != "CERTIFICATE REQUEST") {
    return R::fail("PEM block type must be CERTIFICATE REQUEST, found " + block->label);
  }
  if (block->hasHeaders) return R::fail("PEM headers are not allowed in a certificate request");
  RequestDer der;
  if (auto err = splitRequestDer(block->der, der)) return R::fail(*err);
  auto key = publicKeyFromRequest(der);
  if (!key) return R::fail(key.error());
  if (auto err = verifyRequestSignature(der, key.value())) return R::fail(*err);

  ParsedRequest out;
  auto spki = std::make_shared<SubjectPublicKeyInfo>();
  spki->der.assign(der.spki.begin(), der.spki.end());
  spki->algorithmDer.assign(der.spkiAlgorithm.begin(), der.spkiAlgorithm.end());
  spki->publicKey.assign(der.publicKey.begin(), der.publicKey.end());
  out.spki = std::move(spki);
  out.keyType = key.value().type;
  out.keyBits = key.value().bits;
  out.publicKey = std::shared_ptr<EVP_PKEY>(key.value().pkey.release(), EVP_PKEY_free);

  const unsigned char* p = der.subject.data();
  X509NamePtr subject(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.subject.size())));
  if (!subject || p != der.subject.data() + der.subject.size()) return R::fail(withOpenSslErrors("malformed subject"));
  if (auto err = readSubject(subject.get(), out)) return R::fail(*err);
  if (auto err = readRequestAttributes(der.attributes, limits, out)) return R::fail(*err);
  drainOpenSslErrors();
  return R::ok(std::move(out));
}

}  // namespace signers
