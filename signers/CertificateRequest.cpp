#include "signers/CertificateRequest.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <set>

#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"
#include "signers/Pem.h"
#include "signers/RequestDer.h"
#include "signers/RequestKey.h"

namespace signers {
namespace {

std::string objectText(const ASN1_OBJECT* obj, bool numeric) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, numeric ? 1 : 0);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(std::min<int>(n, static_cast<int>(sizeof buf) - 1)));
}

// IA5String SAN values must be printable ASCII: an embedded NUL or control byte is an attack on
// name comparison, not a real name.
std::optional<std::string> ia5Value(const ASN1_IA5STRING* s) {
  const unsigned char* p = ASN1_STRING_get0_data(s);
  int n = ASN1_STRING_length(s);
  if (p == nullptr || n <= 0) return std::nullopt;
  for (int i = 0; i < n; ++i) {
    if (p[i] < 0x21 || p[i] > 0x7e) return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
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

std::optional<std::string> readSans(const X509_EXTENSION* ext, const RequestLimits& limits, ParsedRequest& out) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(const_cast<X509_EXTENSION*>(ext))));
  if (!names) return withOpenSslErrors("malformed subjectAltName extension");
  int count = sk_GENERAL_NAME_num(names.get());
  if (static_cast<std::size_t>(count) > limits.maxSans) {
    return "request has " + std::to_string(count) + " subjectAltNames, more than the limit of " +
           std::to_string(limits.maxSans);
  }
  for (int i = 0; i < count; ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    switch (gn->type) {
      case GEN_DNS: {
        auto v = ia5Value(gn->d.dNSName);
        if (!v) return "DNS subjectAltName is empty or not printable ASCII";
        out.dnsNames.push_back(*v);
        break;
      }
      case GEN_EMAIL: {
        auto v = ia5Value(gn->d.rfc822Name);
        if (!v) return "email subjectAltName is empty or not printable ASCII";
        out.emailAddresses.push_back(*v);
        break;
      }
      case GEN_URI: {
        auto v = ia5Value(gn->d.uniformResourceIdentifier);
        if (!v || v->find(':') == std::string::npos) return "URI subjectAltName is not an absolute URI";
        out.uris.push_back(*v);
        break;
      }
      case GEN_IPADD: {
        auto ip = IpAddress::fromBytes(ASN1_STRING_get0_data(gn->d.iPAddress),
                                       static_cast<std::size_t>(ASN1_STRING_length(gn->d.iPAddress)));
        if (!ip) return "IP subjectAltName is neither 4 nor 16 bytes long";
        out.ipAddresses.push_back(*ip);
        break;
      }
      default:
        return "unsupported subjectAltName type (only DNS, IP, email and URI are accepted)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> readExtensions(const X509_EXTENSIONS* exts, const RequestLimits& limits, ParsedRequest& out) {
  std::set<std::string> seenOids;
  for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts, i);
    const ASN1_OBJECT* obj = X509_EXTENSION_get_object(ext);
    std::string oid = objectText(obj, true);
    if (!seenOids.insert(oid).second) return "request contains extension " + oid + " more than once";
    out.extensionOids.push_back(oid);
    int nid = OBJ_obj2nid(obj);
    if (nid == NID_subject_alt_name) {
      if (auto err = readSans(ext, limits, out)) return err;
    } else if (nid == NID_basic_constraints) {
      BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(ext)));
      if (!bc) return withOpenSslErrors("malformed basicConstraints extension");
      out.requestsCa = bc->ca != 0;
    }
  }
  return std::nullopt;
}

// Walks the request attributes; only the extension request (PKCS#9, or Microsoft's) matters.
std::optional<std::string> readAttributes(DerBytes attributes, const RequestLimits& limits, ParsedRequest& out) {
  bool seenExtensionRequest = false;
  const unsigned char* p = attributes.data();
  const unsigned char* end = attributes.data() + attributes.size();
  while (p < end) {
    X509AttributePtr attr(d2i_X509_ATTRIBUTE(nullptr, &p, end - p));
    if (!attr) return withOpenSslErrors("malformed request attribute");
    int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(attr.get()));
    if (nid != NID_ext_req && nid != NID_ms_ext_req) continue;
    if (seenExtensionRequest) return "request contains more than one extension request attribute";
    seenExtensionRequest = true;
    const ASN1_TYPE* value = X509_ATTRIBUTE_count(attr.get()) == 1 ? X509_ATTRIBUTE_get0_type(attr.get(), 0) : nullptr;
    if (value == nullptr || value->type != V_ASN1_SEQUENCE) return "malformed extension request attribute";
    const unsigned char* q = ASN1_STRING_get0_data(value->value.sequence);
    long len = ASN1_STRING_length(value->value.sequence);
    X509ExtensionStackPtr exts(d2i_X509_EXTENSIONS(nullptr, &q, len));
    if (!exts || q != ASN1_STRING_get0_data(value->value.sequence) + len) {
      return withOpenSslErrors("malformed extension request attribute");
    }
    if (auto err = readExtensions(exts.get(), limits, out)) return err;
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
  if (auto err = readAttributes(der.attributes, limits, out)) return R::fail(*err);
  drainOpenSslErrors();
  return R::ok(std::move(out));
}

}  // namespace signers
