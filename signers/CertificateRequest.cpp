#include "signers/CertificateRequest.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"
#include "signers/Pem.h"
#include "signers/Digests.h"
#include "signers/RequestDer.h"
#include "signers/RequestExtensions.h"
#include "signers/RequestKey.h"

namespace signers {
namespace {

// Go's utf8.Valid: no overlong forms, no surrogates, nothing above U+10FFFF.
bool validUtf8(DerBytes s) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    std::size_t n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
    if (n == 4 || s.size() - i <= n) return false;
    uint32_t cp = n == 0 ? c : c & (0x3fu >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3fu);
    }
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// encoding/asn1 isPrintable with allowAsterisk and allowAmpersand, as parsePrintableString uses it.
bool goPrintable(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view(" '()+,-./:=?*&").find(static_cast<char>(c)) != std::string_view::npos;
}

// Only the string types that Go and we decode to the same text. Go keeps T61String bytes as they
// are (OpenSSL converts them from Latin-1), decodes BMPString itself, and leaves UniversalString
// and other types as nil, which FillFromRDNSequence skips for CN and O: each of those would make
// the two readers disagree, so they are refused (encoding/asn1/asn1.go parseField).
std::optional<std::string> subjectValue(const DerTlv& v, const std::string& key) {
  if (v.cls != V_ASN1_UNIVERSAL || v.constructed) return "subject attribute " + key + " is not a string";
  bool ok = false;
  switch (v.tag) {
    case V_ASN1_UTF8STRING: ok = validUtf8(v.content); break;
    case V_ASN1_PRINTABLESTRING: ok = std::all_of(v.content.begin(), v.content.end(), goPrintable); break;
    case V_ASN1_IA5STRING: ok = std::all_of(v.content.begin(), v.content.end(), [](unsigned char c) { return c < 0x80; }); break;
    default:
      return "subject attribute " + key + " is not a UTF8String, PrintableString or IA5String (Go reads other string types differently)";
  }
  if (!ok) return "subject attribute " + key + " is not a valid string of its type";
  if (std::find(v.content.begin(), v.content.end(), 0) != v.content.end()) return "subject attribute " + key + " contains a NUL byte";
  return std::nullopt;
}

std::string attributeName(const DerTlv& oid) {
  const unsigned char* p = oid.whole.data();
  Asn1ObjectPtr obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid.whole.size())));
  int nid = obj ? OBJ_obj2nid(obj.get()) : NID_undef;
  ERR_clear_error();
  return nid != NID_undef ? OBJ_nid2sn(nid) : oidToDotted(oid.content);
}

// Name ::= SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type OID, value ANY }, walked as Go's
// pkix.RDNSequence is. Go skips empty sets; they serve no request, so they are refused.
std::optional<std::string> readSubject(DerBytes name, ParsedRequest& out) {
  const std::string bad = "malformed subject";
  DerTlv seq;
  if (!readDerTlv(name, seq) || seq.cls != V_ASN1_UNIVERSAL || seq.tag != V_ASN1_SEQUENCE || !seq.constructed || !name.empty()) {
    return bad;
  }
  int commonNames = 0;
  for (DerBytes rdns = seq.content; !rdns.empty();) {
    DerTlv rdn;
    if (!readDerTlv(rdns, rdn) || rdn.cls != V_ASN1_UNIVERSAL || rdn.tag != V_ASN1_SET || !rdn.constructed) return bad;
    if (rdn.content.empty()) return bad + " (an empty relative distinguished name)";
    for (DerBytes atvs = rdn.content; !atvs.empty();) {
      DerTlv atv, oid, value;
      if (!readDerTlv(atvs, atv) || atv.cls != V_ASN1_UNIVERSAL || atv.tag != V_ASN1_SEQUENCE || !atv.constructed) return bad;
      DerBytes parts = atv.content;
      if (!readDerTlv(parts, oid) || oid.cls != V_ASN1_UNIVERSAL || oid.tag != V_ASN1_OBJECT || oid.constructed ||
          oidToDotted(oid.content).empty() || !readDerTlv(parts, value) || !parts.empty()) {
        return bad + " (attribute type or value)";
      }
      std::string key = attributeName(oid);
      if (auto err = subjectValue(value, key)) return err;
      std::string text(value.content.begin(), value.content.end());
      if (key == "CN") {
        if (++commonNames > 1) return "subject has more than one common name";
        out.commonName = text;
      } else if (key == "O") {
        out.organizations.push_back(text);
      }
      out.subject.emplace_back(std::move(key), std::move(text));
    }
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

namespace {

std::atomic<std::uint64_t> pemParses{0};

// Successful parses, by the SHA-256 of the limits and exactly the text parsed: one CSR's request
// is read by the duplicate index, the approver and the signer, and the same bytes under the same
// limits always parse the same. Refusals are never remembered, so a refused request runs every
// check each time. A few hundred are enough for the three reads within one burst (a P-256 request
// remembered costs about 2 KB).
RememberedByDigest<std::shared_ptr<const ParsedRequest>>& rememberedRequests() {
  static RememberedByDigest<std::shared_ptr<const ParsedRequest>> remembered(512);
  return remembered;
}

// The limits at a fixed width, ahead of the text: a text cannot pass for another under other limits.
std::optional<Sha256Digest> requestDigest(std::string_view pem, const RequestLimits& limits) {
  std::array<unsigned char, 16> sizes{};
  for (std::size_t i = 0; i < 8; ++i) {
    sizes[i] = static_cast<unsigned char>(limits.maxPemBytes >> (8 * i));
    sizes[8 + i] = static_cast<unsigned char>(limits.maxSans >> (8 * i));
  }
  return sha256Of({sizes, {reinterpret_cast<const unsigned char*>(pem.data()), pem.size()}});
}

Result<ParsedRequest> parsePem(std::string_view pem, const RequestLimits& limits) {
  pemParses.fetch_add(1, std::memory_order_relaxed);
  ERR_clear_error();
  auto block = decodeSinglePemBlock(pem);
  if (!block) return Result<ParsedRequest>::fail(block.error());
  if (block.value().label != "CERTIFICATE REQUEST") {
    return Result<ParsedRequest>::fail("PEM block type must be CERTIFICATE REQUEST, found " + block.value().label);
  }
  return parseCertificateRequestDer(block.value().der, limits);
}

}  // namespace

std::uint64_t requestParses() { return pemParses.load(); }

Result<ParsedRequest> parseCertificateRequest(std::string_view pem, const RequestLimits& limits) {
  using R = Result<ParsedRequest>;
  if (pem.size() > limits.maxPemBytes || pem.starts_with(kOversizedRequestMarker)) {
    // A requester can send the marker text too: only a plain number is echoed into the message.
    const auto stated = pem.substr(std::min(pem.size(), kOversizedRequestMarker.size()));
    const bool number = pem.starts_with(kOversizedRequestMarker) && !stated.empty() && stated.size() <= 20 &&
                        stated.find_first_not_of("0123456789") == std::string_view::npos;
    return R::fail("request is " + (number ? std::string(stated) : std::to_string(pem.size())) + " bytes, more than the limit of " +
                   std::to_string(limits.maxPemBytes));
  }
  const auto digest = requestDigest(pem, limits);
  if (digest)
    if (auto known = rememberedRequests().find(*digest)) return R::ok(ParsedRequest(**known));
  auto parsed = parsePem(pem, limits);
  if (parsed && digest) rememberedRequests().remember(*digest, std::make_shared<const ParsedRequest>(parsed.value()));
  return parsed;
}

Result<ParsedRequest> parseCertificateRequestDer(std::span<const unsigned char> bytes, const RequestLimits& limits) {
  using R = Result<ParsedRequest>;
  if (bytes.size() > limits.maxPemBytes) {
    return R::fail("request is " + std::to_string(bytes.size()) + " bytes, more than the limit of " + std::to_string(limits.maxPemBytes));
  }
  ERR_clear_error();
  RequestDer der;
  if (auto err = splitRequestDer(bytes, der)) return R::fail(*err);
  auto key = publicKeyFromRequest(der);
  if (!key) return R::fail(key.error());
  if (auto err = verifyRequestSignature(der, key.value())) return R::fail(*err);

  ParsedRequest out;
  // The certificate carries the SubjectPublicKeyInfo re-encoded from the parsed key (identical to
  // the request's bytes, or the request was refused above), never the requester's copy.
  auto spki = std::make_shared<SubjectPublicKeyInfo>();
  spki->der = std::move(key.value().spkiDer);
  RequestDer reencoded;
  reencoded.spki = spki->der;
  if (!splitSubjectPublicKeyInfo(reencoded)) return R::fail("the re-encoded public key cannot be read back");
  spki->algorithmDer.assign(reencoded.spkiAlgorithm.begin(), reencoded.spkiAlgorithm.end());
  spki->publicKey.assign(reencoded.publicKey.begin(), reencoded.publicKey.end());
  out.spki = std::move(spki);
  out.keyType = key.value().type;
  out.keyBits = key.value().bits;
  out.publicKey = std::move(key.value().pkey);

  if (auto err = readSubject(der.subject, out)) return R::fail(*err);
  if (auto err = readRequestAttributes(der.attributes, limits, out)) return R::fail(*err);
  drainOpenSslErrors();
  return R::ok(std::move(out));
}

}  // namespace signers
