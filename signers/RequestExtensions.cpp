#include "signers/RequestExtensions.h"

#include <openssl/asn1.h>

#include <algorithm>
#include <set>

namespace signers {
namespace {

constexpr unsigned char kExtensionRequestOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
constexpr unsigned char kMsExtensionRequestOid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0e};
constexpr unsigned char kSanOid[] = {0x55, 0x1d, 0x11};
constexpr unsigned char kBasicConstraintsOid[] = {0x55, 0x1d, 0x13};

bool equals(DerBytes a, std::span<const unsigned char> b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

bool isUniversal(const DerTlv& t, int tag, bool constructed) {
  return t.cls == V_ASN1_UNIVERSAL && t.tag == tag && t.constructed == constructed;
}

// IA5String SAN values must be printable ASCII: an embedded NUL or control byte is an attack on
// name comparison, not a real name.
std::optional<std::string> ia5Value(DerBytes v) {
  if (v.empty()) return std::nullopt;
  for (unsigned char c : v) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return std::string(v.begin(), v.end());
}

std::optional<std::string> readSans(DerBytes value, const RequestLimits& limits, ParsedRequest& out) {
  const std::string bad = "malformed subjectAltName extension";
  DerTlv seq;
  if (!readDerTlv(value, seq) || !isUniversal(seq, V_ASN1_SEQUENCE, true) || !value.empty()) return bad;
  std::vector<DerTlv> names;
  for (DerBytes rest = seq.content; !rest.empty();) {
    DerTlv name;
    if (!readDerTlv(rest, name)) return bad;
    names.push_back(name);
  }
  if (names.size() > limits.maxSans) {
    return "request has " + std::to_string(names.size()) + " subjectAltNames, more than the limit of " +
           std::to_string(limits.maxSans);
  }
  for (const auto& n : names) {
    bool supported = n.cls == V_ASN1_CONTEXT_SPECIFIC && !n.constructed && (n.tag == 1 || n.tag == 2 || n.tag == 6 || n.tag == 7);
    if (!supported) return std::string("unsupported subjectAltName type (only DNS, IP, email and URI are accepted)");
    if (n.tag == 7) {
      auto ip = IpAddress::fromBytes(n.content.data(), n.content.size());
      if (!ip) return std::string("IP subjectAltName is neither 4 nor 16 bytes long");
      out.ipAddresses.push_back(*ip);
      continue;
    }
    auto v = ia5Value(n.content);
    if (n.tag == 2) {
      if (!v) return std::string("DNS subjectAltName is empty or not printable ASCII");
      out.dnsNames.push_back(*v);
    } else if (n.tag == 1) {
      if (!v) return std::string("email subjectAltName is empty or not printable ASCII");
      out.emailAddresses.push_back(*v);
    } else {
      if (!v || v->find(':') == std::string::npos) return std::string("URI subjectAltName is not an absolute URI");
      out.uris.push_back(*v);
    }
  }
  return std::nullopt;
}

std::optional<std::string> readBasicConstraints(DerBytes value, ParsedRequest& out) {
  const std::string bad = "malformed basicConstraints extension";
  DerTlv seq;
  if (!readDerTlv(value, seq) || !isUniversal(seq, V_ASN1_SEQUENCE, true) || !value.empty()) return bad;
  DerBytes rest = seq.content;
  if (rest.empty()) return std::nullopt;
  DerTlv first;
  if (!readDerTlv(rest, first)) return bad;
  if (isUniversal(first, V_ASN1_BOOLEAN, false)) {
    if (first.content.size() != 1) return bad;
    out.requestsCa = first.content[0] != 0;
    if (rest.empty()) return std::nullopt;
    if (!readDerTlv(rest, first)) return bad;
  }
  if (!isUniversal(first, V_ASN1_INTEGER, false) || !rest.empty()) return bad;
  return std::nullopt;
}

std::optional<std::string> readExtensions(DerBytes extensions, const RequestLimits& limits, ParsedRequest& out) {
  const std::string bad = "malformed extension request attribute";
  std::set<std::string> seen;
  for (DerBytes rest = extensions; !rest.empty();) {
    DerTlv ext, oid, field;
    if (!readDerTlv(rest, ext) || !isUniversal(ext, V_ASN1_SEQUENCE, true)) return bad;
    DerBytes parts = ext.content;
    if (!readDerTlv(parts, oid) || !isUniversal(oid, V_ASN1_OBJECT, false)) return bad;
    if (!readDerTlv(parts, field)) return bad;
    if (isUniversal(field, V_ASN1_BOOLEAN, false)) {
      if (field.content.size() != 1 || !readDerTlv(parts, field)) return bad;
    }
    if (!isUniversal(field, V_ASN1_OCTET_STRING, false) || !parts.empty()) return bad;
    std::string dotted = oidToDotted(oid.content);
    if (dotted.empty()) return bad;
    if (!seen.insert(dotted).second) return "request contains extension " + dotted + " more than once";
    out.extensionOids.push_back(dotted);
    if (equals(oid.content, kSanOid)) {
      if (auto err = readSans(field.content, limits, out)) return err;
    } else if (equals(oid.content, kBasicConstraintsOid)) {
      if (auto err = readBasicConstraints(field.content, out)) return err;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> readRequestAttributes(DerBytes attributes, const RequestLimits& limits, ParsedRequest& out) {
  const std::string bad = "malformed request attribute";
  bool seenExtensionRequest = false;
  for (DerBytes rest = attributes; !rest.empty();) {
    DerTlv attr, oid, values;
    if (!readDerTlv(rest, attr) || !isUniversal(attr, V_ASN1_SEQUENCE, true)) return bad;
    DerBytes parts = attr.content;
    if (!readDerTlv(parts, oid) || !isUniversal(oid, V_ASN1_OBJECT, false)) return bad;
    if (!readDerTlv(parts, values) || !isUniversal(values, V_ASN1_SET, true) || !parts.empty()) return bad;
    if (!equals(oid.content, kExtensionRequestOid) && !equals(oid.content, kMsExtensionRequestOid)) continue;
    if (seenExtensionRequest) return std::string("request contains more than one extension request attribute");
    seenExtensionRequest = true;
    DerBytes inner = values.content;
    DerTlv extensions;
    if (!readDerTlv(inner, extensions) || !isUniversal(extensions, V_ASN1_SEQUENCE, true) || !inner.empty()) {
      return std::string("malformed extension request attribute");
    }
    if (auto err = readExtensions(extensions.content, limits, out)) return err;
  }
  return std::nullopt;
}

}  // namespace signers
