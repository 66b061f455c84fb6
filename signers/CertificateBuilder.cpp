#include "signers/CertificateBuilder.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "signers/Base64.h"
#include "signers/Der.h"
#include "signers/OpenSslError.h"
#include "signers/OpenSslPtr.h"
#include "signers/Usages.h"

namespace signers {
namespace {

using R = Result<BuiltCertificate>;
using der::Bytes;

struct SubjectAttribute {
  const char* shortName;
  unsigned char oidLastArc;  // all copied attributes are 2.5.4.x
};
constexpr std::array<SubjectAttribute, 9> kCopiedAttributes{
    {{"C", 6}, {"ST", 8}, {"L", 7}, {"street", 9}, {"postalCode", 17}, {"O", 10}, {"OU", 11}, {"CN", 3}, {"serialNumber", 5}}};

const SubjectAttribute* findAttribute(const std::string& shortName) {
  for (const auto& a : kCopiedAttributes) {
    if (shortName == a.shortName) return &a;
  }
  return nullptr;
}

// Fetched once: implicit fetches (EVP_sha1()) take a global lock on every call.
const EVP_MD* sha1() {
  static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  return md.get();
}

// DER of each ExtendedKeyUsage OID, by NID, computed once.
const Bytes& ekuOid(int nid) {
  static const std::map<int, Bytes> table = [] {
    std::map<int, Bytes> m;
    for (const auto& u : usageTable()) {
      if (u.extKeyUsageNid == 0 || m.contains(u.extKeyUsageNid)) continue;
      char dotted[80];
      OBJ_obj2txt(dotted, sizeof dotted, OBJ_nid2obj(u.extKeyUsageNid), 1);
      m.emplace(u.extKeyUsageNid, der::oid(dotted));
    }
    return m;
  }();
  return table.at(nid);
}

void appendExtension(Bytes& out, std::initializer_list<unsigned char> oidArcsAfter2529, bool critical, const Bytes& value) {
  Bytes ext;
  ext.reserve(value.size() + 16);
  Bytes oidBody{0x55, 0x1d};
  oidBody.insert(oidBody.end(), oidArcsAfter2529);
  der::appendTlv(ext, der::kOid, oidBody);
  if (critical) ext.insert(ext.end(), {0x01, 0x01, 0xff});
  der::appendTlv(ext, der::kOctetString, value);
  der::appendTlv(out, der::kSequence, ext);
}

Bytes buildSubject(const ParsedRequest& req) {
  Bytes rdns;
  for (const auto& [key, value] : req.subject) {
    const SubjectAttribute* a = findAttribute(key);
    if (a == nullptr) continue;
    Bytes atv{der::kOid, 0x03, 0x55, 0x04, a->oidLastArc};
    der::appendDirectoryString(atv, value);
    Bytes set = der::tlv(der::kSequence, atv);
    der::appendTlv(rdns, der::kSet, set);
  }
  return der::tlv(der::kSequence, rdns);
}

// KeyUsage BIT STRING, DER-minimal (trailing zero bits dropped).
Bytes keyUsageValue(unsigned bits) {
  unsigned char octets[2] = {static_cast<unsigned char>(0), static_cast<unsigned char>(0)};
  for (int b = 0; b < 9; ++b) {
    if ((bits & (1u << b)) != 0) octets[b / 8] |= static_cast<unsigned char>(0x80u >> (b % 8));
  }
  int len = octets[1] != 0 ? 2 : 1;
  unsigned char last = octets[len - 1];
  int unused = 0;
  while (unused < 7 && (last & (1u << unused)) == 0) ++unused;
  Bytes content{static_cast<unsigned char>(unused)};
  content.insert(content.end(), octets, octets + len);
  return der::tlv(der::kBitString, content);
}

bool appendUsageExtensions(Bytes& exts, const std::vector<std::string>& usages) {
  unsigned kuBits = 0;
  std::vector<const UsageMapping*> ekus;
  for (const auto& u : usages) {
    const UsageMapping* m = findUsage(u);
    if (m == nullptr) return false;
    if (m->keyUsage) {
      kuBits |= 1u << static_cast<int>(*m->keyUsage);
    } else if (std::none_of(ekus.begin(), ekus.end(), [m](auto* e) { return e->extKeyUsageNid == m->extKeyUsageNid; })) {
      ekus.push_back(m);
    }
  }
  if (kuBits != 0) appendExtension(exts, {0x0f}, true, keyUsageValue(kuBits));
  if (!ekus.empty()) {
    std::sort(ekus.begin(), ekus.end(), [](auto* a, auto* b) { return a->extKeyUsageOrder < b->extKeyUsageOrder; });
    Bytes list;
    for (const auto* m : ekus) {
      const Bytes& o = ekuOid(m->extKeyUsageNid);
      list.insert(list.end(), o.begin(), o.end());
    }
    appendExtension(exts, {0x25}, false, der::tlv(der::kSequence, list));
  }
  return true;
}

void appendSan(Bytes& exts, const ParsedRequest& req, bool subjectEmpty) {
  if (req.sanCount() == 0) return;
  Bytes names;
  for (const auto& d : req.dnsNames) der::appendTlv(names, 0x82, d);
  for (const auto& e : req.emailAddresses) der::appendTlv(names, 0x81, e);
  for (const auto& u : req.uris) der::appendTlv(names, 0x86, u);
  for (const auto& ip : req.ipAddresses) der::appendTlv(names, 0x87, std::span(ip.bytes.data(), ip.length()));
  // RFC 5280 4.2.1.6: critical when the subject is empty.
  appendExtension(exts, {0x11}, subjectEmpty, der::tlv(der::kSequence, names));
}

bool appendKeyIdentifiers(Bytes& exts, const CertificateAuthority& ca, const SubjectPublicKeyInfo& spki) {
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(spki.publicKey.data(), spki.publicKey.size(), md, &len, sha1(), nullptr) != 1) return false;
  appendExtension(exts, {0x0e}, false, der::tlv(der::kOctetString, std::span(md, len)));
  appendExtension(exts, {0x23}, false, der::tlv(der::kSequence, der::tlv(0x80, ca.keyId())));
  return true;
}

// Serial randomness is drawn from the DRBG in blocks: one RAND_bytes call per 64 certificates
// instead of one each. Per thread, so concurrent issuers never share a buffer.
bool randomSerial(unsigned char (&serial)[16]) {
  thread_local unsigned char pool[16 * 64];
  thread_local std::size_t used = sizeof pool;
  if (used == sizeof pool) {
    if (RAND_bytes(pool, sizeof pool) != 1) return false;
    used = 0;
  }
  std::memcpy(serial, pool + used, sizeof serial);
  OPENSSL_cleanse(pool + used, sizeof serial);
  used += sizeof serial;
  return true;
}

std::string hexUpper(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::size_t start = 0;
  while (start + 1 < bytes.size() && bytes[start] == 0) ++start;
  std::string out;
  for (std::size_t i = start; i < bytes.size(); ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return out;
}

std::string toPem(const Bytes& certDer) {
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  const std::string_view der(reinterpret_cast<const char*>(certDer.data()), certDer.size());
  // 48 bytes make the 64-character lines of RFC 7468.
  for (std::size_t off = 0; off < der.size(); off += 48) {
    out += base64Encode(der.substr(off, 48));
    out.push_back('\n');
  }
  out += "-----END CERTIFICATE-----\n";
  return out;
}

}  // namespace

bool isCopiedSubjectAttribute(const std::string& shortName) { return findAttribute(shortName) != nullptr; }

Result<BuiltCertificate> buildCertificate(const CertificateAuthority& ca, const ParsedRequest& request,
                                          const std::vector<std::string>& usages, const ValidityWindow& validity) {
  if (!request.spki) return R::fail("request has no public key");
  BuiltCertificate out;

  // 128 random bits, as KCM; read as an unsigned magnitude, so never negative; zero is excluded.
  unsigned char serial[16];
  do {
    if (!randomSerial(serial)) return R::fail(withOpenSslErrors("cannot generate a serial number"));
  } while (std::all_of(std::begin(serial), std::end(serial), [](unsigned char b) { return b == 0; }));
  out.serialHex = hexUpper(serial);

  Bytes subject = buildSubject(request);
  bool subjectEmpty = subject.size() == 2;

  Bytes exts;
  exts.reserve(512);
  appendExtension(exts, {0x13}, true, Bytes{der::kSequence, 0x00});  // BasicConstraints CA:FALSE
  if (!appendUsageExtensions(exts, usages)) return R::fail("unrecognized usage value");
  appendSan(exts, request, subjectEmpty);
  if (!appendKeyIdentifiers(exts, ca, *request.spki)) return R::fail(withOpenSslErrors("cannot hash the public key"));

  Bytes tbs;
  tbs.reserve(1024);
  tbs.insert(tbs.end(), {0xa0, 0x03, der::kInteger, 0x01, 0x02});  // [0] version v3
  der::appendUnsignedInteger(tbs, serial);
  tbs.insert(tbs.end(), ca.signatureAlgorithmDer().begin(), ca.signatureAlgorithmDer().end());
  tbs.insert(tbs.end(), ca.subjectDer().begin(), ca.subjectDer().end());
  Bytes times;
  der::appendTime(times, std::chrono::system_clock::to_time_t(validity.notBefore));
  der::appendTime(times, std::chrono::system_clock::to_time_t(validity.notAfter));
  der::appendTlv(tbs, der::kSequence, times);
  tbs.insert(tbs.end(), subject.begin(), subject.end());
  tbs.insert(tbs.end(), request.spki->der.begin(), request.spki->der.end());
  der::appendTlv(tbs, 0xa3, der::tlv(der::kSequence, exts));
  Bytes tbsTlv = der::tlv(der::kSequence, tbs);

  auto signature = ca.sign(tbsTlv.data(), tbsTlv.size());
  if (!signature) return R::fail(signature.error());

  Bytes cert = std::move(tbsTlv);
  cert.insert(cert.end(), ca.signatureAlgorithmDer().begin(), ca.signatureAlgorithmDer().end());
  der::appendBitString(cert, signature.value());
  out.pem = toPem(der::tlv(der::kSequence, cert));
  return R::ok(std::move(out));
}

}  // namespace signers
