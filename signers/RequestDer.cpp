#include "signers/RequestDer.h"

#include <openssl/asn1.h>

#include <cstdint>

namespace signers {
namespace {

using Tlv = DerTlv;

bool readTlv(DerBytes& in, Tlv& t) { return readDerTlv(in, t); }

}  // namespace

// Our own reader rather than ASN1_get_object, which is BER-lenient: Go's encoding/asn1 and
// cryptobyte refuse indefinite and non-minimal lengths, so accepting them here would read bytes
// Go never reads. High tag numbers (>= 31) appear in no PKCS#10 structure and are refused too.
bool readDerTlv(DerBytes& in, DerTlv& t) {
  if (in.size() < 2) return false;
  unsigned char id = in[0];
  if ((id & 0x1f) == 0x1f) return false;
  std::size_t length = in[1];
  std::size_t header = 2;
  if (length >= 0x80) {
    std::size_t octets = length & 0x7f;
    // 0x80 is the indefinite form; more than 4 octets is beyond any request we accept (64 KiB).
    if (octets == 0 || octets > 4 || in.size() < 2 + octets || in[2] == 0) return false;
    length = 0;
    for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | in[2 + i];
    if (length < 0x80) return false;  // the short form was required
    header += octets;
  }
  if (length > in.size() - header) return false;
  t.tag = id & 0x1f;
  t.cls = id & 0xc0;
  t.constructed = (id & 0x20) != 0;
  t.whole = in.subspan(0, header + length);
  t.content = in.subspan(header, length);
  in = in.subspan(header + length);
  return true;
}

std::string oidToDotted(DerBytes content) {
  if (content.empty() || (content.back() & 0x80) != 0) return {};
  std::string out;
  uint64_t value = 0;
  int octets = 0;
  bool first = true;
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (octets == 0 && content[i] == 0x80) return {};  // non-minimal arc encoding
    value = (value << 7) | (content[i] & 0x7f);
    ++octets;
    // Go 1.19's asn1.ObjectIdentifier holds ints and refuses arcs above 2^31-1 (and more than
    // 5 octets per arc); later releases parse bigger OIDs into x509.OID, so refusing is the
    // stricter of the two (encoding/asn1/asn1.go parseBase128Int).
    if (octets > 5 || value > 0x7fffffff) return {};
    if ((content[i] & 0x80) != 0) continue;
    if (first) {
      uint64_t a = value < 40 ? 0 : value < 80 ? 1 : 2;
      out = std::to_string(a) + "." + std::to_string(value - a * 40);
      first = false;
    } else {
      out += "." + std::to_string(value);
    }
    value = 0;
    octets = 0;
  }
  return out;
}

namespace {

bool isUniversal(const Tlv& t, int tag, bool constructed) {
  return t.cls == V_ASN1_UNIVERSAL && t.tag == tag && t.constructed == constructed;
}

// BIT STRING contents minus the unused-bits octet, which must be zero for keys and signatures.
std::optional<DerBytes> bitStringBytes(const Tlv& t) {
  if (!isUniversal(t, V_ASN1_BIT_STRING, false) || t.content.empty() || t.content[0] != 0) return std::nullopt;
  return t.content.subspan(1);
}

}  // namespace

bool splitSubjectPublicKeyInfo(RequestDer& der) {
  DerBytes whole = der.spki;
  Tlv spki, alg, key;
  if (!readTlv(whole, spki) || !isUniversal(spki, V_ASN1_SEQUENCE, true) || !whole.empty()) return false;
  DerBytes keyParts = spki.content;
  if (!readTlv(keyParts, alg) || !isUniversal(alg, V_ASN1_SEQUENCE, true)) return false;
  if (!readTlv(keyParts, key) || !keyParts.empty()) return false;
  auto keyBytes = bitStringBytes(key);
  if (!keyBytes || keyBytes->empty()) return false;
  der.spkiAlgorithm = alg.whole;
  der.publicKey = *keyBytes;
  return true;
}

std::optional<std::string> splitRequestDer(DerBytes der, RequestDer& out) {
  const std::string bad = "malformed PKCS#10 certificate request";
  Tlv outer;
  if (!readTlv(der, outer) || !isUniversal(outer, V_ASN1_SEQUENCE, true)) return bad;
  if (!der.empty()) return std::string("trailing bytes after the PKCS#10 request");

  DerBytes body = outer.content;
  Tlv info, sigAlg, sig;
  if (!readTlv(body, info) || !isUniversal(info, V_ASN1_SEQUENCE, true)) return bad + " (request info)";
  if (!readTlv(body, sigAlg) || !isUniversal(sigAlg, V_ASN1_SEQUENCE, true)) return bad + " (signature algorithm)";
  if (!readTlv(body, sig) || !body.empty()) return bad + " (signature)";
  auto sigBytes = bitStringBytes(sig);
  if (!sigBytes) return bad + " (signature)";

  DerBytes fields = info.content;
  Tlv version, subject, spki;
  if (!readTlv(fields, version) || !isUniversal(version, V_ASN1_INTEGER, false) || version.content.size() != 1 || version.content[0] != 0) {
    return std::string("unsupported PKCS#10 version (only v1 exists)");
  }
  if (!readTlv(fields, subject) || !isUniversal(subject, V_ASN1_SEQUENCE, true)) return bad + " (subject)";
  if (!readTlv(fields, spki) || !isUniversal(spki, V_ASN1_SEQUENCE, true)) return bad + " (public key)";
  // Go's certificateRequest declares RawAttributes `asn1:"tag:0"` without "optional": a request
  // without the [0] element is refused by x509.ParseCertificateRequest, so it is refused here.
  Tlv attrs;
  if (!readTlv(fields, attrs) || attrs.cls != V_ASN1_CONTEXT_SPECIFIC || attrs.tag != 0 || !attrs.constructed || !fields.empty()) {
    return bad + " (attributes: the [0] element is missing or followed by other data)";
  }
  DerBytes attributes = attrs.content;

  out.info = info.whole;
  out.subject = subject.whole;
  out.spki = spki.whole;
  if (!splitSubjectPublicKeyInfo(out)) return bad + " (public key)";
  out.attributes = attributes;
  out.signatureAlgorithm = sigAlg.whole;
  out.signature = *sigBytes;
  return std::nullopt;
}

}  // namespace signers
