#include "tests/goparity/Corpus.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include <functional>
#include <random>
#include <stdexcept>

#include "tests/goparity/RequestBuilder.h"

namespace goparity {
namespace {

std::string replaceFirst(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  if (pos == std::string::npos) throw std::logic_error("corpus: '" + from + "' not found");
  return s.replace(pos, from.size(), to);
}

Bytes ipv4(unsigned char a, unsigned char b, unsigned char c, unsigned char d) { return Bytes{a, b, c, d}; }

RequestParts simpleRequest(EVP_PKEY* key, const std::string& cn = "system:node:worker-1") {
  RequestParts p;
  p.subject = name({{{"2.5.4.10", printable("system:nodes")}}, {{"2.5.4.3", printable(cn)}}});
  p.spki = spkiOf(key);
  p.attributes = extensionRequest({sanExtension({generalName(2, "worker-1.example.com"), generalName(7, ipv4(10, 0, 0, 1))})});
  return p;
}

std::string signedPem(const RequestParts& p, EVP_PKEY* key) { return pem(buildRequest(p, key)); }

// The PEM of another request than the good one: what kube-controller-manager would sign.
std::string otherRequest() {
  EVP_PKEY* key = testKey(Key::Ed25519);
  RequestParts p = simpleRequest(key, "system:node:worker-2");
  p.attributes = extensionRequest({sanExtension({generalName(2, "kubernetes.default.svc"), generalName(7, ipv4(10, 96, 0, 1))})});
  return signedPem(p, key);
}

Bytes rsaModulus(EVP_PKEY* key) {
  BIGNUM* n = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1) throw std::runtime_error("no RSA modulus");
  Bytes out(static_cast<std::size_t>(BN_num_bytes(n)) + 1, 0);
  BN_bn2bin(n, out.data() + 1);
  BN_free(n);
  return out;  // with a leading 0x00 so the INTEGER stays positive
}

Bytes rsaSpki(EVP_PKEY* key, const Bytes& exponent, bool nullParams = true) {
  Bytes algorithm = nullParams ? seq({oid("1.2.840.113549.1.1.1"), Bytes{0x05, 0x00}}) : seq({oid("1.2.840.113549.1.1.1")});
  return seq({algorithm, bitString(seq({tlv(0x02, rsaModulus(key)), tlv(0x02, exponent)}))});
}

// With e = 1 the "signature" is the padded digest itself: no private key is needed.
std::string rsaExponentOneForgery() {
  EVP_PKEY* key = testKey(Key::Rsa2048);
  RequestParts p = simpleRequest(key);
  p.spki = rsaSpki(key, Bytes{0x01});
  Bytes info = requestInfo(p, key);
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(info.data(), info.size(), digest, &len, EVP_sha256(), nullptr);
  const unsigned char prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                  0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
  std::size_t k = static_cast<std::size_t>(EVP_PKEY_get_size(key));
  Bytes em(k, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  std::size_t t = sizeof prefix + sizeof digest;
  em[k - t - 1] = 0x00;
  std::copy(std::begin(prefix), std::end(prefix), em.begin() + static_cast<long>(k - t));
  std::copy(std::begin(digest), std::end(digest), em.begin() + static_cast<long>(k - sizeof digest));
  return pem(seq({info, signatureAlgorithmOf(key), bitString(em)}));
}

Bytes ecPoint(EVP_PKEY* key, bool compressed) {
  std::size_t len = 0;
  EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &len);
  Bytes point(len);
  EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(), point.size(), &len);
  if (!compressed) return point;
  // 0x04 || X || Y  ->  (0x02 | parity of Y) || X
  std::size_t field = (point.size() - 1) / 2;
  Bytes out(point.begin(), point.begin() + 1 + static_cast<long>(field));
  out[0] = static_cast<unsigned char>(0x02 | (point.back() & 1));
  return out;
}

Bytes rawPublicKey(EVP_PKEY* key) {
  std::size_t len = 0;
  EVP_PKEY_get_raw_public_key(key, nullptr, &len);
  Bytes out(len);
  EVP_PKEY_get_raw_public_key(key, out.data(), &len);
  return out;
}

std::string withSubject(const Bytes& subject) {
  EVP_PKEY* key = testKey(Key::P256);
  RequestParts p = simpleRequest(key);
  p.subject = subject;
  return signedPem(p, key);
}

std::string withAttributes(const Bytes& attributes) {
  EVP_PKEY* key = testKey(Key::P256);
  RequestParts p = simpleRequest(key);
  p.attributes = attributes;
  return signedPem(p, key);
}

std::string withSans(const std::vector<Bytes>& names) { return withAttributes(extensionRequest({sanExtension(names)})); }

Bytes cnName(const Bytes& value) { return name({{{"2.5.4.3", value}}}); }

}  // namespace

std::vector<NamedCase> hostileCases() {
  EVP_PKEY* p256 = testKey(Key::P256);
  EVP_PKEY* rsa = testKey(Key::Rsa2048);
  EVP_PKEY* ed = testKey(Key::Ed25519);
  const std::string good = signedPem(simpleRequest(p256), p256);
  const std::string other = otherRequest();
  const std::string end = "-----END CERTIFICATE REQUEST-----\n";
  std::vector<NamedCase> c;

  // PEM level (issue 10, item 1 and "Must hold").
  c.push_back({"END line glued to the base64, then a second block", replaceFirst(good, "\n" + end, end) + other, "glued to the base64"});
  c.push_back({"END line followed by garbage, then a second block", replaceFirst(good, end, "-----END CERTIFICATE REQUEST-----x\n") + other,
               "END line ends in a character"});
  c.push_back({"two blocks", good + other, "continues after its END line"});
  // Go's getLine drops a "\r" only before "\n": a lone one ends the END line with a character.
  c.push_back({"END line ended by a lone carriage return", good.substr(0, good.size() - 1) + "\r", "END line"});
  c.push_back({"END line with a carriage return before spaces", good.substr(0, good.size() - 1) + "\r \n", "END line"});
  c.push_back({"PEM headers", replaceFirst(good, "-----\n", "-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"), "PEM headers"});
  c.push_back({"bytes before BEGIN", "garbage\n" + good, "bytes before its BEGIN line"});
  c.push_back({"a certificate block first", pem(buildRequest(simpleRequest(p256), p256), "CERTIFICATE") + good, "continues after"});
  c.push_back({"spaces inside the base64", replaceFirst(good, "-----\n", "-----\n  "), "not base64"});
  c.push_back({"tab after a base64 line", replaceFirst(good, "\n-----END", "\t\n-----END"), "not base64"});

  // Attributes (item 2).
  c.push_back({"Microsoft extensionRequest with SANs",
               withAttributes(extensionRequest(
                   {sanExtension({generalName(1, "admin@example.com"), generalName(6, "spiffe://cluster.local/ns/kube-system/sa/admin")})},
                   "1.3.6.1.4.1.311.2.1.14")),
               "Microsoft's extensionRequest"});
  c.push_back({"unknown attribute", withAttributes(attribute("1.2.3.4", {utf8("x")})), "attribute 1.2.3.4"});
  c.push_back({"two extensionRequest attributes",
               withAttributes(cat({extensionRequest({sanExtension({generalName(2, "a.example.com")})}),
                                   extensionRequest({extension("2.5.29.15", Bytes{0x03, 0x02, 0x05, 0xa0})})})),
               "more than one extension request"});
  c.push_back({"extensionRequest with two values",
               withAttributes(attribute("1.2.840.113549.1.9.14", {seq({sanExtension({generalName(2, "a.example.com")})}),
                                                                  seq({sanExtension({generalName(2, "evil.example.com")})})})),
               "exactly one value"});
  c.push_back({"extensionRequest with an empty value set", withAttributes(attribute("1.2.840.113549.1.9.14", {})), "exactly one value"});
  c.push_back({"critical BOOLEAN 0x01",
               withAttributes(extensionRequest({extension("2.5.29.15", Bytes{0x03, 0x02, 0x05, 0xa0}, Bytes{0x01, 0x01, 0x01})})),
               "DER BOOLEAN"});
  c.push_back({"basicConstraints CA BOOLEAN 0x01",
               withAttributes(extensionRequest({extension("2.5.29.19", seq({Bytes{0x01, 0x01, 0x01}}))})), "basicConstraints"});

  // Keys (item 3).
  c.push_back({"RSA exponent 1 with a forged signature", rsaExponentOneForgery(), "other than 65537"});
  {
    RequestParts p = simpleRequest(rsa);
    p.spki = rsaSpki(rsa, Bytes{0x03});
    c.push_back({"RSA exponent 3", signedPem(p, rsa), "other than 65537"});
    p.spki = rsaSpki(rsa, Bytes{0x01, 0x00, 0x01}, false);
    c.push_back({"RSA without NULL parameters", signedPem(p, rsa), "not exactly NULL"});
    p.spki = rsaSpki(rsa, Bytes{0x00, 0x01, 0x00, 0x01});
    c.push_back({"RSA exponent not minimally encoded", signedPem(p, rsa), "malformed RSA"});
  }
  {
    RequestParts p = simpleRequest(p256);
    p.spki = seq({seq({oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7"), Bytes{0x05, 0x00}}), bitString(ecPoint(p256, false))});
    c.push_back({"EC with extra parameters", signedPem(p, p256), "extra parameters"});
    p.spki = seq({seq({oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")}), bitString(ecPoint(p256, true))});
    c.push_back({"compressed EC point", signedPem(p, p256), "uncompressed point"});
  }
  {
    EVP_PKEY* k1 = testKey(Key::Secp256k1);
    c.push_back({"secp256k1 key (Go has no such curve)", signedPem(simpleRequest(k1), k1), "named curve Go supports"});
  }
  {
    RequestParts p = simpleRequest(ed);
    p.spki = seq({seq({oid("1.3.101.112"), Bytes{0x05, 0x00}}), bitString(rawPublicKey(ed))});
    c.push_back({"Ed25519 key with parameters", signedPem(p, ed), "Ed25519 key with algorithm parameters"});
    RequestParts q = simpleRequest(ed);
    q.signatureAlgorithm = seq({oid("1.3.101.112"), Bytes{0x05, 0x00}});
    c.push_back({"Ed25519 signature algorithm with parameters", signedPem(q, ed), "unsupported signature algorithm"});
  }
  {
    RequestParts p = simpleRequest(rsa);
    p.signatureAlgorithm = seq({oid("1.2.840.113549.1.1.11")});
    c.push_back({"RSA signature algorithm without NULL", signedPem(p, rsa), "unsupported signature algorithm"});
  }

  // Subject.
  c.push_back({"T61String CN", withSubject(cnName(tlv(0x14, std::string("caf\xe9")))), "not a UTF8String"});
  c.push_back({"BMPString CN", withSubject(cnName(tlv(0x1e, std::string("\0a\0l\0i\0c\0e", 10)))), "not a UTF8String"});
  c.push_back(
      {"UniversalString CN", withSubject(cnName(tlv(0x1c, std::string("\0\0\0a\0\0\0l\0\0\0i\0\0\0c\0\0\0e", 20)))), "not a UTF8String"});
  c.push_back({"two CNs",
               withSubject(name({{{"2.5.4.3", printable("system:node:worker-1")}}, {{"2.5.4.3", printable("system:node:worker-2")}}})),
               "more than one common name"});
  c.push_back(
      {"two CNs in one RDN", withSubject(name({{{"2.5.4.3", printable("a")}, {"2.5.4.3", printable("b")}}})), "more than one common name"});
  c.push_back({"empty RDN", withSubject(name({{}, {{"2.5.4.3", printable("a")}}})), "empty relative distinguished name"});
  c.push_back({"invalid UTF-8 CN", withSubject(cnName(utf8("\xc3\x28"))), "not a valid string"});
  c.push_back({"PrintableString with '@'", withSubject(cnName(printable("a@b"))), "not a valid string"});
  c.push_back({"IA5String with a high byte", withSubject(cnName(tlv(0x16, std::string("caf\xe9")))), "not a valid string"});
  c.push_back({"OID arc above 2^31-1", withSubject(name({{{"1.2.2147483648", utf8("x")}}})), "malformed subject"});
  c.push_back({"CN with a NUL byte", withSubject(cnName(utf8(std::string("a\0b", 3)))), "NUL"});
  {
    Bytes subject = name({{{"2.5.4.3", printable("system:node:worker-1")}}});
    Bytes longForm = {0x30, 0x81, subject[1]};
    longForm.insert(longForm.end(), subject.begin() + 2, subject.end());
    c.push_back({"non-minimal DER length", withSubject(longForm), "malformed"});
    Bytes indefinite = {0x30, 0x80};
    indefinite.insert(indefinite.end(), subject.begin() + 2, subject.end());
    indefinite.insert(indefinite.end(), {0x00, 0x00});
    c.push_back({"indefinite DER length", withSubject(indefinite), "malformed"});
  }

  // Structure.
  {
    RequestParts p = simpleRequest(p256);
    p.attributes.reset();
    c.push_back({"no [0] attributes element", signedPem(p, p256), "[0] element is missing"});
    RequestParts v = simpleRequest(p256);
    v.version = {0x02, 0x01, 0x01};
    c.push_back({"version 1", signedPem(v, p256), "version"});
    Bytes der = buildRequest(simpleRequest(p256), p256);
    der.push_back(0x00);
    c.push_back({"trailing data after the request", pem(der), "trailing bytes"});
  }

  // SANs.
  c.push_back({"URI with an upper-case scheme", withSans({generalName(6, "SPIFFE://cluster.local/x")}), "URI subjectAltName"});
  c.push_back({"URI scheme:/path (written back as scheme:///path)", withSans({generalName(6, "spiffe:/x")}), "URI subjectAltName"});
  c.push_back({"URI with user info", withSans({generalName(6, "https://user@host.example.com/")}), "URI subjectAltName"});
  c.push_back({"URI with a bad escape", withSans({generalName(6, "spiffe://x/%zz")}), "URI subjectAltName"});
  c.push_back({"URI with an IP literal", withSans({generalName(6, "https://[::1]/")}), "URI subjectAltName"});
  c.push_back({"URI host with a trailing dot", withSans({generalName(6, "https://example.com./")}), "URI subjectAltName"});
  c.push_back({"IPv4-mapped IPv6 address", withSans({generalName(7, Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1})}),
               "IPv4-mapped"});
  c.push_back({"IP of 5 bytes", withSans({generalName(7, Bytes{10, 0, 0, 1, 0})}), "neither 4 nor 16"});
  c.push_back({"registeredID SAN (Go ignores it)", withSans({generalName(2, "a.example.com"), tlv(0x88, oid("1.2.3.4"))}),
               "unsupported subjectAltName"});
  c.push_back(
      {"constructed [2] SAN (Go ignores it)", withSans({tlv(0xa2, generalName(2, "evil.example.com"))}), "unsupported subjectAltName"});
  c.push_back({"DNS SAN with a NUL byte", withSans({generalName(2, std::string("a.example.com\0.evil", 19))}), "not printable"});
  c.push_back({"email SAN with a high byte", withSans({generalName(1, std::string("caf\xe9@example.com"))}), "not printable"});
  return c;
}

std::vector<std::pair<std::string, std::string>> validCases() {
  std::vector<std::pair<std::string, std::string>> v;
  for (auto [label, key] : {std::pair{"P-256", Key::P256}, {"P-384", Key::P384}, {"RSA-2048", Key::Rsa2048}, {"Ed25519", Key::Ed25519}}) {
    EVP_PKEY* k = testKey(key);
    v.emplace_back(std::string("rich request, ") + label, signedPem(richRequest(k), k));
  }
  EVP_PKEY* p224 = testKey(Key::P224);
  v.emplace_back("P-224 key", signedPem(simpleRequest(p224), p224));
  const std::string good = withAttributes(extensionRequest({sanExtension({generalName(2, "a.example.com")})}));
  v.emplace_back("CRLF line breaks", [&] {
    std::string s;
    for (char ch : good) s += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    return s;
  }());
  v.emplace_back("no final newline", good.substr(0, good.size() - 1));
  v.emplace_back("white space after END", good + " \t\n\n");
  v.emplace_back("challengePassword", withAttributes(cat({attribute("1.2.840.113549.1.9.7", {printable("secret")}),
                                                          extensionRequest({sanExtension({generalName(2, "a.example.com")})})})));
  v.emplace_back("unstructuredName", withAttributes(attribute("1.2.840.113549.1.9.2", {utf8("x")})));
  v.emplace_back("empty attributes", withAttributes(Bytes{}));
  v.emplace_back("empty subject", withSubject(Bytes{0x30, 0x00}));
  v.emplace_back("PrintableString with '*' and '&'", withSubject(cnName(printable("a*b&c"))));
  v.emplace_back("IA5String CN", withSubject(cnName(tlv(0x16, "alice@example.com"))));
  v.emplace_back("UTF-8 O", withSubject(name({{{"2.5.4.10", utf8("Zürich ☃ \xf0\x9f\x94\x91")}}})));
  v.emplace_back("unknown subject attribute", withSubject(name({{{"1.2.3.4.5", utf8("x")}}, {{"2.5.4.3", utf8("y")}}})));
  v.emplace_back(
      "URIs of several forms",
      withSans({generalName(6, "spiffe://cluster.local/ns/a/sa/b"), generalName(6, "https://h.example.com:8443/p/a%20t?q=1&r=2#frag"),
                generalName(6, "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"), generalName(6, "x-y.z+w://a_b~c/")}));
  v.emplace_back("explicit critical FALSE",
                 withAttributes(extensionRequest({extension("2.5.29.15", Bytes{0x03, 0x02, 0x05, 0xa0}, Bytes{0x01, 0x01, 0x00})})));
  v.emplace_back("IPv6 SAN", withSans({generalName(7, Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                                       generalName(7, Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1})}));
  return v;
}

// ---- generated mutations ----------------------------------------------------------------------

namespace {

using Rng = std::mt19937;

std::size_t pick(Rng& rng, std::size_t n) { return n == 0 ? 0 : rng() % n; }

const std::vector<std::string>& pemTokens() {
  static const std::vector<std::string> t = {"\n",
                                             "\r\n",
                                             "\r",
                                             " ",
                                             "\t",
                                             "-",
                                             "=",
                                             "==",
                                             "A",
                                             ":",
                                             "x",
                                             "\n\n",
                                             "-----END CERTIFICATE REQUEST-----",
                                             "-----END CERTIFICATE REQUEST-----\n",
                                             "\n-----BEGIN CERTIFICATE REQUEST-----\n",
                                             "-----BEGIN CERTIFICATE REQUEST-----\n",
                                             "Proc-Type: 4,ENCRYPTED\n",
                                             "-----",
                                             "\v",
                                             std::string(1, '\0')};
  return t;
}

// A DER tree that is re-serialised with correct lengths after an edit, so that edits reach deep.
struct Node {
  unsigned char id = 0;
  bool container = false;  // constructed, or an OCTET STRING that holds DER
  Bytes content;
  std::vector<Node> kids;
};

bool parseAll(const unsigned char* p, std::size_t n, std::vector<Node>& out, int depth);

bool parseOne(const unsigned char*& p, std::size_t& n, Node& node, int depth) {
  if (n < 2 || (p[0] & 0x1f) == 0x1f) return false;
  std::size_t len = p[1], header = 2;
  if (len >= 0x80) {
    std::size_t octets = len & 0x7f;
    if (octets == 0 || octets > 3 || n < 2 + octets) return false;
    len = 0;
    for (std::size_t i = 0; i < octets; ++i) len = (len << 8) | p[2 + i];
    header += octets;
  }
  if (len > n - header) return false;
  node.id = p[0];
  node.content.assign(p + header, p + header + len);
  if (depth < 12 && ((node.id & 0x20) != 0 || node.id == 0x04) &&
      parseAll(node.content.data(), node.content.size(), node.kids, depth + 1)) {
    node.container = !node.kids.empty() || (node.id & 0x20) != 0;
  }
  p += header + len;
  n -= header + len;
  return true;
}

bool parseAll(const unsigned char* p, std::size_t n, std::vector<Node>& out, int depth) {
  while (n > 0) {
    Node node;
    if (!parseOne(p, n, node, depth)) {
      out.clear();
      return false;
    }
    out.push_back(std::move(node));
  }
  return true;
}

Bytes serialise(const Node& node) {
  if (!node.container) return tlv(node.id, node.content);
  Bytes body;
  for (const auto& k : node.kids) {
    Bytes b = serialise(k);
    body.insert(body.end(), b.begin(), b.end());
  }
  return tlv(node.id, body);
}

void collect(Node& node, std::vector<Node*>& all, std::vector<std::vector<Node>*>& lists) {
  all.push_back(&node);
  if (node.container) {
    lists.push_back(&node.kids);
    for (auto& k : node.kids) collect(k, all, lists);
  }
}

const std::vector<std::string>& valueTokens() {
  static const std::vector<std::string> t = {"SPIFFE://X/y",
                                             "spiffe:/x",
                                             "a@b",
                                             "*",
                                             "&",
                                             std::string(1, '\0'),
                                             "\xff",
                                             "\xc3\x28",
                                             "system:node:worker-2",
                                             "system:masters",
                                             "https://u@h/",
                                             "x://h:99/%41",
                                             "urn:a",
                                             "kubernetes.default.svc",
                                             "",
                                             "..",
                                             "a..b",
                                             "%zz"};
  return t;
}

void mutateTree(Node& root, Rng& rng) {
  std::vector<Node*> all;
  std::vector<std::vector<Node>*> lists;
  collect(root, all, lists);
  static const unsigned char ids[] = {0x0c, 0x13, 0x14, 0x16, 0x1c, 0x1e, 0x30, 0x31, 0x04, 0x03, 0x02, 0x05,
                                      0x06, 0x01, 0x80, 0x81, 0x82, 0x86, 0x87, 0x88, 0xa0, 0xa1, 0xa2, 0xa3};
  switch (rng() % 7) {
    case 0: {  // delete a node
      auto* list = lists[pick(rng, lists.size())];
      if (!list->empty()) list->erase(list->begin() + static_cast<long>(pick(rng, list->size())));
      break;
    }
    case 1: {  // duplicate a node
      auto* list = lists[pick(rng, lists.size())];
      if (!list->empty()) {
        auto i = pick(rng, list->size());
        Node copy = (*list)[i];
        list->insert(list->begin() + static_cast<long>(i), std::move(copy));
      }
      break;
    }
    case 2: {  // splice: a node replaced by a copy of another
      Node copy = *all[pick(rng, all.size())];
      Node* target = all[1 + pick(rng, all.size() - 1)];
      *target = std::move(copy);
      break;
    }
    case 3: all[1 + pick(rng, all.size() - 1)]->id = ids[pick(rng, sizeof ids)]; break;
    case 4: {  // swap siblings
      auto* list = lists[pick(rng, lists.size())];
      if (list->size() >= 2) std::swap((*list)[pick(rng, list->size())], (*list)[pick(rng, list->size())]);
      break;
    }
    case 5: {  // replace a primitive value with a tricky one
      Node* n = all[pick(rng, all.size())];
      if (!n->container) {
        const auto& v = valueTokens()[pick(rng, valueTokens().size())];
        n->content.assign(v.begin(), v.end());
      }
      break;
    }
    default: {  // flip, truncate or extend a primitive value
      Node* n = all[pick(rng, all.size())];
      if (n->container) break;
      if (!n->content.empty() && rng() % 2 == 0) {
        n->content[pick(rng, n->content.size())] ^= static_cast<unsigned char>(1u << (rng() % 8));
      } else if (!n->content.empty() && rng() % 2 == 0) {
        n->content.resize(pick(rng, n->content.size()));
      } else {
        n->content.push_back(static_cast<unsigned char>(rng()));
      }
    }
  }
}

// Byte-level edits that break DER itself: lengths, truncations, flips.
void mutateBytes(Bytes& b, Rng& rng) {
  if (b.empty()) return;
  std::size_t pos = pick(rng, b.size());
  switch (rng() % 5) {
    case 0: b[pos] ^= static_cast<unsigned char>(1u << (rng() % 8)); break;
    case 1: b[pos] = static_cast<unsigned char>(rng()); break;
    case 2: b.resize(pos); break;
    case 3: {  // a length octet edited: +-1, long form, indefinite
      static const unsigned char lengths[] = {0x80, 0x81, 0x82, 0x00, 0x7f, 0xff};
      if (rng() % 2 == 0)
        b[pos] = lengths[pick(rng, sizeof lengths)];
      else
        b[pos] = static_cast<unsigned char>(b[pos] + (rng() % 2 == 0 ? 1 : 0xff));
      break;
    }
    default: b.insert(b.begin() + static_cast<long>(pos), static_cast<unsigned char>(rng())); break;
  }
}

}  // namespace

std::vector<std::string> pemMutations(uint32_t seed, int count) {
  Rng rng(seed);
  // Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: the same text on every run.
  EVP_PKEY* rsa = testKey(Key::Rsa2048);
  EVP_PKEY* ed = testKey(Key::Ed25519);
  const std::vector<std::string> bases = {signedPem(simpleRequest(rsa), rsa), signedPem(richRequest(ed), ed), otherRequest()};
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string s = bases[pick(rng, bases.size())];
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const auto& token = pemTokens()[pick(rng, pemTokens().size())];
      switch (rng() % 7) {
        case 0: s.insert(pick(rng, s.size() + 1), token); break;
        case 1: {
          auto pos = pick(rng, s.size());
          s.erase(pos, 1 + pick(rng, 8));
          break;
        }
        case 2: {  // a line break changed
          auto nl = s.find('\n', pick(rng, s.size()));
          if (nl != std::string::npos) s.replace(nl, 1, std::vector<std::string>{"\r\n", "", " \n", "\n\n", "\t\n", "\r"}[pick(rng, 6)]);
          break;
        }
        case 3: s += bases[pick(rng, bases.size())]; break;
        case 4: s = token + s; break;
        case 5: {  // the END line glued to the base64
          auto at = s.find("\n-----END");
          if (at != std::string::npos) s.erase(at, 1);
          s += bases[pick(rng, bases.size())];
          break;
        }
        default: s += token; break;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> derMutations(uint32_t seed, int count) {
  Rng rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    Key kind = i % 20 == 0 ? Key::Rsa2048 : i % 5 == 0 ? Key::Ed25519 : Key::P256;
    EVP_PKEY* key = testKey(kind);
    RequestParts parts = i % 2 == 0 ? richRequest(key) : simpleRequest(key);
    Bytes info = requestInfo(parts, key);
    Node root;
    const unsigned char* p = info.data();
    std::size_t n = info.size();
    if (!parseOne(p, n, root, 0)) throw std::logic_error("corpus: cannot re-read a built request");
    int edits = 1 + static_cast<int>(rng() % 2);
    for (int e = 0; e < edits; ++e) mutateTree(root, rng);
    Bytes mutated = serialise(root);
    if (rng() % 5 == 0) mutateBytes(mutated, rng);
    out.push_back(pem(signRequest(mutated, key)));
  }
  return out;
}

std::vector<std::string> attributeMutations(uint32_t seed, int count) {
  Rng rng(seed);
  EVP_PKEY* key = testKey(Key::P256);
  const std::vector<Bytes> subjectValues = {printable("system:node:worker-1"),
                                            utf8("system:node:worker-1"),
                                            tlv(0x16, "worker"),
                                            tlv(0x14, "worker"),
                                            tlv(0x1e, std::string("\0w", 2)),
                                            tlv(0x1c, std::string("\0\0\0w", 4)),
                                            printable("a*b"),
                                            printable("a@b"),
                                            utf8("\xed\xa0\x80"),
                                            utf8("Zürich"),
                                            tlv(0x12, "123"),
                                            tlv(0x02, Bytes{0x01}),
                                            tlv(0x0c, Bytes{})};
  const std::vector<std::string> subjectTypes = {"2.5.4.3", "2.5.4.10", "2.5.4.11", "2.5.4.6", "0.9.2342.19200300.100.1.25", "1.2.3.4"};
  const std::vector<Bytes> sanNames = {generalName(2, "worker-1.example.com"),
                                       generalName(2, "*.example.com"),
                                       generalName(1, "a@example.com"),
                                       generalName(6, "spiffe://c/ns/a"),
                                       generalName(6, "SPIFFE://c"),
                                       generalName(6, "https://h:1/p?q#f"),
                                       generalName(6, "https://h:/"),
                                       generalName(6, "a:b"),
                                       generalName(6, "a://h/%4"),
                                       generalName(7, ipv4(10, 0, 0, 1)),
                                       generalName(7, Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}),
                                       generalName(7, Bytes(16, 0)),
                                       tlv(0x88, oid("1.2.3")),
                                       generalName(0, "x"),
                                       generalName(2, ""),
                                       generalName(2, "caf\xc3\xa9.example.com")};
  const std::vector<Bytes> booleans = {Bytes{0x01, 0x01, 0x00}, Bytes{0x01, 0x01, 0xff}, Bytes{0x01, 0x01, 0x01},
                                       Bytes{0x01, 0x02, 0x00, 0x00}};
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    RequestParts p;
    std::vector<std::vector<Atv>> rdns;
    for (std::size_t r = pick(rng, 4); r > 0; --r) {
      std::vector<Atv> rdn;
      for (std::size_t a = 1 + (rng() % 5 == 0 ? 1 : 0); a > 0; --a) {
        rdn.push_back({subjectTypes[pick(rng, subjectTypes.size())], subjectValues[pick(rng, subjectValues.size())]});
      }
      rdns.push_back(std::move(rdn));
    }
    p.subject = name(rdns);
    p.spki = spkiOf(key);
    Bytes attrs;
    for (std::size_t a = pick(rng, 4); a > 0; --a) {
      Bytes attr;
      switch (rng() % 6) {
        case 0:
        case 1: {
          std::vector<Bytes> exts;
          std::vector<Bytes> names;
          for (std::size_t k = pick(rng, 4); k > 0; --k) names.push_back(sanNames[pick(rng, sanNames.size())]);
          exts.push_back(sanExtension(names));
          if (rng() % 2 == 0) exts.push_back(extension("2.5.29.15", Bytes{0x03, 0x02, 0x05, 0xa0}, booleans[pick(rng, booleans.size())]));
          if (rng() % 3 == 0) exts.push_back(extension("2.5.29.19", seq({booleans[pick(rng, booleans.size())]})));
          if (rng() % 4 == 0) exts.push_back(exts.front());
          if (rng() % 4 == 0) exts.push_back(extension("1.2.3.4.5", Bytes{0x05, 0x00}));
          attr = extensionRequest(exts, rng() % 5 == 0 ? "1.3.6.1.4.1.311.2.1.14" : "1.2.840.113549.1.9.14");
          break;
        }
        case 2: attr = attribute("1.2.840.113549.1.9.7", {printable("pw")}); break;
        case 3: attr = attribute("1.2.840.113549.1.9.2", {utf8("x"), utf8("y")}); break;
        case 4: attr = attribute("1.2.3.4", {utf8("x")}); break;
        default: attr = attribute("1.2.840.113549.1.9.14", {}); break;
      }
      attrs.insert(attrs.end(), attr.begin(), attr.end());
    }
    p.attributes = attrs;
    out.push_back(pem(buildRequest(p, key)));
  }
  return out;
}

std::vector<std::string> unsignedMutations(uint32_t seed, int count) {
  Rng rng(seed);
  EVP_PKEY* key = testKey(Key::Ed25519);
  const Bytes der = buildRequest(richRequest(key), key);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    Bytes mutated = der;
    for (int e = 1 + static_cast<int>(rng() % 3); e > 0; --e) mutateBytes(mutated, rng);
    out.push_back(pem(mutated));
  }
  return out;
}

}  // namespace goparity
