#include "signers/RequestDer.h"

#include <openssl/asn1.h>
#include <openssl/err.h>

#include <cstdint>

namespace signers {
namespace {

using Tlv = DerTlv;

bool readTlv(DerBytes& in, Tlv& t) { return readDerTlv(in, t); }

}  // namespace

bool readDerTlv(DerBytes& in, DerTlv& t) {
  if (in.empty()) return false;
  const unsigned char* p = in.data();
  long len = 0;
  int tag = 0;
  int cls = 0;
  int r = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(in.size()));
  if ((r & 0x80) != 0 || r == 0x21) {  // error, or indefinite length (not DER)
    ERR_clear_error();
    return false;
  }
  auto header = static_cast<std::size_t>(p - in.data());
  auto total = header + static_cast<std::size_t>(len);
  if (len < 0 || total > in.size()) return false;
  t.tag = tag;
  t.cls = cls;
  t.constructed = (r & V_ASN1_CONSTRUCTED) != 0;
  t.whole = in.subspan(0, total);
  t.content = in.subspan(header, static_cast<std::size_t>(len));
  in = in.subspan(total);
  return true;
}

std::string oidToDotted(DerBytes content) {
  if (content.empty() || (content.back() & 0x80) != 0) return {};
  std::string out;
  uint64_t value = 0;
  bool first = true;
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (value == 0 && content[i] == 0x80) return {};  // non-minimal arc encoding
    if (value > (UINT64_MAX >> 7)) return {};
    value = (value << 7) | (content[i] & 0x7f);
    if ((content[i] & 0x80) != 0) continue;
    if (first) {
      uint64_t a = value < 40 ? 0 : value < 80 ? 1 : 2;
      out = std::to_string(a) + "." + std::to_string(value - a * 40);
      first = false;
    } else {
      out += "." + std::to_string(value);
    }
    value = 0;
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
  if (!readTlv(fields, version) || !isUniversal(version, V_ASN1_INTEGER, false) || version.content.size() != 1 ||
      version.content[0] != 0) {
    return std::string("unsupported PKCS#10 version (only v1 exists)");
  }
  if (!readTlv(fields, subject) || !isUniversal(subject, V_ASN1_SEQUENCE, true)) return bad + " (subject)";
  if (!readTlv(fields, spki) || !isUniversal(spki, V_ASN1_SEQUENCE, true)) return bad + " (public key)";
  DerBytes attributes;
  if (!fields.empty()) {
    Tlv attrs;
    if (!readTlv(fields, attrs) || attrs.cls != V_ASN1_CONTEXT_SPECIFIC || attrs.tag != 0 || !attrs.constructed ||
        !fields.empty()) {
      return bad + " (attributes)";
    }
    attributes = attrs.content;
  }

  DerBytes keyParts = spki.content;
  Tlv alg, key;
  if (!readTlv(keyParts, alg) || !isUniversal(alg, V_ASN1_SEQUENCE, true)) return bad + " (public key algorithm)";
  if (!readTlv(keyParts, key) || !keyParts.empty()) return bad + " (public key)";
  auto keyBytes = bitStringBytes(key);
  if (!keyBytes || keyBytes->empty()) return bad + " (public key)";

  out.info = info.whole;
  out.subject = subject.whole;
  out.spki = spki.whole;
  out.spkiAlgorithm = alg.whole;
  out.publicKey = *keyBytes;
  out.attributes = attributes;
  out.signatureAlgorithm = sigAlg.whole;
  out.signature = *sigBytes;
  return std::nullopt;
}

}  // namespace signers
