#include "signers/RequestExtensions.h"

#include <openssl/asn1.h>

#include <algorithm>
#include <set>

namespace signers {
namespace {

constexpr unsigned char kExtensionRequestOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
constexpr unsigned char kMsExtensionRequestOid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0e};
constexpr unsigned char kChallengePasswordOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07};
constexpr unsigned char kUnstructuredNameOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02};
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
    return "request has " + std::to_string(names.size()) + " subjectAltNames, more than the limit of " + std::to_string(limits.maxSans);
  }
  for (const auto& n : names) {
    // Go's forEachSAN hands the whole identifier octet to parseSANExtension, which matches only
    // primitive [1], [2], [6] and [7] (crypto/x509/parser.go); everything else Go ignores, so
    // it is refused here rather than read.
    bool supported = n.cls == V_ASN1_CONTEXT_SPECIFIC && !n.constructed && (n.tag == 1 || n.tag == 2 || n.tag == 6 || n.tag == 7);
    if (!supported) return std::string("unsupported subjectAltName type (only DNS, IP, email and URI are accepted)");
    if (n.tag == 7) {
      auto ip = IpAddress::fromBytes(n.content.data(), n.content.size());
      if (!ip) return std::string("IP subjectAltName is neither 4 nor 16 bytes long");
      // Go's net.IP treats ::ffff:a.b.c.d as the IPv4 address a.b.c.d (String, Equal, To4);
      // we would see an IPv6 address, so the two readers disagree.
      static constexpr unsigned char kMappedPrefix[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (ip->family == 6 && std::equal(std::begin(kMappedPrefix), std::end(kMappedPrefix), ip->bytes.begin())) {
        return std::string("IP subjectAltName is an IPv4-mapped IPv6 address (Go reads it as IPv4); send the IPv4 address");
      }
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
      if (!v || !isUnambiguousUri(*v)) {
        return std::string(
            "URI subjectAltName is not an absolute URI in the accepted form "
            "(lower-case scheme, host of letters, digits, '-', '_', '~' and '.', no user info, valid %-escapes)");
      }
      out.uris.push_back(*v);
    }
  }
  return std::nullopt;
}

// DER BOOLEAN: Go's encoding/asn1 accepts only 0x00 and 0xff.
std::optional<bool> derBoolean(const DerTlv& t) {
  if (!isUniversal(t, V_ASN1_BOOLEAN, false) || t.content.size() != 1) return std::nullopt;
  if (t.content[0] == 0x00) return false;
  if (t.content[0] == 0xff) return true;
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
    auto ca = derBoolean(first);
    if (!ca) return bad;
    out.requestsCa = *ca;
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
      if (!derBoolean(field) || !readDerTlv(parts, field)) return bad + " (critical must be the DER BOOLEAN 0x00 or 0xff)";
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

bool isUnambiguousUri(std::string_view uri) {
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto hex = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  auto unreserved = [&](char c) { return lower(c) || (c >= 'A' && c <= 'Z') || digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; };
  // RFC 3986 pchar plus the extra characters allowed in the part; '%' must start an escape.
  auto validPart = [&](std::string_view part, std::string_view extra) {
    for (std::size_t i = 0; i < part.size(); ++i) {
      char c = part[i];
      if (c == '%') {
        if (i + 2 >= part.size() || !hex(part[i + 1]) || !hex(part[i + 2])) return false;
        i += 2;
      } else if (!unreserved(c) && std::string_view("!$&'()*+,;=:@").find(c) == std::string_view::npos &&
                 extra.find(c) == std::string_view::npos) {
        return false;
      }
    }
    return true;
  };
  // url.Parse splits the fragment, then the query, off first (net/url/url.go).
  auto hash = uri.find('#');
  if (hash != std::string_view::npos) {
    if (!validPart(uri.substr(hash + 1), "/?") || hash + 1 == uri.size()) return false;
    uri = uri.substr(0, hash);
  }
  auto question = uri.find('?');
  if (question != std::string_view::npos) {
    if (!validPart(uri.substr(question + 1), "/?") || question + 1 == uri.size()) return false;
    uri = uri.substr(0, question);
  }
  // url.Parse lower-cases the scheme, so only a lower-case one reads back as sent.
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || !lower(uri[0])) return false;
  for (char c : uri.substr(0, colon)) {
    if (!lower(c) && !digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  std::string_view rest = uri.substr(colon + 1);
  if (!rest.starts_with("//")) {
    // An opaque part; "scheme:/path" would be written back by URL.String as "scheme:///path".
    return !rest.empty() && rest[0] != '/' && validPart(rest, "/");
  }
  rest.remove_prefix(2);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  auto portColon = authority.find(':');
  std::string_view host = authority.substr(0, portColon);
  if (portColon != std::string_view::npos) {
    std::string_view port = authority.substr(portColon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), digit)) return false;
  }
  // x509's domainToReverseLabels refuses empty labels, including a trailing dot.
  if (host.empty() || host.front() == '.' || host.back() == '.' || host.find("..") != std::string_view::npos) return false;
  if (!std::all_of(host.begin(), host.end(), unreserved)) return false;
  return validPart(path, "/");
}

std::optional<std::string> readRequestAttributes(DerBytes attributes, const RequestLimits& limits, ParsedRequest& out) {
  const std::string bad = "malformed request attribute";
  bool seenExtensionRequest = false;
  for (DerBytes rest = attributes; !rest.empty();) {
    DerTlv attr, oid, values, value;
    if (!readDerTlv(rest, attr) || !isUniversal(attr, V_ASN1_SEQUENCE, true)) return bad;
    DerBytes parts = attr.content;
    if (!readDerTlv(parts, oid) || !isUniversal(oid, V_ASN1_OBJECT, false)) return bad;
    if (!readDerTlv(parts, values) || !isUniversal(values, V_ASN1_SET, true) || !parts.empty()) return bad;
    // Go's parseCSRExtensions reads only Values[0]; a second value would be invisible to it.
    DerBytes inner = values.content;
    if (!readDerTlv(inner, value) || !inner.empty())
      return "request attribute " + oidToDotted(oid.content) + " must have exactly one value";
    if (equals(oid.content, kMsExtensionRequestOid)) {
      return std::string(
          "request carries Microsoft's extensionRequest attribute (1.3.6.1.4.1.311.2.1.14), which Kubernetes "
          "ignores; put extensions in the PKCS#9 extensionRequest");
    }
    if (equals(oid.content, kChallengePasswordOid) || equals(oid.content, kUnstructuredNameOid)) continue;
    if (!equals(oid.content, kExtensionRequestOid)) {
      std::string dotted = oidToDotted(oid.content);
      return "request carries attribute " + (dotted.empty() ? std::string("with a malformed OID") : dotted) +
             ", which Kubernetes ignores; only extensionRequest, challengePassword and unstructuredName are accepted";
    }
    // Go appends the extensions of every extensionRequest attribute; one is all a request needs.
    if (seenExtensionRequest) return std::string("request contains more than one extension request attribute");
    seenExtensionRequest = true;
    if (!isUniversal(value, V_ASN1_SEQUENCE, true)) return std::string("malformed extension request attribute");
    if (auto err = readExtensions(value.content, limits, out)) return err;
  }
  return std::nullopt;
}

}  // namespace signers
