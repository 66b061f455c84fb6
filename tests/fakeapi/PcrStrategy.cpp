#include "tests/fakeapi/PcrStrategy.h"

#include "tests/fakeapi/CsrStrategy.h"
#include "tests/fakeapi/GoPem.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

namespace fakeapi::pcr {
namespace {

const char* kIssued = "Issued";
const char* kDenied = "Denied";
const char* kFailed = "Failed";

const ResourceInfo& anyPcrResource() { return *findResource("certificates.k8s.io", "v1", "podcertificaterequests"); }

std::string quote(const std::string& v) { return json(v).dump(); }

// field.Invalid with field.OmitValueType: the message carries no value.
FieldError invalidOmit(const std::string& field, const std::string& detail) {
  return {"FieldValueInvalid", field, "Invalid value: " + detail};
}
FieldError invalidNumber(const std::string& field, int64_t value, const std::string& detail) {
  return {"FieldValueInvalid", field, "Invalid value: " + std::to_string(value) + ": " + detail};
}
FieldError invalidBytes(const std::string& field, const std::string& detail) {
  return {"FieldValueInvalid", field, "Invalid value: []byte{...}: " + detail};
}

const json& member(const json& obj, const char* key) {
  static const json null;
  if (!obj.is_object()) return null;
  auto it = obj.find(key);
  return it == obj.end() ? null : *it;
}

std::string str(const json& obj, const char* key) {
  const json& v = member(obj, key);
  return v.is_string() ? v.get<std::string>() : "";
}

const json& specOf(const json& pcr) { return member(pcr, "spec"); }
const json& statusOf(const json& pcr) { return member(pcr, "status"); }

json conditionsOf(const json& pcr) {
  const json& c = member(statusOf(pcr), "conditions");
  return c.is_array() ? c : json::array();
}

bool hasTrueCondition(const json& pcr, const char* type) {
  for (const auto& c : conditionsOf(pcr))
    if (c.is_object() && c.value("type", "") == type && c.value("status", "") == "True") return true;
  return false;
}

// Status as the API compares it: absent, null and empty fields are all the zero value.
json normalizedStatus(const json& pcr) {
  json out = json::object();
  const json& st = statusOf(pcr);
  if (!st.is_object()) return out;
  for (const auto& [k, v] : st.items()) {
    if (v.is_null() || (v.is_string() && v.get<std::string>().empty()) || (v.is_array() && v.empty())) continue;
    out[k] = v;
  }
  return out;
}

bool isDnsSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string label = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || !alnum(label.front()) || !alnum(label.back())) return false;
    for (char c : label)
      if (!alnum(c) && c != '-') return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

const char* kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

void checkSubdomain(std::vector<FieldError>& errs, const std::string& field, const std::string& value) {
  if (!isDnsSubdomain(value))
    errs.push_back(invalid(field, value, value.size() > 253 ? "must be no more than 253 characters" : kSubdomainMsg));
}

void checkUid(std::vector<FieldError>& errs, const std::string& field, const std::string& value) {
  if (value.empty()) errs.push_back(invalid(field, value, "must not be empty"));
  if (value.size() > 128) errs.push_back(tooLong(field, 128));
}

// Qualified name (k8s.io/apimachinery/pkg/util/validation IsQualifiedName): [prefix/]name with a
// DNS-subdomain prefix and a name of at most 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends.
std::string qualifiedNameError(const std::string& key, bool requirePrefix) {
  auto slash = key.find('/');
  std::string prefix = slash == std::string::npos ? "" : key.substr(0, slash);
  std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  if (slash != std::string::npos && !isDnsSubdomain(prefix)) return std::string("prefix part ") + kSubdomainMsg;
  if (requirePrefix && prefix.empty())
    return "must be prefixed with a domain (e.g. 'example.com/key'): signers tell their own keys apart by it";
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (name.empty() || name.size() > 63 || !alnum(name.front()) || !alnum(name.back()) ||
      std::any_of(name.begin(), name.end(), [&](char c) { return !alnum(c) && c != '-' && c != '_' && c != '.'; }))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
           "character, at most 63 characters (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
           "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  return "";
}

std::vector<FieldError> validateUserAnnotations(const json& annotations) {
  const std::string field = "spec.unverifiedUserAnnotations";
  std::vector<FieldError> errs;
  if (!annotations.is_object()) return {invalid(field, annotations.dump(), "must be a map of string keys to string values")};
  size_t total = 0;
  for (const auto& [k, v] : annotations.items()) {
    if (auto why = qualifiedNameError(k, true); !why.empty()) errs.push_back(invalid(field, k, why));
    if (!v.is_string()) {
      errs.push_back(invalid(field + "[" + k + "]", v.dump(), "must be a string"));
      continue;
    }
    total += k.size() + v.get<std::string>().size();
  }
  if (total > kMaxUserAnnotationsSize) errs.push_back(tooLong(field, kMaxUserAnnotationsSize));
  return errs;
}

// The base64 []byte field decoded; ok=false when it is not valid base64.
std::string bytesField(const json& spec, const char* key, bool& ok) {
  ok = true;
  std::string v = str(spec, key);
  try {
    return base64Decode(v);
  } catch (const std::exception&) {
    ok = false;
    return "";
  }
}

PkeyPtr parsePkix(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

X509ReqPtr parseStubRequest(const std::string& der, std::string& error) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    error = "must be a DER-encoded PKCS#10 certificate request";
    return nullptr;
  }
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (!pub || X509_REQ_verify(req.get(), pub) != 1) {
    ERR_clear_error();
    error = "the PKCS#10 request's signature does not verify with its own public key";
    return nullptr;
  }
  return req;
}

std::string groupName(EVP_PKEY* key) {
  char name[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) return "";
  return std::string(name, len);
}

// The key types the kubelet offers and kube-apiserver accepts: RSA 3072/4096, ECDSA P-256/P-384/P-521,
// Ed25519. Empty when allowed, else the error (as validation.go words it).
std::optional<FieldError> keyTypeError(EVP_PKEY* key, const std::string& field) {
  switch (EVP_PKEY_base_id(key)) {
    case EVP_PKEY_ED25519: return std::nullopt;
    case EVP_PKEY_EC: {
      std::string curve = groupName(key);
      if (curve == "prime256v1" || curve == "secp384r1" || curve == "secp521r1") return std::nullopt;
      return invalid(field, "curve " + curve, "elliptic public keys must use curve P256, P384 or P521");
    }
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(key);
      if (bits == 3072 || bits == 4096) return std::nullopt;
      return invalid(field, std::to_string(bits) + "-bit modulus", "RSA keys must have modulus size 3072 or 4096");
    }
    default: return invalidBytes(field, "unknown public key type; supported types are Ed25519, ECDSA, and RSA");
  }
}

// proofOfPossession: the key's signature over the ASCII pod UID (Ed25519 pure; ECDSA ASN.1 over
// SHA-256; RSA-PSS with SHA-256 and any salt length, as Go's rsa.VerifyPSS with nil options).
bool verifyProof(EVP_PKEY* key, const std::string& podUid, const std::string& signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  const bool ed = EVP_PKEY_base_id(key) == EVP_PKEY_ED25519;
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, ed ? nullptr : EVP_sha256(), nullptr, key) != 1) {
    ERR_clear_error();
    return false;
  }
  if (EVP_PKEY_base_id(key) == EVP_PKEY_RSA && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                                                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
    ERR_clear_error();
    return false;
  }
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(podUid.data()), podUid.size());
  ERR_clear_error();
  return ok == 1;
}

void validateStub(std::vector<FieldError>& errs, const json& spec, bool mandatory) {
  const std::string field = "spec.stubPKCS10Request";
  if (!member(spec, "stubPKCS10Request").is_string() || str(spec, "stubPKCS10Request").empty()) {
    if (mandatory) errs.push_back(required(field, "a PKCS#10 request signed by the requested key"));
    return;
  }
  bool ok = true;
  std::string der = bytesField(spec, "stubPKCS10Request", ok);
  if (!ok) {
    errs.push_back(invalidBytes(field, "illegal base64 data"));
    return;
  }
  if (der.size() > kMaxKeyMaterialSize) {
    errs.push_back(tooLong(field, kMaxKeyMaterialSize));
    return;
  }
  std::string why;
  auto req = parseStubRequest(der, why);
  if (!req) {
    errs.push_back(invalidBytes(field, why));
    return;
  }
  if (auto e = keyTypeError(X509_REQ_get0_pubkey(req.get()), field)) errs.push_back(*e);
}

void validatePkixAndProof(std::vector<FieldError>& errs, const json& spec) {
  const std::string pkixField = "spec.pkixPublicKey", popField = "spec.proofOfPossession";
  bool ok = true;
  std::string pkix = bytesField(spec, "pkixPublicKey", ok);
  if (!ok) {
    errs.push_back(invalidBytes(pkixField, "illegal base64 data"));
    return;
  }
  std::string pop = bytesField(spec, "proofOfPossession", ok);
  if (!ok) {
    errs.push_back(invalidBytes(popField, "illegal base64 data"));
    return;
  }
  if (pkix.size() > kMaxKeyMaterialSize) {
    errs.push_back(tooLong(pkixField, kMaxKeyMaterialSize));
    return;
  }
  if (pop.size() > kMaxKeyMaterialSize) {
    errs.push_back(tooLong(popField, kMaxKeyMaterialSize));
    return;
  }
  PkeyPtr key = parsePkix(pkix);
  if (!key) {
    errs.push_back(invalidBytes(pkixField, "must be a valid PKIX-serialized public key"));
    return;
  }
  if (auto e = keyTypeError(key.get(), pkixField)) {
    errs.push_back(*e);
    return;
  }
  if (!verifyProof(key.get(), str(spec, "podUID"), pop))
    errs.push_back(invalidOmit(popField, "could not verify proof-of-possession signature"));
}

// Every key the spec names: the stub request's and (v1beta1) pkixPublicKey. The leaf must carry each.
std::vector<std::pair<std::string, PkeyPtr>> requestedKeys(const json& spec) {
  std::vector<std::pair<std::string, PkeyPtr>> out;
  bool ok = true;
  if (!str(spec, "stubPKCS10Request").empty()) {
    std::string der = bytesField(spec, "stubPKCS10Request", ok), why;
    X509ReqPtr req;
    if (ok) req = parseStubRequest(der, why);
    out.emplace_back("spec.stubPKCS10Request", req ? PkeyPtr(X509_REQ_get_pubkey(req.get())) : PkeyPtr());
  }
  if (!str(spec, "pkixPublicKey").empty()) {
    std::string der = bytesField(spec, "pkixPublicKey", ok);
    out.emplace_back("spec.pkixPublicKey", ok ? parsePkix(der) : nullptr);
  }
  return out;
}

int64_t asn1Unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

// Go's time.Duration String() for whole seconds: 1h0m0s, 30m0s, 59s.
std::string goDuration(int64_t s) {
  std::string sign = s < 0 ? "-" : "";
  if (s < 0) s = -s;
  if (s < 60) return sign + std::to_string(s) + "s";
  if (s < 3600) return sign + std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return sign + std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m" + std::to_string(s % 60) + "s";
}

// net/mail.ParseAddress for the bare addr-spec a certificate carries: local@domain, no spaces or
// angle brackets, exactly one unquoted '@', non-empty parts.
bool plausibleEmail(const std::string& e) {
  auto at = e.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == e.size() || e.find('@', at + 1) != std::string::npos) return false;
  return std::none_of(e.begin(), e.end(), [](char c) { return c == ' ' || c == '<' || c == '>' || c == ',' || c < 0x21; });
}

std::vector<std::string> sanStrings(X509* cert, int type) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != type) continue;
    const ASN1_STRING* s = n->d.ia5;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
  }
  GENERAL_NAMES_free(names);
  return out;
}

X509Ptr parseDerCert(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return cert;
}

// metav1 ValidateConditions (k8s.io/apimachinery/pkg/apis/meta/v1/validation): what every
// metav1.Condition must carry.
void validateMetaConditions(std::vector<FieldError>& errs, const json& conds) {
  std::set<std::string> seen;
  for (size_t i = 0; i < conds.size(); ++i) {
    const json& c = conds[i];
    const std::string base = "status.conditions[" + std::to_string(i) + "]";
    const std::string type = str(c, "type"), reason = str(c, "reason");
    if (seen.count(type)) errs.push_back(duplicate(base + ".type", type));
    seen.insert(type);
    if (str(c, "lastTransitionTime").empty())
      errs.push_back(required(base + ".lastTransitionTime", "must be set"));
    else if (parseRfc3339(str(c, "lastTransitionTime")) < 0)
      errs.push_back(invalid(base + ".lastTransitionTime", str(c, "lastTransitionTime"), "must be an RFC 3339 time"));
    if (reason.empty()) {
      errs.push_back(required(base + ".reason", "must be set"));
    } else {
      auto alpha = [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) != 0; };
      auto body = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == ',' || ch == ':'; };
      bool ok = alpha(reason.front()) && std::all_of(reason.begin(), reason.end(), body) &&
                (std::isalnum(static_cast<unsigned char>(reason.back())) || reason.back() == '_');
      if (!ok)
        errs.push_back(invalid(base + ".reason", reason,
                               "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric "
                               "characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or "
                               "'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is "
                               "'[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')"));
      if (reason.size() > 1024) errs.push_back(tooLong(base + ".reason", 1024));
    }
    if (str(c, "message").size() > 32 * 1024) errs.push_back(tooLong(base + ".message", 32 * 1024));
    const json& gen = member(c, "observedGeneration");
    if (gen.is_number_integer() && gen.get<int64_t>() < 0)
      errs.push_back(invalidNumber(base + ".observedGeneration", gen.get<int64_t>(), "must be greater than or equal to zero"));
  }
}

std::vector<FieldError> validateIssued(const json& obj, const json& old, int64_t now) {
  const std::string chainField = "status.certificateChain";
  const json& st = statusOf(obj);
  const std::string chain = str(st, "certificateChain");
  if (chain.size() > kMaxCertificateChainSize) return {tooLong(chainField, kMaxCertificateChainSize)};
  std::string_view rest = chain;
  auto leafBlock = gopem::decode(rest, &rest);
  if (!leafBlock) return {invalid(chainField, "<certificate chain>", "issued certificate chain must contain at least one certificate")};
  if (leafBlock->type != "CERTIFICATE")
    return {invalid(chainField, "<certificate chain>", "issued certificate chain must consist entirely of CERTIFICATE PEM blocks")};
  X509Ptr leaf = parseDerCert(leafBlock->bytes);
  if (!leaf) return {invalid(chainField, "<certificate chain>", "leaf certificate does not parse as valid X.509")};

  std::vector<FieldError> errs;
  for (const auto& dns : sanStrings(leaf.get(), GEN_DNS)) {
    if (dns.empty()) errs.push_back(invalid(chainField, dns, "leaf certificate should not contain empty DNSName"));
    if (dns.find("..") != std::string::npos) errs.push_back(invalid(chainField, dns, "leaf certificate's DNSName should not contain '..'"));
    if (!dns.empty() && (dns.front() == '.' || dns.back() == '.'))
      errs.push_back(invalid(chainField, dns, "leaf certificate's DNSName should not start or end with '.'"));
  }
  for (const auto& email : sanStrings(leaf.get(), GEN_EMAIL))
    if (!plausibleEmail(email)) errs.push_back(invalid(chainField, email, "leaf certificate should not contain invalid EmailAddress"));

  EVP_PKEY* leafKey = X509_get0_pubkey(leaf.get());
  for (const auto& [field, key] : requestedKeys(specOf(old))) {
    if (!key) return {invalidBytes(field, "must be a valid public key")};
    if (!leafKey || EVP_PKEY_eq(key.get(), leafKey) != 1) {
      ERR_clear_error();
      errs.push_back(invalid(chainField, "<certificate chain>", "leaf certificate was not issued to the requested public key"));
      return errs;
    }
  }

  const std::string nb = str(st, "notBefore"), na = str(st, "notAfter"), br = str(st, "beginRefreshAt");
  if (nb.empty()) errs.push_back(required("status.notBefore", "must be present and consistent with the issued certificate"));
  if (na.empty()) errs.push_back(required("status.notAfter", "must be present and consistent with the issued certificate"));
  if (br.empty()) errs.push_back(required("status.beginRefreshAt", "must be present and in the range [notbefore+10min, notafter-10min]"));
  if (!errs.empty()) return errs;

  const int64_t notBefore = parseRfc3339(nb), notAfter = parseRfc3339(na), refresh = parseRfc3339(br);
  const int64_t leafNotBefore = asn1Unix(X509_get0_notBefore(leaf.get())), leafNotAfter = asn1Unix(X509_get0_notAfter(leaf.get()));
  if (notBefore != leafNotBefore)
    return {invalid("status.notBefore", nb, "must be set to the NotBefore time encoded in the leaf certificate")};
  // timeNear: strictly inside (now - 5m, now + 5m).
  if (!(notBefore > now - 300 && notBefore < now + 300))
    return {invalid("status.notBefore", nb, "must be set to within 5 minutes of kube-apiserver's current time")};
  if (notAfter != leafNotAfter) return {invalid("status.notAfter", na, "must be set to the NotAfter time encoded in the leaf certificate")};
  const int64_t lifetime = leafNotAfter - leafNotBefore;
  if (lifetime < 3600) return {invalid(chainField, goDuration(lifetime), "leaf certificate lifetime must be >= 1 hour")};
  const json& maxJ = member(specOf(old), "maxExpirationSeconds");
  const int64_t maxExpiration = maxJ.is_number_integer() ? maxJ.get<int64_t>() : kDefaultMaxExpirationSeconds;
  if (lifetime > maxExpiration)
    return {invalid(chainField, goDuration(lifetime),
                    "leaf certificate lifetime must be <= spec.maxExpirationSeconds (" + std::to_string(maxExpiration) + ")")};
  if (refresh < 0 || refresh < notBefore + 600)
    return {invalid("status.beginRefreshAt", br, "must be at least 10 minutes after status.notBefore")};
  if (refresh > notAfter - 600) return {invalid("status.beginRefreshAt", br, "must be at least 10 minutes before status.notAfter")};
  while (auto next = gopem::decode(rest, &rest)) {
    if (next->type != "CERTIFICATE")
      return {invalid(chainField, "<certificate chain>", "issued certificate chain must consist entirely of CERTFICATE PEM blocks")};
    if (!parseDerCert(next->bytes))
      return {invalid(chainField, "<certificate chain>", "intermediate certificate does not parse as valid X.509")};
  }
  return errs;
}

const ResourceInfo& core(const char* resource) { return *findResource("", "v1", resource); }

}  // namespace

json prepareForCreate(json obj) {
  if (!obj["spec"].is_object()) obj["spec"] = json::object();
  json& spec = obj["spec"];
  if (!spec.contains("maxExpirationSeconds") || spec["maxExpirationSeconds"].is_null())
    spec["maxExpirationSeconds"] = kDefaultMaxExpirationSeconds;
  obj["status"] = json::object();
  return obj;
}

std::vector<FieldError> validateCreate(const json& pcr, const Options& options) {
  std::vector<FieldError> errs;
  const json& spec = specOf(pcr);
  const std::string name = str(member(pcr, "metadata"), "name");
  if (!name.empty()) checkSubdomain(errs, "metadata.name", name);
  const std::string signer = str(spec, "signerName");
  auto s = csr::validateSignerName(signer);
  errs.insert(errs.end(), s.begin(), s.end());
  const json& annotations = member(spec, "unverifiedUserAnnotations");
  if (!annotations.is_null()) {
    auto a = validateUserAnnotations(annotations);
    errs.insert(errs.end(), a.begin(), a.end());
  }
  checkSubdomain(errs, "spec.podName", str(spec, "podName"));
  checkUid(errs, "spec.podUID", str(spec, "podUID"));
  checkSubdomain(errs, "spec.serviceAccountName", str(spec, "serviceAccountName"));
  checkUid(errs, "spec.serviceAccountUID", str(spec, "serviceAccountUID"));
  checkSubdomain(errs, "spec.nodeName", str(spec, "nodeName"));
  checkUid(errs, "spec.nodeUID", str(spec, "nodeUID"));

  const json& maxJ = member(spec, "maxExpirationSeconds");
  if (!maxJ.is_number_integer()) {
    errs.push_back(required("spec.maxExpirationSeconds", "must be set"));
    return errs;
  }
  const int64_t maxExpiration = maxJ.get<int64_t>();
  const bool kubernetesSigner = signer.rfind("kubernetes.io/", 0) == 0 || signer.find(".kubernetes.io/") != std::string::npos;
  const int64_t upper = kubernetesSigner ? kKubernetesMaxExpirationSeconds : kMaxMaxExpirationSeconds;
  if (maxExpiration < kMinMaxExpirationSeconds || maxExpiration > upper)
    errs.push_back(invalidNumber("spec.maxExpirationSeconds", maxExpiration,
                                 "must be in the range [" + std::to_string(kMinMaxExpirationSeconds) + ", " + std::to_string(upper) + "]"));

  if (!options.verifyKeys) return errs;
  if (options.v1) {
    validateStub(errs, spec, true);
  } else {
    validatePkixAndProof(errs, spec);
    validateStub(errs, spec, false);
  }
  return errs;
}

void admitNodeRestriction(const json& pcr, const UserInfo& user, const Store& store) {
  static const std::string prefix = "system:node:";
  if (user.name.compare(0, prefix.size(), prefix) != 0 || !user.inGroup("system:nodes")) return;
  const std::string node = user.name.substr(prefix.size());
  const json& md = member(pcr, "metadata");
  const std::string name = str(md, "name"), ns = str(md, "namespace");
  auto refuse = [&](const std::string& why) { return forbiddenObject(anyPcrResource(), name, why); };
  if (node.empty()) throw refuse("could not determine node from user " + quote(user.name));
  const json& spec = specOf(pcr);
  const std::string podName = str(spec, "podName"), saName = str(spec, "serviceAccountName");
  if (str(spec, "nodeName") != node)
    throw refuse("node " + quote(node) + " can only create PodCertificateRequests with spec.nodeName set to itself, not " +
                 quote(str(spec, "nodeName")));
  ObjPtr pod, sa, nodeObj;
  try {
    pod = store.get(core("pods"), ns, podName);
  } catch (const ApiError&) {
    throw refuse("pod " + ns + "/" + podName + " does not exist");
  }
  const json& podSpec = member(*pod, "spec");
  if (str(podSpec, "nodeName") != node)
    throw refuse("pod " + ns + "/" + podName + " is not bound to node " + quote(node) + " (spec.nodeName " +
                 quote(str(podSpec, "nodeName")) + ")");
  if (str(member(*pod, "metadata"), "uid") != str(spec, "podUID"))
    throw refuse("spec.podUID " + quote(str(spec, "podUID")) + " is not the UID of pod " + ns + "/" + podName);
  std::string podSa = str(podSpec, "serviceAccountName");
  if (podSa.empty()) podSa = "default";
  if (podSa != saName)
    throw refuse("spec.serviceAccountName " + quote(saName) + " is not the service account of pod " + ns + "/" + podName + " (" +
                 quote(podSa) + ")");
  try {
    sa = store.get(core("serviceaccounts"), ns, saName);
  } catch (const ApiError&) {
    throw refuse("service account " + ns + "/" + saName + " does not exist");
  }
  if (str(member(*sa, "metadata"), "uid") != str(spec, "serviceAccountUID"))
    throw refuse("spec.serviceAccountUID " + quote(str(spec, "serviceAccountUID")) + " is not the UID of service account " + ns + "/" +
                 saName);
  try {
    nodeObj = store.get(core("nodes"), "", node);
  } catch (const ApiError&) {
    throw refuse("node " + quote(node) + " does not exist");
  }
  if (str(member(*nodeObj, "metadata"), "uid") != str(spec, "nodeUID"))
    throw refuse("spec.nodeUID " + quote(str(spec, "nodeUID")) + " is not the UID of node " + quote(node));
}

json prepareForUpdate(json obj, const json& old) {
  obj["status"] = old.contains("status") ? old["status"] : json::object();
  return obj;
}

std::vector<FieldError> validateUpdate(const json& obj, const json& old) {
  if (specOf(obj) != specOf(old)) return {invalidOmit("spec", "field is immutable")};
  return {};
}

json prepareForStatus(json obj, const json& old) {
  obj["spec"] = old.contains("spec") ? old["spec"] : json::object();
  obj["metadata"] = old["metadata"];
  if (!obj["status"].is_object()) obj["status"] = json::object();
  return obj;
}

std::vector<FieldError> validateStatusUpdate(const json& obj, const json& old, int64_t now) {
  std::vector<FieldError> errs;
  const json conds = conditionsOf(obj);
  int known = 0;
  for (size_t i = 0; i < conds.size(); ++i) {
    const std::string base = "status.conditions[" + std::to_string(i) + "]";
    const std::string type = str(conds[i], "type"), status = str(conds[i], "status");
    if (type == kIssued || type == kDenied || type == kFailed) {
      if (++known > 1)
        errs.push_back(invalid(base + ".type", type, R"(There may be at most one condition with type "Issued", "Denied", or "Failed")"));
      if (status != "True") errs.push_back(notSupported(base + ".status", status, {"True"}));
    } else {
      errs.push_back(notSupported(base + ".type", type, {kIssued, kDenied, kFailed}));
    }
  }
  validateMetaConditions(errs, conds);
  if (!errs.empty()) return errs;

  if (hasTrueCondition(old, kIssued) || hasTrueCondition(old, kDenied) || hasTrueCondition(old, kFailed)) {
    if (normalizedStatus(obj) != normalizedStatus(old))
      return {invalidOmit("status", "immutable after PodCertificateRequest is issued, denied, or failed")};
    return {};
  }
  if (hasTrueCondition(obj, kDenied) || hasTrueCondition(obj, kFailed)) {
    json onlyConditions = json::object();
    if (!conds.empty()) onlyConditions["conditions"] = conds;
    if (normalizedStatus(obj) != onlyConditions)
      return {invalidOmit("status", "non-condition status fields must be empty when denying or failing the PodCertificateRequest")};
    return {};
  }
  if (hasTrueCondition(obj, kIssued)) return validateIssued(obj, old, now);
  if (normalizedStatus(obj) != normalizedStatus(old))
    return {invalidOmit("status", R"(status is immutable unless transitioning to "Issued", "Denied", or "Failed")")};
  return {};
}

bool statusChanged(const json& obj, const json& old) { return normalizedStatus(obj) != normalizedStatus(old); }

std::vector<FieldError> authorizeSign(const Authorizer& authz, const UserInfo& user, const json& old) {
  const std::string signer = str(specOf(old), "signerName");
  if (csr::authorizedForSigner(authz, user, "sign", signer)) return {};
  return {forbidden("spec.signerName", "User " + quote(user.name) + " is not permitted to \"sign\" for signer " + quote(signer))};
}

size_t removeExpired(Store& store, int64_t now, int64_t maxAgeSeconds) {
  const ResourceInfo& r = anyPcrResource();
  size_t removed = 0;
  for (const auto& obj : store.list(r, "", Selector{}, 0, "").items) {
    const json& md = member(*obj, "metadata");
    const int64_t created = parseRfc3339(str(md, "creationTimestamp"));
    if (created < 0 || now - created <= maxAgeSeconds) continue;
    try {
      store.remove(r, str(md, "namespace"), str(md, "name"));
      ++removed;
    } catch (const ApiError&) {
      // Deleted by someone else between the list and now: the cleaner's goal is met either way.
    }
  }
  return removed;
}

std::string stateOf(const json& pcr) {
  for (const char* t : {kIssued, kDenied, kFailed})
    if (hasTrueCondition(pcr, t)) return t;
  return "Pending";
}

}  // namespace fakeapi::pcr
